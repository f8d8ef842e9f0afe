package style

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"stylestudio/engine/dataset"
	"stylestudio/internal/splitmix"
)

// Strategy names used in SimPoint and SimResult.LabelsTo90.
const (
	StrategyUncertainty = "uncertainty"
	StrategyRandom      = "random"
)

// SimConfig sets up an active-learning simulation.
type SimConfig struct {
	Train        Config // network and optimiser; Epochs is ignored (see StepsPerRound)
	SeedPerStyle int    // labels per style in the starting set (default 2)
	Batch        int    // labels added per round (default 6)
	// BatchAfter, when set, replaces Batch: the labels added after a round that trained on the given
	// number of labels (the app's cadence, RetrainAfter).
	BatchAfter func(trainedOn int) int
	MaxLabels  int     // stop a strategy at this many labels (default: the whole pool)
	Rounds     int     // optional cap on rounds per strategy, 0 for none
	Diversity  float64 // diversity weight passed to QueueHead (0 to 1)
	// StepsPerRound is the number of optimiser steps after each batch of new labels (default 60).
	// Rounds warm-start from the previous round's weights, so the total training a strategy gets
	// is the same for both strategies at every label count.
	StepsPerRound int
	// FromScratch retrains each round the whole classifier as Train builds it (the CNN from fresh
	// weights, the replay's initial ones, for Train.Epochs epochs, the style statistics and their
	// calibration) on the labels so far, as the app's classifier is retrained
	// (studio.TrainClassifier), instead of warm-starting the CNN alone StepsPerRound steps.
	FromScratch bool
	// AppSplit, with FromScratch, trains as studio.TrainClassifier does: only on the labeled products
	// of the train split, and only on the styles with MinPerStyle of them. Labels get their split as
	// the library gives it (dataset.FillSplits with these train, val and test percentages, per style,
	// the new labels of each round together, never moving one), so a style needs MinPerStyle+2 labels
	// before it is learned. While fewer than 2 styles have enough there is no classifier: the point's
	// accuracy is 0. Held-out products of a style left out count as wrong. Zero: every label trains,
	// from the first round.
	AppSplit [3]int
	// Fill, with AppSplit, puts first in the queue order the products most like the styles that lack
	// training labels (FillOrder), as the Label screen does, before the classifier's own order (or,
	// with no classifier yet, the scattered one).
	Fill         bool
	Target       float64 // held-out accuracy that LabelsTo90 looks for (default 0.9)
	StopAtTarget bool    // stop a strategy as soon as it reaches Target
	// Repeats is the number of independent replays (each with its own starting set, random order
	// and initial weights) whose held-out accuracies are averaged into every point (default 1). A
	// single replay's "labels to 90%" moves by a round or two with the seed; averaging steadies it.
	Repeats int
	Seed    uint64 // seeds the starting sets, the random orders, the weights and queue tie-breaks
}

// DefaultSimConfig is the setting measured in BenchmarkSimulateLabeling: a half-width network
// (Width 8), 2 starting labels per style, 6 labels and 60 optimiser steps per round, diversity 0.5,
// 3 replays averaged, stopping each strategy at 90% held-out accuracy. On the demo catalog it runs
// in about 2 minutes on 2 cores.
func DefaultSimConfig() SimConfig {
	tc := DefaultConfig()
	tc.Width = 8
	return SimConfig{Train: tc, SeedPerStyle: 2, Batch: 6, Diversity: 0.5, StepsPerRound: 60,
		Target: 0.9, StopAtTarget: true, Repeats: 3, Seed: 1}
}

func (c SimConfig) withDefaults() SimConfig {
	c.Train = c.Train.withDefaults()
	if c.SeedPerStyle <= 0 {
		c.SeedPerStyle = 2
	}
	if c.Batch <= 0 {
		c.Batch = 6
	}
	if c.StepsPerRound <= 0 {
		c.StepsPerRound = 60
	}
	if c.Target <= 0 {
		c.Target = 0.9
	}
	if c.Repeats <= 0 {
		c.Repeats = 1
	}
	return c
}

// Bounds of RetrainAfter: the app's classifier retrains after at least RetrainMin and at most
// RetrainMax new labels.
const (
	RetrainMin = 6
	RetrainMax = 20
)

// RetrainAfter is the app's retraining cadence: how many new labels make the classifier that learned
// from trainedOn labels retrain (from scratch) and rebuild the labeling queue. A third more labels, at
// least RetrainMin and at most RetrainMax: while the classifier knows a few dozen labels each one moves
// it, a retraining takes about a second, and the queue it rebuilds decides what is labeled next, so it
// retrains often; later every RetrainMax labels, as a retraining grows with the catalog.
func RetrainAfter(trainedOn int) int {
	return min(RetrainMax, max(RetrainMin, trainedOn/3))
}

// AppSimConfig is the labeling the app does (see AppSimConfig's callers for the queue diversity,
// which lives with the app): the classifier the app trains (DefaultConfig: Width 16, its epochs),
// retrained from scratch at the app's cadence (RetrainAfter), one replay per seed.
func AppSimConfig(diversity float64, seed uint64) SimConfig {
	return SimConfig{Train: DefaultConfig(), SeedPerStyle: 2, Batch: RetrainMax, BatchAfter: RetrainAfter, Diversity: diversity,
		FromScratch: true, AppSplit: AppSplit(), Fill: true, Target: 0.9, StopAtTarget: true, Repeats: 1, Seed: seed}
}

// AppSplit is the train, val and test percentages a library's labels get (studio.DefaultSplit; the
// val and test labels measure the classifier in the Label screen's footer).
func AppSplit() [3]int { return [3]int{80, 10, 10} }

// SimPoint is the held-out accuracy of one strategy after training on Labels labels (averaged over
// SimConfig.Repeats replays).
type SimPoint struct {
	Strategy string
	Labels   int
	Accuracy float64
	Styles   int // styles the classifier learned (with AppSplit; the first replay's, 0 without one)
}

// SimResult holds both learning curves and, per strategy, the first label count whose held-out
// accuracy reached SimConfig.Target (-1 if it never did).
type SimResult struct {
	Uncertainty, Random []SimPoint
	LabelsTo90          map[string]int
}

// SimulateLabeling replays labeling pool with the ground truth as the labeler, for two strategies.
// Both start from the same SeedPerStyle random labels per style and the same initial weights. Each
// round trains StepsPerRound steps on the labels so far (warm-starting from the previous round),
// measures accuracy on heldOut, reports the point, and adds Batch labels: StrategyUncertainty in
// QueueHead order under the current model (margin uncertainty mixed with feature diversity),
// StrategyRandom in a fixed random order. Example.Style values index the styles (0..max); every
// style must have SeedPerStyle examples in pool. It checks ctx between training batches and
// returns ctx.Err() with the points so far when cancelled.
func SimulateLabeling(ctx context.Context, cfg SimConfig, pool []Example, heldOut []Example, report func(SimPoint)) (SimResult, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Train.validate(); err != nil {
		return SimResult{}, err
	}
	if len(heldOut) == 0 {
		return SimResult{}, fmt.Errorf("style: simulation needs held-out examples to measure accuracy")
	}
	numStyles := 0
	for _, e := range append(append([]Example(nil), pool...), heldOut...) {
		numStyles = max(numStyles, e.Style+1)
	}
	styles := make([]string, numStyles)
	for i := range styles {
		styles[i] = fmt.Sprintf("style%d", i)
	}
	if err := checkData(styles, pool, cfg.SeedPerStyle); err != nil {
		return SimResult{}, fmt.Errorf("style: simulation pool: %w", err)
	}
	if err := checkData(styles, heldOut, 0); err != nil {
		return SimResult{}, fmt.Errorf("style: simulation held-out set: %w", err)
	}

	maxLabels := cfg.MaxLabels
	if maxLabels <= 0 || maxLabels > len(pool) {
		maxLabels = len(pool)
	}
	app := cfg.FromScratch && cfg.AppSplit != [3]int{}
	var fillStats [][]float64 // with Fill: the pool's style statistics
	if app && cfg.Fill {
		fillStats = StatsRows(imagesOf(pool))
	}

	// One independent replay per repeat: its own starting set, random order and initial weights,
	// shared by both strategies.
	type replay struct {
		start, randomOrder []int
		initSeed           uint64
		scattered          []int // with AppSplit: the queue's order before a classifier
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x51a))
	replays := make([]replay, cfg.Repeats)
	for r := range replays {
		perm := rng.Perm(len(pool))
		taken := make([]int, numStyles)
		var start []int
		for _, i := range perm {
			if s := pool[i].Style; taken[s] < cfg.SeedPerStyle {
				taken[s]++
				start = append(start, i)
			}
		}
		replays[r] = replay{start: start, randomOrder: rng.Perm(len(pool)), initSeed: rng.Uint64()}
		if app {
			replays[r].scattered = rand.New(rand.NewPCG(replays[r].initSeed, 0x5b1)).Perm(len(pool))
		}
	}

	// run is the state of one replay of one strategy.
	type run struct {
		rng        *rand.Rand
		net        *net
		labeled    []bool
		order      []int // labeled pool indices, in labeling order
		nextRandom int   // position in the replay's random order
		nextScat   int   // position in the replay's scattered order (AppSplit, no classifier yet)
		splits     splitBook
	}
	// takeNext labels the next k pool indices of order not labeled yet, from *next on.
	takeNext := func(rr *run, order []int, next *int, k int) {
		for added := 0; added < k && *next < len(order); *next++ {
			if i := order[*next]; !rr.labeled[i] {
				rr.labeled[i] = true
				rr.order = append(rr.order, i)
				added++
			}
		}
	}
	res := SimResult{LabelsTo90: map[string]int{StrategyUncertainty: -1, StrategyRandom: -1}}
	for _, strategy := range []string{StrategyUncertainty, StrategyRandom} {
		runs := make([]*run, len(replays))
		for r, rp := range replays {
			rr := &run{rng: rand.New(rand.NewPCG(rp.initSeed, 0x7)), labeled: make([]bool, len(pool)),
				splits: splitBook{of: make([]string, len(pool)), have: make([][3]int, numStyles)}}
			rr.net = newNet(cfg.Train.Size, cfg.Train.Width, numStyles, rr.rng)
			for _, i := range rp.start {
				rr.labeled[i] = true
				rr.order = append(rr.order, i)
			}
			runs[r] = rr
		}
		for round := 0; ; round++ {
			// Train every replay on its labels and average their held-out accuracy.
			var accSum float64
			models := make([]*Model, len(runs))
			for r, rr := range runs {
				// The labels that train: all of them, or with AppSplit the train split's.
				var train []Example
				if app {
					rr.splits.assign(rr.order, pool, replays[r].initSeed, cfg.AppSplit)
				}
				for _, i := range rr.order {
					if !app || rr.splits.of[i] == dataset.Train {
						train = append(train, pool[i])
					}
				}
				held := heldOut
				if cfg.FromScratch {
					// The app's classifier, exactly as Train builds it: the CNN and the style
					// statistics, calibrated together.
					init := rand.New(rand.NewPCG(replays[r].initSeed, 0x7))
					var m *Model
					var err error
					if app {
						// As studio.TrainClassifier: only the styles with enough labels; no
						// classifier (accuracy 0) while fewer than 2 have.
						m, held, err = trainAppStyles(ctx, cfg.Train, styles, train, heldOut, init)
					} else {
						m, err = trainEnsemble(ctx, cfg.Train, styles, train, init, nil)
					}
					if err != nil {
						return res, err
					}
					models[r] = m
				} else {
					if err := fit(ctx, cfg.Train, rr.net, train, cfg.StepsPerRound, rr.rng, nil); err != nil {
						return res, err
					}
					models[r] = &Model{cfg: cfg.Train, styles: styles, net: rr.net}
				}
				if models[r] != nil {
					accSum += Accuracy(models[r], held)
				}
			}
			labels := len(runs[0].order)
			p := SimPoint{Strategy: strategy, Labels: labels, Accuracy: accSum / float64(len(runs))}
			if models[0] != nil {
				p.Styles = len(models[0].Styles())
			}
			if strategy == StrategyUncertainty {
				res.Uncertainty = append(res.Uncertainty, p)
			} else {
				res.Random = append(res.Random, p)
			}
			if report != nil {
				report(p)
			}
			if p.Accuracy >= cfg.Target && res.LabelsTo90[strategy] < 0 {
				res.LabelsTo90[strategy] = p.Labels
			}
			if labels >= maxLabels || (cfg.StopAtTarget && res.LabelsTo90[strategy] >= 0) ||
				(cfg.Rounds > 0 && round+1 >= cfg.Rounds) {
				break
			}
			if err := ctx.Err(); err != nil {
				return res, err
			}
			batch := cfg.Batch
			if cfg.BatchAfter != nil {
				batch = max(1, cfg.BatchAfter(labels))
			}
			for r, rr := range runs {
				k := min(batch, maxLabels-labels)
				var filled []int // this round's fill picks
				if strategy == StrategyUncertainty && fillStats != nil {
					// First the products most like the styles that lack training labels.
					var lab, cand [][]float64
					var labStyle, candIdx []int
					var scatter []uint64
					for i := range pool {
						if rr.labeled[i] {
							lab, labStyle = append(lab, fillStats[i]), append(labStyle, pool[i].Style)
						} else {
							cand, candIdx = append(cand, fillStats[i]), append(candIdx, i)
							scatter = append(scatter, splitmix.Mix(replays[r].initSeed^uint64(i)))
						}
					}
					need := make([]int, numStyles)
					for st := range need {
						need[st] = dataset.LabelsToTrain(rr.splits.have[st], MinPerStyle, cfg.AppSplit)
					}
					fill := FillOrder(lab, labStyle, cand, scatter, need)
					for _, c := range fill[:min(k, len(fill))] {
						rr.labeled[candIdx[c]] = true
						rr.order = append(rr.order, candIdx[c])
						filled = append(filled, candIdx[c])
					}
					if len(fill) >= k {
						continue
					}
					k -= len(fill)
				}
				if strategy == StrategyUncertainty && models[r] == nil {
					// No classifier yet: the Label screen scatters the catalog (its spread
					// order), a random order of its own.
					takeNext(rr, replays[r].scattered, &rr.nextScat, k)
					continue
				}
				if strategy == StrategyUncertainty {
					// As studio.Suggest: the whole unlabeled catalog ranked (the fill picks
					// among it), its head the round's labels (QueueHead), the fill picks then
					// left out.
					var idx []int
					var imgs []image.Image
					for i, e := range pool {
						if !rr.labeled[i] || slices.Contains(filled, i) {
							idx = append(idx, i)
							imgs = append(imgs, e.Image)
						}
					}
					added := 0
					probs, feats := models[r].PredictAll(imgs)
					for _, q := range QueueHead(probs, feats, k, cfg.Diversity, rr.rng) {
						if i := idx[q.Index]; added < k && !rr.labeled[i] {
							rr.labeled[i] = true
							rr.order = append(rr.order, i)
							added++
						}
					}
					continue
				}
				takeNext(rr, replays[r].randomOrder, &rr.nextRandom, k)
			}
		}
	}
	return res, nil
}

// labelRatio is LabelsTo90 of uncertainty over that of random (NaN when either never got there).
func (r SimResult) labelRatio() float64 {
	u, rd := r.LabelsTo90[StrategyUncertainty], r.LabelsTo90[StrategyRandom]
	if u < 0 || rd <= 0 {
		return math.NaN()
	}
	return float64(u) / float64(rd)
}

// splitBook is the replay's record of the library's frozen splits: of[i] is pool[i]'s split ("" before
// it is labeled), have[s] how many of style s are in train, val and test.
type splitBook struct {
	of   []string
	have [][3]int
}

// assign gives the labeled pool indices that have no split yet theirs, together, as the library does
// (dataset.FillSplits, keyed by pool index).
func (b *splitBook) assign(labeled []int, pool []Example, seed uint64, pct [3]int) {
	var items []dataset.SplitItem
	var fresh []int
	have := map[string][3]int{}
	for s, h := range b.have {
		have[strconv.Itoa(s)] = h
	}
	for _, i := range labeled {
		if b.of[i] == "" {
			fresh = append(fresh, i)
			items = append(items, dataset.SplitItem{Key: strconv.Itoa(i), Class: strconv.Itoa(pool[i].Style)})
		}
	}
	for k, sp := range dataset.FillSplits(items, have, seed, pct) {
		i := fresh[k]
		b.of[i] = sp
		b.have[pool[i].Style][slices.Index(dataset.Splits[:], sp)]++
	}
}

// trainAppStyles trains the classifier on the styles of train that have MinPerStyle examples, as
// studio.TrainClassifier leaves the others out, and returns heldOut with its styles numbered as the
// model's (-1, which Accuracy counts wrong, for a style left out). A nil model (and no error) when
// fewer than 2 styles have enough.
func trainAppStyles(ctx context.Context, cfg Config, styles []string, train, heldOut []Example, rng *rand.Rand) (*Model, []Example, error) {
	counts := make([]int, len(styles))
	for _, e := range train {
		counts[e.Style]++
	}
	index := make([]int, len(styles)) // the style's index in the trained model, -1 when left out
	var kept []string
	for s, n := range counts {
		index[s] = -1
		if n >= MinPerStyle {
			index[s] = len(kept)
			kept = append(kept, styles[s])
		}
	}
	if len(kept) < 2 {
		return nil, nil, nil
	}
	renumber := func(ex []Example) []Example {
		var out []Example
		for _, e := range ex {
			out = append(out, Example{Image: e.Image, Style: index[e.Style]})
		}
		return out
	}
	var kt []Example
	for _, e := range renumber(train) {
		if e.Style >= 0 {
			kt = append(kt, e)
		}
	}
	m, err := trainEnsemble(ctx, cfg, kept, kt, rng, nil)
	return m, renumber(heldOut), err
}
