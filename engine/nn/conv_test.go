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

// normals returns n draws from N(0, 1).
func normals(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func TestConvKernelsMatchDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	rnd := func(n int) []float32 { return normals(rng, n) }
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

// TestConvBackendMatchesGEMM checks the build's convolution backend (oneDNN with the `onednn` tag)
// against the definition (forward) and the im2col + GEMM kernels (both gradients), on a batch, for
// the shapes the GAN uses: 7×7 stem, stride-2 4×4 down, 3×3 same, 4×4 stride-2 discriminator, and a
// full-size kernel head.
func TestConvBackendMatchesGEMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	rnd := func(n int) []float32 { return normals(rng, n) }
	const batch = 3
	for _, g := range []convGeom{
		{c: 9, h: 16, w: 16, o: 16, k: 7, stride: 1, pad: 3},
		{c: 16, h: 16, w: 16, o: 32, k: 4, stride: 2, pad: 1},
		{c: 32, h: 8, w: 8, o: 32, k: 3, stride: 1, pad: 1},
		{c: 3, h: 16, w: 16, o: 32, k: 4, stride: 2, pad: 1},
		{c: 64, h: 4, w: 4, o: 6, k: 4, stride: 1, pad: 0},
		{c: 16, h: 9, w: 9, o: 3, k: 3, stride: 2, pad: 1},
		{c: 32, h: 8, w: 8, o: 16, k: 3, stride: 1, pad: 1},
	} {
		x, w, dy := rnd(batch*g.inSize()), rnd(g.o*g.rows()), rnd(batch*g.o*g.cols())
		close := func(what string, got, want []float32) {
			t.Helper()
			for i := range want {
				if d := got[i] - want[i]; d > 1e-3 || d < -1e-3 {
					t.Fatalf("%s %v (%s): [%d] = %g, want %g", what, g, ConvBackend(), i, got[i], want[i])
				}
			}
		}
		y := make([]float32, len(dy))
		runConv(convFwd, g, convLayout{}, batch, y, x, w)
		for i := 0; i < batch; i++ {
			close("forward", y[i*g.o*g.cols():(i+1)*g.o*g.cols()], naiveConv(g, x[i*g.inSize():(i+1)*g.inSize()], w))
		}
		want, wantW := make([]float32, len(x)), make([]float32, len(w))
		gemmConv(convDInput, g, batch, want, w, dy)
		gemmConv(convDWeight, g, batch, wantW, x, dy)
		// Every layout the channel counts allow gives the same values (compared in NCHW).
		for _, lay := range []convLayout{{NCHW, NCHW}, {NChw16c, NCHW}, {NCHW, NChw16c}, {NChw16c, NChw16c}} {
			if !lay.in.fits(g.c) || !lay.out.fits(g.o) {
				continue
			}
			inHW, outHW := g.h*g.w, g.cols()
			xl, dyl := inLayout(x, batch, g.c, inHW, lay.in), inLayout(dy, batch, g.o, outHW, lay.out)
			yl := make([]float32, len(y))
			runConv(convFwd, g, lay, batch, yl, xl, w)
			close("forward"+lay.String(), asNCHW(yl, batch, g.o, outHW, lay.out), y)
			dx := make([]float32, len(x))
			runConv(convDInput, g, lay, batch, dx, w, dyl)
			close("input gradient"+lay.String(), asNCHW(dx, batch, g.c, inHW, lay.in), want)
			dw := make([]float32, len(w))
			runConv(convDWeight, g, lay, batch, dw, xl, dyl)
			close("weight gradient"+lay.String(), dw, wantW)
			// The GEMM fallback (a shape oneDNN has no jit kernel for) takes the same layouts.
			clear(dx)
			gemmConvLayout(convDInput, g, lay, batch, dx, w, dyl)
			close("GEMM input gradient"+lay.String(), asNCHW(dx, batch, g.c, inHW, lay.in), want)
		}
	}
	for shape, impl := range ConvImpls() {
		t.Logf("%s: %s", shape, impl)
	}
}

// inLayout returns a copy of the NCHW tensor t in layout l (asNCHW is the inverse).
func inLayout(t []float32, batch, c, hw int, l Layout) []float32 {
	out := make([]float32, len(t))
	place(out, t, batch, c, hw, l)
	return out
}

// TestBlockedLayoutRoundTrip checks that ToBlocked puts channel c of pixel j where nChw16c says, and
// ToPlain undoes it.
func TestBlockedLayoutRoundTrip(t *testing.T) {
	const batch, c, hw = 2, 32, 5
	src := make([]float32, batch*c*hw)
	for i := range src {
		src[i] = float32(i)
	}
	blk := make([]float32, len(src))
	ToBlocked(blk, src, batch, c, hw)
	for b := 0; b < batch; b++ {
		for ch := 0; ch < c; ch++ {
			for j := 0; j < hw; j++ {
				got := blk[((b*(c/Blk)+ch/Blk)*hw+j)*Blk+ch%Blk]
				if want := src[(b*c+ch)*hw+j]; got != want {
					t.Fatalf("sample %d channel %d pixel %d: %g, want %g", b, ch, j, got, want)
				}
			}
		}
	}
	back := make([]float32, len(src))
	ToPlain(back, blk, batch, c, hw)
	for i := range src {
		if back[i] != src[i] {
			t.Fatalf("[%d] = %g after the round trip, want %g", i, back[i], src[i])
		}
	}
}
