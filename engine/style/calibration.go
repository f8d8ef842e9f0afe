package style

import (
	"math"
)

// ReliabilityBin is one confidence bin of a reliability diagram: the predictions whose top probability
// fell in [Lo, Hi), their mean confidence and the share of them that were right.
type ReliabilityBin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Count      int     `json:"count"`
	Confidence float64 `json:"confidence"` // mean top probability (0 when Count is 0)
	Accuracy   float64 `json:"accuracy"`   // share right (0 when Count is 0)
}

// Calibration measures how well the model's confidence matches its accuracy on labeled examples:
// the expected calibration error (ECE: the bins' |accuracy − confidence| weighted by their share of
// the examples, 0 is perfect) over bins equal-width bins of the top probability, and the bins
// themselves. The bins cover [1/styles, 1]: no prediction can be less confident than that. NaN and
// no bins for no examples.
func Calibration(m *Model, examples []Example, bins int) (ece float64, table []ReliabilityBin) {
	if len(examples) == 0 || bins < 1 {
		return math.NaN(), nil
	}
	probs := m.PredictBatch(imagesOf(examples))
	conf := make([]float64, len(examples))
	right := make([]bool, len(examples))
	for i, p := range probs {
		best := argmax64(p)
		conf[i], right[i] = p[best], best == examples[i].Style
	}
	return reliability(conf, right, 1/float64(len(m.styles)), bins)
}

// reliability bins confidences in [lo, 1] and returns the ECE and the bins.
func reliability(conf []float64, right []bool, lo float64, bins int) (float64, []ReliabilityBin) {
	table := make([]ReliabilityBin, bins)
	width := (1 - lo) / float64(bins)
	for b := range table {
		table[b].Lo, table[b].Hi = lo+float64(b)*width, lo+float64(b+1)*width
	}
	for i, c := range conf {
		b := min(bins-1, max(0, int((c-lo)/width)))
		table[b].Count++
		table[b].Confidence += c
		if right[i] {
			table[b].Accuracy++
		}
	}
	var ece float64
	for b := range table {
		if n := float64(table[b].Count); n > 0 {
			table[b].Confidence /= n
			table[b].Accuracy /= n
			ece += n / float64(len(conf)) * math.Abs(table[b].Accuracy-table[b].Confidence)
		}
	}
	return ece, table
}
