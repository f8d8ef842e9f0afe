package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConv2DMatchesGraph checks the pure-Go convolution and folded batch norm against a gorgonia
// ConvBNReLU block in training mode (batch statistics) on random data, for a few shapes.
func TestConv2DMatchesGraph(t *testing.T) {
	for _, tc := range []struct{ n, c, h, w, out, k, stride int }{
		{2, 3, 9, 9, 4, 3, 1},
		{3, 2, 10, 8, 5, 3, 2},
		{2, 3, 12, 12, 3, 5, 2},
	} {
		rng := rand.New(rand.NewPCG(uint64(tc.k), uint64(tc.stride)))
		x := make([]float32, tc.n*tc.c*tc.h*tc.w)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		weight := Tensor{Shape: []int{tc.out, tc.c, tc.k, tc.k}, Data: HeNormal(rng, tc.c*tc.k*tc.k, tc.out*tc.c*tc.k*tc.k)}
		gamma, beta := make([]float32, tc.out), make([]float32, tc.out)
		for i := range gamma {
			gamma[i] = 0.5 + rng.Float32()
			beta[i] = rng.Float32() - 0.5
		}

		g := gorgonia.NewGraph()
		xn, xd := Input(g, "x", tc.n, tc.c, tc.h, tc.w)
		copy(xd, x)
		blk := &ConvBNReLU{
			Weight: Param(g, "w", weight),
			Gamma:  Param(g, "gamma", Tensor{Shape: []int{1, tc.out, 1, 1}, Data: gamma}),
			Beta:   Param(g, "beta", Tensor{Shape: []int{1, tc.out, 1, 1}, Data: beta}),
			Stride: tc.stride,
		}
		y, err := blk.Apply(xn)
		if err != nil {
			t.Fatal(err)
		}
		var yv gorgonia.Value
		gorgonia.Read(y, &yv)
		vm := gorgonia.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		_ = vm.Close()
		want := yv.Data().([]float32)

		// Pure Go: convolve each image, gather batch statistics, fold, ReLU.
		in := tc.c * tc.h * tc.w
		var convs [][]float32
		stats := NewChannelStats(tc.out)
		var oh, ow int
		for i := 0; i < tc.n; i++ {
			var out []float32
			out, _, oh, ow = Conv2D(nil, nil, x[i*in:(i+1)*in], tc.c, tc.h, tc.w, weight, tc.stride)
			stats.Add(out)
			convs = append(convs, out)
		}
		if oh != ConvOut(tc.h, tc.k, tc.stride) || ow != ConvOut(tc.w, tc.k, tc.stride) {
			t.Fatalf("output %dx%d", oh, ow)
		}
		if got := tensor.Shape(y.Shape()); !got.Eq(tensor.Shape{tc.n, tc.out, oh, ow}) {
			t.Fatalf("graph output shape %v, pure Go %dx%dx%dx%d", got, tc.n, tc.out, oh, ow)
		}
		mean, variance := stats.MeanVar()
		scale, shift := BNScaleShift(gamma, beta, mean, variance)
		for i, out := range convs {
			ScaleShiftReLU(out, scale, shift)
			for j, v := range out {
				w := want[i*len(out)+j]
				if math.Abs(float64(v-w)) > 1e-4*(1+math.Abs(float64(w))) {
					t.Fatalf("%+v: image %d value %d: pure Go %v, graph %v", tc, i, j, v, w)
				}
			}
		}
	}
}

func TestAdamMinimisesQuadratic(t *testing.T) {
	g := gorgonia.NewGraph()
	w := Param(g, "w", Tensor{Shape: []int{3}, Data: []float32{5, -3, 1}})
	target := gorgonia.NewConstant(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{1, 2, 3})))
	diff := gorgonia.Must(gorgonia.Sub(w, target))
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(diff))))
	if _, err := gorgonia.Grad(loss, w); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	opt := NewAdam([]*gorgonia.Node{w}, []bool{false}, 0)
	for step := 0; step < 400; step++ {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(CosineLR(0.1, step, 10, 400, 0.01)); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
	}
	got := w.Value().Data().([]float32)
	for i, want := range []float32{1, 2, 3} {
		if math.Abs(float64(got[i]-want)) > 1e-2 {
			t.Fatalf("w = %v, want [1 2 3]", got)
		}
	}
	if opt.Steps() != 400 {
		t.Errorf("Steps() = %d", opt.Steps())
	}
}

func TestCosineLR(t *testing.T) {
	if lr := CosineLR(1, 0, 10, 100, 0.1); math.Abs(lr-0.1) > 1e-12 {
		t.Errorf("first warm-up step = %v, want 0.1", lr)
	}
	if lr := CosineLR(1, 10, 10, 100, 0.1); math.Abs(lr-1) > 1e-12 {
		t.Errorf("end of warm-up = %v, want 1", lr)
	}
	if lr := CosineLR(1, 100, 10, 100, 0.1); math.Abs(lr-0.1) > 1e-12 {
		t.Errorf("last = %v, want the floor 0.1", lr)
	}
	prev := math.Inf(1)
	for s := 10; s <= 100; s++ {
		lr := CosineLR(1, s, 10, 100, 0.1)
		if lr > prev {
			t.Fatalf("not decreasing at step %d", s)
		}
		prev = lr
	}
}

func TestHeNormalIsSeededAndScaled(t *testing.T) {
	a := HeNormal(rand.New(rand.NewPCG(1, 2)), 50, 20000)
	b := HeNormal(rand.New(rand.NewPCG(1, 2)), 50, 20000)
	var s2 float64
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different weights")
		}
		s2 += float64(a[i]) * float64(a[i])
	}
	if std := math.Sqrt(s2 / float64(len(a))); math.Abs(std-math.Sqrt(2.0/50)) > 0.01 {
		t.Errorf("std = %v, want %v", std, math.Sqrt(2.0/50))
	}
}

func TestPoolingLinearSoftmax(t *testing.T) {
	x := []float32{1, 2, 3, 4, -1, -2, -3, 6} // 2 channels of 4
	avg, mx := make([]float32, 2), make([]float32, 2)
	GlobalAvgPool(avg, x, 2)
	GlobalMaxPool(mx, x, 2)
	if avg[0] != 2.5 || avg[1] != 0 || mx[0] != 4 || mx[1] != 6 {
		t.Errorf("avg %v max %v", avg, mx)
	}
	out := make([]float32, 3)
	Linear(out, []float32{1, 2}, Tensor{Shape: []int{2, 3}, Data: []float32{1, 0, -1, 2, 1, 0}},
		Tensor{Shape: []int{3}, Data: []float32{0.5, 0, 0}})
	if out[0] != 5.5 || out[1] != 2 || out[2] != -1 {
		t.Errorf("linear = %v", out)
	}
	p := make([]float64, 3)
	Softmax(p, []float32{1000, 1000, -1000})
	if math.Abs(p[0]-0.5) > 1e-12 || math.Abs(p[1]-0.5) > 1e-12 || p[2] != 0 {
		t.Errorf("softmax = %v", p)
	}
}
