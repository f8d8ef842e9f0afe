package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stylestudio/engine/imaging"
)

// planWithin runs Plan and fails the test if it has not finished within limit (a walk that loops).
func planWithin(t *testing.T, limit time.Duration, opts Options, paths ...string) ([]Job, []Failure) {
	t.Helper()
	type result struct {
		jobs     []Job
		failures []Failure
		err      error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		j, f, err := Plan(ctx, paths, opts)
		done <- result{j, f, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Plan: %v", r.err)
		}
		return r.jobs, r.failures
	case <-time.After(limit):
		cancel()
		t.Fatalf("Plan of %v did not finish within %v", paths, limit)
		return nil, nil
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks not available: %v", err)
	}
}

// TestSymlinkLoopsOfEveryShapeTerminate: links that point at each other (a chain the kernel refuses
// with ELOOP), at an ancestor from deep down, at themselves, and a ladder of links back up at every
// level. The walk ends, plans every real picture once, and names a looping image link as a loop.
func TestSymlinkLoopsOfEveryShapeTerminate(t *testing.T) {
	root := t.TempDir()
	// Real pictures, five levels deep, one per level.
	deep := root
	var want []string
	for i := 0; i < 5; i++ {
		deep = filepath.Join(deep, fmt.Sprintf("d%d", i))
		want = append(want, write(t, filepath.Join(deep, fmt.Sprintf("p%d.png", i)), encPNG(t, pattern(4, 4, i))))
		symlink(t, strings.Repeat("../", i+1), filepath.Join(deep, "up"))    // back to the root
		symlink(t, ".", filepath.Join(deep, "here"))                         // itself
		symlink(t, root, filepath.Join(deep, "abs-root"))                    // the root, absolutely
		symlink(t, filepath.Join(deep, "up"), filepath.Join(deep, "via-up")) // a link to a link
	}
	// Links that point at each other: stat fails with "too many levels of symbolic links".
	symlink(t, "loop-b.png", filepath.Join(root, "loop-a.png"))
	symlink(t, "loop-a.png", filepath.Join(root, "loop-b.png"))
	symlink(t, "ring-2", filepath.Join(root, "ring-1"))
	symlink(t, "ring-1", filepath.Join(root, "ring-2"))
	symlink(t, "self.png", filepath.Join(root, "self.png"))

	start := time.Now()
	jobs, failures := planWithin(t, time.Minute, Options{}, root)
	t.Logf("planned in %v", time.Since(start))
	var got []string
	for _, j := range jobs {
		got = append(got, j.Path)
	}
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("jobs:\n%s\nwant each real picture once:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	loops := map[string]bool{}
	for _, f := range failures {
		loops[filepath.Base(f.Path)] = true
		if !strings.Contains(f.Reason, "loop") {
			t.Errorf("failure %s: %q does not say the link loops", f.Path, f.Reason)
		}
	}
	if len(failures) != 3 || !loops["loop-a.png"] || !loops["loop-b.png"] || !loops["self.png"] {
		t.Errorf("failures %+v, want the three looping image links", failures)
	}

	// The looping links given as arguments themselves: a failure each, no hang.
	_, failures = planWithin(t, time.Minute, Options{}, filepath.Join(root, "ring-1"), filepath.Join(root, "self.png"))
	if len(failures) != 2 {
		t.Errorf("failures %+v, want one per looping argument", failures)
	}
}

// sparseFile makes a file of size bytes that takes no disk space (a hole), or skips the test.
func sparseFile(t *testing.T, path string, size int64) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A real PNG signature, so only the size can stop it.
	if _, err := f.Write([]byte("\x89PNG\r\n\x1a\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Skipf("cannot make a %d-byte sparse file here: %v", size, err)
	}
	return path
}

// TestTenGigabyteFileIsSkippedQuickly: a 10 GB file with an image name, in a folder, given
// explicitly, named by a manifest, or handed to Run directly, is refused from its size alone, with a
// message that names it; the other pictures import.
func TestTenGigabyteFileIsSkippedQuickly(t *testing.T) {
	const size = 10 << 30
	dir := t.TempDir()
	huge := sparseFile(t, filepath.Join(dir, "photos", "huge.png"), size)
	small := write(t, filepath.Join(dir, "photos", "small.png"), encPNG(t, pattern(8, 8, 1)))
	checkHuge := func(what string, failures []Failure) {
		t.Helper()
		if len(failures) != 1 || failures[0].Path != huge ||
			!strings.Contains(failures[0].Reason, "10.0 GB") || !strings.Contains(failures[0].Reason, ByteWords(imaging.DefaultMaxFileBytes)) {
			t.Errorf("%s: failures %+v, want huge.png refused as 10.0 GB over the %s limit", what, failures, ByteWords(imaging.DefaultMaxFileBytes))
		}
	}

	start := time.Now()
	jobs, failures := planWithin(t, time.Minute, Options{}, filepath.Join(dir, "photos"))
	t.Logf("folder planned in %v", time.Since(start))
	checkHuge("folder", failures)
	if len(jobs) != 1 || jobs[0].Path != small {
		t.Errorf("jobs %+v, want only small.png", jobs)
	}

	_, failures = planWithin(t, time.Minute, Options{}, huge)
	checkHuge("explicit file", failures)

	manifest := write(t, filepath.Join(dir, "m.csv"), []byte("sku,title,category,price,image\nH,Huge,X,1,photos/huge.png\nS,Small,X,1,photos/small.png\n"))
	jobs, failures = planWithin(t, time.Minute, Options{CSVPath: manifest})
	checkHuge("manifest", failures)
	if len(jobs) != 1 || jobs[0].SKU != "S" {
		t.Errorf("manifest jobs %+v", jobs)
	}

	// Run alone (the file grew after planning, or a caller built the job itself): refused from its size.
	start = time.Now()
	sink := newMemSink()
	sum := run(t, sink, []Job{{Path: huge}, {Path: small}}, Options{})
	t.Logf("run in %v", time.Since(start))
	checkHuge("run", sum.Failures)
	if sum.Imported != 1 || len(sink.records) != 1 {
		t.Errorf("imported %d, want the small picture", sum.Imported)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("refusing a 10 GB file took %v; it must not be read", d)
	}
}
