//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

// --resume continues with the run's own settings: the resume line the tool prints (no model flags)
// was refused for any run not made with the defaults, and the refusal marked the run failed at step 0.
// A model flag that says what the run has is accepted; another value is a usage error.
func TestResumeKeepsTheRunsOwnModel(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "160"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "small", "--steps", "4"}, tinyTrain...)...); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "train", "--library", lib, "--run", "small", "--resume", "--steps", "6", "--json")
	if code != 0 {
		t.Fatalf("resume without the run's flags exited %d: %s", code, stderr)
	}
	if last := trainLines(t, stdout)[len(trainLines(t, stdout))-1]; last.Event != "done" || last.Step != 6 || last.Status != "finished" {
		t.Fatalf("resume ended %+v, want done at step 6, finished", last)
	}
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "small", "--resume", "--steps", "8"}, tinyTrain...)...); code != 0 {
		t.Fatalf("resume with the run's own flags exited %d: %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "train", "--library", lib, "--run", "small", "--resume", "--steps", "10", "--gen-width", "8")
	if code != 2 || !strings.Contains(stderr, "--gen-width 8: run \"small\" was created with 4") {
		t.Fatalf("resume with another width: exit %d, %s", code, stderr)
	}
	if code, _, stderr = runCLI(t, "train", "--library", lib, "--run", "other", "--steps", "0"); code != 2 || !strings.Contains(stderr, "--steps must be at least 1") {
		t.Fatalf("--steps 0: exit %d, %s", code, stderr)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.RunByName(ctx, "small")
	if err != nil || run.Status != store.RunFinished || run.StepsDone != 8 {
		t.Fatalf("run after the refused resume: %+v, %v; want finished at step 8", run, err)
	}
}

// A training stopped by Ctrl+C (its context cancelled) still ends its --json stream with the "done"
// line the README promises, with the run's status: paused.
func TestTrainJSONEndsWithDoneWhenStopped(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "160"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx, cancel := context.WithCancel(context.Background()) // as Ctrl+C cancels run's context
	defer cancel()
	time.AfterFunc(3*time.Second, cancel)
	var out, errOut bytes.Buffer
	err := runTrain(ctx, &cliEnv{stdout: &out, stderr: &errOut}, append([]string{"--library", lib, "--run", "stop", "--steps", "100000", "--json"}, tinyTrain...))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("train returned %v, want it stopped: %s", err, errOut.String())
	}
	lines := trainLines(t, out.String())
	if last := lines[len(lines)-1]; last.Event != "done" || last.Status != "paused" || last.Step < 1 {
		t.Fatalf("the stream ends %+v, want a done line with status paused", last)
	}
}

// `runs` shows a run marked running that no process trains as interrupted (it said running forever
// after its trainer was killed), keeps the metrics key (null before an evaluation), and `runs use`
// refuses a run with no checkpoint (Preview and the Feed silently used another).
func TestRunsListInterruptedAndUseNeedsACheckpoint(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "12"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.CreateRun(ctx, "killed", `{"size":32}`)
	if err == nil {
		err = db.SetRunStatus(ctx, run.ID, store.RunRunning)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "runs", "--library", lib, "--json")
	if code != 0 {
		t.Fatalf("runs: %s", stderr)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list) != 1 {
		t.Fatalf("runs --json: %v %s", err, stdout)
	}
	if m, ok := list[0]["metrics"]; list[0]["status"] != "interrupted" || !ok || m != nil {
		t.Errorf("runs --json lists %v; want status interrupted and metrics null", list[0])
	}
	if code, _, stderr := runCLI(t, "runs", "use", "killed", "--library", lib); code == 0 || !strings.Contains(stderr, "cannot be used for Preview and the Feed") {
		t.Errorf("runs use of a run with no checkpoint: exit %d, %s", code, stderr)
	}
}
