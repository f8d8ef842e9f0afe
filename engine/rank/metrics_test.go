package rank

import (
	"context"
	"math"
	"testing"

	"stylestudio/engine/sim"
)

func approx(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.12f, want %.12f", what, got, want)
	}
}

func TestAUCByHand(t *testing.T) {
	approx(t, "AUC of the issue's example", AUC([]float64{0.9, 0.8, 0.3, 0.1}, []bool{true, false, true, false}), 0.75)
	approx(t, "perfect AUC", AUC([]float64{0.1, 0.9, 0.8}, []bool{false, true, true}), 1)
	approx(t, "inverted AUC", AUC([]float64{0.9, 0.1}, []bool{false, true}), 0)
	// ties count one half: pairs (0.5+,0.5-) = ½, (0.5+,0.2-) = 1, (0.9+, both) = 2 → 3.5/4
	approx(t, "AUC with a tie", AUC([]float64{0.5, 0.5, 0.2, 0.9}, []bool{true, false, false, true}), 0.875)
	if !math.IsNaN(AUC([]float64{0.3, 0.4}, []bool{true, true})) {
		t.Error("AUC of one class should be NaN")
	}
	if !math.IsNaN(AUC([]float64{0.3}, []bool{true, false})) {
		t.Error("AUC of mismatched lengths should be NaN")
	}
}

func TestLogLossByHand(t *testing.T) {
	approx(t, "log loss", LogLoss([]float64{0.9, 0.2}, []bool{true, false}), -(math.Log(0.9)+math.Log(0.8))/2)
	// clipping keeps certainty finite
	if l := LogLoss([]float64{0}, []bool{true}); math.IsInf(l, 0) || math.Abs(l+math.Log(1e-15)) > 1e-6 {
		t.Errorf("log loss of a certain miss = %v, want -ln(1e-15)", l)
	}
	if !math.IsNaN(LogLoss(nil, nil)) {
		t.Error("log loss of nothing should be NaN")
	}
}

func TestNDCGAndHRByHand(t *testing.T) {
	s := []float64{0.9, 0.8, 0.3, 0.1}
	l := []bool{true, false, true, false}
	ideal := 1 + 1/math.Log2(3)
	// relevant at ranks 1 and 3: DCG = 1/log2(2) + 1/log2(4) = 1.5
	approx(t, "NDCG@10", NDCGAtK(s, l, 10), 1.5/ideal)
	approx(t, "NDCG@2", NDCGAtK(s, l, 2), 1/ideal)
	approx(t, "NDCG@1", NDCGAtK(s, l, 1), 1)
	approx(t, "NDCG without positives", NDCGAtK(s, make([]bool, 4), 10), 0)
	// one relevant item at rank 3: 1/log2(4) = 0.5
	approx(t, "NDCG@5 single at rank 3", NDCGAtK([]float64{3, 2, 1}, []bool{false, false, true}, 5), 0.5)
	approx(t, "HR@2 single at rank 3", HitRateAtK([]float64{3, 2, 1}, []bool{false, false, true}, 2), 0)
	approx(t, "HR@3 single at rank 3", HitRateAtK([]float64{3, 2, 1}, []bool{false, false, true}, 3), 1)
	// ties keep input order
	approx(t, "HR@1 tie", HitRateAtK([]float64{1, 1}, []bool{false, true}, 1), 0)
}

func TestEvaluateLists(t *testing.T) {
	items, styles := sim.Synthetic(sim.DefaultSyntheticConfig())
	p := sim.NewProfile(len(styles), sim.Categories(items))
	ex := func(item int, clicked bool, slate int64) Example {
		return Example{Profile: &p, Item: &items[item], Clicked: clicked, Slate: slate}
	}
	test := []Example{ex(0, false, 1), ex(1, true, 1), ex(2, false, 1), ex(3, false, 2), ex(4, false, 2), ex(5, true, 3)}
	// a scorer that prefers lower item IDs: slate 1 ranks its click second, slate 3 first; slate 2 has no click
	score := func(_ *sim.Profile, it *sim.Item, _ int) float64 { return 1 / float64(it.ID) }
	got, err := Evaluate(context.Background(), score, test, items, EvalConfig{Negatives: -1, K: 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got.Lists != 2 {
		t.Fatalf("%d lists, want 2 (slates with a click)", got.Lists)
	}
	approx(t, "NDCG", got.NDCG, (1/math.Log2(3)+1)/2)
	approx(t, "HR@10", got.HR, 1)
	// AUC over all six impressions: positives IDs 2 and 6 against negatives 1, 3, 4, 5
	approx(t, "AUC", got.AUC, AUC([]float64{1, 0.5, 1. / 3, 0.25, 0.2, 1. / 6}, []bool{false, true, false, false, false, true}))
	withNeg, err := Evaluate(context.Background(), score, test, items, EvalConfig{Negatives: 40, K: 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if withNeg.Lists != 2 || withNeg.NDCG > got.NDCG {
		t.Errorf("with negatives: %d lists, NDCG %.3f (without: %.3f)", withNeg.Lists, withNeg.NDCG, got.NDCG)
	}
	if _, err := Evaluate(context.Background(), score, nil, items, EvalConfig{}); err == nil {
		t.Error("evaluating nothing was accepted")
	}
}
