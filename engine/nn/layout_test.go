package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
)

// The instance norm (with and without its ReLU) and the upsampling give the same values and
// gradients on NChw16c activations as on NCHW ones, compared in NCHW: the GAN keeps its activations
// blocked where oneDNN runs its convolutions.
func TestNormAndUpsampleInBlockedLayout(t *testing.T) {
	s := [4]int{2, 32, 3, 5}
	hw := s[2] * s[3]
	rng := rand.New(rand.NewPCG(3, 9))
	x, _, gamma, beta := normTestData(rng, s, 0.3)
	w := normals(rng, 4*len(x)) // weights of the upsampled output
	for _, relu := range []bool{false, true} {
		for _, onlyBeta := range []bool{false, true} {
			run := func(lay Layout) [][]float32 {
				g := gorgonia.NewGraph()
				xn, xd := Input(g, "x", s[0], s[1], s[2], s[3])
				place(xd, x, s[0], s[1], hw, lay)
				wn, wd := Input(g, "w", s[0], s[1], 2*s[2], 2*s[3])
				place(wd, w, s[0], s[1], 4*hw, lay)
				gn := Param(g, "gamma", Tensor{Shape: []int{s[1]}, Data: append([]float32(nil), gamma...)})
				bn := Param(g, "beta", Tensor{Shape: []int{s[1]}, Data: append([]float32(nil), beta...)})
				norm, err := InstanceNormIn(xn, gn, bn, lay, relu)
				if err != nil {
					t.Fatal(err)
				}
				up, err := Upsample2xIn(norm, lay)
				if err != nil {
					t.Fatal(err)
				}
				wrt := []*gorgonia.Node{xn, gn, bn}
				if onlyBeta { // dbeta without the sums dx and dgamma share
					wrt = []*gorgonia.Node{bn}
				}
				y, grads := runWeightedSum(t, up, wn, wrt)
				res := [][]float32{asNCHW(y, s[0], s[1], 4*hw, lay)}
				for i, d := range grads {
					if wrt[i] == xn {
						d = asNCHW(d, s[0], s[1], hw, lay)
					}
					res = append(res, d)
				}
				return res
			}
			want, got := run(NCHW), run(NChw16c)
			names := []string{"output", "dx", "dgamma", "dbeta"}
			if onlyBeta {
				names = []string{"output", "dbeta"}
			}
			for k, name := range names {
				for i := range want[k] {
					if d := math.Abs(float64(got[k][i] - want[k][i])); d > 1e-5*(1+math.Abs(float64(want[k][i]))) {
						t.Fatalf("relu %v: %s[%d] blocked %v, NCHW %v", relu, name, i, got[k][i], want[k][i])
					}
				}
			}
		}
	}
	g := gorgonia.NewGraph()
	odd, _ := Input(g, "odd", 1, 24, 2, 2)
	if _, err := Upsample2xIn(odd, NChw16c); err == nil {
		t.Fatal("24 channels in nChw16c: no error")
	}
}

// runWeightedSum adds loss = Σ out·w to out's graph, its gradients with respect to wrt, runs the graph
// once and returns copies of out's value and of the gradients.
func runWeightedSum(t *testing.T, out, w *gorgonia.Node, wrt []*gorgonia.Node) (y []float32, grads [][]float32) {
	t.Helper()
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(out, w))))
	if _, err := gorgonia.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	var yv gorgonia.Value
	gorgonia.Read(out, &yv)
	vm := gorgonia.NewTapeMachine(out.Graph())
	defer func() { _ = vm.Close() }()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	for _, nd := range wrt {
		v, err := nd.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads = append(grads, append([]float32(nil), v.Data().([]float32)...))
	}
	return append([]float32(nil), yv.Data().([]float32)...), grads
}

// ConcatChannels gives gorgonia's Concat(1, …) values and gradients, bit for bit.
func TestConcatChannelsMatchesGorgonia(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	const b, ca, cb, h, w = 3, 2, 5, 4, 3
	a, c, wt := normals(rng, b*ca*h*w), normals(rng, b*cb*h*w), normals(rng, b*(ca+cb)*h*w)
	run := func(own bool) [][]float32 {
		g := gorgonia.NewGraph()
		wn, wd := Input(g, "w", b, ca+cb, h, w)
		copy(wd, wt)
		pa := Param(g, "pa", Tensor{Shape: []int{b, ca, h, w}, Data: append([]float32(nil), a...)})
		pc := Param(g, "pc", Tensor{Shape: []int{b, cb, h, w}, Data: append([]float32(nil), c...)})
		var out *gorgonia.Node
		var err error
		if own {
			out, err = ConcatChannels(pa, pc)
		} else {
			out, err = gorgonia.Concat(1, pa, pc)
		}
		if err != nil {
			t.Fatal(err)
		}
		y, grads := runWeightedSum(t, out, wn, []*gorgonia.Node{pa, pc})
		return append([][]float32{y}, grads...)
	}
	want, got := run(false), run(true)
	for k, name := range []string{"output", "da", "dc"} {
		if len(got[k]) != len(want[k]) {
			t.Fatalf("%s: %d values, want %d", name, len(got[k]), len(want[k]))
		}
		for i := range want[k] {
			if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
				t.Fatalf("%s[%d] = %v, gorgonia's %v", name, i, got[k][i], want[k][i])
			}
		}
	}
}
