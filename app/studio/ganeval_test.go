package studio

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"stylestudio/engine/dataset"
	"stylestudio/engine/gan"
	"stylestudio/engine/style"
	"stylestudio/store"
	"stylestudio/store/library"
)

// Evaluation scores only products that neither the run (as it recorded) nor its judge trained on.
func TestHeldOutForLeavesOutWhatTheRunAndTheJudgeSaw(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 60)
	labeled, err := labeledWithSplits(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var train, held []int64
	for _, p := range labeled {
		if p.Split == dataset.Train {
			train = append(train, p.ID)
		} else {
			held = append(held, p.ID)
		}
	}
	if len(held) < 4 {
		t.Fatalf("only %d held-out products", len(held))
	}
	run, err := db.CreateRun(ctx, "r", "")
	if err != nil {
		t.Fatal(err)
	}
	// Before the run recorded anything: its train split is left out, and it says it does not know.
	got, recorded, err := HeldOutFor(ctx, db, run.ID, ClassifierInfo{})
	if err != nil || recorded || len(got) != len(held) {
		t.Fatalf("unrecorded run: %d products, recorded %v, %v; want %d", len(got), recorded, err, len(held))
	}
	// A run that saw a held-out product (an older assignment put it in train), and a judge that saw another.
	ganSaw, judgeSaw := held[0], held[1]
	if err := db.AddRunTrainProducts(ctx, run.ID, append(slices.Clone(train), ganSaw)); err != nil {
		t.Fatal(err)
	}
	got, recorded, err = HeldOutFor(ctx, db, run.ID, ClassifierInfo{TrainProducts: append(slices.Clone(train[:3]), judgeSaw)})
	if err != nil || !recorded || len(got) != len(held)-2 {
		t.Fatalf("%d products, recorded %v, %v; want %d", len(got), recorded, err, len(held)-2)
	}
	for _, p := range got {
		if p.ID == ganSaw || p.ID == judgeSaw || p.Split == dataset.Train {
			t.Errorf("%s (%s) is scored though a model saw it", p.SKU, p.Split)
		}
	}
}

// A run records the products it trained on, and they are the train split's of its styles.
func TestTrainGANRecordsItsTrainingProducts(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 150)
	cfg := gan.Config{Size: 32, GenWidth: 4, DiscWidth: 4, ResBlocks: 1, BatchSize: 4, Steps: 1, SampleEvery: 1, CheckpointEvery: 1}
	run, _, err := TrainGAN(ctx, db, TrainRequest{Name: "tiny", Config: cfg, Styles: []string{"neon", "minimal"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.RunTrainProducts(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	labeled, _ := db.LabeledProducts(ctx)
	want := 0
	for _, p := range labeled {
		trained := p.Split == dataset.Train && (p.Style == "neon" || p.Style == "minimal")
		if trained {
			want++
		}
		if got[p.ID] != trained {
			t.Errorf("%s (%s, %s): recorded %v", p.SKU, p.Style, p.Split, got[p.ID])
		}
	}
	if want == 0 || len(got) != want {
		t.Errorf("recorded %d products, want %d", len(got), want)
	}
}

// With a style classifier in the library, every checkpoint is measured on the validation split, the
// measurement is recorded with it, and the best checkpoint is the best-measured one.
func TestTrainGANValidatesCheckpoints(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 150)
	if _, _, err := TrainClassifier(ctx, db, style.Config{Size: 16, Epochs: 2, Width: 4, BatchSize: 8}, nil); err != nil {
		t.Fatal(err)
	}
	cfg := gan.Config{Size: 32, GenWidth: 4, DiscWidth: 4, ResBlocks: 1, BatchSize: 4, Steps: 3, SampleEvery: 3, CheckpointEvery: 1, KeepLast: 1}
	var warnings []string
	run, _, err := TrainGAN(ctx, db, TrainRequest{Name: "val", Config: cfg, Styles: []string{"neon", "minimal"},
		Report: func(_ store.Run, e gan.Event) {
			if e.Kind == gan.EventWarning {
				warnings = append(warnings, e.Message)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings %v", warnings)
	}
	cks, err := db.Checkpoints(ctx, run.ID)
	if err != nil || len(cks) == 0 {
		t.Fatalf("checkpoints %v, %v", cks, err)
	}
	bestScore, bestStep := -1.0, 0
	for _, c := range cks {
		var m CheckpointMetrics
		if err := json.Unmarshal([]byte(c.MetricsJSON), &m); err != nil || m.Val == nil || m.Val.Products == 0 || m.Val.Products > 2*valPerStyle {
			t.Fatalf("checkpoint %d metrics %s: want its validation on at most %d products per style", c.Step, c.MetricsJSON, valPerStyle)
		}
		if m.Val.Score >= bestScore {
			bestScore, bestStep = m.Val.Score, c.Step
		}
	}
	best, err := db.BestCheckpoint(ctx, run.ID)
	if err != nil || best.Step != bestStep {
		t.Errorf("best checkpoint %d, %v; the best-validated kept one is %d", best.Step, err, bestStep)
	}
}

// A bundle's checkpoints come back measured on the validation split, as a run trained here is (the
// trainer elsewhere has no judge; its own pick is the training-loss proxy), and the run's model is the
// best-measured one.
func TestImportRunValidatesCheckpoints(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 150)
	if _, _, err := TrainClassifier(ctx, db, style.Config{Size: 16, Epochs: 2, Width: 4, BatchSize: 8}, nil); err != nil {
		t.Fatal(err)
	}
	data, _, err := GANData(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// Checkpoints in the trainer's format, none of them validated, as a bundle's trainer leaves them.
	bundle := t.TempDir()
	cfg := gan.Config{Size: 32, GenWidth: 4, DiscWidth: 4, ResBlocks: 1, BatchSize: 4, Steps: 3, SampleEvery: 3, CheckpointEvery: 1, KeepLast: 5}
	if _, err := gan.Train(ctx, cfg, data, gan.Options{Dir: filepath.Join(bundle, "checkpoints")}, func(gan.Event) {}); err != nil {
		t.Fatal(err)
	}
	run, notes, err := ImportRun(ctx, db, bundle, "away")
	if err != nil {
		t.Fatal(err)
	}
	if len(notes.Warnings) > 0 || notes.Validated != 3 {
		t.Fatalf("validated %d of 3 checkpoints; warnings %v", notes.Validated, notes.Warnings)
	}
	cks, err := db.Checkpoints(ctx, run.ID)
	if err != nil || len(cks) != 3 {
		t.Fatalf("checkpoints %v, %v", cks, err)
	}
	bestScore, bestStep := -1.0, 0
	for _, c := range cks {
		var m CheckpointMetrics
		if err := json.Unmarshal([]byte(c.MetricsJSON), &m); err != nil || m.Val == nil || m.Val.Products == 0 {
			t.Fatalf("checkpoint %d metrics %s: want its validation", c.Step, c.MetricsJSON)
		}
		if m.Val.Score >= bestScore {
			bestScore, bestStep = m.Val.Score, c.Step
		}
	}
	serve, _, err := gan.ServingCheckpoint(library.RunDir(db.Dir(), run.ID))
	if err != nil || serve.Step != bestStep || notes.ServingStep != bestStep || serve.Val == nil {
		t.Errorf("serving step %d (notes %d), %v; the best-validated one is %d", serve.Step, notes.ServingStep, err, bestStep)
	}
}

// A resume the trainer refuses before its first step (its checkpoint is another model's) leaves the
// run as it was: finished at its steps, not failed at step 0 with its checkpoint still on disk.
func TestRefusedResumeLeavesTheRunAsItWas(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 150)
	cfg := gan.Config{Size: 32, GenWidth: 4, DiscWidth: 4, ResBlocks: 1, BatchSize: 4, Steps: 2, SampleEvery: 1, CheckpointEvery: 1}
	run, _, err := TrainGAN(ctx, db, TrainRequest{Name: "tiny", Config: cfg, Styles: []string{"neon", "minimal"}})
	if err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.GenWidth, other.Steps = 8, 4
	if _, _, err := TrainGAN(ctx, db, TrainRequest{Name: "tiny", Config: other, Resume: true}); !errors.Is(err, gan.ErrCheckpoint) {
		t.Fatalf("resume with another model: %v, want the checkpoint refused", err)
	}
	after, err := db.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != run.Status || after.StepsDone != run.StepsDone || !after.FinishedAt.Equal(run.FinishedAt) {
		t.Fatalf("after the refused resume the run is %s at step %d (finished %v); it was %s at step %d (%v)",
			after.Status, after.StepsDone, after.FinishedAt, run.Status, run.StepsDone, run.FinishedAt)
	}
}
