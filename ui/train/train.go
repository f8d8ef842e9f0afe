package train

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/store"
	"stylestudio/store/library"
	"stylestudio/ui/kit"
)

// trainState is where the screen's training job stands.
type trainState int

const (
	trainIdle     trainState = iota
	trainRunning             // steps are running
	trainPaused              // the job waits between steps (the model stays in memory)
	trainStopping            // cancelled: the engine finishes its step and writes a checkpoint
)

// uiEvery is the most often a training job updates the screen.
const uiEvery = 100 * time.Millisecond

// TrainScreen starts, watches and compares training runs of the style-transfer GAN: a form with presets
// (each with a time estimate measured on this machine), a progress strip with pause, resume and cancel,
// live loss curves and sample grids with a slider back through time, and the run history.
type TrainScreen struct {
	deps kit.Deps
	root fyne.CanvasObject

	// The new-run form.
	preset     *widget.RadioGroup
	presetOpts []string
	name       *widget.Entry
	styles     *widget.CheckGroup
	stylesNote *widget.Label
	size       *widget.Select
	batch      *widget.Entry
	steps      *widget.Entry
	lr         *widget.Entry
	seed       *widget.Entry
	genWidth   *widget.Entry
	discWidth  *widget.Entry
	resBlocks  *widget.Entry
	sampleEach *widget.Entry
	ckptEach   *widget.Entry
	device     *widget.RadioGroup
	deviceNote *widget.Label
	estimate   *widget.Label
	formErr    *widget.Label
	startBtn   *widget.Button
	formBox    *fyne.Container

	// The job strip.
	progress     *widget.ProgressBar
	progressText string
	status       *widget.Label
	pauseBtn     *widget.Button
	resumeBtn    *widget.Button
	cancelBtn    *widget.Button

	// The viewer: one run's curves and sample grids.
	viewTitle  *widget.Label
	curves     *canvas.Raster
	gridImg    *canvas.Image
	gridSlider *widget.Slider
	gridLabel  *widget.Label
	liveBtn    *widget.Button

	// The history.
	history     *widget.List
	runInfo     *widget.Label
	openBtn     *widget.Button
	resumeRun   *widget.Button
	renameBtn   *widget.Button
	deleteBtn   *widget.Button
	activeBtn   *widget.Button
	compareBtn  *widget.Button
	evalBtn     *widget.Button
	detailsBtn  *widget.Button
	tabs        *container.AppTabs
	historyPane *fyne.Container // laid out again when the run's description changes height

	timer         StepTimer                                    // measures a step for the estimates (tests substitute a fake)
	detectTorch   func(context.Context) (gan.TorchInfo, error) // finds PyTorch (tests substitute a fake)
	torchProbed   bool                                         // detectTorch has been started
	torchDevices  map[string]gan.TorchOptions                  // Device choices that train with PyTorch
	NoAutoMeasure bool                                         // headless renders measure synchronously instead

	// UI goroutine only.
	data           gan.Data
	dataErr        error
	dataSkipped    []string
	dataReady      bool
	loadingData    bool
	afterData      []func()                 // run once the data loading in flight has finished
	estimates      map[string]time.Duration // per-step time by modelKey, from the warm-up
	runSpeeds      runSpeeds                // how fast the catalog's runs trained
	measuring      bool
	stopMeasure    context.CancelFunc
	state          trainState
	job            *trainJob
	jobRunID       int64                    // the job's run once it exists
	running        atomic.Pointer[trainJob] // the job, for stopForQuit (any goroutine)
	runs           []store.Run
	selected       int64 // run chosen in the history (0: none)
	view           trainView
	viewGen        int
	filling        bool   // the form is being filled programmatically
	lastResult     string // the last run's outcome, shown while idle until the form is edited
	nameSuggested  bool   // the name field holds a suggested name (a preset may replace it)
	presetLogEvery int    // the chosen preset's log interval
	quitWhenDone   bool
	quit           func() // quits the app after a run finished in the background (tests substitute it)
}

// trainView is the run the viewer shows.
type trainView struct {
	runID  int64 // 0: nothing shown
	name   string
	live   bool // it is the job's run: events extend it
	cfg    gan.Config
	styles []string
	series lossSeries
	grids  []string // grid files, oldest first
	idx    int      // grid on show
	latest *image.NRGBA
	cache  map[string]image.Image
}

// trainJob is one training session running on its own goroutine.
type trainJob struct {
	cancel context.CancelFunc
	pause  *gan.Pauser
	done   chan struct{}
	name   string
	lib    string
	styles []string
	cfg    gan.Config
	thr    *throttle
	// cancelled is set by the Cancel button: the run ends as cancelled (still resumable), where
	// quitting the app leaves it paused.
	cancelled atomic.Bool

	mu   sync.Mutex // guards live
	live liveState
}

// liveState is what the job's goroutine reports, picked up by the UI at most every uiEvery.
type liveState struct {
	run        store.Run
	started    bool
	step       int
	steps      int
	imagesPerS float64
	eta        time.Duration
	elapsed    time.Duration
	rows       []store.MetricRow // logged since the UI last looked
	grids      []string
	latest     *image.NRGBA
	warnings   []string
	checkpoint int
}

// NewTrainScreen builds the screen; Start loads it.
func NewTrainScreen(deps kit.Deps) *TrainScreen {
	s := &TrainScreen{deps: deps, timer: MeasureStep, estimates: map[string]time.Duration{},
		detectTorch: func(ctx context.Context) (gan.TorchInfo, error) { return gan.DetectTorch(ctx, "") }}
	s.buildForm()
	s.buildStrip()
	s.buildViewer()
	s.buildHistory()

	left := container.NewVScroll(container.NewPadded(s.formBox))
	viewer := container.NewBorder(container.NewBorder(nil, nil, nil, s.liveBtn, s.viewTitle), nil, nil, nil,
		container.NewGridWithRows(2, s.curvesBox(), s.gridBox()))
	s.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Curves & samples", theme.VisibilityIcon(), viewer),
		container.NewTabItemWithIcon("Run history", theme.HistoryIcon(), s.historyBox()),
	)
	strip := container.NewBorder(nil, nil, nil, container.NewHBox(s.startBtn, s.pauseBtn, s.resumeBtn, s.cancelBtn),
		container.NewVBox(s.progress, s.status))
	split := container.NewHSplit(left, s.tabs)
	split.Offset = 0.3
	s.root = container.NewBorder(container.NewPadded(strip), nil, nil, nil, split)
	s.setState(trainIdle)
	s.fillPreset(0)
	return s
}

// Object is the screen's widget tree.
func (s *TrainScreen) Object() fyne.CanvasObject { return s.root }

// What the Train screen announces on Deps.Events (UI goroutine).
const (
	Loaded    kit.Topic[struct{}] = "train.loaded"    // the run history was (re)loaded
	Measured  kit.Topic[struct{}] = "train.measured"  // the presets' estimates were measured
	Finished  kit.Topic[error]    = "train.finished"  // a training job ended: nil when it finished or stopped as asked
	Evaluated kit.Topic[error]    = "train.evaluated" // an evaluation started from the history ended
	Live      kit.Topic[int]      = "train.live"      // a live update of the running job was shown, at this step
	// comparedRuns: a comparison of runs has loaded.
	comparedRuns kit.Topic[*compareView] = "train.compared"
	// detailsShown: a run's Details dialog opened.
	detailsShown kit.Topic[*runDetailsDialog] = "train.details"
)

// Start loads the run history. The labeled images are read when the screen is first shown (Shown), so
// the app's start does not decode them.
func (s *TrainScreen) Start() {
	s.Reload()
}

// Shown is called when the screen comes into view: it refreshes the history and the styles (labels
// may have changed) and measures the presets once.
func (s *TrainScreen) Shown() {
	s.Reload()
	if s.state == trainIdle {
		s.loadData(s.measureEstimates)
	}
	s.probeTorch()
}

// Busy reports whether a training job is running (or stopping). UI goroutine only.
func (s *TrainScreen) Busy() bool { return s.job != nil }

func (s *TrainScreen) buildForm() {
	s.preset = widget.NewRadioGroup(nil, func(opt string) {
		if s.filling {
			return
		}
		for i, o := range s.presetOpts {
			if o == opt {
				s.lastResult = ""
				s.fillPreset(i)
			}
		}
	})
	s.name = widget.NewEntry()
	s.name.SetPlaceHolder("run name")
	s.styles = widget.NewCheckGroup(nil, func([]string) { s.edited() })
	s.stylesNote = widget.NewLabel("Reading the labels…")
	s.stylesNote.Wrapping = fyne.TextWrapWord
	s.size = widget.NewSelect([]string{"32", "64", "128"}, func(string) { s.edited() })
	entry := func(ph string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(ph)
		e.OnChanged = func(string) { s.edited() }
		return e
	}
	s.batch, s.steps, s.lr, s.seed = entry("16"), entry("2000"), entry("0.0002"), entry("1")
	s.genWidth, s.discWidth, s.resBlocks = entry("16"), entry("32"), entry("3")
	s.sampleEach, s.ckptEach = entry("100"), entry("250")
	s.name.OnChanged = func(string) { s.edited() }
	s.device = widget.NewRadioGroup([]string{deviceBuiltin}, nil)
	s.device.Horizontal = true
	s.device.Required = true
	s.device.SetSelected(deviceBuiltin)
	s.deviceNote = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	s.deviceNote.Wrapping = fyne.TextWrapWord
	s.estimate = widget.NewLabel("")
	s.estimate.Wrapping = fyne.TextWrapWord
	s.formErr = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	s.formErr.Wrapping = fyne.TextWrapWord
	s.startBtn = widget.NewButtonWithIcon("Start training", theme.MediaPlayIcon(), s.StartTraining)
	s.startBtn.Importance = widget.HighImportance

	form := widget.NewForm(
		widget.NewFormItem("Name", s.name),
		widget.NewFormItem("Image size", s.size),
		widget.NewFormItem("Batch", s.batch),
		widget.NewFormItem("Steps", s.steps),
		widget.NewFormItem("Learning rate", s.lr),
		widget.NewFormItem("Seed", s.seed),
		widget.NewFormItem("Device", s.device),
	)
	advanced := widget.NewForm(
		widget.NewFormItem("Generator width", s.genWidth),
		widget.NewFormItem("Discriminator width", s.discWidth),
		widget.NewFormItem("Residual blocks", s.resBlocks),
		widget.NewFormItem("Sample grid every", s.sampleEach),
		widget.NewFormItem("Checkpoint every", s.ckptEach),
	)
	bold := func(t string) *widget.Label {
		return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	s.formBox = container.NewVBox(
		bold("New run"),
		widget.NewLabel("Preset (time measured on this machine)"),
		s.preset,
		widget.NewSeparator(),
		bold("Styles to train"),
		s.styles, s.stylesNote,
		widget.NewSeparator(),
		form, s.deviceNote,
		widget.NewAccordion(widget.NewAccordionItem("Advanced", advanced)),
		s.estimate, s.formErr,
	)
	s.updatePresetOptions()
}

func (s *TrainScreen) buildStrip() {
	s.progress = widget.NewProgressBar()
	s.progress.TextFormatter = func() string { return s.progressText }
	s.progressText = "No training running"
	s.status = widget.NewLabel("Pick a preset, check the styles and press Start training.")
	s.status.Truncation = fyne.TextTruncateEllipsis
	s.pauseBtn = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), s.Pause)
	s.resumeBtn = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), s.Resume)
	s.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.MediaStopIcon(), s.Cancel)
}

func (s *TrainScreen) buildViewer() {
	s.viewTitle = widget.NewLabelWithStyle("No run yet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.viewTitle.Truncation = fyne.TextTruncateEllipsis
	s.curves = canvas.NewRaster(func(w, h int) image.Image {
		var runs []curveRun
		if s.view.runID != 0 || s.view.live {
			runs = []curveRun{{Name: s.view.name, Series: s.view.series}}
		}
		return drawLossCurves(w, h, runs, themeChartStyle())
	})
	s.curves.SetMinSize(fyne.NewSize(360, 200))
	s.gridImg = canvas.NewImageFromImage(nil)
	s.gridImg.FillMode = canvas.ImageFillContain
	s.gridImg.ScaleMode = canvas.ImageScaleFastest
	s.gridImg.SetMinSize(fyne.NewSize(300, 160))
	s.gridSlider = widget.NewSlider(0, 1)
	s.gridSlider.Step = 1
	s.gridSlider.OnChanged = func(v float64) { s.showGrid(int(v)) }
	s.gridSlider.Disable()
	s.gridLabel = widget.NewLabel("Sample grids appear here while a run trains.")
	s.gridLabel.Truncation = fyne.TextTruncateEllipsis
	s.liveBtn = widget.NewButton("Show the training run", func() { s.followJob() })
	s.liveBtn.Hide()
}

func (s *TrainScreen) curvesBox() fyne.CanvasObject {
	bg := canvas.NewRectangle(themeChartStyle().Bg)
	return container.NewStack(bg, s.curves)
}

func (s *TrainScreen) gridBox() fyne.CanvasObject {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bar := container.NewBorder(nil, nil, widget.NewLabel("Earlier"), widget.NewLabel("Latest"), s.gridSlider)
	return container.NewBorder(nil, container.NewVBox(bar, s.gridLabel), nil, nil, container.NewStack(bg, s.gridImg))
}

func (s *TrainScreen) buildHistory() {
	s.history = widget.NewList(
		func() int { return len(s.runs) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("Run name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			detail := widget.NewLabel("status")
			detail.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(name, detail)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(s.runs) {
				return
			}
			r := s.runs[id]
			box := o.(*fyne.Container)
			title := r.Name
			if r.Active {
				title += "  ★ used by Preview & Feed"
			}
			if s.jobRunID != 0 && s.jobRunID == r.ID {
				title += "  (training now)"
			}
			box.Objects[0].(*widget.Label).SetText(title)
			box.Objects[1].(*widget.Label).SetText(runLine(r) + " · " + kit.EvalSummary(r.MetricsJSON))
		},
	)
	s.history.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(s.runs) {
			s.selected = s.runs[id].ID
			s.updateHistoryButtons()
		}
	}
	s.runInfo = widget.NewLabel("Select a run to see its settings and act on it.")
	s.runInfo.Truncation = fyne.TextTruncateEllipsis // one line each: a wrapped label in a VBox gets too little height
	s.openBtn = widget.NewButtonWithIcon("Show curves", theme.VisibilityIcon(), func() {
		if r, ok := s.selectedRun(); ok {
			s.openRun(r)
			s.tabs.SelectIndex(0)
		}
	})
	s.resumeRun = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), s.resumeSelected)
	s.renameBtn = widget.NewButtonWithIcon("Rename…", theme.DocumentCreateIcon(), s.renameSelected)
	s.deleteBtn = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), s.deleteSelected)
	s.activeBtn = widget.NewButtonWithIcon("Use for Preview & Feed", theme.ConfirmIcon(), s.activateSelected)
	s.compareBtn = widget.NewButtonWithIcon("Compare…", theme.ViewRestoreIcon(), s.compareSelected)
	s.evalBtn = widget.NewButtonWithIcon("Evaluate", theme.SearchIcon(), s.evaluateSelected)
	s.detailsBtn = widget.NewButtonWithIcon("Details & note…", theme.InfoIcon(), s.showDetails)
	s.updateHistoryButtons()
}

func (s *TrainScreen) historyBox() fyne.CanvasObject {
	buttons := container.NewGridWithColumns(2, s.openBtn, s.resumeRun, s.activeBtn, s.compareBtn, s.evalBtn, s.detailsBtn,
		s.renameBtn, s.deleteBtn)
	info := container.NewVBox(s.runInfo, buttons)
	s.historyPane = container.NewBorder(nil, info, nil, nil, s.history)
	return s.historyPane
}

// themeChartStyle are the chart colours of the current theme (opaque).
func themeChartStyle() chartStyle {
	bg := kit.OpaqueOver(theme.Color(theme.ColorNameInputBackground), theme.Color(theme.ColorNameBackground))
	fg := kit.ToNRGBA(theme.Color(theme.ColorNameForeground))
	grid := fg
	grid.A = 0x40
	return chartStyle{Bg: bg, Fg: fg, Grid: grid}
}

// ---- the form ----

// updatePresetOptions writes each preset's line with its estimate.
func (s *TrainScreen) updatePresetOptions() {
	sel := -1
	for i, o := range s.presetOpts {
		if o == s.preset.Selected {
			sel = i
		}
	}
	var opts []string
	for _, p := range trainPresets() {
		est := "measuring…"
		if !s.dataReady || s.dataErr != nil {
			est = "no estimate yet"
		} else if d, ok := s.stepTime(p.Cfg); ok {
			est = estimateText(d, p.Cfg.Steps)
		} else if !s.measuring {
			est = "not measured yet"
		}
		name := p.Name
		if p.Cfg.Size != gan.DefaultSize {
			name += fmt.Sprintf(" (%d px)", p.Cfg.Size)
		}
		opts = append(opts, fmt.Sprintf("%s · %s steps · %s", name, thousands(p.Cfg.Steps), est))
	}
	s.filling = true
	s.presetOpts = opts
	s.preset.Options = opts
	if sel >= 0 {
		s.preset.Selected = opts[sel]
	}
	s.preset.Refresh()
	s.filling = false
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	if len(s) <= 3 {
		return s
	}
	return s[:len(s)-3] + "," + s[len(s)-3:]
}

// fillPreset puts a preset's values in the form.
func (s *TrainScreen) fillPreset(i int) {
	ps := trainPresets()
	if i < 0 || i >= len(ps) {
		return
	}
	v := formValues("", ps[i].Cfg)
	s.filling = true
	s.size.SetSelected(v.Size)
	s.batch.SetText(v.Batch)
	s.steps.SetText(v.Steps)
	s.lr.SetText(v.LR)
	s.seed.SetText(v.Seed)
	s.genWidth.SetText(v.GenWidth)
	s.discWidth.SetText(v.DiscWidth)
	s.resBlocks.SetText(v.ResBlocks)
	s.sampleEach.SetText(v.SampleEvery)
	s.ckptEach.SetText(v.CheckpointEvery)
	if i < len(s.presetOpts) {
		s.preset.Selected = s.presetOpts[i]
		s.preset.Refresh()
	}
	s.filling = false
	s.presetLogEvery = ps[i].Cfg.LogEvery
	s.suggestName(ps[i].Name)
	s.formChanged()
}

// suggestName fills the name with "quick-preview-3"-style names unless the person typed one.
func (s *TrainScreen) suggestName(preset string) {
	base := strings.ReplaceAll(strings.ToLower(preset), " ", "-")
	if s.name.Text != "" && !s.nameSuggested {
		return
	}
	taken := map[string]bool{}
	for _, r := range s.runs {
		taken[r.Name] = true
	}
	s.filling = true
	s.name.SetText(nextRunName(base, taken))
	s.filling = false
	s.nameSuggested = true
}

func (s *TrainScreen) formValues() trainFormValues {
	return trainFormValues{Name: s.name.Text, Size: s.size.Selected, Batch: s.batch.Text, Steps: s.steps.Text, LR: s.lr.Text,
		Seed: s.seed.Text, GenWidth: s.genWidth.Text, DiscWidth: s.discWidth.Text, ResBlocks: s.resBlocks.Text,
		SampleEvery: s.sampleEach.Text, CheckpointEvery: s.ckptEach.Text}
}

// formConfig reads the form; the log interval follows the preset (about 60 points for a short run).
func (s *TrainScreen) formConfig() (gan.Config, error) {
	base := gan.DefaultConfig()
	if s.presetLogEvery > 0 {
		base.LogEvery = s.presetLogEvery
	}
	return s.formValues().parse(base)
}

// formChanged re-checks the form: the preset stays selected only while the fields match it, the
// estimate follows the fields, and Start is enabled only for a valid form.
func (s *TrainScreen) formChanged() {
	if s.filling {
		return
	}
	if s.name.Text != "" && s.nameSuggested {
		// Typing in the name keeps what was typed from then on.
		s.nameSuggested = s.isSuggestedName(s.name.Text)
	}
	cfg, err := s.formConfig()
	if err == nil {
		if i := matchesPreset(cfg); i < 0 && s.preset.Selected != "" {
			s.filling = true
			s.preset.Selected = ""
			s.preset.Refresh()
			s.filling = false
		} else if i >= 0 && i < len(s.presetOpts) && s.preset.Selected != s.presetOpts[i] {
			s.filling = true
			s.preset.Selected = s.presetOpts[i]
			s.preset.Refresh()
			s.filling = false
		}
	}
	switch {
	case err != nil:
		s.estimate.SetText("")
		s.formErr.SetText(err.Error())
	default:
		s.estimate.SetText(s.estimateFor(cfg))
		s.formErr.SetText(s.startProblem())
	}
	s.updateStart()
	s.formBox.Refresh() // wrapped notes may have changed height
	if s.state == trainIdle && s.lastResult == "" {
		switch {
		case s.formErr.Text != "":
			s.status.SetText(s.formErr.Text)
		case strings.HasPrefix(s.estimate.Text, "This run: "):
			s.status.SetText(fmt.Sprintf("Ready to train %s: %s Press Start training.", strings.TrimSpace(s.name.Text),
				strings.TrimPrefix(s.estimate.Text, "This run: ")))
		default:
			s.status.SetText(fmt.Sprintf("Ready to train %s. Press Start training.", strings.TrimSpace(s.name.Text)))
		}
	}
}

// edited is a change the person made in the form: the last run's message gives way to the form's state.
func (s *TrainScreen) edited() {
	if s.filling {
		return
	}
	s.lastResult = ""
	s.formChanged()
}

// note shows a message about the last action that stays until the form is edited or a run starts.
func (s *TrainScreen) note(msg string) {
	s.lastResult = msg
	s.status.SetText(msg)
}

func (s *TrainScreen) isSuggestedName(name string) bool {
	for _, p := range trainPresets() {
		base := strings.ReplaceAll(strings.ToLower(p.Name), " ", "-")
		if name == base || strings.HasPrefix(name, base+"-") {
			if _, err := strconv.Atoi(strings.TrimPrefix(name, base+"-")); err == nil || name == base {
				return true
			}
		}
	}
	return false
}

// stepTime is how long a step of cfg's model takes on this machine: as the newest run of that model
// took (scaled by batch from another batch size), else as the warm-up measured.
func (s *TrainScreen) stepTime(cfg gan.Config) (time.Duration, bool) {
	if d, ok := s.runSpeeds.forConfig(cfg); ok {
		return d, true
	}
	d, ok := s.estimates[modelKey(cfg)]
	return d, ok
}

// estimateFor says how long cfg would train, from the nearest measured model.
func (s *TrainScreen) estimateFor(cfg gan.Config) string {
	if d, ok := s.stepTime(cfg); ok {
		return "This run: " + estimateText(d, cfg.Steps) + " on this machine."
	}
	// Same model at another batch size: a step costs about in proportion to the batch.
	for _, p := range trainPresets() {
		q := p.Cfg
		d, ok := s.stepTime(q)
		if !ok || q.Size != cfg.Size || q.GenWidth != cfg.GenWidth || q.DiscWidth != cfg.DiscWidth || q.ResBlocks != cfg.ResBlocks {
			continue
		}
		per := time.Duration(float64(d) * float64(cfg.BatchSize) / float64(q.BatchSize))
		return "This run: roughly " + strings.TrimPrefix(estimateText(per, cfg.Steps), "about ") + " (scaled from the " + p.Name + " warm-up)."
	}
	if s.measuring {
		return "Measuring the speed of this machine…"
	}
	return "No estimate for this model yet; the progress bar shows the time left once training starts."
}

// startProblem is why Start cannot run now ("" when it can).
func (s *TrainScreen) startProblem() string {
	switch {
	case !s.dataReady:
		return "Reading the labeled products…"
	case s.dataErr != nil:
		return s.dataErr.Error()
	case len(s.styles.Selected) < 2:
		return "Check at least 2 styles."
	case strings.TrimSpace(s.name.Text) == "":
		return "Give the run a name."
	}
	for _, r := range s.runs {
		if strings.EqualFold(r.Name, strings.TrimSpace(s.name.Text)) {
			return fmt.Sprintf("A run named %q exists: choose another name, or resume it from the history.", r.Name)
		}
	}
	return ""
}

func (s *TrainScreen) updateStart() {
	_, err := s.formConfig()
	if s.state == trainIdle && err == nil && s.startProblem() == "" {
		s.startBtn.Enable()
	} else {
		s.startBtn.Disable()
	}
}

// loadData reads which styles can train (in the background); then runs after, if not nil.
func (s *TrainScreen) loadData(after func()) {
	if after != nil {
		s.afterData = append(s.afterData, after)
	}
	if s.loadingData {
		return
	}
	s.loadingData = true
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		data, skipped, err := studio.GANData(ctx, db)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			s.loadingData = false
			s.applyData(data, skipped, err)
			todo := s.afterData
			s.afterData = nil
			for _, f := range todo {
				f()
			}
		})
	}()
}

func (s *TrainScreen) applyData(data gan.Data, skipped []string, err error) {
	s.data, s.dataSkipped, s.dataErr, s.dataReady = data, skipped, err, true
	if errors.Is(err, gan.ErrNotEnoughData) {
		s.dataErr = fmt.Errorf("Not enough labels to train yet: label at least %d products in each of 2 or more styles on the Label screen (a fifth of the labels are held out for checking).",
			gan.MinPerStyle*5/4+1)
	} else if err != nil {
		s.dataErr = fmt.Errorf("Could not read the labeled products: %v", err)
	}
	counts := map[int]int{}
	for _, e := range data.Train {
		counts[e.Style]++
	}
	var opts []string
	for i, st := range data.Styles {
		opts = append(opts, fmt.Sprintf("%s (%d images)", st, counts[i]))
	}
	prev := map[string]bool{}
	for _, o := range s.styles.Selected {
		prev[styleOfOption(o)] = true
	}
	first := len(s.styles.Options) == 0
	s.filling = true
	s.styles.Options = opts
	var sel []string
	for _, o := range opts {
		if first || prev[styleOfOption(o)] {
			sel = append(sel, o)
		}
	}
	s.styles.SetSelected(sel)
	s.styles.Refresh()
	s.filling = false
	switch {
	case s.dataErr != nil:
		s.stylesNote.SetText(s.dataErr.Error())
	case len(skipped) > 0:
		s.stylesNote.SetText(fmt.Sprintf("Not enough labels yet (needs %d training images): %s.", gan.MinPerStyle, strings.Join(skipped, ", ")))
	default:
		s.stylesNote.SetText("Every labeled style has enough images.")
	}
	s.updatePresetOptions()
	s.formChanged()
	s.formBox.Refresh()
}

// styleOfOption is the style name of a style check box ("boho (40 images)" -> "boho").
func styleOfOption(o string) string {
	if i := strings.LastIndex(o, " ("); i > 0 {
		return o[:i]
	}
	return o
}

func (s *TrainScreen) selectedStyles() []string {
	var out []string
	for _, o := range s.styles.Options { // catalog order, not click order
		for _, sel := range s.styles.Selected {
			if sel == o {
				out = append(out, styleOfOption(o))
			}
		}
	}
	return out
}

// measureEstimates times a few steps of each preset's model on the catalog's data, once, in the
// background; the preset lines say "measuring…" until their number arrives.
func (s *TrainScreen) measureEstimates() {
	if s.measuring || s.NoAutoMeasure || s.dataErr != nil || !s.dataReady || s.state != trainIdle {
		return
	}
	var todo []gan.Config
	seen := map[string]bool{}
	for _, p := range trainPresets() {
		k := modelKey(p.Cfg)
		if _, ok := s.estimates[k]; ok || seen[k] {
			continue
		}
		if _, ok := s.stepTime(p.Cfg); ok {
			continue // a real run of this model (or of it at another batch size) already says
		}
		seen[k] = true
		todo = append(todo, p.Cfg)
	}
	if len(todo) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(s.deps.Ctx)
	s.measuring, s.stopMeasure = true, cancel
	s.updatePresetOptions()
	s.formChanged()
	data, timer := s.data, s.timer
	go func() {
		defer cancel()
		for _, cfg := range todo {
			d, err := timer(ctx, cfg, data)
			if ctx.Err() != nil {
				break
			}
			k := modelKey(cfg)
			s.deps.Do(func() {
				if err == nil {
					s.estimates[k] = d
				}
				s.updatePresetOptions()
				s.formChanged()
			})
		}
		s.deps.Do(func() {
			s.measuring, s.stopMeasure = false, nil
			s.updatePresetOptions()
			s.formChanged()
			Measured.Emit(s.deps.Events, struct{}{})
		})
	}()
}

// ---- training ----

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
	s.viewGen++
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
			dialog.ShowError(fmt.Errorf("training %s stopped: %w", job.name, err), s.deps.Window)
		}
	}
	s.progress.Refresh()
	s.showView()
	s.Reload()
	s.loadData(s.measureEstimates) // labels may have changed while it trained; a run stopped the warm-up
	Finished.Emit(s.deps.Events, err)
	if s.quitWhenDone {
		s.quitWhenDone = false
		if s.quit != nil {
			s.quit()
		} else if a := fyne.CurrentApp(); a != nil {
			s.deps.Quitting() // no UI updates once the app quits
			a.Quit()
		}
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
		s.genWidth, s.discWidth, s.resBlocks, s.sampleEach, s.ckptEach} {
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
