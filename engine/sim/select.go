package sim

import "slices"

// selector turns per-candidate scores into a slate: the best image of each product, then the k best
// products, optionally spreading the slate over perceived styles. It keeps its buffers between calls.
type selector struct {
	prodItem, prodVar, prodCand []int
	prodScore                   []float64
	heap                        []int
	styleCount                  []int
	taken                       []bool
	out                         []Choice
}

// better orders products by score, then by lower index, so selection is deterministic.
func (s *selector) better(a, b int) bool {
	if s.prodScore[a] != s.prodScore[b] {
		return s.prodScore[a] > s.prodScore[b]
	}
	return a < b
}

// pick returns up to k choices from cands (each item's candidates contiguous) scored by scores
// (aligned with cands, higher is better, additive units): each product at most once, as its
// best-scoring image. With stylePenalty > 0 the slate is chosen greedily from the 4k best products,
// each product's score lowered by stylePenalty per product of the same perceived style already chosen.
// The returned slice is reused by the next call.
func (s *selector) pick(cat *Catalog, cands []Choice, scores []float64, k int, stylePenalty float64) []Choice {
	s.prodItem, s.prodVar, s.prodCand, s.prodScore = s.prodItem[:0], s.prodVar[:0], s.prodCand[:0], s.prodScore[:0]
	last := -1
	for j, c := range cands {
		if c.Item != last {
			last = c.Item
			s.prodItem = append(s.prodItem, c.Item)
			s.prodVar = append(s.prodVar, c.Variant)
			s.prodCand = append(s.prodCand, cat.Candidate(c.Item, c.Variant))
			s.prodScore = append(s.prodScore, scores[j])
			continue
		}
		if p := len(s.prodScore) - 1; scores[j] > s.prodScore[p] {
			s.prodVar[p], s.prodCand[p], s.prodScore[p] = c.Variant, cat.Candidate(c.Item, c.Variant), scores[j]
		}
	}
	n := len(s.prodScore)
	k = min(k, n)
	pool := k
	if stylePenalty > 0 {
		pool = min(n, 4*k)
	}
	// keep the pool best products in a min-heap (worst at the root)
	h := s.heap[:0]
	for p := 0; p < n; p++ {
		if len(h) < pool {
			h = append(h, p)
			for i := len(h) - 1; i > 0; {
				parent := (i - 1) / 2
				if !s.better(h[parent], h[i]) {
					break
				}
				h[parent], h[i] = h[i], h[parent]
				i = parent
			}
			continue
		}
		if pool == 0 || !s.better(p, h[0]) {
			continue
		}
		h[0] = p
		for i := 0; ; {
			l, r, w := 2*i+1, 2*i+2, i
			if l < len(h) && s.better(h[w], h[l]) {
				w = l
			}
			if r < len(h) && s.better(h[w], h[r]) {
				w = r
			}
			if w == i {
				break
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	s.heap = h
	slices.SortFunc(h, func(a, b int) int {
		if a == b {
			return 0
		}
		if s.better(a, b) {
			return -1
		}
		return 1
	})

	s.out = s.out[:0]
	if stylePenalty <= 0 || len(h) <= 1 {
		for _, p := range h[:k] {
			s.out = append(s.out, Choice{Item: s.prodItem[p], Variant: s.prodVar[p]})
		}
		return s.out
	}
	if len(s.styleCount) != len(cat.Styles) {
		s.styleCount = make([]int, len(cat.Styles))
	}
	clear(s.styleCount)
	if cap(s.taken) < len(h) {
		s.taken = make([]bool, len(h))
	}
	s.taken = s.taken[:len(h)]
	clear(s.taken)
	for len(s.out) < k {
		best, bestScore := -1, 0.0
		for i, p := range h {
			if s.taken[i] {
				continue
			}
			v := s.prodScore[p] - stylePenalty*float64(s.styleCount[cat.topStyle[s.prodCand[p]]])
			if best < 0 || v > bestScore {
				best, bestScore = i, v
			}
		}
		s.taken[best] = true
		p := h[best]
		s.styleCount[cat.topStyle[s.prodCand[p]]]++
		s.out = append(s.out, Choice{Item: s.prodItem[p], Variant: s.prodVar[p]})
	}
	return s.out
}
