package studio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"stylestudio/engine/dataset"
	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/store"
	"stylestudio/store/library"
)

// GANSamples is how many held-out products appear in a run's sample grids.
const GANSamples = 4

// GANData builds a run's training data from the catalog: the train split of every style with at least
// gan.MinPerStyle training labels (styles with fewer are listed in skipped), and fixed sample products
// from the held-out split, one per style in turn so the grids show different styles.
func GANData(ctx context.Context, db *store.DB) (data gan.Data, skipped []string, err error) {
	labeled, err := labeledWithSplits(ctx, db)
	if err != nil {
		return gan.Data{}, nil, err
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		return gan.Data{}, nil, err
	}
	perStyle := map[string]int{}
	for _, p := range labeled {
		if p.Split == dataset.Train && p.ImageHash != "" {
			perStyle[p.Style]++
		}
	}
	index := map[string]int{}
	for _, s := range styles {
		if perStyle[s.Name] >= gan.MinPerStyle {
			index[s.Name] = len(data.Styles)
			data.Styles = append(data.Styles, s.Name)
		} else {
			skipped = append(skipped, fmt.Sprintf("%s (%d training label%s)", s.Name, perStyle[s.Name], Plural(perStyle[s.Name])))
		}
	}
	if len(data.Styles) < 2 {
		return gan.Data{}, skipped, fmt.Errorf("%w: training needs at least 2 styles with %d labeled training images each (about %d labels per style, since a fifth are held out); too few in: %s",
			gan.ErrNotEnoughData, gan.MinPerStyle, gan.MinPerStyle*5/4+1, strings.Join(skipped, ", "))
	}
	heldByStyle := make([][]store.LabeledProduct, len(data.Styles))
	for _, p := range labeled {
		si, ok := index[p.Style]
		if !ok || p.ImageHash == "" {
			continue
		}
		if p.Split == dataset.Train {
			img, err := thumbImage(ctx, db, p.ImageHash)
			if err != nil {
				return gan.Data{}, nil, fmt.Errorf("read the image of %s: %w", p.SKU, err)
			}
			data.Train = append(data.Train, gan.Example{Image: img, Style: si, Object: p.Group})
		} else {
			heldByStyle[si] = append(heldByStyle[si], p)
		}
	}
	for round := 0; len(data.Samples) < GANSamples && round < 50; round++ {
		for si := range heldByStyle {
			if round < len(heldByStyle[si]) && len(data.Samples) < GANSamples {
				img, err := thumbImage(ctx, db, heldByStyle[si][round].ImageHash)
				if err != nil {
					return gan.Data{}, nil, err
				}
				data.Samples = append(data.Samples, img)
			}
		}
	}
	return data, skipped, nil
}

// trainProductIDs are the products GANData takes as training examples of these styles: labeled, with
// an image, in the (frozen) train split.
func trainProductIDs(ctx context.Context, db *store.DB, styles []string) ([]int64, error) {
	labeled, err := db.LabeledProducts(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, p := range labeled {
		if p.Split == dataset.Train && p.ImageHash != "" && slices.Contains(styles, p.Style) {
			ids = append(ids, p.ID)
		}
	}
	return ids, nil
}

// FilterGANStyles keeps the named styles of data, in the order given: training examples of other styles
// are dropped and the rest re-indexed. The sample images stay (they are restyled into every kept
// style). Every name must be one of data.Styles, and at least two must be given.
func FilterGANStyles(data gan.Data, styles []string) (gan.Data, error) {
	if len(styles) < 2 {
		return gan.Data{}, fmt.Errorf("%w: choose at least 2 styles to train (got %d)", gan.ErrNotEnoughData, len(styles))
	}
	old := map[string]int{}
	for i, s := range data.Styles {
		old[s] = i
	}
	remap := make([]int, len(data.Styles))
	for i := range remap {
		remap[i] = -1
	}
	out := gan.Data{Samples: data.Samples}
	for _, s := range styles {
		i, ok := old[s]
		if !ok {
			return gan.Data{}, fmt.Errorf("%w: style %q cannot be trained: it has fewer than %d labeled training images or does not exist",
				gan.ErrNotEnoughData, s, gan.MinPerStyle)
		}
		if remap[i] >= 0 {
			continue
		}
		remap[i] = len(out.Styles)
		out.Styles = append(out.Styles, s)
	}
	if len(out.Styles) < 2 {
		return gan.Data{}, fmt.Errorf("%w: choose at least 2 different styles to train", gan.ErrNotEnoughData)
	}
	for _, e := range data.Train {
		if k := remap[e.Style]; k >= 0 {
			out.Train = append(out.Train, gan.Example{Image: e.Image, Style: k, Object: e.Object})
		}
	}
	return out, nil
}

// TrainRequest is one training session of a run.
type TrainRequest struct {
	Name   string
	Config gan.Config
	Resume bool        // continue the named run from its latest checkpoint
	Pause  *gan.Pauser // optional
	// Report receives every engine event after the run's bookkeeping (metrics rows, checkpoints,
	// grid files) has been written.
	Report func(store.Run, gan.Event)
	// Styles limits a new run to these styles (each must be one GANData can train); empty means every
	// style with enough labels. A resumed run trains on the styles of its latest checkpoint.
	Styles []string
	// Torch, when set, trains with the PyTorch backend (gan.TrainTorch) instead of the built-in engine.
	Torch *gan.TorchOptions
}

// ErrRunMissing: --resume named a run that does not exist.
var ErrRunMissing = errors.New("no such run")

// ErrRunBusy: another process (a window or a command) is training the run right now.
var ErrRunBusy = library.ErrRunBusy

// RunBusy reports whether a process is training the run now. A run whose stored status is "running"
// but that no process trains was stopped by a crash or a kill: it can be resumed or deleted. Where
// the system has no cross-process lock it trusts the status.
func RunBusy(libraryDir string, run store.Run) bool {
	if run.Status != store.RunRunning {
		return false
	}
	locked, ok := library.RunLocked(library.RunDir(libraryDir, run.ID))
	return locked || !ok
}

// TrainGAN trains (or resumes) a named run on the catalog and records it: the run row and its status,
// a metrics row per logged step, every checkpoint (and which is best), and each sample grid as a PNG in
// the run's folder. It returns when the run finishes, fails, or ctx is cancelled (status "paused":
// the run can be resumed from the checkpoint the engine writes on cancel).
func TrainGAN(ctx context.Context, db *store.DB, req TrainRequest) (store.Run, gan.Summary, error) {
	cfg := req.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return store.Run{}, gan.Summary{}, err
	}
	if req.Torch != nil {
		// Before the run is created: a missing PyTorch or GPU leaves nothing behind.
		to, err := gan.CheckTorch(ctx, *req.Torch, cfg.BatchSize)
		if err != nil {
			return store.Run{}, gan.Summary{}, err
		}
		req.Torch = &to
	}
	data, _, err := GANData(ctx, db)
	if err != nil {
		return store.Run{}, gan.Summary{}, err
	}
	if !req.Resume && len(req.Styles) > 0 {
		if data, err = FilterGANStyles(data, req.Styles); err != nil {
			return store.Run{}, gan.Summary{}, err
		}
	}
	var run store.Run
	// fresh: a resumed run that stopped (or was killed) before its first checkpoint starts over from
	// step 0 with the configuration it was created with; there is nothing else to continue from.
	fresh := false
	if req.Resume {
		if run, err = db.RunByName(ctx, req.Name); errors.Is(err, store.ErrNotFound) {
			return store.Run{}, gan.Summary{}, fmt.Errorf("%w %q to resume; pick one of the library's runs", ErrRunMissing, req.Name)
		} else if err != nil {
			return store.Run{}, gan.Summary{}, err
		}
		// A run trained on some of the styles resumes on the same ones. When one of them can no longer
		// be trained, the data stays as is and the engine explains the mismatch.
		side, damaged, lerr := gan.LatestCheckpoint(library.RunDir(db.Dir(), run.ID))
		switch {
		case lerr == nil:
			if kept, err := FilterGANStyles(data, side.Styles); err == nil {
				data = kept
			}
		case errors.Is(lerr, gan.ErrNoCheckpoint) && len(damaged) == 0:
			fresh = true
			if recorded, ok := RecordedConfig(run); ok {
				recorded.Steps = cfg.Steps
				cfg = recorded.WithDefaults()
			}
			if len(req.Styles) > 0 {
				if data, err = FilterGANStyles(data, req.Styles); err != nil {
					return store.Run{}, gan.Summary{}, err
				}
			}
		}
	} else {
		cfgJSON, _ := json.Marshal(cfg)
		if run, err = db.CreateRun(ctx, req.Name, string(cfgJSON)); err != nil {
			if errors.Is(err, store.ErrRunExists) {
				return store.Run{}, gan.Summary{}, fmt.Errorf("a run named %q already exists; pick another name or add --resume", req.Name)
			}
			return store.Run{}, gan.Summary{}, err
		}
	}
	// What this session trains on, recorded before it starts, so eval can leave these products out.
	trained, err := trainProductIDs(ctx, db, data.Styles)
	if err != nil {
		return run, gan.Summary{}, err
	}
	if err := db.AddRunTrainProducts(ctx, run.ID, trained); err != nil {
		return run, gan.Summary{}, err
	}
	dir := library.RunDir(db.Dir(), run.ID)
	if err := os.MkdirAll(library.GridDir(db.Dir(), run.ID), 0o755); err != nil {
		return run, gan.Summary{}, fmt.Errorf("create the run folder: %w", err)
	}
	release, err := library.LockRun(dir)
	if err != nil {
		return run, gan.Summary{}, fmt.Errorf("%w: %q; wait for it to finish or stop it there", err, run.Name)
	}
	defer release()
	removeStaleTemps(library.GridDir(db.Dir(), run.ID)) // of a sample grid whose writer was killed
	before := run                                       // as it was, for a resume the trainer refuses
	if err := db.SetRunStatus(ctx, run.ID, store.RunRunning); err != nil {
		return run, gan.Summary{}, err
	}
	// Bookkeeping must outlive a cancelled ctx: the final checkpoint and status are written after it.
	bg := context.WithoutCancel(ctx)
	prior := run.Duration
	began := time.Now()
	var pending []store.MetricRow
	var bookErr error
	flush := func() {
		if len(pending) > 0 && bookErr == nil {
			bookErr = db.AddRunMetrics(bg, run.ID, pending)
			pending = pending[:0]
		}
	}
	report := func(e gan.Event) {
		switch e.Kind {
		case gan.EventStep:
			pending = append(pending, MetricRowOf(e))
			if len(pending) >= 5 {
				flush()
			}
		case gan.EventSample:
			if e.Grid != nil {
				if data, err := imaging.EncodePNG(e.Grid); err == nil {
					path := library.GridPath(db.Dir(), run.ID, e.Step)
					if err := writeFileAtomic(path, data); err != nil && bookErr == nil {
						bookErr = fmt.Errorf("save sample grid: %w", err)
					}
				}
			}
		case gan.EventCheckpoint:
			flush()
			best, berr := gan.BestCheckpoint(dir)
			if _, err := db.AddCheckpoint(bg, run.ID, e.Step, e.Checkpoint.WeightsPath(), checkpointMetrics(e.Checkpoint),
				berr == nil && best.Step == e.Step); err != nil && bookErr == nil {
				bookErr = err
			}
			if err := syncCheckpoints(bg, db, run.ID, dir); err != nil && bookErr == nil {
				bookErr = err
			}
			if err := db.SetRunProgress(bg, run.ID, e.Step, prior+time.Since(began)); err != nil && bookErr == nil {
				bookErr = err
			}
		}
		if req.Report != nil {
			req.Report(run, e)
		}
	}
	if req.Resume {
		from := -1
		if side, _, err := gan.LatestCheckpoint(dir); err == nil {
			from = side.Step
		} else if fresh {
			from = 0
			report(gan.Event{Kind: gan.EventWarning, Message: fmt.Sprintf("run %q stopped before its first checkpoint; it starts again from step 0", run.Name)})
		}
		// Metrics logged after the checkpoint we resume from will be logged again.
		if from >= 0 {
			if _, err := db.TrimRunMetrics(bg, run.ID, from); err != nil {
				return run, gan.Summary{}, err
			}
		}
		// A run that was killed may have pruned checkpoint files whose rows it did not get to remove.
		if err := syncCheckpoints(bg, db, run.ID, dir); err != nil {
			return run, gan.Summary{}, err
		}
	}
	validate, err := checkpointValidator(ctx, db, data.Styles)
	if err != nil {
		return run, gan.Summary{}, err
	}
	gopts := gan.Options{Dir: dir, Resume: req.Resume && !fresh, Pause: req.Pause, Validate: validate}
	var sum gan.Summary
	if req.Torch != nil {
		sum, err = gan.TrainTorch(ctx, cfg, data, gopts, *req.Torch, report)
	} else {
		sum, err = gan.Train(ctx, cfg, data, gopts, report)
	}
	flush()
	if req.Resume && !fresh && sum.Steps == 0 && errors.Is(err, gan.ErrCheckpoint) {
		// Refused before its first step (a checkpoint that does not fit): the run stays as it was, not
		// failed at step 0 with its checkpoint still on disk.
		if rerr := db.RestoreRun(bg, before); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if updated, rerr := db.Run(bg, run.ID); rerr == nil {
			run = updated
		}
		return run, sum, err
	}
	// The engine prunes old checkpoints after reporting each one: drop the rows of the last pruned files.
	if serr := syncCheckpoints(bg, db, run.ID, dir); serr != nil && bookErr == nil {
		bookErr = serr
	}
	status := store.RunFinished
	switch {
	case errors.Is(err, context.Canceled):
		status = store.RunPaused
	case errors.Is(err, gan.ErrTrainerStopped):
		status = store.RunInterrupted
	case err != nil:
		status = store.RunFailed
	}
	if perr := db.SetRunProgress(bg, run.ID, sum.Steps, prior+time.Since(began)); perr != nil && err == nil {
		err = perr
	}
	if !status.Terminal() {
		if serr := db.SetRunStatus(bg, run.ID, status); serr != nil && err == nil {
			err = serr
		}
	} else if ferr := db.FinishRun(bg, run.ID, status, ""); ferr != nil && err == nil {
		err = ferr
	}
	if err == nil {
		err = bookErr
	}
	updated, rerr := db.Run(bg, run.ID)
	if rerr == nil {
		run = updated
	}
	return run, sum, err
}

// MetricRowOf is the metrics row of a "step" event.
func MetricRowOf(e gan.Event) store.MetricRow {
	l := e.Losses
	return store.MetricRow{Step: e.Step, GAdv: l.GAdv, GCls: l.GCls, GRec: l.GRec, DAdv: l.DReal + l.DFake, DCls: l.DCls, ImagesPerS: e.ImagesPerS}
}

// CheckpointMetrics is what the catalog records of a checkpoint (store.Checkpoint.MetricsJSON): the
// losses at its step and, when it was validated, its measurement on the validation split ("val").
type CheckpointMetrics struct {
	gan.Losses
	Val *gan.Validation `json:"val,omitempty"`
}

func checkpointMetrics(s gan.Sidecar) string {
	js, _ := json.Marshal(CheckpointMetrics{Losses: s.Losses, Val: s.Val})
	return string(js)
}

// valPerStyle is how many validation products of each style a checkpoint is measured on: enough to
// rank checkpoints, cheap enough to run at every one.
const valPerStyle = 4

// checkpointValidator measures checkpoints on up to valPerStyle products per style of the frozen val
// split (never the test split, never a product the judge trained on), with the library's classifier
// as the judge: style accuracy and content SSIM, as eval measures them. It returns nil when there is
// no judge that knows every style, or no validation product: the engine then picks the best checkpoint
// by its training-loss proxy, and the run's details say which way it was chosen.
func checkpointValidator(ctx context.Context, db *store.DB, styles []string) (func(*gan.Model) (*gan.Validation, error), error) {
	judge, info, err := LoadClassifier(db.Dir())
	if errors.Is(err, ErrNoClassifier) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, s := range styles {
		if !slices.Contains(judge.Styles(), s) {
			return nil, nil
		}
	}
	labeled, err := db.LabeledProducts(ctx)
	if err != nil {
		return nil, err
	}
	judgeSaw := map[int64]bool{}
	for _, id := range info.TrainProducts {
		judgeSaw[id] = true
	}
	var items []gan.EvalItem
	per := map[string]int{}
	for _, p := range labeled {
		k := slices.Index(styles, p.Style)
		if p.Split != dataset.Val || k < 0 || p.ImageHash == "" || judgeSaw[p.ID] || per[p.Style] >= valPerStyle {
			continue
		}
		img, err := thumbImage(ctx, db, p.ImageHash)
		if err != nil {
			return nil, fmt.Errorf("read the image of %s: %w", p.SKU, err)
		}
		// The judge (the library's classifier) reads an output with its source's transparency, as eval does.
		items = append(items, gan.EvalItem{Image: img, Style: k, Alpha: productAlpha(ctx, db, p.ImageHash)})
		per[p.Style]++
	}
	if len(items) == 0 {
		return nil, nil
	}
	return func(m *gan.Model) (*gan.Validation, error) {
		// Also the checkpoint written when the run is paused (ctx cancelled) is measured.
		rep, err := gan.Evaluate(context.WithoutCancel(ctx), m, items, nil, judge)
		if err != nil {
			return nil, err
		}
		// The raw generator's SSIM: the stylizer's backdrop step copies background pixels from the
		// source, which would reward a checkpoint for pixels it did not make.
		return &gan.Validation{StyleAccuracy: rep.StyleAccuracy, ContentSSIM: rep.GeneratorContentSSIM,
			Score: (rep.StyleAccuracy + rep.GeneratorContentSSIM) / 2, Products: rep.Products}, nil
	}, nil
}

// syncCheckpoints makes the catalog's checkpoint rows match the files the engine kept (it prunes old
// ones) and marks the best.
func syncCheckpoints(ctx context.Context, db *store.DB, runID int64, dir string) error {
	rows, err := db.Checkpoints(ctx, runID)
	if err != nil {
		return err
	}
	good, _, err := gan.Checkpoints(dir)
	if err != nil {
		return err
	}
	// The folder is the truth: a row counts only for a complete checkpoint (a kill between a save and
	// its row, or during a prune, leaves the two out of step).
	complete := map[int]gan.Sidecar{}
	for _, s := range good {
		complete[s.Step] = s
	}
	listed := map[int]store.Checkpoint{}
	for _, r := range rows {
		if _, ok := complete[r.Step]; !ok {
			if _, err := db.RemoveCheckpoint(ctx, runID, r.Step); err != nil {
				return err
			}
			continue
		}
		listed[r.Step] = r
	}
	best, berr := gan.BestCheckpoint(dir)
	for _, s := range good {
		isBest := berr == nil && s.Step == best.Step
		r, ok := listed[s.Step]
		if ok && r.IsBest == isBest {
			continue
		}
		if _, err := db.AddCheckpoint(ctx, runID, s.Step, s.WeightsPath(), checkpointMetrics(s), isBest); err != nil {
			return err
		}
	}
	return nil
}

// DeleteRun removes a run from the catalog and its folder (checkpoints, sample grids) from the disk.
// A run that a process is training now is refused (ErrRunBusy); a "running" status left behind by a
// crash or a kill does not block it. Both front ends delete through here.
func DeleteRun(ctx context.Context, db *store.DB, run store.Run) error {
	if RunBusy(db.Dir(), run) {
		return runBusyError{run.Name}
	}
	if _, err := db.DeleteRun(ctx, run.ID); err != nil {
		return err
	}
	if err := os.RemoveAll(library.RunDir(db.Dir(), run.ID)); err != nil {
		return fmt.Errorf("run %q was removed from the catalog, but its folder %s could not be removed: %w", run.Name, library.RunDir(db.Dir(), run.ID), err)
	}
	return nil
}

// runBusyError names the run that is training; it matches ErrRunBusy.
type runBusyError struct{ name string }

func (e runBusyError) Error() string {
	return fmt.Sprintf("run %q is training in another Style Studio window or command; stop it there first", e.name)
}

func (e runBusyError) Is(target error) bool { return target == ErrRunBusy }

// RecordedConfig is the configuration a run was created with (its defaults filled in); false when the
// catalog holds none that is readable and valid. A resumed run trains with it.
func RecordedConfig(run store.Run) (gan.Config, bool) {
	var c gan.Config
	if json.Unmarshal([]byte(run.ConfigJSON), &c) != nil || c.WithDefaults().Validate() != nil {
		return gan.Config{}, false
	}
	return c.WithDefaults(), true
}

// Plural is "s" unless n is 1: "1 training label", "2 training labels". Both front ends' messages use it.
func Plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
