package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// stylesIn lists the styles in display order inside a transaction.
func stylesIn(ctx context.Context, tx *sql.Tx) ([]Style, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, color, shortcut_key, position FROM styles ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Style
	for rows.Next() {
		var s Style
		if err := rows.Scan(&s.ID, &s.Name, &s.Color, &s.Key, &s.Position); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func styleByID(ctx context.Context, tx *sql.Tx, id int64) (Style, error) {
	var s Style
	err := tx.QueryRowContext(ctx, `SELECT id, name, color, shortcut_key, position FROM styles WHERE id = ?`, id).
		Scan(&s.ID, &s.Name, &s.Color, &s.Key, &s.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return Style{}, fmt.Errorf("no style %d: %w", id, ErrNotFound)
	}
	return s, err
}

// StyleByName returns the style called name (case-insensitive, Unicode-aware, surrounding spaces
// ignored); ErrNotFound when there is none.
func (db *DB) StyleByName(ctx context.Context, name string) (Style, error) {
	styles, err := db.Styles(ctx)
	if err != nil {
		return Style{}, err
	}
	want := strings.TrimSpace(name)
	for _, s := range styles {
		if want != "" && strings.EqualFold(s.Name, want) {
			return s, nil
		}
	}
	return Style{}, fmt.Errorf("style %q: %w", want, ErrNotFound)
}

// RenameStyle renames a style. A name used by another style (case-insensitive) fails with
// ErrDuplicate; an unknown id with ErrNotFound. Labels and history follow the style (they refer to it
// by id).
func (db *DB) RenameStyle(ctx context.Context, id int64, newName string) error {
	name := strings.TrimSpace(newName)
	if name == "" {
		return fmt.Errorf("rename style %d: empty name", id)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		styles, err := stylesIn(ctx, tx)
		if err != nil {
			return err
		}
		found := false
		for _, s := range styles {
			if s.ID == id {
				found = true
			} else if strings.EqualFold(s.Name, name) {
				return fmt.Errorf("a style named %q exists: %w", s.Name, ErrDuplicate)
			}
		}
		if !found {
			return fmt.Errorf("no style %d: %w", id, ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `UPDATE styles SET name = ? WHERE id = ?`, name, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("rename style %d to %q: %w", id, name, err)
	}
	return nil
}

// RecolorStyle sets a style's colour ("#rrggbb", any case); ErrNotFound for an unknown id.
func (db *DB) RecolorStyle(ctx context.Context, id int64, color string) error {
	c := strings.ToLower(strings.TrimSpace(color))
	if !validColor(c) {
		return fmt.Errorf("recolor style %d: colour %q is not #rrggbb", id, color)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE styles SET color = ? WHERE id = ?`, c, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("no style %d: %w", id, ErrNotFound))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recolor style %d: %w", id, err)
	}
	return nil
}

// SetStyleKey sets a style's keyboard shortcut: one character, or "" for none. A key another style
// has fails with ErrDuplicate (naming that style); an unknown id with ErrNotFound.
func (db *DB) SetStyleKey(ctx context.Context, id int64, key string) error {
	k := strings.TrimSpace(key)
	if utf8.RuneCountInString(k) > 1 {
		return fmt.Errorf("set shortcut of style %d: %q is more than one character", id, key)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := styleByID(ctx, tx, id); err != nil {
			return err
		}
		if k != "" {
			var other string
			err := tx.QueryRowContext(ctx, `SELECT name FROM styles WHERE shortcut_key = ? AND id <> ?`, k, id).Scan(&other)
			if err == nil {
				return fmt.Errorf("shortcut key %q is taken by style %q: %w", k, other, ErrDuplicate)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE styles SET shortcut_key = ? WHERE id = ?`, k, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("set shortcut of style %d to %q: %w", id, k, err)
	}
	return nil
}

// ReorderStyles sets the display order: ids must list every style exactly once (positions become
// 0, 1, 2… in that order). Nothing changes otherwise.
func (db *DB) ReorderStyles(ctx context.Context, ids []int64) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		styles, err := stylesIn(ctx, tx)
		if err != nil {
			return err
		}
		exists := make(map[int64]bool, len(styles))
		for _, s := range styles {
			exists[s.ID] = true
		}
		seen := make(map[int64]bool, len(ids))
		for _, id := range ids {
			if !exists[id] {
				return fmt.Errorf("no style %d: %w", id, ErrNotFound)
			}
			if seen[id] {
				return fmt.Errorf("style %d is listed twice", id)
			}
			seen[id] = true
		}
		if len(ids) != len(styles) {
			return fmt.Errorf("%d of %d styles listed; list every style once", len(ids), len(styles))
		}
		stmt, err := tx.PrepareContext(ctx, `UPDATE styles SET position = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, id := range ids {
			if _, err := stmt.ExecContext(ctx, i, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reorder styles: %w", err)
	}
	return nil
}

// MergeStyles moves every label of style fromID to intoID (one history row each, all in one batch)
// and then deletes fromID; it returns how many products moved. A merge cannot be undone, and undo
// cannot reach steps before it (their history refers to the deleted style); it also clears the redo
// stack. Generated variants of the deleted style are deleted with it.
func (db *DB) MergeStyles(ctx context.Context, fromID, intoID int64, who string) (moved int, err error) {
	if fromID == intoID {
		return 0, fmt.Errorf("merge style %d into itself", fromID)
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		from, err := styleByID(ctx, tx, fromID)
		if err != nil {
			return err
		}
		into, err := styleByID(ctx, tx, intoID)
		if err != nil {
			return err
		}
		moved, err = db.removeStyle(ctx, tx, from, &into, who, fmt.Sprintf("merge style %s into %s", from.Name, into.Name))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("merge style %d into %d: %w", fromID, intoID, err)
	}
	return moved, nil
}

// DeleteStyle deletes a style. With moveTo 0 it is refused with ErrInUse while products carry the
// style (merge it, or pass a style to move them to); with moveTo > 0 its labels first move to that
// style (history rows in one batch), as MergeStyles does. History rows keep the deleted style's name.
// A deletion that touches labels or their undo history cannot be undone and ends the undo history
// before it. Generated variants of the deleted style are deleted with it.
func (db *DB) DeleteStyle(ctx context.Context, id int64, moveTo int64, who string) error {
	if moveTo != 0 && moveTo == id {
		return fmt.Errorf("delete style %d: cannot move its labels to itself", id)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		st, err := styleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		var into *Style
		desc := "delete style " + st.Name
		if moveTo != 0 {
			target, err := styleByID(ctx, tx, moveTo)
			if err != nil {
				return fmt.Errorf("target: %w", err)
			}
			into = &target
			desc = fmt.Sprintf("delete style %s, moving its products to %s", st.Name, target.Name)
		}
		_, err = db.removeStyle(ctx, tx, st, into, who, desc)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete style %d: %w", id, err)
	}
	return nil
}

// removeStyle moves from's labels to into (nil: refuse with ErrInUse if there are any) and deletes
// from, closing its gap in the display order. When labels move, or batches in the undo/redo history refer to from, it records a batch that
// cannot be undone (a barrier) and clears the redo stack.
func (db *DB) removeStyle(ctx context.Context, tx *sql.Tx, from Style, into *Style, who, desc string) (int, error) {
	var products []int64
	rows, err := tx.QueryContext(ctx, `SELECT product_id FROM labels WHERE style_id = ? ORDER BY product_id`, from.ID)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		products = append(products, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	if len(products) > 0 && into == nil {
		return 0, &kindError{
			msg: fmt.Sprintf("style %q is used by %s; merge it into another style, or delete it with a style to move them to",
				from.Name, plural(len(products), "product", "products")),
			kind: ErrInUse,
		}
	}
	var referenced bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM label_history h
		JOIN label_batches b ON b.id = h.batch_id
		WHERE b.state <> ? AND (h.old_style_id = ? OR h.new_style_id = ?))`,
		batchDiscarded, from.ID, from.ID).Scan(&referenced); err != nil {
		return 0, err
	}
	if len(products) > 0 || referenced {
		now := db.stamp()
		if len(products) > 0 {
			desc += fmt.Sprintf(" (%s)", plural(len(products), "product", "products"))
		}
		batch, err := beginBatch(ctx, tx, desc, who, now, false)
		if err != nil {
			return 0, err
		}
		changes := make([]labelChange, len(products))
		for i, p := range products {
			changes[i] = labelChange{productID: p, old: from.ID, new: into.ID}
		}
		if err := applyChanges(ctx, tx, batch, changes, who, now); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE label_history SET new_style_name = ? WHERE new_style_id = ?`,
		from.Name, from.ID); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM styles WHERE id = ?`, from.ID); err != nil {
		return 0, err
	}
	// Close the gap in the display order.
	if _, err := tx.ExecContext(ctx, `UPDATE styles SET position = position - 1 WHERE position > ?`, from.Position); err != nil {
		return 0, err
	}
	return len(products), nil
}
