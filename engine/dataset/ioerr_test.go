package dataset

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/internal/faultfs"
	"stylestudio/internal/testkit"
)

// Exporting onto a full disk stops at the first image that does not fit, with one message that says
// the disk is full (not one failure per product), and leaves the previous export's files intact and
// no temp file behind. A read-only folder is refused before anything is written.
func TestExportOnFullOrReadOnlyDisk(t *testing.T) {
	items := sampleItems(t)
	ctx := context.Background()

	out := faultfs.Mount(t, 1<<20)
	if _, err := Export(ctx, items, ExportOptions{Format: FormatImageFolder, Out: out}, nil); err != nil {
		t.Fatal(err)
	}
	before := testkit.Tree(t, out, func(name string) bool { return strings.HasPrefix(name, ".faultfs") })
	free := faultfs.Fill(t, out)
	// Force rewrites every file through a temp file, which needs space.
	sum, err := Export(ctx, items, ExportOptions{Format: FormatImageFolder, Out: out, Force: true}, nil)
	t.Logf("full: %v", err)
	if err == nil || !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("export onto a full disk: %v; want ErrDiskFull saying no space is left", err)
	}
	if len(sum.Failed) > 1 {
		t.Errorf("a full disk was reported per product (%d failures) instead of once", len(sum.Failed))
	}
	if after := testkit.Tree(t, out, func(name string) bool { return strings.HasPrefix(name, ".faultfs") }); len(after) != len(before) {
		t.Errorf("files before %d, after %d", len(before), len(after))
	} else {
		for p, b := range before {
			if after[p] != b {
				t.Errorf("%s changed or was damaged by the failed export", p)
			}
		}
	}
	free()

	faultfs.ReadOnly(t, out)
	defer faultfs.Writable(t, out)
	_, err = Export(ctx, items, ExportOptions{Format: FormatCSV, Out: filepath.Join(out, "csv")}, nil)
	t.Logf("read-only: %v", err)
	if !errors.Is(err, ErrOutNotWritable) || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("export into a read-only folder: %v; want ErrOutNotWritable", err)
	}
	_, err = Export(ctx, items, ExportOptions{Format: FormatImageFolder, Out: out, Force: true}, nil)
	if !errors.Is(err, ErrOutNotWritable) {
		t.Fatalf("forced export into a read-only folder: %v; want ErrOutNotWritable", err)
	}
}
