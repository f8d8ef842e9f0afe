package tasks

import (
	"context"
	"slices"
	"testing"

	"stylestudio/engine/dataset"
	"stylestudio/engine/gan"
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
