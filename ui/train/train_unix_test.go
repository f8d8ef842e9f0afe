//go:build unix

package train

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"stylestudio/store"
	"stylestudio/store/library"
)

// A run the catalog marks running is "interrupted" (resumable at once) when no process holds its run
// lock, and stays "running" (not resumable) while one does.
func TestRunsMarkedRunningAreInterruptedOnlyWhenNothingHoldsTheirLock(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var runs []store.Run
	for _, name := range []string{"killed", "alive"} {
		r, err := db.CreateRun(ctx, name, "{}")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetRunStatus(ctx, r.ID, store.RunRunning); err != nil {
			t.Fatal(err)
		}
		if r, err = db.Run(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	// Another process trains "alive": it holds the lock on its folder.
	dir := library.RunDir(db.Dir(), runs[1].ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}

	markInterrupted(db.Dir(), runs)
	if runs[0].Status != runInterrupted {
		t.Errorf("killed run: status %q, want %q", runs[0].Status, runInterrupted)
	}
	if runs[1].Status != store.RunRunning {
		t.Errorf("live run: status %q, want running", runs[1].Status)
	}
	if ok, why := runCanResume(runs[1]); ok {
		t.Error("a run another process trains can be resumed")
	} else if why == "" {
		t.Error("no reason given")
	}
	if got := runStatusText(runs[0]); got != "interrupted" {
		t.Errorf("status text %q", got)
	}
}
