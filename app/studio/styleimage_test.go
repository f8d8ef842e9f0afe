package studio

import (
	"bytes"
	"context"
	"database/sql"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"stylestudio/engine/ingest"
	"stylestudio/engine/style"
	"stylestudio/store"

	_ "github.com/mattn/go-sqlite3"
)

// The style classifier reads a product imported with a transparent background with its transparency
// (styleImage), and an opaque product as its thumbnail; every other reader keeps the thumbnail.
func TestStyleImageHasTheProductsTransparency(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cut := image.NewNRGBA(image.Rect(0, 0, 128, 128))
	for y := 32; y < 96; y++ {
		for x := 32; x < 96; x++ {
			a := uint8(255)
			if x == 32 || y == 32 || x == 95 || y == 95 {
				a = 128 // a soft edge
			}
			cut.SetNRGBA(x, y, color.NRGBA{R: 30, G: 60, B: 200, A: a})
		}
	}
	opaque := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range opaque.Pix {
		opaque.Pix[i] = uint8(i)
		if i%4 == 3 {
			opaque.Pix[i] = 255
		}
	}
	for name, img := range map[string]image.Image{"cut.png": cut, "opaque.png": opaque} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	jobs, _, err := ingest.Plan(ctx, []string{dir}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := ingest.Run(ctx, db, jobs, ingest.Options{}, nil); err != nil || sum.Imported != 2 {
		t.Fatalf("import: %+v, %v", sum, err)
	}
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	checkStyleImages(t, db, rows)

	// A catalog imported before transparency was kept: nothing checked. The classifier's first
	// training checks every picture once, from the stored originals.
	raw, err := sql.Open("sqlite3", filepath.Join(db.Dir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE thumbnails SET alpha = NULL`); err != nil {
		t.Fatal(err)
	}
	if todo, _ := db.AlphaUnchecked(ctx, "", 0); len(todo) != 2 {
		t.Fatalf("%d unchecked, want 2", len(todo))
	}
	// An original that cannot be read now stays unchecked (tried again next time), not opaque for good.
	var lost string
	for _, r := range rows {
		if !strings.Contains(strings.ToLower(r.Title+r.SKU), "cut") {
			lost = r.ImageHash
		}
	}
	path := db.ObjectPath(lost)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	var heard [][2]int
	if err := checkTransparency(ctx, db, func(done, total int) { heard = append(heard, [2]int{done, total}) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(heard, [][2]int{{0, 2}, {2, 2}}) {
		t.Errorf("progress %v; want 0 then 2 of 2 tried", heard)
	}
	if todo, _ := db.AlphaUnchecked(ctx, "", 0); len(todo) != 1 || todo[0].Hash != lost {
		t.Fatalf("unchecked after a check with one original missing: %+v, want that one", todo)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The classifier's training reports the check before its epochs: the one picture left this time.
	// (This catalog has no styles, so the training stops after the check, with a message.)
	heard = nil
	if _, _, err := TrainClassifier(ctx, db, style.Config{Size: 16, Epochs: 1, Width: 4, BatchSize: 8}, func(p TrainProgress) {
		if p.Checking {
			heard = append(heard, [2]int{p.Checked, p.ToCheck})
		}
	}); err == nil || !strings.Contains(err.Error(), "at least 2 styles") {
		t.Fatalf("TrainClassifier without styles: %v", err)
	}
	if !slices.Equal(heard, [][2]int{{0, 1}, {1, 1}}) {
		t.Errorf("TrainClassifier's check progress %v; want 0 then 1 of 1", heard)
	}
	if err := checkTransparency(ctx, db, func(int, int) { t.Error("progress with nothing to check") }); err != nil {
		t.Fatal(err)
	}
	if todo, _ := db.AlphaUnchecked(ctx, "", 0); len(todo) != 0 {
		t.Fatalf("%d still unchecked after checkTransparency", len(todo))
	}
	checkStyleImages(t, db, rows)

	// Statistics computed while a picture read as opaque are cached apart from those with its alpha.
	for _, r := range rows {
		img, _ := styleImage(ctx, db, r.ImageHash)
		thumb, _ := thumbImage(ctx, db, r.ImageHash)
		withA, without := statsKey(r.ImageHash, img), statsKey(r.ImageHash, thumb)
		if cut := strings.Contains(strings.ToLower(r.Title+r.SKU), "cut"); cut == (withA == without) {
			t.Errorf("%s: stats keys %q and %q", r.SKU, withA, without)
		}
	}
}

func checkStyleImages(t *testing.T, db *store.DB, rows []store.ProductRow) {
	t.Helper()
	ctx := context.Background()
	for _, r := range rows {
		img, err := styleImage(ctx, db, r.ImageHash)
		if err != nil {
			t.Fatal(err)
		}
		thumb, err := thumbImage(ctx, db, r.ImageHash)
		if err != nil {
			t.Fatal(err)
		}
		if !thumb.(interface{ Opaque() bool }).Opaque() {
			t.Errorf("%s: the thumbnail is not opaque", r.SKU)
		}
		seen := img.(interface{ Opaque() bool }).Opaque()
		cutOut := strings.Contains(strings.ToLower(r.Title+r.SKU), "cut")
		if cutOut == seen {
			t.Errorf("%s (%s): the classifier's picture opaque %v, want %v", r.SKU, r.Title, seen, !cutOut)
		}
		if cutOut {
			// The thumbnail enlarges 128 px to 160: the product's middle is opaque blue, a corner transparent.
			if c := color.NRGBAModel.Convert(img.At(80, 80)).(color.NRGBA); c.A != 255 || c.B < 190 {
				t.Errorf("the product's middle reads %v, want opaque blue", c)
			}
			if c := color.NRGBAModel.Convert(img.At(2, 2)).(color.NRGBA); c.A != 0 {
				t.Errorf("a corner reads %v, want transparent", c)
			}
		}
	}
}
