// Package store is the Style Studio catalog: a SQLite database (catalog.db) and a content-addressed
// folder of image objects (objects/ab/cdef…), together called a library. It is the only package that
// speaks SQL.
//
// Every method that writes runs in one IMMEDIATE transaction; writers inside one process are also
// serialised by the DB itself, so they queue without SQLite busy-waiting. Reads run without an explicit
// transaction (each statement sees a consistent snapshot; WAL mode lets them run beside a writer).
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
	"runtime"
	"syscall"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound: the product, style, image, thumbnail, object or demo truth asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNewerSchema: catalog.db was written by a newer Style Studio; it is left untouched.
	ErrNewerSchema = errors.New("catalog schema is newer than this build")
	// ErrReadOnly: the library folder or catalog.db cannot be written.
	ErrReadOnly = errors.New("library is read-only")
	// ErrDuplicate: a unique value (SKU, style name, shortcut key, run name) is already taken.
	ErrDuplicate = errors.New("already exists")
	// ErrDiskFull: the disk holding the library has no space left (errors.Is(err, syscall.ENOSPC)
	// holds too); nothing was half-written.
	ErrDiskFull = errors.New("disk is full")
)

const (
	// DBFile is the catalog database's file name inside a library folder.
	DBFile = "catalog.db"
	// ObjectsDir is the folder of content-addressed image objects inside a library folder.
	ObjectsDir = "objects"
)

// timeLayout is how times are stored: UTC, fixed width, so text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// DB is an open library. It is safe for concurrent use.
type DB struct {
	sql  *sql.DB
	dir  string
	path string
	// wsem serialises this process's write transactions (capacity 1).
	wsem chan struct{}
	now  func() time.Time
}

// kindError is an error with a complete, user-facing message that also matches a sentinel
// (and, when set, its cause) under errors.Is / errors.As.
type kindError struct {
	msg   string
	kind  error
	cause error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// DefaultLibraryDir is where the library lives unless the user picks another folder:
// $XDG_DATA_HOME/stylestudio or ~/.local/share/stylestudio on Linux and other Unixes,
// ~/Library/Application Support/StyleStudio on macOS, %AppData%\StyleStudio on Windows.
func DefaultLibraryDir() (string, error) {
	switch runtime.GOOS {
	case "darwin", "ios", "windows":
		// os.UserConfigDir is ~/Library/Application Support on macOS and %AppData% on Windows.
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("default library folder: %w", err)
		}
		return filepath.Join(base, "StyleStudio"), nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "stylestudio"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("default library folder: %w", err)
	}
	return filepath.Join(home, ".local", "share", "stylestudio"), nil
}

// Open opens the library in dir, creating the folder, objects/ and catalog.db if missing, and applies
// any pending migrations. It fails with ErrReadOnly when the folder or database cannot be written and
// with ErrNewerSchema (leaving the file untouched) when catalog.db comes from a newer Style Studio.
func Open(ctx context.Context, dir string) (*DB, error) {
	if dir == "" {
		return nil, errors.New("open library: no folder given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open library %s: %w", dir, err)
	}
	migs, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("open library %s: %w", abs, err)
	}
	known := migs[len(migs)-1].version

	if err := checkWritable(abs); err != nil {
		return nil, err
	}
	path := filepath.Join(abs, DBFile)

	// Look at the recorded schema version through a read-only connection first, so that a catalog
	// from a newer build is refused before anything (journal mode, WAL files) touches it.
	if _, err := os.Stat(path); err == nil {
		v, err := probeVersion(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open library %s: read schema version: %w", abs, err)
		}
		if v > known {
			return nil, newerSchemaError(path, v, known)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open library %s: %w", abs, err)
	}

	sdb, err := sql.Open("sqlite3", dsn(path, url.Values{
		"_foreign_keys": {"on"},
		"_journal_mode": {"WAL"},
		"_busy_timeout": {"5000"},
		"_synchronous":  {"NORMAL"},
		// Write transactions take the write lock up front: a deferred transaction that reads and then
		// writes can fail with SQLITE_BUSY (snapshot) in WAL mode, which busy_timeout cannot retry.
		"_txlock": {"immediate"},
	}))
	if err != nil {
		return nil, fmt.Errorf("open library %s: %w", abs, err)
	}
	sdb.SetMaxIdleConns(4)
	db := &DB{sql: sdb, dir: abs, path: path, wsem: make(chan struct{}, 1), now: time.Now}
	if err := db.migrate(ctx, migs); err != nil {
		sdb.Close()
		if errors.Is(err, ErrNewerSchema) || errors.Is(err, ErrReadOnly) {
			return nil, err
		}
		return nil, fmt.Errorf("open library %s: %w", abs, err)
	}
	db.sweepObjectTemps(staleTempAge) // of writes killed mid-way in an earlier session
	return db, nil
}

// dsn builds a file: URI for path (escaped, so '?', '#' and '%' in folder names are safe) with params.
func dsn(path string, params url.Values) string {
	p := filepath.ToSlash(path)
	if len(p) > 0 && p[0] != '/' { // Windows: C:/x → /C:/x
		p = "/" + p
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: params.Encode()}
	return u.String()
}

// probeVersion reads the highest applied migration from path without writing anything. When there is
// no -wal file (no other connection has the catalog open, and nothing is pending in a WAL), it reads
// with immutable=1 so that not even -wal/-shm files are created; otherwise (or if that fails) through
// an ordinary read-only connection.
func probeVersion(ctx context.Context, path string) (int, error) {
	probe := func(params url.Values) (int, error) {
		sdb, err := sql.Open("sqlite3", dsn(path, params))
		if err != nil {
			return 0, err
		}
		defer sdb.Close()
		return schemaVersion(ctx, sdb)
	}
	if _, err := os.Stat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		if v, err := probe(url.Values{"mode": {"ro"}, "immutable": {"1"}}); err == nil {
			return v, nil
		}
	}
	return probe(url.Values{"mode": {"ro"}, "_busy_timeout": {"5000"}})
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaVersion is the highest version in schema_migrations, 0 when the table does not exist.
func schemaVersion(ctx context.Context, q querier) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func newerSchemaError(path string, have, known int) error {
	return &kindError{
		msg: fmt.Sprintf("catalog.db at %s was written by a newer Style Studio (schema %d, this build knows %d); upgrade the app",
			path, have, known),
		kind: ErrNewerSchema,
	}
}

// checkWritable creates dir and dir/objects if missing and proves both (and catalog.db with its WAL
// files, when present) can be written; otherwise it returns an ErrReadOnly that says what to do.
func checkWritable(dir string) error {
	readOnly := func(what string, err error) error {
		return &kindError{
			msg: fmt.Sprintf("%s is not writable (%v); make it writable or choose another library folder",
				what, reason(err)),
			kind:  ErrReadOnly,
			cause: err,
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, ObjectsDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			if isPermission(err) {
				return readOnly("library folder "+d, err)
			}
			return fmt.Errorf("open library %s: %w", dir, err)
		}
		// Named as an object temp file: a process killed between creating and removing it leaves a temp
		// that Open's sweep removes later, not a stray file in the object store.
		f, err := os.CreateTemp(d, objectTempPrefix+"write-probe-*")
		if err != nil {
			if isPermission(err) {
				return readOnly("library folder "+d, err)
			}
			return fmt.Errorf("open library %s: %w", dir, err)
		}
		_, werr := f.Write([]byte{0})
		cerr := f.Close()
		os.Remove(f.Name())
		if err := errors.Join(werr, cerr); err != nil {
			if isPermission(err) {
				return readOnly("library folder "+d, err)
			}
			if isNoSpace(err) {
				return &kindError{msg: fmt.Sprintf("the disk holding library %s is full (%v); free some space and try again", dir, reason(werr)),
					kind: ErrDiskFull, cause: err}
			}
			return fmt.Errorf("open library %s: %w", dir, err)
		}
	}
	// Opening for writing (without truncating) changes neither content nor modification time.
	for _, name := range []string{DBFile, DBFile + "-wal", DBFile + "-shm"} {
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			if isPermission(err) {
				return readOnly(p, err)
			}
			return fmt.Errorf("open library %s: %w", dir, err)
		}
		f.Close()
	}
	return nil
}

// reason is the system's short reason ("permission denied") without the path repeated.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isPermission(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// Close closes the database. The DB must not be used afterwards.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Keep the planner's statistics fresh; failure here is harmless.
	_, _ = db.sql.ExecContext(ctx, `PRAGMA optimize`)
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("close library %s: %w", db.dir, err)
	}
	return nil
}

// Dir is the library folder (absolute).
func (db *DB) Dir() string { return db.dir }

// write runs fn in one write transaction, committing when it returns nil.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case db.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-db.wsem }()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	if err := tx.Commit(); err != nil {
		return classify(err)
	}
	return nil
}

// classify makes SQLite's unique, read-only and disk-full failures match ErrDuplicate, ErrReadOnly and
// ErrDiskFull.
func classify(err error) error {
	if errors.Is(err, ErrDuplicate) || errors.Is(err, ErrReadOnly) || errors.Is(err, ErrNotFound) {
		return err
	}
	if isUnique(err) {
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrReadonly {
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	if errors.As(err, &se) && se.Code == sqlite3.ErrFull {
		return &kindError{msg: fmt.Sprintf("the disk holding the library is full (%v); free some space and try again", err),
			kind: ErrDiskFull, cause: errors.Join(err, syscall.ENOSPC)}
	}
	return err
}

func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

func (db *DB) stamp() string { return db.now().UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t
}
