// Package testlib makes libraries for tests: a temporary catalog seeded with demo products. It is
// imported only by tests (of app, app/studio and ui), never by the engine's, which must not see the store.
package testlib

import (
	"context"
	"image"
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
