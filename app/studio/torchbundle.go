package studio

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/store"
	"stylestudio/store/library"
)

// A bundle is a folder that trains a run elsewhere (a GPU server, a cluster) with the PyTorch trainer
// and comes back with `runs import`:
//
//	data/          the exported train split, the config and a step-0 checkpoint (gan.ExportTorch), train.py
//	checkpoints/   where the trainer writes; holds the run's latest checkpoint when the run already exists
//	README.md      the torchrun command for one machine and a Slurm multi-node example
//	slurm.sbatch   that example as a file

// BundleRequest is what `bundle` writes.
type BundleRequest struct {
	Name   string     // run name: an existing run continues from its latest checkpoint
	Config gan.Config // for a new run
	Styles []string   // for a new run: limit to these styles
	Out    string     // the bundle folder (created; must be empty or missing)
}

// Bundle is a written bundle.
type Bundle struct {
	Dir      string
	Run      string
	Step     int // where training starts (the existing run's latest checkpoint, else 0)
	Steps    int
	Batch    int
	Styles   []string
	Existing bool
}

// WriteBundle writes a bundle for a run (see above).
func WriteBundle(ctx context.Context, db *store.DB, req BundleRequest) (Bundle, error) {
	b := Bundle{Dir: req.Out, Run: req.Name}
	if entries, err := os.ReadDir(req.Out); err == nil && len(entries) > 0 {
		return b, fmt.Errorf("%s is not empty; give a new folder for the bundle", req.Out)
	}
	data, _, err := GANData(ctx, db)
	if err != nil {
		return b, err
	}
	cfg := req.Config.WithDefaults()
	var latest gan.Sidecar
	run, err := db.RunByName(ctx, req.Name)
	switch {
	case err == nil:
		b.Existing = true
		if latest, _, err = gan.LatestCheckpoint(library.RunDir(db.Dir(), run.ID)); err != nil {
			return b, fmt.Errorf("run %q has no checkpoint to continue from (%v); resume it here first or bundle a new run name", req.Name, err)
		}
		steps := cfg.Steps
		cfg = latest.Config.WithDefaults()
		cfg.Steps = max(steps, latest.Step)
		if data, err = FilterGANStyles(data, latest.Styles); err != nil {
			return b, err
		}
	case errors.Is(err, store.ErrNotFound):
		if len(req.Styles) > 0 {
			if data, err = FilterGANStyles(data, req.Styles); err != nil {
				return b, err
			}
		}
	default:
		return b, err
	}
	if err := cfg.Validate(); err != nil {
		return b, err
	}
	if err := gan.ExportTorch(filepath.Join(req.Out, "data"), req.Name, cfg, data); err != nil {
		return b, err
	}
	ckdir := filepath.Join(req.Out, "checkpoints")
	if err := os.MkdirAll(ckdir, 0o755); err != nil {
		return b, err
	}
	if b.Existing {
		if _, err := gan.CopyCheckpoint(latest, ckdir); err != nil {
			return b, err
		}
		b.Step = latest.Step
	}
	b.Steps, b.Batch, b.Styles = cfg.Steps, cfg.BatchSize, data.Styles
	for name, text := range map[string]string{"README.md": bundleReadme(b), "slurm.sbatch": slurmScript(b)} {
		if err := writeFileAtomic(filepath.Join(req.Out, name), []byte(text)); err != nil {
			return b, err
		}
	}
	return b, nil
}

// BundleCommand is the single-machine command a bundle's README gives.
func BundleCommand(gpus int) string {
	return fmt.Sprintf("torchrun --rdzv_backend c10d --rdzv_endpoint localhost:0 --nnodes 1 --nproc_per_node %d --redirects 1 --tee 1 data/train.py train --data data --out checkpoints --device cuda --no-prune", gpus)
}

func bundleReadme(b Bundle) string {
	start := "a new run, from step 0"
	if b.Existing {
		start = fmt.Sprintf("run %q continued from its checkpoint at step %d (in checkpoints/)", b.Run, b.Step)
	}
	return fmt.Sprintf(`# Style Studio training bundle: %s

This folder trains the style-transfer GAN with PyTorch anywhere torch is installed: %s, to step %d,
batch %d, styles %s. Run the commands from this folder.

## One machine

    %s

--nproc_per_node is the number of GPUs; it must divide the batch (%d). Without a GPU use --device cpu
(gloo). --redirects 1 --tee 1 are needed by some torchrun builds (Debian's, Python 3.11) and harmless
elsewhere. Progress is printed as JSON lines and appended to checkpoints/progress.jsonl. To stop with a
checkpoint, create checkpoints/STOP (or send SIGTERM); run the same command again to continue.
--no-prune keeps every checkpoint: the studio measures each one on its validation split when you
import them, keeps the best and the last few, and uses the best.

## A Slurm cluster (several nodes)

slurm.sbatch starts one torchrun per node; every node must see this folder at the same path (a shared
filesystem), because rank 0 writes checkpoints/. Edit the node and GPU counts, then:

    sbatch slurm.sbatch

## Back in the studio

    stylestudio runs import --library LIBRARY %s

brings the checkpoints and the loss curves back as run %q (or pass --name NEW).
`, b.Run, start, b.Steps, b.Batch, strings.Join(b.Styles, ", "), BundleCommand(1), b.Batch, ".", b.Run)
}

func slurmScript(b Bundle) string {
	return fmt.Sprintf(`#!/bin/bash
#SBATCH --job-name=stylestudio-%s
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=16
# Style Studio bundle: 2 nodes × 4 GPUs = 8 processes; 8 must divide the batch (%d).
head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
srun torchrun --nnodes "$SLURM_NNODES" --nproc_per_node 4 --rdzv_id "$SLURM_JOB_ID" \
  --rdzv_backend c10d --rdzv_endpoint "$head:29500" --redirects 1 --tee 1 \
  data/train.py train --data data --out checkpoints --device cuda --no-prune
`, b.Run, b.Batch)
}

// ImportNotes say what ImportRun did besides copying: how many imported checkpoints it measured on the
// validation split, the checkpoint the run's model is now used from, and what went wrong without
// stopping the import.
type ImportNotes struct {
	Validated        int
	ServingStep      int
	ServingValidated bool // the serving checkpoint is the best validated one (else: the latest)
	Warnings         []string
}

// ImportRun brings a bundle's checkpoints and loss curves into the library: as a new run named name
// (default: the bundle's run), or, when that run exists with the same model and styles, as its
// continuation (checkpoints after its latest one). Each imported checkpoint is measured on the
// validation split as a run trained here is (when the library's classifier knows every style and the
// split has products), and the run's checkpoints are pruned as training prunes them, so the run's model
// is its best-validated checkpoint, not the trainer's training-loss pick. Without a measurement nothing
// is pruned and the run's model is its latest checkpoint. A continued run's earlier checkpoints keep
// the measurement they got when they were written, by the classifier of that time.
func ImportRun(ctx context.Context, db *store.DB, dir, name string) (store.Run, ImportNotes, error) {
	var notes ImportNotes
	run, err := importRun(ctx, db, dir, name, &notes)
	return run, notes, err
}

func importRun(ctx context.Context, db *store.DB, dir, name string, notes *ImportNotes) (store.Run, error) {
	ckdir := filepath.Join(dir, "checkpoints")
	good, damaged, err := gan.Checkpoints(ckdir)
	if err != nil {
		return store.Run{}, err
	}
	if len(good) == 0 {
		msg := ""
		if len(damaged) > 0 {
			msg = " (damaged: " + strings.Join(damaged, "; ") + ")"
		}
		return store.Run{}, fmt.Errorf("%w in %s%s; run the bundle's training command first", gan.ErrNoCheckpoint, ckdir, msg)
	}
	latest := good[len(good)-1]
	if name == "" {
		var meta struct {
			Run string `json:"run"`
		}
		if raw, err := os.ReadFile(filepath.Join(dir, "data", "data.json")); err == nil {
			_ = json.Unmarshal(raw, &meta)
		}
		if name = meta.Run; name == "" {
			return store.Run{}, fmt.Errorf("%s names no run; pass --name", dir)
		}
	}
	from := -1
	run, err := db.RunByName(ctx, name)
	switch {
	case err == nil:
		have, _, lerr := gan.LatestCheckpoint(library.RunDir(db.Dir(), run.ID))
		if lerr != nil || gan.CheckContinue(latest, have.Config, have.Styles) != nil {
			return run, fmt.Errorf("a run named %q already exists and the bundle does not continue it; import with --name NEW", name)
		}
		if latest.Step <= have.Step {
			return run, fmt.Errorf("run %q is already at step %d; the bundle reached step %d, nothing to import", name, have.Step, latest.Step)
		}
		from = have.Step
	case errors.Is(err, store.ErrNotFound):
		cfgJSON, _ := json.Marshal(latest.Config)
		if run, err = db.CreateRun(ctx, name, string(cfgJSON)); err != nil {
			return run, err
		}
	default:
		return run, err
	}
	rdir := library.RunDir(db.Dir(), run.ID)
	if err := os.MkdirAll(library.GridDir(db.Dir(), run.ID), 0o755); err != nil {
		return run, err
	}
	release, err := library.LockRun(rdir)
	if err != nil {
		return run, fmt.Errorf("%w: %q", err, run.Name)
	}
	defer release()
	validate, err := checkpointValidator(ctx, db, latest.Styles)
	if err != nil {
		notes.Warnings = append(notes.Warnings, "the checkpoints were not validated: "+err.Error())
		validate = nil
	} else if validate == nil {
		notes.Warnings = append(notes.Warnings, "the checkpoints were not validated, so all of them were kept: the library has no style classifier that knows every style of the run, or no labeled product in the validation split (train one with `classify` or on the Label screen)")
	}
	keep := latest.Config.WithDefaults().KeepLast
	for _, s := range good {
		if s.Step <= from {
			continue
		}
		cp, err := gan.CopyCheckpoint(s, rdir)
		if err != nil {
			return run, err
		}
		if validate == nil { // without a measurement the only ranking is the training-loss proxy: prune nothing
			continue
		}
		if err := gan.ValidateCheckpoint(&cp, validate); err != nil {
			notes.Warnings = append(notes.Warnings, fmt.Sprintf("checkpoint %d was not validated: %v", cp.Step, err))
		} else {
			notes.Validated++
		}
		// As training does after each checkpoint, so a long run never needs all its checkpoints here at once.
		if err := gan.PruneCheckpoints(rdir, keep); err != nil {
			notes.Warnings = append(notes.Warnings, "old checkpoints were not pruned: "+err.Error())
		}
	}
	if serve, _, err := gan.ServingCheckpoint(rdir); err != nil {
		notes.Warnings = append(notes.Warnings, "which checkpoint the run's model is: "+err.Error())
	} else {
		notes.ServingStep, notes.ServingValidated = serve.Step, serve.Val != nil
	}
	if err := syncCheckpoints(ctx, db, run.ID, rdir); err != nil {
		return run, err
	}
	rows, seconds := readProgress(filepath.Join(ckdir, "progress.jsonl"), from)
	if from >= 0 {
		if _, err := db.TrimRunMetrics(ctx, run.ID, from); err != nil {
			return run, err
		}
	}
	if len(rows) > 0 {
		if err := db.AddRunMetrics(ctx, run.ID, rows); err != nil {
			return run, err
		}
	}
	if data, _, err := GANData(ctx, db); err == nil && len(data.Samples) > 0 {
		if grid, err := gan.CheckpointGrid(latest, data.Samples); err == nil {
			if png, err := imaging.EncodePNG(grid); err == nil {
				_ = writeFileAtomic(library.GridPath(db.Dir(), run.ID, latest.Step), png)
			}
		}
	}
	if err := db.SetRunProgress(ctx, run.ID, latest.Step, run.Duration+time.Duration(seconds*float64(time.Second))); err != nil {
		return run, err
	}
	if latest.Step >= latest.Config.Steps {
		err = db.FinishRun(ctx, run.ID, store.RunFinished, "")
	} else {
		err = db.SetRunStatus(ctx, run.ID, store.RunPaused)
	}
	if err != nil {
		return run, err
	}
	return db.Run(ctx, run.ID)
}

// readProgress reads a trainer's progress.jsonl: a metrics row per step line after step from (the last
// one for a step logged twice, by a run that was stopped and continued) and the training seconds of
// its sessions.
func readProgress(path string, from int) ([]store.MetricRow, float64) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0
	}
	defer f.Close()
	byStep := map[int]store.MetricRow{}
	seconds := 0.0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		var l struct {
			Event      string      `json:"event"`
			Step       int         `json:"step"`
			Losses     *gan.Losses `json:"losses"`
			ImagesPerS float64     `json:"images_per_s"`
			Seconds    float64     `json:"seconds"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		switch {
		case l.Event == "step" && l.Losses != nil && l.Step > from:
			byStep[l.Step] = MetricRowOf(gan.Event{Step: l.Step, Losses: *l.Losses, ImagesPerS: l.ImagesPerS})
		case l.Event == "done" && l.Step > from:
			seconds += l.Seconds
		}
	}
	rows := make([]store.MetricRow, 0, len(byStep))
	for _, r := range byStep {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Step < rows[j].Step })
	return rows, seconds
}
