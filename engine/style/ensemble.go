package style

import (
	"context"
	"errors"
	"image"
	"math"
	"math/rand/v2"

	"stylestudio/engine/nn"
)

// statsHead is the second half of the classifier: a softmax regression over the style statistics
// (stats.go) and the weights that join it to the CNN. The final logits of an image are
//
//	scale · (a·statsLogits + b·log p_cnn)
//
// a is the inverse temperature of the statistics model, fitted on its out-of-fold predictions over the
// whole training set; b (the CNN's weight) and scale are fitted on a calibration slice of the training
// set that the CNN did not train on (every calibFold-th example of each style), minimising the
// log-likelihood. So the CNN counts for as much as it earns on pictures it has not seen: on a catalog
// where it generalises poorly (real design styles, few labels) its weight drops towards 0, and the
// probabilities are calibrated on held-out data rather than on what the models memorised.
type statsHead struct {
	reg          *softmaxReg
	saved        map[string]nn.Tensor // the float32 tensors Save writes and Load fills (see tensors)
	a, b, scale  float64
	calibration  int // examples the weights were fitted on
	statsLambda  float64
	outOfFoldAcc float64 // the statistics model's cross-validated accuracy on the training set
}

const (
	calibFolds = 5   // one fold of the training set calibrates the ensemble (the CNN trains on the rest)
	maxCNNW    = 1.5 // the largest CNN weight b the calibration may choose
	scaleMin   = 0.3 // the range of the final scale
	scaleMax   = 3.0
)

// trainEnsemble trains the CNN and the statistics model and calibrates their joint probabilities.
func trainEnsemble(ctx context.Context, cfg Config, styles []string, train []Example, rng *rand.Rand, report func(Event)) (*Model, error) {
	k := len(styles)
	y := make([]int, len(train))
	for i, e := range train {
		y[i] = e.Style
	}
	// The statistics model needs nothing from the CNN: it trains beside it, filling the cores the
	// CNN's serial parts leave idle. The CNN's random draws are its own, so the result is the same.
	type statsResult struct {
		reg *softmaxReg
		oof [][]float64
		err error
	}
	statsCtx, cancelStats := context.WithCancel(ctx)
	defer cancelStats()
	statsDone := make(chan statsResult, 1)
	go func() {
		feats := statsFeatureRows(imagesOf(train))
		if err := statsCtx.Err(); err != nil {
			statsDone <- statsResult{err: err}
			return
		}
		reg, oof, err := trainStats(statsCtx, feats, y, k)
		statsDone <- statsResult{reg: reg, oof: oof, err: err}
	}()
	// waitStats returns the statistics model; after a failure elsewhere it stops it first, so no
	// goroutine outlives the call.
	waitStats := func(stop bool) statsResult {
		if stop {
			cancelStats()
		}
		return <-statsDone
	}

	// The CNN trains on every fold but the calibration one.
	fold := foldsOf(y, k, calibFolds)
	var fitSet, calib []Example
	var calibIdx []int
	for i, e := range train {
		if fold[i] == 0 {
			calib = append(calib, e)
			calibIdx = append(calibIdx, i)
		} else {
			fitSet = append(fitSet, e)
		}
	}
	n := newNet(cfg.Size, cfg.Width, k, rng)
	steps := cfg.Epochs * stepsPerEpoch(len(fitSet), cfg.BatchSize)
	if err := fit(ctx, cfg, n, fitSet, steps, rng, report); err != nil {
		waitStats(true)
		return nil, err
	}
	st := waitStats(false)
	if st.err != nil {
		return nil, st.err
	}
	reg, oof := st.reg, st.oof
	a := 1 / fitTemperature(oof, y)
	m := &Model{cfg: cfg, styles: append([]string(nil), styles...), net: n}
	cnnProbs := m.cnnProbs(imagesOf(calib))
	statsL := make([][]float64, len(calib))
	cnnL := make([][]float64, len(calib))
	cy := make([]int, len(calib))
	for j, i := range calibIdx {
		statsL[j] = oof[i]
		cnnL[j] = make([]float64, k)
		for c, p := range cnnProbs[j] {
			cnnL[j][c] = math.Log(math.Max(p, 1e-9))
		}
		cy[j] = y[i]
	}
	b, scale := fitEnsembleWeights(statsL, cnnL, cy, a)
	correct := 0
	for i, l := range oof {
		if argmax64(l) == y[i] {
			correct++
		}
	}
	m.stats = &statsHead{reg: reg, a: a, b: b, scale: scale, calibration: len(calib), statsLambda: reg.lambda,
		outOfFoldAcc: float64(correct) / float64(len(y))}
	m.stats.roundToFloat32()
	return m, nil
}

// fitEnsembleWeights chooses the CNN weight b (a grid from 0 to maxCNNW) and the overall scale (a
// golden-section search in [scaleMin, scaleMax] for each b) that minimise the NLL of the calibration
// examples. Ties go to the smaller b (the grid runs upwards and only a strictly better fit moves it).
func fitEnsembleWeights(statsL, cnnL [][]float64, y []int, a float64) (b, scale float64) {
	bestB, bestS, bestNLL := 0.0, 1.0, math.Inf(1)
	joined := make([][]float64, len(y))
	for step := 0; step <= 30; step++ {
		bb := maxCNNW * float64(step) / 30
		for i := range y {
			joined[i] = make([]float64, len(statsL[i]))
			for c := range joined[i] {
				joined[i][c] = a*statsL[i][c] + bb*cnnL[i][c]
			}
		}
		temp := fitTemperatureIn(joined, y, 1/scaleMax, 1/scaleMin)
		if l := nll(joined, y, temp); l < bestNLL-1e-9 {
			bestB, bestS, bestNLL = bb, 1/temp, l
		}
	}
	return bestB, bestS
}

// cnnProbs is the CNN's own softmax over the styles, without the statistics model.
func (m *Model) cnnProbs(imgs []image.Image) [][]float64 {
	probs := make([][]float64, len(imgs))
	k := len(m.styles)
	parallel(len(imgs), func(i int, s *scratch) {
		feat := make([]float32, m.net.featureLen())
		logits := make([]float32, k)
		m.net.logits(s, logits, feat, m.input(imgs[i]))
		probs[i] = make([]float64, k)
		softmaxF32(probs[i], logits)
	})
	return probs
}

func softmaxF32(dst []float64, logits []float32) {
	for i, v := range logits {
		dst[i] = float64(v)
	}
	softmaxInPlace(dst)
}

// combine turns the CNN's probabilities of one image and its style statistics into the final
// probabilities (dst, in place over cnn allowed).
func (h *statsHead) combine(dst, cnn []float64, statsRow []float64) {
	sl := h.reg.logits(statsRow)
	for c := range dst {
		dst[c] = h.scale * (h.a*sl[c] + h.b*math.Log(math.Max(cnn[c], 1e-9)))
	}
	softmaxInPlace(dst)
}

func imagesOf(ex []Example) []image.Image {
	out := make([]image.Image, len(ex))
	for i, e := range ex {
		out[i] = e.Image
	}
	return out
}

// Checkpoint tensors of the statistics head (float32): "stats.mean" and "stats.std" (statsLen), the
// standardisation; "stats.weight" (statsLen, styles) and "stats.bias" (styles), the regression;
// "stats.joint" (3): a, b and scale.
func (h *statsHead) tensors() map[string]nn.Tensor {
	if h.saved != nil {
		return h.saved
	}
	f32 := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	r := h.reg
	return map[string]nn.Tensor{
		"stats.mean":   {Shape: []int{r.dim}, Data: f32(r.mean)},
		"stats.std":    {Shape: []int{r.dim}, Data: f32(r.std)},
		"stats.weight": {Shape: []int{r.dim, r.classes}, Data: f32(r.w)},
		"stats.bias":   {Shape: []int{r.classes}, Data: f32(r.b)},
		"stats.joint":  {Shape: []int{3}, Data: f32([]float64{h.a, h.b, h.scale})},
	}
}

// newStatsHead is an empty head whose tensors Load fills before calling load.
func newStatsHead(classes int) *statsHead {
	h := &statsHead{}
	h.saved = map[string]nn.Tensor{
		"stats.mean":   {Shape: []int{statsLen}, Data: make([]float32, statsLen)},
		"stats.std":    {Shape: []int{statsLen}, Data: make([]float32, statsLen)},
		"stats.weight": {Shape: []int{statsLen, classes}, Data: make([]float32, statsLen*classes)},
		"stats.bias":   {Shape: []int{classes}, Data: make([]float32, classes)},
		"stats.joint":  {Shape: []int{3}, Data: make([]float32, 3)},
	}
	return h
}

// load builds the regression from the filled tensors, checking the values can be used.
func (h *statsHead) load() error {
	f64 := func(v []float32) ([]float64, error) {
		out := make([]float64, len(v))
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, errors.New("its style statistics hold a non-finite number")
			}
			out[i] = float64(x)
		}
		return out, nil
	}
	var err error
	get := func(name string) []float64 {
		if err != nil {
			return nil
		}
		var v []float64
		v, err = f64(h.saved[name].Data)
		return v
	}
	classes := h.saved["stats.bias"].Shape[0]
	r := &softmaxReg{dim: statsLen, classes: classes, mean: get("stats.mean"), std: get("stats.std"),
		w: get("stats.weight"), b: get("stats.bias")}
	joint := get("stats.joint")
	if err != nil {
		return err
	}
	for _, s := range r.std {
		if s <= 0 {
			return errors.New("its style statistics have a non-positive standard deviation")
		}
	}
	h.reg, h.a, h.b, h.scale = r, joint[0], joint[1], joint[2]
	h.saved = nil
	return nil
}

// EnsembleInfo describes how a model joins its CNN and its style statistics (see statsHead).
type EnsembleInfo struct {
	Stats       bool    `json:"stats"`                        // false for a CNN alone (a file from before the statistics)
	CNNWeight   float64 `json:"cnn_weight"`                   // b: the CNN's log-probabilities' weight
	StatsWeight float64 `json:"stats_weight"`                 // a: the statistics model's logits' weight
	Scale       float64 `json:"scale"`                        // the final inverse temperature
	Calibration int     `json:"calibration_images"`           // training images the weights were fitted on
	StatsLambda float64 `json:"stats_lambda,omitempty"`       // the L2 strength cross-validation chose
	StatsOOFAcc float64 `json:"stats_oof_accuracy,omitempty"` // the statistics model's cross-validated training accuracy
}

// Ensemble reports how the model joins its parts (zero weights but Stats false for a CNN alone).
func (m *Model) Ensemble() EnsembleInfo {
	if m.stats == nil {
		return EnsembleInfo{CNNWeight: 1, Scale: 1}
	}
	h := m.stats
	return EnsembleInfo{Stats: true, CNNWeight: h.b, StatsWeight: h.a, Scale: h.scale, Calibration: h.calibration,
		StatsLambda: h.statsLambda, StatsOOFAcc: h.outOfFoldAcc}
}

// roundToFloat32 rounds every parameter to the float32 a checkpoint stores, so a saved and loaded
// model predicts exactly as the trained one.
func (h *statsHead) roundToFloat32() {
	r := func(v []float64) {
		for i, x := range v {
			v[i] = float64(float32(x))
		}
	}
	r(h.reg.mean)
	r(h.reg.std)
	r(h.reg.w)
	r(h.reg.b)
	h.a, h.b, h.scale = float64(float32(h.a)), float64(float32(h.b)), float64(float32(h.scale))
}
