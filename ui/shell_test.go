package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"stylestudio/internal/testkit/testlib"
	"stylestudio/ui/kit"
	"stylestudio/ui/label"
)

// The shell joins the screens: Preview's "Go to Train" shows Train, Preview starts on the product open in
// the Catalog, and variants saved by an export reach the Feed.
func TestShellWiresTheScreens(t *testing.T) {
	db := testlib.DemoLibrary(t, 12, 7)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sh := NewShell(kit.Deps{Ctx: ctx, DB: db, Window: w, Headless: true})
	t.Cleanup(func() { sh.Close(); sh.Lock(); sh.Unlock() })
	w.SetContent(sh.Object())
	w.Resize(fyne.NewSize(1280, 800))
	sh.OnUI(func() {
		p := sh.Preview()
		if p.GoTrain == nil || p.CatalogSelection == nil || p.VariantsChanged == nil {
			t.Fatal("the shell left a Preview link unwired")
		}
		if got := p.CatalogSelection(); got != 0 {
			t.Errorf("nothing is open in the catalog, but Preview would start on product %d", got)
		}
		p.GoTrain()
		if sh.ActiveScreen() != "Train" {
			t.Errorf("Go to Train showed %s", sh.ActiveScreen())
		}
		if !sh.ShowScreen("feed") || sh.ActiveScreen() != "Feed" {
			t.Errorf("ShowScreen(feed) showed %s", sh.ActiveScreen())
		}
	})
}

// Edit → Undo label runs on any screen: its undo reloads the catalog, whose grid and open product
// otherwise kept showing the label the undo took back.
func TestShellReloadsTheCatalogAfterAnUndo(t *testing.T) {
	db := testlib.DemoLibrary(t, 12, 7)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sh := NewShell(kit.Deps{Ctx: ctx, DB: db, Window: w, Headless: true})
	t.Cleanup(func() { sh.Close(); sh.Lock(); sh.Unlock() })
	w.SetContent(sh.Object())
	loaded := make(chan int, 16)
	sh.OnUI(func() { sh.Catalog().OnLoaded(func(n int) { loaded <- n }) })
	sh.OnUI(func() { label.Undone.Emit(sh.deps.Events, []int64{1}) })
	select {
	case <-loaded:
	case <-time.After(time.Minute):
		t.Fatal("an undo did not reload the catalog")
	}
}
