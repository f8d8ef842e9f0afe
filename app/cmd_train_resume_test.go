//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"stylestudio/store"
	"stylestudio/store/library"
)

// A run killed after it was created but before its first checkpoint (the catalog has the run, marked
// running, and no checkpoint exists) is continued by --resume from step 0, instead of being stuck:
// --resume had nothing to resume and a new run of that name was refused.
func TestResumeBeforeFirstCheckpointStartsOver(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "160"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.CreateRun(ctx, "early", `{"size":32,"gen_width":4,"disc_width":4,"res_blocks":1,"batch":4,"sample_every":2,"checkpoint_every":2}`)
	if err == nil {
		err = db.SetRunStatus(ctx, run.ID, store.RunRunning)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "early", "--steps", "2", "--resume", "--json"}, tinyTrain...)...)
	if code != 0 {
		t.Fatalf("resume of a run without a checkpoint exited %d: %s", code, stderr)
	}
	lines := trainLines(t, stdout)
	warned := false
	for _, l := range lines {
		warned = warned || (l.Event == "warning" && strings.Contains(l.Message, "before its first checkpoint"))
	}
	if last := lines[len(lines)-1]; !warned || last.Event != "done" || last.Step != 2 || last.Status != "finished" {
		t.Fatalf("warned %v, last line %+v", warned, last)
	}

	// Train on (old checkpoints get pruned): the catalog's checkpoint rows name only files that exist.
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "early", "--steps", "12", "--resume"}, tinyTrain...)...); code != 0 {
		t.Fatalf("resume to 12 steps exited %d: %s", code, stderr)
	}
	db, err = store.Open(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Checkpoints(ctx, run.ID)
	if err != nil || len(rows) < 3 {
		t.Fatalf("checkpoint rows %+v, %v", rows, err)
	}
	for _, r := range rows {
		if _, err := os.Stat(r.Path); err != nil {
			t.Errorf("the catalog lists checkpoint step %d, whose file was pruned: %v", r.Step, err)
		}
	}

	// A run still marked running after its process was killed can be deleted; one that a live process
	// trains (it holds the run folder's lock) cannot.
	if err := db.SetRunStatus(ctx, run.ID, store.RunRunning); err != nil {
		t.Fatal(err)
	}
	lock, err := os.Open(filepath.Join(library.RunDir(lib, run.ID), ".lock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "runs", "--library", lib, "delete", "early"); code != 1 || !strings.Contains(stderr, "is training") {
		t.Fatalf("deleting a run that is training: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "early", "--steps", "14", "--resume"}, tinyTrain...)...); code != 1 || !strings.Contains(stderr, "being trained by another") {
		t.Fatalf("training a run another process trains: exit %d, %s", code, stderr)
	}
	lock.Close()
	if code, _, stderr := runCLI(t, "runs", "--library", lib, "delete", "early"); code != 0 {
		t.Fatalf("deleting a run left 'running' by a killed process: exit %d, %s", code, stderr)
	}
}
