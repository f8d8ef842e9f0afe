package train

import (
	"context"
	"image"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/engine/gan"
	"stylestudio/store"
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
	diffAug    *widget.Check // DiffAugment, for small style sets
	pairLoss   *widget.Check // the paired loss, where the catalog has the same item in several styles
	pairItem   *widget.FormItem
	mainForm   *widget.Form
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
	viewEval   *kit.EvalLines // the shown run's evaluation, under its title
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

	opts         Options
	torchProbed  bool                        // detectTorch has been started
	torchDevices map[string]gan.TorchOptions // Device choices that train with PyTorch

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
	viewReq        kit.Latest
	filling        bool   // the form is being filled programmatically
	lastResult     string // the last run's outcome, shown while idle until the form is edited
	nameSuggested  bool   // the name field holds a suggested name (a preset may replace it)
	presetLogEvery int    // the chosen preset's log interval
	quitWhenDone   bool
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
func NewTrainScreen(deps kit.Deps) *TrainScreen { return NewTrainScreenWith(deps, Options{}) }

// Options change how a Train screen measures the presets (the screenshot renderer and tests make it
// deterministic).
type Options struct {
	Timer StepTimer // measures one training step for the estimates (nil: MeasureStep)
	// NoAutoMeasure: the screen does not time the presets by itself (a headless render applies a
	// Snapshot measured beforehand).
	NoAutoMeasure bool
}

// NewTrainScreenWith builds the screen with opts; Start loads it.
func NewTrainScreenWith(deps kit.Deps, opts Options) *TrainScreen {
	if opts.Timer == nil {
		opts.Timer = MeasureStep
	}
	s := &TrainScreen{deps: deps, opts: opts, estimates: map[string]time.Duration{}}
	s.buildForm()
	s.buildStrip()
	s.buildViewer()
	s.buildHistory()

	left := container.NewVScroll(container.NewPadded(s.formBox))
	viewer := container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, nil, s.liveBtn, s.viewTitle), s.viewEval.Box), nil, nil, nil,
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
	s.diffAug = widget.NewCheck("DiffAugment", func(bool) { s.edited() })
	s.pairLoss = widget.NewCheck("Paired loss", func(bool) { s.edited() })
	// One choice a line: side by side, "Built-in (CPU)", "PyTorch CPU" and "PyTorch GPU" are wider than
	// the form's column at 1,280 px, and the last went under its scroll bar.
	s.device = widget.NewRadioGroup([]string{deviceBuiltin}, nil)
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

	// The check's own text cannot wrap: a long one widened the whole screen past 1280 pixels.
	diffAugItem := widget.NewFormItem("Small style sets", s.diffAug)
	diffAugItem.HintText = "for styles with few images"
	pairItem := widget.NewFormItem("Counterparts", s.pairLoss)
	pairItem.HintText = "same item in other styles"
	s.pairItem = pairItem
	form := widget.NewForm(
		widget.NewFormItem("Name", s.name),
		widget.NewFormItem("Image size", s.size),
		widget.NewFormItem("Batch", s.batch),
		widget.NewFormItem("Steps", s.steps),
		widget.NewFormItem("Learning rate", s.lr),
		widget.NewFormItem("Seed", s.seed),
		widget.NewFormItem("Device", s.device),
		diffAugItem,
		pairItem,
	)
	s.mainForm = form
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
	s.viewEval = kit.NewEvalLines()
	s.viewEval.SetLines()
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
	s.gridImg.SetMinSize(fyne.NewSize(300, 120)) // with the slider and its line no taller than the curves: the screen fits a 768 px laptop
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
			// The run's status, then its evaluation on lines of their own (kit.EvalSummaryLines):
			// after the status on one line the numbers were cut off. One label, each line cut with
			// "…" only where the window is too narrow.
			detail := widget.NewLabel("status\nevaluation\nevaluation")
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
			lines := append([]string{runLine(r)}, kit.EvalSummaryLines(r.MetricsJSON)...)
			for len(lines) < 3 { // every row as tall as the template
				lines = append(lines, "")
			}
			box.Objects[1].(*widget.Label).SetText(strings.Join(lines, "\n"))
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
