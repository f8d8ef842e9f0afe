package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
)

// The fused norm + ReLU ops give the same output and the same gradients of x, gamma and beta, bit for
// bit, as the norm op followed by the ReLU op (the GAN's exact resume and its PyTorch parity rest on it).
func TestNormReLUFusedEqualsSeparate(t *testing.T) {
	for _, batch := range []bool{false, true} {
		s := [4]int{3, 4, 5, 6}
		rng := rand.New(rand.NewPCG(7, 11))
		n := s[0] * s[1] * s[2] * s[3]
		x, w, gamma, beta := normTestData(rng, s, 0.3)
		run := func(fused bool) [][]float32 {
			g := gorgonia.NewGraph()
			xn, xd := Input(g, "x", s[0], s[1], s[2], s[3])
			copy(xd, x)
			wn, wd := Input(g, "w", s[0], s[1], s[2], s[3])
			copy(wd, w)
			gn := Param(g, "gamma", Tensor{Shape: []int{s[1]}, Data: append([]float32(nil), gamma...)})
			bn := Param(g, "beta", Tensor{Shape: []int{s[1]}, Data: append([]float32(nil), beta...)})
			var out *gorgonia.Node
			var err error
			switch {
			case fused && batch:
				out, err = BatchNormReLU(xn, gn, bn)
			case fused:
				out, err = InstanceNormReLU(xn, gn, bn)
			case batch:
				out, err = BatchNorm(xn, gn, bn)
			default:
				out, err = InstanceNorm(xn, gn, bn)
			}
			if err == nil && !fused {
				out, err = ReLU(out)
			}
			if err != nil {
				t.Fatal(err)
			}
			y, grads := runWeightedSum(t, out, wn, []*gorgonia.Node{xn, gn, bn})
			res := append([][]float32{y}, grads...)
			return res
		}
		want, got := run(false), run(true)
		zeros := 0
		for _, v := range want[0] {
			if v == 0 {
				zeros++
			}
		}
		if zeros == 0 || zeros == n {
			t.Fatalf("batch %v: the ReLU clipped %d of %d values; the test needs some of each", batch, zeros, n)
		}
		for k, name := range []string{"output", "dx", "dgamma", "dbeta"} {
			for i := range want[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
					t.Fatalf("batch %v: %s[%d] fused %v, separate %v", batch, name, i, got[k][i], want[k][i])
				}
			}
		}
	}
}
