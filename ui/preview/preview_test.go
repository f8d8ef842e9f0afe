package preview

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"stylestudio/engine/demo"
	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/internal/testkit/trainedlib"
	"stylestudio/store"
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

func trainedLibrary(t testing.TB) *store.DB { return trainedlib.Open(t) }

func TestMain(m *testing.M) { os.Exit(trainedlib.Main(m)) }

// previewHarness runs the shell headless on the preview screen and reports its stages.
type previewHarness struct {
	sh     *testShell
	s      *PreviewScreen
	stages chan string
	// at is what the screen held when each stage was reported (UI goroutine only): later stages may
	// already have replaced it by the time the test looks.
	at map[string]previewSnap
	// exported is the last batch export's outcome (UI goroutine only).
	exported ExportResult
}

type previewSnap struct {
	model, full, before bool
	width               int // of the stylized result
}

func newPreviewHarness(t *testing.T, db *store.DB) *previewHarness {
	t.Helper()
	sh := kittest.Open(t, db, kittest.Size, newTestShell, nil)
	h := &previewHarness{sh: sh, s: sh.Screen, stages: make(chan string, 256), at: map[string]previewSnap{}}
	Exported.On(sh.Deps.Events, func(r ExportResult) { h.exported = r })
	h.s.OnStage(func(st string) {
		snap := previewSnap{model: h.s.model != nil, full: h.s.full, before: h.s.compare.before != nil}
		if h.s.stylized != nil {
			snap.width = h.s.stylized.Bounds().Dx()
		}
		h.at[st] = snap
		kittest.SendLatest(h.stages, st)
	})
	sh.Start()
	sh.OnUI(func() { sh.ShowScreen("preview") })
	return h
}

// waitStage waits for the named stage (earlier ones are skipped).
func (h *previewHarness) waitStage(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(3 * time.Minute)
	for {
		select {
		case st := <-h.stages:
			if st == want {
				return
			}
		case <-deadline:
			t.Fatalf("preview never reached stage %q", want)
		}
	}
}

func (h *previewHarness) do(f func()) { h.sh.OnUI(f) }

func TestPreviewShowsPreviewSizeThenFullResolutionAndCompares(t *testing.T) {
	db := trainedLibrary(t)
	h := newPreviewHarness(t, db)
	h.waitStage(t, "preview")
	h.do(func() {
		// What the screen showed at the preview stage: on a fast machine the full-resolution result may
		// have replaced it by now.
		at := h.at["preview"]
		if !at.model || at.full {
			t.Fatalf("preview stage: model %v, full %v", at.model, at.full)
		}
		if at.width > 16 {
			t.Errorf("the first result should be preview size (16 px), got %d px", at.width)
		}
		if !at.before {
			t.Error("the original should show at once")
		}
	})
	h.waitStage(t, "full")
	h.do(func() {
		if !h.s.full {
			t.Fatal("full stage without the full-resolution result")
		}
		ob, ab := h.s.orig.Bounds(), h.s.compare.after.Rect
		if ab.Dx() != ob.Dx() || ab.Dy() != ob.Dy() {
			t.Fatalf("full result %v, original %v", ab, ob)
		}
		if !strings.Contains(h.s.status.Text, "full resolution") {
			t.Errorf("status %q", h.s.status.Text)
		}
		// The divider follows a drag that starts on it; elsewhere a drag pans (when zoomed).
		c := h.s.compare
		size := c.Size()
		dragBy(c, fyne.NewPos(size.Width/2, size.Height/2), -size.Width/4, 0)
		if d := c.Divider(); d > 0.3 || d < 0.2 {
			t.Errorf("divider at %.2f after dragging it a quarter to the left", d)
		}
		c.DragEnd()
		c.ZoomIn()
		c.ZoomIn()
		z := c.Zoom()
		x0, y0 := c.Center()
		dragBy(c, fyne.NewPos(size.Width*0.9, size.Height*0.9), -40, -30)
		c.DragEnd()
		x1, y1 := c.Center()
		if z <= 1 || x1 <= x0 || y1 <= y0 {
			t.Errorf("zoom %.2f; dragging up-left should move the view right and down: centre %.3f,%.3f -> %.3f,%.3f", z, x0, y0, x1, y1)
		}
		if d := c.Divider(); d > 0.3 {
			t.Errorf("a pan moved the divider to %.2f", d)
		}
		// Side by side draws both pictures with the same zoom and centre.
		h.s.mode.SetSelected("Side by side")
		if c.mode != modeSideBySide || c.Zoom() != z {
			t.Errorf("side by side: mode %v, zoom %.2f (was %.2f)", c.mode, c.Zoom(), z)
		}
		img := c.draw(400, 200)
		if img.Bounds().Dx() != 400 {
			t.Fatal("no picture drawn")
		}
		c.Fit()
		if x, y := c.Center(); c.Zoom() != 1 || x != 0.5 || y != 0.5 {
			t.Errorf("fit: zoom %.2f centre %.2f,%.2f", c.Zoom(), x, y)
		}
	})
}

func TestPreviewAdjustmentsAreRememberedPerStyle(t *testing.T) {
	db := trainedLibrary(t)
	h := newPreviewHarness(t, db)
	h.waitStage(t, "full")
	var styles []string
	h.do(func() {
		styles = h.s.model.Styles()
		// Strength 0 gives back the original.
		h.s.sliders["strength"].SetValue(0)
		h.s.sliders["brightness"].SetValue(20)
	})
	h.waitStage(t, "adjusted")
	h.do(func() {
		if h.s.adj.Strength != 0 || h.s.adj.Brightness != 20 {
			t.Fatalf("adjustments %+v", h.s.adj)
		}
		h.s.style.SetSelected(styles[1])
		if !h.s.adj.isDefault() || h.s.sliders["brightness"].Value != 0 {
			t.Errorf("a new style should start from the defaults, got %+v", h.s.adj)
		}
		h.s.style.SetSelected(styles[0])
		if h.s.adj.Brightness != 20 || h.s.sliders["brightness"].Value != 20 {
			t.Errorf("the first style's adjustments were not remembered: %+v", h.s.adj)
		}
	})
	// Strength 0 and no other change is the original picture.
	orig := testlib.DemoImage(t, 64)
	styl := image.NewNRGBA(orig.Bounds())
	out := applyAdjustments(orig, styl, adjustments{Strength: 0})
	if d := meanAbsDiff(out, kit.ToNRGBAImage(orig)); d > 1 {
		t.Errorf("strength 0 differs from the original by %.2f on average", d)
	}
}

func TestPreviewGridsShowAllStylesAndOneStyle(t *testing.T) {
	db := trainedLibrary(t)
	h := newPreviewHarness(t, db)
	h.waitStage(t, "full")
	var styles int
	h.do(func() {
		styles = len(h.s.model.Styles())
		h.s.tabs.SelectIndex(tabAllStyles)
	})
	h.waitStage(t, "all")
	h.do(func() {
		if n := len(h.s.allGrid.Objects); n != styles+1 {
			t.Errorf("all styles grid has %d cards, want the original and %d styles", n, styles)
		}
		// Tapping a style card opens it in the comparison.
		test.Tap(h.s.allGrid.Objects[2].(*gridCard))
		if h.s.tabs.SelectedIndex() != tabCompare || h.s.styleName != h.s.model.Styles()[1] {
			t.Errorf("tap: tab %d style %q", h.s.tabs.SelectedIndex(), h.s.styleName)
		}
		h.s.tabs.SelectIndex(tabOneStyle)
	})
	h.waitStage(t, "one")
	var target store.ProductRow
	h.do(func() {
		want := min(oneStyleGridSize, len(h.s.products))
		if n := len(h.s.oneGrid.Objects); n != want {
			t.Errorf("one style grid has %d cards, want %d", n, want)
		}
		// The product open on the Catalog screen is previewed, even when the search hides it.
		target = h.s.products[len(h.s.products)-1]
		h.s.CatalogSelection = func() int64 { return target.ID }
		h.s.search.SetText("no such product")
	})
	h.waitStage(t, "list")
	h.do(func() { test.Tap(h.s.fromCat) })
	for {
		h.waitStage(t, "list")
		var ok bool
		h.do(func() { ok = h.s.productID == target.ID })
		if ok {
			break
		}
	}
	h.do(func() {
		if h.s.search.Text != "" {
			t.Errorf("search %q should be cleared to show the catalog's product", h.s.search.Text)
		}
	})
}

func TestPreviewWithoutARunPointsToTrain(t *testing.T) {
	db := testlib.DemoLibrary(t, 20, 7)
	h := newPreviewHarness(t, db)
	h.waitStage(t, "model")
	h.do(func() {
		if h.s.mainBox.Visible() || !h.s.emptyBox.Visible() {
			t.Fatal("without a trained run the empty state should show")
		}
		if !strings.Contains(h.s.emptyText.Text, "Train screen") {
			t.Errorf("empty state text %q", h.s.emptyText.Text)
		}
		went := false
		h.s.GoTrain = func() { went = true } // the shell's navigation (ui: TestShellWiresTheScreens)
		b := kittest.FindButton(h.s.emptyBox, "Go to Train")
		if b == nil {
			t.Fatal("no Go to Train button in the empty state")
		}
		test.Tap(b)
		if !went {
			t.Error("Go to Train did not ask the shell to show Train")
		}
	})
}

func TestPreviewBatchExportWritesFilesVariantsAndFailures(t *testing.T) {
	db := trainedLibrary(t)
	ctx := context.Background()
	h := newPreviewHarness(t, db)
	h.waitStage(t, "full")
	var rows []store.ProductRow
	var opt exportOptions
	out := filepath.Join(t.TempDir(), "export")
	h.do(func() {
		rows = h.s.products[:6]
		opt = exportOptions{Dir: out, Style: h.s.model.Styles()[0], Format: "png", SideBySide: true, SaveVariants: true,
			RunID: h.s.runID, Adjust: adjustments{Strength: 0.8, Saturation: 10}}
	})
	// One product's image is damaged on disk: it fails, the rest export.
	if err := os.WriteFile(db.ObjectPath(rows[3].ImageHash), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.do(func() {
		if !h.s.startExport(opt, rows) {
			t.Fatal("export did not start")
		}
	})
	h.waitStage(t, "exported")
	h.do(func() {
		r := h.exported
		if r.Err != nil || r.Written != 5 || len(r.Failed) != 1 || r.Failed[0] != rows[3].SKU {
			t.Fatalf("export: %+v", r)
		}
	})
	files, _ := filepath.Glob(filepath.Join(out, "*.png"))
	sort.Strings(files)
	if len(files) != 10 {
		t.Fatalf("want 5 results and 5 comparisons, got %v", files)
	}
	for _, r := range []store.ProductRow{rows[0], rows[5]} {
		data, err := os.ReadFile(filepath.Join(out, r.SKU+".png"))
		if err != nil {
			t.Fatalf("result of %s: %v", r.SKU, err)
		}
		img, _, err := imaging.Decode(data, 0)
		if err != nil || img.Bounds().Dx() != demo.DefaultSize {
			t.Fatalf("result of %s is not a full-resolution image: %v", r.SKU, err)
		}
		if _, err := os.Stat(filepath.Join(out, r.SKU+"-compare.png")); err != nil {
			t.Errorf("no comparison for %s", r.SKU)
		}
	}
	vs, err := db.VariantsForRun(ctx, opt.RunID)
	if err != nil || len(vs) != 5 {
		t.Fatalf("variants: %d, %v", len(vs), err)
	}

	// JPEG with a quality setting, for one product.
	jopt := opt
	jopt.Format, jopt.Quality, jopt.SideBySide, jopt.SaveVariants = "jpeg", 70, false, false
	jopt.Dir = filepath.Join(t.TempDir(), "jpeg")
	sum, err := runExport(ctx, db, mustModel(t, h), rows[:1], jopt, nil, nil)
	if err != nil || sum.Written != 1 {
		t.Fatalf("jpeg export: %+v %v", sum, err)
	}
	if data, err := os.ReadFile(filepath.Join(jopt.Dir, rows[0].SKU+".jpg")); err != nil || len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		t.Fatalf("no JPEG written: %v", err)
	}
}

// dragBy drags d from pos by (dx, dy) in a few moves, as a pointer would.
func dragBy(d fyne.Draggable, pos fyne.Position, dx, dy float32) {
	const moves = 4
	for i := 1; i <= moves; i++ {
		p := fyne.NewPos(pos.X+dx*float32(i)/moves, pos.Y+dy*float32(i)/moves)
		d.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p}, Dragged: fyne.NewDelta(dx/moves, dy/moves)})
	}
	d.DragEnd()
}

func mustModel(t *testing.T, h *previewHarness) *gan.Model {
	var m *gan.Model
	h.do(func() { m = h.s.model })
	if m == nil {
		t.Fatal("no model")
	}
	return m
}

func TestPreviewBatchExportCancel(t *testing.T) {
	db := trainedLibrary(t)
	h := newPreviewHarness(t, db)
	h.waitStage(t, "full")
	reached := make(chan struct{})
	goOn := make(chan struct{})
	var rows []store.ProductRow
	var opt exportOptions
	out := filepath.Join(t.TempDir(), "export")
	h.do(func() {
		rows = h.s.products[:20]
		opt = exportOptions{Dir: out, Style: h.s.model.Styles()[1], Format: "png", SaveVariants: true, RunID: h.s.runID, Adjust: defaultAdjustments()}
		before := func(i int) {
			if i == 2 {
				close(reached)
				<-goOn
			}
		}
		if !h.s.startExportWith(opt, rows, before) {
			t.Fatal("export did not start")
		}
		if h.s.exportBtn.Disabled() == false {
			t.Error("Export should be disabled while a batch runs")
		}
	})
	<-reached
	h.do(func() {
		if !h.sh.Deps.Jobs.Busy() {
			t.Fatal("the job panel shows no job")
		}
		h.sh.Deps.Jobs.Cancel() // what its Cancel button does
	})
	close(goOn)
	h.waitStage(t, "exported")
	h.do(func() {
		r := h.exported
		if !errors.Is(r.Err, context.Canceled) || r.Written != 2 {
			t.Fatalf("cancelled export: %+v", r)
		}
		if h.s.exportBtn.Disabled() {
			t.Error("Export should be enabled again")
		}
		if !strings.Contains(h.s.status.Text, "Cancelled after 2 of 20") {
			t.Errorf("status %q", h.s.status.Text)
		}
	})
	files, _ := filepath.Glob(filepath.Join(out, "*.png"))
	if len(files) != 2 {
		t.Errorf("cancel after 2 products left %d files", len(files))
	}
}

func meanAbsDiff(a, b *image.NRGBA) float64 {
	if a.Rect.Size() != b.Rect.Size() {
		return 255
	}
	var sum float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return sum / float64(len(a.Pix))
}

// Ticking products in the list makes the batch export only those, across searches and recycled rows.
func TestPreviewBatchExportsTickedProducts(t *testing.T) {
	db := trainedLibrary(t)
	h := newPreviewHarness(t, db)
	h.waitStage(t, "full")
	var want []store.ProductRow
	out := filepath.Join(t.TempDir(), "ticked")
	h.do(func() {
		s := h.s
		row := s.list.CreateItem()
		check := func() *widget.Check { return row.(*fyne.Container).Objects[1].(*widget.Check) }
		for _, i := range []int{4, 1} {
			s.list.UpdateItem(i, row)
			test.Tap(check())
			want = append(want, s.products[i])
		}
		// The same row object now shows an unticked product: it must not untick or tick anything.
		s.list.UpdateItem(7, row)
		if check().Checked {
			t.Error("a recycled row kept the previous product's tick")
		}
		if len(s.marked) != 2 || !strings.Contains(s.markInfo.Text, "2 ticked") {
			t.Fatalf("marked %d, info %q", len(s.marked), s.markInfo.Text)
		}
		e := s.newExportForm()
		if e.scope.Selected != "The 2 ticked products" {
			t.Fatalf("export scope %q, want the ticked products first", e.scope.Selected)
		}
		rows := e.rows(s)
		if len(rows) != 2 {
			t.Fatalf("export rows %d", len(rows))
		}
		opt := exportOptions{Dir: out, Style: s.model.Styles()[0], Format: "png", RunID: s.runID, Adjust: defaultAdjustments()}
		if !s.startExport(opt, rows) {
			t.Fatal("export did not start")
		}
	})
	h.waitStage(t, "exported")
	files, _ := filepath.Glob(filepath.Join(out, "*.png"))
	if len(files) != 2 {
		t.Fatalf("ticked 2 products, exported %v", files)
	}
	for _, p := range want {
		if _, err := os.Stat(filepath.Join(out, p.SKU+".png")); err != nil {
			t.Errorf("no file for ticked %s", p.SKU)
		}
	}
	h.do(func() {
		h.s.ClearMarks()
		if len(h.s.marked) != 0 || !h.s.clearMarks.Disabled() {
			t.Error("Clear left products ticked")
		}
	})
}

// Preview names the checkpoint it shows, and says when the run has later ones that validated worse.
func TestCheckpointLabel(t *testing.T) {
	if got := checkpointLabel(2000, 2000); got != "step 2000" {
		t.Errorf("latest checkpoint: %q", got)
	}
	if got := checkpointLabel(1750, 2000); got != "step 1750 (best on validation; latest checkpoint 2000)" {
		t.Errorf("an earlier best checkpoint: %q", got)
	}
}
