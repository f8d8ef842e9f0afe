package catalog

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"stylestudio/internal/testkit/testlib"
	"stylestudio/store"
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

// catalogHarness runs the shell in Fyne's test app and lets a test wait for each query result.
type catalogHarness struct {
	shell  *testShell
	loaded chan int
}

func newCatalogHarness(t *testing.T, db *store.DB) *catalogHarness {
	t.Helper()
	h := &catalogHarness{shell: kittest.Open(t, db, fyne.NewSize(1200, 800), newTestShell, nil), loaded: make(chan int, 16)}
	h.shell.Screen.OnLoaded(func(n int) { h.loaded <- n })
	h.shell.Start()
	h.wait(t)
	return h
}

func (h *catalogHarness) wait(t *testing.T) int {
	t.Helper()
	select {
	case n := <-h.loaded:
		return n
	case <-time.After(3 * time.Minute): // generous: -race on a busy machine is slow
		t.Fatal("catalog query did not finish")
		return 0
	}
}

func TestCatalogFiltersNarrowTheGrid(t *testing.T) {
	db := testlib.DemoLibrary(t, 24, 7)
	ctx := context.Background()
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := newCatalogHarness(t, db)
	c := h.shell.Screen
	if got := c.count.Text; got != "24 products" {
		t.Fatalf("count label %q, want 24 products", got)
	}

	h.shell.OnUI(func() { c.unlabeled.SetChecked(true) })
	if n := h.wait(t); n != st.Unlabeled {
		t.Fatalf("unlabeled filter shows %d, want %d", n, st.Unlabeled)
	}
	for _, r := range c.rows {
		if r.Style != "" {
			t.Fatalf("unlabeled filter shows labeled product %s (%s)", r.SKU, r.Style)
		}
	}
	h.shell.OnUI(func() { c.unlabeled.SetChecked(false) })
	h.wait(t)

	// Style filter: only products with that label.
	first := st.Styles[0]
	h.shell.OnUI(func() { c.style.SetSelected(first.Name) })
	if n := h.wait(t); n != first.Labeled {
		t.Fatalf("style %s shows %d, want %d", first.Name, n, first.Labeled)
	}
	h.shell.OnUI(func() { c.style.SetSelected(allStyles) })
	h.wait(t)

	// Search by an exact SKU finds that product alone.
	sku := c.rows[5].SKU
	h.shell.OnUI(func() { test.Type(c.search, sku) })
	if n := h.wait(t); n != 1 || c.rows[0].SKU != sku {
		t.Fatalf("search %q shows %d rows", sku, n)
	}
	if c.count.Text != "1 product" {
		t.Errorf("count label %q", c.count.Text)
	}
}

func TestDetailPaneLabelsTheSelectedProduct(t *testing.T) {
	db := testlib.DemoLibrary(t, 12, 7)
	ctx := context.Background()
	h := newCatalogHarness(t, db)
	c := h.shell.Screen
	h.shell.OnUI(func() { c.unlabeled.SetChecked(true) })
	if n := h.wait(t); n == 0 {
		t.Fatal("demo catalog should have unlabeled products")
	}
	target := c.rows[0]
	shown := make(chan struct{}, 4)
	c.OnImageShown(func() { shown <- struct{}{} })
	h.shell.OnUI(func() { c.grid.Select(0) })
	select {
	case <-shown:
	case <-time.After(3 * time.Minute): // generous: -race on a busy machine is slow
		t.Fatal("detail image did not load")
	}
	if c.detail.title.Text != target.Title {
		t.Fatalf("detail shows %q, want %q", c.detail.title.Text, target.Title)
	}
	style := c.styles[1].Name
	h.shell.OnUI(func() { c.detail.label.SetSelected(style) }) // the user picks a style: saved, grid re-queries
	h.wait(t)
	p, err := db.Product(ctx, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Style != style || len(p.History) != 1 || p.History[0].Who != "user" {
		t.Fatalf("label not saved: style %q history %+v", p.Style, p.History)
	}
	for _, r := range c.rows {
		if r.ID == target.ID {
			t.Fatalf("product %s still listed as unlabeled", r.SKU)
		}
	}
}

func TestPriceFormatting(t *testing.T) {
	for cents, want := range map[int64]string{0: "—", 5: "$0.05", 1999: "$19.99", 120000: "$1200.00"} {
		if got := kit.FormatPrice(cents); got != want {
			t.Errorf("kit.FormatPrice(%d) = %q, want %q", cents, got, want)
		}
	}
	if got := fmt.Sprint(kit.TextOn(kit.ParseHexColor("#ffffff"))); got == fmt.Sprint(kit.TextOn(kit.ParseHexColor("#000000"))) {
		t.Errorf("text colour should differ on white and black")
	}
}

// The detail pane shows the open product's stylized variants under its photo; a click on one shows it
// large, named, and the photo's card goes back; a variant whose run is deleted leaves the pane when the
// catalog reloads, and the photo comes back.
func TestDetailPaneShowsTheProductsVariants(t *testing.T) {
	db := testlib.DemoLibrary(t, 12, 7)
	ctx := context.Background()
	styles, err := db.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.CreateRun(ctx, "velvet", `{"steps":100}`)
	if err != nil {
		t.Fatal(err)
	}
	h := newCatalogHarness(t, db)
	c := h.shell.Screen
	target := c.rows[0]
	// Two variants: plain colours, so the test can tell which picture is shown large.
	red, blue := color.NRGBA{0xd0, 0x10, 0x10, 0xff}, color.NRGBA{0x10, 0x10, 0xd0, 0xff}
	for i, col := range []color.NRGBA{red, blue} {
		if _, err := db.PutVariantImage(ctx, target.ID, styles[i].ID, run.ID, solidPNG(t, col)); err != nil {
			t.Fatal(err)
		}
	}
	shown := make(chan struct{}, 16)
	variants := make(chan int, 16)
	c.OnImageShown(func() { shown <- struct{}{} })
	VariantsShown.On(c.deps.Events, func(n int) { variants <- n })
	waitOn := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(3 * time.Minute):
			t.Fatalf("%s did not happen", what)
		}
	}
	waitVariants := func(want int) {
		t.Helper()
		for {
			select {
			case n := <-variants:
				if n == want {
					return
				}
			case <-time.After(3 * time.Minute):
				t.Fatalf("the pane never showed %d variants", want)
			}
		}
	}
	h.shell.OnUI(func() { c.grid.Select(0) })
	waitVariants(2)
	waitOn("the photo", shown)
	var cards []string
	var note, caption string
	h.shell.OnUI(func() {
		for _, card := range c.detail.cards {
			cards = append(cards, card.what.Text+"/"+card.by.Text)
		}
		note, caption = c.detail.variantsNote.Text, c.detail.caption.Text
		if h := c.detail.strip.Size().Height; h < variantCardSize {
			t.Errorf("the variant strip is laid out %.0f px high, too low for its cards", h)
		}
	})
	want := []string{"Original/photo", styles[0].Name + "/run velvet", styles[1].Name + "/run velvet"}
	if fmt.Sprint(cards) != fmt.Sprint(want) || caption != photoCaption || !strings.HasPrefix(note, "2 stylized") {
		t.Fatalf("cards %v, note %q, caption %q; want cards %v under the photo", cards, note, caption, want)
	}

	// A click on the second variant shows it large.
	h.shell.OnUI(func() { test.Tap(c.detail.cards[2]) })
	waitOn("the blue variant", shown)
	h.shell.OnUI(func() {
		caption = c.detail.caption.Text
		if got := kit.ToNRGBA(c.detail.image.Image.At(4, 4)); got != blue {
			t.Errorf("the large picture is %v, want the blue variant", got)
		}
		if c.detail.cards[2].frame.StrokeColor == color.Transparent || c.detail.cards[0].frame.StrokeColor != color.Transparent {
			t.Error("the frame is not on the card shown")
		}
	})
	if caption != styles[1].Name+" variant (run velvet)" {
		t.Fatalf("caption %q after the click", caption)
	}
	// Deleting the run deletes its variants: on the next reload the pane drops them and shows the photo.
	if _, err := db.DeleteRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	h.shell.OnUI(c.Reload)
	waitVariants(0)
	waitOn("the photo again", shown)
	h.shell.OnUI(func() {
		caption, note = c.detail.caption.Text, c.detail.variantsNote.Text
		if c.detail.strip.Visible() || len(c.detail.cards) != 0 {
			t.Error("the variant strip is still shown with no variants")
		}
	})
	if caption != photoCaption || !strings.HasPrefix(note, "None yet") {
		t.Fatalf("after the run's deletion: caption %q, note %q", caption, note)
	}
}

func solidPNG(t *testing.T, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The open product's label and history follow the catalog when it reloads: an undo from the Edit menu
// (the shell reloads the catalog after one) showed in the store but not in the pane.
func TestDetailPaneFollowsAnUndo(t *testing.T) {
	db := testlib.DemoLibrary(t, 12, 7)
	ctx := context.Background()
	h := newCatalogHarness(t, db)
	c := h.shell.Screen
	shown := make(chan struct{}, 16)
	c.OnImageShown(func() { shown <- struct{}{} })
	h.shell.OnUI(func() { c.grid.Select(0) })
	select {
	case <-shown:
	case <-time.After(3 * time.Minute):
		t.Fatal("the product did not open")
	}
	var id int64
	var was string
	h.shell.OnUI(func() { id, was = c.detail.product.ID, c.detail.label.Selected })
	other := c.styles[0]
	if other.Name == was {
		other = c.styles[1]
	}
	if err := db.SetLabel(ctx, id, other.ID, "user"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	h.shell.OnUI(c.Reload)
	h.wait(t)
	deadline := time.Now().Add(time.Minute)
	for {
		var sel, history string
		h.shell.OnUI(func() { sel, history = c.detail.label.Selected, c.detail.history.Text })
		if sel == was && strings.Contains(history, other.Name+" by user (undone)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the undo and a reload the pane shows style %q and history %q; want %q and the undone label", sel, history, was)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
