package gan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/engine/demo"
	"stylestudio/engine/nn"
)

// demoData renders n demo items at 48 px as training data, with the first two as samples.
func demoData(tb testing.TB, n int) Data {
	tb.Helper()
	var d Data
	index := map[string]int{}
	for i, s := range demo.Styles() {
		index[s.Name] = i
		d.Styles = append(d.Styles, s.Name)
	}
	for _, it := range demo.Catalog(n, 5) {
		img, err := demo.Render(it.Params, it.Style, 48)
		if err != nil {
			tb.Fatal(err)
		}
		d.Train = append(d.Train, Example{Image: img, Style: index[it.Style]})
		if len(d.Samples) < 2 {
			d.Samples = append(d.Samples, img)
		}
	}
	return d
}

func tinyConfig(steps int) Config {
	return Config{Size: 32, GenWidth: 4, DiscWidth: 4, ResBlocks: 1, BatchSize: 4, Steps: steps,
		SampleEvery: 3, CheckpointEvery: 3, LogEvery: 1, KeepLast: 2}.WithDefaults()
}

func TestTrainReportsAndCheckpoints(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	var steps, grids, ckpts int
	var grid *image.NRGBA
	sum, err := Train(context.Background(), tinyConfig(7), data, Options{Dir: dir}, func(e Event) {
		switch e.Kind {
		case EventStep:
			steps++
		case EventSample:
			grids++
			grid = e.Grid
		case EventCheckpoint:
			ckpts++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 7 || steps != 7 || ckpts != 3 || grids != 4 { // grids at 0, 3, 6, 7; checkpoints at 3, 6, 7
		t.Fatalf("summary %+v, %d step events, %d grids, %d checkpoints", sum, steps, grids, ckpts)
	}
	// Grid: 2 sample rows × (source + 6 styles) cells of 32 px with 2 px gutters.
	if b := grid.Bounds(); b.Dx() != 7*34+2 || b.Dy() != 2*34+2 {
		t.Fatalf("grid is %v", b)
	}
	good, _, err := listCheckpoints(dir)
	best, berr := BestCheckpoint(dir)
	if err != nil || berr != nil {
		t.Fatal(err, berr)
	}
	var kept []int
	for _, s := range good {
		kept = append(kept, s.Step)
	}
	want := []int{6, 7}
	if best.Step == 3 {
		want = []int{3, 6, 7}
	}
	if fmt.Sprint(kept) != fmt.Sprint(want) {
		t.Fatalf("kept checkpoints %v, want the last 2 and the best (step %d)", kept, best.Step)
	}
}

// Resume must continue exactly: 3 steps + resume to 6 gives the weights of 6 uninterrupted steps, with
// DiffAugment too (its draws come from the run's saved random generator). DiffAugment must also change
// what the discriminator sees: its run's losses differ from the plain one's.
func TestResumeIsExact(t *testing.T) {
	data := demoData(t, 60)
	var plain Losses
	for _, aug := range []bool{false, true} {
		cfg := func(steps int) Config {
			c := tinyConfig(steps)
			c.DiffAugment = aug
			return c
		}
		straight, split := t.TempDir(), t.TempDir()
		if _, err := Train(context.Background(), cfg(6), data, Options{Dir: straight}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := Train(context.Background(), cfg(3), data, Options{Dir: split}, nil); err != nil {
			t.Fatal(err)
		}
		sum, err := Train(context.Background(), cfg(6), data, Options{Dir: split, Resume: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _, _ := LatestCheckpoint(straight)
		b, _, _ := LatestCheckpoint(split)
		if a.Step != 6 || b.Step != 6 || sum.Steps != 6 {
			t.Fatalf("diff augment %v: steps %d and %d", aug, a.Step, b.Step)
		}
		if a.Losses != b.Losses {
			t.Fatalf("diff augment %v: losses differ after resume:\n%+v\n%+v", aug, a.Losses, b.Losses)
		}
		if !aug {
			plain = a.Losses
		} else if a.Losses.DReal == plain.DReal || a.Losses.GAdv == plain.GAdv {
			t.Fatalf("DiffAugment did not change the discriminator's inputs: %+v and %+v", a.Losses, plain)
		}
		if !a.Config.DiffAugment == aug {
			t.Fatalf("the checkpoint's config lost diff_augment=%v", aug)
		}
		ta, _, _ := nn.ReadSafetensors(a.WeightsPath())
		tb, _, _ := nn.ReadSafetensors(b.WeightsPath())
		for name, x := range ta {
			y := tb[name]
			for i := range x.Data {
				if x.Data[i] != y.Data[i] {
					t.Fatalf("diff augment %v: %s[%d] differs after resume: %g vs %g", aug, name, i, x.Data[i], y.Data[i])
				}
			}
		}
	}
}

func TestCancelLeavesResumableCheckpoint(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := tinyConfig(50)
	_, err := Train(ctx, cfg, data, Options{Dir: dir}, func(e Event) {
		if e.Kind == EventStep && e.Step == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancellation", err)
	}
	side, _, err := LatestCheckpoint(dir)
	if err != nil || side.Step != 2 {
		t.Fatalf("latest checkpoint %+v, %v; want step 2", side, err)
	}
}

func TestDamagedCheckpointIsPassedOver(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	if _, err := Train(context.Background(), tinyConfig(6), data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	latest, _, _ := LatestCheckpoint(dir)
	// Truncate the newest weights file: resume must fall back to step 3 and say why.
	if err := os.Truncate(latest.WeightsPath(), 100); err != nil {
		t.Fatal(err)
	}
	var warned bool
	sum, err := Train(context.Background(), tinyConfig(6), data, Options{Dir: dir, Resume: true}, func(e Event) {
		warned = warned || e.Kind == EventWarning
	})
	if err != nil || !warned || sum.Steps != 6 {
		t.Fatalf("resume after damage: %+v, %v, warned %v", sum, err, warned)
	}
}

func TestRefusesOtherModelAndTooFewLabels(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	if _, err := Train(context.Background(), tinyConfig(3), data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	wider := tinyConfig(6)
	wider.GenWidth = 8
	if _, err := Train(context.Background(), wider, data, Options{Dir: dir, Resume: true}, nil); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("resume with another architecture: %v", err)
	}
	fewer := data
	fewer.Styles = data.Styles[:5]
	fewer.Train = nil
	for _, e := range data.Train {
		if e.Style < 5 {
			fewer.Train = append(fewer.Train, e)
		}
	}
	if _, err := Train(context.Background(), tinyConfig(6), fewer, Options{Dir: dir, Resume: true}, nil); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("resume with another style list: %v", err)
	}
	few := Data{Styles: data.Styles[:2], Train: data.Train[:3]}
	for i := range few.Train {
		few.Train[i].Style = i % 2
	}
	_, err := Train(context.Background(), tinyConfig(3), few, Options{Dir: t.TempDir()}, nil)
	if !errors.Is(err, ErrNotEnoughData) {
		t.Fatalf("too few labels: %v", err)
	}
	one := Data{Styles: data.Styles[:1], Train: data.Train}
	if _, err := Train(context.Background(), tinyConfig(3), one, Options{Dir: t.TempDir()}, nil); !errors.Is(err, ErrNotEnoughData) {
		t.Fatalf("one style: %v", err)
	}
}

func TestNaNStopsAndKeepsCheckpoint(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	cfg := tinyConfig(9)
	if _, err := Train(context.Background(), tinyConfig(3), data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	// Poison a weight in the latest checkpoint through a resumed run's first step: a huge learning
	// rate is the honest way to make the losses blow up.
	side, _, _ := LatestCheckpoint(dir)
	p, opt, err := readCheckpointTensors(side)
	if err != nil {
		t.Fatal(err)
	}
	w := p["g.out.conv.weight"]
	for i := range w.Data {
		w.Data[i] = float32(1e30)
	}
	d := p["d.src.weight"]
	for i := range d.Data {
		d.Data[i] = float32(1e30)
	}
	for k, v := range opt {
		p[k] = v
	}
	poisoned := filepath.Join(t.TempDir(), "run")
	side.Step = 3
	if _, err := saveCheckpoint(poisoned, side, p); err != nil {
		t.Fatal(err)
	}
	_, err = Train(context.Background(), cfg, data, Options{Dir: poisoned, Resume: true}, nil)
	if !errors.Is(err, ErrNaN) {
		t.Fatalf("err = %v, want ErrNaN", err)
	}
	if latest, _, _ := LatestCheckpoint(poisoned); latest.Step != 3 {
		t.Fatalf("latest checkpoint is step %d, want the good step 3", latest.Step)
	}
}

// A save that fails (here: the target name is taken by a folder, as a full disk would fail the write)
// stops the run with a clear error and leaves the previous checkpoint as the latest good one.
func TestFailedSaveKeepsPreviousCheckpoint(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	if _, err := Train(context.Background(), tinyConfig(3), data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, checkpointBase(6)+".safetensors"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Train(context.Background(), tinyConfig(6), data, Options{Dir: dir, Resume: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "previous checkpoint is kept") {
		t.Fatalf("err = %v, want a failed save that says the previous checkpoint is kept", err)
	}
	latest, _, err := LatestCheckpoint(dir)
	if err != nil || latest.Step != 3 {
		t.Fatalf("latest %+v, %v; want step 3", latest, err)
	}
	if _, err := LoadModel(dir); err != nil {
		t.Fatalf("the previous checkpoint does not load: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestLoadModelRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.safetensors")
	if err := nn.WriteSafetensors(other, map[string]nn.Tensor{"w": {Shape: []int{1}, Data: []float32{1}}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(other); !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "not a Style Studio GAN checkpoint") {
		t.Fatalf("foreign safetensors: %v", err)
	}
	if _, err := LoadModel(t.TempDir()); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("empty run folder: %v", err)
	}
}

// Preview and full resolution keep the picture's geometry; full resolution keeps the original size.
func TestStylizeSizes(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	if _, err := Train(context.Background(), tinyConfig(2), data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	src := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range src.Pix {
		src.Pix[i] = 255
	}
	low, err := m.Preview(src, "neon")
	if err != nil || low.Bounds().Dx() != 32 {
		t.Fatalf("preview %v, %v", low.Bounds(), err)
	}
	full, err := m.FullRes(src, "neon")
	if err != nil || full.Bounds().Dx() != 300 || full.Bounds().Dy() != 200 {
		t.Fatalf("full res %v, %v", full.Bounds(), err)
	}
	if _, err := m.Preview(src, "plaid"); err == nil || !strings.Contains(err.Error(), "no style \"plaid\"") {
		t.Fatalf("unknown style: %v", err)
	}
}

// 128 px is selectable: the discriminator gets one more layer, so its last map stays 4×4.
func TestSize128Trains(t *testing.T) {
	cfg := Config{Size: 128, GenWidth: 4, DiscWidth: 4, ResBlocks: 1, BatchSize: 2}.WithDefaults()
	if cfg.discLayers() != 5 {
		t.Fatalf("discriminator layers at 128 px: %d", cfg.discLayers())
	}
	if _, err := BenchTrain(context.Background(), cfg, 3, 1, 0); err != nil {
		t.Fatal(err)
	}
}

// A save that was killed leaves a hidden temp file as big as a checkpoint; the next run in that
// folder removes it (and keeps everything else).
func TestTrainRemovesTempFilesOfAKilledSave(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	stale := filepath.Join(dir, ".ckpt-0000002.safetensors.tmp-123456")
	other := filepath.Join(dir, ".notes")
	os.WriteFile(stale, []byte("half a checkpoint"), 0o644)
	os.WriteFile(other, []byte("mine"), 0o644)
	if _, err := Train(context.Background(), tinyConfig(1), data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the temp file of the killed save is still there")
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another hidden file was removed: %v", err)
	}
}

// A prune killed between removing a checkpoint's sidecar and its weights leaves weights without a
// sidecar; the next prune removes them (they are no checkpoint, and nothing would rewrite them).
func TestPruneRemovesOrphanWeights(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	cfg := tinyConfig(2)
	cfg.CheckpointEvery = 1
	if _, err := Train(context.Background(), cfg, data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, checkpointBase(1)+".safetensors")
	if err := os.Remove(filepath.Join(dir, checkpointBase(1)+".json")); err != nil {
		t.Fatal(err)
	}
	cfg.Steps = 3
	if _, err := Train(context.Background(), cfg, data, Options{Dir: dir, Resume: true}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); err == nil {
		t.Error("weights without a sidecar were left behind")
	}
	if _, _, err := LatestCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
}

// A kill after the run's last save but before its prune leaves an extra checkpoint; resuming the
// finished run prunes it, so the folder holds what an uninterrupted run keeps.
func TestResumePrunesLeftoverCheckpoints(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	cfg := tinyConfig(4)
	cfg.CheckpointEvery, cfg.KeepLast = 1, 1
	if _, err := Train(context.Background(), cfg, data, Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	want, _, _ := Checkpoints(dir)
	// Put back a checkpoint the last prune removed, as if the kill came before that prune.
	other := t.TempDir()
	cfg2 := cfg
	cfg2.Steps = 1
	if _, err := Train(context.Background(), cfg2, data, Options{Dir: other}, nil); err != nil {
		t.Fatal(err)
	}
	old, _, _ := LatestCheckpoint(other)
	for _, p := range []string{old.Path, old.WeightsPath()} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, _, _ := Checkpoints(dir); len(got) != len(want)+1 {
		t.Fatalf("setup: %d checkpoints, want %d", len(got), len(want)+1)
	}
	if _, err := Train(context.Background(), cfg, data, Options{Dir: dir, Resume: true}, nil); err != nil {
		t.Fatal(err)
	}
	got, _, _ := Checkpoints(dir)
	if len(got) != len(want) {
		t.Fatalf("after resuming the finished run: %d checkpoints, want %d", len(got), len(want))
	}
}

// With a validation measurement, the best checkpoint is the best-measured one (not the training-loss
// proxy), its measurement is in its sidecar, and pruning keeps it.
func TestBestCheckpointIsChosenByValidation(t *testing.T) {
	data := demoData(t, 60)
	dir := t.TempDir()
	cfg := tinyConfig(9) // checkpoints at 3, 6, 9
	cfg.KeepLast = 1
	var seen []int
	if _, err := Train(context.Background(), cfg, data, Options{Dir: dir, Validate: peakValidation(t, data, 6, &seen)}, nil); err != nil {
		t.Fatal(err)
	}
	checkValidatedRun(t, dir, seen, 6, 9)
	// A failed validation is a warning, and the checkpoint is ranked without it.
	dir2 := t.TempDir()
	var warned bool
	_, err := Train(context.Background(), tinyConfig(3), data, Options{Dir: dir2, Validate: func(*Model) (*Validation, error) {
		return nil, errors.New("no judge")
	}}, func(e Event) { warned = warned || (e.Kind == EventWarning && strings.Contains(e.Message, "no judge")) })
	if err != nil || !warned {
		t.Fatalf("failed validation: %v, warned %v", err, warned)
	}
	if b, err := BestCheckpoint(dir2); err != nil || b.Val != nil || b.Step != 3 {
		t.Errorf("best without validation %+v, %v", b, err)
	}
	// Without any validation the model used is the latest checkpoint, whatever the loss proxy ranks
	// best (it favours checkpoints that barely change their input).
	dir3 := t.TempDir()
	if _, err := Train(context.Background(), tinyConfig(9), data, Options{Dir: dir3}, nil); err != nil {
		t.Fatal(err)
	}
	if s, latest, err := ServingCheckpoint(dir3); err != nil || s.Step != 9 || latest != 9 {
		t.Errorf("serving checkpoint without validation: step %d (latest %d), %v; want 9", s.Step, latest, err)
	}
}

// peakValidation returns an Options.Validate that appends the steps it measures to *seen and scores
// step peak best. The training-loss proxy favours the earliest checkpoints (they barely change their
// input), so a peak later than the first tells validation from the proxy.
func peakValidation(t *testing.T, data Data, peak int, seen *[]int) func(*Model) (*Validation, error) {
	return func(m *Model) (*Validation, error) {
		*seen = append(*seen, m.Step())
		if len(m.Styles()) != len(data.Styles) {
			t.Errorf("validated model has styles %v", m.Styles())
		}
		d := float64(m.Step() - peak)
		acc := 1 - d*d/100
		return &Validation{StyleAccuracy: acc, ContentSSIM: 0.5, Score: (acc + 0.5) / 2, Products: 4}, nil
	}
}

// checkValidatedRun checks a run folder trained with checkpoints every 3 steps up to last, KeepLast
// 1 and peakValidation(peak): every checkpoint was measured, the best is peak with its validation,
// pruning kept it and the last, and the run's model (Preview, stylize, eval) is peak, knowing a later
// checkpoint exists.
func checkValidatedRun(t *testing.T, dir string, seen []int, peak, last int) {
	t.Helper()
	var want []int
	for s := 3; s <= last; s += 3 {
		want = append(want, s)
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("validated at steps %v, want every checkpoint %v", seen, want)
	}
	best, err := BestCheckpoint(dir)
	if err != nil || best.Step != peak || best.Val == nil || best.Val.Products != 4 {
		t.Fatalf("best step %d (val %+v), %v; want step %d with its validation", best.Step, best.Val, err, peak)
	}
	good, _, _ := Checkpoints(dir)
	var steps []int
	for _, s := range good {
		steps = append(steps, s.Step)
	}
	if fmt.Sprint(steps) != fmt.Sprint([]int{peak, last}) {
		t.Errorf("kept checkpoints %v, want the validated best (%d) and the last (%d)", steps, peak, last)
	}
	if m, err := LoadModel(dir); err != nil || m.Step() != peak || m.LatestStep() != last {
		t.Errorf("the run folder's model: %v; want step %d with latest %d", err, peak, last)
	}
}
