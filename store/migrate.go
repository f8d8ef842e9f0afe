package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations (NNNN_name.sql), ordered by version, which must run
// 1, 2, 3… without gaps.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var migs []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		migs = append(migs, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(b)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	if len(migs) == 0 {
		return nil, fmt.Errorf("no migrations embedded")
	}
	return migs, nil
}

// migrate applies the migrations newer than the recorded version, each in its own transaction
// together with its schema_migrations row. It never goes backwards.
func (db *DB) migrate(ctx context.Context, migs []migration) error {
	known := migs[len(migs)-1].version
	// Cheap check without the write lock: an up-to-date catalog is not written at all.
	v, err := schemaVersion(ctx, db.sql)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > known {
		return newerSchemaError(db.path, v, known)
	}
	if v == known {
		return nil
	}
	for _, m := range migs {
		err := db.write(ctx, func(tx *sql.Tx) error {
			// Re-read inside the transaction: another process may have migrated meanwhile.
			cur, err := schemaVersion(ctx, tx)
			if err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if cur > known {
				return newerSchemaError(db.path, cur, known)
			}
			if cur >= m.version {
				return nil
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				name       TEXT NOT NULL,
				applied_at TEXT NOT NULL)`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, db.stamp())
			return err
		})
		if err != nil {
			if errors.Is(err, ErrNewerSchema) {
				return err
			}
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}
