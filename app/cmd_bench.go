package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"time"

	"stylestudio/app/studio"
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
		return fmt.Errorf("%w: unknown benchmark %q (available: label-assist, rank, train)", errUsage, args[0])
	}
	return b(ctx, env, args[1:])
}

// labelAssistJSON is the stable `bench label-assist --json` contract.
type labelAssistJSON struct {
	LabelsTo90  map[string]int `json:"labels_to_90"` // labels to reach Target (named when it was always 90%); -1: never
	Ratio       float64        `json:"ratio"`        // uncertainty / random labels needed (target ≤ 0.6)
	Uncertainty []curvePoint   `json:"uncertainty"`
	Random      []curvePoint   `json:"random"`
	Pool        int            `json:"pool"`
	HeldOut     int            `json:"held_out"`
	Seconds     float64        `json:"seconds"`
	// Config is "bench" (the quick setting the benchmark always measured: width 8, warm-started rounds
	// of 6 labels, diversity 0.5) or "app" (the app's classifier, retrained from scratch at the app's
	// cadence, studio.RetrainAfter: rounds of batch_min labels growing to batch; the queue fills the
	// styles short of training labels first, then queue diversity 0.3).
	// With several seeds, labels_to_90 and ratio are the means over the seeds (-1 when a seed never got
	// there), the curves are the first seed's, and ratio_sd and per_seed give the spread.
	Config   string          `json:"config"`
	Batch    int             `json:"batch"`     // labels a round (the largest round with the app's cadence)
	BatchMin int             `json:"batch_min"` // the smallest round (equal to batch for the bench setting)
	Width    int             `json:"width"`
	RatioSD  *float64        `json:"ratio_sd"` // null with one seed
	PerSeed  []seedRatioJSON `json:"per_seed"`
	Target   float64         `json:"target"` // the held-out accuracy labels_to_90 counts labels to (default 0.9)
}

type seedRatioJSON struct {
	Seed       uint64         `json:"seed"`
	LabelsTo90 map[string]int `json:"labels_to_90"`
	Ratio      float64        `json:"ratio"` // -1 when either strategy never reached 90%
}

type curvePoint struct {
	Labels   int     `json:"labels"`
	Accuracy float64 `json:"accuracy"`
}

func benchLabelAssist(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "bench label-assist", "[--products N] [--seed S] [--app] [--seeds N] [--target A] [--json]",
		"Simulate a labeler on the demo catalog (answers from the demo's ground truth): starting from 2 labels\n"+
			"per style, add labels in batches in the classifier's queue order (uncertainty + diversity) or in\n"+
			"random order, retrain after each batch, and record held-out accuracy; report labels needed for 90%\n"+
			"(--target: another accuracy).")
	n := fs.Int("products", 400, "demo products (80% labeling pool, 20% held out)")
	seed := fs.Uint64("seed", 1, "seed for the catalog, the split and the simulation (the first seed with --seeds)")
	app := fs.Bool("app", false, fmt.Sprintf("replay the app's labeling: its classifier retrained from scratch after a third more labels (%d to %d), the queue first filling the styles short of training labels, then queue diversity %g", style.RetrainMin, style.RetrainMax, studio.QueueDiversity))
	seeds := fs.Int("seeds", 1, "run with this many consecutive seeds (catalog, split and simulation) and report the mean and spread")
	epochs := fs.Int("epochs", 0, "with --app: classifier epochs per retraining (default the app's)")
	target := fs.Float64("target", 0.9, "held-out accuracy to count labels to (0.5 to 1); the classifier reaches 0.9 on the demo from the 12 starting labels, so 0.95 leaves room to measure")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if !(*target >= 0.5 && *target <= 1) {
		return fmt.Errorf("--target must be a held-out accuracy from 0.5 to 1, got %g", *target)
	}
	if *n < 60 {
		return fmt.Errorf("--products must be at least 60 for a meaningful held-out set, got %d", *n)
	}
	if *seeds < 1 {
		return fmt.Errorf("--seeds must be at least 1, got %d", *seeds)
	}
	start := time.Now()
	out := labelAssistJSON{Config: "bench", LabelsTo90: map[string]int{}, PerSeed: []seedRatioJSON{}, Target: *target}
	var ratios []float64
	sums := map[string]float64{}
	reached := map[string]int{}
	for k := 0; k < *seeds; k++ {
		s := *seed + uint64(k)
		cfg := style.DefaultSimConfig()
		cfg.Seed = s
		if *app {
			cfg = style.AppSimConfig(studio.QueueDiversity, s) // its cadence is studio.RetrainAfter's rule
			if *epochs > 0 {
				cfg.Train.Epochs = *epochs
			}
			out.Config = "app"
		}
		cfg.Target = *target
		out.Batch, out.BatchMin, out.Width = cfg.Batch, cfg.Batch, cfg.Train.Width
		if cfg.BatchAfter != nil {
			out.BatchMin = style.RetrainMin
		}
		res, pool, held, err := labelAssistOnce(ctx, env, *n, cfg, *asJSON)
		if err != nil {
			return err
		}
		sr := seedRatioJSON{Seed: s, LabelsTo90: res.LabelsTo90, Ratio: -1}
		if u, r := res.LabelsTo90[style.StrategyUncertainty], res.LabelsTo90[style.StrategyRandom]; u > 0 && r > 0 {
			sr.Ratio = float64(u) / float64(r)
			ratios = append(ratios, sr.Ratio)
		}
		for name, v := range res.LabelsTo90 {
			if v > 0 {
				sums[name] += float64(v)
				reached[name]++
			}
		}
		out.PerSeed = append(out.PerSeed, sr)
		if k == 0 {
			out.Uncertainty, out.Random, out.Pool, out.HeldOut = curve(res.Uncertainty), curve(res.Random), pool, held
		}
	}
	for _, name := range []string{style.StrategyUncertainty, style.StrategyRandom} {
		out.LabelsTo90[name] = -1
		if reached[name] == *seeds {
			out.LabelsTo90[name] = int(math.Round(sums[name] / float64(*seeds)))
		}
	}
	out.Ratio = -1
	if len(ratios) == *seeds {
		mean, sd := meanSD(ratios)
		out.Ratio = mean
		if *seeds > 1 {
			out.RatioSD = &sd
		}
	}
	out.Seconds = time.Since(start).Seconds()
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(out)
	}
	fmt.Fprintf(env.stdout, "Labels to reach %.0f%% held-out accuracy (%s configuration, %d seed%s): uncertainty %d, random %d (ratio %.2f",
		100*out.Target, out.Config, *seeds, studio.Plural(*seeds), out.LabelsTo90[style.StrategyUncertainty], out.LabelsTo90[style.StrategyRandom], out.Ratio)
	if out.RatioSD != nil {
		fmt.Fprintf(env.stdout, " ± %.2f sd", *out.RatioSD)
	}
	fmt.Fprintln(env.stdout, "; -1 = never)")
	return nil
}

// meanSD is the mean and sample standard deviation of xs (sd 0 for one value).
func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

// labelAssistOnce simulates labeling n demo products (catalog, split and simulation seeded with
// cfg.Seed): 80% labeling pool, 20% held out.
func labelAssistOnce(ctx context.Context, env *cliEnv, n int, cfg style.SimConfig, quiet bool) (style.SimResult, int, int, error) {
	items := demo.Catalog(n, cfg.Seed)
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
	var pool, held []style.Example
	for i, part := range dataset.StratifiedSplit(split, cfg.Seed, [3]int{80, 0, 20}) {
		img, err := demo.Render(items[i].Params, items[i].Style, cfg.Train.Size)
		if err != nil {
			return style.SimResult{}, 0, 0, err
		}
		ex := style.Example{Image: image.Image(img), Style: index[items[i].Style]}
		if part == dataset.Train {
			pool = append(pool, ex)
		} else {
			held = append(held, ex)
		}
	}
	report := func(p style.SimPoint) {
		if !quiet {
			fmt.Fprintf(env.stderr, "seed %d %-11s %4d labels  held-out accuracy %.1f%%\n", cfg.Seed, p.Strategy, p.Labels, 100*p.Accuracy)
		}
	}
	res, err := style.SimulateLabeling(ctx, cfg, pool, held, report)
	return res, len(pool), len(held), err
}

func curve(points []style.SimPoint) []curvePoint {
	out := make([]curvePoint, 0, len(points))
	for _, p := range points {
		out = append(out, curvePoint{Labels: p.Labels, Accuracy: p.Accuracy})
	}
	return out
}
