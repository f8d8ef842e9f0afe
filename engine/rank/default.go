package rank

import (
	"context"
	"fmt"
	"math/rand/v2"

	"stylestudio/engine/sim"
)

// Metrics compares the trained ranker with two baselines on held-out shoppers.
type Metrics struct {
	Ranker     Offline
	Random     Offline // random scores; its LogLoss is that of always predicting the training click rate
	Popularity Offline // smoothed click-through rate of each image in the training logs
	Train      int     // training impressions
	Test       int     // held-out impressions
	ClickRate  float64 // training click rate
}

// Settings of TrainDefault's logging run.
const (
	DefaultLogUsers     = 6000 // simulated shoppers whose sessions are logged, once under each logging policy
	DefaultHoldOutMod   = 5    // shoppers with index ≡ 0 (mod 5) are held out
	popularitySmoothing = 20.0 // pseudo-impressions at the overall rate in the popularity baseline
)

// TrainDefault produces a ranking model for a catalog reproducibly: it simulates DefaultLogUsers
// shoppers (sim defaults, seed), each once under the random policy and once under the popular
// policy, logs all impressions, holds out every DefaultHoldOutMod-th shopper, trains with
// DefaultConfig (seed), and evaluates the ranker, random scores and the popularity baseline on the
// held-out shoppers.
//
// Logging half the sessions at random matters for the held-out NDCG and HR: a list's sampled negatives
// were never shown, so on popular-only logs the popularity baseline gains from knowing what the
// logging policy showed (exposure bias) rather than what shoppers like.
//
// It holds all logged impressions in memory while it trains (about 750,000 of roughly 60 bytes each,
// plus one profile copy per slate) and takes about 15 s on two cores.
func TrainDefault(ctx context.Context, items []sim.Item, styles []string, seed uint64) (*Model, Metrics, error) {
	return TrainDefaultWith(ctx, items, styles, seed, nil)
}

// TrainDefaultWith is TrainDefault with extra training examples (logged by real sessions: a person's
// clicks in the Feed screen, stored simulations) added to the simulated ones. They only train: the
// held-out shoppers stay the simulated ones, so the metrics compare with TrainDefault's. Their Slate
// ids are moved out of the simulated ones' range.
func TrainDefaultWith(ctx context.Context, items []sim.Item, styles []string, seed uint64, extra []Example) (*Model, Metrics, error) {
	cat, err := sim.NewCatalog(items, styles)
	if err != nil {
		return nil, Metrics{}, err
	}
	logging := []sim.Policy{sim.NewRandom(), sim.NewPopular()}
	index := map[string]int{}
	for i, p := range logging {
		index[p.Name()] = i
	}
	var train, test []Example
	logCfg := sim.RunConfig{Users: DefaultLogUsers, Seed: seed, Logger: func(imp sim.Impression) {
		e := ExampleFromImpression(imp, index[imp.Policy], items)
		if imp.User%DefaultHoldOutMod == 0 {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}}
	if _, err := sim.RunCatalog(ctx, logCfg, cat, logging, nil); err != nil {
		return nil, Metrics{}, fmt.Errorf("rank: simulate training logs: %w", err)
	}
	for _, e := range extra {
		e.Slate |= 3 << 52 // policy indexes 0 and 1 are the logging policies
		train = append(train, e)
	}
	cfg := DefaultConfig()
	cfg.Spec, cfg.Seed = specOf(cat), seed
	m, err := Train(ctx, cfg, train, nil)
	if err != nil {
		return nil, Metrics{}, err
	}
	met, err := Compare(ctx, m, train, test, items, EvalConfig{Seed: seed})
	if err != nil {
		return nil, Metrics{}, err
	}
	return m, met, nil
}

// Compare evaluates m, random scores and the popularity of each image in train on test.
func Compare(ctx context.Context, m *Model, train, test []Example, items []sim.Item, cfg EvalConfig) (Metrics, error) {
	met := Metrics{Train: len(train), Test: len(test)}
	pop := NewPopularity(train)
	met.ClickRate = pop.Rate()
	var err error
	if met.Ranker, err = Evaluate(ctx, m.Score, test, items, cfg); err != nil {
		return Metrics{}, err
	}
	if met.Popularity, err = Evaluate(ctx, pop.Score, test, items, cfg); err != nil {
		return Metrics{}, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7a9d))
	random := func(*sim.Profile, *sim.Item, int) float64 { return met.ClickRate * (1 + 1e-9*rng.Float64()) }
	if met.Random, err = Evaluate(ctx, random, test, items, cfg); err != nil {
		return Metrics{}, err
	}
	return met, nil
}

// Popularity is the baseline that scores an image by its smoothed click-through rate in a log,
// (clicks + m·rate)/(impressions + m) with m = 20 and rate the log's click rate.
type Popularity struct {
	counts      map[popKey][2]int
	clicks, imp int
}

type popKey struct {
	item    int64
	variant int
}

// NewPopularity counts impressions and clicks per image (item ID, variant) in examples.
func NewPopularity(examples []Example) *Popularity {
	p := &Popularity{counts: map[popKey][2]int{}}
	for i := range examples {
		e := &examples[i]
		k := popKey{e.Item.ID, e.Variant}
		c := p.counts[k]
		c[0]++
		p.imp++
		if e.Clicked {
			c[1]++
			p.clicks++
		}
		p.counts[k] = c
	}
	return p
}

// Rate is the overall click rate of the log (0 when empty).
func (p *Popularity) Rate() float64 {
	if p.imp == 0 {
		return 0
	}
	return float64(p.clicks) / float64(p.imp)
}

// Score is the smoothed click-through rate of the image (profile ignored).
func (p *Popularity) Score(_ *sim.Profile, it *sim.Item, variant int) float64 {
	c := p.counts[popKey{it.ID, variant}]
	return (float64(c[1]) + popularitySmoothing*p.Rate()) / (float64(c[0]) + popularitySmoothing)
}
