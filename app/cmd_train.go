package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/engine/ingest"
	"stylestudio/store"
	"stylestudio/store/library"
)

// errNoGPU is what --device gpu says: this binary has no GPU backend, and we do not pretend otherwise.
var errNoGPU = errors.New("the built-in engine has no GPU support (gorgonia's CUDA backend is not compiled in); train with --device cpu, or on a GPU with --backend torch --device cuda (needs PyTorch with CUDA)")

// trainLine is one `train --json` line. Event is "step", "sample", "checkpoint", "warning" or, last,
// "done".
type trainLine struct {
	Event      string      `json:"event"`
	Run        string      `json:"run"`
	Step       int         `json:"step"`
	Steps      int         `json:"steps"`
	Losses     *gan.Losses `json:"losses,omitempty"`
	ImagesPerS float64     `json:"images_per_s,omitempty"`
	ETASeconds float64     `json:"eta_s,omitempty"`
	Grid       string      `json:"grid,omitempty"`
	Checkpoint string      `json:"checkpoint,omitempty"`
	Message    string      `json:"message,omitempty"`
	Seconds    float64     `json:"seconds,omitempty"`
	Status     string      `json:"status,omitempty"`
}

// ganConfigFlags registers the model and training flags train and bundle share.
func ganConfigFlags(fs *flag.FlagSet, stepsHelp string) (*gan.Config, *string) {
	cfg := gan.DefaultConfig()
	fs.IntVar(&cfg.Size, "size", cfg.Size, "image size: 64 or 128")
	fs.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "images per step")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, stepsHelp)
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed for weights, batches and augmentation")
	fs.IntVar(&cfg.GenWidth, "gen-width", cfg.GenWidth, "generator width (channels of its first layer)")
	fs.IntVar(&cfg.DiscWidth, "disc-width", cfg.DiscWidth, "discriminator width")
	fs.IntVar(&cfg.ResBlocks, "res-blocks", cfg.ResBlocks, "generator residual blocks")
	fs.IntVar(&cfg.SampleEvery, "sample-every", cfg.SampleEvery, "steps between sample grids")
	fs.IntVar(&cfg.CheckpointEvery, "checkpoint-every", cfg.CheckpointEvery, "steps between checkpoints")
	fs.BoolVar(&cfg.DiffAugment, "diff-augment", false, "augment every image the discriminator sees (DiffAugment; for small style sets)")
	fs.Float64Var(&cfg.LambdaPair, "pair-loss", cfg.LambdaPair, fmt.Sprintf("weight of the paired loss: where the catalog has the same item in several styles (a group), learn from its real counterpart (0: off; %d when on)", gan.DefaultLambdaPair))
	styles := fs.String("styles", "", "comma-separated styles to train (default: every style with enough labels; a resumed run keeps its own)")
	return &cfg, styles
}

func runTrain(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "train", "--library DIR --run NAME [--size 64] [--batch 12] [--steps N] [--styles a,b,…] [--diff-augment] [--pair-loss W] [--resume] [--backend builtin|torch] [--device cpu|cuda] [--workers N] [--json]",
		"Train the style-transfer GAN on the labeled products' train split (styles with at least 8 training\n"+
			"labels). Checkpoints, sample grids and metrics are kept under the library's runs/ folder and in the\n"+
			"catalog. Ctrl+C stops after the current step and writes a checkpoint; --resume continues exactly.")
	lib := libraryFlag(fs)
	name := fs.String("run", "", "run name (required)")
	cfgp, styles := ganConfigFlags(fs, "total training steps (with --resume: the new total)")
	resume := fs.Bool("resume", false, "continue the named run from its latest complete checkpoint")
	device := fs.String("device", "cpu", "cpu, or with --backend torch: cuda (gpu is the same)")
	backend := fs.String("backend", "builtin", "builtin (this program's engine) or torch (the PyTorch trainer under torchrun; needs python3 with torch)")
	workers := fs.Int("workers", 1, "with --backend torch: processes (one per GPU on cuda); must divide --batch")
	asJSON := fs.Bool("json", false, "print one JSON object per line (events, then a final \"done\" line)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	cfg := *cfgp
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["steps"] && cfg.Steps < 1 {
		// 0 fell back to the default 2,000 steps and started a long run nobody asked for.
		return cliUsageError(env, fs, fmt.Sprintf("--steps must be at least 1, got %d", cfg.Steps))
	}
	var torch *gan.TorchOptions
	switch *backend {
	case "builtin":
		switch *device {
		case "cpu":
		case "gpu", "cuda":
			return errNoGPU
		default:
			return fmt.Errorf("%w: --device must be cpu or gpu, got %q", errUsage, *device)
		}
		if *workers != 1 {
			return fmt.Errorf("%w: --workers needs --backend torch (the built-in engine uses every core in one process)", errUsage)
		}
	case "torch":
		dev := *device
		if dev == "gpu" {
			dev = "cuda"
		}
		if dev != "cpu" && dev != "cuda" {
			return fmt.Errorf("%w: --device must be cpu or cuda, got %q", errUsage, *device)
		}
		if *workers < 1 {
			return fmt.Errorf("%w: --workers must be at least 1", errUsage)
		}
		torch = &gan.TorchOptions{Device: dev, Workers: *workers}
		if !*asJSON {
			torch.Stderr = env.stderr
		}
	default:
		return fmt.Errorf("%w: --backend must be builtin or torch, got %q", errUsage, *backend)
	}
	if strings.TrimSpace(*name) == "" {
		return fmt.Errorf("%w: --run NAME is required", errUsage)
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return err
	}
	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	if *resume {
		// A resumed run continues with its own settings: the defaults of the flags not given described
		// another model, so the resume the tool itself suggested was refused ("trained with a different
		// model") whenever the run was not made with the defaults. Only --steps (the new total) changes.
		if cfg, err = resumeConfig(ctx, db, *name, cfg, set); err != nil {
			return cliUsageError(env, fs, err.Error())
		}
	}
	enc := json.NewEncoder(env.stdout)
	bar := newProgressBar(env.stderr, "training")
	req := studio.TrainRequest{Name: *name, Config: cfg, Resume: *resume, Styles: splitList(*styles), Torch: torch}
	req.Report = func(run store.Run, e gan.Event) {
		line := trainLine{Event: string(e.Kind), Run: run.Name, Step: e.Step, Steps: e.Steps, Message: e.Message}
		switch e.Kind {
		case gan.EventStep:
			l := e.Losses
			line.Losses, line.ImagesPerS, line.ETASeconds = &l, e.ImagesPerS, e.ETA.Seconds()
			bar.label = fmt.Sprintf("training  G %.3f  D %.3f  %.1f img/s", l.G, l.D, e.ImagesPerS)
			bar.update(ingest.Progress{Done: e.Step, Total: e.Steps})
		case gan.EventSample:
			line.Grid = library.GridPath(db.Dir(), run.ID, e.Step)
		case gan.EventCheckpoint:
			line.Checkpoint = e.Checkpoint.WeightsPath()
		case gan.EventWarning:
			if !*asJSON {
				fmt.Fprintln(env.stderr, "warning:", e.Message)
			}
		}
		if *asJSON {
			_ = enc.Encode(line)
		}
	}
	start := time.Now()
	run, sum, err := studio.TrainGAN(ctx, db, req)
	bar.finish()
	if errors.Is(err, gan.ErrTrainerStopped) {
		return fmt.Errorf("%w\nContinue with: stylestudio train --library %s --run %q --resume --backend %s --device %s", err, db.Dir(), *name, *backend, *device)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(env.stderr, "Stopped at step %d; checkpoint kept. Continue with: stylestudio train --library %s --run %q --resume\n",
			sum.Steps, db.Dir(), *name)
		if *asJSON {
			// The stream ends with its "done" line, as the README promises, with the run's status.
			_ = enc.Encode(trainLine{Event: "done", Run: run.Name, Step: sum.Steps, Steps: sum.Steps, Losses: &sum.Losses,
				ImagesPerS: sum.ImagesPerS, Checkpoint: sum.Checkpoint.WeightsPath(), Seconds: time.Since(start).Seconds(), Status: string(run.Status)})
		}
		return err
	}
	if err != nil {
		return err
	}
	done := trainLine{Event: "done", Run: run.Name, Step: sum.Steps, Steps: sum.Steps, Losses: &sum.Losses,
		ImagesPerS: sum.ImagesPerS, Checkpoint: sum.Checkpoint.WeightsPath(), Seconds: time.Since(start).Seconds(), Status: string(run.Status)}
	if *asJSON {
		return enc.Encode(done)
	}
	fmt.Fprintf(env.stdout, "Run %q: %d steps in %s (%.1f images/s). Latest checkpoint: %s\n",
		run.Name, sum.Steps, time.Since(start).Round(time.Second), sum.ImagesPerS, done.Checkpoint)
	grids, _ := library.RunGrids(db.Dir(), run.ID)
	if len(grids) > 0 {
		fmt.Fprintf(env.stdout, "Latest sample grid: %s\n", grids[len(grids)-1])
	}
	return nil
}

// resumeConfig is the configuration a resumed run trains on: the one recorded when it was created, with
// the new total of steps when --steps was given. A model flag given with --resume must say what the run
// already has (scripts that repeat the run's flags keep working); another value is refused, as the run
// keeps its model. A run with no readable recorded configuration keeps the flags (the engine checks
// them against its checkpoint).
func resumeConfig(ctx context.Context, db *store.DB, name string, flags gan.Config, set map[string]bool) (gan.Config, error) {
	run, err := db.RunByName(ctx, name)
	if err != nil {
		return flags, nil // the trainer says the run is missing, with its hint
	}
	rec, ok := studio.RecordedConfig(run)
	if !ok {
		return flags, nil
	}
	got := flags.WithDefaults()
	for _, f := range []struct {
		name      string
		have, was any
	}{
		{"size", got.Size, rec.Size}, {"batch", got.BatchSize, rec.BatchSize}, {"lr", got.LR, rec.LR},
		{"seed", got.Seed, rec.Seed}, {"gen-width", got.GenWidth, rec.GenWidth}, {"disc-width", got.DiscWidth, rec.DiscWidth},
		{"res-blocks", got.ResBlocks, rec.ResBlocks}, {"sample-every", got.SampleEvery, rec.SampleEvery},
		{"checkpoint-every", got.CheckpointEvery, rec.CheckpointEvery}, {"diff-augment", got.DiffAugment, rec.DiffAugment},
		{"pair-loss", got.LambdaPair, rec.LambdaPair},
	} {
		if set[f.name] && f.have != f.was {
			return flags, fmt.Errorf("--%s %v: run %q was created with %v, and a resumed run keeps its settings; only --steps (the new total) changes. Start a new run for other settings", f.name, f.have, name, f.was)
		}
	}
	if set["steps"] {
		rec.Steps = flags.Steps
	}
	return rec, nil
}
