package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"stylestudio/engine/ingest"
)

var (
	_ ingest.Sink    = (*DB)(nil)
	_ ingest.Labeler = (*DB)(nil)
)

// HasImage reports whether an image with this content hash is in the catalog.
func (db *DB) HasImage(ctx context.Context, hash string) (bool, error) {
	var ok bool
	if err := db.sql.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM images WHERE hash = ?)`, hash).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up image %s: %w", hash, err)
	}
	return ok, nil
}

// LabelUnlabeled labels the product whose image has this content hash with the style (created when
// new), recording the label as AddRecord does (source "folder" or "csv"; "import" when empty), when
// the product has no label. It returns false when the product has a label (a person's label wins) or
// no product holds the image. A re-import with labels uses it (ingest.Labeler).
func (db *DB) LabelUnlabeled(ctx context.Context, hash, style, source string) (bool, error) {
	style = strings.TrimSpace(style)
	if style == "" {
		return false, nil
	}
	if source == "" {
		source = "import"
	}
	labeled := false
	err := db.write(ctx, func(tx *sql.Tx) error {
		var productID int64
		err := tx.QueryRowContext(ctx, `SELECT p.id FROM products p JOIN images i ON i.id = p.image_id
			WHERE i.hash = ? AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.product_id = p.id)`, hash).Scan(&productID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := labelNew(ctx, tx, productID, style, source, db.stamp()); err != nil {
			return err
		}
		labeled = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("label the product of image %s as %q: %w", hash, style, err)
	}
	return labeled, nil
}

// GroupUngrouped gives the product whose image has this content hash the group, when it has none
// (ingest.Grouper): a re-import names the counterparts of a catalog imported before groups were kept.
func (db *DB) GroupUngrouped(ctx context.Context, hash, group string) (bool, error) {
	group = strings.TrimSpace(group)
	if group == "" {
		return false, nil
	}
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE products SET group_key = ?
			WHERE group_key = '' AND image_id = (SELECT id FROM images WHERE hash = ?)`, group, hash)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("set the group of the product of image %s to %q: %w", hash, group, err)
	}
	return n > 0, nil
}

// searchKey is what ProductFilter.Search matches against: SKU and title, lower-cased (Unicode-aware).
func searchKey(sku, title string) string { return strings.ToLower(sku + "\n" + title) }

// AddRecord stores one ingested product. It writes the image object first (atomically), then in one
// transaction the image row, product row, thumbnail, the style if it is new, the label and its
// history row (when r.Style is set) and the demo truth (when r.DemoParams is set).
//
// When the image hash is already in the catalog it changes nothing and returns created=false, nil.
// A SKU that is already taken (by a product with another image) fails with ErrDuplicate; nothing in
// the catalog then refers to the object just written, which stays behind as an unreferenced file (it
// is not deleted because a concurrent AddRecord of the same image may have just come to rely on it).
func (db *DB) AddRecord(ctx context.Context, r ingest.Record) (created bool, err error) {
	sku := strings.TrimSpace(r.SKU)
	if sku == "" {
		return false, fmt.Errorf("add record: empty SKU (image %s)", r.Image.Source)
	}
	sum := sha256.Sum256(r.Image.Bytes)
	hash := hex.EncodeToString(sum[:])
	if r.Image.Hash != "" && r.Image.Hash != hash {
		return false, fmt.Errorf("add record %q: image hash %s does not match its bytes (%s)", sku, r.Image.Hash, hash)
	}
	if err := db.putObject(hash, r.Image.Bytes); err != nil {
		return false, fmt.Errorf("add record %q: %w", sku, err)
	}
	styleName := strings.TrimSpace(r.Style)
	who := r.LabelSource
	if who == "" {
		who = "import"
	}

	err = db.write(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM images WHERE hash = ?)`, hash).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		now := db.stamp()
		res, err := tx.ExecContext(ctx,
			`INSERT INTO images (hash, width, height, format, source_path, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			hash, r.Image.Width, r.Image.Height, r.Image.Format, r.Image.Source, now)
		if err != nil {
			return fmt.Errorf("insert image: %w", err)
		}
		imageID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx,
			`INSERT INTO products (sku, title, category, price_cents, created_at, image_id, search_key, group_key)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			sku, r.Title, r.Category, r.PriceCents, now, imageID, searchKey(sku, r.Title), strings.TrimSpace(r.Group))
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("the SKU is already in the catalog with another image: %w", ErrDuplicate)
			}
			return fmt.Errorf("insert product: %w", err)
		}
		productID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if len(r.Thumb) > 0 {
			alpha := r.ThumbAlpha
			if alpha == nil {
				alpha = []byte{} // checked: opaque (NULL is left for a picture nobody has checked)
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO thumbnails (hash, png, alpha) VALUES (?, ?, ?)`, hash, r.Thumb, alpha); err != nil {
				return fmt.Errorf("insert thumbnail: %w", err)
			}
		}
		if styleName != "" {
			if err := labelNew(ctx, tx, productID, styleName, who, now); err != nil {
				return err
			}
		}
		if r.DemoParams != nil {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO demo_truth (product_id, params_json, style_name) VALUES (?, ?, ?)`,
				productID, string(r.DemoParams), r.DemoStyle); err != nil {
				return fmt.Errorf("insert demo truth: %w", err)
			}
		}
		created = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("add record %q: %w", sku, err)
	}
	return created, nil
}

// labelNew labels an unlabeled product with the style named style (created when new) and records the
// label's history row, from who, at now.
func labelNew(ctx context.Context, tx *sql.Tx, productID int64, style, who, now string) error {
	st, err := ensureStyle(ctx, tx, style, now)
	if err != nil {
		return fmt.Errorf("style %q: %w", style, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO labels (product_id, style_id, source, labeled_at) VALUES (?, ?, ?, ?)`,
		productID, st, who, now); err != nil {
		return fmt.Errorf("insert label: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO label_history (product_id, old_style_id, new_style_id, who, at) VALUES (?, NULL, ?, ?, ?)`,
		productID, st, who, now); err != nil {
		return fmt.Errorf("insert label history: %w", err)
	}
	return nil
}

// paletteColors gives new styles distinct colours (Tableau 10), in order.
const paletteColors = "#4e79a7 #f28e2b #e15759 #76b7b2 #59a14f #edc948 #b07aa1 #ff9da7 #9c755f #bab0ac"

// ensureStyle returns the id of the style called name (case-insensitive), creating it with default
// colour and shortcut key when missing.
func ensureStyle(ctx context.Context, tx *sql.Tx, name, now string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM styles WHERE name = ?`, name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	st, err := insertStyle(ctx, tx, name, "", "", now)
	return st.ID, err
}

// insertStyle adds a style at the end of the order; empty color or key get defaults: the first
// palette colour not yet used (cycling when all are), and the first free key of 1–9 ("" when none).
func insertStyle(ctx context.Context, tx *sql.Tx, name, color, key, now string) (Style, error) {
	used := map[string]bool{}
	usedKeys := map[string]bool{}
	var n, maxPos int
	rows, err := tx.QueryContext(ctx, `SELECT color, shortcut_key, position FROM styles`)
	if err != nil {
		return Style{}, err
	}
	for rows.Next() {
		var c, k string
		var pos int
		if err := rows.Scan(&c, &k, &pos); err != nil {
			rows.Close()
			return Style{}, err
		}
		used[strings.ToLower(c)] = true
		usedKeys[k] = true
		if n == 0 || pos > maxPos {
			maxPos = pos
		}
		n++
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return Style{}, err
	}
	if color == "" {
		palette := strings.Fields(paletteColors)
		color = palette[n%len(palette)]
		for _, c := range palette {
			if !used[c] {
				color = c
				break
			}
		}
	}
	if key == "" {
		for k := '1'; k <= '9'; k++ {
			if !usedKeys[string(k)] {
				key = string(k)
				break
			}
		}
	}
	pos := 0
	if n > 0 {
		pos = maxPos + 1
	}
	res, err := tx.ExecContext(ctx,
		`INSERT INTO styles (name, color, shortcut_key, position, created_at) VALUES (?, ?, ?, ?, ?)`,
		name, color, key, pos, now)
	if err != nil {
		if isUnique(err) {
			if usedKeys[key] {
				return Style{}, fmt.Errorf("shortcut key %q is taken by another style: %w", key, ErrDuplicate)
			}
			return Style{}, fmt.Errorf("a style named %q exists: %w", name, ErrDuplicate)
		}
		return Style{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Style{}, err
	}
	return Style{ID: id, Name: name, Color: color, Key: key, Position: pos}, nil
}
