package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/engine/style"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/internal/testkit/trainedlib"
	"stylestudio/store"
	"stylestudio/store/library"
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

var fakeStepTimer = trainedlib.FakeStepTimer

// trainHarness runs the shell headless on the train screen.
type trainHarness struct {
	sh       *testShell
	s        *TrainScreen
	loaded   chan struct{}
	measured chan struct{}
	finished chan error
	live     chan int
	quit     chan struct{} // the app quit (Deps.Quit)
}

func newTrainHarness(t *testing.T, db *store.DB) *trainHarness {
	t.Helper()
	quit := make(chan struct{}, 4)
	sh := kittest.Open(t, db, kittest.Size, newTestShell, func(d *kit.Deps) { d.Quit = func() { quit <- struct{}{} } })
	h := &trainHarness{sh: sh, s: sh.Screen, loaded: make(chan struct{}, 64), measured: make(chan struct{}, 4),
		finished: make(chan error, 4), live: make(chan int, 4096), quit: quit}
	ev := sh.Deps.Events
	Loaded.On(ev, func(struct{}) { h.loaded <- struct{}{} })
	Measured.On(ev, func(struct{}) { h.measured <- struct{}{} })
	Finished.On(ev, func(err error) { h.finished <- err })
	Live.On(ev, func(step int) {
		select {
		case h.live <- step:
		default:
		}
	})
	sh.Start()
	sh.OnUI(func() { sh.ShowScreen("train") })
	kittest.WaitChan(t, h.measured, "the preset warm-up")
	return h
}

func (h *trainHarness) do(f func()) { h.sh.OnUI(f) }

// waitLoaded waits for a history load after which ok holds (checked on the UI goroutine).
func (h *trainHarness) waitLoaded(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for {
		kittest.WaitChan(t, h.loaded, what)
		var done bool
		h.do(func() { done = ok() })
		if done {
			return
		}
	}
}

// waitStep waits until the live view has reported at least step.
func (h *trainHarness) waitStep(t *testing.T, step int) {
	t.Helper()
	for {
		if got := kittest.WaitChan(t, h.live, "a training step"); got >= step {
			return
		}
	}
}

// buttonStates is start, pause, resume, cancel: enabled or not.
func (h *trainHarness) buttonStates() [4]bool {
	s := h.s
	return [4]bool{!s.startBtn.Disabled(), !s.pauseBtn.Disabled(), !s.resumeBtn.Disabled(), !s.cancelBtn.Disabled()}
}

func TestTrainPresetsFillTheFormWithMeasuredEstimates(t *testing.T) {
	db := trainedLibrary(t)
	h := newTrainHarness(t, db)
	s := h.s
	h.do(func() {
		// Fake timer: Quick 80 ms × 300 steps, Balanced 120 ms × 2,000, Quality 480 ms × 3,000 (+5%).
		for i, want := range []string{"about 25 s", "about 4 min", "about 25 min"} {
			if !strings.Contains(s.presetOpts[i], want) {
				t.Errorf("preset %d reads %q, want %q", i, s.presetOpts[i], want)
			}
		}
		if s.preset.Selected != s.presetOpts[0] || s.steps.Text != "300" || s.batch.Text != "8" || s.size.Selected != "64" {
			t.Fatalf("Quick preview should be chosen at first: %q steps %s batch %s size %s", s.preset.Selected, s.steps.Text, s.batch.Text, s.size.Selected)
		}
		if s.name.Text != "quick-preview" {
			t.Errorf("suggested name %q", s.name.Text)
		}
		if len(s.device.Options) != 1 || s.device.Selected != deviceBuiltin || s.torchChoice() != nil {
			t.Errorf("before PyTorch is looked for, Device offers %v (selected %q)", s.device.Options, s.device.Selected)
		}
		if h.buttonStates() != [4]bool{true, false, false, false} {
			t.Errorf("idle buttons %v, want only Start", h.buttonStates())
		}
		s.preset.SetSelected(s.presetOpts[2])
		if s.size.Selected != "128" || s.steps.Text != "3000" || s.batch.Text != "12" || s.name.Text != "quality" {
			t.Fatalf("Quality preset filled size %s steps %s batch %s name %q", s.size.Selected, s.steps.Text, s.batch.Text, s.name.Text)
		}
		if !strings.Contains(s.estimate.Text, "about 25 min") {
			t.Errorf("estimate %q", s.estimate.Text)
		}
		// Editing a field leaves the preset; the estimate follows the fields.
		s.steps.SetText("30000")
		if s.preset.Selected != "" {
			t.Errorf("preset still %q after editing the steps", s.preset.Selected)
		}
		if !strings.Contains(s.estimate.Text, "about 4 h 12 min") {
			t.Errorf("estimate after editing %q", s.estimate.Text)
		}
		s.batch.SetText("8")
		if !strings.Contains(s.estimate.Text, "roughly") {
			t.Errorf("another batch size should scale the estimate, got %q", s.estimate.Text)
		}
		// Bad input names the field; Start stays disabled.
		s.lr.SetText("fast")
		if !strings.Contains(s.formErr.Text, "Learning rate") || !s.startBtn.Disabled() {
			t.Errorf("bad learning rate: %q, start enabled %v", s.formErr.Text, !s.startBtn.Disabled())
		}
		s.lr.SetText("0.0002")
		s.name.SetText("tiny")
		if !strings.Contains(s.formErr.Text, "exists") || !s.startBtn.Disabled() {
			t.Errorf("taken name: %q", s.formErr.Text)
		}
		s.name.SetText("new")
		s.styles.SetSelected(s.styles.Options[:1])
		if !strings.Contains(s.formErr.Text, "2 styles") || !s.startBtn.Disabled() {
			t.Errorf("one style: %q", s.formErr.Text)
		}
		s.styles.SetSelected(s.styles.Options[:2])
		if s.startBtn.Disabled() {
			t.Errorf("valid form, Start disabled: %q", s.formErr.Text)
		}
	})
}

// fillTiny puts a tiny model in the form.
func fillTiny(s *TrainScreen, name string, steps string) {
	s.name.SetText(name)
	s.size.SetSelected("32")
	s.batch.SetText("2")
	s.steps.SetText(steps)
	s.genWidth.SetText("4")
	s.discWidth.SetText("4")
	s.resBlocks.SetText("1")
	s.sampleEach.SetText("5")
	s.ckptEach.SetText("10")
}

func TestTrainStartPauseResumeCancelThenResumeFromHistory(t *testing.T) {
	db := trainedLibrary(t)
	ctx := context.Background()
	h := newTrainHarness(t, db)
	s := h.s
	var want []string
	h.do(func() {
		fillTiny(s, "ui-run", "400")
		s.styles.SetSelected(s.styles.Options[:3])
		want = s.selectedStyles()
		test.Tap(s.startBtn)
		if h.buttonStates() != [4]bool{false, true, false, true} {
			t.Errorf("running buttons %v, want Pause and Cancel", h.buttonStates())
		}
		if !s.batch.Disabled() {
			t.Error("the form should be locked while training")
		}
	})
	h.waitStep(t, 1)
	h.do(func() {
		test.Tap(s.pauseBtn)
		if h.buttonStates() != [4]bool{false, false, true, true} {
			t.Errorf("paused buttons %v, want Resume and Cancel", h.buttonStates())
		}
		if !s.job.pause.Paused() {
			t.Error("the job is not paused")
		}
		test.Tap(s.resumeBtn)
		if h.buttonStates() != [4]bool{false, true, false, true} || s.job.pause.Paused() {
			t.Errorf("resumed buttons %v", h.buttonStates())
		}
	})
	h.waitStep(t, 12)
	h.do(func() {
		if len(s.view.series.Steps) == 0 || s.view.runID == 0 || !s.view.live {
			t.Fatalf("live view: %d points, run %d, live %v", len(s.view.series.Steps), s.view.runID, s.view.live)
		}
		test.Tap(s.cancelBtn)
		if h.buttonStates() != [4]bool{false, false, false, false} {
			t.Errorf("stopping buttons %v, want none", h.buttonStates())
		}
	})
	if err := kittest.WaitChan(t, h.finished, "the cancelled run"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel ended with %v", err)
	}
	run, err := db.RunByName(ctx, "ui-run")
	if err != nil || run.Status != store.RunCancelled || run.StepsDone < 12 {
		t.Fatalf("after cancel: %+v %v", run, err)
	}
	side, _, err := gan.LatestCheckpoint(library.RunDir(db.Dir(), run.ID))
	if err != nil || side.Step != run.StepsDone || strings.Join(side.Styles, ",") != strings.Join(want, ",") {
		t.Fatalf("checkpoint %d %v (styles %v, want %v)", side.Step, err, side.Styles, want)
	}
	h.do(func() {
		if h.buttonStates()[0] {
			// The name is taken now, so Start waits for a new one.
			t.Error("Start should need a new name")
		}
		if b := h.buttonStates(); b[1] || b[2] || b[3] {
			t.Errorf("idle buttons %v", b)
		}
	})

	// Resume from the history runs it to its planned steps; shorten the plan first so the test is quick.
	cfg := runConfig(run)
	cfg.Steps = run.StepsDone + 10
	h.do(func() {
		s.start(studio.TrainRequest{Name: run.Name, Config: cfg, Resume: true})
	})
	if err := kittest.WaitChan(t, h.finished, "the resumed run"); err != nil {
		t.Fatal(err)
	}
	run, _ = db.RunByName(ctx, "ui-run")
	if run.Status != store.RunFinished || run.StepsDone != cfg.Steps {
		t.Fatalf("after resume: status %s, %d steps (want %d)", run.Status, run.StepsDone, cfg.Steps)
	}
	grids, _ := library.RunGrids(db.Dir(), run.ID)
	h.do(func() {
		if s.view.runID != run.ID || len(s.view.grids) != len(grids) || len(grids) < 4 {
			t.Fatalf("view run %d with %d grids, disk %d", s.view.runID, len(s.view.grids), len(grids))
		}
		if s.gridSlider.Disabled() || int(s.gridSlider.Max) != len(grids)-1 || int(s.gridSlider.Value) != len(grids)-1 {
			t.Fatalf("slider %v..%v at %v, disabled %v", s.gridSlider.Min, s.gridSlider.Max, s.gridSlider.Value, s.gridSlider.Disabled())
		}
		// Scrub back to the first grid (step 0) and forward again.
		s.gridSlider.SetValue(0)
		if !strings.HasPrefix(s.gridLabel.Text, "Step 0 ·") || s.gridImg.Image == nil {
			t.Errorf("first grid: %q", s.gridLabel.Text)
		}
		s.gridSlider.SetValue(s.gridSlider.Max)
		if !strings.Contains(s.gridLabel.Text, "Step "+thousands(cfg.Steps)) {
			t.Errorf("last grid: %q", s.gridLabel.Text)
		}
		if n := len(s.view.series.Steps); n == 0 || s.view.series.Steps[n-1] != cfg.Steps {
			t.Errorf("curves end at %v", s.view.series.Steps)
		}
		img := drawLossCurves(800, 400, []curveRun{{Name: run.Name, Series: s.view.series}}, themeChartStyle())
		if !hasColor(img, curvePanels()[0].Color) {
			t.Error("the G adv curve is not drawn")
		}
	})

	// Compare it with the template's run: both curves overlaid, both latest grids.
	compared := make(chan *compareView, 1)
	h.do(func() {
		comparedRuns.On(s.deps.Events, func(cv *compareView) { compared <- cv })
		s.selected = run.ID
		s.updateHistoryButtons()
		if s.compareBtn.Disabled() {
			t.Fatal("Compare is disabled with two runs")
		}
		test.Tap(s.compareBtn)
	})
	cv := kittest.WaitChan(t, compared, "the comparison")
	h.do(func() {
		if cv.runs[0].run.ID != run.ID || cv.runs[1].run.Name != "tiny" || cv.grids[0].Image == nil || cv.grids[1].Image == nil {
			t.Fatalf("comparison of %q and %q, grids %v %v", cv.runs[0].run.Name, cv.runs[1].run.Name, cv.grids[0].Image != nil, cv.grids[1].Image != nil)
		}
		img := drawLossCurves(800, 400, []curveRun{{Name: "a", Series: cv.runs[0].series}, {Name: "b", Series: cv.runs[1].series}}, themeChartStyle())
		if !hasColor(img, compareColors()[0]) || !hasColor(img, compareColors()[1]) {
			t.Error("the overlaid curves do not show both runs")
		}
	})
}

func TestTrainClosingTheWindowAsksToStopOrKeepTraining(t *testing.T) {
	db := trainedLibrary(t)
	h := newTrainHarness(t, db)
	s := h.s
	quit := h.quit
	overlay := func() fyne.CanvasObject { return s.deps.Window.Canvas().Overlays().Top() }
	closed := false

	// Keep training in the background: the window hides and the app quits once the run is finished.
	h.do(func() {
		fillTiny(s, "background-run", "40")
		test.Tap(s.startBtn)
	})
	h.waitStep(t, 1)
	h.do(func() {
		s.AskClose(func() { closed = true })
		if overlay() == nil {
			t.Fatal("no question shown")
		}
		keep := kittest.FindButton(overlay(), "Keep training in the background")
		if keep == nil {
			t.Fatal("no Keep training button")
		}
		test.Tap(keep)
		if !s.quitWhenDone || closed {
			t.Fatalf("keep training: quit when done %v, closed %v", s.quitWhenDone, closed)
		}
	})
	if err := kittest.WaitChan(t, h.finished, "the background run"); err != nil {
		t.Fatal(err)
	}
	kittest.WaitChan(t, quit, "the app to quit after the background run")
	if r, _ := db.RunByName(context.Background(), "background-run"); r.Status != store.RunFinished || r.StepsDone != 40 {
		t.Fatalf("background run: %s at %d steps", r.Status, r.StepsDone)
	}

	// Stop training and quit: the window closes; Shell.Close stops the run with a checkpoint.
	for len(h.live) > 0 {
		<-h.live // the first run's updates
	}
	h.do(func() {
		fillTiny(s, "close-run", "5000")
		test.Tap(s.startBtn)
	})
	h.waitStep(t, 1)
	h.do(func() {
		s.AskClose(func() { closed = true })
		stop := kittest.FindButton(overlay(), "Stop training and quit")
		if stop == nil {
			t.Fatal("no Stop button")
		}
		test.Tap(stop)
		if !closed {
			t.Fatal("Stop training and quit did not close the window")
		}
	})
	h.sh.Close()
	run, err := db.RunByName(context.Background(), "close-run")
	if err != nil || run.Status != store.RunPaused || run.StepsDone < 1 {
		t.Fatalf("after closing: %+v %v", run, err)
	}
}

func TestTrainHistoryRenameActivateDelete(t *testing.T) {
	db := trainedLibrary(t)
	ctx := context.Background()
	h := newTrainHarness(t, db)
	s := h.s
	run, err := db.RunByName(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	h.do(func() {
		if len(s.runs) != 1 {
			t.Fatalf("history lists %d runs", len(s.runs))
		}
		s.history.Select(0)
		if s.resumeRun.Disabled() == false {
			t.Error("a finished run cannot be resumed")
		}
		if s.activeBtn.Disabled() || s.deleteBtn.Disabled() || s.renameBtn.Disabled() {
			t.Error("actions disabled for a finished run")
		}
		if !strings.Contains(s.runInfo.Text, "not evaluated") {
			t.Errorf("run info %q", s.runInfo.Text)
		}
		s.rename(run.ID, "tiny renamed")
	})
	h.waitLoaded(t, "history after rename", func() bool { return len(s.runs) == 1 && s.runs[0].Name == "tiny renamed" })
	if r, _ := db.Run(ctx, run.ID); r.Name != "tiny renamed" {
		t.Fatalf("renamed to %q", r.Name)
	}
	h.do(func() { test.Tap(s.activeBtn) })
	h.waitLoaded(t, "history after marking", func() bool { return s.runs[0].Active })
	if a, err := db.ActiveRun(ctx); err != nil || a.ID != run.ID {
		t.Fatalf("active run %+v %v", a, err)
	}
	// Eval metrics show once present.
	if err := db.SetRunMetrics(ctx, run.ID, `{"style_accuracy":0.8,"content_ssim":0.91,"silhouette_iou":0.95}`); err != nil {
		t.Fatal(err)
	}
	h.do(func() { s.Reload() })
	h.waitLoaded(t, "history after eval", func() bool { return s.runs[0].MetricsJSON != "" })
	h.do(func() {
		if !strings.Contains(s.runInfo.Text, "Eval: style accuracy 80%.\ncontent SSIM 0.91 · silhouette IoU 0.95.") {
			t.Errorf("eval not shown: %q", s.runInfo.Text)
		}
		// Stored without an eval_version: measured before the backdrop step joined the references.
		if !strings.Contains(s.runInfo.Text, kit.OutdatedEvalNote) {
			t.Errorf("an older evaluation is not marked: %q", s.runInfo.Text)
		}
		// The history row and the viewer give the evaluation lines of their own, after the run's
		// status: on the status's line the numbers were cut off with "…".
		row := s.history.CreateItem()
		s.history.UpdateItem(0, row)
		objs := row.(*fyne.Container).Objects
		texts := strings.Split(objs[len(objs)-1].(*widget.Label).Text, "\n")
		if len(texts) != 3 || !strings.HasPrefix(texts[0], "finished") || strings.Contains(texts[0], "style") ||
			texts[1] != "style accuracy 80%" || texts[2] != "content SSIM 0.91 · silhouette IoU 0.95" {
			t.Errorf("history row %q", texts)
		}
		s.view = trainView{runID: run.ID, name: "tiny renamed"}
		s.showView()
		if got := s.viewEval.Lines(); s.viewTitle.Text != "tiny renamed · finished" || len(got) != 2 ||
			got[0] != "style accuracy 80%" || got[1] != "content SSIM 0.91 · silhouette IoU 0.95" || !s.viewEval.Box.Visible() {
			t.Errorf("viewer title %q, eval %q", s.viewTitle.Text, got)
		}
		s.view = trainView{}
		s.showView()
		if s.viewEval.Box.Visible() {
			t.Errorf("the viewer shows an evaluation without a run: %q", s.viewEval.Lines())
		}
		s.deleteRun(run)
	})
	h.waitLoaded(t, "history after delete", func() bool { return len(s.runs) == 0 })
	if _, err := db.Run(ctx, run.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("run still there: %v", err)
	}
	if _, err := os.Stat(library.RunDir(db.Dir(), run.ID)); !os.IsNotExist(err) {
		t.Fatalf("run folder still there: %v", err)
	}
	h.do(func() {
		if len(s.runs) != 0 || s.view.runID != 0 {
			t.Errorf("after delete: %d runs, view %d", len(s.runs), s.view.runID)
		}
	})
}

func TestTrainQuitStopsTheRunWithACheckpoint(t *testing.T) {
	db := trainedLibrary(t)
	h := newTrainHarness(t, db)
	h.do(func() {
		fillTiny(h.s, "quit-run", "5000")
		test.Tap(h.s.startBtn)
	})
	h.waitStep(t, 2)
	h.sh.Close() // the window has gone: stop with a checkpoint and wait for it
	run, err := db.RunByName(context.Background(), "quit-run")
	if err != nil || run.Status != store.RunPaused || run.StepsDone < 2 {
		t.Fatalf("after quitting: %+v %v", run, err)
	}
	if side, _, err := gan.LatestCheckpoint(library.RunDir(db.Dir(), run.ID)); err != nil || side.Step != run.StepsDone {
		t.Fatalf("no resumable checkpoint: %d %v", side.Step, err)
	}
	if ok, why := runCanResume(run); !ok {
		t.Fatalf("cannot resume: %s", why)
	}
}

func TestThrottleBoundsUpdatesAndKeepsTheLast(t *testing.T) {
	var calls atomic.Int32
	done := make(chan struct{}, 100)
	th := &throttle{every: 50 * time.Millisecond, apply: func() { calls.Add(1); done <- struct{}{} }}
	start := time.Now()
	for time.Since(start) < 200*time.Millisecond {
		th.poke()
		time.Sleep(time.Millisecond)
	}
	<-done
	time.Sleep(120 * time.Millisecond) // let the trailing update land
	n := int(calls.Load())
	if n < 2 || n > 7 {
		t.Fatalf("%d updates for 200 ms of pokes at most every 50 ms", n)
	}
}

func TestTrainFormParsingAndText(t *testing.T) {
	base := gan.DefaultConfig()
	v := formValues("x", base)
	v.Size, v.Steps, v.LR = "128", "1,500", "1e-4"
	c, err := v.parse(base)
	if err != nil || c.Size != 128 || c.Steps != 1500 || c.LR != 1e-4 {
		t.Fatalf("parse: %+v %v", c, err)
	}
	// The Counterparts check turns the paired loss on at its default weight, keeps a run's own weight,
	// and turns it off; the run's settings name it.
	v.PairLoss = true
	if c, err := v.parse(base); err != nil || c.LambdaPair != gan.DefaultLambdaPair || !strings.Contains(augText(c), "paired loss 10") {
		t.Errorf("paired loss on: %g, %v, settings %q", c.LambdaPair, err, augText(c))
	}
	own := base
	own.LambdaPair = 3
	if c, _ := v.parse(own); c.LambdaPair != 3 || !formValues("x", own).PairLoss {
		t.Errorf("a run's own weight 3 became %g", c.LambdaPair)
	}
	v.PairLoss = false
	if c, _ := v.parse(own); c.LambdaPair != 0 {
		t.Errorf("paired loss off: weight %g", c.LambdaPair)
	}
	for field, bad := range map[string]trainFormValues{
		"Batch":           {Batch: "many"},
		"image size":      {Size: "100"},
		"Residual blocks": {ResBlocks: "0"},
		"Seed":            {Seed: "-1"},
	} {
		if _, err := bad.parse(base); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
	for d, want := range map[time.Duration]string{12 * time.Second: "10 s", 150 * time.Second: "3 min", 80 * time.Minute: "1 h 20 min", 119*time.Minute + 50*time.Second: "2 h"} {
		if got := roughDuration(d); got != want {
			t.Errorf("roughDuration(%v) = %q, want %q", d, got, want)
		}
	}
	if got := kit.EvalSummary(""); got != "not evaluated" {
		t.Errorf("kit.EvalSummary empty = %q", got)
	}
	sm := smooth([]float64{1, 1, 1, 5}, 0.5)
	if sm[0] != 1 || sm[3] <= 1 || sm[3] >= 5 || math.IsNaN(sm[2]) {
		t.Errorf("smooth = %v", sm)
	}
	var ls lossSeries
	for _, st := range []int{10, 20, 30, 20, 30} { // a resume logs 20 and 30 again
		ls.add(store.MetricRow{Step: st})
	}
	if len(ls.Steps) != 3 || ls.Steps[2] != 30 {
		t.Errorf("series after a resume: %v", ls.Steps)
	}
}

func TestFilterGANStylesKeepsChosenStyles(t *testing.T) {
	img := testlib.DemoImage(t, 16)
	d := gan.Data{Styles: []string{"a", "b", "c"}, Samples: nil}
	for i := 0; i < 9; i++ {
		d.Train = append(d.Train, gan.Example{Image: img, Style: i % 3})
	}
	f, err := studio.FilterGANStyles(d, []string{"c", "a"})
	if err != nil || strings.Join(f.Styles, ",") != "c,a" || len(f.Train) != 6 {
		t.Fatalf("filtered %v with %d examples: %v", f.Styles, len(f.Train), err)
	}
	for _, e := range f.Train {
		if e.Style != 0 && e.Style != 1 {
			t.Fatalf("style index %d", e.Style)
		}
	}
	if _, err := studio.FilterGANStyles(d, []string{"a"}); !errors.Is(err, gan.ErrNotEnoughData) {
		t.Errorf("one style: %v", err)
	}
	if _, err := studio.FilterGANStyles(d, []string{"a", "zzz"}); err == nil {
		t.Error("unknown style accepted")
	}
}

func hasColor(img interface {
	At(x, y int) color.Color
}, c color.NRGBA) bool {
	for y := 0; y < 400; y++ {
		for x := 0; x < 800; x++ {
			if kit.ToNRGBA(img.At(x, y)) == c {
				return true
			}
		}
	}
	return false
}

// A run's real speed replaces the warm-up's guess for its model: the newest run with enough steps wins.
func TestRunStepTimesComeFromTheNewestRealRun(t *testing.T) {
	quick := trainPresets()[0].Cfg
	cfgJSON := func(c gan.Config) string {
		data, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	runs := []store.Run{
		{Name: "new", ConfigJSON: cfgJSON(quick), StepsDone: 300, Duration: 150 * time.Second, UpdatedAt: t0.Add(time.Hour)},
		{Name: "old", ConfigJSON: cfgJSON(quick), StepsDone: 300, Duration: 600 * time.Second, UpdatedAt: t0},
		{Name: "too short", ConfigJSON: cfgJSON(trainPresets()[1].Cfg), StepsDone: minStepsForSpeed - 1, Duration: time.Hour, UpdatedAt: t0.Add(2 * time.Hour)},
		// Renamed after the newest run trained: its row is newer, its training is not.
		{Name: "renamed", ConfigJSON: cfgJSON(quick), StepsDone: 300, Duration: 900 * time.Second, FinishedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(3 * time.Hour)},
	}
	got := runStepTimes(runs)
	if d, ok := got.forConfig(quick); !ok || d != 500*time.Millisecond {
		t.Errorf("quick model: %v per step, want 500ms from the newest run", d)
	}
	// The balanced model is the quick one at batch 12: 1.5 times the quick run's time per step.
	if d, ok := got.forConfig(trainPresets()[1].Cfg); !ok || d != 750*time.Millisecond {
		t.Errorf("balanced model: %v per step (%v), want 750ms scaled from the quick run", d, ok)
	}
	if _, ok := got.forConfig(trainPresets()[2].Cfg); ok {
		t.Error("the 128 px model has no run and should have no run-based estimate")
	}
}

// Evaluate in the history runs the evaluation as a job and the numbers appear; Details shows them per
// style with the checkpoints, and its note is saved with the run.
func TestTrainHistoryEvaluateDetailsAndNote(t *testing.T) {
	db := trainedLibrary(t)
	ctx := context.Background()
	// A small judge, saved before the screens start: neither the label screen nor the evaluation then
	// trains the default classifier, which takes minutes under -race.
	if _, _, err := studio.TrainClassifier(ctx, db, style.Config{Size: 32, Epochs: 2, Width: 8}, nil); err != nil {
		t.Fatal(err)
	}
	h := newTrainHarness(t, db)
	s := h.s
	evaluated := make(chan error, 1)
	h.do(func() {
		Evaluated.On(s.deps.Events, func(err error) { evaluated <- err })
		s.history.Select(0)
		if s.evalBtn.Disabled() || s.detailsBtn.Disabled() {
			t.Fatal("Evaluate and Details should be enabled for a trained run")
		}
		test.Tap(s.evalBtn)
		if !s.evalBtn.Disabled() {
			t.Error("Evaluate should be disabled while it runs")
		}
	})
	if err := kittest.WaitChan(t, evaluated, "the evaluation"); err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	h.waitLoaded(t, "history after eval", func() bool { return len(s.runs) == 1 && s.runs[0].MetricsJSON != "" })
	var shownDetails *runDetailsDialog // UI goroutine only
	detailsShown.On(s.deps.Events, func(dd *runDetailsDialog) { shownDetails = dd })
	h.do(func() {
		if !strings.Contains(s.runInfo.Text, "style accuracy") || strings.Contains(s.runInfo.Text, "not evaluated") {
			t.Errorf("run info after Evaluate: %q", s.runInfo.Text)
		}
		test.Tap(s.detailsBtn)
	})
	var dd *runDetailsDialog
	for deadline := time.Now().Add(30 * time.Second); dd == nil && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		h.do(func() { dd = shownDetails })
	}
	if dd == nil {
		t.Fatal("the Details dialog did not open")
	}
	for _, want := range []string{"Evaluation at step", "content SSIM", "Checkpoints kept on disk", "the run's model"} {
		if !strings.Contains(dd.text, want) {
			t.Errorf("details lack %q:\n%s", want, dd.text)
		}
	}
	h.do(func() {
		dd.notes.SetText("lr too high?")
		dd.d.Confirm()
	})
	h.waitLoaded(t, "history after the note", func() bool { return s.runs[0].Notes == "lr too high?" })
	if r, err := db.RunByName(ctx, "tiny"); err != nil || r.Notes != "lr too high?" {
		t.Fatalf("note not stored: %q %v", r.Notes, err)
	}
}

// The run's details say which checkpoint is the run's model: the best validated one, or the latest
// where none was validated (then a loss-ranked "best" is only what pruning keeps).
func TestRunDetailsNameTheRunsModel(t *testing.T) {
	val := func(score float64) string {
		return fmt.Sprintf(`{"val":{"style_accuracy":%g,"content_ssim":0.5,"score":%g,"products":4}}`, score, score)
	}
	cks := []store.Checkpoint{
		{Step: 100, Path: "ckpt-100.safetensors", MetricsJSON: val(0.7), IsBest: true},
		{Step: 200, Path: "ckpt-200.safetensors", MetricsJSON: val(0.6)},
	}
	text := runDetailsText(store.Run{Name: "r"}, cks, nil)
	if !strings.Contains(text, "step 100 · ") || !strings.Contains(text, "best (highest validation score): the run's model") {
		t.Errorf("validated run's details:\n%s", text)
	}
	cks = []store.Checkpoint{
		{Step: 100, Path: "ckpt-100.safetensors", MetricsJSON: "{}", IsBest: true},
		{Step: 200, Path: "ckpt-200.safetensors", MetricsJSON: "{}"},
	}
	text = runDetailsText(store.Run{Name: "r"}, cks, nil)
	if !strings.Contains(text, "latest: the run's model (no checkpoint was validated)") ||
		!strings.Contains(text, "kept by pruning (lowest smoothed style + cycle loss)") {
		t.Errorf("unvalidated run's details:\n%s", text)
	}
}

// The run's details say why an evaluation made fewer translations than its products and styles allow.
func TestRunDetailsSayWhatEvalSkipped(t *testing.T) {
	metrics := `{"step":18,"products":50,"translations":42,"skipped_translations":58,"pairs":42,"per_style":{"anglo":{"style_accuracy":0.5,"n":10}}}`
	text := runDetailsText(store.Run{Name: "r", MetricsJSON: metrics}, nil, nil)
	if !strings.Contains(text, "on 50 held-out products (42 translations; 58 not made, since the run trained on the same item in that style)") {
		t.Errorf("details of an evaluation that skipped translations:\n%s", text)
	}
	metrics = `{"step":18,"products":50,"translations":200,"per_style":{"anglo":{"style_accuracy":0.5,"n":10}}}`
	if text := runDetailsText(store.Run{Name: "r", MetricsJSON: metrics}, nil, nil); !strings.Contains(text, "(200 translations):") {
		t.Errorf("details of an evaluation that skipped nothing:\n%s", text)
	}
}

// The run's details give the matched judge's score per style and whether it can tell the styles at all.
func TestRunDetailsGiveTheMatchedJudge(t *testing.T) {
	metrics := `{"step":18,"products":50,"translations":200,"style_accuracy":0.39,"per_style":{"anglo":{"style_accuracy":0.5,"n":10}},
		"matched_judge":{"style_accuracy":0.445,"counterpart_style_accuracy":0.875,"per_style":{"anglo":{"style_accuracy":0.75,"n":10}},
		"held_out_accuracy":0.9,"held_out_own_cutout_accuracy":0.98,"size":64}}`
	text := runDetailsText(store.Run{Name: "r", MetricsJSON: metrics}, nil, nil)
	for _, want := range []string{"matched judge 44% (real drawings: 88%)", "anglo: style accuracy 50% (matched judge 75%)",
		"(64 px, in another style's cut-out), names the held-out products' styles 90% in another style's cut-out, 98% in their own."} {
		if !strings.Contains(text, want) {
			t.Errorf("details lack %q:\n%s", want, text)
		}
	}
	metrics = `{"step":18,"products":50,"translations":200,"per_style":{"anglo":{"style_accuracy":0.5,"n":10}}}`
	if text := runDetailsText(store.Run{Name: "r", MetricsJSON: metrics}, nil, nil); strings.Contains(text, "matched judge") {
		t.Errorf("details of an evaluation without the matched judge name it:\n%s", text)
	}
}

// The paired loss is offered only where the training data draws an item in two or more styles, and
// the form says for how many; the demo has none, so its check is off and disabled.
func TestTrainFormOffersThePairedLossOnlyWithCounterparts(t *testing.T) {
	db := trainedLibrary(t)
	h := newTrainHarness(t, db)
	s := h.s
	deadline := time.Now().Add(30 * time.Second)
	for ready := false; !ready; {
		h.do(func() { ready = s.dataReady })
		if !ready && time.Now().After(deadline) {
			t.Fatal("the training data never loaded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.do(func() {
		if !s.pairLoss.Disabled() || s.pairLoss.Checked || s.pairItem.HintText != "none in this catalog" {
			t.Errorf("demo: paired loss disabled %v, checked %v, hint %q", s.pairLoss.Disabled(), s.pairLoss.Checked, s.pairItem.HintText)
		}
		img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
		data := gan.Data{Styles: []string{"a", "b", "c"}, Train: []gan.Example{
			{Image: img, Style: 0, Object: "ace"}, {Image: img, Style: 1, Object: "ace"}, {Image: img, Style: 2, Object: "ace"},
			{Image: img, Style: 0, Object: "king"}, {Image: img, Style: 2, Object: "king"},
			{Image: img, Style: 1, Object: "queen"}, {Image: img, Style: 1, Object: "jack"}, {Image: img, Style: 0},
		}}
		s.applyData(data, nil, nil)
		if s.pairLoss.Disabled() || s.pairItem.HintText != "2 items in 2+ styles" {
			t.Errorf("with counterparts: disabled %v, hint %q; want enabled, 2 items (ace, king)", s.pairLoss.Disabled(), s.pairItem.HintText)
		}
		s.pairLoss.SetChecked(true)
		if c, err := s.formConfig(); err != nil || c.LambdaPair != gan.DefaultLambdaPair {
			t.Errorf("ticked: lambda_pair %v (%v)", c.LambdaPair, err)
		}
		data.Train = data.Train[5:]
		s.applyData(data, nil, nil)
		if !s.pairLoss.Disabled() || s.pairLoss.Checked {
			t.Errorf("counterparts gone: disabled %v, checked %v; want the check off and disabled", s.pairLoss.Disabled(), s.pairLoss.Checked)
		}
		if c, _ := s.formConfig(); c.LambdaPair != 0 {
			t.Errorf("counterparts gone: lambda_pair %v", c.LambdaPair)
		}
	})
}

// The Train screen fits a laptop's 1366×768 screen (about 700 px for the window under a task bar and
// title bar; the window is the screen plus about 48 px) with an evaluated run shown in the viewer and
// selected in the history. The evaluation's own lines, as first added, made the screen 78 px taller and
// the window 773 px high under Xvfb.
func TestTrainScreenFitsALaptopScreen(t *testing.T) {
	db := trainedLibrary(t)
	h := newTrainHarness(t, db)
	s := h.s
	h.waitLoaded(t, "history", func() bool { return len(s.runs) == 1 })
	if err := db.SetRunMetrics(context.Background(), s.runs[0].ID, `{"style_accuracy":0.39,"counterpart_style_accuracy":0.39,`+
		`"matched_judge":{"style_accuracy":0.445,"counterpart_style_accuracy":0.82},"content_ssim":0.71,`+
		`"generator_silhouette_iou":0.88,"silhouette_iou":0.95,"paired_ssim":0.46,"identity_paired_ssim":0.43}`); err != nil {
		t.Fatal(err)
	}
	h.do(func() { s.Reload() })
	h.waitLoaded(t, "history after eval", func() bool { return s.runs[0].MetricsJSON != "" })
	h.do(func() {
		s.history.Select(0)
		s.view = trainView{runID: s.runs[0].ID, name: s.runs[0].Name}
		s.showView()
		if len(s.viewEval.Lines()) != 2 {
			t.Fatalf("the viewer shows %q", s.viewEval.Lines())
		}
		if got := s.Object().MinSize().Height; got > 650 {
			t.Errorf("the Train screen needs %.0f px of height, more than 650", got)
		}
	})
}
