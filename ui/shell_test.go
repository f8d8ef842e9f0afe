package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"stylestudio/internal/testkit/testlib"
	"stylestudio/store"
	"stylestudio/ui/kit"
	"stylestudio/ui/label"
)

// The shell joins the screens: Preview's "Go to Train" shows Train, Preview starts on the product open in
// the Catalog, and variants saved by an export reach the Feed.
func TestShellWiresTheScreens(t *testing.T) {
	db := testlib.DemoLibrary(t, 12, 7)
	sh, _ := headlessShell(t, db)
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
	sh, _ := headlessShell(t, db)
	loaded := make(chan int, 16)
	sh.OnUI(func() { sh.Catalog().OnLoaded(func(n int) { loaded <- n }) })
	sh.OnUI(func() { label.Undone.Emit(sh.deps.Events, []int64{1}) })
	select {
	case <-loaded:
	case <-time.After(time.Minute):
		t.Fatal("an undo did not reload the catalog")
	}
}

// The Import dialog's button waits for something to import, and an import that finds no image says
// so (an empty folder used to end with no word at all).
func TestImportDialogWaitsForAPathAndAnEmptyFolderIsNamed(t *testing.T) {
	db := testlib.DemoLibrary(t, 4, 7)
	sh, w := headlessShell(t, db)
	find := func(match func(fyne.CanvasObject) bool) fyne.CanvasObject {
		var found fyne.CanvasObject
		for _, o := range w.Canvas().Overlays().List() {
			for _, c := range test.LaidOutObjects(o) {
				if found == nil && match(c) {
					found = c
				}
			}
		}
		return found
	}
	empty := t.TempDir()
	sh.OnUI(func() {
		sh.imports.showDialog()
		btn, _ := find(func(c fyne.CanvasObject) bool { b, ok := c.(*widget.Button); return ok && b.Text == "Import" }).(*widget.Button)
		entry, _ := find(func(c fyne.CanvasObject) bool {
			e, ok := c.(*kit.Entry)
			return ok && e.PlaceHolder == "Folder or image file"
		}).(*kit.Entry)
		if btn == nil || entry == nil {
			t.Fatal("the Import dialog has no Import button or folder entry")
		}
		if !btn.Disabled() {
			t.Error("Import can be pressed with nothing to import")
		}
		entry.SetText(empty)
		if btn.Disabled() {
			t.Fatal("Import stays disabled with a folder typed in")
		}
		test.Tap(btn)
	})
	deadline := time.Now().Add(time.Minute)
	for {
		var msg string
		sh.OnUI(func() {
			if l, ok := find(func(c fyne.CanvasObject) bool {
				l, ok := c.(*widget.Label)
				return ok && strings.HasPrefix(l.Text, "No product images were found there")
			}).(*widget.Label); ok {
				msg = l.Text
			}
		})
		if msg != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("importing an empty folder said nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// headlessShell runs the whole shell on db in Fyne's test app, in a 1280×800 window, closed when the
// test ends.
func headlessShell(t *testing.T, db *store.DB) (*Shell, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sh := NewShell(kit.Deps{Ctx: ctx, DB: db, Window: w, Headless: true})
	t.Cleanup(func() { sh.Close(); sh.Lock(); sh.Unlock() })
	w.SetContent(sh.Object())
	w.Resize(fyne.NewSize(1280, 800))
	return sh, w
}
