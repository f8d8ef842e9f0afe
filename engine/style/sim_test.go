package style

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
)

// tinySim is a seconds-long simulation setting for tests.
func tinySim() SimConfig {
	return SimConfig{
		Train:        tinyConfig(),
		SeedPerStyle: 2, Batch: 6, Rounds: 3, Diversity: 0.5,
		StepsPerRound: 12, Target: 0.5, Seed: 3, Repeats: 2,
	}
}

// tinyAppSim is tinySim replaying the app's labeling (from scratch, the library's splits) for 6 rounds
// of batch labels, its classifier trained epochs epochs.
func tinyAppSim(epochs, batch int) SimConfig {
	cfg := tinySim()
	cfg.FromScratch, cfg.Repeats, cfg.Rounds, cfg.AppSplit = true, 1, 6, AppSplit()
	cfg.Train.Epochs = epochs
	cfg.Batch = batch
	return cfg
}

func TestSimulateLabelingSmall(t *testing.T) {
	pool := demoExamples(t, 96, 11)
	heldOut := demoExamples(t, 48, 12)
	var reported []SimPoint
	res, err := SimulateLabeling(context.Background(), tinySim(), pool, heldOut, func(p SimPoint) { reported = append(reported, p) })
	if err != nil {
		t.Fatal(err)
	}
	for name, curve := range map[string][]SimPoint{StrategyUncertainty: res.Uncertainty, StrategyRandom: res.Random} {
		if len(curve) != 3 {
			t.Fatalf("%s: %d points, want 3 rounds", name, len(curve))
		}
		want := -1
		for i, p := range curve {
			if p.Strategy != name || p.Labels != 12+6*i || p.Accuracy < 0 || p.Accuracy > 1 {
				t.Errorf("%s point %d = %+v, want %d labels", name, i, p, 12+6*i)
			}
			if want < 0 && p.Accuracy >= 0.5 {
				want = p.Labels
			}
		}
		if res.LabelsTo90[name] != want {
			t.Errorf("%s: LabelsTo90 = %d, curve says %d", name, res.LabelsTo90[name], want)
		}
	}
	// Both strategies start from the same labels and weights, so their first point is the same, and
	// with two replays an accuracy is a mean of two counts over 48 images.
	if a := res.Random[1].Accuracy * 96; math.Abs(a-math.Round(a)) > 1e-9 {
		t.Errorf("accuracy %v is not an average of two replays over 48 images", res.Random[1].Accuracy)
	}
	if res.Uncertainty[0].Accuracy != res.Random[0].Accuracy {
		t.Errorf("first points differ: %+v vs %+v", res.Uncertainty[0], res.Random[0])
	}
	if len(reported) != 6 {
		t.Errorf("reported %d points, want 6", len(reported))
	}

	again, err := SimulateLabeling(context.Background(), tinySim(), pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, again) {
		t.Errorf("same seed, different results:\n%+v\n%+v", res, again)
	}
}

func TestSimulateLabelingErrors(t *testing.T) {
	pool := demoExamples(t, 24, 11)
	heldOut := demoExamples(t, 12, 12)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SimulateLabeling(ctx, tinySim(), pool, heldOut, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if _, err := SimulateLabeling(context.Background(), tinySim(), pool, nil, nil); err == nil {
		t.Error("no held-out set: no error")
	}
	cfg := tinySim()
	cfg.SeedPerStyle = 5 // the pool has 4 per style
	if _, err := SimulateLabeling(context.Background(), cfg, pool, heldOut, nil); !errors.Is(err, ErrNotEnoughLabels) {
		t.Errorf("pool too small for the starting set: err = %v", err)
	}
}

func TestSimulateLabelingStopsAtTarget(t *testing.T) {
	pool := demoExamples(t, 48, 11)
	heldOut := demoExamples(t, 24, 12)
	cfg := tinySim()
	cfg.Repeats = 1
	cfg.Target = 1e-9 // any model reaches it
	cfg.StopAtTarget = true
	cfg.Rounds = 0
	res, err := SimulateLabeling(context.Background(), cfg, pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uncertainty) != 1 || len(res.Random) != 1 ||
		res.LabelsTo90[StrategyUncertainty] != 12 || res.LabelsTo90[StrategyRandom] != 12 {
		t.Errorf("result = %+v, want both strategies stopped after the starting 12 labels", res)
	}

	// Without a stop, a strategy runs until the pool is labeled (MaxLabels caps it earlier).
	cfg.StopAtTarget = false
	cfg.MaxLabels = 20
	res, err = SimulateLabeling(context.Background(), cfg, pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := res.Random[len(res.Random)-1]
	if last.Labels != 20 || len(res.Random) != 3 { // 12, 18, 20
		t.Errorf("random curve %+v, want it to end at MaxLabels 20 after 3 rounds", res.Random)
	}
}

// FromScratch retrains the whole classifier every round, as the app retrains it (studio.TrainClassifier).
func TestSimulateLabelingFromScratch(t *testing.T) {
	pool := demoExamples(t, 96, 11)
	heldOut := demoExamples(t, 48, 12)
	scratch := tinySim()
	scratch.FromScratch, scratch.Repeats, scratch.Rounds = true, 1, 2
	scratch.Train.Epochs = 2
	a, err := SimulateLabeling(context.Background(), scratch, pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	warm := tinySim()
	warm.Repeats, warm.Rounds = 1, 1
	warm.StepsPerRound = 2 * stepsPerEpoch(12, warm.Train.withDefaults().BatchSize)
	b, err := SimulateLabeling(context.Background(), warm, pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	// From scratch trains the whole classifier (CNN and style statistics, as Train does), which on 12
	// labels is far ahead of the CNN alone after as many steps; and it is deterministic.
	if len(a.Random) != 2 || a.Random[0].Labels != 12 || a.Random[1].Labels != 18 {
		t.Errorf("from scratch curve %+v, want points at 12 and 18 labels", a.Random)
	}
	if a.Random[0].Accuracy <= b.Random[0].Accuracy+0.1 {
		t.Errorf("first round from scratch %+v, warm start of the CNN alone %+v: want the full classifier clearly ahead", a.Random, b.Random)
	}
	again, err := SimulateLabeling(context.Background(), scratch, pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Random[0].Accuracy != a.Random[0].Accuracy || again.Random[1].Accuracy != a.Random[1].Accuracy {
		t.Errorf("from scratch twice: %+v then %+v, want the same", a.Random, again.Random)
	}
	app := AppSimConfig(0.3, 4)
	if !app.FromScratch || app.BatchAfter == nil || app.AppSplit != AppSplit() || !app.Fill || app.Diversity != 0.3 || app.Train != DefaultConfig() || app.Seed != 4 || app.Repeats != 1 {
		t.Errorf("AppSimConfig = %+v", app)
	}
}

// The app's cadence: a third more labels, from RetrainMin to RetrainMax.
func TestRetrainAfter(t *testing.T) {
	for _, c := range [][2]int{{0, 6}, {12, 6}, {20, 6}, {24, 8}, {32, 10}, {45, 15}, {60, 20}, {61, 20}, {5000, 20}} {
		if got := RetrainAfter(c[0]); got != c[1] {
			t.Errorf("RetrainAfter(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

// BatchAfter replaces Batch: each round adds what it says for the labels trained on.
func TestSimulateLabelingBatchAfter(t *testing.T) {
	pool := demoExamples(t, 96, 11)
	heldOut := demoExamples(t, 48, 12)
	cfg := tinySim()
	cfg.Repeats = 1
	cfg.BatchAfter = func(n int) int { return n / 2 }
	res, err := SimulateLabeling(context.Background(), cfg, pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, curve := range [][]SimPoint{res.Uncertainty, res.Random} {
		if len(curve) != 3 || curve[0].Labels != 12 || curve[1].Labels != 18 || curve[2].Labels != 27 {
			t.Errorf("curve %+v, want points at 12, 18 and 27 labels", curve)
		}
	}
}

// With AppSplit the replay trains as the app does: no classifier (accuracy 0) while fewer than 2
// styles have MinPerStyle labels in the train split, then one on the styles that have them, the others
// counted wrong.
func TestSimulateLabelingAppSplit(t *testing.T) {
	pool := demoExamples(t, 96, 11)
	heldOut := demoExamples(t, 48, 12)
	cfg := tinyAppSim(2, 12)
	res, err := SimulateLabeling(context.Background(), cfg, pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, curve := range [][]SimPoint{res.Uncertainty, res.Random} {
		if len(curve) != 6 || curve[0].Labels != 12 {
			t.Fatalf("curve %+v, want 6 points from 12 labels", curve)
		}
		// 2 labels a style cannot train a classifier the app would show.
		if curve[0].Accuracy != 0 {
			t.Errorf("accuracy %v at 12 labels (2 a style), want 0: no classifier yet", curve[0].Accuracy)
		}
		if last := curve[len(curve)-1]; last.Accuracy <= 0.3 {
			t.Errorf("accuracy %v at %d labels, want a classifier by then", last.Accuracy, last.Labels)
		}
	}
	// Without it, the 12 starting labels already train one.
	cfg.AppSplit, cfg.Rounds = [3]int{}, 1
	all, err := SimulateLabeling(context.Background(), cfg, pool, heldOut, nil)
	if err != nil {
		t.Fatal(err)
	}
	if all.Random[0].Accuracy == 0 {
		t.Error("every label training: no classifier from the 12 starting labels")
	}
}

// The replay's fill queue gets every style its training labels sooner than the queue's scattered
// order: after 5 rounds of 6 labels on top of 2 a style (7 a style are needed), the classifier
// learned more styles with the fill than without: as many or more on each of three catalogs, more
// over the three, and at least 5 of the 6 on each.
func TestSimulateLabelingFillsTheStyles(t *testing.T) {
	var withAll, withoutAll int
	for _, seed := range []uint64{11, 13, 15} {
		pool := demoExamples(t, 120, seed)
		heldOut := demoExamples(t, 48, seed+1)
		cfg := tinyAppSim(1, 6)
		styles := func(fill bool) int {
			t.Helper()
			cfg.Fill = fill
			res, err := SimulateLabeling(context.Background(), cfg, pool, heldOut, nil)
			if err != nil {
				t.Fatal(err)
			}
			last := res.Uncertainty[len(res.Uncertainty)-1]
			if len(res.Uncertainty) != 6 || last.Labels != 42 {
				t.Fatalf("curve %+v, want 6 points to 42 labels", res.Uncertainty)
			}
			return last.Styles
		}
		with, without := styles(true), styles(false)
		t.Logf("catalog %d: styles learned at 42 labels: %d with the fill queue, %d without", seed, with, without)
		if with < 5 || with < without {
			t.Errorf("catalog %d: styles learned at 42 labels: %d with the fill queue, %d without; want at least 5 and as many", seed, with, without)
		}
		withAll, withoutAll = withAll+with, withoutAll+without
	}
	if withAll <= withoutAll {
		t.Errorf("styles learned at 42 labels over three catalogs: %d with the fill queue, %d without; want more", withAll, withoutAll)
	}
}
