package style

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// softmaxReg is a multinomial logistic regression over standardised features: logits = ((x−mean)/std)·W + b,
// divided by a temperature fitted on out-of-fold predictions so its probabilities are calibrated.
type softmaxReg struct {
	dim, classes int
	mean, std    []float64 // per feature
	w            []float64 // dim×classes, row-major by feature
	b            []float64 // classes
	lambda       float64   // the L2 strength chosen by cross-validation
}

// standardizer returns the per-feature mean and standard deviation of xs (std floored so constant
// features stay zero).
func standardizer(xs [][]float64) (mean, std []float64) {
	d := len(xs[0])
	mean, std = make([]float64, d), make([]float64, d)
	for _, x := range xs {
		for j, v := range x {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(len(xs))
	}
	for _, x := range xs {
		for j, v := range x {
			std[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j]/float64(len(xs))) + 1e-3
	}
	return mean, std
}

func standardize(xs [][]float64, mean, std []float64) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		z := make([]float64, len(x))
		for j, v := range x {
			z[j] = (v - mean[j]) / std[j]
		}
		out[i] = z
	}
	return out
}

// fitSoftmaxReg fits W and b on standardised rows z with labels y by Nesterov-accelerated gradient
// descent on the mean cross-entropy plus lambda/2·|W|². The problem is convex and the step is 1/L for
// the loss's Lipschitz bound, so the result depends only on the data (no random draws).
func fitSoftmaxReg(z [][]float64, y []int, classes int, lambda float64, iters int) (w, b []float64) {
	n, d := len(z), len(z[0])
	// L ≤ ½·λmax(ZᵀZ/n) + λ; λmax by power iteration.
	v := make([]float64, d)
	for j := range v {
		v[j] = 1 / math.Sqrt(float64(d))
	}
	var top float64
	for it := 0; it < 20; it++ {
		nv := make([]float64, d)
		for _, x := range z {
			var dot float64
			for j, xv := range x {
				dot += xv * v[j]
			}
			for j, xv := range x {
				nv[j] += dot * xv / float64(n)
			}
		}
		var norm float64
		for _, t := range nv {
			norm += t * t
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			break
		}
		top = norm
		for j := range v {
			v[j] = nv[j] / norm
		}
	}
	step := 1 / (0.5*(top+1) + lambda) // +1: the bias column
	k := classes
	// The rows as one n×d matrix: the logits of every row and the gradient are two matrix products a
	// step (BLAS), which took the fit from a sixth of `classify`'s CPU time to a small part of it.
	zm := blas64.General{Rows: n, Cols: d, Stride: d, Data: make([]float64, n*d)}
	for i, x := range z {
		copy(zm.Data[i*d:(i+1)*d], x)
	}
	w, b = make([]float64, d*k), make([]float64, k)
	pw, pb := make([]float64, d*k), make([]float64, k) // previous iterate
	gb := make([]float64, k)
	yw, yb := make([]float64, d*k), make([]float64, k) // look-ahead point
	ywm := blas64.General{Rows: d, Cols: k, Stride: k, Data: yw}
	gwm := blas64.General{Rows: d, Cols: k, Stride: k, Data: make([]float64, d*k)}
	pm := blas64.General{Rows: n, Cols: k, Stride: k, Data: make([]float64, n*k)}
	for it := 0; it < iters; it++ {
		mom := float64(it) / float64(it+3)
		for j := range w {
			yw[j] = w[j] + mom*(w[j]-pw[j])
		}
		for c := range b {
			yb[c] = b[c] + mom*(b[c]-pb[c])
		}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, zm, ywm, 0, pm)
		clear(gb)
		for i := 0; i < n; i++ {
			p := pm.Data[i*k : (i+1)*k]
			for c := range p {
				p[c] += yb[c]
			}
			softmaxInPlace(p)
			p[y[i]]--
			for c, v := range p {
				gb[c] += v
			}
		}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, zm, pm, 0, gwm)
		copy(pw, w)
		copy(pb, b)
		for j := range w {
			w[j] = yw[j] - step*(gwm.Data[j]/float64(n)+lambda*yw[j])
		}
		for c := range b {
			b[c] = yb[c] - step*gb[c]/float64(n)
		}
	}
	return w, b
}

// regLogits writes the logits of one standardised row.
func regLogits(dst, z, w, b []float64) {
	k := len(b)
	copy(dst, b)
	for j, xv := range z {
		row := w[j*k : j*k+k]
		for c := range dst {
			dst[c] += xv * row[c]
		}
	}
}

func softmaxInPlace(v []float64) {
	mx := v[0]
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	var s float64
	for i, x := range v {
		v[i] = math.Exp(x - mx)
		s += v[i]
	}
	for i := range v {
		v[i] /= s
	}
}

// foldOf assigns example i to one of k folds, stratified: the examples of each class are dealt to the
// folds in turn, in their order.
func foldsOf(y []int, classes, k int) []int {
	seen := make([]int, classes)
	f := make([]int, len(y))
	for i, c := range y {
		f[i] = seen[c] % k
		seen[c]++
	}
	return f
}

// nll is the mean negative log-likelihood of labels y under logits/temp.
func nll(logits [][]float64, y []int, temp float64) float64 {
	var s float64
	p := make([]float64, len(logits[0]))
	for i, l := range logits {
		for c := range p {
			p[c] = l[c] / temp
		}
		softmaxInPlace(p)
		s -= math.Log(math.Max(p[y[i]], 1e-12))
	}
	return s / float64(len(logits))
}

// fitTemperature returns the temperature in [0.05, 20] that minimises the NLL of held-out logits
// (a golden-section search on log T: the NLL is unimodal in it).
func fitTemperature(logits [][]float64, y []int) float64 {
	return fitTemperatureIn(logits, y, 0.05, 20)
}

// fitTemperatureIn is fitTemperature within [minT, maxT].
func fitTemperatureIn(logits [][]float64, y []int, minT, maxT float64) float64 {
	lo, hi := math.Log(minT), math.Log(maxT)
	phi := (math.Sqrt(5) - 1) / 2
	a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
	fa, fb := nll(logits, y, math.Exp(a)), nll(logits, y, math.Exp(b))
	for it := 0; it < 60; it++ {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - phi*(hi-lo)
			fa = nll(logits, y, math.Exp(a))
		} else {
			lo, a, fa = a, b, fb
			b = lo + phi*(hi-lo)
			fb = nll(logits, y, math.Exp(b))
		}
	}
	return math.Exp((lo + hi) / 2)
}
