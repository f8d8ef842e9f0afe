package studio

import (
	"context"
	"errors"
	"os"
	"testing"

	"stylestudio/store"
	"stylestudio/store/library"
)

// Deleting a run that another process trains is refused and loses nothing; once the lock is free (a
// crash left "running" behind), the same delete removes the row and the folder.
func TestDeleteRunRefusesARunInTraining(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 20)
	run, err := db.CreateRun(ctx, "busy", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunStatus(ctx, run.ID, store.RunRunning); err != nil {
		t.Fatal(err)
	}
	run.Status = store.RunRunning
	dir := library.RunDir(db.Dir(), run.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	release, err := library.LockRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := DeleteRun(ctx, db, run); !errors.Is(err, ErrRunBusy) {
		release()
		t.Fatalf("delete while locked: %v, want ErrRunBusy", err)
	}
	if _, err := db.Run(ctx, run.ID); err != nil {
		t.Fatalf("refused delete lost the run: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("refused delete lost the folder: %v", err)
	}
	release()
	if err := DeleteRun(ctx, db, run); err != nil {
		t.Fatalf("delete after the crash: %v", err)
	}
	if _, err := db.Run(ctx, run.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("run still stored: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("run folder still there: %v", err)
	}
}
