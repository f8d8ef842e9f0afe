package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/store"
	"stylestudio/store/library"
	"stylestudio/ui/kit"
)

// ---- the viewer ----

// runData is what the viewer needs of a stored run.
type runData struct {
	run    store.Run
	series lossSeries
	grids  []string
	styles []string
	err    error
}

// fetchRunData reads a run's metrics, grid files and style list (from its latest checkpoint).
func fetchRunData(ctx context.Context, db *store.DB, r store.Run) runData {
	d := runData{run: r}
	rows, err := db.RunMetrics(ctx, r.ID)
	if err != nil {
		d.err = err
		return d
	}
	d.series = seriesFromRows(rows)
	d.grids, d.err = studio.RunGrids(db.Dir(), r.ID)
	if side, _, err := gan.LatestCheckpoint(studio.RunDir(db.Dir(), r.ID)); err == nil {
		d.styles = side.Styles
	}
	return d
}

// openRun shows a stored run in the viewer (the job's own run is followed live instead).
func (s *TrainScreen) openRun(r store.Run) {
	if s.job != nil && s.jobRunID == r.ID {
		s.followJob()
		return
	}
	s.viewGen++
	gen, db, ctx := s.viewGen, s.deps.DB, s.deps.Ctx
	go func() {
		d := fetchRunData(ctx, db, r)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if gen == s.viewGen {
				s.applyRunData(d, false)
			}
		})
	}()
}

// applyRunData puts a fetched run in the viewer.
func (s *TrainScreen) applyRunData(d runData, live bool) {
	s.view = trainView{runID: d.run.ID, name: d.run.Name, live: live, cfg: runConfig(d.run), styles: d.styles,
		series: d.series, grids: d.grids, idx: len(d.grids) - 1, cache: map[string]image.Image{}}
	if d.err != nil {
		s.status.SetText("Could not read run " + d.run.Name + ": " + d.err.Error())
	}
	s.showView()
}

// followJob switches the viewer back to the training run.
func (s *TrainScreen) followJob() {
	if s.job == nil {
		return
	}
	s.viewGen++
	s.view = trainView{live: true, runID: s.jobRunID, name: s.job.name, cfg: s.job.cfg.WithDefaults(), styles: s.job.styles,
		cache: map[string]image.Image{}}
	s.showView()
	if s.jobRunID != 0 {
		for _, r := range s.runs {
			if r.ID == s.jobRunID {
				s.loadIntoLiveView(r)
			}
		}
	}
}

// loadIntoLiveView adds what the job's run already stored (earlier sessions, or steps logged while the
// viewer showed another run) to the live view.
func (s *TrainScreen) loadIntoLiveView(r store.Run) {
	gen, db, ctx := s.viewGen, s.deps.DB, s.deps.Ctx
	go func() {
		d := fetchRunData(ctx, db, r)
		if ctx.Err() != nil || d.err != nil {
			return
		}
		s.deps.Do(func() {
			if gen != s.viewGen || !s.view.live || s.view.runID != r.ID {
				return
			}
			merged := d.series
			last := -1
			if n := len(merged.Steps); n > 0 {
				last = merged.Steps[n-1]
			}
			for i, st := range s.view.series.Steps {
				if st > last {
					merged.add(store.MetricRow{Step: st, GAdv: s.view.series.GAdv[i], DAdv: s.view.series.DAdv[i],
						GCls: s.view.series.GCls[i], DCls: s.view.series.DCls[i], GRec: s.view.series.GRec[i]})
				}
			}
			s.view.series = merged
			atEnd := s.view.idx >= len(s.view.grids)-1
			for _, g := range d.grids {
				if !containsString(s.view.grids, g) {
					s.view.grids = append(s.view.grids, g)
				}
			}
			sort.Strings(s.view.grids)
			if len(s.view.styles) == 0 {
				s.view.styles = d.styles
			}
			if atEnd {
				s.view.idx = len(s.view.grids) - 1
			}
			s.showView()
		})
	}()
}

// showView redraws the viewer from s.view.
func (s *TrainScreen) showView() {
	v := &s.view
	switch {
	case v.live:
		s.viewTitle.SetText("Training now: " + v.name)
	case v.runID != 0:
		title := v.name
		for _, r := range s.runs {
			if r.ID == v.runID {
				title = fmt.Sprintf("%s · %s · %s", r.Name, runStatusText(r), kit.EvalSummary(r.MetricsJSON))
			}
		}
		s.viewTitle.SetText(title)
	default:
		s.viewTitle.SetText("No run yet: pick a preset on the left and press Start training")
	}
	if s.job != nil && !v.live {
		s.liveBtn.Show()
	} else {
		s.liveBtn.Hide()
	}
	s.updateSlider()
	s.curves.Refresh()
}

// updateSlider sets the slider's range to the grids and shows grid v.idx.
func (s *TrainScreen) updateSlider() {
	v := &s.view
	n := len(v.grids)
	if n > 1 {
		s.gridSlider.Max = float64(n - 1)
		s.gridSlider.Enable()
	} else {
		s.gridSlider.Max = 1
		s.gridSlider.Disable()
	}
	idx := max(0, min(v.idx, n-1))
	if s.gridSlider.Value != float64(idx) {
		s.gridSlider.Value = float64(idx) // without OnChanged: showGrid follows
	}
	s.gridSlider.Refresh()
	s.showGrid(idx)
}

// showGrid shows the view's i-th sample grid (the slider's value).
func (s *TrainScreen) showGrid(i int) {
	v := &s.view
	if len(v.grids) == 0 {
		s.gridImg.Image = nil
		s.gridImg.Refresh()
		if v.live {
			s.gridLabel.SetText("The first sample grid appears once the model is built.")
		} else if v.runID != 0 {
			s.gridLabel.SetText("This run has no sample grids.")
		} else {
			s.gridLabel.SetText("Sample grids appear here while a run trains.")
		}
		return
	}
	i = max(0, min(i, len(v.grids)-1))
	v.idx = i
	path := v.grids[i]
	img, ok := v.cache[path]
	if !ok {
		raw, err := readPNG(path)
		if err != nil {
			s.gridLabel.SetText("Could not read " + filepath.Base(path) + ": " + err.Error())
			return
		}
		img = annotateGrid(raw, v.cfg.Size, v.styles)
		v.cacheGrid(path, img)
	}
	s.gridImg.Image = img
	s.gridImg.Refresh()
	cols := "the original, then each style"
	if len(v.styles) > 0 {
		cols = "original, " + strings.Join(v.styles, ", ")
	}
	s.gridLabel.SetText(fmt.Sprintf("Step %s · grid %d of %d · rows: held-out products · columns: %s",
		thousands(gridStep(path)), i+1, len(v.grids), cols))
}

// maxCachedGrids bounds the decoded grids a view keeps (about 2 MB each); the rest are read again.
const maxCachedGrids = 8

// cacheGrid keeps a decoded grid, dropping others (never the one on show) beyond maxCachedGrids.
func (v *trainView) cacheGrid(path string, img image.Image) {
	v.cache[path] = img
	for p := range v.cache {
		if len(v.cache) <= maxCachedGrids {
			break
		}
		if p != path && (v.idx < 0 || v.idx >= len(v.grids) || p != v.grids[v.idx]) {
			delete(v.cache, p)
		}
	}
}

// gridStep is the step in a grid file's name (grid-0000300.png -> 300).
func gridStep(path string) int {
	n, _ := library.GridStep(path)
	return n
}

func readPNG(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(data))
}

// annotateGrid enlarges a sample grid (cells of size px, 2 px gutters) with whole-pixel scaling and
// adds a header row naming each column: "original", then the styles.
func annotateGrid(grid image.Image, size int, styles []string) image.Image {
	if grid == nil || size <= 0 {
		return grid
	}
	k := max(1, min(4, 128/size))
	b := grid.Bounds()
	// The grid is shown scaled down to fit its pane (about 0.4× for 64 px and six styles), so the names
	// are drawn at twice the bitmap font's size to stay readable there.
	const textScale, charW, charH = 2, 7 * 2, 13 * 2
	header := charH + 8
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k+header))
	draw.Draw(out, out.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	src := image.NewNRGBA(b)
	draw.Draw(src, b, grid, b.Min, draw.Src)
	for y := 0; y < b.Dy()*k; y++ {
		sy := b.Min.Y + y/k
		for x := 0; x < b.Dx()*k; x++ {
			si := src.PixOffset(b.Min.X+x/k, sy)
			di := out.PixOffset(x, y+header)
			copy(out.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	names := append([]string{"original"}, styles...)
	cell := (size + 2) * k
	ink := color.NRGBA{0x33, 0x33, 0x33, 0xff}
	for j, name := range names {
		maxChars := max(1, (size*k)/charW)
		if len(name) > maxChars {
			name = name[:maxChars]
		}
		x := 2*k + j*cell + (size*k-len(name)*charW)/2
		if x+len(name)*charW > out.Rect.Dx() {
			break
		}
		drawText(out, x, 4, name, ink, textScale)
	}
	return out
}

// ---- the history ----

// Reload re-reads the run history in the background.
func (s *TrainScreen) Reload() {
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		runs, err := db.Runs(ctx)
		if ctx.Err() != nil {
			return
		}
		markInterrupted(db.Dir(), runs)
		s.deps.Do(func() {
			if err != nil {
				s.status.SetText("Could not read the run history: " + err.Error())
				return
			}
			s.applyRuns(runs)
		})
	}()
}

// applyRuns shows a fresh history; with nothing on view, the newest run opens in the viewer.
func (s *TrainScreen) applyRuns(runs []store.Run) {
	s.runs = runs
	s.runSpeeds = runStepTimes(runs)
	s.updatePresetOptions()
	s.history.Refresh()
	sel := -1
	for i, r := range runs {
		if r.ID == s.selected {
			sel = i
		}
	}
	if sel >= 0 {
		s.history.Select(sel)
	} else {
		s.selected = 0
		s.history.UnselectAll()
	}
	s.tabs.Items[1].Text = fmt.Sprintf("Run history (%d)", len(runs))
	s.tabs.Refresh()
	if s.nameSuggested || s.name.Text == "" {
		if i := matchesPreset(s.mustFormConfig()); i >= 0 {
			s.suggestName(trainPresets()[i].Name)
		}
	}
	s.updateHistoryButtons()
	s.formChanged()
	if s.view.runID == 0 && !s.view.live && len(runs) > 0 {
		s.openRun(runs[0])
	} else if s.view.runID != 0 && !s.view.live {
		s.showView() // status or metrics may have changed
	}
	Loaded.Emit(s.deps.Events, struct{}{})
}

func (s *TrainScreen) mustFormConfig() gan.Config {
	c, _ := s.formConfig()
	return c
}

func (s *TrainScreen) selectedRun() (store.Run, bool) {
	for _, r := range s.runs {
		if r.ID == s.selected {
			return r, true
		}
	}
	return store.Run{}, false
}

// updateHistoryButtons enables the actions that apply to the selected run and describes it.
func (s *TrainScreen) updateHistoryButtons() {
	if s.openBtn == nil {
		return
	}
	r, ok := s.selectedRun()
	set := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	training := ok && s.jobRunID == r.ID && s.job != nil
	canResume, why := runCanResume(r)
	set(s.openBtn, ok)
	set(s.resumeRun, ok && s.job == nil && canResume)
	set(s.renameBtn, ok)
	set(s.deleteBtn, ok && !training)
	set(s.activeBtn, ok && r.StepsDone > 0 && !r.Active)
	set(s.compareBtn, ok && len(s.runs) >= 2)
	set(s.evalBtn, ok && r.StepsDone > 0 && !training)
	set(s.detailsBtn, ok)
	if s.historyPane != nil {
		defer s.historyPane.Refresh() // the description's height changes
	}
	if !ok {
		s.runInfo.SetText("Select a run to see its settings and act on it.")
		return
	}
	c := runConfig(r)
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s, %s of %s steps, %s of training", r.Name, runStatusText(r), thousands(r.StepsDone), thousands(c.Steps), clockDuration(r.Duration))
	if !r.CreatedAt.IsZero() {
		fmt.Fprintf(&b, ", started %s", r.CreatedAt.Local().Format("2 Jan 15:04"))
	}
	fmt.Fprintf(&b, ".\nSettings: %d px, batch %d, learning rate %g, seed %d, generator width %d, discriminator width %d, %d residual blocks.\nEval: %s.",
		c.Size, c.BatchSize, c.LR, c.Seed, c.GenWidth, c.DiscWidth, c.ResBlocks, kit.EvalSummary(r.MetricsJSON))
	if r.Active {
		b.WriteString("\nPreview and Feed use this run.")
	}
	if !canResume && !training && r.Status != store.RunFinished {
		b.WriteString("\nCannot resume: " + why + ".")
	}
	if training {
		b.WriteString("\nTraining now.")
	}
	s.runInfo.SetText(b.String())
}

// evaluateSelected measures the selected run's latest checkpoint in the job panel (studio.EvaluateRun,
// what `stylestudio eval` runs); the report is stored with the run and the history shows it.
func (s *TrainScreen) evaluateSelected() {
	r, ok := s.selectedRun()
	if !ok {
		return
	}
	db, name := s.deps.DB, r.Name
	started := s.deps.Jobs.Run("Evaluating "+name+" on the held-out products", func(ctx context.Context, _ func(kit.Progress)) error {
		_, err := studio.EvaluateRun(ctx, db, name)
		return err
	}, func(err error) { s.evaluated(name, err) })
	if !started {
		dialog.ShowInformation("Busy", "Another job is running (see the bottom of the window); evaluate when it has finished.", s.deps.Window)
		return
	}
	s.evalBtn.Disable()
}

// evaluated reports a finished evaluation and reloads the history with its numbers. UI goroutine.
func (s *TrainScreen) evaluated(name string, err error) {
	switch {
	case errors.Is(err, context.Canceled):
		s.note("Evaluation of " + name + " cancelled.")
	case err != nil:
		s.note("Could not evaluate " + name + ": " + err.Error())
		if !s.deps.Headless {
			dialog.ShowError(fmt.Errorf("evaluate %s: %w", name, err), s.deps.Window)
		}
	default:
		s.note("Evaluated " + name + ": its numbers are in the run history (Details for each style).")
	}
	s.Reload()
	Evaluated.Emit(s.deps.Events, err)
}

// runDetailsDialog is an open Details dialog: the run's full record and its editable note.
type runDetailsDialog struct {
	runID int64
	text  string
	notes *widget.Entry
	d     *dialog.ConfirmDialog
}

// showDetails opens the selected run's record (settings, evaluation per style, the checkpoints kept on
// disk) with its note, which can be edited and saved there.
func (s *TrainScreen) showDetails() {
	r, ok := s.selectedRun()
	if !ok {
		return
	}
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		cks, err := db.Checkpoints(ctx, r.ID)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() { s.openDetails(r, cks, err) })
	}()
}

func (s *TrainScreen) openDetails(r store.Run, cks []store.Checkpoint, ckErr error) {
	text := runDetailsText(r, cks, ckErr)
	body := widget.NewLabel(text)
	body.Wrapping = fyne.TextWrapWord
	notes := widget.NewMultiLineEntry()
	notes.SetText(r.Notes)
	notes.SetPlaceHolder("What this run tried and what you noticed (saved with the run)")
	notes.SetMinRowsVisible(3)
	notes.Wrapping = fyne.TextWrapWord
	noteBox := container.NewVBox(widget.NewLabelWithStyle("Note", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), notes)
	content := container.NewBorder(nil, noteBox, nil, nil, container.NewVScroll(body))
	dd := &runDetailsDialog{runID: r.ID, text: text, notes: notes}
	dd.d = dialog.NewCustomConfirm("Run "+r.Name, "Save note", "Close", content, func(save bool) {
		if save && notes.Text != r.Notes {
			s.saveNote(r.ID, notes.Text)
		}
	}, s.deps.Window)
	dd.d.Resize(fyne.NewSize(760, 580))
	dd.d.Show()
	detailsShown.Emit(s.deps.Events, dd)
}

// saveNote stores a run's note and reloads the history.
func (s *TrainScreen) saveNote(id int64, text string) {
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		err := db.SetRunNotes(ctx, id, text)
		s.deps.Do(func() {
			if err != nil {
				s.note("Could not save the note: " + err.Error())
				return
			}
			s.note("Note saved.")
			s.Reload()
		})
	}()
}

// resumeSelected continues the selected run from its latest checkpoint, to its planned steps.
func (s *TrainScreen) resumeSelected() {
	r, ok := s.selectedRun()
	if !ok || s.job != nil {
		return
	}
	if can, why := runCanResume(r); !can {
		s.note("Cannot resume " + r.Name + ": " + why + ".")
		return
	}
	s.start(studio.TrainRequest{Name: r.Name, Config: runConfig(r), Resume: true, Torch: s.torchChoice()})
}

func (s *TrainScreen) renameSelected() {
	r, ok := s.selectedRun()
	if !ok {
		return
	}
	entry := widget.NewEntry()
	entry.SetText(r.Name)
	dialog.ShowForm("Rename run", "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("New name", entry)}, func(yes bool) {
		if yes {
			s.rename(r.ID, entry.Text)
		}
	}, s.deps.Window)
}

// rename renames a run in the background and reloads the history; errors (a taken name) show a dialog.
func (s *TrainScreen) rename(id int64, name string) {
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		err := db.RenameRun(ctx, id, name)
		s.deps.Do(func() {
			if err != nil {
				dialog.ShowError(err, s.deps.Window)
				return
			}
			if s.view.runID == id {
				s.view.name = strings.TrimSpace(name)
			}
			s.Reload()
		})
	}()
}

func (s *TrainScreen) deleteSelected() {
	r, ok := s.selectedRun()
	if !ok || (s.job != nil && s.jobRunID == r.ID) {
		return
	}
	dialog.ShowConfirm("Delete run", fmt.Sprintf("Delete %q with its checkpoints, sample grids and the product variants it made?\nThis cannot be undone.", r.Name),
		func(yes bool) {
			if yes {
				s.deleteRun(r)
			}
		}, s.deps.Window)
}

// deleteRun removes a run from the catalog and its folder from the disk (refused while another window
// or command trains it).
func (s *TrainScreen) deleteRun(r store.Run) {
	db, ctx, id := s.deps.DB, s.deps.Ctx, r.ID
	go func() {
		err := studio.DeleteRun(ctx, db, r)
		s.deps.Do(func() {
			if err != nil {
				dialog.ShowError(fmt.Errorf("delete the run: %w", err), s.deps.Window)
			}
			if s.view.runID == id && !s.view.live {
				s.view = trainView{}
				s.showView()
			}
			s.selected = 0
			s.Reload()
		})
	}()
}

func (s *TrainScreen) activateSelected() {
	r, ok := s.selectedRun()
	if !ok {
		return
	}
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		err := db.SetActiveRun(ctx, r.ID)
		s.deps.Do(func() {
			if err != nil {
				dialog.ShowError(err, s.deps.Window)
				return
			}
			s.note("Preview and Feed now use " + r.Name + ".")
			s.Reload()
		})
	}()
}

// ---- compare ----

// compareView overlays two runs' curves and shows their latest grids side by side.
type compareView struct {
	runs   [2]runData
	curves *canvas.Raster
	grids  [2]*canvas.Image
	titles [2]*widget.Label
}

func (s *TrainScreen) compareSelected() {
	a, ok := s.selectedRun()
	if !ok || len(s.runs) < 2 {
		return
	}
	var others []string
	byName := map[string]store.Run{}
	for _, r := range s.runs {
		if r.ID != a.ID {
			others = append(others, r.Name)
			byName[r.Name] = r
		}
	}
	cv := s.newCompareView()
	pick := widget.NewSelect(others, nil)
	load := func(b store.Run) {
		db, ctx := s.deps.DB, s.deps.Ctx
		go func() {
			da, db2 := fetchRunData(ctx, db, a), fetchRunData(ctx, db, b)
			s.deps.Do(func() {
				cv.set(da, db2)
				comparedRuns.Emit(s.deps.Events, cv)
			})
		}()
	}
	pick.OnChanged = func(name string) { load(byName[name]) }
	top := container.NewBorder(nil, nil, widget.NewLabel(a.Name+"  compared with"), nil, pick)
	content := container.NewBorder(top, nil, nil, nil, cv.object())
	d := dialog.NewCustom("Compare runs", "Close", content, s.deps.Window)
	d.Resize(fyne.NewSize(1000, 720))
	d.Show()
	pick.SetSelected(others[0])
}

func (s *TrainScreen) newCompareView() *compareView {
	cv := &compareView{}
	cv.curves = canvas.NewRaster(func(w, h int) image.Image {
		var runs []curveRun
		for _, d := range cv.runs {
			if d.run.ID != 0 {
				runs = append(runs, curveRun{Name: d.run.Name, Series: d.series})
			}
		}
		return drawLossCurves(w, h, runs, themeChartStyle())
	})
	cv.curves.SetMinSize(fyne.NewSize(600, 300))
	for i := range cv.grids {
		cv.grids[i] = canvas.NewImageFromImage(nil)
		cv.grids[i].FillMode = canvas.ImageFillContain
		cv.grids[i].SetMinSize(fyne.NewSize(300, 200))
		cv.titles[i] = widget.NewLabel("")
		cv.titles[i].Wrapping = fyne.TextWrapWord
	}
	return cv
}

func (cv *compareView) object() fyne.CanvasObject {
	colors := compareColors()
	side := func(i int) fyne.CanvasObject {
		swatch := canvas.NewRectangle(colors[i])
		swatch.SetMinSize(fyne.NewSize(14, 14))
		return container.NewBorder(container.NewBorder(nil, nil, container.NewCenter(swatch), nil, cv.titles[i]), nil, nil, nil, cv.grids[i])
	}
	return container.NewGridWithRows(2, cv.curves, container.NewGridWithColumns(2, side(0), side(1)))
}

// set shows two fetched runs.
func (cv *compareView) set(a, b runData) {
	cv.runs = [2]runData{a, b}
	for i, d := range cv.runs {
		c := runConfig(d.run)
		cv.titles[i].SetText(fmt.Sprintf("%s: %s, %s of %s steps at %d px, batch %d · %s", d.run.Name, d.run.Status,
			thousands(d.run.StepsDone), thousands(c.Steps), c.Size, c.BatchSize, kit.EvalSummary(d.run.MetricsJSON)))
		cv.grids[i].Image = nil
		if n := len(d.grids); n > 0 {
			if img, err := readPNG(d.grids[n-1]); err == nil {
				cv.grids[i].Image = annotateGrid(img, c.Size, d.styles)
			}
		}
		cv.grids[i].Refresh()
	}
	cv.curves.Refresh()
}

// ---- closing the window while training ----

// AskClose asks what to do with a running job when the window is closed: stop it with a checkpoint
// and quit (closeWindow; Shell.Close waits for the checkpoint), keep it training with the window
// hidden, or not close.
func (s *TrainScreen) AskClose(closeWindow func()) {
	step := ""
	if s.job != nil {
		s.job.mu.Lock()
		if s.job.live.steps > 0 {
			step = fmt.Sprintf(" (step %d of %d)", s.job.live.step, s.job.live.steps)
		}
		s.job.mu.Unlock()
	}
	msg := widget.NewLabel(fmt.Sprintf("%s is training%s.\n\nStop it now: a checkpoint is written and Resume in the run history continues later.\n"+
		"Or keep it training with the window hidden: the app quits by itself when the run is finished.", s.jobName(), step))
	msg.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	stop := widget.NewButton("Stop training and quit", func() { d.Hide(); closeWindow() })
	stop.Importance = widget.HighImportance
	keep := widget.NewButton("Keep training in the background", func() { d.Hide(); s.goBackground(closeWindow) })
	stay := widget.NewButton("Don't close", func() { d.Hide() })
	content := container.NewVBox(msg, container.NewHBox(stay, keep, stop))
	d = dialog.NewCustomWithoutButtons("Close Style Studio?", content, s.deps.Window)
	d.Resize(fyne.NewSize(560, 220))
	d.Show()
}

func (s *TrainScreen) jobName() string {
	if s.job == nil {
		return "A run"
	}
	return s.job.name
}

// goBackground hides the window and lets the run finish; the app then quits. Where the desktop has a
// system tray, its menu can bring the window back or stop the run.
func (s *TrainScreen) goBackground(closeWindow func()) {
	if s.job == nil {
		closeWindow()
		return
	}
	s.quitWhenDone = true
	if desk, ok := fyne.CurrentApp().(desktop.App); ok && !s.deps.Headless {
		desk.SetSystemTrayMenu(fyne.NewMenu("Style Studio",
			fyne.NewMenuItem("Show Style Studio", func() {
				s.quitWhenDone = false
				s.deps.Window.Show()
			}),
			fyne.NewMenuItem("Stop training and quit", closeWindow),
		))
	}
	s.deps.Window.Hide()
}

// ---- headless loading (screenshots, tests) ----

// Snapshot is everything the screen paints, fetched in one go.
type Snapshot struct {
	data      gan.Data
	skipped   []string
	dataErr   error
	runs      []store.Run
	view      runData
	estimates map[string]time.Duration
}

// FetchSnapshot reads the screen's data synchronously: the labels, the history, the newest run and
// (with timer) the preset estimates.
func FetchSnapshot(ctx context.Context, db *store.DB, timer StepTimer) (Snapshot, error) {
	var sn Snapshot
	sn.data, sn.skipped, sn.dataErr = studio.GANData(ctx, db)
	runs, err := db.Runs(ctx)
	if err != nil {
		return sn, err
	}
	markInterrupted(db.Dir(), runs)
	sn.runs = runs
	if len(runs) > 0 {
		sn.view = fetchRunData(ctx, db, runs[0])
	}
	sn.estimates = map[string]time.Duration{}
	if timer != nil && sn.dataErr == nil {
		for _, p := range trainPresets() {
			k := modelKey(p.Cfg)
			if _, ok := sn.estimates[k]; ok {
				continue
			}
			d, err := timer(ctx, p.Cfg, sn.data)
			if err != nil {
				return sn, fmt.Errorf("warm-up of %s: %w", p.Name, err)
			}
			sn.estimates[k] = d
		}
	}
	return sn, nil
}

// ApplySnapshot shows a fetched snapshot. UI goroutine.
func (s *TrainScreen) ApplySnapshot(sn Snapshot) {
	for k, v := range sn.estimates {
		s.estimates[k] = v
	}
	s.applyData(sn.data, sn.skipped, sn.dataErr)
	s.viewGen++
	if sn.view.run.ID != 0 {
		s.applyRunData(sn.view, false)
	}
	s.applyRuns(sn.runs)
}
