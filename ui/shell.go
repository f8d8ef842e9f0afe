package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/ingest"
	"stylestudio/ui/catalog"
	"stylestudio/ui/feed"
	"stylestudio/ui/kit"
	"stylestudio/ui/label"
	"stylestudio/ui/preview"
	"stylestudio/ui/train"
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
	keys   keyHandler // nil when the screen takes no keyboard shortcuts
	shown  func()     // re-reads what other screens may have changed
}

// keyHandler is a screen that reacts to keys typed anywhere in the window while it is shown.
type keyHandler interface {
	TypedKey(*fyne.KeyEvent) bool
	TypedRune(rune) bool
	Undo()
	Redo()
	SelectAll()
}

// Shell is the app frame: a navigation sidebar, the current screen, and the job panel at the bottom.
type Shell struct {
	deps    kit.Deps
	catalog *catalog.CatalogScreen
	label   *label.LabelScreen
	train   *train.TrainScreen
	preview *preview.PreviewScreen
	feed    *feed.FeedScreen
	imports *importer
	screens []screenEntry
	active  int
	started bool
	nav     *widget.List
	content *fyne.Container
	root    fyne.CanvasObject
}

// NewShell builds every screen. deps.Jobs is created if nil. Headless, the caller must hold
// Lock/Unlock around its own widget work once Start has been called.
func NewShell(deps kit.Deps) *Shell { return newShell(deps, train.Options{}) }

// newShell is NewShell with the Train screen's options (the screenshot renderer's).
func newShell(deps kit.Deps, trainOpts train.Options) *Shell {
	deps = kit.Prepare(deps)
	s := &Shell{deps: deps}
	// Thumbnails that arrive while the UI is busy are handed over together: the driver paints between
	// two queued functions, and with one function a thumbnail a screen of 26 cost 26 repaints (about a
	// second of software GL before all were on screen).
	arrived := kit.NewBatcher(deps.Do, func(hashes []string) {
		for _, hash := range hashes {
			s.catalog.ThumbArrived(hash)
			s.label.ThumbArrived(hash)
			s.feed.ThumbArrived(hash)
		}
	})
	deps.Thumbs = kit.NewThumbLoader(deps.DB, kit.ThumbCache, arrived.Add)
	s.deps = deps
	s.catalog = catalog.NewCatalogScreen(deps)
	s.label = label.NewLabelScreen(deps)
	s.train = train.NewTrainScreenWith(deps, trainOpts)
	s.preview = preview.NewPreviewScreen(deps)
	s.feed = feed.NewFeedScreen(deps)
	s.imports = &importer{deps: deps, changed: func() {
		s.catalog.Reload()
		s.label.Reload()
		s.feed.Reload()
	}}
	s.screens = []screenEntry{
		{title: "Catalog", icon: theme.GridIcon(), object: s.catalog.Object(), shown: s.catalog.Reload},
		{title: "Label", icon: theme.DocumentCreateIcon(), object: s.label.Object(), keys: s.label, shown: s.label.Reload},
		{title: "Train", icon: theme.MediaPlayIcon(), object: s.train.Object(), shown: s.train.Shown},
		{title: "Preview", icon: theme.ColorPaletteIcon(), object: s.preview.Object(), shown: s.preview.Shown},
		{title: "Feed", icon: theme.HomeIcon(), object: s.feed.Object()},
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
	s.nav = nav
	importBtn := widget.NewButtonWithIcon("Import…", theme.ContentAddIcon(), s.imports.showDialog)
	importBtn.Importance = widget.HighImportance
	brand := widget.NewLabelWithStyle("Style Studio", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	side := container.NewBorder(container.NewVBox(brand, widget.NewSeparator()), container.NewPadded(importBtn), nil, nil, nav)
	s.root = container.NewBorder(nil, container.NewPadded(deps.Jobs.Object()), container.NewHBox(side, widget.NewSeparator()), nil, s.content)
	nav.Select(0)
	// Preview starts on the product open in the catalog, and its empty state leads to Train.
	s.preview.CatalogSelection = s.catalog.OpenProduct
	s.preview.GoTrain = func() { s.ShowScreen("train") }
	s.preview.VariantsChanged = s.feed.Reload
	// Edit → Undo label works on any screen: the catalog's grid and open product follow it.
	label.Undone.On(deps.Events, func([]int64) { s.catalog.Reload() })
	// The feed's perceived styles come from the style classifier: a new one (the first, on a fresh
	// library, or a retraining after more labels) is read into the feed, whose rounds start again.
	s.label.OnTrained(func(_ studio.ClassifierInfo, err error) {
		if err == nil {
			s.feed.Reload()
		}
	})
	if deps.Window != nil && !deps.Headless {
		deps.Window.SetCloseIntercept(s.closeRequested)
	}
	return s
}

// closeRequested runs when the person closes the window: with a run training, the Train screen asks
// whether to stop it (with a checkpoint) or keep it training in the background.
func (s *Shell) closeRequested() {
	if s.train.Busy() {
		s.train.AskClose(s.closeWindow)
		return
	}
	s.closeWindow()
}

// closeWindow closes the window (the app then quits) after stopping UI updates.
func (s *Shell) closeWindow() {
	s.Quitting()
	s.deps.Window.Close()
}

// Quitting stops UI updates from background work before the app quits: once Fyne has drained its
// queue at quit it runs fyne.Do on the caller's goroutine, off the UI thread (the e2e build's thread
// checks caught a classifier's progress update doing so). Call it just before the app quits.
func (s *Shell) Quitting() { s.deps.Quitting() }

// Start begins loading every screen's data in the background (thumbnail loaders only with a real
// window: headless renders preload what they paint).
func (s *Shell) Start() {
	if !s.deps.Headless {
		s.deps.Thumbs.Start(s.deps.Ctx, 2)
	}
	s.catalog.Start()
	s.label.Start()
	s.train.Start()
	s.preview.Start()
	s.feed.Start()
	s.started = true
}

// Lock and Unlock bracket widget work done by a headless driver (screenshots, tests) while the UI loop
// runs; with a real window they do nothing (the driver's own loop serialises).
func (s *Shell) Lock() { s.deps.Lock() }

// Unlock: see Lock.
func (s *Shell) Unlock() { s.deps.Unlock() }

// OnUI runs f on the headless UI loop after everything already queued there, and waits for it, as
// fyne.DoAndWait does in a real window (where OnUI is fyne.DoAndWait). Call it from a test or a
// headless driver, never from the UI goroutine.
func (s *Shell) OnUI(f func()) { s.deps.OnUI(f) }

// Close is called after the window has gone and before kit.Deps.Ctx is cancelled: it stops UI updates and
// waits (up to 10 s) for label writes already shown on screen to reach the catalog, so nothing a user saw
// labeled is lost on quit, and stops a training run with a checkpoint (waiting up to 2 minutes for its
// current step and the checkpoint write) so it can be resumed.
func (s *Shell) Close() {
	s.deps.Quitting()
	done := make(chan struct{})
	go func() {
		s.label.Flush()
		close(done)
	}()
	s.train.StopForQuit(2 * time.Minute)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

// Train is the train screen.
func (s *Shell) Train() *train.TrainScreen { return s.train }

// Preview is the preview screen.
func (s *Shell) Preview() *preview.PreviewScreen { return s.preview }

// Feed is the simulated storefront screen.
func (s *Shell) Feed() *feed.FeedScreen { return s.feed }

// ThumbStats: thumbnails loaded so far and waiting to load (kit.ThumbLoader.Stats). Any goroutine.
func (s *Shell) ThumbStats() (loaded int64, pending int) { return s.deps.Thumbs.Stats() }

// Label is the label screen.
func (s *Shell) Label() *label.LabelScreen { return s.label }

// ShowScreen switches to the named screen ("catalog", "label", "train", "preview", "feed"). UI goroutine only.
func (s *Shell) ShowScreen(name string) bool {
	for i, sc := range s.screens {
		if strings.EqualFold(sc.title, name) {
			s.nav.Select(i)
			return true
		}
	}
	return false
}

// InstallKeys routes window-wide keys to the screen on show: a style's key labels, arrows move, Space
// skips, Ctrl+Z / Ctrl+Shift+Z undo and redo, Ctrl+A selects the filtered view. Keys typed into a focused
// entry stay with the entry.
//
// While a dialog (or a menu) covers the window the keys are its: Escape dismisses the dialog on top,
// Enter takes its default action (kit.Dialogs), and nothing reaches the screen behind it.
func (s *Shell) InstallKeys(c fyne.Canvas) {
	// active is the screen's key handler, nil while a pop-up covers the window.
	active := func() keyHandler {
		if kit.Blocking(c) {
			return nil
		}
		return s.screens[s.active].keys
	}
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if s.deps.Dialogs.TypedKey(c, ev) {
			return
		}
		if h := active(); h != nil {
			h.TypedKey(ev)
		}
	})
	c.SetOnTypedRune(func(r rune) {
		if h := active(); h != nil {
			h.TypedRune(r)
		}
	})
	on := func(sc fyne.Shortcut, do func(keyHandler)) {
		c.AddShortcut(sc, func(fyne.Shortcut) {
			if h := active(); h != nil {
				do(h)
			}
		})
	}
	// The desktop driver reports Ctrl+Z, Ctrl+Y and Ctrl+A as Fyne's standard shortcuts; Ctrl+Shift+Z
	// arrives as a custom one.
	on(&fyne.ShortcutUndo{}, keyHandler.Undo)
	on(&fyne.ShortcutRedo{}, keyHandler.Redo)
	on(&fyne.ShortcutSelectAll{}, keyHandler.SelectAll)
	on(&desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}, keyHandler.Redo)
}

// ActiveScreen is the title of the screen on show ("Catalog", "Label", …). UI goroutine only.
func (s *Shell) ActiveScreen() string { return s.screens[s.active].title }

// Object is the whole window content.
func (s *Shell) Object() fyne.CanvasObject { return s.root }

// Catalog is the catalog screen (the app uses it to signal readiness).
func (s *Shell) Catalog() *catalog.CatalogScreen { return s.catalog }

func (s *Shell) show(id int) {
	if id < 0 || id >= len(s.screens) {
		return
	}
	if s.started && id != s.active && s.screens[id].shown != nil {
		s.screens[id].shown()
	}
	s.active = id
	s.content.Objects = []fyne.CanvasObject{s.screens[id].object}
	s.content.Refresh()
	// Nothing focused, so typed keys reach the screen's shortcuts.
	if c := fyne.CurrentApp().Driver().CanvasForObject(s.root); c != nil {
		c.Unfocus()
	}
}

// MainMenu is the window's menu bar.
func (s *Shell) MainMenu() *fyne.MainMenu {
	file := fyne.NewMenu("File",
		fyne.NewMenuItem("Import…", s.imports.showDialog),
		fyne.NewMenuItem("Add demo catalog", func() { s.imports.seedDemo(DemoProducts, DemoSeed, true) }),
	)
	edit := fyne.NewMenu("Edit",
		fyne.NewMenuItem("Undo label", s.label.Undo),
		fyne.NewMenuItem("Redo label", s.label.Redo),
		fyne.NewMenuItem("Retrain classifier", s.label.Retrain),
	)
	help := fyne.NewMenu("Help", fyne.NewMenuItem("About Style Studio", func() {
		s.deps.ShowInformation("Style Studio",
			"Catalog, label, train and preview product styles — offline.\nLibrary: "+s.deps.DB.Dir())
	}))
	return fyne.NewMainMenu(file, edit, help)
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
		s.deps.Do(func() { s.imports.seedDemo(products, DemoSeed, false) })
	}()
}
