package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"stylestudio/engine/dataset"
)

func TestEnsureSplitsFrozen(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	neon, boho, tiny := mustStyle(t, db, "Neon"), mustStyle(t, db, "Boho"), mustStyle(t, db, "Tiny")
	pn := addProducts(t, db, "N", 40)
	pb := addProducts(t, db, "B", 20)
	pt := addProducts(t, db, "T", 3)
	unlabeled := addProducts(t, db, "U", 5)
	for _, l := range []struct {
		ids   []int64
		style int64
	}{{pn, neon.ID}, {pb, boho.ID}, {pt, tiny.ID}} {
		if _, err := db.SetLabels(ctx, l.ids, l.style, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if m, err := db.Splits(ctx); err != nil || len(m) != 0 {
		t.Errorf("splits before assigning: %v, %v", m, err)
	}
	if _, err := db.ActiveSplit(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("ActiveSplit before assigning: %v", err)
	}

	const seed = uint64(1<<63 + 12345) // does not fit an int64: stored bit for bit
	counts, err := db.EnsureSplits(ctx, SplitSettings{Seed: seed, Train: 80, Val: 10, Test: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := SplitCounts{Train: 49, Val: 7, Test: 7, PerStyle: map[string][3]int{
		"Neon": {32, 4, 4}, "Boho": {16, 2, 2}, "Tiny": {1, 1, 1},
	}}
	if counts.Train != want.Train || counts.Val != want.Val || counts.Test != want.Test ||
		!maps.Equal(counts.PerStyle, want.PerStyle) {
		t.Errorf("counts %+v, want %+v", counts, want)
	}
	first, err := db.Splits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 63 {
		t.Errorf("%d products have a split, want the 63 labelled ones", len(first))
	}
	for _, id := range unlabeled {
		if sp, ok := first[id]; ok {
			t.Errorf("unlabelled product %d got split %q", id, sp)
		}
	}
	as, err := db.ActiveSplit(ctx)
	if err != nil || as.Seed != seed || as.Train != 80 || as.Val != 10 || as.Test != 10 || as.AssignedAt.IsZero() {
		t.Errorf("ActiveSplit = %+v, %v", as, err)
	}
	// A catalog split at once is split as the pure algorithm splits it.
	rows, _ := db.LabeledProducts(ctx)
	items := make([]dataset.SplitItem, len(rows))
	for i, r := range rows {
		items[i] = dataset.SplitItem{Key: r.SKU, Class: r.Style}
	}
	for i, sp := range dataset.StratifiedSplit(items, seed, [3]int{80, 10, 10}) {
		if first[rows[i].ID] != sp || rows[i].Split != sp {
			t.Fatalf("%s: store %q / listing %q, algorithm %q", rows[i].SKU, first[rows[i].ID], rows[i].Split, sp)
		}
	}

	// Another seed or other percentages later change nothing: the library keeps its settings and its splits.
	if _, err := db.EnsureSplits(ctx, SplitSettings{Seed: 7, Train: 50, Val: 25, Test: 25}); err != nil {
		t.Fatal(err)
	}
	if again, _ := db.Splits(ctx); !maps.Equal(again, first) {
		t.Error("EnsureSplits with another seed moved splits")
	}
	if as, _ := db.ActiveSplit(ctx); as.Seed != seed || as.Train != 80 {
		t.Errorf("settings replaced: %+v", as)
	}

	// Labels arrive and change: new products get a split, none moves, not even a relabelled one.
	extra := addProducts(t, db, "X", 3)
	for i, s := range []int64{neon.ID, boho.ID, tiny.ID} {
		if err := db.SetLabel(ctx, extra[i], s, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetLabel(ctx, pn[0], boho.ID, "x"); err != nil {
		t.Fatal(err)
	}
	rows, _ = db.LabeledProducts(ctx)
	for _, r := range rows {
		if slices.Contains(extra, r.ID) && r.Split != "" {
			t.Errorf("%s has split %q before it was needed", r.SKU, r.Split)
		}
	}
	if _, err := db.EnsureSplits(ctx, SplitSettings{Seed: 7, Train: 80, Val: 10, Test: 10}); err != nil {
		t.Fatal(err)
	}
	third, _ := db.Splits(ctx)
	for id, sp := range first {
		if third[id] != sp {
			t.Errorf("product %d moved from %s to %s when labels arrived", id, sp, third[id])
		}
	}
	if len(third) != 66 {
		t.Errorf("%d splits after adding 3", len(third))
	}
}

func TestEnsureSplitsGrowingOneLabelAtATime(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	neon := mustStyle(t, db, "Neon")
	ids := addProducts(t, db, "N", 60)
	got := map[int64]string{}
	for _, id := range ids {
		if err := db.SetLabel(ctx, id, neon.ID, "x"); err != nil {
			t.Fatal(err)
		}
		c, err := db.EnsureSplits(ctx, SplitSettings{Seed: 3, Train: 80, Val: 10, Test: 10})
		if err != nil {
			t.Fatal(err)
		}
		now, _ := db.Splits(ctx)
		for pid, sp := range got {
			if now[pid] != sp {
				t.Fatalf("product %d moved from %s to %s", pid, sp, now[pid])
			}
		}
		got = now
		if n := len(got); n >= 10 && (c.Val < n/10-1 || c.Val > n/10+1 || c.Test < n/10-1 || c.Test > n/10+1) {
			t.Errorf("after %d labels one at a time: %+v, want about a tenth each in val and test", n, c)
		}
	}
}

func TestEnsureSplitsRefusesBadPercentages(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for _, bad := range [][3]int{{80, 10, 5}, {-10, 60, 50}, {0, 0, 0}} {
		if _, err := db.EnsureSplits(ctx, SplitSettings{Seed: 1, Train: bad[0], Val: bad[1], Test: bad[2]}); err == nil {
			t.Errorf("percentages %v accepted", bad)
		}
	}
	if _, err := db.ActiveSplit(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused EnsureSplits recorded settings: %v", err)
	}
}

func TestRunTrainProducts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, err := db.CreateRun(ctx, "r", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.RunTrainProducts(ctx, run.ID); err != nil || len(got) != 0 {
		t.Fatalf("before recording: %v, %v", got, err)
	}
	ids := addProducts(t, db, "P", 4)
	if err := db.AddRunTrainProducts(ctx, run.ID, ids[:2]); err != nil {
		t.Fatal(err)
	}
	if err := db.AddRunTrainProducts(ctx, run.ID, ids[1:3]); err != nil { // a resumed session adds
		t.Fatal(err)
	}
	got, err := db.RunTrainProducts(ctx, run.ID)
	if err != nil || len(got) != 3 || !got[ids[0]] || !got[ids[2]] || got[ids[3]] {
		t.Errorf("RunTrainProducts = %v, %v", got, err)
	}
	if err := db.AddRunTrainProducts(ctx, run.ID+99, ids); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
	if _, err := db.DeleteRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM run_train_products`); n != 0 {
		t.Errorf("%d rows left after deleting the run", n)
	}
}

func TestLabeledProductsAndExport(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	styles := []string{"Neon", "../Boho", "Mid/Century"}
	for i := uint64(1); i <= 12; i++ {
		r := testRecord(i, 64, fmt.Sprintf("SKU/%02d", i), fmt.Sprintf("Title %d", i), "tops", styles[i%3])
		if i <= 2 {
			r.Group = " ace " // the import's group, kept trimmed
		}
		mustAdd(t, db, r)
	}
	mustAdd(t, db, testRecord(99, 64, "UNLABELED", "", "", ""))

	rows, err := db.LabeledProducts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 {
		t.Fatalf("%d labelled products", len(rows))
	}
	r := rows[0]
	if r.SKU != "SKU/01" || r.Title != "Title 1" || r.Category != "tops" || r.PriceCents != 100 || r.Style != "../Boho" ||
		len(r.ImageHash) != 64 || r.Format != "png" || r.SourcePath != "/src/SKU/01.png" || r.Split != "" || r.StyleID == 0 || r.Group != "ace" {
		t.Errorf("row %+v", r)
	}
	if rows[1].Group != "ace" || rows[2].Group != "" {
		t.Errorf("groups %q, %q, want ace and none", rows[1].Group, rows[2].Group)
	}

	items, err := db.ExportItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ds")
	if _, err := dataset.Export(ctx, items, dataset.ExportOptions{Format: dataset.FormatCSV, Out: out}, nil); !errors.Is(err, dataset.ErrMissingSplit) {
		t.Fatalf("export before splits: %v", err)
	}
	if _, err := db.EnsureSplits(ctx, SplitSettings{Seed: 42, Train: 50, Val: 25, Test: 25}); err != nil {
		t.Fatal(err)
	}
	items, err = db.ExportItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The test records' bytes are not real images: give them a PNG header so the export recognises them
	// by content, as it would real ones.
	for i := range items {
		open := items[i].Open
		items[i].Hash = "" // the header changes the bytes
		items[i].Open = func() (io.ReadCloser, error) {
			rc, err := open()
			if err != nil {
				return nil, err
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			return io.NopCloser(bytes.NewReader(append([]byte("\x89PNG\r\n\x1a\n"), b...))), err
		}
	}
	sum, err := dataset.Export(ctx, items, dataset.ExportOptions{Format: dataset.FormatImageFolder, Out: out}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Written != 12 || len(sum.Classes) != 3 {
		t.Errorf("summary %+v", sum)
	}
	splits, _ := db.Splits(ctx)
	for _, r := range rows {
		p := filepath.Join(out, splits[r.ID], sum.ClassOf[r.Style], dataset.SafeName(r.SKU)+".png")
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v", r.SKU, err)
			continue
		}
		obj, _ := db.ReadObject(r.ImageHash)
		if !bytes.Equal(got[8:], obj) {
			t.Errorf("%s: exported bytes differ from the object", r.SKU)
		}
	}
	if _, err := db.OpenObject("nothex"); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenObject(bad hash): %v", err)
	}
	if _, err := db.OpenObject(fmt.Sprintf("%064x", 0)); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenObject(missing): %v", err)
	}
}

// oldCatalog writes a catalog at schema version upTo (its migrations applied and recorded) holding
// rows, into a new folder, and returns the folder.
func oldCatalog(t *testing.T, upTo int, rows ...string) string {
	t.Helper()
	dir := t.TempDir()
	raw, err := sql.Open("sqlite3", filepath.Join(dir, DBFile)+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	qs := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`}
	for _, m := range migs[:upTo] {
		qs = append(qs, m.sql, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', 'x')`, m.version, m.name))
	}
	for _, q := range append(qs, rows...) {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	return dir
}

// A catalog from before splits were frozen keeps its active assignment (the seed in split_settings),
// not the rows of other seeds, and its runs have no recorded training products.
func TestMigrationFreezesTheActiveSplits(t *testing.T) {
	ctx := context.Background()
	dir := oldCatalog(t, 3,
		`INSERT INTO products (id, sku, created_at) VALUES (1, 'A', 'x'), (2, 'B', 'x'), (3, 'C', 'x')`,
		`INSERT INTO split_settings VALUES (1, 7, 80, 10, 10, '2024-01-01T00:00:00.000000Z')`,
		`INSERT INTO splits (product_id, seed, split) VALUES (1, 7, 'train'), (2, 7, 'test'), (1, 1, 'val'), (3, 1, 'train')`,
		`INSERT INTO training_runs (id, name, created_at) VALUES (1, 'old', 'x')`)
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Splits(ctx)
	if err != nil || !maps.Equal(got, map[int64]string{1: "train", 2: "test"}) {
		t.Errorf("frozen splits after migration %v, %v; want seed 7's", got, err)
	}
	if ids, err := db.RunTrainProducts(ctx, 1); err != nil || len(ids) != 0 {
		t.Errorf("old run's training products %v, %v", ids, err)
	}
}

// A re-import names the group of a product imported without one, and leaves a product's group alone.
func TestGroupUngrouped(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	plain, grouped := testRecord(1, 64, "A", "", "", "boho"), testRecord(2, 64, "B", "", "", "boho")
	grouped.Group = "queen"
	mustAdd(t, db, plain)
	mustAdd(t, db, grouped)
	for _, c := range []struct {
		hash, group string
		want        bool
	}{
		{plain.Image.Hash, "ace", true}, {plain.Image.Hash, "king", false}, {grouped.Image.Hash, "ace", false},
		{strings.Repeat("0", 64), "ace", false}, {plain.Image.Hash, " ", false},
	} {
		if got, err := db.GroupUngrouped(ctx, c.hash, c.group); err != nil || got != c.want {
			t.Errorf("GroupUngrouped(%.8s, %q) = %v, %v; want %v", c.hash, c.group, got, err, c.want)
		}
	}
	rows, err := db.LabeledProducts(ctx)
	if err != nil || len(rows) != 2 || rows[0].Group != "ace" || rows[1].Group != "queen" {
		t.Fatalf("groups %+v, %v; want ace and queen", rows, err)
	}
}

// A held-out item is held out in every style: the counterparts of a product (its group) share its
// split, however the labels arrive, and none moves.
func TestEnsureSplitsKeepAGroupTogether(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	styles := []string{"boho", "minimal", "neon"}
	var seed uint64
	for g := 0; g < 30; g++ {
		for _, st := range styles {
			seed++
			r := testRecord(seed, 64, fmt.Sprintf("%s-%02d", st, g), "", "", st)
			r.Group = fmt.Sprintf("card%02d", g)
			if g%10 == 9 {
				r.Group = "" // some products are nobody's counterpart
			}
			mustAdd(t, db, r)
		}
	}
	// Splits are first assigned when two styles are labelled; the third arrives later and joins.
	if _, err := db.sql.Exec(`DELETE FROM labels WHERE style_id = (SELECT id FROM styles WHERE name = 'neon')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureSplits(ctx, SplitSettings{Seed: 5, Train: 80, Val: 10, Test: 10}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Splits(ctx)
	neon := mustStyle(t, db, "neon2")
	rows, err := db.sql.Query(`SELECT id FROM products WHERE sku LIKE 'neon-%'`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := db.SetLabel(ctx, id, neon.ID, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.EnsureSplits(ctx, SplitSettings{Seed: 5, Train: 80, Val: 10, Test: 10}); err != nil {
		t.Fatal(err)
	}
	after, _ := db.Splits(ctx)
	for id, sp := range before {
		if after[id] != sp {
			t.Errorf("product %d moved from %s to %s", id, sp, after[id])
		}
	}
	all, err := db.LabeledProducts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	of := map[string]string{}
	heldOut := 0
	for _, p := range all {
		if p.Split == "" {
			t.Fatalf("%s has no split", p.SKU)
		}
		if p.Group == "" {
			continue
		}
		if sp, ok := of[p.Group]; ok && sp != p.Split {
			t.Errorf("group %s is split between %s and %s (%s)", p.Group, sp, p.Split, p.SKU)
		} else if !ok {
			of[p.Group] = p.Split
			if p.Split != "train" {
				heldOut++
			}
		}
	}
	if len(of) != 27 || heldOut < 4 || heldOut > 8 {
		t.Errorf("%d groups, %d held out; want 27 groups, about a fifth held out", len(of), heldOut)
	}
}

// A product whose label is cleared keeps its split, and its group keeps it too: its counterparts
// labelled later join it, so relabelling it never leaves the group in two splits.
func TestEnsureSplitsAGroupKeepsTheSplitOfAClearedLabel(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var seed uint64
	ids := map[string]int64{} // sku -> id
	for g := 0; g < 30; g++ {
		for _, st := range []string{"boho", "minimal"} {
			seed++
			r := testRecord(seed, 64, fmt.Sprintf("%s-%02d", st, g), "", "", st)
			r.Group = fmt.Sprintf("card%02d", g)
			mustAdd(t, db, r)
		}
	}
	rows, err := db.sql.Query(`SELECT id, sku FROM products`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var sku string
		rows.Scan(&id, &sku)
		ids[sku] = id
	}
	rows.Close()
	boho, minimal := labelsOf(t, db, ids["boho-00"])[0], labelsOf(t, db, ids["minimal-00"])[0]
	if _, err := db.sql.Exec(`DELETE FROM labels WHERE style_id = ?`, minimal); err != nil {
		t.Fatal(err)
	}
	def := SplitSettings{Seed: 1, Train: 80, Val: 10, Test: 10}
	if _, err := db.EnsureSplits(ctx, def); err != nil { // boho alone: 24/3/3
		t.Fatal(err)
	}
	splits, _ := db.Splits(ctx)
	var heldOut, train []int // group numbers
	for g := 0; g < 30; g++ {
		if splits[ids[fmt.Sprintf("boho-%02d", g)]] == "train" {
			train = append(train, g)
		} else {
			heldOut = append(heldOut, g)
		}
	}
	// The held-out boho drawings lose their labels; the minimal drawings of those items and of 14
	// others are labelled (a smaller style, so its shares differ); then the boho ones come back.
	for _, g := range heldOut {
		if err := db.SetLabel(ctx, ids[fmt.Sprintf("boho-%02d", g)], 0, "x"); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range append(slices.Clone(heldOut), train[:14]...) {
		if err := db.SetLabel(ctx, ids[fmt.Sprintf("minimal-%02d", g)], minimal, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.EnsureSplits(ctx, def); err != nil {
		t.Fatal(err)
	}
	for _, g := range heldOut {
		if err := db.SetLabel(ctx, ids[fmt.Sprintf("boho-%02d", g)], boho, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.EnsureSplits(ctx, def); err != nil {
		t.Fatal(err)
	}
	all, err := db.LabeledProducts(ctx)
	if err != nil || len(all) != 30+len(heldOut)+14 {
		t.Fatalf("%d labelled products, %v", len(all), err)
	}
	of := map[string]string{}
	for _, p := range all {
		if sp, ok := of[p.Group]; ok && sp != p.Split {
			t.Errorf("group %s is split between %s and %s (%s)", p.Group, sp, p.Split, p.SKU)
		}
		of[p.Group] = p.Split
	}
}

// A product's counterparts are the labelled products of its group in other styles than its own (itself,
// its own style's and unlabelled ones left out); a product without a group has none.
func TestCounterparts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	recs := []struct{ sku, style, group string }{
		{"ace-boho", "boho", "ace"}, {"ace-neon", "neon", "ace"}, {"ace-plain", "", "ace"},
		{"ace-boho-2", "boho", "ace"}, {"king-boho", "boho", "king"}, {"loose", "neon", ""},
	}
	ids := map[string]int64{}
	for i, c := range recs {
		r := testRecord(uint64(i+1), 64, c.sku, "", "", c.style)
		r.Group = c.group
		mustAdd(t, db, r)
		var id int64
		if err := db.sql.QueryRow(`SELECT id FROM products WHERE sku = ?`, c.sku).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[c.sku] = id
	}
	for sku, want := range map[string][]string{
		"ace-boho": {"ace-neon"}, "ace-plain": {"ace-boho", "ace-neon", "ace-boho-2"}, "ace-neon": {"ace-boho", "ace-boho-2"},
		"king-boho": nil, "loose": nil,
	} {
		got, err := db.Counterparts(ctx, ids[sku])
		if err != nil {
			t.Fatal(err)
		}
		var skus []string
		for _, r := range got {
			skus = append(skus, r.SKU)
			if r.Style == "" || r.ImageHash == "" {
				t.Errorf("counterpart %+v lacks its style or image", r)
			}
		}
		if !slices.Equal(skus, want) {
			t.Errorf("Counterparts(%s) = %v; want %v", sku, skus, want)
		}
	}
}
