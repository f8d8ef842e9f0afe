package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
)

// TestDiffAugmentBackwardIsTheTranspose checks ⟨T(x) − T(0), y⟩ = ⟨x, Tᵀ(y)⟩ for random x and y over many
// draws (T is affine; its gradient must be its linear part's transpose), and a forward value against
// the definition written out for one pixel.
func TestDiffAugmentBackwardIsTheTranspose(t *testing.T) {
	const batch, c, h, w = 4, 3, 16, 16
	n := batch * c * h * w
	rng := rand.New(rand.NewPCG(3, 4))
	a := NewAugDraws(batch, h)
	for trial := 0; trial < 50; trial++ {
		a.Draw(rng, h)
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			y[i] = float32(rng.NormFloat64())
		}
		tx, t0, ty := make([]float32, n), make([]float32, n), make([]float32, n)
		a.AugmentForward(tx, x, batch, c, h, w)
		a.AugmentForward(t0, make([]float32, n), batch, c, h, w)
		a.AugmentBackward(ty, y, batch, c, h, w)
		var lhs, rhs float64
		for i := range x {
			lhs += float64(tx[i]-t0[i]) * float64(y[i])
			rhs += float64(x[i]) * float64(ty[i])
		}
		if math.Abs(lhs-rhs) > 1e-3*(1+math.Abs(lhs)) {
			t.Fatalf("trial %d (draws %+v): <T x, y> = %v, <x, T' y> = %v", trial, *a, lhs, rhs)
		}
	}
	// One pixel by hand: no saturation or contrast change, brightness 0.25, shift (2, 1), cutout away.
	a.Bright[0], a.Sat[0], a.Contrast[0], a.TX[0], a.TY[0], a.CX[0], a.CY[0] = 0.25, 1, 1, 2, 1, -h, -h
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i%97) / 97
	}
	out := make([]float32, n)
	a.AugmentForward(out, x, batch, c, h, w)
	got, want := out[(1*h+5)*w+7], x[(1*h+4)*w+5]+0.25 // channel 1, row 5, column 7 ← row 4, column 5
	if math.Abs(float64(got-want)) > 1e-6 {
		t.Fatalf("shifted pixel %v, want %v", got, want)
	}
	if out[(0*h+0)*w+0] != 0 {
		t.Fatalf("the vacated corner is %v, want 0", out[0])
	}
	// A cutout over the whole first sample zeroes it.
	a.CX[0], a.CY[0], a.Cut = -1, -1, h+2
	a.AugmentForward(out, x, batch, c, h, w)
	for i := 0; i < c*h*w; i++ {
		if out[i] != 0 {
			t.Fatalf("pixel %d under the cutout is %v", i, out[i])
		}
	}
}

// TestDiffAugmentGraphGradient checks the op in a graph: the gradient of Σ v·T(x) with respect to x is
// Tᵀ(v), and two augmentations of one node with different draws stay two ops.
func TestDiffAugmentGraphGradient(t *testing.T) {
	const batch, c, h, w = 2, 3, 8, 8
	n := batch * c * h * w
	rng := rand.New(rand.NewPCG(5, 6))
	a1, a2 := NewAugDraws(batch, h), NewAugDraws(batch, h)
	a1.Draw(rng, h)
	a2.Draw(rng, h)
	g := gorgonia.NewGraph()
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	x := Param(g, "x", Tensor{Shape: []int{batch, c, h, w}, Data: make([]float32, n)})
	vn, vd := Input(g, "v", batch, c, h, w)
	copy(vd, v)
	t1, err := DiffAugment(x, a1)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := DiffAugment(x, a2)
	if err != nil {
		t.Fatal(err)
	}
	if t1 == t2 {
		t.Fatal("two augmentations with different draws were merged into one node")
	}
	sum := gorgonia.Must(gorgonia.Add(t1, t2))
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(sum, vn))))
	if _, err := gorgonia.Grad(loss, x); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer func() { _ = vm.Close() }()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	got := gv.Data().([]float32)
	w1, w2 := make([]float32, n), make([]float32, n)
	a1.AugmentBackward(w1, v, batch, c, h, w)
	a2.AugmentBackward(w2, v, batch, c, h, w)
	for i := range got {
		if want := w1[i] + w2[i]; math.Abs(float64(got[i]-want)) > 1e-5 {
			t.Fatalf("gradient[%d] %v, want %v", i, got[i], want)
		}
	}
}
