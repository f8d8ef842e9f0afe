package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeFileAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	if err := Write(p, []byte("old"), ".a-*.tmp", 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new contents"), ".a-*.tmp", 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "new contents" {
		t.Fatalf("read back %q, %v", got, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".a-*.tmp")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestWriteFailureKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	if err := Write(p, []byte("old"), ".a-*.tmp", 0o644); err != nil {
		t.Fatal(err)
	}
	// A folder where the file should be: the rename fails after the temp file was written.
	blocked := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(blocked, []byte("new"), ".a-*.tmp", 0o644); err == nil {
		t.Fatal("writing over a non-empty folder succeeded")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".a-*.tmp")); len(left) != 0 {
		t.Errorf("temp files left after a failed write: %v", left)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("old file changed: %q", got)
	}
}
