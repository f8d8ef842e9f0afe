package library

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A grid's file name and its step go both ways; other files are not grids.
func TestGridPathAndStep(t *testing.T) {
	p := GridPath("/lib", 7, 300)
	if want := filepath.Join("/lib", "runs", "run-7", "samples", "grid-0000300.png"); p != want {
		t.Fatalf("GridPath = %s, want %s", p, want)
	}
	if n, ok := GridStep(p); !ok || n != 300 {
		t.Fatalf("GridStep(%s) = %d, %v", p, n, ok)
	}
	for _, bad := range []string{"grid-.png", "grid-12.jpg", "notes.png", "grid-x1.png", "grid--3.png"} {
		if _, ok := GridStep(bad); ok {
			t.Errorf("GridStep(%q) took it for a grid", bad)
		}
	}
}

// RunGrids lists grids in step order and ignores other files.
func TestRunGridsInStepOrder(t *testing.T) {
	lib := t.TempDir()
	if err := os.MkdirAll(GridDir(lib, 1), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range []int{1000, 20, 300} {
		if err := os.WriteFile(GridPath(lib, 1, s), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.WriteFile(filepath.Join(GridDir(lib, 1), "readme.txt"), nil, 0o644)
	got, err := RunGrids(lib, 1)
	if err != nil || len(got) != 3 {
		t.Fatalf("RunGrids: %v, %v", got, err)
	}
	for i, want := range []int{20, 300, 1000} {
		if n, _ := GridStep(got[i]); n != want {
			t.Fatalf("grid %d is step %d, want %d (%v)", i, n, want, got)
		}
	}
}

// A run folder locked by one holder is busy to another; released, it is free again.
func TestRunLock(t *testing.T) {
	if runtime.GOOS == "windows" || !lockSupported() {
		t.Skip("no cross-process lock here")
	}
	dir := t.TempDir()
	if locked, ok := RunLocked(dir); locked || !ok {
		t.Fatalf("fresh folder: locked=%v ok=%v", locked, ok)
	}
	release, err := LockRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file: a second open in this process contends like another process.
	if _, err := LockRun(dir); !errors.Is(err, ErrRunBusy) {
		t.Fatalf("second lock: %v, want ErrRunBusy", err)
	}
	if locked, _ := RunLocked(dir); !locked {
		t.Fatal("held lock not seen")
	}
	release()
	if locked, _ := RunLocked(dir); locked {
		t.Fatal("released lock still seen")
	}
}
