package rank

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"stylestudio/engine/sim"
)

// AUC is the area under the ROC curve of scores against labels: the probability that a random
// positive scores above a random negative, ties counting one half (Mann–Whitney U). It is NaN when
// labels hold no positive or no negative, or the lengths differ.
func AUC(scores []float64, labels []bool) float64 {
	if len(scores) != len(labels) {
		return math.NaN()
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return a - b
	})
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // mean of the 1-based ranks i+1..j
		for _, k := range idx[i:j] {
			if labels[k] {
				pos++
				rankSum += avg
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// LogLoss is the mean binary cross-entropy −[y·ln p + (1−y)·ln(1−p)] of probabilities against
// labels, p clipped to [1e-15, 1−1e-15]. It is NaN for empty or mismatched input.
func LogLoss(probs []float64, labels []bool) float64 {
	if len(probs) == 0 || len(probs) != len(labels) {
		return math.NaN()
	}
	var s float64
	for i, p := range probs {
		p = min(max(p, 1e-15), 1-1e-15)
		if labels[i] {
			s -= math.Log(p)
		} else {
			s -= math.Log(1 - p)
		}
	}
	return s / float64(len(probs))
}

// order returns the indices of scores from highest to lowest, ties in input order.
func order(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	return idx
}

// NDCGAtK is the normalised discounted cumulative gain of one ranked list with binary relevance:
// the list is ordered by score (highest first, ties in input order), DCG = Σ_{r<k} rel_r/log2(r+2)
// and it is divided by the DCG of the ideal order. It is 0 when no label is positive.
func NDCGAtK(scores []float64, labels []bool, k int) float64 {
	if len(scores) != len(labels) || k <= 0 {
		return 0
	}
	var pos int
	for _, l := range labels {
		if l {
			pos++
		}
	}
	if pos == 0 {
		return 0
	}
	var dcg, ideal float64
	for r, i := range order(scores) {
		if r >= k {
			break
		}
		if labels[i] {
			dcg += 1 / math.Log2(float64(r+2))
		}
	}
	for r := 0; r < min(k, pos); r++ {
		ideal += 1 / math.Log2(float64(r+2))
	}
	return dcg / ideal
}

// HitRateAtK is 1 when a positive is among the k highest scores (ties in input order), else 0.
func HitRateAtK(scores []float64, labels []bool, k int) float64 {
	if len(scores) != len(labels) {
		return 0
	}
	for r, i := range order(scores) {
		if r >= k {
			break
		}
		if labels[i] {
			return 1
		}
	}
	return 0
}

// Offline holds a scorer's metrics on held-out impressions.
type Offline struct {
	AUC     float64 // over all held-out impressions
	LogLoss float64 // over all held-out impressions
	NDCG    float64 // mean NDCG@K over ranked lists
	HR      float64 // mean HR@K over ranked lists
	K       int
	Lists   int // ranked lists: slates with a click, each with sampled negatives
}

// PointScorer is the probability a scorer gives that profile p clicks image variant of item.
type PointScorer func(p *sim.Profile, item *sim.Item, variant int) float64

// EvalConfig sets how ranked lists are formed.
type EvalConfig struct {
	K         int    // cut-off of NDCG@K and HR@K (default 10)
	Negatives int    // random unshown images added to each slate's list (0: 40; negative: none)
	Seed      uint64 // draws the negatives and shuffles each list so ties fall at random
}

// Evaluate scores held-out impressions with score: AUC and LogLoss over every impression, and, for
// each slate with a click, NDCG@K and HR@K of the list made of the slate's images (clicked = relevant)
// and Negatives random images of other products from items (not relevant), scored with the slate's
// profile. A slate is a run of consecutive examples with the same Slate id, as the simulator logs
// them. It checks ctx every 256 slates.
func Evaluate(ctx context.Context, score PointScorer, test []Example, items []sim.Item, cfg EvalConfig) (Offline, error) {
	if cfg.K == 0 {
		cfg.K = 10
	}
	if cfg.Negatives == 0 {
		cfg.Negatives = 40
	}
	if len(test) == 0 {
		return Offline{}, fmt.Errorf("rank: %w: no held-out examples to evaluate", ErrBadExamples)
	}
	for i := range test {
		if e := &test[i]; e.Profile == nil || e.Item == nil || e.Variant < 0 || e.Variant >= len(e.Item.Variants) {
			return Offline{}, fmt.Errorf("rank: %w: held-out example %d lacks a profile, an item or a valid image", ErrBadExamples, i)
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xe7a1))
	out := Offline{K: cfg.K}
	probs := make([]float64, len(test))
	labels := make([]bool, len(test))
	for i := range test {
		e := &test[i]
		probs[i] = score(e.Profile, e.Item, e.Variant)
		labels[i] = e.Clicked
	}
	out.AUC = AUC(probs, labels)
	out.LogLoss = LogLoss(probs, labels)

	// slates: runs of consecutive examples with the same Slate id
	var ls []float64
	var ll []bool
	inSlate := map[*sim.Item]bool{}
	for lo, lists := 0, 0; lo < len(test); {
		hi := lo + 1
		for hi < len(test) && test[hi].Slate == test[lo].Slate {
			hi++
		}
		ls, ll = ls[:0], ll[:0]
		clear(inSlate)
		var hit bool
		for i := lo; i < hi; i++ {
			ls = append(ls, probs[i])
			ll = append(ll, labels[i])
			hit = hit || labels[i]
			inSlate[test[i].Item] = true
		}
		if hit && len(items) > len(inSlate) {
			p := test[lo].Profile
			for n := 0; n < max(cfg.Negatives, 0); n++ {
				it := &items[rng.IntN(len(items))]
				if inSlate[it] {
					n-- // draw again: a negative is a product not in the slate
					continue
				}
				ls = append(ls, score(p, it, rng.IntN(len(it.Variants))))
				ll = append(ll, false)
			}
		}
		if hit {
			rng.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i]; ll[i], ll[j] = ll[j], ll[i] })
			out.NDCG += NDCGAtK(ls, ll, cfg.K)
			out.HR += HitRateAtK(ls, ll, cfg.K)
			out.Lists++
			lists++
			if lists%256 == 0 {
				if err := ctx.Err(); err != nil {
					return Offline{}, err
				}
			}
		}
		lo = hi
	}
	if out.Lists > 0 {
		out.NDCG /= float64(out.Lists)
		out.HR /= float64(out.Lists)
	}
	return out, ctx.Err()
}
