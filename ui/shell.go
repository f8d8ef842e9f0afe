package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/engine/ingest"
)

// Demo catalog defaults used when a library starts empty.
const (
	DemoProducts = 400
	DemoSeed     = 1
)

// screenEntry is one destination in the navigation sidebar. Later screens (Label, Train, Preview, Feed)
// register here.
type screenEntry struct {
	title  string
	icon   fyne.Resource
	object fyne.CanvasObject
}

// Shell is the app frame: a navigation sidebar, the current screen, and the job panel at the bottom.
type Shell struct {
	deps    Deps
	catalog *CatalogScreen
	imports *importer
	screens []screenEntry
	content *fyne.Container
	root    fyne.CanvasObject
}

// NewShell builds every screen. deps.Jobs is created if nil.
func NewShell(deps Deps) *Shell {
	if deps.Jobs == nil {
		deps.Jobs = NewJobPanel(deps.Ctx)
	}
	s := &Shell{deps: deps}
	s.catalog = NewCatalogScreen(deps)
	s.imports = &importer{deps: deps, changed: s.catalog.Reload}
	s.screens = []screenEntry{
		{title: "Catalog", icon: theme.GridIcon(), object: s.catalog.Object()},
	}
	s.content = container.NewStack()
	nav := widget.NewList(
		func() int { return len(s.screens) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.GridIcon()), widget.NewLabel("Screen name"))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Icon).SetResource(s.screens[id].icon)
			box.Objects[1].(*widget.Label).SetText(s.screens[id].title)
		},
	)
	nav.OnSelected = func(id widget.ListItemID) { s.show(id) }
	importBtn := widget.NewButtonWithIcon("Import…", theme.ContentAddIcon(), s.imports.showDialog)
	importBtn.Importance = widget.HighImportance
	brand := widget.NewLabelWithStyle("Style Studio", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	side := container.NewBorder(container.NewVBox(brand, widget.NewSeparator()), container.NewPadded(importBtn), nil, nil, nav)
	s.root = container.NewBorder(nil, container.NewPadded(deps.Jobs.Object()), container.NewHBox(side, widget.NewSeparator()), nil, s.content)
	nav.Select(0)
	return s
}

// Start begins loading every screen's data in the background.
func (s *Shell) Start() { s.catalog.Start() }

// Object is the whole window content.
func (s *Shell) Object() fyne.CanvasObject { return s.root }

// Catalog is the catalog screen (the app uses it to signal readiness).
func (s *Shell) Catalog() *CatalogScreen { return s.catalog }

func (s *Shell) show(id int) {
	if id < 0 || id >= len(s.screens) {
		return
	}
	s.content.Objects = []fyne.CanvasObject{s.screens[id].object}
	s.content.Refresh()
}

// MainMenu is the window's menu bar.
func (s *Shell) MainMenu() *fyne.MainMenu {
	file := fyne.NewMenu("File",
		fyne.NewMenuItem("Import…", s.imports.showDialog),
		fyne.NewMenuItem("Add demo catalog", func() { s.imports.seedDemo(DemoProducts, DemoSeed, true) }),
	)
	help := fyne.NewMenu("Help", fyne.NewMenuItem("About Style Studio", func() {
		dialog.ShowInformation("Style Studio",
			"Catalog, label, train and preview product styles — offline.\nLibrary: "+s.deps.DB.Dir(), s.deps.Window)
	}))
	return fyne.NewMainMenu(file, help)
}

// Dropped imports files and folders dropped onto the window.
func (s *Shell) Dropped(_ fyne.Position, uris []fyne.URI) {
	paths := urisToPaths(uris)
	if len(paths) == 0 {
		return
	}
	s.imports.importPaths(paths, ingest.Options{})
}

// SeedDemoIfEmpty fills an empty library with the demo catalog (first start). UI goroutine only.
func (s *Shell) SeedDemoIfEmpty(products int) {
	go func() {
		n, err := s.deps.DB.CountProducts(s.deps.Ctx)
		if err != nil || n > 0 {
			return
		}
		fyne.Do(func() { s.imports.seedDemo(products, DemoSeed, false) })
	}()
}
