package label

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/style"
	"stylestudio/store"
	"stylestudio/ui/kit"
)

// LabelScreen labels products fast: a large image with the classifier's suggestion, a queue ordered by
// what the classifier most needs to learn, a key per style, undo/redo, multi-select and filters.
// Labels show at once; the store write and the retraining happen in the background.
type LabelScreen struct {
	deps  kit.Deps
	model *labelModel
	root  fyne.CanvasObject
	// stats keeps the products' style statistics between retrainings (they depend on the picture alone).
	stats *style.StatsCache

	image      *canvas.Image
	title      *widget.Label
	current    *widget.Label
	suggestion *widget.RichText
	progress   *widget.ProgressBar
	counts     *fyne.Container
	styleBtns  *fyne.Container
	focus      *fyne.Container // re-laid out when the style buttons change
	filter     *widget.Select
	queue      *widget.GridWrap
	cards      []*queueCard
	undoBtn    *widget.Button
	redoBtn    *widget.Button
	status     *widget.Label
	retrainBtn *widget.Button

	writes chan func() // store writes, applied in order by one goroutine

	// UI goroutine only.
	filterChoices []labelFilter
	progressText  string
	imageReq      kit.Latest
	sinceTrain    int // labels applied since the classifier last trained
	training      bool
	retrainQueued bool // a retrain was asked for while one ran: start another when it ends
	trainedOn     int  // labeled products the shown classifier learned from; -1 while there is none
	triedOn       int  // labeled products on screen when the last training started
	// loadingSaved: the saved classifier is being read (from construction until loadClassifier ends);
	// meanwhile the screen does not retrain, or every start would retrain a classifier already
	// trained on the catalog's labels because its reload came in before the saved one.
	loadingSaved bool
	cancelTrain  context.CancelFunc
	// Labels shown in memory whose store write has not been applied yet; a reload that read the catalog
	// before the write landed keeps showing them instead of dropping what the user just pressed.
	pending  map[int64]pendingLabel
	labelSeq uint64
}

// pendingLabel is a label the user made whose write is still queued; seq tells a newer label on the same
// product from an older one.
type pendingLabel struct {
	style store.Style
	seq   uint64
}

// NewLabelScreen builds the screen; Start loads it.
func NewLabelScreen(deps kit.Deps) *LabelScreen {
	s := &LabelScreen{deps: deps, model: newLabelModel(), writes: make(chan func(), 256), pending: map[int64]pendingLabel{}, trainedOn: -1, loadingSaved: true, stats: style.NewStatsCache()}
	s.image = canvas.NewImageFromImage(nil)
	s.image.FillMode = canvas.ImageFillContain
	s.image.ScaleMode = canvas.ImageScaleSmooth
	// The image fills the room it gets; its minimum is what keeps the window within 800 px high with a
	// dozen style buttons (at 360 px the demo's Label screen grew the window to 852 px, past a laptop's
	// 768-px screen).
	s.image.SetMinSize(fyne.NewSize(220, 220))
	s.title = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	s.title.Truncation = fyne.TextTruncateEllipsis
	s.current = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	s.suggestion = widget.NewRichText()
	s.progress = widget.NewProgressBar()
	s.progress.TextFormatter = func() string { return s.progressText }
	s.counts = container.NewHBox()
	s.styleBtns = container.NewGridWithColumns(3)
	s.filter = widget.NewSelect(nil, nil)
	s.queue = widget.NewGridWrap(
		func() int { return len(s.model.view) },
		func() fyne.CanvasObject {
			c := newQueueCard(s.clicked)
			s.cards = append(s.cards, c)
			return c
		},
		func(id widget.GridWrapItemID, o fyne.CanvasObject) { s.bindCard(id, o.(*queueCard)) },
	)
	s.undoBtn = widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), s.Undo)
	s.redoBtn = widget.NewButtonWithIcon("Redo", theme.ContentRedoIcon(), s.Redo)
	s.status = widget.NewLabel("Classifier: not trained yet")
	s.status.Truncation = fyne.TextTruncateEllipsis
	s.retrainBtn = widget.NewButtonWithIcon("Retrain now", theme.ViewRefreshIcon(), func() { s.Retrain() })
	skip := widget.NewButton("Skip (Space)", func() { s.model.move(1); s.refresh() })

	top := container.NewBorder(nil, nil, nil, container.NewHBox(s.undoBtn, s.redoBtn), s.progress)
	manage := widget.NewButtonWithIcon(manageStylesText, theme.SettingsIcon(), func() { s.ManageStylesDialog() })
	newStyle := widget.NewButtonWithIcon(newStyleText, theme.ContentAddIcon(), func() { s.NewStyleDialog() })
	header := container.NewVBox(top, container.NewBorder(nil, nil, nil, container.NewHBox(newStyle, manage), container.NewHScroll(s.counts)))
	imageBg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	s.focus = container.NewBorder(nil,
		container.NewVBox(s.title, s.current, container.NewCenter(s.suggestion), s.styleBtns, container.NewCenter(skip)),
		nil, nil, container.NewStack(imageBg, s.image))
	queueBar := container.NewBorder(nil, nil, widget.NewLabel("Show"), nil, s.filter)
	queuePane := container.NewBorder(queueBar, nil, nil, nil, s.queue)
	split := container.NewHSplit(container.NewPadded(s.focus), queuePane)
	split.Offset = 0.45
	footer := container.NewBorder(nil, nil, nil, s.retrainBtn, s.status)
	s.root = container.NewBorder(container.NewPadded(header), container.NewPadded(footer), nil, nil, split)
	s.updateFilterChoices()
	s.filter.OnChanged = func(string) {
		s.filterChanged()
		// The select keeps the focus after a choice, and then takes the style keys and the arrows for
		// itself: a key pressed to label would change the filter or do nothing (seen in the real window).
		if c := fyne.CurrentApp().Driver().CanvasForObject(s.filter); c != nil {
			c.Unfocus()
		}
	}
	return s
}

// Object is the screen's widget tree.
func (s *LabelScreen) Object() fyne.CanvasObject { return s.root }

// What the Label screen announces on Deps.Events (UI goroutine).
const (
	Trained kit.Topic[Training] = "label.trained" // a classifier training ended (Err: how it failed)
	Loaded  kit.Topic[int]      = "label.loaded"  // products were (re)loaded, with their count
	// Undone: an undo or redo changed these products' labels in the store (the Edit menu runs it on
	// any screen, so the others show it too).
	Undone kit.Topic[[]int64] = "label.undone"
)

// Training is a classifier training that ended: what it measured, or why it failed.
type Training struct {
	Info studio.ClassifierInfo
	Err  error
}

// OnTrained subscribes f to Trained.
func (s *LabelScreen) OnTrained(f func(studio.ClassifierInfo, error)) {
	Trained.On(s.deps.Events, func(t Training) { f(t.Info, t.Err) })
}

// OnLoaded subscribes f to Loaded.
func (s *LabelScreen) OnLoaded(f func(n int)) { Loaded.On(s.deps.Events, f) }

// Start begins the store writer and loads products, styles and any saved classifier.
func (s *LabelScreen) Start() {
	go s.writeLoop(s.deps.Ctx)
	s.Reload()
	s.loadClassifier()
}

// writeLoop applies store writes in the order the user made them.
func (s *LabelScreen) writeLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case w := <-s.writes:
			w()
		}
	}
}

// Reload re-reads products and styles (after imports or label changes elsewhere). The read waits on the
// write queue, so it sees every label already pressed.
func (s *LabelScreen) Reload() {
	s.enqueue(s.reloadNow)
}

// reloadNow reads the catalog and installs it. Writer goroutine only (or any goroutine but the UI's).
func (s *LabelScreen) reloadNow() {
	db, ctx := s.deps.DB, s.deps.Ctx
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		s.showError("read the catalog", err)
		return
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		s.showError("read the styles", err)
		return
	}
	undo, _ := db.UndoState(ctx)
	s.deps.Do(func() {
		for i := range rows {
			if p, ok := s.pending[rows[i].ID]; ok {
				rows[i].Style, rows[i].StyleID = p.style.Name, p.style.ID
			}
		}
		s.model.setData(rows, styles)
		s.rebuildStyleButtons()
		s.updateFilterChoices()
		s.setUndoState(undo)
		s.refresh()
		s.retrainIfBehind()
		Loaded.Emit(s.deps.Events, len(rows))
	})
}

// retrainIfBehind retrains when the catalog has moved on from the classifier on show: none yet (a first
// start, whose demo catalog arrives after the screen started), or studio.RetrainAfter more labels than it
// learned from (an import with labels, labels made on the command line). UI goroutine only.
func (s *LabelScreen) retrainIfBehind() {
	labeled, _ := s.model.counts()
	if labeled == 0 || s.loadingSaved {
		return
	}
	if s.trainedOn < 0 && labeled != s.triedOn || s.trainedOn >= 0 && labeled >= s.trainedOn+studio.RetrainAfter(s.trainedOn) {
		s.requestRetrain()
	}
}

// requestRetrain retrains now, or as soon as the training under way ends. UI goroutine only.
func (s *LabelScreen) requestRetrain() {
	if s.training {
		s.retrainQueued = true
		return
	}
	s.Retrain()
}

func (s *LabelScreen) showError(what string, err error) {
	if s.deps.Ctx.Err() != nil {
		return
	}
	s.deps.Do(func() { s.deps.ShowError(fmt.Errorf("%s: %w", what, err)) })
}

func (s *LabelScreen) rebuildStyleButtons() {
	s.styleBtns.Objects = nil
	for _, st := range s.model.styles {
		st := st
		text := st.Name
		if st.Key != "" {
			text = st.Key + "  " + st.Name
		}
		b := widget.NewButton(text, func() { s.LabelWith(st) })
		s.styleBtns.Objects = append(s.styleBtns.Objects, b)
	}
	// With styles, New style… lives in the header, where it never moves: in the grid, a style it added
	// took its place, and a second click there labeled the product (seen in the real window). With none
	// it is here too, prominent, where the style buttons will be.
	if len(s.model.styles) == 0 {
		add := widget.NewButtonWithIcon(newStyleText, theme.ContentAddIcon(), s.NewStyleDialog)
		add.Importance = widget.HighImportance
		s.styleBtns.Objects = append(s.styleBtns.Objects, add)
	}
	s.styleBtns.Refresh()
	s.focus.Refresh() // the button rows changed height: lay the pane out again
}

func (s *LabelScreen) updateFilterChoices() {
	names := []string{"Next to label (most useful first)", "Unlabeled", "All products", "Disagreements (likely mistakes)"}
	s.filterChoices = []labelFilter{{kind: filterQueue}, {kind: filterUnlabeled}, {kind: filterAll}, {kind: filterDisagree}}
	for _, st := range s.model.styles {
		names = append(names, "Labeled "+st.Name)
		s.filterChoices = append(s.filterChoices, labelFilter{kind: filterStyle, style: st.Name})
	}
	for _, st := range s.model.styles {
		names = append(names, "Suggested "+st.Name)
		s.filterChoices = append(s.filterChoices, labelFilter{kind: filterSuggested, style: st.Name})
	}
	selected := s.filter.Selected
	s.filter.SetOptions(names)
	if selected == "" {
		s.filter.SetSelectedIndex(0)
	}
}

func (s *LabelScreen) filterChanged() {
	i := s.filter.SelectedIndex()
	if i < 0 || i >= len(s.filterChoices) {
		return
	}
	s.model.setFilter(s.filterChoices[i])
	s.refresh()
}

// refresh redraws everything that depends on the model. It reads memory only: no store, no model calls.
func (s *LabelScreen) refresh() {
	labeled, per := s.model.counts()
	total := len(s.model.items)
	s.showProgress()
	s.counts.Objects = nil
	for _, st := range s.model.styles {
		s.counts.Add(styleCountChip(st, per[st.Name]))
	}
	s.counts.Add(widget.NewLabel(fmt.Sprintf("Unlabeled %d", total-labeled)))
	s.counts.Refresh()

	it, ok := s.model.current()
	if !ok {
		s.title.SetText("Nothing to show here")
		s.current.SetText(emptyViewHint(s.model.filter.kind, total, labeled))
		s.suggestion.ParseMarkdown("")
		s.image.Image = nil
		s.image.Refresh()
	} else {
		// The SKU first: a long title is cut short, and the SKU is what a merchandiser looks up.
		s.title.SetText(it.row.SKU + "  ·  " + it.row.Title)
		s.showSuggestion(it)
		s.showImage(it.row.ImageHash)
	}
	s.queue.Refresh()
	if s.model.cursor >= 0 && s.model.cursor < len(s.model.view) {
		s.queue.ScrollTo(s.model.cursor)
	}
}

// showSuggestion shows the classifier's suggestion for the product on show, or why there is none.
func (s *LabelScreen) showSuggestion(it labelItem) {
	switch {
	case len(s.model.styles) == 0:
		s.suggestion.ParseMarkdown(noStylesHint)
	case it.sugg.style != "":
		s.suggestion.ParseMarkdown("Suggestion: **" + suggestionText(it.sugg) + "**")
	case s.training:
		s.suggestion.ParseMarkdown("No suggestion yet: the classifier is training; its suggestions appear here when it is done.")
	default:
		s.suggestion.ParseMarkdown("No suggestion yet: the classifier trains once styles have about 7 labels.\n\n" +
			"The queue shows first the products most like the styles that lack them.")
	}
}

// showCurrentSuggestion is showSuggestion for the product on show, if any (the training state changed).
func (s *LabelScreen) showCurrentSuggestion() {
	if it, ok := s.model.current(); ok {
		s.showSuggestion(it)
	}
}

// showProgress shows the labeled count and the current product's label. A label is acknowledged once
// it is in the catalog: until its write commits it reads "saving…", so what the screen calls saved
// survives a crash (the write queue applies one within milliseconds: BenchmarkLabelKeyToDurable).
func (s *LabelScreen) showProgress() {
	labeled, _ := s.model.counts()
	total := len(s.model.items)
	s.progressText = fmt.Sprintf("Labeled %d of %d products", labeled, total)
	if n := len(s.pending); n > 0 {
		s.progressText += fmt.Sprintf(" · %d saving…", n)
	}
	if total > 0 {
		s.progress.SetValue(float64(labeled) / float64(total))
	}
	s.progress.Refresh()
	if it, ok := s.model.current(); ok {
		switch _, saving := s.pending[it.row.ID]; {
		case it.row.Style == "" && len(s.model.styles) == 0:
			s.current.SetText("Unlabeled")
		case it.row.Style == "":
			s.current.SetText("Unlabeled — press a style's key")
		case saving:
			s.current.SetText("Labeled " + it.row.Style + " · saving…")
		default:
			s.current.SetText("Labeled " + it.row.Style)
		}
	}
}

func styleCountChip(st store.Style, n int) fyne.CanvasObject {
	bg := canvas.NewRectangle(kit.ParseHexColor(st.Color))
	bg.CornerRadius = 6
	text := fmt.Sprintf("%s %d", st.Name, n)
	if st.Key != "" {
		text = st.Key + " · " + text
	}
	t := canvas.NewText(text, kit.TextOn(kit.ParseHexColor(st.Color)))
	t.TextStyle.Bold = true
	return container.NewStack(bg, container.NewPadded(t))
}

// showImage shows the thumbnail at once (already decoded) and then the full image when it has loaded.
func (s *LabelScreen) showImage(hash string) {
	gen := s.imageReq.Next()
	s.image.Image = s.deps.Thumbs.Get(hash)
	s.image.Refresh()
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		img, err := kit.LoadFullImage(ctx, db, hash)
		if err != nil {
			return
		}
		s.deps.Do(func() {
			if gen.Current() {
				s.image.Image = img
				s.image.Refresh()
			}
		})
	}()
}

func (s *LabelScreen) bindCard(id int, c *queueCard) {
	if id < 0 || id >= len(s.model.view) {
		return
	}
	it := s.model.at(id)
	col := theme.Color(theme.ColorNamePrimary)
	for _, st := range s.model.styles {
		if st.Name == it.row.Style {
			col = kit.ParseHexColor(st.Color)
		}
	}
	c.bind(id, it, col, s.deps.Thumbs.Get(it.row.ImageHash), id == s.model.cursor, s.model.selected[it.row.ID])
}

func (s *LabelScreen) ThumbArrived(hash string) {
	img := s.deps.Thumbs.Cached(hash)
	for _, c := range s.cards {
		if c.hash == hash {
			c.setThumb(img)
		}
	}
	if it, ok := s.model.current(); ok && it.row.ImageHash == hash && s.image.Image == nil {
		s.image.Image = img
		s.image.Refresh()
	}
}

func (s *LabelScreen) clicked(index int, shift, ctrl bool) {
	s.model.click(index, shift, ctrl)
	s.refresh()
}

// LabelWith labels the selection (or the product under the cursor) with st and moves on. The screen
// updates at once from memory; the store write is queued.
func (s *LabelScreen) LabelWith(st store.Style) {
	ids := s.model.targets()
	if len(ids) == 0 {
		return
	}
	s.model.applyLabel(ids, st)
	s.sinceTrain += len(ids)
	s.labelSeq++
	seq := s.labelSeq
	for _, id := range ids {
		s.pending[id] = pendingLabel{style: st, seq: seq}
	}
	s.refresh()
	db, ctx := s.deps.DB, s.deps.Ctx
	s.enqueue(func() {
		_, err := db.SetLabels(ctx, ids, st.ID, "user")
		s.deps.Do(func() {
			s.settle(ids, seq)
			s.showProgress()
		})
		if err != nil {
			s.showError(fmt.Sprintf("save the label %s", st.Name), err)
			s.reloadNow() // show what the store really holds (this is the writer goroutine)
			return
		}
		s.refreshUndoState()
	})
	if s.sinceTrain >= studio.RetrainAfter(s.triedOn) {
		s.requestRetrain()
	}
}

// settle forgets the pending labels of a write that has been applied (or failed), unless the user has
// labeled the same product again since. UI goroutine only.
func (s *LabelScreen) settle(ids []int64, seq uint64) {
	for _, id := range ids {
		if p, ok := s.pending[id]; ok && p.seq == seq {
			delete(s.pending, id)
		}
	}
}

func (s *LabelScreen) enqueue(w func()) {
	select {
	case s.writes <- w:
	case <-s.deps.Ctx.Done():
	}
}

func (s *LabelScreen) refreshUndoState() {
	st, err := s.deps.DB.UndoState(s.deps.Ctx)
	if err != nil {
		return
	}
	s.deps.Do(func() { s.setUndoState(st) })
}

func (s *LabelScreen) setUndoState(st store.UndoState) {
	if st.CanUndo {
		s.undoBtn.Enable()
	} else {
		s.undoBtn.Disable()
	}
	if st.CanRedo {
		s.redoBtn.Enable()
	} else {
		s.redoBtn.Disable()
	}
}

// Undo reverts the last labeling step (it survives restarts: the history lives in the catalog).
func (s *LabelScreen) Undo() { s.undoRedo(true) }

// Redo re-applies the last undone step.
func (s *LabelScreen) Redo() { s.undoRedo(false) }

func (s *LabelScreen) undoRedo(undo bool) {
	db, ctx := s.deps.DB, s.deps.Ctx
	s.enqueue(func() {
		var res store.UndoResult
		var err error
		if undo {
			res, err = db.Undo(ctx)
		} else {
			res, err = db.Redo(ctx)
		}
		if errors.Is(err, store.ErrNotFound) {
			s.refreshUndoState()
			return
		}
		if err != nil {
			s.showError("undo", err)
			return
		}
		rows, err := db.ProductsByID(ctx, res.ProductIDs)
		if err != nil {
			s.showError("undo", err)
			return
		}
		st, _ := db.UndoState(ctx)
		s.deps.Do(func() {
			s.model.setRows(rows)
			if len(rows) > 0 {
				// Put the cursor back on the product the step changed, so the user sees what happened.
				s.model.rebuild(rows[0].ID)
			}
			s.setUndoState(st)
			s.refresh()
			Undone.Emit(s.deps.Events, res.ProductIDs)
		})
	})
}

// TypedKey handles navigation and labeling keys while the screen is shown; false if not handled.
func (s *LabelScreen) TypedKey(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyRight, fyne.KeyDown:
		s.model.move(1)
	case fyne.KeyLeft, fyne.KeyUp:
		s.model.move(-1)
	case fyne.KeySpace:
		s.model.move(1)
	case fyne.KeyEscape:
		s.model.clearSelection()
	default:
		return false
	}
	s.refresh()
	return true
}

// TypedRune labels with the style whose shortcut key was typed.
func (s *LabelScreen) TypedRune(r rune) bool {
	if st, ok := s.model.styleByKey(string(r)); ok {
		s.LabelWith(st)
		return true
	}
	return false
}

// SelectAll selects every product in the filtered view (Ctrl+A).
func (s *LabelScreen) SelectAll() {
	s.model.selectAll()
	s.refresh()
}

// loadClassifier shows a saved classifier's suggestions, or trains one when there are enough labels.
func (s *LabelScreen) loadClassifier() {
	dir, db, ctx := s.deps.DB.Dir(), s.deps.DB, s.deps.Ctx
	go func() {
		m, info, err := studio.LoadClassifier(dir)
		if errors.Is(err, studio.ErrNoClassifier) {
			// Train once there are labels: now if the catalog on screen has some, else when a reload
			// (the demo catalog's seeding, an import) brings them.
			s.deps.Do(func() {
				s.loadingSaved = false
				s.retrainIfBehind()
			})
			return
		}
		if err == nil {
			s.applySuggestions(ctx, db, m, info)
		}
		s.deps.Do(func() {
			s.loadingSaved = false
			if err != nil {
				s.status.SetText("Classifier: " + err.Error())
			} else {
				s.trainedOn = info.Labels
				s.retrainIfBehind()
			}
			Trained.Emit(s.deps.Events, Training{Info: info, Err: err})
		})
	}()
}

// Retrain trains the classifier in the background (one at a time: a request while one runs waits for
// it), then refreshes suggestions and the queue order. UI goroutine only.
func (s *LabelScreen) Retrain() {
	if s.training {
		s.retrainQueued = true
		return
	}
	s.training = true
	s.showCurrentSuggestion()
	s.retrainQueued = false
	s.sinceTrain = 0
	s.triedOn, _ = s.model.counts()
	s.retrainBtn.Disable()
	s.status.SetText("Classifier: training…")
	ctx, cancel := context.WithCancel(s.deps.Ctx)
	s.cancelTrain = cancel
	db := s.deps.DB
	end := s.deps.Work.Begin()
	go func() {
		defer end()
		var last time.Time
		m, info, err := studio.TrainClassifier(ctx, db, style.DefaultConfig(), func(ev studio.TrainProgress) {
			if time.Since(last) < 100*time.Millisecond {
				return
			}
			last = time.Now()
			text := fmt.Sprintf("Classifier: training, epoch %d of %d (%.0f%% on training images)", ev.Epoch, ev.Epochs, 100*ev.TrainAcc)
			if ev.Checking {
				// An older catalog's first training reads each picture's transparency once.
				text = fmt.Sprintf("Classifier: reading the transparency of older pictures, %d of %d (once)", ev.Checked, ev.ToCheck)
			}
			s.deps.Do(func() { s.status.SetText(text) })
		})
		if err == nil {
			s.applySuggestions(ctx, db, m, info)
		} else if errors.Is(err, style.ErrNotEnoughLabels) {
			s.applyFill(ctx, db)
		}
		// Decided here, not in the queued closure: the closure runs later, after cancel below.
		cancelled := ctx.Err() != nil
		cancel()
		s.deps.Do(func() { s.trainingEnded(info, err, cancelled) })
	}()
}

// trainingEnded shows how a classifier training ended, in words, and starts a retrain asked for
// meanwhile. UI goroutine only.
func (s *LabelScreen) trainingEnded(info studio.ClassifierInfo, err error, cancelled bool) {
	s.training = false
	s.retrainBtn.Enable()
	s.showCurrentSuggestion()
	switch {
	case err == nil:
		s.trainedOn = info.Labels
	case cancelled:
		s.status.SetText("Classifier: training stopped")
	case errors.Is(err, style.ErrNotEnoughLabels):
		s.status.SetText("Classifier: waiting for labels · " + err.Error())
	default:
		s.status.SetText("Classifier: training failed: " + err.Error() + " (press Retrain now to try again)")
	}
	Trained.Emit(s.deps.Events, Training{Info: info, Err: err})
	if s.retrainQueued && !cancelled {
		s.Retrain()
	}
}

// applySuggestions computes suggestions and the queue off the UI goroutine and installs them.
func (s *LabelScreen) applySuggestions(ctx context.Context, db *store.DB, m *style.Model, info studio.ClassifierInfo) {
	sugg, queue, err := studio.SuggestCached(ctx, db, m, 1, s.stats)
	if err != nil {
		if ctx.Err() == nil {
			s.showError("suggest styles", err)
		}
		return
	}
	conv := make(map[int64]suggestion, len(sugg))
	for id, sg := range sugg {
		conv[id] = suggestion{style: sg.Style, confidence: sg.Confidence, uncertainty: sg.Uncertainty}
	}
	s.deps.Do(func() {
		s.installQueue(conv, queue)
		s.status.SetText(classifierStatus(info))
		s.refresh()
	})
}

// installQueue shows new suggestions and a new queue order. In the queue view the product on show
// stays on show, first, and the new order follows it: the order lands while the person labels, and a
// key pressed as it landed must label the product they were looking at, not the new order's first
// (seen in the real window: the large image changed under the cursor when a retraining finished). UI
// goroutine only.
func (s *LabelScreen) installQueue(sugg map[int64]suggestion, queue []int64) {
	if s.model.filter.kind != filterQueue {
		s.model.setSuggestions(sugg, queue)
		return
	}
	if cur, ok := s.model.current(); ok && cur.row.Style == "" {
		q := make([]int64, 0, len(queue)+1)
		q = append(q, cur.row.ID)
		for _, id := range queue {
			if id != cur.row.ID {
				q = append(q, id)
			}
		}
		queue = q
	}
	s.model.setSuggestions(sugg, queue)
	s.model.cursor = 0 // the product on show, then the new order's most useful
}

// applyFill installs, while no classifier can be trained, the queue that gets the styles their first
// training labels (studio.FillQueue), off the UI goroutine.
func (s *LabelScreen) applyFill(ctx context.Context, db *store.DB) {
	queue, err := studio.FillQueueCached(ctx, db, s.stats)
	if err != nil {
		if ctx.Err() == nil {
			s.showError("order the labeling queue", err)
		}
		return
	}
	s.deps.Do(func() {
		// Keep what a classifier shown earlier suggested (labels removed since leave it standing).
		kept := make(map[int64]suggestion, len(s.model.items))
		for _, it := range s.model.items {
			if it.sugg.style != "" {
				kept[it.row.ID] = it.sugg
			}
		}
		s.installQueue(kept, queue)
		s.refresh()
	})
}

// emptyViewHint says why a view of the queue is empty and what to do.
func emptyViewHint(kind labelFilterKind, total, labeled int) string {
	switch {
	case total == 0:
		return "The catalog is empty: import products (Import… in the sidebar)."
	case kind == filterDisagree:
		return "No labeled product that the classifier confidently calls another style: no likely mistakes."
	case (kind == filterQueue || kind == filterUnlabeled) && labeled == total:
		return "Every product is labeled. Import more products, or choose another view in Show."
	}
	return "No product in this view. Choose another view in Show."
}

func classifierStatus(info studio.ClassifierInfo) string {
	if info.TrainedAt.IsZero() {
		return "Classifier: loaded"
	}
	text := fmt.Sprintf("Classifier: %.0f%% correct on %d held-out products · trained on %d labels at %s",
		100*info.Accuracy, info.HeldOutImages, info.TrainImages, info.TrainedAt.Local().Format("15:04"))
	if len(info.Skipped) > 0 {
		text += " · needs more labels for " + strings.Join(info.Skipped, ", ")
	}
	return text
}

// PreloadVisible decodes the thumbnails the screen shows first (headless screenshots).
func (s *LabelScreen) PreloadVisible(ctx context.Context, n int) {
	var hashes []string
	for i := 0; i < n && i < len(s.model.view); i++ {
		hashes = append(hashes, s.model.at(i).row.ImageHash)
	}
	s.deps.Thumbs.Preload(ctx, hashes)
	s.model.cursor = 0
	s.refresh()
	s.queue.ScrollToTop()
	if it, ok := s.model.current(); ok {
		if img, err := kit.LoadFullImage(ctx, s.deps.DB, it.row.ImageHash); err == nil {
			s.imageReq.Invalidate() // the asynchronous load started by refresh must not replace this one
			s.image.Image = img
			s.image.Refresh()
		}
	}
}

// Flush waits until every queued store write has been applied (tests, and before quitting).
func (s *LabelScreen) Flush() {
	done := make(chan struct{})
	s.enqueue(func() { close(done) })
	select {
	case <-done:
	case <-s.deps.Ctx.Done():
	}
}
