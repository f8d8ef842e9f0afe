package style

import (
	"context"
	"image"
	"math"
)

// statsLambdas are the L2 strengths cross-validation chooses from (per standardised feature).
var statsLambdas = []float64{1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1}

const (
	statsFolds = 5
	statsIters = 300
)

// statsFeatureRows computes the style statistics of every image, spread over the cores.
func statsFeatureRows(imgs []image.Image) [][]float64 {
	out := make([][]float64, len(imgs))
	parallel(len(imgs), func(i int, _ *scratch) {
		f := statsFeatures(imgs[i])
		row := make([]float64, len(f))
		for j, v := range f {
			row[j] = float64(v)
		}
		out[i] = row
	})
	return out
}

// trainStats fits the style-statistics model: it chooses the L2 strength by stratified k-fold
// cross-validation on the training set alone, then refits on all of it. It also returns the
// out-of-fold logits at the chosen strength (one row per example), which calibrate the ensemble.
func trainStats(ctx context.Context, feats [][]float64, y []int, classes int) (*softmaxReg, [][]float64, error) {
	k := min(statsFolds, minClassCount(y, classes))
	folds := foldsOf(y, classes, max(k, 2))
	nf := max(k, 2)
	// Every (strength, fold) fit is independent: run them across the cores, each writing its own
	// out-of-fold rows, so the result does not depend on scheduling.
	oofs := make([][][]float64, len(statsLambdas))
	for li := range oofs {
		oofs[li] = make([][]float64, len(feats))
	}
	parallel(len(statsLambdas)*nf, func(job int, _ *scratch) {
		li, f := job/nf, job%nf
		if ctx.Err() != nil {
			return
		}
		var trX [][]float64
		var trY []int
		var te []int
		for i := range feats {
			if folds[i] == f {
				te = append(te, i)
			} else {
				trX = append(trX, feats[i])
				trY = append(trY, y[i])
			}
		}
		mean, std := standardizer(trX)
		w, b := fitSoftmaxReg(standardize(trX, mean, std), trY, classes, statsLambdas[li], statsIters)
		for _, i := range te {
			z := standardize([][]float64{feats[i]}, mean, std)[0]
			oofs[li][i] = make([]float64, classes)
			regLogits(oofs[li][i], z, w, b)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	best, bestLoss := statsLambdas[0], math.Inf(1)
	var bestOOF [][]float64
	for li, lambda := range statsLambdas {
		if l := nll(oofs[li], y, 1); l < bestLoss {
			best, bestLoss, bestOOF = lambda, l, oofs[li]
		}
	}
	mean, std := standardizer(feats)
	w, b := fitSoftmaxReg(standardize(feats, mean, std), y, classes, best, statsIters)
	return &softmaxReg{dim: len(feats[0]), classes: classes, mean: mean, std: std, w: w, b: b, lambda: best}, bestOOF, nil
}

func (r *softmaxReg) logits(x []float64) []float64 {
	z := make([]float64, len(x))
	for j, v := range x {
		z[j] = (v - r.mean[j]) / r.std[j]
	}
	out := make([]float64, r.classes)
	regLogits(out, z, r.w, r.b)
	return out
}

func minClassCount(y []int, classes int) int {
	c := make([]int, classes)
	for _, v := range y {
		c[v]++
	}
	m := len(y)
	for _, v := range c {
		m = min(m, v)
	}
	return m
}
