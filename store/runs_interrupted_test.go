package store

import (
	"context"
	"testing"
)

// A run whose trainer died is "interrupted": stored as such, resumable (not terminal, no finish time).
func TestRunInterruptedStatus(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := mustRun(t, db, "r")
	if err := db.SetRunStatus(ctx, r.ID, RunRunning); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunStatus(ctx, r.ID, RunInterrupted); err != nil {
		t.Fatalf("interrupted refused: %v", err)
	}
	got, err := db.Run(ctx, r.ID)
	if err != nil || got.Status != RunInterrupted || !got.FinishedAt.IsZero() || RunInterrupted.Terminal() {
		t.Fatalf("interrupted run: %+v %v", got, err)
	}
}
