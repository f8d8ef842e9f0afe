package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fullSink stores the first room records, then fails like a catalog whose disk is full or read-only.
type fullSink struct {
	*memSink
	room int
	err  error
}

func (s *fullSink) AddRecord(ctx context.Context, r Record) (bool, error) {
	s.mu.Lock()
	n := len(s.records)
	s.mu.Unlock()
	if n >= s.room {
		return false, fmt.Errorf("add record %q: put object: %w", r.SKU, s.err)
	}
	return s.memSink.AddRecord(ctx, r)
}

// A sink that runs out of space (or turns read-only) stops the import with one StorageError that says
// so and what to do, instead of failing every remaining file for a reason that is not theirs. What was
// stored before stays, and the summary counts it.
func TestStorageFaultStopsTheImport(t *testing.T) {
	dir := t.TempDir()
	for i := range 12 {
		write(t, filepath.Join(dir, fmt.Sprintf("p%02d.png", i)), encPNG(t, pattern(24, 24, i)))
	}
	jobs, _ := plan(t, Options{}, dir)
	for _, fault := range []error{syscall.ENOSPC, syscall.EROFS} {
		sink := &fullSink{memSink: newMemSink(), room: 4, err: fault}
		sum, err := Run(context.Background(), sink, jobs, Options{Workers: 2}, nil)
		var se *StorageError
		if !errors.As(err, &se) || !errors.Is(err, fault) {
			t.Fatalf("%v: Run returned %v; want a *StorageError wrapping it", fault, err)
		}
		t.Logf("%v", err)
		want := "free some space"
		if fault == syscall.EROFS {
			want = "make it writable"
		}
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "import again") {
			t.Errorf("message %q does not say what to do", err)
		}
		if sum.Imported != 4 || len(sink.records) != 4 || len(sum.Failures) != 0 || se.Imported != 4 || se.Pending != 8 {
			t.Errorf("%v: imported %d (sink %d), %d failures, error counts %d/%d; want 4 imported, 8 pending, no per-file failures",
				fault, sum.Imported, len(sink.records), len(sum.Failures), se.Imported, se.Pending)
		}
	}
}
