package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"stylestudio/engine/ingest"
	"stylestudio/internal/unprivileged"
)

func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// testRecord makes a record whose image bytes are n pseudo-random bytes from seed (so distinct seeds
// give distinct hashes).
func testRecord(seed uint64, n int, sku, title, category, style string) ingest.Record {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	sum := sha256.Sum256(b)
	return ingest.Record{
		SKU:         sku,
		Title:       title,
		Category:    category,
		PriceCents:  int64(seed) * 100,
		Image:       ingest.Image{Hash: hex.EncodeToString(sum[:]), Bytes: b, Format: "png", Width: 640, Height: 480, Source: "/src/" + sku + ".png"},
		Thumb:       []byte("thumb-" + sku),
		Style:       style,
		LabelSource: "folder",
	}
}

func mustAdd(t testing.TB, db *DB, r ingest.Record) {
	t.Helper()
	created, err := db.AddRecord(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatalf("AddRecord(%s): created=false", r.SKU)
	}
}

func count(t testing.TB, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrationsApplyAndReopenIsNoop(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "lib", "nested") // Open creates missing folders
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if db.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", db.Dir(), dir)
	}
	if fi, err := os.Stat(filepath.Join(dir, ObjectsDir)); err != nil || !fi.IsDir() {
		t.Fatalf("objects folder: %v", err)
	}
	for _, table := range []string{"products", "images", "thumbnails", "styles", "labels", "label_history",
		"splits", "training_runs", "checkpoints", "variants", "sim_users", "interactions", "demo_truth"} {
		if count(t, db, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table) != 1 {
			t.Errorf("table %s missing", table)
		}
	}
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		v       int
		name    string
		applied string
	}
	readRows := func(db *DB) []row {
		rows, err := db.sql.Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.v, &r.name, &r.applied); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	first := readRows(db)
	if len(first) != len(migs) || first[len(first)-1].v != migs[len(migs)-1].version || first[0].name != "0001_init" {
		t.Fatalf("schema_migrations = %+v", first)
	}
	mustAdd(t, db, testRecord(1, 100, "A-1", "Shirt", "tops", "Boho"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	time.Sleep(10 * time.Millisecond) // a re-applied migration would get a different applied_at
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if again := readRows(db); !slices.Equal(again, first) {
		t.Errorf("re-open changed schema_migrations: %+v, was %+v", again, first)
	}
	if n, err := db.CountProducts(ctx); err != nil || n != 1 {
		t.Errorf("CountProducts after re-open = %d, %v", n, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Pretend a future build migrated it.
	raw, err := sql.Open("sqlite3", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future', 'x')`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DBFile)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Make an unchanged mtime meaningful even on coarse-grained file systems.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, dir)
	if err == nil {
		db.Close()
		t.Fatal("Open of a newer-schema catalog succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("err = %v, want ErrNewerSchema", err)
	}
	want := fmt.Sprintf("catalog.db at %s was written by a newer Style Studio (schema 999, this build knows %d); upgrade the app",
		path, len(migs))
	if err.Error() != want {
		t.Errorf("message:\n got %q\nwant %q", err.Error(), want)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("catalog.db bytes changed")
	}
	// Not even WAL side files are created.
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + side); err == nil {
			t.Errorf("refused Open left %s%s behind", DBFile, side)
		}
	}
	fi2, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi2.ModTime().Equal(old) || fi2.Size() != fi.Size() {
		t.Errorf("catalog.db mtime/size changed: %v %d, want %v %d", fi2.ModTime(), fi2.Size(), old, fi.Size())
	}
}

// A newer build that still has the catalog open (its WAL holds the newer version) is refused too.
func TestNewerSchemaRefusedWhileOpenElsewhere(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DBFile)
	raw, err := sql.Open("sqlite3", path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	next := len(migs) + 1
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')`, next); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("expected a live WAL: %v", err)
	}
	before, _ := os.ReadFile(path)
	db, err = Open(ctx, dir)
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), fmt.Sprintf("schema %d, this build knows %d", next, len(migs))) {
		t.Fatalf("err = %v, want ErrNewerSchema", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("catalog.db bytes changed")
	}
}

func TestReadOnlyLibrary(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("folder permissions work differently on Windows")
	}
	// chmod cannot make a folder unwritable for root: as root the test runs as nobody.
	if unprivileged.Nobody(t) {
		return
	}
	ctx := context.Background()

	t.Run("folder", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
		db, err := Open(ctx, dir)
		if err == nil {
			db.Close()
			t.Fatal("Open of a read-only folder succeeded")
		}
		if !errors.Is(err, ErrReadOnly) || !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("err = %v, want ErrReadOnly", err)
		}
		t.Log(err)
		if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, "writable") {
			t.Errorf("message %q should name %s and say what to do", msg, dir)
		}
	})
	t.Run("database", func(t *testing.T) {
		dir := t.TempDir()
		db, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		path := filepath.Join(dir, DBFile)
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(path, 0o644)
		db, err = Open(ctx, dir)
		if err == nil {
			db.Close()
			t.Fatal("Open of a read-only catalog.db succeeded")
		}
		t.Log(err)
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path) {
			t.Fatalf("err = %v, want ErrReadOnly naming %s", err, path)
		}
	})
}

func TestAddRecordRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := testRecord(7, 60<<10, "SKU-7", "Linen Dress", "dresses", "Boho")
	r.DemoParams = []byte(`{"hue":0.3}`)
	r.DemoStyle = "Boho"
	r.LabelSource = "demo"

	if ok, err := db.HasImage(ctx, r.Image.Hash); err != nil || ok {
		t.Fatalf("HasImage before = %v, %v", ok, err)
	}
	mustAdd(t, db, r)
	if ok, err := db.HasImage(ctx, r.Image.Hash); err != nil || !ok {
		t.Fatalf("HasImage after = %v, %v", ok, err)
	}
	obj, err := db.ReadObject(r.Image.Hash)
	if err != nil || !bytes.Equal(obj, r.Image.Bytes) {
		t.Fatalf("ReadObject: %v (equal=%v)", err, bytes.Equal(obj, r.Image.Bytes))
	}
	thumb, err := db.Thumb(ctx, r.Image.Hash)
	if err != nil || !bytes.Equal(thumb, r.Thumb) {
		t.Fatalf("Thumb = %q, %v", thumb, err)
	}
	styles, err := db.Styles(ctx)
	if err != nil || len(styles) != 1 {
		t.Fatalf("Styles = %+v, %v", styles, err)
	}
	boho := styles[0]
	if boho.Name != "Boho" || boho.Key != "1" || !validColor(boho.Color) || boho.Position != 0 {
		t.Errorf("created style = %+v", boho)
	}
	ids, err := db.ProductIDs(ctx, ProductFilter{})
	if err != nil || len(ids) != 1 {
		t.Fatalf("ProductIDs = %v, %v", ids, err)
	}
	d, err := db.Product(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	want := ProductRow{ID: ids[0], SKU: "SKU-7", Title: "Linen Dress", Category: "dresses", PriceCents: 700,
		ImageHash: r.Image.Hash, StyleID: boho.ID, Style: "Boho"}
	if d.ProductRow != want {
		t.Errorf("row = %+v\nwant %+v", d.ProductRow, want)
	}
	if d.Width != 640 || d.Height != 480 || d.Format != "png" || d.SourcePath != "/src/SKU-7.png" {
		t.Errorf("image facts = %d×%d %s %s", d.Width, d.Height, d.Format, d.SourcePath)
	}
	if time.Since(d.CreatedAt) > time.Minute || d.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v", d.CreatedAt)
	}
	if len(d.History) != 1 || d.History[0].StyleName != "Boho" || d.History[0].Who != "demo" || d.History[0].Undone ||
		time.Since(d.History[0].At) > time.Minute {
		t.Errorf("history = %+v", d.History)
	}
	params, style, err := db.DemoTruth(ctx, ids[0])
	if err != nil || string(params) != `{"hue":0.3}` || style != "Boho" {
		t.Errorf("DemoTruth = %s, %q, %v", params, style, err)
	}

	// A second record of the same (case-insensitive) style reuses it; one without style stays unlabeled
	// and has no demo truth.
	mustAdd(t, db, testRecord(8, 100, "SKU-8", "Other", "dresses", "boho"))
	mustAdd(t, db, testRecord(9, 100, "SKU-9", "Plain", "tops", ""))
	if styles, _ := db.Styles(ctx); len(styles) != 1 {
		t.Errorf("styles after 'boho' = %+v", styles)
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Products != 3 || st.Images != 3 || st.Unlabeled != 1 || len(st.Styles) != 1 || st.Styles[0] != (StyleCount{"Boho", 2}) {
		t.Errorf("Stats = %+v", st)
	}
	if _, _, err := db.DemoTruth(ctx, ids[0]+2); !errors.Is(err, ErrNotFound) {
		t.Errorf("DemoTruth of a non-demo product: %v", err)
	}
	if _, err := db.Product(ctx, 12345); !errors.Is(err, ErrNotFound) {
		t.Errorf("Product(12345): %v", err)
	}
	if _, err := db.Thumb(ctx, strings.Repeat("0", 64)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Thumb(missing): %v", err)
	}

	// The hash must match the bytes.
	bad := testRecord(10, 100, "SKU-10", "", "", "")
	bad.Image.Hash = strings.Repeat("a", 64)
	if _, err := db.AddRecord(ctx, bad); err == nil {
		t.Error("AddRecord with a wrong hash succeeded")
	}
}

// snapshot is everything AddRecord can change, for "nothing changed" checks.
func snapshot(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"products", "images", "thumbnails", "styles", "labels", "label_history", "demo_truth"} {
		fmt.Fprintf(&b, "%s=%d ", table, count(t, db, `SELECT count(*) FROM `+table))
	}
	ids, err := db.Products(context.Background(), ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%+v", ids)
	return b.String()
}

func TestAddRecordDuplicateImage(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := testRecord(1, 1000, "A-1", "Shirt", "tops", "Boho")
	r.DemoParams = []byte(`{}`)
	mustAdd(t, db, r)
	before := snapshot(t, db)

	// Same image again, even under another SKU, title and style: not created, nothing changes.
	again := r
	again.SKU, again.Title, again.Style = "B-2", "Other", "Minimal"
	created, err := db.AddRecord(ctx, again)
	if err != nil || created {
		t.Fatalf("AddRecord(duplicate image) = %v, %v; want false, nil", created, err)
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("catalog changed:\n%s\n%s", before, after)
	}
}

func TestAddRecordDuplicateSKU(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustAdd(t, db, testRecord(1, 1000, "A-1", "Shirt", "tops", "Boho"))
	before := snapshot(t, db)

	r := testRecord(2, 1000, "A-1", "Different shirt", "tops", "Minimal")
	r.DemoParams = []byte(`{}`)
	created, err := db.AddRecord(ctx, r)
	if !errors.Is(err, ErrDuplicate) || created {
		t.Fatalf("AddRecord(duplicate SKU) = %v, %v; want ErrDuplicate", created, err)
	}
	if !strings.Contains(err.Error(), `"A-1"`) {
		t.Errorf("error %q should name the SKU", err)
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("catalog changed:\n%s\n%s", before, after)
	}
	// The new image is referenced nowhere (its object file may stay behind as an orphan).
	if ok, _ := db.HasImage(ctx, r.Image.Hash); ok {
		t.Error("image of the failed record is in the catalog")
	}
	if _, err := db.Thumb(ctx, r.Image.Hash); !errors.Is(err, ErrNotFound) {
		t.Errorf("thumbnail of the failed record: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM variants WHERE image_hash = ?`, r.Image.Hash); n != 0 {
		t.Errorf("%d variants reference the failed image", n)
	}
}

func TestFilters(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	recs := []ingest.Record{
		testRecord(1, 200, "TOP-001", "Red Shirt", "tops", "Boho"),
		testRecord(2, 200, "TOP-002", "Blue Shirt", "tops", "Minimal"),
		testRecord(3, 200, "DRS-001", "Éclair Dress", "dresses", "Boho"),
		testRecord(4, 200, "DRS-002", "Summer dress", "dresses", ""),
		testRecord(5, 200, "ACC-001", "Shirt clip", "accessories", ""),
	}
	for _, r := range recs {
		mustAdd(t, db, r)
	}
	all, err := db.ProductIDs(ctx, ProductFilter{})
	if err != nil || len(all) != 5 || !slices.IsSorted(all) {
		t.Fatalf("all = %v, %v", all, err)
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	boho, minimal := styles[0].ID, styles[1].ID
	if styles[0].Name != "Boho" || styles[1].Name != "Minimal" || styles[1].Key != "2" {
		t.Fatalf("styles = %+v", styles)
	}
	p := func(i ...int) []int64 {
		var out []int64
		for _, k := range i {
			out = append(out, all[k])
		}
		return out
	}
	cases := []struct {
		name string
		f    ProductFilter
		want []int64
	}{
		{"search title case-insensitive", ProductFilter{Search: "SHIRT"}, p(0, 1, 4)},
		{"search sku", ProductFilter{Search: "drs-"}, p(2, 3)},
		{"search unicode fold", ProductFilter{Search: "éclair"}, p(2)},
		{"search trims", ProductFilter{Search: "  blue "}, p(1)},
		{"search LIKE wildcards are literal", ProductFilter{Search: "%"}, nil},
		{"category", ProductFilter{Category: "dresses"}, p(2, 3)},
		{"style", ProductFilter{StyleID: boho}, p(0, 2)},
		{"style+category", ProductFilter{StyleID: boho, Category: "tops"}, p(0)},
		{"unlabeled", ProductFilter{Unlabeled: true}, p(3, 4)},
		{"unlabeled+search", ProductFilter{Unlabeled: true, Search: "shirt"}, p(4)},
		{"style minimal", ProductFilter{StyleID: minimal}, p(1)},
		{"limit", ProductFilter{Limit: 2}, p(0, 1)},
		{"limit+offset", ProductFilter{Limit: 2, Offset: 3}, p(3, 4)},
		{"offset only", ProductFilter{Offset: 4}, p(4)},
		{"nothing", ProductFilter{Category: "shoes"}, nil},
	}
	for _, c := range cases {
		ids, err := db.ProductIDs(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("%s: ProductIDs = %v, want %v", c.name, ids, c.want)
		}
		rows, err := db.Products(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []int64
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: Products ids = %v, want %v", c.name, got, c.want)
		}
	}

	rows, err := db.Products(ctx, ProductFilter{Search: "éclair"})
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	if r := rows[0]; r.SKU != "DRS-001" || r.Title != "Éclair Dress" || r.Category != "dresses" ||
		r.ImageHash != recs[2].Image.Hash || r.StyleID != boho || r.Style != "Boho" || r.PriceCents != 300 {
		t.Errorf("row = %+v", r)
	}

	// ProductsByID keeps the caller's order and skips missing ids.
	byID, err := db.ProductsByID(ctx, []int64{all[3], all[0], 999999, all[4]})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range byID {
		got = append(got, r.SKU)
	}
	if !slices.Equal(got, []string{"DRS-002", "TOP-001", "ACC-001"}) {
		t.Errorf("ProductsByID = %v", got)
	}
	if byID[0].StyleID != 0 || byID[0].Style != "" {
		t.Errorf("unlabeled row = %+v", byID[0])
	}
	if empty, err := db.ProductsByID(ctx, nil); err != nil || len(empty) != 0 {
		t.Errorf("ProductsByID(nil) = %v, %v", empty, err)
	}

	cats, err := db.Categories(ctx)
	if err != nil || !slices.Equal(cats, []string{"accessories", "dresses", "tops"}) {
		t.Errorf("Categories = %v, %v", cats, err)
	}
}

func TestProductsByIDManyChunks(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	seedProducts(t, db, 1200, 3)
	ids, err := db.ProductIDs(ctx, ProductFilter{})
	if err != nil || len(ids) != 1200 {
		t.Fatal(len(ids), err)
	}
	slices.Reverse(ids)
	rows, err := db.ProductsByID(ctx, ids)
	if err != nil || len(rows) != len(ids) {
		t.Fatal(len(rows), err)
	}
	for i, r := range rows {
		if r.ID != ids[i] {
			t.Fatalf("row %d has id %d, want %d", i, r.ID, ids[i])
		}
	}
}

func TestSetLabelHistoryAndStats(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for i := uint64(1); i <= 4; i++ {
		mustAdd(t, db, testRecord(i, 100, fmt.Sprintf("P-%d", i), "", "", ""))
	}
	boho, err := db.AddStyle(ctx, "Boho", "", "")
	if err != nil {
		t.Fatal(err)
	}
	minimal, err := db.AddStyle(ctx, "Minimal", "#112233", "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddStyle(ctx, "Empty", "", ""); err != nil {
		t.Fatal(err)
	}
	ids, _ := db.ProductIDs(ctx, ProductFilter{})

	steps := []struct {
		id, style int64
		who       string
	}{
		{ids[0], boho.ID, "alice"},
		{ids[0], minimal.ID, "bob"},
		{ids[0], 0, "carol"},
		{ids[0], boho.ID, "dave"},
		{ids[0], boho.ID, "dave"}, // unchanged: no history row
		{ids[1], boho.ID, "alice"},
		{ids[2], minimal.ID, "alice"},
		{ids[3], 0, "alice"}, // already unlabeled: nothing
	}
	for _, s := range steps {
		if err := db.SetLabel(ctx, s.id, s.style, s.who); err != nil {
			t.Fatal(err)
		}
	}
	d, err := db.Product(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var hist []string
	for _, e := range d.History {
		hist = append(hist, e.StyleName+"/"+e.Who)
	}
	if !slices.Equal(hist, []string{"Boho/alice", "Minimal/bob", "/carol", "Boho/dave"}) {
		t.Errorf("history = %v", hist)
	}
	if d.StyleID != boho.ID || d.Style != "Boho" {
		t.Errorf("current label = %d %q", d.StyleID, d.Style)
	}
	if n := count(t, db, `SELECT count(*) FROM label_history WHERE product_id = ? AND old_style_id = ? AND new_style_id = ?`,
		ids[0], boho.ID, minimal.ID); n != 1 {
		t.Errorf("old/new style ids not recorded (%d rows)", n)
	}
	if n := count(t, db, `SELECT count(*) FROM label_history WHERE product_id = ?`, ids[3]); n != 0 {
		t.Errorf("clearing an unlabeled product wrote %d history rows", n)
	}

	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Products: 4, Images: 4, Unlabeled: 1, Styles: []StyleCount{{"Boho", 2}, {"Minimal", 1}, {"Empty", 0}}}
	if st.Products != want.Products || st.Images != want.Images || st.Unlabeled != want.Unlabeled || !slices.Equal(st.Styles, want.Styles) {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}

	if err := db.SetLabel(ctx, 999999, boho.ID, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetLabel(missing product) = %v", err)
	}
	if err := db.SetLabel(ctx, ids[0], 999999, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetLabel(missing style) = %v", err)
	}
}

func TestStyles(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	a, err := db.AddStyle(ctx, " Boho ", "", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.AddStyle(ctx, "Minimal", "#AABBCC", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.AddStyle(ctx, "Street", "", "1") // explicit key clashes with Boho's default
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate key: %+v, %v", c, err)
	}
	c, err = db.AddStyle(ctx, "Street", "", "s")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Boho" || a.Key != "1" || b.Key != "2" || b.Color != "#aabbcc" || c.Key != "s" || a.Color == c.Color {
		t.Errorf("styles: %+v %+v %+v", a, b, c)
	}
	if _, err := db.AddStyle(ctx, "BOHO", "", ""); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate name (other case): %v", err)
	}
	for _, bad := range [][3]string{{"", "", ""}, {"X", "red", ""}, {"Y", "", "ab"}} {
		if _, err := db.AddStyle(ctx, bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("AddStyle%q succeeded", bad)
		}
	}
	// Default keys run out after 9.
	for i := 0; i < 8; i++ {
		if _, err := db.AddStyle(ctx, fmt.Sprintf("S%d", i), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names, keys []string
	for i, s := range all {
		names = append(names, s.Name)
		keys = append(keys, s.Key)
		if s.Position != i {
			t.Errorf("%s at position %d, want %d", s.Name, s.Position, i)
		}
	}
	if !slices.Equal(names, []string{"Boho", "Minimal", "Street", "S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7"}) {
		t.Errorf("order = %v", names)
	}
	if !slices.Equal(keys, []string{"1", "2", "s", "3", "4", "5", "6", "7", "8", "9", ""}) {
		t.Errorf("keys = %v", keys)
	}
}

func TestObjects(t *testing.T) {
	db := openTest(t)
	data := []byte("hello, objects")
	h, err := db.PutObject(data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if h != hex.EncodeToString(sum[:]) {
		t.Fatalf("hash = %s", h)
	}
	p := db.ObjectPath(h)
	if want := filepath.Join(db.Dir(), "objects", h[:2], h[2:]); p != want {
		t.Fatalf("ObjectPath = %s, want %s", p, want)
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object file: %q, %v", got, err)
	}
	if fi, _ := os.Stat(p); runtime.GOOS != "windows" && fi.Mode().Perm()&0o044 == 0 {
		t.Errorf("object mode %v is not readable by others", fi.Mode())
	}
	// An existing object is not rewritten.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if h2, err := db.PutObject(data); err != nil || h2 != h {
		t.Fatal(h2, err)
	}
	if fi, _ := os.Stat(p); !fi.ModTime().Equal(old) {
		t.Error("existing object was rewritten")
	}
	for i := 0; i < 20; i++ {
		if _, err := db.PutObject([]byte(fmt.Sprint("object ", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Every file under objects/ is complete and named by its content; no temp files are left.
	n := 0
	err = filepath.WalkDir(filepath.Join(db.Dir(), ObjectsDir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if filepath.Base(filepath.Dir(path))+d.Name() != h {
			t.Errorf("%s does not match its content (%s)", path, h)
		}
		return nil
	})
	if err != nil || n != 21 {
		t.Errorf("walk: %d files, %v", n, err)
	}

	if _, err := db.ReadObject(strings.Repeat("ab", 32)); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadObject(missing) = %v", err)
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.Repeat("A", 64), h[:63]} {
		if db.ObjectPath(bad) != "" {
			t.Errorf("ObjectPath(%q) = %q", bad, db.ObjectPath(bad))
		}
		if _, err := db.ReadObject(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("ReadObject(%q) = %v", bad, err)
		}
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	// Hold several connections at once so the pool must open distinct ones.
	var conns []*sql.Conn
	for i := 0; i < 4; i++ {
		c, err := db.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var fk, busy, sync int
		var journal string
		if err := c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || busy != 5000 || sync != 1 || journal != "wal" {
			t.Errorf("conn %d: foreign_keys=%d busy_timeout=%d synchronous=%d journal_mode=%s", i, fk, busy, sync, journal)
		}
		// Foreign keys are enforced: a label for a missing product fails.
		_, err := c.ExecContext(ctx, `INSERT INTO labels (product_id, style_id, source, labeled_at) VALUES (424242, 1, 'x', 'x')`)
		if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("conn %d: label for a missing product: %v", i, err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestForeignKeyCascade(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := testRecord(1, 100, "A", "", "", "Boho")
	r.DemoParams = []byte(`{}`)
	mustAdd(t, db, r)
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM products`); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"labels", "label_history", "demo_truth"} {
		if n := count(t, db, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s keeps %d rows of a deleted product", table, n)
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	style, err := db.AddStyle(ctx, "Boho", "", "")
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, db, testRecord(1000, 100, "FIRST", "", "", ""))
	first, _ := db.ProductIDs(ctx, ProductFilter{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				k := uint64(g*100 + i)
				if _, err := db.AddRecord(ctx, testRecord(k, 2000, fmt.Sprint("C-", k), "", "", "Street")); err != nil {
					errs <- err
				}
				if err := db.SetLabel(ctx, first[0], style.ID*int64(i%2), fmt.Sprint("g", g)); err != nil {
					errs <- err
				}
				if _, err := db.Stats(ctx); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := db.CountProducts(ctx); n != 41 {
		t.Errorf("CountProducts = %d, want 41", n)
	}
}

func TestWriteHonoursContext(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.AddStyle(ctx, "Boho", "", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("AddStyle with a cancelled context = %v", err)
	}
}

func TestDefaultLibraryDir(t *testing.T) {
	switch runtime.GOOS {
	case "darwin", "ios", "windows":
		d, err := DefaultLibraryDir()
		if err != nil || filepath.Base(d) != "StyleStudio" {
			t.Errorf("DefaultLibraryDir = %q, %v", d, err)
		}
		return
	}
	t.Setenv("XDG_DATA_HOME", "/data/xdg")
	if d, err := DefaultLibraryDir(); err != nil || d != "/data/xdg/stylestudio" {
		t.Errorf("with XDG_DATA_HOME: %q, %v", d, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if d, err := DefaultLibraryDir(); err != nil || d != "/home/someone/.local/share/stylestudio" {
		t.Errorf("without XDG_DATA_HOME: %q, %v", d, err)
	}
}

func TestOpenPathNeedsEscaping(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "odd ?#% name")
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustAdd(t, db, testRecord(1, 10, "X", "", "", ""))
	if _, err := os.Stat(filepath.Join(dir, DBFile)); err != nil {
		t.Errorf("catalog.db not inside %q: %v", dir, err)
	}
}

// A write killed between creating its temp file and renaming it leaves a hidden temp in objects/;
// the next Open removes it once it is clearly abandoned, and leaves a fresh one (another process may
// be writing it) and every object alone.
func TestOpenSweepsAbandonedObjectTemps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := db.PutObject([]byte("a product picture"))
	if err != nil {
		t.Fatal(err)
	}
	sub := filepath.Dir(db.ObjectPath(hash))
	db.Close()
	old := filepath.Join(sub, objectTempPrefix+"00000000000000aa")
	fresh := filepath.Join(sub, objectTempPrefix+"00000000000000bb")
	// Open's write probe, left in objects/ itself by a process killed before it removed it.
	probe := filepath.Join(dir, ObjectsDir, objectTempPrefix+"write-probe-123")
	for _, p := range []string{old, fresh, probe} {
		if err := os.WriteFile(p, []byte("half a pic"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * staleTempAge)
	for _, p := range []string{old, probe} {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, p := range []string{old, probe} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("abandoned temp %s still there (%v)", p, err)
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh temp (maybe another process's write) was removed: %v", err)
	}
	if data, err := db.ReadObject(hash); err != nil || string(data) != "a product picture" {
		t.Errorf("the object itself: %q %v", data, err)
	}
}

func TestThumbAlphaKeptBesideTheThumbnail(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	cut := testRecord(1, 64, "CUT", "Cut-out", "icons", "")
	cut.ThumbAlpha = []byte("alpha-CUT")
	photo := testRecord(2, 64, "PHOTO", "Photo", "shoes", "")
	mustAdd(t, db, cut)
	mustAdd(t, db, photo)
	if a, err := db.ThumbAlpha(ctx, cut.Image.Hash); err != nil || string(a) != "alpha-CUT" {
		t.Errorf("ThumbAlpha(cut-out) = %q, %v; want the alpha kept", a, err)
	}
	if a, err := db.ThumbAlpha(ctx, photo.Image.Hash); err != nil || len(a) != 0 {
		t.Errorf("ThumbAlpha(opaque) = %q, %v; want none and no error", a, err)
	}
	if todo, err := db.AlphaUnchecked(ctx, "", 0); err != nil || len(todo) != 0 {
		t.Errorf("AlphaUnchecked after import = %v, %v; want none (import checks every picture)", todo, err)
	}

	// A catalog imported before transparency was kept: its thumbnails were never checked.
	old := testRecord(3, 64, "OLD", "Old", "icons", "")
	mustAdd(t, db, old)
	if _, err := db.sql.Exec(`UPDATE thumbnails SET alpha = NULL WHERE hash = ?`, old.Image.Hash); err != nil {
		t.Fatal(err)
	}
	todo, err := db.AlphaUnchecked(ctx, "", 0)
	if err != nil || len(todo) != 1 || todo[0].Hash != old.Image.Hash || todo[0].Format != "png" {
		t.Fatalf("AlphaUnchecked = %+v, %v; want the old image", todo, err)
	}
	if todo, err := db.AlphaUnchecked(ctx, old.Image.Hash, 0); err != nil || len(todo) != 0 {
		t.Errorf("AlphaUnchecked after the last one (keyset paging) = %v, %v; want none", todo, err)
	}
	if err := db.SetThumbAlphas(ctx, map[string][]byte{old.Image.Hash: []byte("alpha-OLD"), cut.Image.Hash: []byte("not this")}); err != nil {
		t.Fatal(err)
	}
	if a, _ := db.ThumbAlpha(ctx, old.Image.Hash); string(a) != "alpha-OLD" {
		t.Errorf("after the check ThumbAlpha(old) = %q", a)
	}
	if a, _ := db.ThumbAlpha(ctx, cut.Image.Hash); string(a) != "alpha-CUT" {
		t.Errorf("SetThumbAlphas overwrote a checked image: %q", a)
	}
	if todo, err := db.AlphaUnchecked(ctx, "", 0); err != nil || len(todo) != 0 {
		t.Errorf("AlphaUnchecked after the check = %v, %v; want none", todo, err)
	}
	if _, err := db.ThumbAlpha(ctx, "no-such-hash"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ThumbAlpha(unknown) error %v, want ErrNotFound", err)
	}
	if th, err := db.Thumb(ctx, cut.Image.Hash); err != nil || string(th) != "thumb-CUT" {
		t.Errorf("Thumb(cut-out) = %q, %v", th, err)
	}
	if th, a, err := db.ThumbWithAlpha(ctx, cut.Image.Hash); err != nil || string(th) != "thumb-CUT" || string(a) != "alpha-CUT" {
		t.Errorf("ThumbWithAlpha(cut-out) = %q, %q, %v", th, a, err)
	}
	if th, a, err := db.ThumbWithAlpha(ctx, photo.Image.Hash); err != nil || string(th) != "thumb-PHOTO" || len(a) != 0 {
		t.Errorf("ThumbWithAlpha(opaque) = %q, %q, %v", th, a, err)
	}
	if _, _, err := db.ThumbWithAlpha(ctx, "no-such-hash"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ThumbWithAlpha(unknown) error %v, want ErrNotFound", err)
	}
}
