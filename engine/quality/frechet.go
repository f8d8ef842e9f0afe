package quality

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Frechet is the Fréchet distance between Gaussians fitted to two sets of feature vectors (the
// statistic behind FID):
//
//	|μa − μb|² + Tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½)
//
// with μ the mean and Σ the sample covariance (n − 1 denominator) of each set. Each set needs at
// least two vectors, all of one dimension shared by both sets, with finite values. Fewer vectors
// than dimensions is allowed: the covariances are then singular, which the symmetric square roots
// handle by treating round-off eigenvalues as zero.
func Frechet(a, b [][]float64) (float64, error) {
	dim, err := checkFeatures(a, b)
	if err != nil {
		return 0, err
	}
	muA, covA := gaussianFit(a, dim)
	muB, covB := gaussianFit(b, dim)

	var d2 float64
	for i := range muA {
		d := muA[i] - muB[i]
		d2 += d * d
	}

	rootA, err := sqrtSym(covA)
	if err != nil {
		return 0, err
	}
	// Σa^½ Σb Σa^½ is symmetric in exact arithmetic; symmetrise away the round-off so that the
	// symmetric eigensolver applies.
	var m mat.Dense
	m.Product(rootA, covB, rootA)
	sym := mat.NewSymDense(dim, nil)
	for i := 0; i < dim; i++ {
		for j := i; j < dim; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, errors.New("Frechet: the eigen-decomposition of the covariance product did not converge; check the features for extreme values")
	}
	// Tr(X^½) is the sum of the square roots of X's eigenvalues.
	var trRoot float64
	for _, v := range clampRoundOff(eig.Values(nil)) {
		trRoot += math.Sqrt(v)
	}
	dist := d2 + mat.Trace(covA) + mat.Trace(covB) - 2*trRoot
	return max(dist, 0), nil // round-off can leave identical sets a hair below zero
}

func checkFeatures(a, b [][]float64) (int, error) {
	if len(a) < 2 || len(b) < 2 {
		return 0, fmt.Errorf("Frechet: need at least 2 feature vectors in each set to fit a covariance, got %d and %d; evaluate more images", len(a), len(b))
	}
	dim := len(a[0])
	if dim == 0 {
		return 0, errors.New("Frechet: feature vectors are empty; extract at least one feature per image")
	}
	for s, set := range [][][]float64{a, b} {
		for i, v := range set {
			if len(v) != dim {
				return 0, fmt.Errorf("Frechet: set %d vector %d has %d features, but the first vector has %d; extract every vector with the same feature extractor",
					s+1, i, len(v), dim)
			}
			for j, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return 0, fmt.Errorf("Frechet: set %d vector %d feature %d is %v; fix the feature extractor (no NaN or infinite values)", s+1, i, j, x)
				}
			}
		}
	}
	return dim, nil
}

// gaussianFit returns the mean and the unbiased sample covariance of xs.
func gaussianFit(xs [][]float64, dim int) ([]float64, *mat.SymDense) {
	mu := make([]float64, dim)
	for _, v := range xs {
		for j, x := range v {
			mu[j] += x
		}
	}
	n := float64(len(xs))
	for j := range mu {
		mu[j] /= n
	}
	cov := mat.NewSymDense(dim, nil)
	c := make([]float64, dim)
	for _, v := range xs {
		for j, x := range v {
			c[j] = x - mu[j]
		}
		cov.SymRankOne(cov, 1/(n-1), mat.NewVecDense(dim, c))
	}
	return mu, cov
}

// sqrtSym is the symmetric positive semi-definite square root V diag(√λ) Vᵀ of a covariance.
func sqrtSym(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, errors.New("Frechet: the eigen-decomposition of a covariance did not converge; check the features for extreme values")
	}
	vals := clampRoundOff(eig.Values(nil))
	var v mat.Dense
	eig.VectorsTo(&v)
	n := len(vals)
	scaled := mat.NewDense(n, n, nil)
	for j, l := range vals {
		r := math.Sqrt(l)
		for i := 0; i < n; i++ {
			scaled.Set(i, j, v.At(i, j)*r)
		}
	}
	var root mat.Dense
	root.Mul(scaled, v.T())
	return &root, nil
}

// clampRoundOff zeroes eigenvalues (ascending, of a positive semi-definite matrix) that are
// negative or below the numerical-rank cutoff n·ε·λmax: they are round-off, and a square root
// would blow 1e-15 up to 3e-8 per null dimension.
func clampRoundOff(vals []float64) []float64 {
	if len(vals) == 0 {
		return vals
	}
	cut := float64(len(vals)) * 0x1p-52 * math.Abs(vals[len(vals)-1])
	for i, v := range vals {
		if v <= cut {
			vals[i] = 0
		}
	}
	return vals
}
