package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"stylestudio/internal/atomicfile"
)

// validHash reports whether h is a lowercase hex SHA-256.
func validHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ObjectPath is where the object with this hash lives: <library>/objects/ab/cdef… . It is "" for a
// string that is not a lowercase hex SHA-256, so a bad hash can never name a path outside objects/.
func (db *DB) ObjectPath(hash string) string {
	if !validHash(hash) {
		return ""
	}
	return filepath.Join(db.dir, ObjectsDir, hash[:2], hash[2:])
}

// PutObject stores data content-addressed and returns its SHA-256 hex. The bytes go to a temp file in
// the object's folder, are fsynced, closed and renamed into place (and the folder fsynced), so an
// object file is always complete. An object that already exists is not rewritten.
func (db *DB) PutObject(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if err := db.putObject(hash, data); err != nil {
		return "", err
	}
	return hash, nil
}

// putObject writes data (whose hash the caller computed) unless the object exists.
func (db *DB) putObject(hash string, data []byte) (err error) {
	final := db.ObjectPath(hash)
	if _, err := os.Lstat(final); err == nil {
		return nil
	}
	sub := filepath.Dir(final)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return fmt.Errorf("put object %s: %w", hash, classifyFS(err))
	}
	f, err := createTemp(sub)
	if err != nil {
		return fmt.Errorf("put object %s: %w", hash, classifyFS(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("put object %s: write: %w", hash, classifyFS(err))
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("put object %s: sync: %w", hash, classifyFS(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put object %s: close: %w", hash, classifyFS(err))
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("put object %s: rename: %w", hash, classifyFS(err))
	}
	if err := atomicfile.SyncDir(sub); err != nil {
		return fmt.Errorf("put object %s: sync folder: %w", hash, err)
	}
	return nil
}

// objectTempPrefix starts the names of putObject's temp files.
const objectTempPrefix = ".tmp-"

// staleTempAge is how old an object temp file must be before Open removes it. A write takes
// milliseconds; the margin keeps Open from removing the temp of another process (the GUI and a CLI
// command may share a library) in the middle of its write.
const staleTempAge = time.Hour

// sweepObjectTemps removes object temp files a killed write left behind that are older than
// olderThan, and returns how many it removed. Folders it cannot read are passed over: this is
// housekeeping, never a reason to refuse to open a library.
func (db *DB) sweepObjectTemps(olderThan time.Duration) int {
	root := filepath.Join(db.dir, ObjectsDir)
	subs, err := os.ReadDir(root)
	if err != nil {
		return 0
	}
	cutoff := db.now().Add(-olderThan)
	removed := 0
	// removeStale removes e (in dir) when it is an object temp older than cutoff; true when it did.
	removeStale := func(dir string, e os.DirEntry) bool {
		if !strings.HasPrefix(e.Name(), objectTempPrefix) || !e.Type().IsRegular() {
			return false
		}
		fi, err := e.Info()
		return err == nil && fi.ModTime().Before(cutoff) && os.Remove(filepath.Join(dir, e.Name())) == nil
	}
	for _, sub := range subs {
		if !sub.IsDir() { // the write probe's temp (checkWritable) sits in objects/ itself
			if removeStale(root, sub) {
				removed++
			}
			continue
		}
		if len(sub.Name()) != 2 {
			continue
		}
		dir := filepath.Join(root, sub.Name())
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if removeStale(dir, e) {
				removed++
			}
		}
	}
	return removed
}

// createTemp creates a new hidden temp file in dir, readable like any other object (os.CreateTemp
// would make it 0600).
func createTemp(dir string) (*os.File, error) {
	for i := 0; ; i++ {
		name := filepath.Join(dir, fmt.Sprintf("%s%016x", objectTempPrefix, rand.Uint64()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil || !errors.Is(err, fs.ErrExist) || i >= 9 {
			return f, err
		}
	}
}

// ReadObject returns the bytes of an object; ErrNotFound when there is none with this hash.
func (db *DB) ReadObject(hash string) ([]byte, error) {
	p := db.ObjectPath(hash)
	if p == "" {
		return nil, fmt.Errorf("read object %q: not a SHA-256 hex hash: %w", hash, ErrNotFound)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read object %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read object %s: %w", hash, err)
	}
	return b, nil
}

func classifyFS(err error) error {
	if isPermission(err) {
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	if isNoSpace(err) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}
