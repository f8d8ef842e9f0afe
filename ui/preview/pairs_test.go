package preview

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"stylestudio/store"
)

// until polls a condition on the UI goroutine.
func (h *previewHarness) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var ok bool
		h.do(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// In a catalog that knows an item's drawings in other styles, Preview compares the translation with
// the real drawing in the target style, shows it beside the translation in All styles, and says
// whether the run trained on the product; a style without such a drawing compares with the original.
func TestPreviewComparesWithTheRealDrawing(t *testing.T) {
	ctx := context.Background()
	db := trainedLibrary(t)
	rows, err := db.Products(ctx, store.ProductFilter{Limit: previewListLimit})
	if err != nil || len(rows) == 0 {
		t.Fatal(rows, err)
	}
	first := rows[0] // the product the screen opens on
	labeled, err := db.LabeledProducts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var partner store.LabeledProduct
	for _, p := range labeled {
		if p.ID != first.ID && p.Style != first.Style {
			partner = p
			break
		}
	}
	for _, hash := range []string{first.ImageHash, partner.ImageHash} {
		if ok, err := db.GroupUngrouped(ctx, hash, "the-same-item"); !ok || err != nil {
			t.Fatalf("group %s: %v %v", hash, ok, err)
		}
	}
	run, err := db.RunByName(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	trained, err := db.RunTrainProducts(ctx, run.ID)
	if err != nil || len(trained) == 0 {
		t.Fatalf("the tiny run recorded no training products: %v", err)
	}
	wantTrained := "Held out: the run never trained on this product."
	if trained[first.ID] {
		wantTrained = "The run trained on this product"
	}

	h := newPreviewHarness(t, db)
	h.waitStage(t, "full")
	var other string // a style the item has no drawing in
	h.do(func() {
		for _, st := range h.s.model.Styles() {
			if st != partner.Style {
				other = st
			}
		}
		h.s.style.SetSelected(other)
	})
	h.until(t, "the run's training note", func() bool { return strings.Contains(h.s.pairNote.Text, wantTrained) })
	h.do(func() {
		if h.s.compareRow.Visible() {
			t.Errorf("Compare with offered in %s, where the item has no other drawing", other)
		}
		h.s.style.SetSelected(partner.Style)
	})
	h.until(t, "the Compare with choice", func() bool { return h.s.compareRow.Visible() })
	h.do(func() {
		if !strings.Contains(h.s.pairNote.Text, partner.SKU) || !strings.Contains(h.s.pairNote.Text, wantTrained) {
			t.Errorf("note %q; want the drawing's SKU %s and %q", h.s.pairNote.Text, partner.SKU, wantTrained)
		}
		h.s.compareWith.SetSelected(compareReal)
	})
	h.until(t, "the real drawing on the left", func() bool { return h.s.realShown })
	h.do(func() {
		if b, _ := h.s.compare.Labels(); b != "Real drawing" || h.s.realID != partner.ID {
			t.Errorf("left side %q shows product %d; want the real drawing %d", b, h.s.realID, partner.ID)
		}
		if h.s.compare.before == nil || h.s.compare.after == nil {
			t.Fatal("the comparison lacks a side")
		}
		if h.s.compare.before.Rect.Size() != h.s.real.Bounds().Size() {
			t.Errorf("left side %v, real drawing %v", h.s.compare.before.Rect, h.s.real.Bounds())
		}
		h.s.mode.SetSelected("Side by side")
		if !strings.HasPrefix(h.s.compareHelp.Text, "The real drawing on the left") {
			t.Errorf("side by side help %q", h.s.compareHelp.Text)
		}
		h.s.mode.SetSelected("Divider")
		// Another style without a drawing: the original is back on the left.
		h.s.style.SetSelected(other)
		if b, _ := h.s.compare.Labels(); b != "Before" || h.s.realShown || h.s.compareRow.Visible() {
			t.Errorf("in %s: left side %q, real shown %v", other, b, h.s.realShown)
		}
		if h.s.compare.before.Rect.Size() != h.s.orig.Bounds().Size() {
			t.Errorf("left side %v, original %v", h.s.compare.before.Rect, h.s.orig.Bounds())
		}
		// Back: the choice was remembered and the drawing is shown at once.
		h.s.style.SetSelected(partner.Style)
		if !h.s.realShown {
			t.Error("the real drawing did not come back with its style")
		}
		h.s.compareWith.SetSelected(compareOriginal)
		if b, _ := h.s.compare.Labels(); b != "Before" || h.s.realShown {
			t.Errorf("compare with the original: left side %q", b)
		}
		h.s.tabs.SelectIndex(tabAllStyles)
	})
	h.waitStage(t, "all")
	h.do(func() {
		if n, want := len(h.s.allGrid.Objects), len(h.s.model.Styles())+1; n != want {
			t.Fatalf("all styles grid has %d cells, want %d", n, want)
		}
		var realCard *gridCard
		for _, cell := range h.s.allGrid.Objects {
			pair, ok := cell.(*fyne.Container)
			if !ok || len(pair.Objects) != 2 {
				t.Fatalf("cell %T: want a translation beside a real drawing or a space", cell)
			}
			if c, ok := pair.Objects[1].(*gridCard); ok {
				if realCard != nil {
					t.Error("more than one real drawing")
				}
				realCard = c
				if got := pair.Objects[0].(*gridCard).label.Text; got != partner.Style {
					t.Errorf("the real drawing sits beside %q, want %q", got, partner.Style)
				}
			}
		}
		if realCard == nil || realCard.label.Text != "real drawing" {
			t.Fatal("no real drawing in the All styles grid")
		}
		h.s.style.SetSelected(other)
		test.Tap(realCard)
		if h.s.tabs.SelectedIndex() != tabCompare || h.s.styleName != partner.Style || h.s.compareWith.Selected != compareReal {
			t.Errorf("tapping the real drawing: tab %d, style %q, compare with %q", h.s.tabs.SelectedIndex(), h.s.styleName, h.s.compareWith.Selected)
		}
	})
	h.until(t, "the real drawing after the tap", func() bool { return h.s.realShown })
}

// A picture of another shape than the reference fits its area, centred, instead of being stretched
// over it (a real drawing compared with a translation of another shape).
func TestCompareFitsAPictureOfAnotherShape(t *testing.T) {
	b := newBeforeAfter()
	b.Resize(fyne.NewSize(200, 200))
	fill := func(w, h int, c color.NRGBA) *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
		}
		return img
	}
	blue := color.NRGBA{0, 0, 255, 255}
	b.SetImages(fill(40, 40, color.NRGBA{255, 0, 0, 255}), fill(20, 40, blue)) // the after picture is half as wide
	b.SetDivider(0)                                                            // all after (the divider's handle at x=0, y=100)
	out := b.draw(200, 200).(*image.NRGBA)
	if got := out.NRGBAAt(100, 30); got != blue {
		t.Errorf("centre %v, want the picture's blue", got)
	}
	for _, x := range []int{10, 190} {
		if got := out.NRGBAAt(x, 30); got == blue {
			t.Errorf("x=%d is blue: the narrower picture was stretched over the whole area", x)
		}
	}
	// The same shape but for rounding covers the area exactly, as before.
	b.SetImages(fill(40, 40, color.NRGBA{255, 0, 0, 255}), fill(40, 39, blue))
	out = b.draw(200, 200).(*image.NRGBA)
	for _, p := range []image.Point{{8, 30}, {100, 30}, {197, 30}, {100, 1}, {100, 198}} { // the divider and its handle are at x=0, y=100
		if got := out.NRGBAAt(p.X, p.Y); got != blue {
			t.Errorf("%v: %v, want blue over the whole area", p, got)
		}
	}
	// A small preview crop one pixel short covers it too (no bands).
	b.SetImages(fill(200, 150, color.NRGBA{255, 0, 0, 255}), fill(16, 11, blue))
	out = b.draw(200, 200).(*image.NRGBA)
	for _, p := range []image.Point{{100, 26}, {100, 173}, {190, 100}} {
		if got := out.NRGBAAt(p.X, p.Y); got != blue {
			t.Errorf("16×11 over 200×150, %v: %v, want blue", p, got)
		}
	}
}
