package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
)

// TestBatchNormMatchesGorgonia checks the batch-norm op against gorgonia's own BatchNorm in training
// mode (which it replaced in the classifier): the output and the gradients of x, gamma and beta of
// Σ w·BN(x) agree for a few shapes. Ours runs twice, on other data first: the statistics and sums its
// gradient ops share must be the current run's.
func TestBatchNormMatchesGorgonia(t *testing.T) {
	for _, s := range [][4]int{{2, 3, 4, 5}, {5, 4, 3, 3}, {1, 2, 6, 6}} {
		rng := rand.New(rand.NewPCG(uint64(s[0]), uint64(s[1])))
		x, w, gamma, beta := normTestData(rng, s, 1)
		run := func(ours bool) (y, dx, dg, db []float32) {
			g := gorgonia.NewGraph()
			xn, xd := Input(g, "x", s[0], s[1], s[2], s[3])
			copy(xd, x)
			wn, wd := Input(g, "w", s[0], s[1], s[2], s[3])
			copy(wd, w)
			gn := Param(g, "gamma", Tensor{Shape: []int{1, s[1], 1, 1}, Data: append([]float32(nil), gamma...)})
			bn := Param(g, "beta", Tensor{Shape: []int{1, s[1], 1, 1}, Data: append([]float32(nil), beta...)})
			var out *gorgonia.Node
			var err error
			if ours {
				out, err = BatchNorm(xn, gn, bn)
			} else {
				out, _, _, _, err = gorgonia.BatchNorm(xn, gn, bn, 0.1, BNEpsilon)
			}
			if err != nil {
				t.Fatal(err)
			}
			prod := gorgonia.Must(gorgonia.HadamardProd(out, wn))
			loss := gorgonia.Must(gorgonia.Sum(prod))
			if _, err := gorgonia.Grad(loss, xn, gn, bn); err != nil {
				t.Fatal(err)
			}
			var yv gorgonia.Value
			gorgonia.Read(out, &yv)
			vm := gorgonia.NewTapeMachine(g)
			defer func() { _ = vm.Close() }()
			if ours {
				for i := range xd {
					xd[i], wd[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				}
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				vm.Reset()
				copy(xd, x)
				copy(wd, w)
			}
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			grad := func(nd *gorgonia.Node) []float32 {
				v, err := nd.Grad()
				if err != nil {
					t.Fatal(err)
				}
				return append([]float32(nil), v.Data().([]float32)...)
			}
			return append([]float32(nil), yv.Data().([]float32)...), grad(xn), grad(gn), grad(bn)
		}
		y1, dx1, dg1, db1 := run(true)
		y0, dx0, dg0, db0 := run(false)
		for _, c := range []struct {
			name      string
			got, want []float32
		}{{"output", y1, y0}, {"dx", dx1, dx0}, {"dgamma", dg1, dg0}, {"dbeta", db1, db0}} {
			if len(c.got) != len(c.want) {
				t.Fatalf("%v %s: %d values, gorgonia %d", s, c.name, len(c.got), len(c.want))
			}
			for i := range c.got {
				if math.Abs(float64(c.got[i]-c.want[i])) > 1e-4*(1+math.Abs(float64(c.want[i]))) {
					t.Fatalf("%v %s[%d]: %v, gorgonia %v", s, c.name, i, c.got[i], c.want[i])
				}
			}
		}
	}
}

// normTestData draws a norm test's input x (shape s, mean shift), loss weights w and per-channel gamma
// and beta.
func normTestData(rng *rand.Rand, s [4]int, shift float64) (x, w, gamma, beta []float32) {
	n := s[0] * s[1] * s[2] * s[3]
	x, w = make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64()*2 + shift)
		w[i] = float32(rng.NormFloat64())
	}
	gamma, beta = make([]float32, s[1]), make([]float32, s[1])
	for c := range gamma {
		gamma[c] = 0.5 + rng.Float32()
		beta[c] = rng.Float32() - 0.5
	}
	return x, w, gamma, beta
}
