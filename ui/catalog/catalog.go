package catalog

import (
	"context"
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/store"
	"stylestudio/ui/kit"
)

const (
	allCategories = kit.AllCategories
	allStyles     = "All styles"
)

// CatalogScreen browses the catalog: a virtualised thumbnail grid with search and filters, and a detail pane.
type CatalogScreen struct {
	deps   kit.Deps
	thumbs *kit.ThumbLoader // shared with the other screens (kit.Deps.thumbs)

	search    *widget.Entry
	category  *widget.Select
	style     *widget.Select
	unlabeled *widget.Check
	count     *widget.Label
	grid      *widget.GridWrap
	detail    *detailPane
	root      fyne.CanvasObject

	// UI goroutine only.
	rows        []store.ProductRow
	styles      []store.Style
	styleByName map[string]store.Style
	cards       []*thumbCard // every cell the grid created (the grid recycles them)
	queryReq    kit.Latest
	debounce    *time.Timer
}

// NewCatalogScreen builds the screen; Start loads it.
func NewCatalogScreen(deps kit.Deps) *CatalogScreen {
	s := &CatalogScreen{deps: deps, thumbs: deps.Thumbs, styleByName: map[string]store.Style{}}

	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search SKU or title")
	s.search.OnChanged = func(string) { s.reloadSoon() }
	s.category = widget.NewSelect([]string{allCategories}, nil)
	s.category.SetSelected(allCategories)
	s.style = widget.NewSelect([]string{allStyles}, nil)
	s.style.SetSelected(allStyles)
	s.unlabeled = widget.NewCheck("Unlabeled only", nil)
	s.count = widget.NewLabel("Loading catalog…")

	s.grid = widget.NewGridWrap(
		func() int { return len(s.rows) },
		func() fyne.CanvasObject {
			c := newThumbCard()
			s.cards = append(s.cards, c)
			return c
		},
		func(id widget.GridWrapItemID, obj fyne.CanvasObject) {
			if id < 0 || id >= len(s.rows) {
				return
			}
			row := s.rows[id]
			obj.(*thumbCard).bind(row, s.styleColor(row.Style), s.thumbs.Get(row.ImageHash))
		},
	)
	s.grid.OnSelected = func(id widget.GridWrapItemID) {
		if id >= 0 && id < len(s.rows) {
			s.detail.show(s.rows[id].ID)
		}
	}
	s.detail = newDetailPane(deps, func() { s.Reload() })

	selectSize := fyne.NewSize(190, s.category.MinSize().Height)
	filters := container.NewHBox(container.NewGridWrap(selectSize, s.category), container.NewGridWrap(selectSize, s.style), s.unlabeled)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(filters, s.count), s.search)
	split := container.NewHSplit(s.grid, s.detail.Object())
	split.Offset = 0.7
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, split)
	// Wire the filters last: SetSelected above would otherwise fire before the grid exists.
	s.category.OnChanged = func(string) { s.Reload() }
	s.style.OnChanged = func(string) { s.Reload() }
	s.unlabeled.OnChanged = func(bool) { s.Reload() }
	return s
}

// Start runs the first query.
func (s *CatalogScreen) Start() { s.Reload() }

// Object is the screen's widget tree.
func (s *CatalogScreen) Object() fyne.CanvasObject { return s.root }

// What the Catalog screen announces on Deps.Events (UI goroutine).
const (
	Loaded     kit.Topic[int]      = "catalog.loaded" // a query result is shown, with its row count
	ImageShown kit.Topic[struct{}] = "catalog.image"  // the detail pane painted a product's large image
	// VariantsShown: the detail pane shows the open product's stylized variants, with their count.
	VariantsShown kit.Topic[int] = "catalog.variants"
)

// OnLoaded subscribes f to Loaded.
func (s *CatalogScreen) OnLoaded(f func(n int)) { Loaded.On(s.deps.Events, f) }

func (s *CatalogScreen) styleColor(name string) color.Color {
	if st, ok := s.styleByName[name]; ok {
		return kit.ParseHexColor(st.Color)
	}
	return theme.Color(theme.ColorNamePrimary)
}

// reloadSoon debounces typing in the search box.
func (s *CatalogScreen) reloadSoon() {
	if s.debounce != nil {
		s.debounce.Stop()
	}
	s.debounce = time.AfterFunc(150*time.Millisecond, func() { s.deps.Do(s.Reload) })
}

// filter reads the filter widgets. UI goroutine only.
func (s *CatalogScreen) filter() store.ProductFilter {
	f := store.ProductFilter{Search: s.search.Text, Unlabeled: s.unlabeled.Checked}
	if c := s.category.Selected; c != "" && c != allCategories {
		f.Category = c
	}
	if st, ok := s.styleByName[s.style.Selected]; ok {
		f.StyleID = st.ID
	}
	return f
}

// catalogQuery is what one background reload fetched.
type catalogQuery struct {
	rows       []store.ProductRow
	styles     []store.Style
	categories []string
	err        error
}

// Reload re-runs the query off the UI goroutine; results older than the newest request are dropped.
func (s *CatalogScreen) Reload() {
	gen, f, db, ctx := s.queryReq.Next(), s.filter(), s.deps.DB, s.deps.Ctx
	go func() {
		q := fetchCatalog(ctx, db, f)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if gen.Current() {
				s.apply(q)
			}
		})
	}()
}

func fetchCatalog(ctx context.Context, db *store.DB, f store.ProductFilter) catalogQuery {
	var q catalogQuery
	if q.styles, q.err = db.Styles(ctx); q.err != nil {
		return q
	}
	if q.categories, q.err = db.Categories(ctx); q.err != nil {
		return q
	}
	q.rows, q.err = db.Products(ctx, f)
	return q
}

// apply shows a finished query. UI goroutine only.
func (s *CatalogScreen) apply(q catalogQuery) {
	if q.err != nil {
		s.count.SetText("Could not read the catalog")
		s.deps.ShowError(fmt.Errorf("reading the catalog failed: %w", q.err))
		return
	}
	s.styles = q.styles
	s.styleByName = make(map[string]store.Style, len(q.styles))
	styleNames := []string{allStyles}
	for _, st := range q.styles {
		s.styleByName[st.Name] = st
		styleNames = append(styleNames, st.Name)
	}
	s.style.SetOptions(styleNames)
	s.category.SetOptions(append([]string{allCategories}, q.categories...))
	s.detail.setStyles(q.styles)

	if s.OpenProduct() != 0 {
		s.detail.reload() // its label, history and variants may have changed since it was opened
	}
	s.rows = q.rows
	s.grid.UnselectAll()
	s.grid.Refresh()
	switch len(s.rows) {
	case 0:
		s.count.SetText("No products match")
	case 1:
		s.count.SetText("1 product")
	default:
		s.count.SetText(fmt.Sprintf("%d products", len(s.rows)))
	}
	Loaded.Emit(s.deps.Events, len(s.rows))
}

// ThumbArrived puts a freshly decoded thumbnail into every visible cell showing that image.
func (s *CatalogScreen) ThumbArrived(hash string) {
	img := s.thumbs.Cached(hash)
	for _, c := range s.cards {
		if c.hash == hash {
			c.setThumb(img)
		}
	}
	s.detail.thumbArrived(hash, img)
}

// PreloadFirst decodes the thumbnails of the first n rows synchronously (headless screenshots).
func (s *CatalogScreen) PreloadFirst(ctx context.Context, n int) {
	hashes := make([]string, 0, n)
	for i := 0; i < n && i < len(s.rows); i++ {
		hashes = append(hashes, s.rows[i].ImageHash)
	}
	s.thumbs.Preload(ctx, hashes)
	s.grid.Refresh()
}

// SelectFirst selects the first row so the detail pane has something to show (screenshots, first start).
func (s *CatalogScreen) SelectFirst() {
	if len(s.rows) > 0 {
		s.grid.Select(0)
	}
}

// OpenProduct is the product open in the detail pane (0: none). UI goroutine only.
func (s *CatalogScreen) OpenProduct() int64 {
	if s.detail.body.Visible() {
		return s.detail.product.ID
	}
	return 0
}

// OnImageShown calls f (UI goroutine) each time the detail pane has painted a product's large image
// (a headless screenshot waits for it).
func (s *CatalogScreen) OnImageShown(f func()) { ImageShown.On(s.deps.Events, func(struct{}) { f() }) }

// OnVariantsShown calls f (UI goroutine) each time the detail pane has shown the open product's
// stylized variants (a headless screenshot waits for them too).
func (s *CatalogScreen) OnVariantsShown(f func()) { VariantsShown.On(s.deps.Events, func(int) { f() }) }
