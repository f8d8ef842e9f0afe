package train

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sort"
	"strings"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/store"
	"stylestudio/store/library"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// This file: training.

// StartTraining starts a new run from the form.
func (s *TrainScreen) StartTraining() {
	if s.state != trainIdle {
		return
	}
	cfg, err := s.formConfig()
	if err == nil {
		if p := s.startProblem(); p != "" {
			err = errors.New(p)
		}
	}
	if err != nil {
		s.formErr.SetText(err.Error())
		return
	}
	s.start(studio.TrainRequest{Name: strings.TrimSpace(s.name.Text), Config: cfg, Styles: s.selectedStyles(), Torch: s.torchChoice()})
}

// start runs a training job for req.
func (s *TrainScreen) start(req studio.TrainRequest) {
	if s.stopMeasure != nil {
		s.stopMeasure() // the warm-up would compete with the run for the cores
	}
	ctx, cancel := context.WithCancel(s.deps.Ctx)
	job := &trainJob{cancel: cancel, pause: &gan.Pauser{}, done: make(chan struct{}), name: req.Name, lib: s.deps.DB.Dir(),
		styles: req.Styles, cfg: req.Config}
	job.thr = &throttle{every: uiEvery, apply: func() { s.deps.Do(func() { s.applyLive(job) }) }}
	req.Pause = job.pause
	req.Report = func(run store.Run, e gan.Event) { job.report(run, e) }
	s.job = job
	s.lastResult = ""
	s.setState(trainRunning)
	s.progressText = "Preparing " + req.Name + "…"
	s.progress.SetValue(0)
	if req.Resume {
		s.status.SetText("Resuming " + req.Name + " from its latest checkpoint…")
	} else {
		s.status.SetText("Loading the labeled images and building the model…")
	}
	s.view = trainView{live: true, name: req.Name, cfg: req.Config.WithDefaults(), styles: req.Styles, cache: map[string]image.Image{}}
	s.viewReq.Invalidate()
	s.showView()
	s.tabs.SelectIndex(0)
	db := s.deps.DB
	s.running.Store(job)
	go func() {
		defer close(job.done)
		defer s.running.CompareAndSwap(job, nil)
		run, sum, err := studio.TrainGAN(ctx, db, req)
		// The Cancel button ends the run as cancelled (it can still be resumed); quitting the app
		// leaves it paused.
		if errors.Is(err, context.Canceled) && job.cancelled.Load() && run.ID != 0 {
			bg := context.WithoutCancel(ctx)
			if db.FinishRun(bg, run.ID, store.RunCancelled, "") == nil {
				if r, rerr := db.Run(bg, run.ID); rerr == nil {
					run = r
				}
			}
		}
		s.deps.Do(func() { s.finished(job, run, sum, err) })
	}()
	s.history.Refresh()
}

// report records an engine event (training goroutine) and pokes the throttled UI update.
func (j *trainJob) report(run store.Run, e gan.Event) {
	j.mu.Lock()
	l := &j.live
	l.run, l.started = run, true
	if e.Steps > 0 {
		l.steps = e.Steps
	}
	switch e.Kind {
	case gan.EventStep:
		l.step, l.imagesPerS, l.eta, l.elapsed = e.Step, e.ImagesPerS, e.ETA, e.Elapsed
		l.rows = append(l.rows, studio.MetricRowOf(e))
	case gan.EventSample:
		l.latest = e.Grid
		l.grids = append(l.grids, gridPath(j.lib, run.ID, e.Step))
	case gan.EventCheckpoint:
		l.checkpoint = e.Step
	case gan.EventWarning:
		l.warnings = append(l.warnings, e.Message)
	}
	j.mu.Unlock()
	j.thr.poke()
}

// gridPath is where TrainGAN saves the grid of a step.
func gridPath(lib string, runID int64, step int) string {
	return library.GridPath(lib, runID, step)
}

// applyLive shows what the job reported since the last update. UI goroutine; at most every uiEvery.
func (s *TrainScreen) applyLive(job *trainJob) {
	if s.job != job {
		return
	}
	job.mu.Lock()
	l := job.live
	job.live.rows, job.live.grids, job.live.warnings = nil, nil, nil
	job.mu.Unlock()
	if !l.started {
		return
	}
	defer func() {
		Live.Emit(s.deps.Events, l.step)
	}()
	if s.jobRunID == 0 {
		// The run exists now: list it, and fill the view with what it already has (a resumed run).
		s.jobRunID = l.run.ID
		if s.view.live {
			s.view.runID, s.view.name = l.run.ID, l.run.Name
			s.loadIntoLiveView(l.run)
		}
		s.Reload()
	}
	if l.steps > 0 {
		s.progress.SetValue(float64(l.step) / float64(l.steps))
	}
	if l.step > 0 {
		// Bounded length: the bar's text sets its minimum width.
		s.progressText = fmt.Sprintf("Step %s of %s · %.1f images/s", thousands(l.step), thousands(l.steps), l.imagesPerS)
		if l.step < l.steps && l.eta > 0 {
			s.progressText += " · about " + roughDuration(l.eta) + " left"
		}
		s.progress.Refresh()
	}
	if s.state == trainRunning {
		msg := "Training " + l.run.Name
		if len(job.styles) > 0 {
			msg += " on " + strings.Join(job.styles, ", ")
		}
		if l.checkpoint > 0 {
			msg += fmt.Sprintf(" · last checkpoint at step %d", l.checkpoint)
		}
		if l.step == 0 {
			msg = "Building the model and the first sample grid for " + l.run.Name + "…"
		}
		s.status.SetText(msg)
	}
	if len(l.warnings) > 0 {
		s.status.SetText("Warning: " + l.warnings[len(l.warnings)-1])
	}
	if !s.view.live || s.view.runID != l.run.ID {
		return
	}
	for _, r := range l.rows {
		s.view.series.add(r)
	}
	if len(l.grids) > 0 {
		atEnd := s.view.idx >= len(s.view.grids)-1
		for _, g := range l.grids {
			if !containsString(s.view.grids, g) {
				s.view.grids = append(s.view.grids, g)
			}
		}
		sort.Strings(s.view.grids)
		if l.latest != nil {
			last := l.grids[len(l.grids)-1]
			s.view.cacheGrid(last, annotateGrid(l.latest, s.view.cfg.Size, s.view.styles))
		}
		if atEnd {
			s.view.idx = len(s.view.grids) - 1
		}
		s.updateSlider()
	}
	s.curves.Refresh()
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// finished ends a job on the UI goroutine.
func (s *TrainScreen) finished(job *trainJob, run store.Run, sum gan.Summary, err error) {
	if s.job != job {
		return
	}
	s.applyLive(job)
	s.job, s.jobRunID = nil, 0
	if s.view.live {
		s.view.live = false
	}
	s.setState(trainIdle)
	switch {
	case err == nil:
		s.progress.SetValue(1)
		s.progressText = fmt.Sprintf("Finished: %s steps in %s", thousands(sum.Steps), clockDuration(run.Duration))
		s.note(fmt.Sprintf("%s is trained. Try it on the Preview screen, or mark it for Preview & Feed in the run history.", run.Name))
		if a := fyne.CurrentApp(); a != nil && s.quitWhenDone {
			a.SendNotification(fyne.NewNotification("Style Studio", run.Name+" finished training"))
		}
	case errors.Is(err, context.Canceled):
		s.progressText = fmt.Sprintf("Stopped at step %s", thousands(sum.Steps))
		s.note(fmt.Sprintf("%s stopped at step %d with a checkpoint: Resume in the run history continues from there.", job.name, sum.Steps))
	default:
		s.progressText = "Training stopped"
		s.note("Training stopped: " + err.Error())
		if s.deps.Window != nil {
			s.deps.ShowError(fmt.Errorf("training %s stopped: %w", job.name, err))
		}
	}
	s.progress.Refresh()
	s.showView()
	s.Reload()
	s.loadData(s.measureEstimates) // labels may have changed while it trained; a run stopped the warm-up
	Finished.Emit(s.deps.Events, err)
	if s.quitWhenDone {
		s.quitWhenDone = false
		s.deps.QuitApp()
	}
}

// setState enables the controls that make sense in st.
func (s *TrainScreen) setState(st trainState) {
	s.state = st
	enable := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	enable(s.pauseBtn, st == trainRunning)
	enable(s.resumeBtn, st == trainPaused)
	enable(s.cancelBtn, st == trainRunning || st == trainPaused)
	for _, w := range []fyne.Disableable{s.preset, s.name, s.styles, s.size, s.batch, s.steps, s.lr, s.seed,
		s.genWidth, s.discWidth, s.resBlocks, s.sampleEach, s.ckptEach, s.diffAug, s.pairLoss} {
		if st == trainIdle {
			w.Enable()
		} else {
			w.Disable()
		}
	}
	s.updateStart()
	s.updateHistoryButtons()
}

// Pause holds the run between steps; the model stays in memory, so Resume continues at once.
func (s *TrainScreen) Pause() {
	if s.state != trainRunning || s.job == nil {
		return
	}
	s.job.pause.Pause()
	s.setState(trainPaused)
	s.status.SetText("Paused after the current step. Resume continues exactly where it stopped; Cancel keeps a checkpoint.")
}

// Resume continues a paused run.
func (s *TrainScreen) Resume() {
	if s.state != trainPaused || s.job == nil {
		return
	}
	s.job.pause.Resume()
	s.setState(trainRunning)
	s.status.SetText("Training " + s.job.name + "…")
}

// Cancel stops the run after its current step; the engine writes a checkpoint, so it can be resumed.
func (s *TrainScreen) Cancel() {
	if (s.state != trainRunning && s.state != trainPaused) || s.job == nil {
		return
	}
	s.job.cancelled.Store(true)
	s.setState(trainStopping)
	s.status.SetText("Stopping after the current step and writing a checkpoint…")
	s.job.cancel()
}

// StopForQuit cancels a running job and waits (up to timeout) until its checkpoint is written. It is
// called after the window has gone (Shell.Close), from any goroutine.
func (s *TrainScreen) StopForQuit(timeout time.Duration) {
	job := s.running.Load()
	if job == nil {
		return
	}
	job.cancel()
	select {
	case <-job.done:
	case <-time.After(timeout):
	}
}
