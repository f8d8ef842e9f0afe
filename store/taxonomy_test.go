package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func styleNames(t *testing.T, db *DB) []string {
	t.Helper()
	all, err := db.Styles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, s := range all {
		if s.Position != i {
			t.Errorf("%s at position %d, want %d", s.Name, s.Position, i)
		}
		out = append(out, s.Name)
	}
	return out
}

func TestRenameRecolorKeyAndLookup(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	neon, boho, cafe := mustStyle(t, db, "Neon"), mustStyle(t, db, "Boho"), mustStyle(t, db, "Café")

	if err := db.RenameStyle(ctx, neon.ID, "  Neon Pop "); err != nil {
		t.Fatal(err)
	}
	if s, err := db.StyleByName(ctx, " neon POP"); err != nil || s.ID != neon.ID || s.Name != "Neon Pop" {
		t.Errorf("StyleByName after rename = %+v, %v", s, err)
	}
	if _, err := db.StyleByName(ctx, "Neon"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old name still found: %v", err)
	}
	if s, err := db.StyleByName(ctx, "CAFÉ"); err != nil || s.ID != cafe.ID {
		t.Errorf("Unicode case-insensitive lookup = %+v, %v", s, err)
	}
	for _, taken := range []string{"neon pop", "CAFÉ"} {
		err := db.RenameStyle(ctx, boho.ID, taken)
		if !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), "exists") {
			t.Errorf("rename to taken %q: %v", taken, err)
		}
	}
	if err := db.RenameStyle(ctx, boho.ID, "BOHO"); err != nil { // its own name in another case
		t.Errorf("rename to own name in other case: %v", err)
	}
	if err := db.RenameStyle(ctx, 9999, "X"); !errors.Is(err, ErrNotFound) {
		t.Errorf("rename unknown: %v", err)
	}
	if err := db.RenameStyle(ctx, boho.ID, "  "); err == nil {
		t.Error("empty name accepted")
	}
	if got := styleNames(t, db); !slices.Equal(got, []string{"Neon Pop", "BOHO", "Café"}) {
		t.Errorf("names %v", got)
	}

	if err := db.RecolorStyle(ctx, boho.ID, " #ABCDEF"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"red", "#abc", "#gggggg", ""} {
		if err := db.RecolorStyle(ctx, boho.ID, bad); err == nil {
			t.Errorf("colour %q accepted", bad)
		}
	}
	if err := db.RecolorStyle(ctx, 9999, "#000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("recolor unknown: %v", err)
	}

	if err := db.SetStyleKey(ctx, boho.ID, "b"); err != nil {
		t.Fatal(err)
	}
	err := db.SetStyleKey(ctx, cafe.ID, "b")
	if !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), `"BOHO"`) {
		t.Errorf("taken key: %v", err)
	}
	if err := db.SetStyleKey(ctx, boho.ID, "b"); err != nil { // its own key again
		t.Errorf("re-setting own key: %v", err)
	}
	if err := db.SetStyleKey(ctx, boho.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.SetStyleKey(ctx, cafe.ID, "b"); err != nil {
		t.Errorf("freed key: %v", err)
	}
	if err := db.SetStyleKey(ctx, neon.ID, "ab"); err == nil {
		t.Error("two-character key accepted")
	}
	if err := db.SetStyleKey(ctx, 9999, "z"); !errors.Is(err, ErrNotFound) {
		t.Errorf("key of unknown style: %v", err)
	}
	b, _ := db.StyleByName(ctx, "boho")
	c, _ := db.StyleByName(ctx, "café")
	if b.Color != "#abcdef" || b.Key != "" || c.Key != "b" {
		t.Errorf("boho %+v, café %+v", b, c)
	}
}

func TestReorderStyles(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	a, b, c := mustStyle(t, db, "A"), mustStyle(t, db, "B"), mustStyle(t, db, "C")
	if err := db.ReorderStyles(ctx, []int64{c.ID, a.ID, b.ID}); err != nil {
		t.Fatal(err)
	}
	if got := styleNames(t, db); !slices.Equal(got, []string{"C", "A", "B"}) {
		t.Errorf("order %v", got)
	}
	for _, bad := range [][]int64{{c.ID, a.ID}, {c.ID, a.ID, a.ID}, {c.ID, a.ID, b.ID, a.ID}, {c.ID, a.ID, 9999}, nil} {
		if err := db.ReorderStyles(ctx, bad); err == nil {
			t.Errorf("ReorderStyles(%v) accepted", bad)
		}
	}
	if err := db.ReorderStyles(ctx, []int64{a.ID, b.ID, 9999}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if got := styleNames(t, db); !slices.Equal(got, []string{"C", "A", "B"}) {
		t.Errorf("a refused reorder changed the order: %v", got)
	}
	// New styles still go to the end.
	mustStyle(t, db, "D")
	if got := styleNames(t, db); !slices.Equal(got, []string{"C", "A", "B", "D"}) {
		t.Errorf("order %v", got)
	}
}

func TestMergeStyles(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p := addProducts(t, db, "M", 4)
	neon, boho, other := mustStyle(t, db, "Neon"), mustStyle(t, db, "Boho"), mustStyle(t, db, "Other")
	if _, err := db.SetLabels(ctx, p[:2], neon.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLabel(ctx, p[2], boho.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLabel(ctx, p[3], other.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Undo(ctx); err != nil { // P-4 back to unlabeled; redo possible
		t.Fatal(err)
	}

	moved, err := db.MergeStyles(ctx, neon.ID, boho.ID, "bob")
	if err != nil || moved != 2 {
		t.Fatalf("merge = %d, %v", moved, err)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{boho.ID, boho.ID, boho.ID, 0}) {
		t.Errorf("labels after merge %v", got)
	}
	if _, err := db.StyleByName(ctx, "Neon"); !errors.Is(err, ErrNotFound) {
		t.Errorf("merged style still there: %v", err)
	}
	// History: the move is recorded, and the deleted style's name is kept in older rows.
	if h := historyOf(t, db, p[0]); !slices.Equal(h, []string{"Neon/alice", "Boho/bob"}) {
		t.Errorf("history %v", h)
	}
	if n := count(t, db, `SELECT count(DISTINCT batch_id) FROM label_history WHERE who = 'bob'`); n != 1 {
		t.Errorf("merge wrote %d batches", n)
	}
	if n := count(t, db, `SELECT count(*) FROM label_history WHERE who = 'bob' AND old_style_id IS NULL AND new_style_id = ?`, boho.ID); n != 2 {
		t.Errorf("merge history rows: %d", n)
	}
	// A merge cannot be undone, ends the undo history, and clears the redo stack.
	wantUndo(t, db, false, false)
	_, err = db.Undo(ctx)
	if !errors.Is(err, ErrNothingToUndo) || !strings.Contains(err.Error(), "merge style Neon into Boho (2 products)") {
		t.Errorf("undo after merge: %v", err)
	}
	// Later steps are undoable again, back to the merge.
	if err := db.SetLabel(ctx, p[3], other.ID, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	wantUndo(t, db, false, true)

	for _, bad := range [][2]int64{{boho.ID, boho.ID}, {9999, boho.ID}, {boho.ID, 9999}} {
		if _, err := db.MergeStyles(ctx, bad[0], bad[1], "x"); err == nil {
			t.Errorf("merge %v accepted", bad)
		}
	}
	if _, err := db.MergeStyles(ctx, 9999, boho.ID, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("merge unknown: %v", err)
	}
}

func TestDeleteStyle(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p := addProducts(t, db, "D", 3)
	neon, boho := mustStyle(t, db, "Neon"), mustStyle(t, db, "Boho")
	unused, other := mustStyle(t, db, "Unused"), mustStyle(t, db, "Other")
	if _, err := db.SetLabels(ctx, p[:2], neon.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLabel(ctx, p[2], boho.ID, "alice"); err != nil {
		t.Fatal(err)
	}

	err := db.DeleteStyle(ctx, neon.ID, 0, "bob")
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "used by 2 products") || !strings.Contains(err.Error(), "merge") {
		t.Fatalf("delete in use: %v", err)
	}
	if _, err := db.StyleByName(ctx, "Neon"); err != nil {
		t.Error("refused delete removed the style")
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{neon.ID, neon.ID, boho.ID}) {
		t.Errorf("refused delete changed labels: %v", got)
	}

	// A style no label or undo step refers to goes without touching the undo history.
	if err := db.DeleteStyle(ctx, unused.ID, 0, "bob"); err != nil {
		t.Fatal(err)
	}
	wantUndo(t, db, true, false)

	if err := db.DeleteStyle(ctx, neon.ID, 9999, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete to unknown target: %v", err)
	}
	if err := db.DeleteStyle(ctx, neon.ID, neon.ID, "bob"); err == nil {
		t.Error("delete moving to itself accepted")
	}
	if err := db.DeleteStyle(ctx, neon.ID, other.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if got := labelsOf(t, db, p...); !slices.Equal(got, []int64{other.ID, other.ID, boho.ID}) {
		t.Errorf("labels after delete with move: %v", got)
	}
	if h := historyOf(t, db, p[1]); !slices.Equal(h, []string{"Neon/alice", "Other/bob"}) {
		t.Errorf("history %v", h)
	}
	if st, _ := db.UndoState(ctx); st.CanUndo {
		t.Errorf("undo possible past a deletion: %+v", st)
	}
	if got := styleNames(t, db); !slices.Equal(got, []string{"Boho", "Other"}) {
		t.Errorf("styles %v", got)
	}
	if err := db.DeleteStyle(ctx, 9999, 0, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete unknown: %v", err)
	}

	// Deleting a style that is unused but that undo steps refer to ends the undo history (those steps
	// would need the style).
	if err := db.SetLabel(ctx, p[2], other.ID, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	wantUndo(t, db, false, true)
	if err := db.DeleteStyle(ctx, boho.ID, 0, "carol"); !errors.Is(err, ErrInUse) {
		t.Fatalf("boho still labels P-3: %v", err)
	}
	if err := db.SetLabel(ctx, p[2], 0, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Undo(ctx); err != nil { // P-3 is Boho again; redo offers the clearing
		t.Fatal(err)
	}
	if err := db.SetLabel(ctx, p[2], other.ID, "carol"); err != nil { // Boho now unused
		t.Fatal(err)
	}
	if err := db.DeleteStyle(ctx, boho.ID, 0, "carol"); err != nil {
		t.Fatal(err)
	}
	wantUndo(t, db, false, false)
	if h := historyOf(t, db, p[2]); h[0] != "Boho/alice" {
		t.Errorf("deleted style's name lost from history: %v", h)
	}
}
