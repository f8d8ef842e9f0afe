package rank

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"stylestudio/engine/nn"
	"stylestudio/engine/sim"
)

// logs simulates users shoppers, each once under random and once under popular, and splits the
// impressions into train and test by shopper.
func logs(t testing.TB, items []sim.Item, styles []string, users int, seed uint64) (train, test []Example) {
	t.Helper()
	idx := map[string]int{"random": 0, "popular": 1}
	cfg := sim.RunConfig{Users: users, Seed: seed, Logger: func(imp sim.Impression) {
		e := ExampleFromImpression(imp, idx[imp.Policy], items)
		if imp.User%5 == 0 {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}}
	if _, err := sim.Run(context.Background(), cfg, items, styles, []sim.Policy{sim.NewRandom(), sim.NewPopular()}, nil); err != nil {
		t.Fatal(err)
	}
	return train, test
}

func quickConfig(t testing.TB, items []sim.Item, styles []string) Config {
	t.Helper()
	spec, err := SpecFor(items, styles)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Spec: spec, Epochs: 3, Seed: 1}
}

func TestModel(t *testing.T) {
	items, styles := sim.Synthetic(sim.DefaultSyntheticConfig())
	train, test := logs(t, items, styles, 800, 1)
	cfg := quickConfig(t, items, styles)
	var events []Event
	m, err := Train(context.Background(), cfg, train, func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[2].Epoch != 3 || !(events[2].Loss < events[0].Loss) {
		t.Errorf("epoch reports %+v; want 3 with a falling loss", events)
	}
	cat, _ := sim.NewCatalog(items, styles)

	t.Run("learns preferences", func(t *testing.T) {
		met, err := Compare(context.Background(), m, train, test, items, EvalConfig{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("held out: ranker AUC %.3f NDCG@10 %.3f; popularity AUC %.3f NDCG@10 %.3f; random AUC %.3f",
			met.Ranker.AUC, met.Ranker.NDCG, met.Popularity.AUC, met.Popularity.NDCG, met.Random.AUC)
		if met.Ranker.AUC < met.Popularity.AUC+0.03 || met.Ranker.NDCG < met.Popularity.NDCG {
			t.Errorf("ranker AUC %.3f / NDCG %.3f not above popularity %.3f / %.3f", met.Ranker.AUC, met.Ranker.NDCG, met.Popularity.AUC, met.Popularity.NDCG)
		}
		if math.Abs(met.Random.AUC-0.5) > 0.05 {
			t.Errorf("random AUC %.3f, want about 0.5", met.Random.AUC)
		}
		// a shopper who clicked style s ranks an image of style s above one of another style
		for s := range styles {
			p := sim.NewProfile(len(styles), cat.Categories)
			var mine, other *sim.Item
			for i := range items {
				it := &items[i]
				if len(it.Variants) > 1 || it.Category != items[0].Category || it.PriceCents > 8000 {
					continue
				}
				if it.Variants[0].Style == styles[s] && mine == nil {
					mine = it
				} else if it.Variants[0].Style != styles[s] && other == nil {
					other = it
				}
			}
			if mine == nil || other == nil {
				continue
			}
			for k := 0; k < 3; k++ {
				sim.UpdateProfile(&p, true, &mine.Variants[0], mine)
			}
			if m.Score(&p, mine, 0) <= m.Score(&p, other, 0) {
				t.Errorf("after 3 clicks on %s: %s image scores %.4f, %s image %.4f", styles[s], styles[s], m.Score(&p, mine, 0), other.Variants[0].Style, m.Score(&p, other, 0))
			}
		}
	})

	t.Run("scoring paths agree and explain adds up", func(t *testing.T) {
		p := sim.NewProfile(len(styles), cat.Categories)
		sim.UpdateProfile(&p, true, &items[5].Variants[0], &items[5])
		sim.UpdateProfile(&p, false, &items[9].Variants[0], &items[9])
		out := make([]float64, len(cat.Candidates))
		m.ScoreCandidates(&p, items, cat.Candidates, out)
		for j, c := range cat.Candidates {
			s := m.Score(&p, &items[c.Item], c.Variant)
			if math.Abs(s-out[j]) > 1e-9 || !(s > 0 && s < 1) {
				t.Fatalf("candidate %d: Score %v, ScoreCandidates %v", j, s, out[j])
			}
			if j%50 == 0 {
				ex := m.Explain(&p, &items[c.Item], c.Variant)
				var z float64
				for _, e := range ex {
					z += e.Value
				}
				if math.Abs(z-math.Log(s/(1-s))) > 1e-9 {
					t.Fatalf("explanation sums to %v, logit is %v", z, math.Log(s/(1-s)))
				}
				if len(ex) != ExplainTop+1 || !strings.HasPrefix(ex[ExplainTop].Feature, "other (") {
					t.Fatalf("explanation %+v", ex)
				}
				for i := 1; i < ExplainTop; i++ {
					if math.Abs(ex[i].Value) > math.Abs(ex[i-1].Value) {
						t.Fatalf("explanation not ordered by magnitude: %+v", ex)
					}
				}
			}
		}
		if m.Score(&p, &items[0], 99) != 0 || m.Explain(&p, &items[0], -1) != nil {
			t.Error("an image index out of range should score 0 and explain nothing")
		}
	})

	t.Run("save and load", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "ranker.safetensors")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path, cfg.Spec)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Spec(), m.Spec()) {
			t.Errorf("spec %v, want %v", got.Spec(), m.Spec())
		}
		p := sim.NewProfile(len(styles), cat.Categories)
		sim.UpdateProfile(&p, true, &items[3].Variants[0], &items[3])
		for i := 0; i < len(items); i += 17 {
			a, b := m.Score(&p, &items[i], 0), got.Score(&p, &items[i], 0)
			if math.Abs(a-b) > 1e-6 { // weights are stored as float32
				t.Fatalf("item %d scores %v before saving, %v after", i, a, b)
			}
		}
		if _, err := Load(path, Spec{}); err != nil {
			t.Errorf("loading without expectations: %v", err)
		}

		// another catalog: 7 styles, so another shape
		other := sim.DefaultSyntheticConfig()
		other.Styles = 7
		oItems, oStyles := sim.Synthetic(other)
		oSpec, _ := SpecFor(oItems, oStyles)
		_, err = Load(path, oSpec)
		if !errors.Is(err, ErrShapeMismatch) || !strings.Contains(err.Error(), "[10 35]") || !strings.Contains(err.Error(), "[9 34]") {
			t.Errorf("loading for 7 styles: %v; want ErrShapeMismatch naming [10 35] (needed) and [9 34] (found)", err)
		}
		// same shape, other style names
		renamed := cfg.Spec
		renamed.Styles = append([]string{"other"}, cfg.Spec.Styles[1:]...)
		if _, err := Load(path, renamed); !errors.Is(err, ErrShapeMismatch) || !strings.Contains(err.Error(), "other") {
			t.Errorf("loading for renamed styles: %v", err)
		}
		// a safetensors file that is not a ranker, and a damaged one
		foreign := filepath.Join(dir, "foreign.safetensors")
		if err := nn.WriteSafetensors(foreign, map[string]nn.Tensor{"x": {Shape: []int{1}, Data: []float32{1}}}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(foreign, Spec{}); err == nil || !strings.Contains(err.Error(), "not a ranking model") {
			t.Errorf("loading a foreign file: %v", err)
		}
		raw, _ := os.ReadFile(path)
		broken := filepath.Join(dir, "broken.safetensors")
		if err := os.WriteFile(broken, raw[:len(raw)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(broken, cfg.Spec); !errors.Is(err, nn.ErrCorrupt) {
			t.Errorf("loading a truncated file: %v", err)
		}
		// a file whose weights disagree with its own metadata
		ts, meta, _ := nn.ReadSafetensors(path)
		w := ts["rank.weight"]
		ts["rank.weight"] = nn.Tensor{Shape: []int{w.Shape[0] - 1, w.Shape[1]}, Data: w.Data[:(w.Shape[0]-1)*w.Shape[1]]}
		bad := filepath.Join(dir, "bad.safetensors")
		if err := nn.WriteSafetensors(bad, ts, meta); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bad, Spec{}); !errors.Is(err, ErrShapeMismatch) {
			t.Errorf("loading weights of the wrong shape: %v", err)
		}
	})

	t.Run("serves the simulator", func(t *testing.T) {
		res, err := sim.Run(context.Background(), sim.RunConfig{Users: 400, Seed: 5}, items, styles,
			[]sim.Policy{sim.NewRandom(), sim.NewRanker(m)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Policies[1].CTR <= res.Policies[0].CTR {
			t.Errorf("ranker CTR %.4f not above random %.4f", res.Policies[1].CTR, res.Policies[0].CTR)
		}
	})
}

func TestTrainDeterministic(t *testing.T) {
	items, styles := sim.Synthetic(sim.DefaultSyntheticConfig())
	train, _ := logs(t, items, styles, 150, 2)
	cfg := quickConfig(t, items, styles)
	a, err := Train(context.Background(), cfg, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(context.Background(), cfg, train, nil)
	if !reflect.DeepEqual(a, b) {
		t.Error("two trainings with the same seed differ")
	}
	cfg.Seed = 2
	c, _ := Train(context.Background(), cfg, train, nil)
	if reflect.DeepEqual(a.w, c.w) {
		t.Error("another seed gave the same weights")
	}
}

func TestTrainErrors(t *testing.T) {
	items, styles := sim.Synthetic(sim.DefaultSyntheticConfig())
	cfg := quickConfig(t, items, styles)
	p := sim.NewProfile(len(styles), cfg.Spec.Categories)
	skip := Example{Profile: &p, Item: &items[0]}
	click := skip
	click.Clicked = true
	other := sim.DefaultSyntheticConfig()
	other.FeatureDim = 4
	oItems, _ := sim.Synthetic(other)
	short := sim.NewProfile(2, nil)
	cases := map[string][]Example{
		"no examples":      nil,
		"only skips":       {skip, skip},
		"bad variant":      {click, {Profile: &p, Item: &items[0], Variant: 9}},
		"no item":          {click, {Profile: &p}},
		"no profile":       {click, {Item: &items[0]}},
		"feature mismatch": {click, {Profile: &p, Item: &oItems[0]}},
		"profile mismatch": {click, {Profile: &short, Item: &items[0]}},
	}
	for name, ex := range cases {
		if _, err := Train(context.Background(), cfg, ex, nil); !errors.Is(err, ErrBadExamples) {
			t.Errorf("%s: error %v, want ErrBadExamples", name, err)
		}
	}
	if _, err := Train(context.Background(), Config{}, []Example{click, skip}, nil); !errors.Is(err, ErrBadSpec) {
		t.Errorf("no spec: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, cfg, []Example{click, skip}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
