// Package atomicfile writes files so that a crash or a full disk leaves either the old file or the new
// one in place, never a part of one.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// Write writes data to a temporary file beside path (named by pattern, as os.CreateTemp takes it, so
// that callers can sweep the temps a killed process left), syncs it, sets perm, renames it over path
// and syncs the folder so the rename survives a power cut. On error path is untouched and the
// temporary file is removed.
func Write(path string, data []byte, pattern string, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		_ = os.Remove(name)
		return err
	}
	_ = SyncDir(filepath.Dir(path)) // the data is safe; only the rename's durability is at stake
	return nil
}

// SyncDir makes renames in dir durable. Windows cannot fsync a folder (and need not).
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	return errors.Join(serr, cerr)
}
