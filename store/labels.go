package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"stylestudio/engine/dataset"
)

// More sentinel errors; test with errors.Is.
var (
	// ErrInUse: the style still labels products (delete it with a style to move them to, or merge it).
	ErrInUse = errors.New("in use")
	// ErrNothingToUndo: there is no labelling step to undo (it also matches ErrNotFound).
	ErrNothingToUndo = fmt.Errorf("nothing to undo: %w", ErrNotFound)
	// ErrNothingToRedo: there is no undone step to redo (it also matches ErrNotFound).
	ErrNothingToRedo = fmt.Errorf("nothing to redo: %w", ErrNotFound)
)

// Batch states (label_batches.state).
const (
	batchDone      = "done"
	batchUndone    = "undone"
	batchDiscarded = "discarded"
)

// labelChange is one product's label going from old to new (0 = unlabeled).
type labelChange struct {
	productID int64
	old, new  int64
}

// nullID is a style id for SQL: 0 is NULL (unlabeled).
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// beginBatch starts a new step: it discards the redo stack (every undone batch) and records the batch.
func beginBatch(ctx context.Context, tx *sql.Tx, desc, who, now string, undoable bool) (int64, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE label_batches SET state = ? WHERE state = ?`, batchDiscarded, batchUndone); err != nil {
		return 0, fmt.Errorf("clear redo: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO label_batches (description, who, at, undoable, state) VALUES (?, ?, ?, ?, ?)`,
		desc, who, now, undoable, batchDone)
	if err != nil {
		return 0, fmt.Errorf("record batch: %w", err)
	}
	return res.LastInsertId()
}

// labelWriter writes labels and history rows with prepared statements (for big batches).
type labelWriter struct {
	upsert, del, hist *sql.Stmt
}

func newLabelWriter(ctx context.Context, tx *sql.Tx) (*labelWriter, error) {
	var w labelWriter
	var err error
	if w.upsert, err = tx.PrepareContext(ctx, `INSERT INTO labels (product_id, style_id, source, labeled_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (product_id) DO UPDATE SET style_id = excluded.style_id, source = excluded.source,
		labeled_at = excluded.labeled_at`); err != nil {
		return nil, err
	}
	if w.del, err = tx.PrepareContext(ctx, `DELETE FROM labels WHERE product_id = ?`); err != nil {
		w.close()
		return nil, err
	}
	if w.hist, err = tx.PrepareContext(ctx, `INSERT INTO label_history
		(product_id, old_style_id, new_style_id, who, at, batch_id) VALUES (?, ?, ?, ?, ?, ?)`); err != nil {
		w.close()
		return nil, err
	}
	return &w, nil
}

func (w *labelWriter) close() {
	for _, s := range []*sql.Stmt{w.upsert, w.del, w.hist} {
		if s != nil {
			s.Close()
		}
	}
}

// set makes styleID (0: none) the product's current label, given by source at at.
func (w *labelWriter) set(ctx context.Context, productID, styleID int64, source, at string) error {
	var err error
	if styleID == 0 {
		_, err = w.del.ExecContext(ctx, productID)
	} else {
		_, err = w.upsert.ExecContext(ctx, productID, styleID, source, at)
	}
	return err
}

// applyChanges sets each change's new label and writes its history row in batch.
func applyChanges(ctx context.Context, tx *sql.Tx, batch int64, changes []labelChange, who, now string) error {
	w, err := newLabelWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	for _, c := range changes {
		if err := w.set(ctx, c.productID, c.new, who, now); err != nil {
			return fmt.Errorf("product %d: %w", c.productID, err)
		}
		if _, err := w.hist.ExecContext(ctx, c.productID, nullID(c.old), nullID(c.new), who, now, batch); err != nil {
			return fmt.Errorf("product %d history: %w", c.productID, err)
		}
	}
	return nil
}

// productLabel is a product's SKU and current style (0: unlabeled).
type productLabel struct {
	sku   string
	style int64
}

// currentLabels looks up the products with these ids; ids not in the map do not exist.
func currentLabels(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]productLabel, error) {
	out := make(map[int64]productLabel, len(ids))
	for start := 0; start < len(ids); start += byIDChunk {
		chunk := ids[start:min(start+byIDChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.sku, COALESCE(l.style_id, 0)
			FROM products p LEFT JOIN labels l ON l.product_id = p.id
			WHERE p.id IN (?`+strings.Repeat(`, ?`, len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var pl productLabel
			if err := rows.Scan(&id, &pl.sku, &pl.style); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = pl
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func styleName(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	var name string
	err := tx.QueryRowContext(ctx, `SELECT name FROM styles WHERE id = ?`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("no style %d: %w", id, ErrNotFound)
	}
	return name, err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// SetLabel makes styleID the current label of the product (0 clears it) as one undoable step with a
// history row (who, now). Setting the label it already has changes nothing (and keeps the redo
// stack). ErrNotFound when the product or the style does not exist.
func (db *DB) SetLabel(ctx context.Context, productID, styleID int64, who string) error {
	if _, err := db.setLabels(ctx, []int64{productID}, styleID, who); err != nil {
		return fmt.Errorf("label product %d: %w", productID, err)
	}
	return nil
}

// SetLabels labels many products at once (styleID 0 clears their labels) as ONE undoable step and
// returns its batch id. Products already carrying that label are skipped (no history row); when none
// changes, nothing is recorded and the batch id is 0. Repeated ids count once. Nothing changes when a
// product or the style does not exist (ErrNotFound). A new step clears the redo stack.
func (db *DB) SetLabels(ctx context.Context, productIDs []int64, styleID int64, who string) (batchID int64, err error) {
	batchID, err = db.setLabels(ctx, productIDs, styleID, who)
	if err != nil {
		return 0, fmt.Errorf("label %s: %w", plural(len(productIDs), "product", "products"), err)
	}
	return batchID, nil
}

func (db *DB) setLabels(ctx context.Context, productIDs []int64, styleID int64, who string) (int64, error) {
	ids := make([]int64, 0, len(productIDs))
	seen := make(map[int64]bool, len(productIDs))
	for _, id := range productIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var batch int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		name := ""
		if styleID != 0 {
			var err error
			if name, err = styleName(ctx, tx, styleID); err != nil {
				return err
			}
		}
		cur, err := currentLabels(ctx, tx, ids)
		if err != nil {
			return err
		}
		var changes []labelChange
		var missing []int64
		for _, id := range ids {
			pl, ok := cur[id]
			switch {
			case !ok:
				missing = append(missing, id)
			case pl.style != styleID:
				changes = append(changes, labelChange{productID: id, old: pl.style, new: styleID})
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("no product %d (%s missing): %w", missing[0],
				plural(len(missing), "id", "ids"), ErrNotFound)
		}
		if len(changes) == 0 {
			return nil
		}
		what := plural(len(changes), "product", "products")
		if len(changes) == 1 {
			what = cur[changes[0].productID].sku
		}
		desc := fmt.Sprintf("label %s as %s", what, name)
		if styleID == 0 {
			desc = "clear the label of " + what
		}
		now := db.stamp()
		if batch, err = beginBatch(ctx, tx, desc, who, now, true); err != nil {
			return err
		}
		return applyChanges(ctx, tx, batch, changes, who, now)
	})
	return batch, err
}

// UndoResult says what an Undo or Redo changed.
type UndoResult struct {
	BatchID     int64
	ProductIDs  []int64 // products whose label changed, ascending
	Description string  // the step, e.g. "label 3 products as Neon"
}

// historyRow is one label_history row of a batch.
type historyRow struct {
	id, productID int64
	old, new      int64
	who, at       string
}

func batchRows(ctx context.Context, tx *sql.Tx, batch int64, undone bool, newestFirst bool) ([]historyRow, error) {
	order := "ASC"
	if newestFirst {
		order = "DESC"
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, product_id, COALESCE(old_style_id, 0), COALESCE(new_style_id, 0), who, at
		FROM label_history WHERE batch_id = ? AND undone = ? ORDER BY id `+order, batch, undone)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []historyRow
	for rows.Next() {
		var h historyRow
		if err := rows.Scan(&h.id, &h.productID, &h.old, &h.new, &h.who, &h.at); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func currentStyle(ctx context.Context, tx *sql.Tx, productID int64) (int64, error) {
	var s int64
	err := tx.QueryRowContext(ctx, `SELECT style_id FROM labels WHERE product_id = ?`, productID).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return s, err
}

// Undo reverts the most recent labelling step that is not undone (a SetLabel, SetLabels or
// ImportLabels call), restoring each product's previous label, and marks the step's history rows
// undone. It fails with ErrNothingToUndo when there is none, or when the most recent step merged or
// deleted a style (those cannot be undone). Undo and redo survive restarts: they live in the catalog.
func (db *DB) Undo(ctx context.Context) (UndoResult, error) {
	var res UndoResult
	err := db.write(ctx, func(tx *sql.Tx) error {
		var undoable bool
		err := tx.QueryRowContext(ctx, `SELECT id, description, undoable FROM label_batches
			WHERE state = ? ORDER BY id DESC LIMIT 1`, batchDone).Scan(&res.BatchID, &res.Description, &undoable)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNothingToUndo
		}
		if err != nil {
			return err
		}
		if !undoable {
			return &kindError{
				msg:  fmt.Sprintf("nothing to undo: the last change (%s) cannot be undone", res.Description),
				kind: ErrNothingToUndo,
			}
		}
		hist, err := batchRows(ctx, tx, res.BatchID, false, true)
		if err != nil {
			return err
		}
		w, err := newLabelWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		changed := map[int64]bool{}
		for _, h := range hist {
			cur, err := currentStyle(ctx, tx, h.productID)
			if err != nil {
				return err
			}
			if cur != h.new {
				continue // changed by something outside the undo history since: leave it
			}
			// Restore the previous label with its own source and time (from the row that set it).
			source, at := "undo", db.stamp()
			if h.old != 0 {
				err := tx.QueryRowContext(ctx, `SELECT who, at FROM label_history
					WHERE product_id = ? AND id < ? AND undone = 0 AND new_style_id = ? ORDER BY id DESC LIMIT 1`,
					h.productID, h.id, h.old).Scan(&source, &at)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			if err := w.set(ctx, h.productID, h.old, source, at); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE label_history SET undone = 1 WHERE id = ?`, h.id); err != nil {
				return err
			}
			changed[h.productID] = true
		}
		res.ProductIDs = sortedKeys(changed)
		_, err = tx.ExecContext(ctx, `UPDATE label_batches SET state = ? WHERE id = ?`, batchUndone, res.BatchID)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNothingToUndo) {
			return UndoResult{}, err
		}
		return UndoResult{}, fmt.Errorf("undo: %w", err)
	}
	return res, nil
}

// Redo re-applies the most recently undone step. Any new labelling step after an undo clears the redo
// stack (as in every editor), and then Redo fails with ErrNothingToRedo.
func (db *DB) Redo(ctx context.Context) (UndoResult, error) {
	var res UndoResult
	err := db.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, description FROM label_batches
			WHERE state = ? ORDER BY id ASC LIMIT 1`, batchUndone).Scan(&res.BatchID, &res.Description)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNothingToRedo
		}
		if err != nil {
			return err
		}
		hist, err := batchRows(ctx, tx, res.BatchID, true, false)
		if err != nil {
			return err
		}
		w, err := newLabelWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		changed := map[int64]bool{}
		for _, h := range hist {
			cur, err := currentStyle(ctx, tx, h.productID)
			if err != nil {
				return err
			}
			if cur != h.old {
				continue
			}
			if err := w.set(ctx, h.productID, h.new, h.who, h.at); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE label_history SET undone = 0 WHERE id = ?`, h.id); err != nil {
				return err
			}
			changed[h.productID] = true
		}
		res.ProductIDs = sortedKeys(changed)
		_, err = tx.ExecContext(ctx, `UPDATE label_batches SET state = ? WHERE id = ?`, batchDone, res.BatchID)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNothingToRedo) {
			return UndoResult{}, err
		}
		return UndoResult{}, fmt.Errorf("redo: %w", err)
	}
	return res, nil
}

func sortedKeys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// UndoState is what the Edit menu needs: whether Undo and Redo would do something, and what.
type UndoState struct {
	CanUndo, CanRedo bool
	UndoDescription  string // the step Undo would revert ("" when none)
	RedoDescription  string // the step Redo would re-apply ("" when none)
}

// UndoState reports what Undo and Redo would do.
func (db *DB) UndoState(ctx context.Context) (UndoState, error) {
	var st UndoState
	var undoable bool
	err := db.sql.QueryRowContext(ctx, `SELECT description, undoable FROM label_batches
		WHERE state = ? ORDER BY id DESC LIMIT 1`, batchDone).Scan(&st.UndoDescription, &undoable)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return UndoState{}, fmt.Errorf("undo state: %w", err)
	case undoable:
		st.CanUndo = true
	default:
		st.UndoDescription = ""
	}
	err = db.sql.QueryRowContext(ctx, `SELECT description FROM label_batches
		WHERE state = ? ORDER BY id ASC LIMIT 1`, batchUndone).Scan(&st.RedoDescription)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return UndoState{}, fmt.Errorf("undo state: %w", err)
	default:
		st.CanRedo = true
	}
	return st, nil
}

// CanUndo reports whether Undo would revert a step.
func (db *DB) CanUndo(ctx context.Context) (bool, error) {
	st, err := db.UndoState(ctx)
	return st.CanUndo, err
}

// CanRedo reports whether Redo would re-apply a step.
func (db *DB) CanRedo(ctx context.Context) (bool, error) {
	st, err := db.UndoState(ctx)
	return st.CanRedo, err
}

// LabelRow is one row of a label CSV (see dataset.ParseLabelCSV): the 1-based line, SKU and style name.
type LabelRow = dataset.LabelRow

// LineValue is a value found at a line of an imported file.
type LineValue struct {
	Line  int
	Value string
}

// LabelImportResult reports an ImportLabels call.
type LabelImportResult struct {
	BatchID   int64 // the undoable step (0 when nothing changed)
	Applied   int   // products whose label changed
	Unchanged int   // rows whose product already had that style
	// UnknownStyles are rows whose style matches no style (case-insensitively), with the style as
	// given; nothing was applied from them. An empty style is listed too.
	UnknownStyles []LineValue
	// UnknownSKUs are rows whose SKU is not in the catalog, with the SKU; nothing was applied from them.
	UnknownSKUs []LineValue
	// Superseded are rows overridden by a later row for the same product (the last one wins), with the SKU.
	Superseded []LineValue
}

// ImportLabels labels products from CSV rows (SKU and style name) as one undoable step. Styles are
// matched case-insensitively and never created; rows naming an unknown style or SKU are listed in the
// result (with their lines) and skipped. who defaults to "csv".
func (db *DB) ImportLabels(ctx context.Context, rows []LabelRow, who string) (LabelImportResult, error) {
	if who == "" {
		who = "csv"
	}
	var res LabelImportResult
	err := db.write(ctx, func(tx *sql.Tx) error {
		res = LabelImportResult{}
		styles, err := stylesIn(ctx, tx)
		if err != nil {
			return err
		}
		resolved := map[string]*Style{}
		findStyle := func(name string) *Style {
			if s, ok := resolved[name]; ok {
				return s
			}
			var found *Style
			for i := range styles {
				if name != "" && strings.EqualFold(styles[i].Name, name) {
					found = &styles[i]
					break
				}
			}
			resolved[name] = found
			return found
		}
		skus := make([]string, 0, len(rows))
		for _, r := range rows {
			skus = append(skus, strings.TrimSpace(r.SKU))
		}
		ids, err := productIDsBySKU(ctx, tx, skus)
		if err != nil {
			return err
		}
		type target struct {
			line  int
			sku   string
			style *Style
		}
		byProduct := map[int64]target{}
		var order []int64
		for _, r := range rows {
			sku, name := strings.TrimSpace(r.SKU), strings.TrimSpace(r.Style)
			st := findStyle(name)
			id, known := ids[sku]
			if st == nil {
				res.UnknownStyles = append(res.UnknownStyles, LineValue{r.Line, name})
			}
			if !known {
				res.UnknownSKUs = append(res.UnknownSKUs, LineValue{r.Line, sku})
			}
			if st == nil || !known {
				continue
			}
			if prev, ok := byProduct[id]; ok {
				res.Superseded = append(res.Superseded, LineValue{prev.line, prev.sku})
			} else {
				order = append(order, id)
			}
			byProduct[id] = target{r.Line, sku, st}
		}
		cur, err := currentLabels(ctx, tx, order)
		if err != nil {
			return err
		}
		var changes []labelChange
		for _, id := range order {
			t := byProduct[id]
			if old := cur[id].style; old == t.style.ID {
				res.Unchanged++
			} else {
				changes = append(changes, labelChange{productID: id, old: old, new: t.style.ID})
			}
		}
		res.Applied = len(changes)
		if len(changes) == 0 {
			return nil
		}
		now := db.stamp()
		desc := "import labels for " + plural(len(changes), "product", "products")
		if res.BatchID, err = beginBatch(ctx, tx, desc, who, now, true); err != nil {
			return err
		}
		return applyChanges(ctx, tx, res.BatchID, changes, who, now)
	})
	if err != nil {
		return LabelImportResult{}, fmt.Errorf("import %s: %w", plural(len(rows), "label", "labels"), err)
	}
	return res, nil
}

// productIDsBySKU maps the SKUs (exact) that exist to their product ids.
func productIDsBySKU(ctx context.Context, tx *sql.Tx, skus []string) (map[string]int64, error) {
	uniq := make([]string, 0, len(skus))
	seen := map[string]bool{}
	for _, s := range skus {
		if s != "" && !seen[s] {
			seen[s] = true
			uniq = append(uniq, s)
		}
	}
	out := make(map[string]int64, len(uniq))
	for start := 0; start < len(uniq); start += byIDChunk {
		chunk := uniq[start:min(start+byIDChunk, len(uniq))]
		args := make([]any, len(chunk))
		for i, s := range chunk {
			args[i] = s
		}
		rows, err := tx.QueryContext(ctx, `SELECT sku, id FROM products WHERE sku IN (?`+
			strings.Repeat(`, ?`, len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var sku string
			var id int64
			if err := rows.Scan(&sku, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[sku] = id
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return out, nil
}
