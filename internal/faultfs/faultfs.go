// Package faultfs gives tests real file-system faults instead of mocks: a small tmpfs that runs out of
// space (ENOSPC, "no space left on device") and the same file system remounted read-only (EROFS).
// Mounting needs Linux and root (CAP_SYS_ADMIN); elsewhere the tests that ask for it are skipped with
// the reason. (As root, chmod cannot make a folder unwritable, hence real mounts.)
package faultfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Mount mounts a fresh tmpfs of about size bytes (whole 4 KiB pages) on a new temporary folder and
// returns that folder; it is unmounted when the test ends. It skips the test where tmpfs cannot be
// mounted.
func Mount(t testing.TB, size int64) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "faultfs-")
	if err != nil {
		t.Fatal(err)
	}
	if err := mount(dir, size); err != nil {
		os.Remove(dir)
		t.Skipf("faultfs: cannot mount a tmpfs here (%v); needs Linux and root", err)
	}
	t.Cleanup(func() {
		if err := unmount(dir); err != nil {
			t.Errorf("faultfs: unmount %s: %v", dir, err)
			return
		}
		os.Remove(dir)
	})
	return dir
}

// ReadOnly remounts the tmpfs at dir (from Mount) read-only: every write then fails with EROFS.
func ReadOnly(t testing.TB, dir string) {
	t.Helper()
	if err := remount(dir, true); err != nil {
		t.Fatalf("faultfs: remount %s read-only: %v", dir, err)
	}
}

// Writable remounts the tmpfs at dir writable again.
func Writable(t testing.TB, dir string) {
	t.Helper()
	if err := remount(dir, false); err != nil {
		t.Fatalf("faultfs: remount %s writable: %v", dir, err)
	}
}

// Fill takes all the space left on the file system holding dir with a hidden filler file and returns
// a function that frees it again. Writes of new data then fail with ENOSPC.
func Fill(t testing.TB, dir string) (free func()) {
	t.Helper()
	return FillLeaving(t, dir, 0)
}

// FillLeaving is Fill but leaves about keep bytes free, so that work runs out of space part way.
func FillLeaving(t testing.TB, dir string, keep int64) (free func()) {
	t.Helper()
	path := filepath.Join(dir, ".faultfs-filler")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for chunk := len(buf); chunk > 0; {
		if _, err := f.Write(buf[:chunk]); err != nil {
			if !IsNoSpace(err) {
				f.Close()
				t.Fatalf("faultfs: fill %s: %v", dir, err)
			}
			chunk /= 2 // take the last small pieces too
		}
	}
	if keep > 0 {
		if fi, err := f.Stat(); err == nil {
			f.Truncate(max(fi.Size()-keep, 0))
		}
	}
	if err := f.Close(); err != nil && !IsNoSpace(err) {
		t.Fatal(err)
	}
	return func() { os.Remove(path) }
}

// IsNoSpace reports whether err is the file system's "no space left on device".
func IsNoSpace(err error) bool { return errors.Is(err, errNoSpace) }
