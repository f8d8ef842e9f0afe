package rank

import (
	"context"
	"testing"

	"stylestudio/engine/sim"
)

// targets trains the default model on the synthetic catalog and simulates it online; it returns the
// offline metrics and the online results on a catalog with convincing and one with unconvincing
// variants (same products, same model).
func targets(tb testing.TB, users int) (Metrics, sim.Results, sim.Results) {
	cfg := sim.DefaultSyntheticConfig()
	good, styles := sim.Synthetic(cfg)
	m, met, err := TrainDefault(context.Background(), good, styles, 1)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.VariantQuality = 0.2
	poor, _ := sim.Synthetic(cfg)
	online := func(items []sim.Item) sim.Results {
		pols := []sim.Policy{sim.NewRandom(), sim.NewPopular(), sim.NewRankerOriginals(m), sim.NewRanker(m), sim.NewOracle()}
		res, err := sim.Run(context.Background(), sim.RunConfig{Users: users, Seed: 99}, items, styles, pols, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return res
	}
	return met, online(good), online(poor)
}

func TestTrainDefaultTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the default model (several seconds)")
	}
	met, good, poor := targets(t, 1500)
	t.Logf("logs: %d train / %d held-out impressions, click rate %.4f", met.Train, met.Test, met.ClickRate)
	for _, r := range []struct {
		name string
		o    Offline
	}{{"ranker", met.Ranker}, {"popularity", met.Popularity}, {"random", met.Random}} {
		t.Logf("%-10s AUC %.4f  NDCG@10 %.4f  HR@10 %.4f  logloss %.4f  (%d lists)", r.name, r.o.AUC, r.o.NDCG, r.o.HR, r.o.LogLoss, r.o.Lists)
	}
	if met.Ranker.AUC < met.Popularity.AUC+0.05 || met.Ranker.NDCG < met.Popularity.NDCG+0.05 || met.Ranker.HR < met.Popularity.HR {
		t.Errorf("ranker (AUC %.3f, NDCG@10 %.3f, HR@10 %.3f) not clearly above popularity (%.3f, %.3f, %.3f)",
			met.Ranker.AUC, met.Ranker.NDCG, met.Ranker.HR, met.Popularity.AUC, met.Popularity.NDCG, met.Popularity.HR)
	}
	if met.Ranker.LogLoss >= met.Random.LogLoss || met.Ranker.LogLoss >= met.Popularity.LogLoss {
		t.Errorf("ranker log loss %.4f not below the baselines (%.4f, %.4f)", met.Ranker.LogLoss, met.Random.LogLoss, met.Popularity.LogLoss)
	}

	get := func(res sim.Results, name string) sim.PolicyResult {
		for _, p := range res.Policies {
			if p.Name == name {
				return p
			}
		}
		t.Fatalf("no policy %q", name)
		return sim.PolicyResult{}
	}
	for _, p := range good.Policies {
		t.Logf("convincing variants   %-17s CTR %.4f  lift %+.3f", p.Name, p.CTR, p.VariantLift)
	}
	for _, p := range poor.Policies {
		t.Logf("unconvincing variants %-17s CTR %.4f  lift %+.3f", p.Name, p.CTR, p.VariantLift)
	}
	oracle, ranker, orig, random := get(good, "oracle"), get(good, "ranker"), get(good, "ranker-originals"), get(good, "random")
	t.Logf("ranker / oracle CTR = %.3f (target 0.8)", ranker.CTR/oracle.CTR)
	if !(oracle.CTR >= ranker.CTR && ranker.CTR > random.CTR) {
		t.Errorf("want oracle ≥ ranker > random, got %.4f, %.4f, %.4f", oracle.CTR, ranker.CTR, random.CTR)
	}
	if ranker.CTR < orig.CTR {
		t.Errorf("with convincing variants the ranker (%.4f) is below ranker-originals (%.4f)", ranker.CTR, orig.CTR)
	}
	if ranker.CTR < 0.7*oracle.CTR {
		t.Errorf("ranker CTR %.4f is under 70%% of the oracle's %.4f", ranker.CTR, oracle.CTR)
	}
	if poorLift := get(poor, "ranker").VariantLift; poorLift >= ranker.VariantLift {
		t.Errorf("variant lift with unconvincing variants %+.3f is not below convincing %+.3f", poorLift, ranker.VariantLift)
	}
}
