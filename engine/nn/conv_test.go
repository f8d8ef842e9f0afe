package nn

import (
	"math/rand/v2"
	"testing"
)

// naiveConv is the textbook definition the fast path must match.
func naiveConv(g convGeom, x, w []float32) []float32 {
	oh, ow := g.outH(), g.outW()
	y := make([]float32, g.o*oh*ow)
	for o := 0; o < g.o; o++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				var s float32
				for c := 0; c < g.c; c++ {
					for ki := 0; ki < g.k; ki++ {
						for kj := 0; kj < g.k; kj++ {
							iy, ix := i*g.stride-g.pad+ki, j*g.stride-g.pad+kj
							if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
								s += x[(c*g.h+iy)*g.w+ix] * w[((o*g.c+c)*g.k+ki)*g.k+kj]
							}
						}
					}
				}
				y[(o*oh+i)*ow+j] = s
			}
		}
	}
	return y
}

func TestConvKernelsMatchDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	for _, g := range []convGeom{
		{c: 2, h: 9, w: 7, o: 3, k: 3, stride: 1, pad: 1},
		{c: 3, h: 8, w: 8, o: 2, k: 4, stride: 2, pad: 1},
		{c: 2, h: 10, w: 6, o: 2, k: 7, stride: 1, pad: 3},
		{c: 1, h: 4, w: 4, o: 2, k: 4, stride: 1, pad: 0},
		{c: 2, h: 7, w: 9, o: 1, k: 3, stride: 2, pad: 0},
	} {
		x, w := rnd(g.inSize()), rnd(g.o*g.rows())
		y := make([]float32, g.o*g.cols())
		convForward(g, 1, y, x, w)
		want := naiveConv(g, x, w)
		for i := range y {
			if d := y[i] - want[i]; d > 1e-4 || d < -1e-4 {
				t.Fatalf("%v: y[%d] = %g, want %g", g, i, y[i], want[i])
			}
		}
		// Adjoint check for col2im: <im2col(x), c> == <x, col2im(c)>.
		col := make([]float32, g.rows()*g.cols())
		g.im2col(col, x)
		cvec := rnd(len(col))
		back := make([]float32, len(x))
		g.col2im(back, cvec)
		var lhs, rhs float64
		for i := range col {
			lhs += float64(col[i]) * float64(cvec[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(back[i])
		}
		if d := lhs - rhs; d > 1e-3 || d < -1e-3 {
			t.Fatalf("%v: col2im is not the adjoint of im2col: %g vs %g", g, lhs, rhs)
		}
	}
}
