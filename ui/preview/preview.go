package preview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/dataset"
	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/store"
	"stylestudio/ui/kit"
)

const (
	previewListLimit = 5000 // products listed (search narrows it)
	oneStyleGridSize = 24   // products in the "One style" grid
)

// Preview tab indexes.
const (
	tabCompare = iota
	tabAllStyles
	tabOneStyle
)

// PreviewScreen restyles products with a trained run: pick a product and a style and the result shows
// at once at the model's size, then at full resolution; compare it with the original (draggable
// divider or side by side, zoom and pan in sync), see one product in every style or many products in
// one style, adjust the result (remembered per style), and export a batch.
type PreviewScreen struct {
	deps kit.Deps
	root fyne.CanvasObject

	CatalogSelection func() int64 // the product open on the Catalog screen (0: none); set by the shell
	GoTrain          func()       // shows the Train screen; set by the shell
	VariantsChanged  func()       // variants were saved (the Feed reloads); set by the shell

	runSelect  *widget.Select
	modelInfo  *widget.Label
	modelEval  *kit.EvalLines // the run's evaluation, under the model's line
	search     *widget.Entry
	category   *widget.Select
	list       *widget.List
	count      *widget.Label
	fromCat    *widget.Button
	style      *widget.Select
	tabs       *container.AppTabs
	compare    *beforeAfter
	mode       *widget.RadioGroup
	zoomLabel  *widget.Label
	status     *widget.Label
	allGrid    *fyne.Container
	allNote    *widget.Label
	oneGrid    *fyne.Container
	oneNote    *widget.Label
	sliders    map[string]*widget.Slider
	values     map[string]*widget.Label
	adjustNote *widget.Label
	exportBtn  *widget.Button
	markInfo   *widget.Label
	clearMarks *widget.Button
	emptyTitle *widget.Label
	emptyText  *widget.Label
	emptyBox   fyne.CanvasObject
	mainBox    fyne.CanvasObject
	stack      *fyne.Container

	// UI goroutine only.
	runs        []store.Run // runs with a checkpoint
	runID       int64
	model       *gan.Model
	modelOf     int // the run's StepsDone when its model was loaded: a run trained further is reloaded
	modelReq    kit.Latest
	products    []store.ProductRow
	marked      map[int64]store.ProductRow // products ticked for the batch, kept across searches
	queryReq    kit.Latest
	productID   int64
	pendingPick int64
	styleName   string
	adj         adjustments
	orig        image.Image // the selected product at full resolution
	origID      int64
	stylized    image.Image // the result before adjustments (preview size, then full resolution)
	full        bool        // stylized is the full-resolution result
	cancelWork  context.CancelFunc
	workReq     kit.Latest
	adjReq      kit.Latest
	gridReq     kit.Latest
	settingAdj  bool
	debounce    *time.Timer

	// Counterparts (pairs.go); UI goroutine only.
	compareWith *widget.RadioGroup
	compareRow  *fyne.Container
	pairNote    *widget.Label
	compareHelp *widget.Label
	comparePane *fyne.Container // laid out again when the note or the choice shows or hides
	pairReq     kit.Latest
	realReq     kit.Latest
	pairs       map[string]store.ProductRow // the product's real drawings in other styles, by style
	pairsOf     int64                       // the product pairs belong to
	trained     map[int64]bool              // the products the run trained on (empty: not recorded)
	trainedOf   int64                       // the run trained belongs to
	real        image.Image                 // the last real drawing decoded
	realID      int64                       // its product
	realShown   bool                        // real is on the left instead of the original
}

// NewPreviewScreen builds the screen; Start loads it.
func NewPreviewScreen(deps kit.Deps) *PreviewScreen {
	s := &PreviewScreen{deps: deps, adj: defaultAdjustments(), sliders: map[string]*widget.Slider{}, values: map[string]*widget.Label{},
		marked: map[int64]store.ProductRow{}}
	s.runSelect = widget.NewSelect(nil, func(name string) { s.runChosen(name) })
	s.runSelect.PlaceHolder = "Choose a trained run"
	s.modelInfo = widget.NewLabel("")
	s.modelInfo.Truncation = fyne.TextTruncateEllipsis
	s.modelEval = kit.NewEvalLines()
	s.modelEval.SetLines()

	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search SKU or title")
	s.search.OnChanged = func(string) { s.queryProductsSoon() }
	s.category = widget.NewSelect([]string{kit.AllCategories}, nil)
	s.category.SetSelected(kit.AllCategories)
	s.category.OnChanged = func(string) { s.queryProducts() }
	s.count = widget.NewLabel("")
	s.list = widget.NewList(
		func() int { return len(s.products) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("Product title · SKU")
			l.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, widget.NewCheck("", nil), nil, l)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(s.products) {
				return
			}
			p := s.products[id]
			text := p.Title + " · " + p.SKU
			if p.Style != "" {
				text += " · " + p.Style
			}
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Label).SetText(text)
			check := row.Objects[1].(*widget.Check)
			check.OnChanged = nil // a recycled row: set its state without marking anything
			_, on := s.marked[p.ID]
			check.SetChecked(on)
			check.OnChanged = func(on bool) { s.setMarked(p, on) }
		},
	)
	s.list.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(s.products) && s.products[id].ID != s.productID {
			s.productID = s.products[id].ID
			s.productChanged()
		}
	}
	s.fromCat = widget.NewButtonWithIcon("Product open in Catalog", theme.GridIcon(), s.useCatalogSelection)
	s.markInfo = widget.NewLabel("")
	s.markInfo.Truncation = fyne.TextTruncateEllipsis
	s.clearMarks = widget.NewButton("Clear", s.ClearMarks)

	s.style = widget.NewSelect(nil, func(name string) { s.styleChosen(name) })
	s.style.PlaceHolder = "Style"
	s.compare = newBeforeAfter()
	s.compare.SetEmptyText("Pick a product on the left.")
	s.zoomLabel = widget.NewLabel("Fit")
	s.compare.onZoom = func(z float64) { s.zoomLabel.SetText(zoomText(z)) }
	// The help line says what the mode on show does, and wraps rather than losing its end.
	s.compareHelp = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	s.compareHelp.Wrapping = fyne.TextWrapWord
	s.mode = widget.NewRadioGroup([]string{"Divider", "Side by side"}, func(m string) {
		if m == "Side by side" {
			s.compare.SetMode(modeSideBySide)
		} else {
			s.compare.SetMode(modeDivider)
		}
		s.setHelp()
	})
	s.mode.Horizontal = true
	s.mode.Required = true
	s.mode.SetSelected("Divider")
	s.status = widget.NewLabel("")
	s.status.Truncation = fyne.TextTruncateEllipsis
	zoomOut := widget.NewButtonWithIcon("", theme.ZoomOutIcon(), s.compare.ZoomOut)
	zoomIn := widget.NewButtonWithIcon("", theme.ZoomInIcon(), s.compare.ZoomIn)
	fit := widget.NewButtonWithIcon("", theme.ZoomFitIcon(), s.compare.Fit)
	compareBar := container.NewHBox(s.mode, widget.NewSeparator(), zoomOut, s.zoomLabel, zoomIn, fit)
	s.compareWith = widget.NewRadioGroup([]string{compareOriginal, compareReal}, nil)
	s.compareWith.Horizontal = true
	s.compareWith.Required = true
	s.compareWith.SetSelected(compareOriginal)
	s.compareWith.OnChanged = func(string) { s.updatePairs() }
	s.compareRow = container.NewHBox(widget.NewLabel("Compare with"), s.compareWith)
	s.compareRow.Hide()
	s.pairNote = widget.NewLabel("")
	s.pairNote.Wrapping = fyne.TextWrapWord
	s.pairNote.Hide()
	comparePane := container.NewBorder(compareBar, container.NewVBox(s.compareRow, s.pairNote, s.compareHelp, s.status), nil, nil, s.compare)
	s.comparePane = comparePane

	s.allGrid = container.NewGridWrap(fyne.NewSize(170, 200))
	s.allNote = widget.NewLabel("One product in every style. Tap a style to compare it.")
	s.allNote.Wrapping = fyne.TextWrapWord // a long title must not widen the window
	s.oneGrid = container.NewGridWrap(fyne.NewSize(170, 200))
	s.oneNote = widget.NewLabel("")
	s.oneNote.Wrapping = fyne.TextWrapWord
	allPane := container.NewBorder(s.allNote, nil, nil, nil, container.NewVScroll(s.allGrid))
	onePane := container.NewBorder(s.oneNote, nil, nil, nil, container.NewVScroll(s.oneGrid))
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Before / after", comparePane),
		container.NewTabItem("All styles", allPane),
		container.NewTabItem("One style", onePane),
	)
	s.tabs.OnSelected = func(*container.TabItem) { s.refreshGrids() }

	adjust := s.buildAdjustments()
	s.exportBtn = widget.NewButtonWithIcon("Export batch…", theme.DownloadIcon(), s.showExport)
	s.exportBtn.Importance = widget.HighImportance

	left := container.NewBorder(
		container.NewVBox(s.search, s.category, s.fromCat),
		container.NewVBox(s.count, container.NewBorder(nil, nil, nil, s.clearMarks, s.markInfo)), nil, nil, s.list)
	right := container.NewVScroll(container.NewVBox(adjust, widget.NewSeparator(),
		widget.NewLabelWithStyle("Batch", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel("Restyle the products ticked on the left (or\nall listed) at full resolution and save them."), s.exportBtn))
	s.updateMarkInfo()
	top := container.NewBorder(nil, nil, widget.NewLabel("Model"), nil,
		container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(260, s.runSelect.MinSize().Height), s.runSelect),
			container.NewHBox(widget.NewLabel("Style"), container.NewGridWrap(fyne.NewSize(170, s.style.MinSize().Height), s.style)), s.modelInfo))
	top = container.NewVBox(top, s.modelEval.Box)
	center := container.NewHSplit(left, container.NewBorder(nil, nil, nil, container.NewPadded(right), s.tabs))
	center.Offset = 0.24
	s.mainBox = container.NewBorder(container.NewPadded(top), nil, nil, nil, center)

	s.emptyTitle = widget.NewLabelWithStyle("No trained model yet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	s.emptyText = widget.NewLabelWithStyle("Preview restyles your products with a model trained on your labels.\n"+
		"Train one on the Train screen: its Quick preview preset is the fastest, and it shows how long each preset takes on this machine.", fyne.TextAlignCenter, fyne.TextStyle{})
	goTrain := widget.NewButtonWithIcon("Go to Train", theme.MediaPlayIcon(), func() {
		if s.GoTrain != nil {
			s.GoTrain()
		}
	})
	goTrain.Importance = widget.HighImportance
	s.emptyBox = container.NewCenter(container.NewVBox(s.emptyTitle, s.emptyText, container.NewCenter(goTrain)))
	s.stack = container.NewStack(s.emptyBox, s.mainBox)
	s.mainBox.Hide()
	s.emptyTitle.SetText("Looking for a trained model…")
	s.root = s.stack
	s.setControls()
	return s
}

// Object is the screen's widget tree.
func (s *PreviewScreen) Object() fyne.CanvasObject { return s.root }

// Start does nothing: the screen loads when it is first shown, so it costs nothing at the app's start.
func (s *PreviewScreen) Start() {}

// Shown re-reads the runs (one may have finished or been marked) and the products (an import may have
// added some), and picks up the product open on the Catalog screen.
func (s *PreviewScreen) Shown() {
	s.loadRuns()
	if id := s.catalogProduct(); id != 0 && id != s.productID {
		s.pendingPick = id
	}
	s.queryProducts()
}

func (s *PreviewScreen) catalogProduct() int64 {
	if s.CatalogSelection == nil {
		return 0
	}
	return s.CatalogSelection()
}

func (s *PreviewScreen) stage(name string) { Stage.Emit(s.deps.Events, name) }

func zoomText(z float64) string {
	if z <= 1.001 {
		return "Fit"
	}
	return fmt.Sprintf("%.0f%%", 100*z)
}

// ---- adjustments ----

type adjustSpec struct {
	key, label string
	min, max   float64
	get        func(*adjustments) *float64
	scale      float64 // slider value × scale = adjustment
	format     func(float64) string
}

func adjustSpecs() []adjustSpec {
	pct := func(v float64) string { return fmt.Sprintf("%+.0f", v) }
	return []adjustSpec{
		{"strength", "Strength", 0, 100, func(a *adjustments) *float64 { return &a.Strength }, 0.01, func(v float64) string { return fmt.Sprintf("%.0f%%", v) }},
		{"brightness", "Brightness", -50, 50, func(a *adjustments) *float64 { return &a.Brightness }, 1, pct},
		{"contrast", "Contrast", -50, 50, func(a *adjustments) *float64 { return &a.Contrast }, 1, pct},
		{"saturation", "Saturation", -100, 100, func(a *adjustments) *float64 { return &a.Saturation }, 1, pct},
		{"sharpen", "Sharpen", 0, 100, func(a *adjustments) *float64 { return &a.Sharpen }, 0.01, func(v float64) string { return fmt.Sprintf("%.0f", v) }},
	}
}

func (s *PreviewScreen) buildAdjustments() fyne.CanvasObject {
	form := widget.NewForm()
	for _, sp := range adjustSpecs() {
		sp := sp
		sl := widget.NewSlider(sp.min, sp.max)
		sl.Step = 1
		val := widget.NewLabel("")
		sl.OnChanged = func(v float64) {
			val.SetText(sp.format(v))
			if s.settingAdj {
				return
			}
			*sp.get(&s.adj) = v * sp.scale
			s.adjustmentsChanged(false)
		}
		sl.OnChangeEnded = func(float64) {
			if !s.settingAdj {
				s.adjustmentsChanged(true)
			}
		}
		s.sliders[sp.key], s.values[sp.key] = sl, val
		form.Append(sp.label, container.NewBorder(nil, nil, nil, container.NewGridWrap(fyne.NewSize(44, sl.MinSize().Height), val), sl))
	}
	s.adjustNote = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	s.adjustNote.Wrapping = fyne.TextWrapWord
	reset := widget.NewButtonWithIcon("Reset", theme.ContentUndoIcon(), func() {
		s.adj = defaultAdjustments()
		s.setSliders()
		s.adjustmentsChanged(true)
	})
	s.setSliders()
	return container.NewVBox(container.NewBorder(nil, nil, widget.NewLabelWithStyle("Adjustments", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), reset),
		form, s.adjustNote)
}

// setSliders shows s.adj on the sliders without treating it as a change.
func (s *PreviewScreen) setSliders() {
	s.settingAdj = true
	for _, sp := range adjustSpecs() {
		v := *sp.get(&s.adj) / sp.scale
		s.sliders[sp.key].SetValue(v)
		s.values[sp.key].SetText(sp.format(v))
	}
	s.settingAdj = false
	if s.styleName != "" {
		s.adjustNote.SetText("Remembered for " + s.styleName + ".")
	}
}

// adjustmentsChanged remembers the style's adjustments and redraws; ended is the end of a drag (the
// grids redraw then, not on every move).
func (s *PreviewScreen) adjustmentsChanged(ended bool) {
	if s.styleName != "" {
		saveAdjustments(s.prefs(), s.styleName, s.adj)
	}
	s.showAdjusted()
	if ended {
		s.refreshGrids()
	}
}

func (s *PreviewScreen) prefs() fyne.Preferences {
	if a := fyne.CurrentApp(); a != nil {
		return a.Preferences()
	}
	return nil
}

// showAdjusted applies the adjustments to the current result (off the UI goroutine; the newest wins).
func (s *PreviewScreen) showAdjusted() {
	if s.stylized == nil {
		return
	}
	gen := s.adjReq.Next() // an adjustment still computing must not replace this one
	if s.adj.isDefault() {
		s.compare.SetAfter(s.stylized)
		s.stage("adjusted")
		return
	}
	orig, styl, adj := s.orig, s.stylized, s.adj
	go func() {
		out := applyAdjustments(orig, styl, adj)
		s.deps.Do(func() {
			if gen.Current() {
				s.compare.SetAfter(out)
				s.stage("adjusted")
			}
		})
	}()
}

// ---- runs and the model ----

// loadRuns lists the runs with a checkpoint and picks the one to use: the active run, else the newest
// finished one, else the newest with a checkpoint.
func (s *PreviewScreen) loadRuns() {
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		all, err := db.Runs(ctx)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if err != nil {
				s.showEmpty("Could not read the training runs", err.Error())
				return
			}
			s.applyRuns(all)
		})
	}()
}

// pickRun is the run Preview uses by default.
func pickRun(runs []store.Run) (store.Run, bool) {
	for _, r := range runs {
		if r.Active && r.StepsDone > 0 {
			return r, true
		}
	}
	for _, r := range runs { // newest first
		if r.Status == store.RunFinished && r.StepsDone > 0 {
			return r, true
		}
	}
	for _, r := range runs {
		if r.StepsDone > 0 {
			return r, true
		}
	}
	return store.Run{}, false
}

func runOption(r store.Run) string {
	// The steps it trained, not the checkpoint shown: that is the best validated one (the label
	// under the picker says which).
	s := fmt.Sprintf("%s (%s, %d steps)", r.Name, r.Status, r.StepsDone)
	if r.Active {
		s = "★ " + s
	}
	return s
}

func (s *PreviewScreen) applyRuns(all []store.Run) {
	s.runs = nil
	var opts []string
	for _, r := range all {
		if r.StepsDone > 0 {
			s.runs = append(s.runs, r)
			opts = append(opts, runOption(r))
		}
	}
	def, ok := pickRun(all)
	if !ok {
		s.model, s.runID = nil, 0
		s.showEmpty("No trained model yet", "Preview restyles your products with a model trained on your labels.\n"+
			"Train one on the Train screen: its Quick preview preset is the fastest, and it shows how long each preset takes on this machine.")
		s.stage("model")
		return
	}
	s.runSelect.Options = opts
	choose := def
	for _, r := range s.runs {
		if r.ID == s.runID && !(def.Active && r.ID != def.ID) {
			choose = r // keep the person's choice unless another run was marked for Preview & Feed
		}
	}
	s.runSelect.SetSelected(runOption(choose)) // loads the model if it changed
	s.runSelect.Refresh()
}

func (s *PreviewScreen) runChosen(opt string) {
	for _, r := range s.runs {
		if runOption(r) != opt {
			continue
		}
		if r.ID == s.runID && s.model != nil && s.modelOf == r.StepsDone {
			return
		}
		s.loadModel(r)
	}
}

// loadModel loads a run's model in the background: its best checkpoint on the validation split, or its
// latest where none was validated (studio.RunModel).
func (s *PreviewScreen) loadModel(r store.Run) {
	gen, lib := s.modelReq.Next(), s.deps.DB.Dir()
	s.runID = r.ID
	s.modelInfo.SetText("Loading " + r.Name + "…")
	s.modelEval.SetLines()
	go func() {
		m, err := studio.RunModel(lib, r)
		s.deps.Do(func() {
			if !gen.Current() {
				return
			}
			if err != nil {
				s.model = nil
				s.showEmpty("The model of "+r.Name+" cannot be used", err.Error()+"\nResume or retrain it on the Train screen, or choose another run.")
				s.stage("model")
				return
			}
			s.model, s.modelOf = m, r.StepsDone
			s.showMain()
			s.modelInfo.SetText(fmt.Sprintf("%s · %s · %d px", r.Name, checkpointLabel(m.Step(), m.LatestStep()), m.Size()) + s.modelEval.Set(r.MetricsJSON))
			styles := m.Styles()
			s.style.Options = styles
			pick := styles[0]
			for _, st := range styles {
				if st == s.styleName {
					pick = st
				}
			}
			s.styleName = ""
			s.style.SetSelected(pick) // styleChosen recomputes
			s.style.Refresh()
			s.loadPairs() // what this run trained on
			s.setControls()
			s.stage("model")
		})
	}()
}

// checkpointLabel names the checkpoint Preview shows: "step N", and where the run has later checkpoints
// than its best validated one, says so (they scored lower on the validation products).
func checkpointLabel(step, latest int) string {
	if step >= latest {
		return fmt.Sprintf("step %d", step)
	}
	return fmt.Sprintf("step %d (best on validation; latest checkpoint %d)", step, latest)
}

func (s *PreviewScreen) showEmpty(title, text string) {
	s.emptyTitle.SetText(title)
	s.emptyText.SetText(text)
	s.mainBox.Hide()
	s.emptyBox.Show()
	s.setControls()
}

// setHelp says what the comparison on show does: the divider, or which picture is on which side.
func (s *PreviewScreen) setHelp() {
	const zoom = " · scroll or the buttons to zoom (both sides follow)"
	if s.mode.Selected != "Side by side" {
		s.compareHelp.SetText("Drag the divider to compare · drag elsewhere to pan" + zoom)
		return
	}
	left := "Before"
	if s.realShown {
		left = "The real drawing"
	}
	s.compareHelp.SetText(left + " on the left, after on the right · drag to pan" + zoom)
}

func (s *PreviewScreen) showMain() {
	s.emptyBox.Hide()
	s.mainBox.Show()
}

func (s *PreviewScreen) setControls() {
	if s.model != nil && len(s.products) > 0 && !s.deps.Jobs.Busy() {
		s.exportBtn.Enable()
	} else {
		s.exportBtn.Disable()
	}
}

func (s *PreviewScreen) styleChosen(name string) {
	if name == "" || name == s.styleName {
		return
	}
	s.styleName = name
	s.adj = loadAdjustments(s.prefs(), name)
	s.setSliders()
	s.recompute()
	s.updatePairs()
	s.refreshGrids()
}

// ---- products ----

func (s *PreviewScreen) queryProductsSoon() {
	if s.debounce != nil {
		s.debounce.Stop()
	}
	s.debounce = time.AfterFunc(150*time.Millisecond, func() { s.deps.Do(s.queryProducts) })
}

func (s *PreviewScreen) filter() store.ProductFilter {
	f := store.ProductFilter{Search: s.search.Text, Limit: previewListLimit}
	if c := s.category.Selected; c != "" && c != kit.AllCategories {
		f.Category = c
	}
	return f
}

// queryProducts lists the products matching the search (in the background; the newest query wins).
func (s *PreviewScreen) queryProducts() {
	gen, f, db, ctx := s.queryReq.Next(), s.filter(), s.deps.DB, s.deps.Ctx
	go func() {
		rows, err := db.Products(ctx, f)
		cats, cerr := db.Categories(ctx)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if !gen.Current() {
				return
			}
			if err == nil {
				err = cerr
			}
			if err != nil {
				s.count.SetText("Could not read the catalog: " + err.Error())
				return
			}
			s.applyProducts(rows, cats)
		})
	}()
}

func (s *PreviewScreen) applyProducts(rows []store.ProductRow, cats []string) {
	s.category.Options = append([]string{kit.AllCategories}, cats...)
	s.products = rows
	s.list.Refresh()
	switch len(rows) {
	case 0:
		s.count.SetText("No products match")
	case 1:
		s.count.SetText("1 product")
	default:
		s.count.SetText(fmt.Sprintf("%d products", len(rows)))
	}
	want := s.pendingPick
	if want == 0 {
		want = s.productID
	}
	found := -1
	for i, r := range rows {
		if r.ID == want {
			found = i
		}
	}
	if found < 0 && s.pendingPick != 0 && (s.search.Text != "" || s.category.Selected != kit.AllCategories) {
		// The product to show is filtered out: clear the filters and pick it when the list is back.
		s.search.SetText("")
		s.category.SetSelected(kit.AllCategories)
		s.queryProducts()
		return
	}
	switch {
	case found >= 0:
		s.list.Select(found)
		s.list.ScrollTo(found)
	case s.productID == 0 && len(rows) > 0:
		s.list.Select(0)
	}
	s.pendingPick = 0
	s.setControls()
	s.refreshGrids()
	s.stage("list")
}

// useCatalogSelection previews the product open on the Catalog screen.
func (s *PreviewScreen) useCatalogSelection() {
	if s.CatalogSelection == nil {
		return
	}
	id := s.CatalogSelection()
	if id == 0 || id == s.productID {
		return
	}
	for i, r := range s.products {
		if r.ID == id {
			s.list.Select(i)
			s.list.ScrollTo(i)
			return
		}
	}
	s.pendingPick = id // applyProducts clears the filters if it is filtered out
	s.queryProducts()
}

func (s *PreviewScreen) productChanged() {
	s.compare.Fit()
	s.recompute()
	s.loadPairs()
	s.refreshGrids()
}

func (s *PreviewScreen) currentProduct() (store.ProductRow, bool) {
	for _, r := range s.products {
		if r.ID == s.productID {
			return r, true
		}
	}
	return store.ProductRow{}, false
}

// ---- stylizing ----

// recompute stylizes the selected product in the selected style: the preview-size result first, then
// the full resolution. A newer selection cancels the older work: results that arrive late are dropped,
// and the full-resolution pass does not start once cancelled.
func (s *PreviewScreen) recompute() {
	if s.cancelWork != nil {
		s.cancelWork()
	}
	p, ok := s.currentProduct()
	if s.model == nil || !ok || s.styleName == "" {
		return
	}
	ctx, cancel := context.WithCancel(s.deps.Ctx)
	s.cancelWork = cancel
	gen, m, style, db := s.workReq.Next(), s.model, s.styleName, s.deps.DB
	orig, origID := s.orig, s.origID
	s.full = false
	s.status.SetText("Stylizing " + p.Title + " in " + style + "…")
	if origID != p.ID {
		s.stylized = nil
		s.compare.SetImages(nil, nil)
		s.compare.SetEmptyText("Loading " + p.Title + "…")
	}
	go func() {
		fail := func(err error) {
			s.deps.Do(func() {
				if gen.Current() {
					s.status.SetText("Cannot preview " + p.SKU + ": " + err.Error())
					s.compare.SetImages(nil, nil)
					s.compare.SetEmptyText("This product cannot be previewed: " + err.Error())
				}
			})
		}
		if origID != p.ID || orig == nil {
			var err error
			if orig, err = readPicture(db, p.ImageHash); err != nil {
				fail(err)
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		low, err := m.Preview(orig, style)
		if err != nil {
			fail(err)
			return
		}
		b := orig.Bounds()
		crop := cropPreview(low, b.Dx(), b.Dy())
		s.deps.Do(func() {
			if !gen.Current() {
				return
			}
			if s.origID != p.ID {
				s.orig, s.origID = orig, p.ID
				s.compare.SetImages(s.beforeImage(), nil)
			}
			s.stylized = crop
			s.status.SetText(fmt.Sprintf("Preview at %d px · computing the full resolution (%d×%d)…", m.Size(), b.Dx(), b.Dy()))
			s.showAdjusted()
			s.stage("preview")
		})
		if ctx.Err() != nil {
			return
		}
		full, err := m.FullRes(orig, style)
		if err != nil {
			fail(err)
			return
		}
		s.deps.Do(func() {
			if !gen.Current() {
				return
			}
			s.stylized, s.full = full, true
			s.status.SetText(fmt.Sprintf("%s in %s · full resolution %d×%d", p.Title, style, b.Dx(), b.Dy()))
			s.showAdjusted()
			s.stage("full")
		})
	}()
}

// readPicture decodes a product's stored original whole, as Preview compares and stylizes it.
func readPicture(db *store.DB, hash string) (image.Image, error) {
	if hash == "" {
		return nil, errors.New("it has no image")
	}
	data, err := db.ReadObject(hash)
	if err != nil {
		return nil, err
	}
	img, _, err := imaging.Decode(data, 0)
	return img, err
}

// ---- grids ----

// gridCard is a picture with a caption that reacts to a tap.
type gridCard struct {
	widget.BaseWidget
	img   *canvas.Image
	label *widget.Label
	onTap func()
}

func newGridCard(img image.Image, caption string, onTap func()) *gridCard {
	c := &gridCard{img: canvas.NewImageFromImage(img), label: widget.NewLabelWithStyle(caption, fyne.TextAlignCenter, fyne.TextStyle{}), onTap: onTap}
	c.img.FillMode = canvas.ImageFillContain
	c.img.ScaleMode = canvas.ImageScaleSmooth
	c.label.Truncation = fyne.TextTruncateEllipsis
	c.ExtendBaseWidget(c)
	return c
}

func (c *gridCard) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = 4
	return widget.NewSimpleRenderer(container.NewBorder(nil, c.label, nil, nil, container.NewStack(bg, container.NewPadded(c.img))))
}

func (c *gridCard) Tapped(*fyne.PointEvent) {
	if c.onTap != nil {
		c.onTap()
	}
}

// thumbFor decodes a product's catalog thumbnail (enough for preview-size grids).
func thumbFor(ctx context.Context, db *store.DB, hash string) (image.Image, error) {
	data, err := db.Thumb(ctx, hash)
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(data))
}

// refreshGrids redraws the grid tab on show.
func (s *PreviewScreen) refreshGrids() {
	switch s.tabs.SelectedIndex() {
	case tabAllStyles:
		s.drawAllStyles()
	case tabOneStyle:
		s.drawOneStyle()
	}
}

// drawAllStyles shows the selected product in every style of the model (preview size, each style
// with its remembered adjustments).
func (s *PreviewScreen) drawAllStyles() {
	p, ok := s.currentProduct()
	if s.model == nil || !ok {
		return
	}
	gen, m, db, ctx, prefs := s.gridReq.Next(), s.model, s.deps.DB, s.deps.Ctx, s.prefs()
	s.allNote.SetText(p.Title + " in every style · tap one to compare it")
	go func() {
		thumb, err := thumbFor(ctx, db, p.ImageHash)
		var outs []*image.NRGBA
		styles := m.Styles()
		reals := realThumbs(ctx, db, p.ID, styles)
		if err == nil {
			imgs := make([]image.Image, len(styles))
			idx := make([]int, len(styles))
			for i := range styles {
				imgs[i], idx[i] = thumb, i
			}
			outs, err = m.PreviewBatch(imgs, idx)
		}
		cards := make([]image.Image, len(outs))
		for i, o := range outs {
			b := thumb.Bounds()
			cards[i] = applyAdjustments(thumb, cropPreview(o, b.Dx(), b.Dy()), loadAdjustments(prefs, styles[i]))
		}
		s.deps.Do(func() {
			if !gen.Current() {
				return
			}
			s.allGrid.Objects = nil
			if err != nil {
				s.allNote.SetText("Cannot preview " + p.SKU + ": " + err.Error())
			} else {
				// Where the catalog has the item's own drawings, each translation sits beside the real
				// drawing in its style, in one cell, so the two are always next to each other.
				cell := fyne.NewSize(170, 200)
				if len(reals) > 0 {
					cell = fyne.NewSize(2*130+theme.Padding(), 170)
					s.allNote.SetText(p.Title + " in every style, each beside the catalog's own drawing in that style where it has one · tap one to compare it")
				}
				s.allGrid.Layout = layout.NewGridWrapLayout(cell)
				pair := func(a, b fyne.CanvasObject) fyne.CanvasObject {
					if len(reals) == 0 {
						return a
					}
					return container.NewGridWithColumns(2, a, b)
				}
				s.allGrid.Add(pair(newGridCard(thumb, "original", func() {
					s.compareWith.SetSelected(compareOriginal)
					s.tabs.SelectIndex(tabCompare)
				}), layout.NewSpacer()))
				for i, st := range styles {
					st := st
					var real fyne.CanvasObject = layout.NewSpacer()
					if r, ok := reals[st]; ok {
						real = newGridCard(r, "real drawing", func() {
							s.style.SetSelected(st)
							s.compareWith.SetSelected(compareReal)
							s.tabs.SelectIndex(tabCompare)
						})
					}
					s.allGrid.Add(pair(newGridCard(cards[i], st, func() {
						s.style.SetSelected(st)
						s.tabs.SelectIndex(tabCompare)
					}), real))
				}
			}
			s.allGrid.Refresh()
			s.stage("all")
		})
	}()
}

// drawOneStyle shows the first products of the list in the selected style.
func (s *PreviewScreen) drawOneStyle() {
	if s.model == nil || s.styleName == "" {
		return
	}
	rows := s.products[:min(len(s.products), oneStyleGridSize)]
	gen, m, db, ctx, style, adj := s.gridReq.Next(), s.model, s.deps.DB, s.deps.Ctx, s.styleName, s.adj
	s.oneNote.SetText(fmt.Sprintf("The first %d of the %d products listed, in %s · tap one to compare it", len(rows), len(s.products), style))
	go func() {
		k, err := m.StyleIndex(style)
		var thumbs []image.Image
		var keep []store.ProductRow
		for _, r := range rows {
			if t, terr := thumbFor(ctx, db, r.ImageHash); terr == nil {
				thumbs = append(thumbs, t)
				keep = append(keep, r)
			}
		}
		var outs []*image.NRGBA
		if err == nil && len(thumbs) > 0 {
			idx := make([]int, len(thumbs))
			for i := range idx {
				idx[i] = k
			}
			outs, err = m.PreviewBatch(thumbs, idx)
		}
		cards := make([]image.Image, len(outs))
		for i, o := range outs {
			b := thumbs[i].Bounds()
			cards[i] = applyAdjustments(thumbs[i], cropPreview(o, b.Dx(), b.Dy()), adj)
		}
		s.deps.Do(func() {
			if !gen.Current() {
				return
			}
			s.oneGrid.Objects = nil
			if err != nil {
				s.oneNote.SetText("Cannot preview: " + err.Error())
			}
			for i, r := range keep[:len(cards)] {
				id := r.ID
				s.oneGrid.Add(newGridCard(cards[i], r.Title, func() {
					for j, q := range s.products {
						if q.ID == id {
							s.list.Select(j)
							s.list.ScrollTo(j)
						}
					}
					s.tabs.SelectIndex(tabCompare)
				}))
			}
			s.oneGrid.Refresh()
			s.stage("one")
		})
	}()
}

// ---- batch export ----

// exportDialog holds the batch export's form.
type exportDialog struct {
	style    *widget.Select
	scope    *widget.RadioGroup
	dir      *kit.Entry
	format   *widget.RadioGroup
	quality  *widget.Slider
	sideBy   *widget.Check
	variants *widget.Check
	adjustOn *widget.Check
}

func (s *PreviewScreen) currentRunName() string {
	for _, r := range s.runs {
		if r.ID == s.runID {
			return r.Name
		}
	}
	return "run"
}

// defaultExportDir is <library>/exports/<run>-<style>.
func (s *PreviewScreen) defaultExportDir(style string) string {
	return filepath.Join(s.deps.DB.Dir(), "exports", dataset.SafeName(s.currentRunName()+"-"+style))
}

func (s *PreviewScreen) newExportForm() *exportDialog {
	e := &exportDialog{}
	e.style = widget.NewSelect(s.model.Styles(), nil)
	e.style.SetSelected(s.styleName)
	all := fmt.Sprintf("All %d products listed", len(s.products))
	scopes := []string{all}
	first := all
	if n := len(s.marked); n > 0 {
		first = fmt.Sprintf("The %d ticked products", n)
		scopes = append([]string{first}, scopes...)
	}
	if p, ok := s.currentProduct(); ok {
		scopes = append(scopes, "Only "+p.Title)
	}
	e.scope = widget.NewRadioGroup(scopes, nil)
	e.scope.Required = true
	e.scope.SetSelected(first)
	e.dir = kit.NewEntry()
	e.dir.SetText(s.defaultExportDir(s.styleName))
	e.style.OnChanged = func(st string) { e.dir.SetText(s.defaultExportDir(st)) }
	e.format = widget.NewRadioGroup([]string{"PNG", "JPEG"}, nil)
	e.format.Horizontal = true
	e.format.Required = true
	e.format.SetSelected("PNG")
	e.quality = widget.NewSlider(50, 100)
	e.quality.SetValue(90)
	e.quality.Disable()
	e.format.OnChanged = func(f string) {
		if f == "JPEG" {
			e.quality.Enable()
		} else {
			e.quality.Disable()
		}
	}
	e.sideBy = widget.NewCheck("Also save a side-by-side comparison per product", nil)
	e.variants = widget.NewCheck("Save as variants in the catalog (the Feed shows them)", nil)
	e.variants.SetChecked(true)
	e.adjustOn = widget.NewCheck("Apply the style's adjustments", nil)
	e.adjustOn.SetChecked(true)
	return e
}

func (e *exportDialog) options(s *PreviewScreen) exportOptions {
	o := exportOptions{Dir: strings.TrimSpace(e.dir.Text), Style: e.style.Selected, Format: "png", Quality: int(e.quality.Value),
		SideBySide: e.sideBy.Checked, SaveVariants: e.variants.Checked, RunID: s.runID, Adjust: defaultAdjustments()}
	if e.format.Selected == "JPEG" {
		o.Format = "jpeg"
	}
	if e.adjustOn.Checked {
		o.Adjust = loadAdjustments(s.prefs(), o.Style)
		if o.Style == s.styleName {
			o.Adjust = s.adj
		}
	}
	return o
}

func (e *exportDialog) rows(s *PreviewScreen) []store.ProductRow {
	switch {
	case strings.HasPrefix(e.scope.Selected, "Only "):
		if p, ok := s.currentProduct(); ok {
			return []store.ProductRow{p}
		}
	case strings.HasPrefix(e.scope.Selected, "The "):
		return s.markedRows()
	}
	return append([]store.ProductRow(nil), s.products...)
}

// setMarked ticks or unticks a product for the batch. UI goroutine.
func (s *PreviewScreen) setMarked(p store.ProductRow, on bool) {
	if on {
		s.marked[p.ID] = p
	} else {
		delete(s.marked, p.ID)
	}
	s.updateMarkInfo()
}

// ClearMarks unticks every product.
func (s *PreviewScreen) ClearMarks() {
	s.marked = map[int64]store.ProductRow{}
	s.list.Refresh()
	s.updateMarkInfo()
}

// markedRows are the ticked products in SKU order.
func (s *PreviewScreen) markedRows() []store.ProductRow {
	rows := make([]store.ProductRow, 0, len(s.marked))
	for _, p := range s.marked {
		rows = append(rows, p)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].SKU < rows[j].SKU })
	return rows
}

func (s *PreviewScreen) updateMarkInfo() {
	switch n := len(s.marked); n {
	case 0:
		s.markInfo.SetText("Tick rows to pick a batch")
		s.clearMarks.Disable()
	default:
		s.markInfo.SetText(fmt.Sprintf("%d ticked for the batch", n))
		s.clearMarks.Enable()
	}
}

func (s *PreviewScreen) showExport() {
	if s.model == nil {
		return
	}
	e := s.newExportForm()
	choose := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() { s.deps.ShowFolderOpen(e.dir.SetText) })
	items := []*widget.FormItem{
		widget.NewFormItem("Style", e.style),
		widget.NewFormItem("Products", e.scope),
		widget.NewFormItem("Folder", container.NewBorder(nil, nil, nil, choose, e.dir)),
		widget.NewFormItem("Format", e.format),
		widget.NewFormItem("JPEG quality", e.quality),
		widget.NewFormItem("", e.sideBy),
		widget.NewFormItem("", e.adjustOn),
		widget.NewFormItem("", e.variants),
	}
	d := dialog.NewForm("Export a batch at full resolution", "Export", "Cancel", items, func(ok bool) {
		if ok {
			s.startExport(e.options(s), e.rows(s))
		}
	}, s.deps.Window)
	kit.FormEntry(e.dir, d)
	d.Resize(fyne.NewSize(640, 460))
	s.deps.ShowForm(d)
}

// startExport runs a batch export in the job panel (progress, ETA, Cancel). Files keep the products'
// original names.
func (s *PreviewScreen) startExport(opt exportOptions, rows []store.ProductRow) bool {
	return s.startExportWith(opt, rows, nil)
}

// startExportWith is startExport; before, when not nil, runs on the export's goroutine before each
// product after the first (runExport).
func (s *PreviewScreen) startExportWith(opt exportOptions, rows []store.ProductRow, before func(i int)) bool {
	if s.model == nil || len(rows) == 0 {
		return false
	}
	if opt.Dir == "" {
		s.deps.ShowError(errors.New("choose a folder to export to"))
		return false
	}
	m, db := s.model, s.deps.DB
	title := fmt.Sprintf("Exporting %d products in %s", len(rows), opt.Style)
	var sum exportSummary
	started := s.deps.Jobs.Run(title, func(ctx context.Context, progress func(kit.Progress)) error {
		var last time.Time
		var err error
		sum, err = runExport(ctx, db, m, rows, opt, func(p kit.Progress) {
			if p.Done == p.Total || time.Since(last) >= time.Second/30 {
				last = time.Now()
				progress(p)
			}
		}, before)
		return err
	}, func(err error) {
		s.setControls()
		s.exportDone(opt, sum, err)
	})
	if !started {
		s.deps.ShowInformation("Busy", "Another job is running (see the bottom of the window); export when it has finished.")
		return false
	}
	s.setControls()
	return true
}

// exportDone reports a finished, cancelled or failed export.
func (s *PreviewScreen) exportDone(opt exportOptions, sum exportSummary, err error) {
	var b strings.Builder
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(&b, "Cancelled after %d of %d products; the files written so far are kept in\n%s", sum.Written+len(sum.Failed), sum.Total, opt.Dir)
	case err != nil:
		fmt.Fprintf(&b, "The export stopped: %v", err)
	default:
		fmt.Fprintf(&b, "Exported %d of %d products in %s to\n%s", sum.Written, sum.Total, opt.Style, opt.Dir)
	}
	if opt.SaveVariants && sum.Written > 0 {
		b.WriteString("\nThe variants are saved in the catalog; the Feed can show them.")
		if s.VariantsChanged != nil {
			s.VariantsChanged()
		}
	}
	if n := len(sum.Failed); n > 0 {
		fmt.Fprintf(&b, "\n\n%d failed:", n)
		for i, f := range sum.Failed {
			if i == 10 {
				fmt.Fprintf(&b, "\n… and %d more", n-10)
				break
			}
			fmt.Fprintf(&b, "\n• %s (%s): %s", f.SKU, f.Title, f.Reason)
		}
	}
	s.status.SetText(strings.ReplaceAll(strings.SplitN(b.String(), "\n\n", 2)[0], "\n", " "))
	if s.deps.Window != nil && !s.deps.Headless {
		s.deps.ShowInformation("Batch export", b.String())
	}
	res := ExportResult{Total: sum.Total, Written: sum.Written, Err: err}
	for _, f := range sum.Failed {
		res.Failed = append(res.Failed, f.SKU)
	}
	Exported.Emit(s.deps.Events, res)
	s.stage("exported")
}

// What the Preview screen announces on Deps.Events (UI goroutine).
const (
	// Stage: the screen reached a stage: "model", "list", "preview", "full", "adjusted", "all", "one",
	// "exported".
	Stage kit.Topic[string] = "preview.stage"
	// Exported: a batch export ended (before its "exported" stage).
	Exported kit.Topic[ExportResult] = "preview.exported"
)

// ExportResult is a batch export's outcome: products written of Total, the SKUs that failed, and the
// error that stopped it (context.Canceled when cancelled).
type ExportResult struct {
	Total, Written int
	Failed         []string
	Err            error
}

// OnStage subscribes f to Stage.
func (s *PreviewScreen) OnStage(f func(stage string)) { Stage.On(s.deps.Events, f) }

// Settled reports whether, at stage, the screen shows its final state: the full-resolution result with
// what the catalog and the run know of the product (its real drawings, whether the run trained on it),
// whichever came last, or the empty state when there is no model or no product. UI goroutine.
func (s *PreviewScreen) Settled(stage string) bool {
	if stage == "full" || stage == "pairs" {
		p, ok := s.currentProduct()
		return s.full && ok && s.pairsOf == p.ID && (s.runID == 0 || s.trainedOf == s.runID)
	}
	return (stage == "model" && s.model == nil) || (stage == "list" && s.model != nil && len(s.products) == 0)
}
