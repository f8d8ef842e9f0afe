// Package testlib makes libraries for tests: a temporary catalog seeded with demo products. It is
// imported only by tests (of app, app/studio and ui), never by the engine's, which must not see the store.
package testlib

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"stylestudio/engine/demo"
	"stylestudio/store"
)

// DemoLibrary opens a library in a temporary folder holding the first n products of the demo catalog
// drawn with seed; it is closed when the test ends.
func DemoLibrary(t testing.TB, n int, seed uint64) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := demo.Seed(ctx, db, demo.Catalog(n, seed), nil); err != nil {
		t.Fatal(err)
	}
	return db
}

// DemoImage renders one demo product at size pixels.
func DemoImage(t testing.TB, size int) image.Image {
	t.Helper()
	it := demo.Catalog(1, 3)[0]
	img, err := demo.Render(it.Params, it.Style, size)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// KeepLabels leaves db, a library seeded with the first n demo products drawn with seed, with keep
// labels a style: it clears every label and labels the first keep products of each style (catalog
// order) with their demo style. It returns every product's demo style by SKU (the answers a labeler
// would give) and the styles' ids by name.
func KeepLabels(t testing.TB, db *store.DB, n int, seed uint64, keep int) (truth map[string]string, styleIDs map[string]int64) {
	t.Helper()
	ctx := context.Background()
	truth = map[string]string{}
	for _, it := range demo.Catalog(n, seed) {
		truth[it.SKU] = it.Style
	}
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	styleIDs = map[string]int64{}
	for _, s := range styles {
		styleIDs[s.Name] = s.ID
	}
	var all []int64
	kept := map[string][]int64{}
	for _, r := range rows {
		all = append(all, r.ID)
		if s := truth[r.SKU]; len(kept[s]) < keep {
			kept[s] = append(kept[s], r.ID)
		}
	}
	if _, err := db.SetLabels(ctx, all, 0, "test"); err != nil {
		t.Fatal(err)
	}
	for name, ids := range kept {
		if _, err := db.SetLabels(ctx, ids, styleIDs[name], "test"); err != nil {
			t.Fatal(err)
		}
	}
	return truth, styleIDs
}

// ReadPNG decodes the PNG file at path (a screenshot, an exported image).
func ReadPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// CheckerCatalog describes a folder catalog of the same items drawn in several styles: each item is a
// checkerboard of its own cell size (Cell + k%Per by Cell + k/Per pixels for item k) in the style's
// ink on near-white paper, Size pixels square; one folder per style, the same file name per item
// (item-00.png, …), for import --labels-from-folders --groups-from-names.
type CheckerCatalog struct {
	Inks        map[string]color.NRGBA // style name → ink
	Items, Size int
	Cell, Per   int
}

// Write writes the catalog under root.
func (c CheckerCatalog) Write(root string) error {
	for name, ink := range c.Inks {
		if err := os.MkdirAll(filepath.Join(root, name), 0o755); err != nil {
			return err
		}
		for k := range c.Items {
			img := image.NewNRGBA(image.Rect(0, 0, c.Size, c.Size))
			for y := range c.Size {
				for x := range c.Size {
					v := color.NRGBA{250, 250, 250, 255}
					if (x/(c.Cell+k%c.Per)+y/(c.Cell+k/c.Per))%2 == 0 {
						v = ink
					}
					img.SetNRGBA(x, y, v)
				}
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(root, name, fmt.Sprintf("item-%02d.png", k)), buf.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
