package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// This file is what a backup needs from the catalog: a consistent copy of catalog.db taken while the
// app may be writing, and a read of that copy (schema version, counts, the objects and checkpoint files
// it references). The archive itself is built by store/backup, which speaks no SQL.

// ErrNotLibrary: the folder has no catalog.db, so it is not a Style Studio library.
var ErrNotLibrary = errors.New("not a Style Studio library")

// SnapshotInfo describes a catalog file: its schema and what it references outside itself.
type SnapshotInfo struct {
	SchemaVersion int
	Products      int
	Images        int
	Labels        int
	Variants      int
	Checkpoints   int
	// ObjectHashes are the distinct, valid SHA-256 hashes of every object an image or variant row
	// references, sorted.
	ObjectHashes []string
	// CheckpointPaths are the checkpoint rows' paths as the trainer recorded them, sorted, distinct.
	CheckpointPaths []string
}

// KnownSchemaVersion is the newest catalog schema this build can open.
func KnownSchemaVersion() (int, error) {
	migs, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	return migs[len(migs)-1].version, nil
}

// ObjectRelPath is where an object lives relative to a library folder ("objects/ab/cdef…", with the
// system's separator), or "" when hash is not a lowercase hex SHA-256.
func ObjectRelPath(hash string) string {
	if !validHash(hash) {
		return ""
	}
	return filepath.Join(ObjectsDir, hash[:2], hash[2:])
}

// SnapshotLibrary writes a consistent copy of the catalog of the library in dir to dst, which must not
// exist yet. It uses VACUUM INTO through its own connection: one read transaction, so the copy is the
// catalog as of one moment even while the app keeps writing (in WAL mode a reader neither waits for
// nor blocks writers), and the copy is compact and self-contained (no -wal file to carry along). The
// library is not changed and need not be writable. A catalog from a newer Style Studio is refused
// with ErrNewerSchema; a folder without catalog.db with ErrNotLibrary.
func SnapshotLibrary(ctx context.Context, dir, dst string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", dir, err)
	}
	path := filepath.Join(abs, DBFile)
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return &kindError{msg: fmt.Sprintf("%s has no %s: it is not a Style Studio library (check the folder)", abs, DBFile),
				kind: ErrNotLibrary}
		}
		return fmt.Errorf("snapshot %s: %w", abs, err)
	}
	known, err := KnownSchemaVersion()
	if err != nil {
		return err
	}
	v, err := probeVersion(ctx, path)
	if err != nil {
		return fmt.Errorf("snapshot %s: read schema version: %w", path, err)
	}
	if v > known {
		return newerSchemaError(path, v, known)
	}
	// Read-only where the WAL index can be shared; a connection that may write is needed only when
	// no one has the catalog open and it has no -shm file yet (it writes nothing but that index).
	var lastErr error
	for _, params := range []url.Values{
		{"mode": {"ro"}, "_busy_timeout": {"10000"}},
		{"_busy_timeout": {"10000"}},
	} {
		if err := vacuumInto(ctx, path, params, dst); err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			os.Remove(dst) // a failed VACUUM INTO may leave an empty or partial file
			continue
		}
		return nil
	}
	return fmt.Errorf("snapshot %s: %w", path, lastErr)
}

func vacuumInto(ctx context.Context, path string, params url.Values, dst string) error {
	sdb, err := sql.Open("sqlite3", dsn(path, params))
	if err != nil {
		return err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	if _, err := sdb.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("copy the catalog: %w", classify(err))
	}
	return nil
}

// InspectSnapshot reads a catalog file that nobody else has open (a snapshot or a restored copy)
// without changing it. With check it first runs PRAGMA integrity_check and fails unless that says ok.
func InspectSnapshot(ctx context.Context, path string, check bool) (SnapshotInfo, error) {
	var info SnapshotInfo
	if _, err := os.Stat(path); err != nil {
		return info, fmt.Errorf("inspect catalog %s: %w", path, err)
	}
	sdb, err := sql.Open("sqlite3", dsn(path, url.Values{"mode": {"ro"}, "immutable": {"1"}}))
	if err != nil {
		return info, fmt.Errorf("inspect catalog %s: %w", path, err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	fail := func(what string, err error) (SnapshotInfo, error) {
		return SnapshotInfo{}, fmt.Errorf("inspect catalog %s: %s: %w", path, what, err)
	}
	if check {
		rows, err := sdb.QueryContext(ctx, `PRAGMA integrity_check`)
		if err != nil {
			return fail("integrity check", err)
		}
		var problems []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return fail("integrity check", err)
			}
			if s != "ok" && len(problems) < 5 {
				problems = append(problems, s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fail("integrity check", err)
		}
		if len(problems) > 0 {
			return fail("integrity check", errors.New(strings.Join(problems, "; ")))
		}
	}
	if info.SchemaVersion, err = schemaVersion(ctx, sdb); err != nil {
		return fail("schema version", err)
	}
	if info.SchemaVersion == 0 {
		return fail("schema version", errors.New("no schema_migrations table: not a Style Studio catalog"))
	}
	for _, c := range []struct {
		n     *int
		query string
	}{
		{&info.Products, `SELECT count(*) FROM products`},
		{&info.Images, `SELECT count(*) FROM images`},
		{&info.Labels, `SELECT count(*) FROM labels`},
		{&info.Variants, `SELECT count(*) FROM variants`},
		{&info.Checkpoints, `SELECT count(*) FROM checkpoints`},
	} {
		if err := sdb.QueryRowContext(ctx, c.query).Scan(c.n); err != nil {
			return fail("count", err)
		}
	}
	strs := func(query string) ([]string, error) {
		rows, err := sdb.QueryContext(ctx, query)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, rows.Err()
	}
	hashes, err := strs(`SELECT hash FROM images UNION SELECT image_hash FROM variants`)
	if err != nil {
		return fail("list objects", err)
	}
	for _, h := range hashes {
		if validHash(h) {
			info.ObjectHashes = append(info.ObjectHashes, h)
		}
	}
	sort.Strings(info.ObjectHashes)
	if info.CheckpointPaths, err = strs(`SELECT DISTINCT path FROM checkpoints WHERE path <> '' ORDER BY path`); err != nil {
		return fail("list checkpoints", err)
	}
	return info, nil
}

// RelocateCheckpoints rewrites the checkpoint paths that lie under oldDir to the same place under
// newDir, in a catalog file that nobody else has open (a restored copy before it is put in place), and
// returns how many it changed.
func RelocateCheckpoints(ctx context.Context, path, oldDir, newDir string) (int64, error) {
	oldDir, newDir = filepath.Clean(oldDir), filepath.Clean(newDir)
	if oldDir == newDir {
		return 0, nil
	}
	sdb, err := sql.Open("sqlite3", dsn(path, url.Values{"_busy_timeout": {"5000"}}))
	if err != nil {
		return 0, fmt.Errorf("relocate checkpoints in %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(1)
	n, err := relocate(ctx, sdb, oldDir+string(filepath.Separator), newDir+string(filepath.Separator))
	if cerr := sdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("relocate checkpoints in %s: %w", path, err)
	}
	return n, nil
}

func relocate(ctx context.Context, sdb *sql.DB, oldPrefix, newPrefix string) (int64, error) {
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, path FROM checkpoints`)
	if err != nil {
		return 0, err
	}
	moved := map[int64]string{}
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			rows.Close()
			return 0, err
		}
		if rest, ok := strings.CutPrefix(p, oldPrefix); ok {
			moved[id] = newPrefix + rest
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for id, p := range moved {
		if _, err := tx.ExecContext(ctx, `UPDATE checkpoints SET path = ? WHERE id = ?`, p, id); err != nil {
			return 0, err
		}
	}
	return int64(len(moved)), tx.Commit()
}
