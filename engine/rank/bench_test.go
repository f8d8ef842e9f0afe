package rank

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"stylestudio/engine/sim"
)

// randomModel is a model with arbitrary weights for speed measurements.
func randomModel(tb testing.TB, items []sim.Item, styles []string) *Model {
	spec, err := SpecFor(items, styles)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, spec.ProfileDim()*spec.ItemDim())
	for i := range w {
		w[i] = 0.1 * rng.NormFloat64()
	}
	mean, std := make([]float64, spec.ItemDim()), ones(spec.ItemDim())
	return newModel(spec, w, mean, std)
}

// BenchmarkScore100k scores 100,000 candidate images (50,000 products, half of them with two
// variants) for one shopper; the goal is under 20 ms. "batch" is ScoreCandidates (the ranker policy's
// path), "single" calls Score once per candidate.
func BenchmarkScore100k(b *testing.B) {
	cfg := sim.DefaultSyntheticConfig()
	cfg.Items = 50000
	items, styles := sim.Synthetic(cfg)
	cat, err := sim.NewCatalog(items, styles)
	if err != nil {
		b.Fatal(err)
	}
	cands := cat.Candidates[:100000]
	m := randomModel(b, items, styles)
	p := sim.NewProfile(len(styles), cat.Categories)
	sim.UpdateProfile(&p, true, &items[1].Variants[0], &items[1])
	out := make([]float64, len(cands))
	b.Run("batch", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			m.ScoreCandidates(&p, items, cands, out)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/100k")
	})
	b.Run("single", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			for j, c := range cands {
				out[j] = m.Score(&p, &items[c.Item], c.Variant)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/100k")
	})
}

// BenchmarkSimulateRanker is the simulator's throughput with the model ranking every image of the
// 400-product synthetic catalog (about 600 images) for every slate; the goal is 50,000 impressions/s.
func BenchmarkSimulateRanker(b *testing.B) {
	items, styles := sim.Synthetic(sim.DefaultSyntheticConfig())
	m := randomModel(b, items, styles)
	var imps int64
	start := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := sim.Run(context.Background(), sim.RunConfig{Users: 500, Seed: uint64(i)}, items, styles,
			[]sim.Policy{sim.NewRanker(m)}, nil)
		if err != nil {
			b.Fatal(err)
		}
		imps += res.Policies[0].Impressions
	}
	b.ReportMetric(float64(imps)/time.Since(start).Seconds(), "impressions/s")
}

// BenchmarkTrainDefault trains the default model on the synthetic catalog and reports the issue's
// targets: held-out AUC and NDCG@10 of the ranker and the popularity baseline, and the simulated CTR
// of the ranker with variants as a share of the oracle's and of ranker-originals'.
func BenchmarkTrainDefault(b *testing.B) {
	for i := 0; i < b.N; i++ {
		start := time.Now()
		met, good, _ := targets(b, 2000)
		ctr := map[string]float64{}
		for _, p := range good.Policies {
			ctr[p.Name] = p.CTR
		}
		b.ReportMetric(time.Since(start).Seconds(), "s")
		b.ReportMetric(met.Ranker.AUC, "ranker-AUC")
		b.ReportMetric(met.Popularity.AUC, "pop-AUC")
		b.ReportMetric(met.Ranker.NDCG, "ranker-NDCG@10")
		b.ReportMetric(met.Popularity.NDCG, "pop-NDCG@10")
		b.ReportMetric(met.Ranker.HR, "ranker-HR@10")
		b.ReportMetric(met.Popularity.HR, "pop-HR@10")
		b.ReportMetric(ctr["ranker"]/ctr["oracle"], "ranker/oracle-CTR")
		b.ReportMetric(ctr["ranker"]/ctr["ranker-originals"], "ranker/originals-CTR")
	}
}
