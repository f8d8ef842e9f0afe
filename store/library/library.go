// Package library is the layout of a Style Studio library folder beside its catalog database: where
// runs, their checkpoints and sample grids, and the trained models live, and the lock that tells
// whether a process is training a run now. Every front end, the use cases and the backup find files
// through it, so the layout is written down once.
//
//	LIBRARY/catalog.db                       the catalog (package store)
//	LIBRARY/models/style-classifier.*        the style classifier and its info
//	LIBRARY/models/ranker.safetensors        the feed's ranker trained for this library
//	LIBRARY/runs/run-ID/                     a GAN run: checkpoints, .lock
//	LIBRARY/runs/run-ID/samples/grid-*.png   its sample grids, one per sample step
package library

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ModelsDir and RunsDir are the folders of trained models and of GAN runs; a backup copies both whole.
const (
	ModelsDir = "models"
	RunsDir   = "runs"
)

// Folders lists the library's folders beside the catalog that hold work to keep (backup copies them).
func Folders() []string { return []string{ModelsDir, RunsDir} }

// ClassifierPath is the library's style classifier; ClassifierInfoPath is what it was trained on and
// how it measured.
func ClassifierPath(libraryDir string) string {
	return filepath.Join(libraryDir, ModelsDir, "style-classifier.safetensors")
}

// ClassifierInfoPath: see ClassifierPath.
func ClassifierInfoPath(libraryDir string) string {
	return filepath.Join(libraryDir, ModelsDir, "style-classifier.json")
}

// RankerPath is the feed's ranker trained for this library (absent: the built-in one is used).
func RankerPath(libraryDir string) string {
	return filepath.Join(libraryDir, ModelsDir, "ranker.safetensors")
}

// RunDir is a GAN run's folder: its checkpoints and sample grids.
func RunDir(libraryDir string, runID int64) string {
	return filepath.Join(libraryDir, RunsDir, fmt.Sprintf("run-%d", runID))
}

// GridDir is where a run keeps its sample grids (grid-0000100.png, one per sample event).
func GridDir(libraryDir string, runID int64) string {
	return filepath.Join(RunDir(libraryDir, runID), "samples")
}

// GridPath is the sample grid a run drew at step.
func GridPath(libraryDir string, runID int64, step int) string {
	return filepath.Join(GridDir(libraryDir, runID), fmt.Sprintf("grid-%07d.png", step))
}

// GridStep is the step a sample grid's file was drawn at; false for a file that is not a grid.
func GridStep(path string) (int, bool) {
	name := filepath.Base(path)
	if !strings.HasPrefix(name, "grid-") || !strings.HasSuffix(name, ".png") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "grid-"), ".png"))
	return n, err == nil && n >= 0
}

// RunGrids lists a run's sample grids in step order.
func RunGrids(libraryDir string, runID int64) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(GridDir(libraryDir, runID), "grid-*.png"))
	sort.Strings(paths)
	return paths, err
}

// ErrRunBusy: another process (a window or a command) is training the run right now.
var ErrRunBusy = errors.New("run is being trained by another Style Studio window or command")

// RunLocked reports whether a process holds the lock of the run folder dir now (LockRun). Where the
// system has no cross-process lock it reports ok=false: the caller then trusts the stored status.
func RunLocked(dir string) (locked, ok bool) {
	if !lockSupported() {
		return false, false
	}
	release, err := LockRun(dir)
	if err != nil {
		return errors.Is(err, ErrRunBusy), true
	}
	release()
	return false, true
}
