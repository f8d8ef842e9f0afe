package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"stylestudio/store"
)

// TestBackupRestoreCLIWhileTheAppRuns: `backup` while another connection (the running app) keeps
// labeling, then `restore` into a new folder, over a non-empty one (refused, then --force), and from
// a damaged file (refused, library untouched). Checks the --json contract.
func TestBackupRestoreCLIWhileTheAppRuns(t *testing.T) {
	lib := smallDemo(t, "30")
	before, _ := catalogCounts(t, lib)
	writeFile := func(p string, data []byte) {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(lib, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(filepath.Join(lib, "models", "style-classifier.safetensors"), bytes.Repeat([]byte("w"), 4096))

	// The "app": its own connection, relabeling products in a loop until the backup is done.
	app, err := store.Open(context.Background(), lib)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := app.Products(context.Background(), store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	styles, err := app.Styles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var acked atomic.Int64
	var werr error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := app.SetLabel(context.Background(), rows[i%len(rows)].ID, styles[i%len(styles)].ID, "app"); err != nil {
				werr = err
				return
			}
			acked.Add(1)
		}
	}()
	for acked.Load() < 5 && werr == nil {
		runtime.Gosched()
	}
	out := filepath.Join(t.TempDir(), "studio.zip")
	code, stdout, stderr := runCLI(t, "backup", "--library", lib, "--out", out, "--json")
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatalf("the app's labeling failed during the backup: %v", werr)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("backup exited %d: %s", code, stderr)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("backup --json: %v\n%s", err, stdout)
	}
	wantKeys := []string{"archive", "bytes", "counts", "external", "files", "library", "missing", "relocated_checkpoints", "replaced", "schema_version", "seconds"}
	if k := keysOf(got); !slices.Equal(k, wantKeys) {
		t.Errorf("backup --json keys %v, want %v", k, wantKeys)
	}
	var res backupJSON
	json.Unmarshal([]byte(stdout), &res)
	if res.Archive != out || res.Counts.Products != 30 || res.Counts.Objects != 30 || res.Counts.ModelFiles != 1 ||
		res.Files != 32 || res.Bytes <= 0 || len(res.Missing) != 0 {
		t.Errorf("backup summary %+v", res)
	}

	// Into a new folder.
	dst := filepath.Join(t.TempDir(), "restored")
	code, stdout, stderr = runCLI(t, "restore", "--library", dst, "--from", out, "--json")
	if code != 0 {
		t.Fatalf("restore exited %d: %s", code, stderr)
	}
	var rres backupJSON
	if err := json.Unmarshal([]byte(stdout), &rres); err != nil || rres.Library != dst || rres.Replaced || rres.Counts != res.Counts {
		t.Errorf("restore --json %+v, %v", rres, err)
	}
	if after, _ := catalogCounts(t, dst); len(after) != len(before) {
		t.Errorf("restored styles %v, source had %v", after, before)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "models", "style-classifier.safetensors")); err != nil || len(b) != 4096 {
		t.Errorf("model file: %d bytes, %v", len(b), err)
	}

	// Over a library: refused without --force (exit 1, says what to do), untouched.
	code, _, stderr = runCLI(t, "restore", "--library", lib, "--from", out)
	if code != 1 || !strings.Contains(stderr, "--force") || !strings.Contains(stderr, "not empty") {
		t.Errorf("restore over a library without --force: exit %d, %s", code, stderr)
	}
	// From a damaged file: refused, the library untouched.
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.zip")
	writeFile(bad, raw[:len(raw)*2/3])
	dbBefore, _ := os.ReadFile(filepath.Join(dst, store.DBFile))
	code, _, stderr = runCLI(t, "restore", "--library", dst, "--from", bad, "--force")
	if code != 1 || !strings.Contains(stderr, "not changed") || !strings.Contains(stderr, bad) {
		t.Errorf("damaged backup: exit %d, %s", code, stderr)
	}
	if dbAfter, _ := os.ReadFile(filepath.Join(dst, store.DBFile)); !bytes.Equal(dbBefore, dbAfter) {
		t.Error("a failed restore changed the library's catalog")
	}
	// --force replaces it.
	code, stdout, stderr = runCLI(t, "restore", "--library", dst, "--from", out, "--force")
	if code != 0 || !strings.Contains(stdout, "replaced") {
		t.Errorf("restore --force: exit %d, %s %s", code, stdout, stderr)
	}
	ents, _ := os.ReadDir(filepath.Dir(dst))
	if len(ents) != 1 {
		t.Errorf("left beside the library: %v", ents)
	}
}

func TestBackupRestoreUsage(t *testing.T) {
	lib := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"backup", "--library", lib}, 2, "--out FILE"},
		{[]string{"backup", "--library", lib, "--out", filepath.Join(lib, "..", "x.zip"), "extra"}, 2, "unexpected argument"},
		{[]string{"restore", "--library", lib}, 2, "--from FILE"},
		{[]string{"backup", "--library", filepath.Join(lib, "none"), "--out", filepath.Join(t.TempDir(), "x.zip")}, 1, "not a Style Studio library"},
		{[]string{"restore", "--library", filepath.Join(lib, "new"), "--from", filepath.Join(lib, "missing.zip")}, 1, "missing.zip"},
		{[]string{"backup", "--help"}, 0, "manifest of SHA-256"},
		{[]string{"restore", "--help"}, 0, "renamed into place"},
	} {
		code, stdout, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%v: exit %d, want %d mentioning %q:\n%s%s", c.args, code, c.code, c.want, stdout, stderr)
		}
	}
}
