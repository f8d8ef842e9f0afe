package sim

import (
	"math"
	"testing"
)

func TestMeanCI95ByHand(t *testing.T) {
	iv := MeanCI95([]float64{1, 2, 3, 4, 5})
	// mean 3, sd sqrt(2.5), half width t(0.975, 4)·sd/√5 = 2.776·1.5811/2.2361
	half := 2.776 * math.Sqrt(2.5) / math.Sqrt(5)
	if iv.N != 5 || iv.Mean != 3 || math.Abs(iv.SD-math.Sqrt(2.5)) > 1e-12 || math.Abs(iv.Lo-(3-half)) > 1e-12 || math.Abs(iv.Hi-(3+half)) > 1e-12 {
		t.Fatalf("%+v, want mean 3 ± %v", iv, half)
	}
	iv = MeanCI95([]float64{math.NaN(), 0.2})
	if iv.N != 1 || iv.Mean != 0.2 || !math.IsNaN(iv.Lo) || iv.PerSeedValid[0] || !iv.PerSeedValid[1] {
		t.Fatalf("one value: %+v, want its mean and no interval", iv)
	}
	if iv := MeanCI95(nil); iv.N != 0 || !math.IsNaN(iv.Mean) {
		t.Fatalf("no values: %+v", iv)
	}
	if TQuantile975(1) != 12.706 || TQuantile975(200) != 1.96 || !math.IsNaN(TQuantile975(0)) {
		t.Fatal("t quantiles")
	}
}

func TestPoolSumsRunsOfOtherSeeds(t *testing.T) {
	items, styles := testCatalog(0.9, 1)
	var runs []Results
	for seed := range uint64(3) {
		runs = append(runs, runAll(t, items, styles, RunConfig{Users: 50, Seed: seed + 1}, []Policy{NewRandom(), NewRanker(tasteScorer{})}))
	}
	p := Pool(runs)
	for i, name := range []string{"random", "ranker"} {
		var c, o, v Counter
		for _, r := range runs {
			q := r.Policies[i]
			c.Impressions, c.Clicks = c.Impressions+q.Impressions, c.Clicks+q.Clicks
			o.Impressions, o.Clicks = o.Impressions+q.Originals.Impressions, o.Clicks+q.Originals.Clicks
			v.Impressions, v.Clicks = v.Impressions+q.Variants.Impressions, v.Clicks+q.Variants.Clicks
		}
		got := p.Policies[i]
		if got.Name != name || got.Counter != c || got.CTR != c.CTR() || got.Originals != o || got.Variants != v {
			t.Fatalf("%s pooled %+v, want %+v (originals %+v variants %+v)", name, got.Counter, c, o, v)
		}
		if !got.HasLift || math.Abs(got.VariantLift-(v.CTR()/o.CTR()-1)) > 1e-12 {
			t.Fatalf("%s pooled lift %v", name, got.VariantLift)
		}
	}
	if p.Users != 150 || runs[0].Policies[0].Impressions == p.Policies[0].Impressions {
		t.Fatalf("pooled users %d; the first run's counts were changed in place?", p.Users)
	}
}
