package gan

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Counterparts are found by object and style; an example is its own counterpart in its own style, and
// an example without an object has none, not even itself.
func TestPairTable(t *testing.T) {
	train := []Example{
		{Style: 0, Object: "ace"}, {Style: 1, Object: "ace"}, {Style: 1, Object: "ace"}, // a second "ace" in style 1
		{Style: 2, Object: "king"}, {Style: 0}, {Style: 2, Object: "ace"},
	}
	got := pairTable(train, 3)
	want := [][]int{{0, 1, 5}, {0, 1, 5}, {0, 2, 5}, {-1, -1, 3}, {-1, -1, -1}, {0, 1, 5}}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("example %d: counterparts %v, want %v", i, got[i], want[i])
		}
	}
}

// The paired loss adds LambdaPair · mean |G(x, t) − y| over the paired samples, and nothing for a
// sample without a counterpart.
func TestPairedLossIsTheMeanOverPairedSamples(t *testing.T) {
	const styles = 3
	base := Config{Size: 16, GenWidth: 4, DiscWidth: 4, ResBlocks: 1, BatchSize: 3}.WithDefaults()
	rng := rand.New(rand.NewPCG(3, 3))
	p := newParams(base, styles, rng)
	b, per := base.BatchSize, 3*base.Size*base.Size
	x, y := make([]float32, b*per), make([]float32, b*per)
	for i := range x {
		x[i], y[i] = float32(rng.Float64()*2-1), float32(rng.Float64()*2-1)
	}
	org, trg := []int{0, 1, 2}, []int{2, 0, 1}
	paired := []bool{true, false, true}
	total := func(cfg Config) (float64, []float32) {
		st, err := newStepper(cfg, styles, b, p.clone())
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		st.fillInputs(x, org, trg)
		st.setPairs(y, paired)
		if err := st.gvm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return st.gs.losses[3].Scalar(), append([]float32(nil), st.gs.fake.Data...)
	}
	without, fake := total(base)
	withPair := base
	withPair.LambdaPair = 4
	with, _ := total(withPair)
	var sum float64
	for s := range b {
		if !paired[s] {
			continue
		}
		for i := s * per; i < (s+1)*per; i++ {
			sum += math.Abs(float64(fake[i] - y[i]))
		}
	}
	want := without + 4*sum/float64(2*per)
	if math.Abs(with-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Errorf("generator loss with the paired loss %.6f, want %.6f (without it %.6f)", with, want, without)
	}
}
