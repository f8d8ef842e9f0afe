package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"time"

	"stylestudio/engine/dataset"
	"stylestudio/engine/demo"
	"stylestudio/engine/style"
)

// benchmarks are the `bench` subcommands; each prints one JSON object with --json.
func benchmarks() map[string]func(ctx context.Context, env *cliEnv, args []string) error {
	return map[string]func(ctx context.Context, env *cliEnv, args []string) error{
		"label-assist": benchLabelAssist,
		"rank":         benchRank,
		"train":        benchTrain,
	}
}

func runBench(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || isHelpFlag(args[0]) {
		fmt.Fprintln(env.stderr, "Usage: stylestudio bench <name> [flags]\n\nBenchmarks:\n  label-assist   active-learning labeling vs random order on the demo catalog\n  rank           ranking model scoring speed\n  train          GAN training speed (and against PyTorch with --peer)")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	b, ok := benchmarks()[args[0]]
	if !ok {
		return fmt.Errorf("unknown benchmark %q (available: label-assist, rank, train)", args[0])
	}
	return b(ctx, env, args[1:])
}

// labelAssistJSON is the stable `bench label-assist --json` contract.
type labelAssistJSON struct {
	LabelsTo90  map[string]int `json:"labels_to_90"` // -1: never reached 90%
	Ratio       float64        `json:"ratio"`        // uncertainty / random labels needed (target ≤ 0.6)
	Uncertainty []curvePoint   `json:"uncertainty"`
	Random      []curvePoint   `json:"random"`
	Pool        int            `json:"pool"`
	HeldOut     int            `json:"held_out"`
	Seconds     float64        `json:"seconds"`
}

type curvePoint struct {
	Labels   int     `json:"labels"`
	Accuracy float64 `json:"accuracy"`
}

func benchLabelAssist(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "bench label-assist", "[--products N] [--seed S] [--json]",
		"Simulate a labeler on the demo catalog (answers from the demo's ground truth): starting from 2 labels\n"+
			"per style, add labels in batches in the classifier's queue order (uncertainty + diversity) or in\n"+
			"random order, retrain after each batch, and record held-out accuracy; report labels needed for 90%.")
	n := fs.Int("products", 400, "demo products (80% labeling pool, 20% held out)")
	seed := fs.Uint64("seed", 1, "seed for the catalog, the split and the simulation")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 60 {
		return fmt.Errorf("--products must be at least 60 for a meaningful held-out set, got %d", *n)
	}
	start := time.Now()
	items := demo.Catalog(*n, *seed)
	names := []string{}
	index := map[string]int{}
	for _, s := range demo.Styles() {
		index[s.Name] = len(names)
		names = append(names, s.Name)
	}
	split := make([]dataset.SplitItem, len(items))
	for i, it := range items {
		split[i] = dataset.SplitItem{Key: it.SKU, Class: it.Style}
	}
	cfg := style.DefaultSimConfig()
	cfg.Seed = *seed
	var pool, held []style.Example
	for i, part := range dataset.StratifiedSplit(split, *seed, [3]int{80, 0, 20}) {
		img, err := demo.Render(items[i].Params, items[i].Style, cfg.Train.Size)
		if err != nil {
			return err
		}
		ex := style.Example{Image: image.Image(img), Style: index[items[i].Style]}
		if part == dataset.Train {
			pool = append(pool, ex)
		} else {
			held = append(held, ex)
		}
	}
	report := func(p style.SimPoint) {
		if !*asJSON {
			fmt.Fprintf(env.stderr, "%-11s %4d labels  held-out accuracy %.1f%%\n", p.Strategy, p.Labels, 100*p.Accuracy)
		}
	}
	res, err := style.SimulateLabeling(ctx, cfg, pool, held, report)
	if err != nil {
		return err
	}
	out := labelAssistJSON{LabelsTo90: res.LabelsTo90, Pool: len(pool), HeldOut: len(held), Seconds: time.Since(start).Seconds(),
		Uncertainty: curve(res.Uncertainty), Random: curve(res.Random), Ratio: -1}
	if u, r := res.LabelsTo90[style.StrategyUncertainty], res.LabelsTo90[style.StrategyRandom]; u > 0 && r > 0 {
		out.Ratio = float64(u) / float64(r)
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(out)
	}
	fmt.Fprintf(env.stdout, "Labels to reach 90%% held-out accuracy: uncertainty %d, random %d (ratio %.2f; -1 = never)\n",
		out.LabelsTo90[style.StrategyUncertainty], out.LabelsTo90[style.StrategyRandom], out.Ratio)
	return nil
}

func curve(points []style.SimPoint) []curvePoint {
	out := make([]curvePoint, 0, len(points))
	for _, p := range points {
		out = append(out, curvePoint{Labels: p.Labels, Accuracy: p.Accuracy})
	}
	return out
}
