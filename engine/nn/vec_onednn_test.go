//go:build onednn

package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The C kernels the oneDNN build runs (the norm on nChw16c activations, the leaky ReLU) give the Go
// loops' values bit for bit.
func TestVectorKernelsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 4))
	const c, hw = 32, 37
	r := func(n int) []float32 { return normals(rng, n) }
	x, dy := r(c*hw), r(c*hw)
	same := func(what string, a, b []float32) {
		t.Helper()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s[%d]: C %v, Go %v", what, i, a[i], b[i])
			}
		}
	}
	m1, i1, m2, i2 := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	blkStatsSample(x, hw, m1, i1)
	goBlkStatsSample(x, hw, m2, i2)
	same("mean", m1, m2)
	same("inv", i1, i2)
	sc, sh := r(c), r(c)
	for _, relu := range []bool{false, true} {
		y1, y2 := make([]float32, c*hw), make([]float32, c*hw)
		blkApplySample(y1, x, hw, sc, sh, relu)
		goBlkApplySample(y2, x, hw, sc, sh, relu)
		same("apply", y1, y2)
	}
	s1, t1, s2, t2 := make([]float64, c), make([]float64, c), make([]float64, c), make([]float64, c)
	blkSumsSample(x, dy, hw, m1, i1, s1, t1)
	goBlkSumsSample(x, dy, hw, m1, i1, s2, t2)
	for i := range s1 {
		if s1[i] != s2[i] || t1[i] != t2[i] {
			t.Fatalf("sums[%d]: C %v %v, Go %v %v", i, s1[i], t1[i], s2[i], t2[i])
		}
	}
	k1, k2, gc := r(c), r(c), r(c)
	d1, d2 := make([]float32, c*hw), make([]float32, c*hw)
	blkInputGradSample(d1, x, dy, hw, k1, k2, m1, i1, gc)
	goBlkInputGradSample(d2, x, dy, hw, k1, k2, m1, i1, gc)
	same("input gradient", d1, d2)
	v := append(r(100), 0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1)))
	for _, slope := range []float32{0, 0.01} {
		o1, o2 := make([]float32, len(v)), make([]float32, len(v))
		leakyInto(o1, v, dy[:len(v)], slope)
		goLeakyInto(o2, v, dy[:len(v)], slope)
		same("leaky", o1, o2)
	}
}
