package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"stylestudio/app/studio"
	"stylestudio/store"
)

// bundleJSON is `bundle --json`.
type bundleJSON struct {
	Dir      string   `json:"dir"`
	Run      string   `json:"run"`
	Step     int      `json:"step"`
	Steps    int      `json:"steps"`
	Batch    int      `json:"batch"`
	Styles   []string `json:"styles"`
	Existing bool     `json:"existing"`
	Command  string   `json:"command"`
}

func runBundle(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "bundle", "--library DIR --run NAME --out DIR [--steps N] [--batch 12] [--size 64] [...] [--json]",
		"Write a folder that trains a run with PyTorch on another machine (a GPU server or a Slurm cluster): the\n"+
			"run's train split, its config, the trainer (train.py) and a README with the torchrun commands. An existing\n"+
			"run continues from its latest checkpoint; a new name starts a run with the given settings. Bring the\n"+
			"results back with `stylestudio runs import DIR`.")
	lib := libraryFlag(fs)
	name := fs.String("run", "", "run name (required)")
	out := fs.String("out", "", "bundle folder to create (required; must be empty or missing)")
	cfg, styles := ganConfigFlags(fs, "total training steps (an existing run: the new total)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" || strings.TrimSpace(*out) == "" {
		return fmt.Errorf("%w: --run and --out are required", errUsage)
	}
	db, err := openExistingLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	dir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	b, err := studio.WriteBundle(ctx, db, studio.BundleRequest{Name: *name, Config: *cfg, Styles: splitList(*styles), Out: dir})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(bundleJSON{Dir: b.Dir, Run: b.Run, Step: b.Step, Steps: b.Steps, Batch: b.Batch,
			Styles: b.Styles, Existing: b.Existing, Command: studio.BundleCommand(1)})
	}
	fmt.Fprintf(env.stdout, "Bundle for run %q written to %s (steps %d to %d, batch %d).\nOn the GPU machine, in that folder:\n  %s\nThen: stylestudio runs import --library %s %s\n",
		b.Run, b.Dir, b.Step, b.Steps, b.Batch, studio.BundleCommand(1), db.Dir(), b.Dir)
	return nil
}

// importRun is `runs import DIR [--name NAME]`.
func importRun(ctx context.Context, env *cliEnv, db *store.DB, dir, name string, asJSON bool) error {
	run, notes, err := studio.ImportRun(ctx, db, dir, name)
	if err != nil {
		return err
	}
	for _, w := range notes.Warnings {
		fmt.Fprintf(env.stderr, "warning: %s\n", w)
	}
	if asJSON {
		return json.NewEncoder(env.stdout).Encode(map[string]any{"ok": true, "run": run.Name, "steps": run.StepsDone, "status": string(run.Status),
			"validated": notes.Validated, "serving_step": notes.ServingStep, "serving_validated": notes.ServingValidated})
	}
	fmt.Fprintf(env.stdout, "Imported run %q: %d steps, %s\n", run.Name, run.StepsDone, run.Status)
	fmt.Fprintf(env.stdout, "Validated %d imported checkpoints on the validation split.\n", notes.Validated)
	switch {
	case notes.ServingStep == 0:
	case notes.ServingValidated:
		fmt.Fprintf(env.stdout, "The run's model is its best-validated checkpoint, step %d.\n", notes.ServingStep)
	default:
		fmt.Fprintf(env.stdout, "No checkpoint of the run is validated; its model is its latest checkpoint, step %d.\n", notes.ServingStep)
	}
	return nil
}
