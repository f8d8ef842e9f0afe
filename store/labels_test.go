package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"stylestudio/engine/dataset"
)

// addProducts inserts n bare products (no image) named prefix-1… straight into the catalog (fast) and
// returns their ids in order.
func addProducts(t testing.TB, db *DB, prefix string, n int) []int64 {
	t.Helper()
	tx, err := db.sql.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i := range ids {
		sku := fmt.Sprintf("%s-%d", prefix, i+1)
		res, err := tx.Exec(`INSERT INTO products (sku, title, created_at, search_key) VALUES (?, ?, ?, ?)`,
			sku, "Title "+sku, db.stamp(), searchKey(sku, "Title "+sku))
		if err != nil {
			t.Fatal(err)
		}
		ids[i], _ = res.LastInsertId()
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func mustStyle(t testing.TB, db *DB, name string) Style {
	t.Helper()
	s, err := db.AddStyle(context.Background(), name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// labelsOf returns the current style id (0: none) of each product.
func labelsOf(t testing.TB, db *DB, ids ...int64) []int64 {
	t.Helper()
	out := make([]int64, len(ids))
	for i, id := range ids {
		err := db.sql.QueryRow(`SELECT style_id FROM labels WHERE product_id = ?`, id).Scan(&out[i])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
	}
	return out
}

// historyOf is a product's history as "style/who" with "(undone)" appended to undone rows.
func historyOf(t testing.TB, db *DB, id int64) []string {
	t.Helper()
	d, err := db.Product(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range d.History {
		s := e.StyleName + "/" + e.Who
		if e.Undone {
			s += " (undone)"
		}
		out = append(out, s)
	}
	return out
}

func wantUndo(t *testing.T, db *DB, canUndo, canRedo bool) {
	t.Helper()
	ctx := context.Background()
	u, err := db.CanUndo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.CanRedo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u != canUndo || r != canRedo {
		t.Errorf("CanUndo/CanRedo = %v/%v, want %v/%v", u, r, canUndo, canRedo)
	}
}

func TestUndoRedoInterleavings(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p := addProducts(t, db, "P", 3)
	neon, boho, minimal := mustStyle(t, db, "Neon"), mustStyle(t, db, "Boho"), mustStyle(t, db, "Minimal")
	wantUndo(t, db, false, false)
	if _, err := db.Undo(ctx); !errors.Is(err, ErrNothingToUndo) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("Undo on a fresh catalog: %v", err)
	}
	if _, err := db.Redo(ctx); !errors.Is(err, ErrNothingToRedo) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("Redo on a fresh catalog: %v", err)
	}

	// Step A: two products as Neon. Step B: P-1 as Boho.
	a, err := db.SetLabels(ctx, []int64{p[0], p[1]}, neon.ID, "alice")
	if err != nil || a == 0 {
		t.Fatalf("SetLabels: %d, %v", a, err)
	}
	if err := db.SetLabel(ctx, p[0], boho.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	wantUndo(t, db, true, false)
	if st, _ := db.UndoState(ctx); st.UndoDescription != "label P-1 as Boho" || st.RedoDescription != "" {
		t.Errorf("UndoState = %+v", st)
	}

	res, err := db.Undo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.BatchID <= a || !slices.Equal(res.ProductIDs, []int64{p[0]}) || res.Description != "label P-1 as Boho" {
		t.Errorf("undo B = %+v", res)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{neon.ID, neon.ID, 0}) {
		t.Errorf("after undo B: %v", got)
	}
	// The previous label comes back with its own source.
	var source string
	db.sql.QueryRow(`SELECT source FROM labels WHERE product_id = ?`, p[0]).Scan(&source)
	if source != "alice" {
		t.Errorf("restored label's source = %q, want alice", source)
	}
	if h := historyOf(t, db, p[0]); !slices.Equal(h, []string{"Neon/alice", "Boho/bob (undone)"}) {
		t.Errorf("history after undo B: %v", h)
	}
	wantUndo(t, db, true, true)

	res, err = db.Undo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.BatchID != a || !slices.Equal(res.ProductIDs, []int64{p[0], p[1]}) || res.Description != "label 2 products as Neon" {
		t.Errorf("undo A = %+v", res)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{0, 0, 0}) {
		t.Errorf("after undo A: %v", got)
	}
	wantUndo(t, db, false, true)
	if _, err := db.Undo(ctx); !errors.Is(err, ErrNothingToUndo) {
		t.Errorf("third undo: %v", err)
	}

	// Redo brings back A (the most recently undone), then B would be next.
	res, err = db.Redo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.BatchID != a || !slices.Equal(res.ProductIDs, []int64{p[0], p[1]}) {
		t.Errorf("redo = %+v", res)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{neon.ID, neon.ID, 0}) {
		t.Errorf("after redo A: %v", got)
	}
	if st, _ := db.UndoState(ctx); !st.CanRedo || st.RedoDescription != "label P-1 as Boho" {
		t.Errorf("UndoState after redo = %+v", st)
	}
	if h := historyOf(t, db, p[1]); !slices.Equal(h, []string{"Neon/alice"}) {
		t.Errorf("redone history: %v", h)
	}

	// A new step clears the redo stack.
	c, err := db.SetLabels(ctx, []int64{p[2]}, minimal.ID, "carol")
	if err != nil {
		t.Fatal(err)
	}
	wantUndo(t, db, true, false)
	if _, err := db.Redo(ctx); !errors.Is(err, ErrNothingToRedo) {
		t.Fatalf("redo after a new step: %v", err)
	}
	// B stays undone for good; undo now takes C, then A; redo then gives A and C back, never B.
	for _, want := range []int64{c, a} {
		if res, err := db.Undo(ctx); err != nil || res.BatchID != want {
			t.Fatalf("undo = %+v, %v; want batch %d", res, err, want)
		}
	}
	for _, want := range []int64{a, c} {
		if res, err := db.Redo(ctx); err != nil || res.BatchID != want {
			t.Fatalf("redo = %+v, %v; want batch %d", res, err, want)
		}
	}
	if _, err := db.Redo(ctx); !errors.Is(err, ErrNothingToRedo) {
		t.Errorf("redo reached a discarded step: %v", err)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{neon.ID, neon.ID, minimal.ID}) {
		t.Errorf("final labels: %v", got)
	}
	if h := historyOf(t, db, p[0]); !slices.Equal(h, []string{"Neon/alice", "Boho/bob (undone)"}) {
		t.Errorf("final history of P-1: %v", h)
	}

	// Undo, then a no-op step: nothing recorded, and redo is still possible.
	if _, err := db.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := db.SetLabels(ctx, []int64{p[0], p[1]}, neon.ID, "dave"); err != nil || b != 0 {
		t.Errorf("no-op SetLabels = %d, %v", b, err)
	}
	wantUndo(t, db, true, true)
}

func TestUndoRedoSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	p := addProducts(t, db, "R", 4)
	neon, boho := mustStyle(t, db, "Neon"), mustStyle(t, db, "Boho")
	if _, err := db.SetLabels(ctx, p, neon.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetLabels(ctx, p[:2], boho.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetLabels(ctx, p[3:], 0, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Undo(ctx); err != nil { // the clearing
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	reopen := func() *DB {
		db, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db = reopen()
	wantUndo(t, db, true, true)
	if st, _ := db.UndoState(ctx); st.UndoDescription != "label 2 products as Boho" || st.RedoDescription != "clear the label of R-4" {
		t.Errorf("after restart: %+v", st)
	}
	if res, err := db.Redo(ctx); err != nil || !slices.Equal(res.ProductIDs, []int64{p[3]}) {
		t.Fatalf("redo after restart: %+v, %v", res, err)
	}
	for range 2 {
		if _, err := db.Undo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{neon.ID, neon.ID, neon.ID, neon.ID}) {
		t.Errorf("after undoing twice: %v", got)
	}
	db.Close()

	db = reopen()
	defer db.Close()
	if h := historyOf(t, db, p[0]); !slices.Equal(h, []string{"Neon/alice", "Boho/bob (undone)"}) {
		t.Errorf("history after restart: %v", h)
	}
	if h := historyOf(t, db, p[3]); !slices.Equal(h, []string{"Neon/alice", "/carol (undone)"}) {
		t.Errorf("history of R-4 after restart: %v", h)
	}
	if res, err := db.Redo(ctx); err != nil || res.Description != "label 2 products as Boho" {
		t.Errorf("redo after second restart: %+v, %v", res, err)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{boho.ID, boho.ID, neon.ID, neon.ID}) {
		t.Errorf("final: %v", got)
	}
}

func TestSetLabelsIsOneBatch(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p := addProducts(t, db, "B", 1200) // more than two query chunks
	neon, boho := mustStyle(t, db, "Neon"), mustStyle(t, db, "Boho")
	if err := db.SetLabel(ctx, p[0], neon.ID, "early"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLabel(ctx, p[1], boho.ID, "early"); err != nil {
		t.Fatal(err)
	}
	ids := append(slices.Clone(p), p[5], p[6]) // repeats count once
	batch, err := db.SetLabels(ctx, ids, neon.ID, "bulk")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM label_history WHERE batch_id = ?`, batch); n != 1199 {
		t.Errorf("batch has %d history rows, want 1199 (P-1 already Neon)", n)
	}
	if n := count(t, db, `SELECT count(DISTINCT batch_id) FROM label_history`); n != 3 {
		t.Errorf("%d batches, want 3", n)
	}
	if n := count(t, db, `SELECT count(*) FROM labels WHERE style_id = ?`, neon.ID); n != 1200 {
		t.Errorf("%d Neon labels", n)
	}
	if st, _ := db.UndoState(ctx); st.UndoDescription != "label 1199 products as Neon" {
		t.Errorf("description %q", st.UndoDescription)
	}
	res, err := db.Undo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ProductIDs) != 1199 || res.BatchID != batch {
		t.Errorf("undo changed %d products (batch %d)", len(res.ProductIDs), res.BatchID)
	}
	if got := labelsOf(t, db, p[0], p[1], p[2]); !slices.Equal(got, []int64{neon.ID, boho.ID, 0}) {
		t.Errorf("after undo: %v", got)
	}
	if n := count(t, db, `SELECT count(*) FROM labels`); n != 2 {
		t.Errorf("%d labels after undo, want 2", n)
	}

	// Clearing many.
	if _, err := db.SetLabels(ctx, p[:3], 0, "x"); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.UndoState(ctx); st.UndoDescription != "clear the label of 2 products" {
		t.Errorf("description %q", st.UndoDescription)
	}

	// A missing product or style changes nothing.
	before := count(t, db, `SELECT count(*) FROM label_history`)
	if _, err := db.SetLabels(ctx, []int64{p[2], 999999}, boho.ID, "x"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "999999") {
		t.Errorf("missing product: %v", err)
	}
	if _, err := db.SetLabels(ctx, []int64{p[2]}, 999999, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing style: %v", err)
	}
	if after := count(t, db, `SELECT count(*) FROM label_history`); after != before || labelsOf(t, db, p[2])[0] != 0 {
		t.Errorf("failed SetLabels changed something")
	}
	if b, err := db.SetLabels(ctx, nil, boho.ID, "x"); b != 0 || err != nil {
		t.Errorf("empty SetLabels = %d, %v", b, err)
	}
}

func TestImportLabels(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p := addProducts(t, db, "S", 5)
	neon, boho := mustStyle(t, db, "Neon"), mustStyle(t, db, "Café Noir")
	if err := db.SetLabel(ctx, p[1], boho.ID, "ui"); err != nil {
		t.Fatal(err)
	}
	csvText := "sku,style,notes\n" +
		"S-1,neon,first\n" + // line 2: superseded by line 8
		"S-2, CAFÉ NOIR ,already\n" + // line 3: unchanged (case-insensitive, Unicode)
		"S-9,Neon,\n" + // line 4: unknown SKU
		"S-3,Grunge,\n" + // line 5: unknown style
		"S-4,,\n" + // line 6: empty style
		"\"S-5\",\"Neon\",\"multi\nline\"\n" + // line 7 (ends on 8)
		"S-1,Café Noir,\n" + // line 9: wins for S-1
		"nope,nada,\n" // line 10: both unknown
	rows, err := dataset.ParseLabelCSV(strings.NewReader(csvText), "labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.ImportLabels(ctx, rows, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 2 || res.Unchanged != 1 || res.BatchID == 0 {
		t.Errorf("applied/unchanged/batch = %d/%d/%d", res.Applied, res.Unchanged, res.BatchID)
	}
	if want := []LineValue{{5, "Grunge"}, {6, ""}, {10, "nada"}}; !slices.Equal(res.UnknownStyles, want) {
		t.Errorf("unknown styles %v, want %v", res.UnknownStyles, want)
	}
	if want := []LineValue{{4, "S-9"}, {10, "nope"}}; !slices.Equal(res.UnknownSKUs, want) {
		t.Errorf("unknown SKUs %v, want %v", res.UnknownSKUs, want)
	}
	if want := []LineValue{{2, "S-1"}}; !slices.Equal(res.Superseded, want) {
		t.Errorf("superseded %v, want %v", res.Superseded, want)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{boho.ID, boho.ID, 0, 0, neon.ID}) {
		t.Errorf("labels %v", got)
	}
	if h := historyOf(t, db, p[0]); !slices.Equal(h, []string{"Café Noir/csv"}) {
		t.Errorf("history %v", h)
	}
	if n := count(t, db, `SELECT count(*) FROM label_history WHERE batch_id = ?`, res.BatchID); n != 2 {
		t.Errorf("batch rows %d", n)
	}
	// One undo takes the whole import back.
	u, err := db.Undo(ctx)
	if err != nil || u.BatchID != res.BatchID || u.Description != "import labels for 2 products" {
		t.Fatalf("undo import: %+v, %v", u, err)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{0, boho.ID, 0, 0, 0}) {
		t.Errorf("labels after undo %v", got)
	}
	// Nothing to apply: no batch, no error.
	res, err = db.ImportLabels(ctx, []LabelRow{{Line: 2, SKU: "S-2", Style: "café noir"}}, "me")
	if err != nil || res.BatchID != 0 || res.Applied != 0 || res.Unchanged != 1 {
		t.Errorf("no-op import: %+v, %v", res, err)
	}
}

func TestMigrationFromVersion1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	raw, err := sql.Open("sqlite3", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
		migs[0].sql,
		`INSERT INTO schema_migrations VALUES (1, '0001_init', 'x')`,
		`INSERT INTO products (id, sku, created_at) VALUES (1, 'OLD-1', 'x')`,
		`INSERT INTO styles (id, name, created_at) VALUES (1, 'Neon', 'x')`,
		`INSERT INTO labels VALUES (1, 1, 'folder', 'x')`,
		`INSERT INTO label_history (product_id, old_style_id, new_style_id, who, at) VALUES (1, NULL, 1, 'folder', 'x')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := schemaVersion(ctx, db.sql); v != len(migs) {
		t.Errorf("schema version %d, want %d", v, len(migs))
	}
	if h := historyOf(t, db, 1); !slices.Equal(h, []string{"Neon/folder"}) {
		t.Errorf("old history %v", h)
	}
	// Unbatched (ingest) history is not an undo step.
	wantUndo(t, db, false, false)
	if err := db.SetLabel(ctx, 1, 0, "me"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if got := labelsOf(t, db, 1); got[0] != 1 {
		t.Errorf("label after undo %v", got)
	}
}
