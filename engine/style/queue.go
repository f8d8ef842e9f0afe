package style

import (
	"math"
	"math/rand/v2"
	"sort"
)

// QueueItem is one entry of the labeling queue.
type QueueItem struct {
	Index       int     // index into the candidates queued
	Suggested   int     // most probable style (index into m.Styles())
	Confidence  float64 // its probability
	Uncertainty float64 // 1 - (p1 - p2): 0 when the model is sure, 1 when the top two styles tie
}

// queuePoolFactor bounds the diversity pool: with diversity d, the n picks come from the
// n*(1+queuePoolFactor*d) most uncertain candidates.
const queuePoolFactor = 3

// QueuePredicted orders candidates for labeling from predictions made with PredictAll and returns
// the first n (all of them when n <= 0 or n is larger). Uncertainty is the margin between the two
// most probable styles. With diversity 0 the order is by uncertainty alone. With diversity d in
// (0, 1] the picks come from the n*(1+3d) most uncertain candidates, chosen greedily by
//
//	(1-d)*uncertainty + d*distance/maxDistance
//
// where distance is the Euclidean distance of a candidate's unit-length feature vector to the
// nearest one already picked, so a batch of labels does not spend itself on near-duplicates. rng
// breaks ties between equally uncertain candidates; nil keeps them in index order.
func QueuePredicted(probs [][]float64, feats [][]float32, n int, diversity float64, rng *rand.Rand) []QueueItem {
	return queueOrder(probs, feats, n, diversity, rng, false)
}

// QueueHead orders every candidate for labeling: the first head as QueuePredicted picks n = head
// (uncertainty with a share of diversity among the head*(1+3d) most uncertain), then the rest by
// uncertainty alone. head is the labels a person gives before the classifier retrains and the queue
// is ranked again: diversity keeps that batch from spending itself on near-duplicates, and past it
// the order is only a fallback. Ranked whole with diversity, the queue's head was drawn from the
// entire catalog, so far-off, fairly sure products crowded out uncertain ones (the active-learning
// replay needed 67 labels against 63 on its choice seeds), and the ranking was quadratic in the
// catalog (BenchmarkQueueOrder).
func QueueHead(probs [][]float64, feats [][]float32, head int, diversity float64, rng *rand.Rand) []QueueItem {
	head = max(1, min(head, len(probs)))
	return queueOrder(probs, feats, head, diversity, rng, true)
}

// queueOrder picks n as QueuePredicted describes; with rest, the candidates not picked follow in uncertainty
// order.
func queueOrder(probs [][]float64, feats [][]float32, n int, diversity float64, rng *rand.Rand, rest bool) []QueueItem {
	total := len(probs)
	if total == 0 {
		return nil
	}
	if n <= 0 || n > total {
		n = total
	}
	if math.IsNaN(diversity) {
		diversity = 0
	}
	diversity = math.Min(1, math.Max(0, diversity))

	items := make([]QueueItem, total)
	for i, p := range probs {
		best, second := 0, -1
		for j := 1; j < len(p); j++ {
			if p[j] > p[best] {
				best, second = j, best
			} else if second < 0 || p[j] > p[second] {
				second = j
			}
		}
		margin := p[best]
		if second >= 0 {
			margin -= p[second]
		}
		items[i] = QueueItem{Index: i, Suggested: best, Confidence: p[best], Uncertainty: 1 - margin}
	}

	// Order by uncertainty, ties broken by a random permutation (or by index without rng).
	order := make([]int, total)
	for i := range order {
		order[i] = i
	}
	if rng != nil {
		rng.Shuffle(total, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	sort.SliceStable(order, func(a, b int) bool {
		return items[order[a]].Uncertainty > items[order[b]].Uncertainty
	})
	if diversity == 0 || n <= 1 {
		m := n
		if rest {
			m = total
		}
		out := make([]QueueItem, m)
		for i := range out {
			out[i] = items[order[i]]
		}
		return out
	}

	poolSize := min(total, n+int(math.Ceil(queuePoolFactor*diversity*float64(n))))
	pool := order[:poolSize]
	unit := make([][]float32, poolSize)
	for k, i := range pool {
		unit[k] = normalized(feats[i])
	}
	// minDist[k]: distance from pool[k] to the nearest pick so far (+Inf before the first pick).
	minDist := make([]float64, poolSize)
	for k := range minDist {
		minDist[k] = math.Inf(1)
	}
	picked := make([]bool, poolSize)
	out := make([]QueueItem, 0, n)
	for len(out) < n {
		maxD := 0.0
		for k := range pool {
			if !picked[k] && !math.IsInf(minDist[k], 1) {
				maxD = math.Max(maxD, minDist[k])
			}
		}
		best, bestScore := -1, math.Inf(-1)
		for k, i := range pool {
			if picked[k] {
				continue
			}
			d := 0.0
			if maxD > 0 && !math.IsInf(minDist[k], 1) {
				d = minDist[k] / maxD
			}
			score := (1-diversity)*items[i].Uncertainty + diversity*d
			if score > bestScore { // strict: earlier (more uncertain) pool entries win ties
				best, bestScore = k, score
			}
		}
		picked[best] = true
		out = append(out, items[pool[best]])
		for k := range pool {
			if !picked[k] {
				minDist[k] = math.Min(minDist[k], dist(unit[k], unit[best]))
			}
		}
	}
	if rest {
		for k, i := range order {
			if k >= poolSize || !picked[k] {
				out = append(out, items[i])
			}
		}
	}
	return out
}

func normalized(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if s == 0 {
		return out
	}
	k := 1 / math.Sqrt(s)
	for i, x := range v {
		out[i] = float32(float64(x) * k)
	}
	return out
}

func dist(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return math.Sqrt(s)
}
