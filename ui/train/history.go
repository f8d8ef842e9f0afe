package train

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/store"
	"stylestudio/ui/kit"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// This file: the history.

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
	// Short lines, the evaluation on lines of its own (kit.EvalSummaryLines): each line of this
	// label is cut with "…" where it is too long, and on one line the numbers were.
	fmt.Fprintf(&b, ".\nSettings: %d px, batch %d, learning rate %g, seed %d%s.\nModel: generator width %d, discriminator width %d, %d residual blocks.\nEval: %s.",
		c.Size, c.BatchSize, c.LR, c.Seed, augText(c), c.GenWidth, c.DiscWidth, c.ResBlocks, strings.Join(kit.EvalSummaryLines(r.MetricsJSON), ".\n"))
	if kit.EvalOutdated(r.MetricsJSON) {
		b.WriteString("\n" + kit.OutdatedEvalNote)
	}
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
		s.deps.ShowInformation("Busy", "Another job is running (see the bottom of the window); evaluate when it has finished.")
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
			s.deps.ShowError(fmt.Errorf("evaluate %s: %w", name, err))
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
	s.deps.ShowDialog(dd.d, dd.d.Confirm) // Enter saves the note (inside the note it is a new line)
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
	entry := kit.NewEntry()
	entry.SetText(r.Name)
	d := dialog.NewForm("Rename run", "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("New name", entry)}, func(yes bool) {
		if yes {
			s.rename(r.ID, entry.Text)
		}
	}, s.deps.Window)
	kit.FormEntry(entry, d)
	s.deps.ShowForm(d)
	s.deps.Window.Canvas().Focus(entry)
}

// rename renames a run in the background and reloads the history; errors (a taken name) show a dialog.
func (s *TrainScreen) rename(id int64, name string) {
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		err := db.RenameRun(ctx, id, name)
		s.deps.Do(func() {
			if err != nil {
				s.deps.ShowError(err)
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
	d := dialog.NewConfirm("Delete run", fmt.Sprintf("Delete %q with its checkpoints, sample grids and the product variants it made?\nThis cannot be undone.", r.Name),
		func(yes bool) {
			if yes {
				s.deleteRun(r)
			}
		}, s.deps.Window)
	s.deps.ShowDialog(d, nil) // it cannot be undone: Delete is clicked, never an Enter meant for something else
}

// deleteRun removes a run from the catalog and its folder from the disk (refused while another window
// or command trains it).
func (s *TrainScreen) deleteRun(r store.Run) {
	db, ctx, id := s.deps.DB, s.deps.Ctx, r.ID
	go func() {
		err := studio.DeleteRun(ctx, db, r)
		s.deps.Do(func() {
			if err != nil {
				s.deps.ShowError(fmt.Errorf("delete the run: %w", err))
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
				s.deps.ShowError(err)
				return
			}
			s.note("Preview and Feed now use " + r.Name + ".")
			s.Reload()
		})
	}()
}
