package gan

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Counterparts are found by object and style; an example is its own counterpart in its own style, and
// an example without an object, or whose object is drawn in one style only, has none, not even itself.
func TestPairTable(t *testing.T) {
	train := []Example{
		{Style: 0, Object: "ace"}, {Style: 1, Object: "ace"}, {Style: 1, Object: "ace"}, // a second "ace" in style 1
		{Style: 2, Object: "king"}, {Style: 0}, {Style: 2, Object: "ace"}, {Style: 2, Object: "king"},
	}
	got := pairTable(train, 3)
	// "king" is drawn in style 2 only (twice): no counterpart, not even itself.
	want := [][]int{{0, 1, 5}, {0, 1, 5}, {0, 2, 5}, {-1, -1, -1}, {-1, -1, -1}, {0, 1, 5}, {-1, -1, -1}}
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

// A paired-loss weight that is not a finite number of 0 or more is refused before anything trains.
func TestConfigRefusesNonFinitePairWeight(t *testing.T) {
	for _, w := range []float64{math.NaN(), math.Inf(1), -1} {
		cfg := DefaultConfig()
		cfg.LambdaPair = w
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("LambdaPair %v: %v, want ErrConfig", w, err)
		}
	}
}

// With the paired loss on and no counterparts in the data, the run says so.
func TestPairedLossWithoutCounterpartsWarns(t *testing.T) {
	cfg := tinyConfig(1)
	cfg.LambdaPair = 10
	for _, c := range []struct {
		data Data
		warn bool
	}{{demoData(t, 60), true}, {pairedData(demoData(t, 60)), false}} {
		warned := false
		if _, err := Train(context.Background(), cfg, c.data, Options{Dir: t.TempDir()}, func(e Event) {
			warned = warned || e.Kind == EventWarning && strings.Contains(e.Message, "no training image has a counterpart")
		}); err != nil {
			t.Fatal(err)
		}
		if warned != c.warn {
			t.Errorf("objects given %v: warned %v", !c.warn, warned)
		}
	}
}

// An evaluation whose every translation is skipped says why instead of reporting NaN scores.
func TestEvaluateRefusesWhenEveryTranslationIsSkipped(t *testing.T) {
	cfg := tinyConfig(1)
	data := demoData(t, 60)
	dir := t.TempDir()
	if _, err := Train(context.Background(), cfg, data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	skipAll := map[int]bool{}
	for k := range data.Styles {
		skipAll[k] = true
	}
	items := []EvalItem{{Image: data.Train[0].Image, Style: data.Train[0].Style, Skip: skipAll}}
	rep, err := Evaluate(context.Background(), m, items, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "were skipped") || rep.SkippedTranslations != len(data.Styles)-1 {
		t.Fatalf("every translation skipped: %v, %d skipped", err, rep.SkippedTranslations)
	}
}
