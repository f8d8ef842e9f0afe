package style

import (
	"image"
	"math"
	"sort"
)

// FillOrder chooses, among unlabeled candidates, the products to label first so that the styles the
// classifier cannot learn yet (too few training labels) get theirs: need[s] is how many more labels
// style s needs (0 or less when it has enough). It returns candidate indices, taking in turn from each
// style that still needs some (the neediest first) its next candidate, up to FillAsk times what each
// style lacks: a pick can turn out to be of another style, and the labels past a style's need still
// teach the classifier.
//
// Which candidates belong to a style is judged on the style statistics (rows of StatsRows,
// standardised over labeled and candidates together) by the labeled products alone, so it works from
// a style's first label, before any classifier: a candidate is like style s when its nearest labeled
// product of s is nearer than its nearest labeled product of any other style. A style takes those in
// scatter order (a key per candidate, so the picks spread over the style, as a random sample of it
// would, rather than crowd around the products already labeled, which teach the classifier little),
// then the others from most to least like it. A style with no labeled product is skipped: nothing
// says yet what it looks like (and a style nobody uses would otherwise lead the queue for good).
// labeledStyles[i] is the style index of labeled[i].
func FillOrder(labeled [][]float64, labeledStyles []int, candidates [][]float64, scatter []uint64, need []int) []int {
	has := make([]bool, len(need))
	for _, s := range labeledStyles {
		if s >= 0 && s < len(has) {
			has[s] = true
		}
	}
	total := 0
	for s, n := range need {
		if has[s] {
			total += FillAsk * max(0, n)
		}
	}
	if total == 0 || len(candidates) == 0 {
		return nil
	}
	mean, std := standardizer(append(append([][]float64(nil), labeled...), candidates...))
	lab, cand := standardize(labeled, mean, std), standardize(candidates, mean, std)
	// nearest[c][s]: distance from candidate c to its nearest labeled product of style s (+Inf: none).
	nearest := make([][]float64, len(cand))
	parallel(len(cand), func(c int, _ *scratch) {
		d := make([]float64, len(need))
		for s := range d {
			d[s] = math.Inf(1)
		}
		for i, l := range lab {
			if s := labeledStyles[i]; s >= 0 && s < len(d) {
				d[s] = math.Min(d[s], euclid(cand[c], l))
			}
		}
		nearest[c] = d
	})
	type styleQueue struct {
		need, next int
		order      []int
	}
	var queues []*styleQueue
	for s, n := range need {
		if n <= 0 || !has[s] {
			continue
		}
		// score: below 1 when nearer s than any other style, smaller the more alike.
		score := make([]float64, len(cand))
		for c, d := range nearest {
			other := math.Inf(1)
			for t, v := range d {
				if t != s {
					other = math.Min(other, v)
				}
			}
			switch {
			case math.IsInf(other, 1):
				score[c] = 0 // only s has labels: every candidate is like it
			default:
				score[c] = d[s] / math.Max(other, 1e-12)
			}
		}
		like := func(c int) bool { return score[c] < 1 }
		order := make([]int, len(cand))
		for c := range order {
			order[c] = c
		}
		sort.SliceStable(order, func(a, b int) bool {
			ca, cb := order[a], order[b]
			if la, lb := like(ca), like(cb); la != lb {
				return la
			} else if la && scatter != nil && scatter[ca] != scatter[cb] {
				return scatter[ca] < scatter[cb]
			}
			return score[ca] < score[cb]
		})
		queues = append(queues, &styleQueue{need: FillAsk * n, order: order})
	}
	sort.SliceStable(queues, func(a, b int) bool { return queues[a].need > queues[b].need })
	taken := make([]bool, len(cand))
	var out []int
	for len(out) < total {
		progress := false
		for _, q := range queues {
			if q.need <= 0 {
				continue
			}
			for q.next < len(q.order) && taken[q.order[q.next]] {
				q.next++
			}
			if q.next == len(q.order) {
				q.need = 0
				continue
			}
			c := q.order[q.next]
			taken[c] = true
			out = append(out, c)
			q.need--
			progress = true
		}
		if !progress {
			break
		}
	}
	return out
}

// FillAsk is how many candidates FillOrder offers a style for each label it lacks.
const FillAsk = 2

// StatsRows computes the style statistics FillOrder compares, one row per image, spread over the
// cores: the whole-picture statistics (pictureStats) without the silhouette's. A distance with no
// learned weights cannot tell which silhouette statistics carry the style and which the object's
// outline (its box, its corners); the classifier's regression learns that, the fill's nearest
// neighbour would not (on the demo it found fewer styles with them).
func StatsRows(imgs []image.Image) [][]float64 { return StatsRowsCached(imgs, nil, nil) }

func euclid(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return math.Sqrt(s)
}
