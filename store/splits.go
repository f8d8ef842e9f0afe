package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"time"

	"stylestudio/engine/dataset"
)

// SplitCounts is how many labelled products went to each split, overall and per style name
// ([train, val, test]).
type SplitCounts struct {
	Train, Val, Test int
	PerStyle         map[string][3]int
}

// SplitSettings is the active split assignment's parameters.
type SplitSettings struct {
	Seed             uint64
	Train, Val, Test int // percentages
	AssignedAt       time.Time
}

// AssignSplits assigns every labelled product to train, val or test, stratified by its style, with
// dataset.StratifiedSplit (deterministic in the seed, the percentages and the labels; a class of three
// or more products gets at least one val and one test product when those percentages are above 0).
// The percentages must sum to 100. The result replaces any previous assignment: there is one active
// assignment, stored with its seed and percentages. Re-running with the same seed and labels gives the
// same splits; products added later shift at most a couple of others per style.
func (db *DB) AssignSplits(ctx context.Context, seed uint64, train, val, test int) (SplitCounts, error) {
	pct := [3]int{train, val, test}
	if err := dataset.ValidatePercentages(pct); err != nil {
		return SplitCounts{}, fmt.Errorf("assign splits: %w", err)
	}
	var counts SplitCounts
	err := db.write(ctx, func(tx *sql.Tx) error {
		counts = SplitCounts{PerStyle: map[string][3]int{}}
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.sku, s.id, s.name
			FROM labels l JOIN products p ON p.id = l.product_id JOIN styles s ON s.id = l.style_id
			ORDER BY p.id`)
		if err != nil {
			return err
		}
		var ids []int64
		var names []string
		var items []dataset.SplitItem
		for rows.Next() {
			var id, styleID int64
			var sku, name string
			if err := rows.Scan(&id, &sku, &styleID, &name); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			names = append(names, name)
			items = append(items, dataset.SplitItem{Key: sku, Class: strconv.FormatInt(styleID, 10)})
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		assigned := dataset.StratifiedSplit(items, seed, pct)

		if _, err := tx.ExecContext(ctx, `DELETE FROM splits`); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO splits (product_id, seed, split) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, sp := range assigned {
			if _, err := stmt.ExecContext(ctx, ids[i], int64(seed), sp); err != nil {
				return fmt.Errorf("product %d: %w", ids[i], err)
			}
			c := counts.PerStyle[names[i]]
			switch sp {
			case dataset.Train:
				counts.Train++
				c[0]++
			case dataset.Val:
				counts.Val++
				c[1]++
			case dataset.Test:
				counts.Test++
				c[2]++
			}
			counts.PerStyle[names[i]] = c
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO split_settings (id, seed, train_pct, val_pct, test_pct, assigned_at)
			VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET seed = excluded.seed, train_pct = excluded.train_pct,
			val_pct = excluded.val_pct, test_pct = excluded.test_pct, assigned_at = excluded.assigned_at`,
			int64(seed), train, val, test, db.stamp())
		return err
	})
	if err != nil {
		return SplitCounts{}, fmt.Errorf("assign splits (seed %d, %d/%d/%d): %w", seed, train, val, test, err)
	}
	return counts, nil
}

// Splits maps product id to "train", "val" or "test" for the active assignment (empty when splits
// were never assigned). Products labelled after the assignment have none.
func (db *DB) Splits(ctx context.Context) (map[int64]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT sp.product_id, sp.split
		FROM splits sp JOIN split_settings ss ON ss.id = 1 AND sp.seed = ss.seed`)
	if err != nil {
		return nil, fmt.Errorf("list splits: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var sp string
		if err := rows.Scan(&id, &sp); err != nil {
			return nil, fmt.Errorf("list splits: %w", err)
		}
		out[id] = sp
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list splits: %w", err)
	}
	return out, nil
}

// ActiveSplit returns the active assignment's seed and percentages; ErrNotFound when splits were never
// assigned.
func (db *DB) ActiveSplit(ctx context.Context) (SplitSettings, error) {
	var s SplitSettings
	var seed int64
	var at string
	err := db.sql.QueryRowContext(ctx, `SELECT seed, train_pct, val_pct, test_pct, assigned_at FROM split_settings WHERE id = 1`).
		Scan(&seed, &s.Train, &s.Val, &s.Test, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return SplitSettings{}, fmt.Errorf("active split: none assigned: %w", ErrNotFound)
	}
	if err != nil {
		return SplitSettings{}, fmt.Errorf("active split: %w", err)
	}
	s.Seed = uint64(seed)
	s.AssignedAt = parseTime(at)
	return s, nil
}

// LabeledProduct is one labelled product as an export needs it.
type LabeledProduct struct {
	ID         int64
	SKU        string
	Title      string
	Category   string
	PriceCents int64
	StyleID    int64
	Style      string // the style's name
	ImageHash  string // "" when the product has no image
	Format     string // the image's format ("png", "jpeg", …)
	SourcePath string // where the image was ingested from
	Split      string // "train", "val", "test", or "" when not assigned
}

// LabeledProducts lists every labelled product, in id order, with its image facts and split in the
// active assignment.
func (db *DB) LabeledProducts(ctx context.Context) ([]LabeledProduct, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT p.id, p.sku, p.title, p.category, p.price_cents, s.id, s.name,
		COALESCE(i.hash, ''), COALESCE(i.format, ''), COALESCE(i.source_path, ''), COALESCE(sp.split, '')
		FROM labels l
		JOIN products p ON p.id = l.product_id
		JOIN styles s ON s.id = l.style_id
		LEFT JOIN images i ON i.id = p.image_id
		LEFT JOIN split_settings ss ON ss.id = 1
		LEFT JOIN splits sp ON sp.product_id = p.id AND sp.seed = ss.seed
		ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("list labeled products: %w", err)
	}
	defer rows.Close()
	var out []LabeledProduct
	for rows.Next() {
		var r LabeledProduct
		if err := rows.Scan(&r.ID, &r.SKU, &r.Title, &r.Category, &r.PriceCents, &r.StyleID, &r.Style,
			&r.ImageHash, &r.Format, &r.SourcePath, &r.Split); err != nil {
			return nil, fmt.Errorf("list labeled products: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list labeled products: %w", err)
	}
	return out, nil
}

// OpenObject opens the object with this hash for reading; ErrNotFound when there is none.
func (db *DB) OpenObject(hash string) (io.ReadCloser, error) {
	p := db.ObjectPath(hash)
	if p == "" {
		return nil, fmt.Errorf("open object %q: not a SHA-256 hex hash: %w", hash, ErrNotFound)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open object %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open object %s: %w", hash, err)
	}
	return f, nil
}

// ExportItems lists every labelled product as a dataset.ExportItem whose Open reads its image object,
// ready for dataset.Export (products without an image fail there, by name).
func (db *DB) ExportItems(ctx context.Context) ([]dataset.ExportItem, error) {
	rows, err := db.LabeledProducts(ctx)
	if err != nil {
		return nil, err
	}
	items := make([]dataset.ExportItem, len(rows))
	for i, r := range rows {
		hash := r.ImageHash
		items[i] = dataset.ExportItem{
			SKU: r.SKU, Title: r.Title, Category: r.Category, PriceCents: r.PriceCents,
			Style: r.Style, Split: r.Split, Format: r.Format, Hash: hash, SourcePath: r.SourcePath,
			Open: func() (io.ReadCloser, error) {
				if hash == "" {
					return nil, errors.New("the product has no image")
				}
				return db.OpenObject(hash)
			},
		}
	}
	return items, nil
}
