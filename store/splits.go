package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
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

// EnsureSplits gives every labelled product that has no split yet its split, and never moves one that
// has: a product's split is assigned the first time it is needed and frozen from then on (new labels,
// relabelling or another seed never move it; an export that wants another split writes it into the
// export only). The newcomers are split with dataset.FillGroupedSplits: a product of a group (the same
// item in other styles, migration 0006) joins its group's split, taken from the group's first product
// that has one (labelled or not any more), and groups new to the library are split as a whole toward
// each style's share, so every counterpart of a held-out item is held out too; the others are stratified by their style against the products of that style
// that already have one. All of it is deterministic in the seed, the SKUs and the groups. The seed and
// percentages are the library's (ActiveSplit) when it has them; def sets them the first time and is
// recorded. It returns the frozen splits of the labelled products, counted by their current style.
func (db *DB) EnsureSplits(ctx context.Context, def SplitSettings) (SplitCounts, error) {
	var counts SplitCounts
	err := db.write(ctx, func(tx *sql.Tx) error {
		counts = SplitCounts{PerStyle: map[string][3]int{}}
		settings, err := activeSplit(ctx, tx)
		if errors.Is(err, ErrNotFound) {
			settings = def
			if err := dataset.ValidatePercentages([3]int{def.Train, def.Val, def.Test}); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO split_settings (id, seed, train_pct, val_pct, test_pct, assigned_at)
				VALUES (1, ?, ?, ?, ?, ?)`, int64(def.Seed), def.Train, def.Val, def.Test, db.stamp()); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		pct := [3]int{settings.Train, settings.Val, settings.Test}
		if dataset.ValidatePercentages(pct) != nil {
			pct = [3]int{def.Train, def.Val, def.Test}
		}
		// The labelled products, and the products of a group that have a split but no label any more
		// (cleared after the split): they still hold their group's split.
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.sku, COALESCE(s.id, 0), COALESCE(s.name, ''), COALESCE(ps.split, ''), p.group_key
			FROM products p
			LEFT JOIN labels l ON l.product_id = p.id LEFT JOIN styles s ON s.id = l.style_id
			LEFT JOIN product_splits ps ON ps.product_id = p.id
			WHERE s.id IS NOT NULL OR (ps.split IS NOT NULL AND p.group_key != '')
			ORDER BY p.id`)
		if err != nil {
			return err
		}
		type newcomer struct {
			id   int64
			name string
		}
		var fresh []newcomer
		var items []dataset.SplitItem
		var members []dataset.Member // in product id order: a group's split is its first member's
		add := func(name, split string) {
			k := slices.Index(dataset.Splits[:], split)
			c := counts.PerStyle[name]
			c[k]++
			counts.PerStyle[name] = c
		}
		for rows.Next() {
			var id, styleID int64
			var sku, name, split, group string
			if err := rows.Scan(&id, &sku, &styleID, &name, &split, &group); err != nil {
				rows.Close()
				return err
			}
			if styleID == 0 {
				members = append(members, dataset.Member{SplitItem: dataset.SplitItem{Key: sku, Group: group}, Split: split})
				continue
			}
			item := dataset.SplitItem{Key: sku, Class: strconv.FormatInt(styleID, 10), Group: group}
			if split != "" {
				add(name, split)
				members = append(members, dataset.Member{SplitItem: item, Split: split})
				continue
			}
			fresh = append(fresh, newcomer{id, name})
			items = append(items, item)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		assigned := dataset.FillGroupedSplits(items, members, settings.Seed, pct)
		if len(assigned) > 0 {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO product_splits (product_id, split, seed, assigned_at) VALUES (?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			now := db.stamp()
			for i, sp := range assigned {
				if _, err := stmt.ExecContext(ctx, fresh[i].id, sp, int64(settings.Seed), now); err != nil {
					return fmt.Errorf("product %d: %w", fresh[i].id, err)
				}
			}
		}
		for i, sp := range assigned {
			add(fresh[i].name, sp)
		}
		return nil
	})
	if err != nil {
		return SplitCounts{}, fmt.Errorf("assign splits: %w", err)
	}
	for _, c := range counts.PerStyle {
		counts.Train, counts.Val, counts.Test = counts.Train+c[0], counts.Val+c[1], counts.Test+c[2]
	}
	return counts, nil
}

// Splits maps product id to its frozen split, "train", "val" or "test" (EnsureSplits); products
// that never needed one have none.
func (db *DB) Splits(ctx context.Context) (map[int64]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT product_id, split FROM product_splits`)
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

// ActiveSplit returns the seed and percentages the library assigns splits with (EnsureSplits);
// ErrNotFound when splits were never assigned.
func (db *DB) ActiveSplit(ctx context.Context) (SplitSettings, error) {
	s, err := activeSplit(ctx, db.sql)
	if err != nil {
		return SplitSettings{}, fmt.Errorf("active split: %w", err)
	}
	return s, nil
}

func activeSplit(ctx context.Context, q querier) (SplitSettings, error) {
	var s SplitSettings
	var seed int64
	var at string
	err := q.QueryRowContext(ctx, `SELECT seed, train_pct, val_pct, test_pct, assigned_at FROM split_settings WHERE id = 1`).
		Scan(&seed, &s.Train, &s.Val, &s.Test, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return SplitSettings{}, fmt.Errorf("none assigned: %w", ErrNotFound)
	}
	if err != nil {
		return SplitSettings{}, err
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
	Split      string // its frozen split: "train", "val", "test", or "" when not assigned yet
	// Group names the item the product draws, shared by its counterparts in other styles ("" when
	// none is known; see migration 0006).
	Group string
}

// LabeledProducts lists every labelled product, in id order, with its image facts and frozen split.
func (db *DB) LabeledProducts(ctx context.Context) ([]LabeledProduct, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT p.id, p.sku, p.title, p.category, p.price_cents, s.id, s.name,
		COALESCE(i.hash, ''), COALESCE(i.format, ''), COALESCE(i.source_path, ''), COALESCE(sp.split, ''), p.group_key
		FROM labels l
		JOIN products p ON p.id = l.product_id
		JOIN styles s ON s.id = l.style_id
		LEFT JOIN images i ON i.id = p.image_id
		LEFT JOIN product_splits sp ON sp.product_id = p.id
		ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("list labeled products: %w", err)
	}
	defer rows.Close()
	var out []LabeledProduct
	for rows.Next() {
		var r LabeledProduct
		if err := rows.Scan(&r.ID, &r.SKU, &r.Title, &r.Category, &r.PriceCents, &r.StyleID, &r.Style,
			&r.ImageHash, &r.Format, &r.SourcePath, &r.Split, &r.Group); err != nil {
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
			Group: r.Group,
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
