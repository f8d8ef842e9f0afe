package gan

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/disintegration/gift"

	"stylestudio/engine/imaging"
	"stylestudio/engine/nn"
	"stylestudio/internal/par"
)

// Example is one labeled training image.
type Example struct {
	Image image.Image
	Style int // index into Data.Styles
	// Object names what the image shows, where the data holds the same object in several styles (the
	// same design drawn by several teams); "" when unknown. Examples with the same Object are each
	// other's counterparts for the paired loss (Config.LambdaPair).
	Object string
}

// Data is what a run trains on: the style list, the labeled training images, and the fixed images
// shown in every sample grid (one row each, restyled into every style).
type Data struct {
	Styles  []string
	Train   []Example
	Samples []image.Image
}

// EventKind says what an Event reports; its value is the word the CLI's --json lines carry ("event").
type EventKind string

// The kinds of Event.
const (
	EventStep       EventKind = "step"       // every Config.LogEvery steps: losses, speed, ETA
	EventSample     EventKind = "sample"     // a new sample grid
	EventCheckpoint EventKind = "checkpoint" // a checkpoint was written
	EventWarning    EventKind = "warning"    // Message says what (a damaged checkpoint passed over, …)
)

// Event reports training progress; Kind says which fields are set.
type Event struct {
	Kind       EventKind
	Step       int
	Steps      int
	Losses     Losses
	ImagesPerS float64
	Elapsed    time.Duration
	ETA        time.Duration
	Grid       *image.NRGBA // EventSample: rows = Data.Samples, columns = source then every style
	Checkpoint Sidecar      // EventCheckpoint
	Message    string
}

// Summary is a finished (or stopped) run's outcome.
type Summary struct {
	Steps      int // steps completed, counting those before a resume
	Losses     Losses
	Checkpoint Sidecar // the last checkpoint written
	ImagesPerS float64
	Elapsed    time.Duration // this session only
}

// Options are where and how a run trains.
type Options struct {
	Dir    string  // the run's checkpoint folder
	Resume bool    // continue from the latest complete checkpoint in Dir
	Pause  *Pauser // optional: lets the caller pause between steps
	// Validate, when set, measures the model at every checkpoint on a validation set (a cheap
	// evaluation: style accuracy by an independent judge and content preservation). Its result is
	// recorded in the sidecar (Sidecar.Val), and checkpoints so measured are ranked by it for the best
	// one (BestCheckpoint). The model it gets is valid only during the call. An error is reported as a
	// warning and leaves that checkpoint unmeasured. It draws nothing from the training's random state,
	// so a resumed run still continues bit for bit.
	Validate func(*Model) (*Validation, error)
}

// Validation is a checkpoint's measurement on the validation split (Options.Validate).
type Validation struct {
	StyleAccuracy float64 `json:"style_accuracy"` // target style as the judge sees it
	ContentSSIM   float64 `json:"content_ssim"`   // source vs the raw generator's output (before the backdrop step)
	Score         float64 `json:"score"`          // (StyleAccuracy + ContentSSIM) / 2; the highest is the best checkpoint
	Products      int     `json:"products"`
}

// ErrNotEnoughData means the labels cannot train a model.
var ErrNotEnoughData = errors.New("not enough labeled images to train")

// augmentMargin is the white border (as a fraction 1/augmentMargin of the size) that random crops move
// within: a product shifts by up to size/16 pixels.
const augmentMargin = 16

// Train trains a model (or resumes one) and reports progress. It checks ctx and the pauser between
// steps; when cancelled it writes a checkpoint at the current step (so the run can resume) and
// returns ctx.Err(). A NaN loss stops the run with ErrNaN, keeping the last good checkpoint.
func Train(ctx context.Context, cfg Config, data Data, opts Options, report func(Event)) (Summary, error) {
	if report == nil {
		report = func(Event) {}
	}
	cfg, err := checkRun(cfg, data, opts)
	if err != nil {
		return Summary{}, err
	}
	numStyles := len(data.Styles)
	pcg := rand.NewPCG(cfg.Seed, 0x9a11)
	rng := rand.New(pcg)
	var (
		p         Params
		opt       map[string]nn.Tensor
		start     int
		adamSteps int
		score     = math.NaN()
		scoreN    int
		last      Sidecar
	)
	if opts.Resume {
		side, err := resumePoint(opts.Dir, cfg, data.Styles, report)
		if err != nil {
			return Summary{}, err
		}
		if p, opt, err = readCheckpointTensors(side); err != nil {
			return Summary{}, err
		}
		state, err := hex.DecodeString(side.RNG)
		if err == nil {
			err = pcg.UnmarshalBinary(state)
		}
		if err != nil {
			return Summary{}, fmt.Errorf("%w: %s: random state: %v", ErrCheckpoint, side.Path, err)
		}
		cfg = resumedConfig(side, cfg)
		start, adamSteps, score, scoreN, last = side.Step, side.AdamT, side.Score, side.ScoreN, side
		// A kill between a save and its prune leaves extra checkpoints; when that save was the run's
		// last, no later save would prune them.
		if err := pruneCheckpoints(opts.Dir, cfg.KeepLast); err != nil {
			return Summary{}, fmt.Errorf("gan: resume: %w", err)
		}
	} else {
		p = newParams(cfg, numStyles, rng)
	}
	bases := prepareBases(data.Train, cfg.Size)
	samples := prepareSamples(data.Samples, cfg.Size)
	batch := cfg.BatchSize
	st, err := newStepper(cfg, numStyles, batch, p)
	if err != nil {
		return Summary{}, err
	}
	defer st.close()
	if opt != nil {
		if err := st.setOptimiserState(opt, adamSteps); err != nil {
			return Summary{}, fmt.Errorf("%w: %v", ErrCheckpoint, err)
		}
	}

	bt := newBatcher(cfg, data, bases)
	if cfg.LambdaPair > 0 && !bt.hasPairs() {
		report(Event{Kind: EventWarning, Step: start, Steps: cfg.Steps, Message: "the paired loss is on, but no training image " +
			"has a counterpart (the same item drawn in another style: a shared group); it changes nothing in this run"})
	}
	begin := time.Now()
	var losses Losses
	save := func(step int) error {
		var val *Validation
		if opts.Validate != nil {
			v, err := opts.Validate(&Model{cfg: cfg, styles: data.Styles, p: p, step: step})
			if err != nil {
				report(Event{Kind: EventWarning, Step: step, Message: fmt.Sprintf("checkpoint %d was not validated: %v", step, err)})
			} else {
				val = v
			}
		}
		state, _ := pcg.MarshalBinary()
		tensors, t := st.optimiserState()
		for name, v := range p {
			tensors[name] = v
		}
		side, err := saveCheckpoint(opts.Dir, Sidecar{Step: step, Config: cfg, Styles: data.Styles,
			RNG: hex.EncodeToString(state), AdamT: t, Losses: losses, Score: score, ScoreN: scoreN, Val: val}, tensors)
		if err != nil {
			return err
		}
		last = side
		report(Event{Kind: EventCheckpoint, Step: step, Steps: cfg.Steps, Checkpoint: side})
		return pruneCheckpoints(opts.Dir, cfg.KeepLast)
	}
	summary := func(step int) Summary {
		el := time.Since(begin)
		return Summary{Steps: step, Losses: losses, Checkpoint: last, Elapsed: el,
			ImagesPerS: float64((step-start)*batch) / math.Max(el.Seconds(), 1e-9)}
	}
	if start == 0 && len(samples) > 0 {
		report(Event{Kind: EventSample, Step: 0, Steps: cfg.Steps, Grid: sampleGrid(cfg, numStyles, p, samples)})
	}
	for step := start; step < cfg.Steps; {
		if err := opts.Pause.wait(ctx); err != nil || ctx.Err() != nil {
			if step > last.Step {
				if serr := save(step); serr != nil {
					return summary(step), serr
				}
			}
			return summary(step), ctx.Err()
		}
		bt.draw(rng)
		st.setPairs(bt.y, bt.paired)
		l, err := st.step(bt.x, bt.org, bt.trg, cfg.LR, rng)
		if errors.Is(err, ErrNaN) {
			msg := "no checkpoint was written yet"
			if last.Step > 0 {
				msg = fmt.Sprintf("the last good checkpoint (step %d) is kept", last.Step)
			}
			return summary(step), fmt.Errorf("%w at step %d; %s; lower the learning rate and start again", ErrNaN, step+1, msg)
		}
		if err != nil {
			return summary(step), err
		}
		losses = l
		step++
		// Best-checkpoint score: an exponential average of how well the generator hits the target
		// style (cls) and keeps the product (rec), the two terms that do not swing with the
		// adversarial game.
		s := l.GCls + cfg.LambdaRec*l.GRec
		if scoreN == 0 || math.IsNaN(score) {
			score = s
		} else {
			score = 0.98*score + 0.02*s
		}
		scoreN++
		if step%cfg.LogEvery == 0 || step == cfg.Steps || step == start+1 {
			el := time.Since(begin)
			done := step - start
			rate := float64(done*batch) / math.Max(el.Seconds(), 1e-9)
			eta := time.Duration(float64(el) / float64(done) * float64(cfg.Steps-step))
			report(Event{Kind: EventStep, Step: step, Steps: cfg.Steps, Losses: l, ImagesPerS: rate, Elapsed: el, ETA: eta})
		}
		if len(samples) > 0 && (step%cfg.SampleEvery == 0 || step == cfg.Steps) {
			report(Event{Kind: EventSample, Step: step, Steps: cfg.Steps, Grid: sampleGrid(cfg, numStyles, p, samples)})
		}
		if step%cfg.CheckpointEvery == 0 || step == cfg.Steps {
			if err := save(step); err != nil {
				return summary(step), err
			}
		}
	}
	return summary(cfg.Steps), nil
}

// checkRun validates a run's config (with defaults filled in), data and folder, and sweeps the folder
// of temp files a killed save left.
func checkRun(cfg Config, data Data, opts Options) (Config, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	if err := checkData(data); err != nil {
		return cfg, err
	}
	if opts.Dir == "" {
		return cfg, fmt.Errorf("gan: no checkpoint folder given")
	}
	removeStaleTemps(opts.Dir)
	return cfg, nil
}

// resumePoint returns the latest complete checkpoint in dir, reporting damaged newer ones, if a run
// of cfg on styles can continue from it.
func resumePoint(dir string, cfg Config, styles []string, report func(Event)) (Sidecar, error) {
	side, damaged, err := LatestCheckpoint(dir)
	for _, d := range damaged {
		report(Event{Kind: EventWarning, Message: "passed over a damaged checkpoint: " + d})
	}
	if err != nil {
		return side, fmt.Errorf("gan: resume: %w", err)
	}
	return side, CheckContinue(side, cfg, styles)
}

// CheckContinue reports whether a run of cfg's model on styles can continue from side.
func CheckContinue(side Sidecar, cfg Config, styles []string) error {
	if !side.Config.sameModel(cfg) {
		return fmt.Errorf("%w: %s was trained with a different model (%s); start a new run instead",
			ErrCheckpoint, side.Path, describe(side.Config))
	}
	if strings.Join(side.Styles, "\x00") != strings.Join(styles, "\x00") {
		return fmt.Errorf("%w: %s was trained on styles %v, the catalog now has %v; start a new run for the new styles",
			ErrCheckpoint, side.Path, side.Styles, styles)
	}
	return nil
}

// resumedConfig is the config a resumed run trains with: the model and its training settings come
// from the checkpoint; only the length (cfg.Steps) may change.
func resumedConfig(side Sidecar, cfg Config) Config {
	c := side.Config.WithDefaults()
	c.Steps = max(cfg.Steps, side.Step)
	return c
}

func describe(c Config) string {
	return fmt.Sprintf("size %d, generator width %d, discriminator width %d, %d residual blocks", c.Size, c.GenWidth, c.DiscWidth, c.ResBlocks)
}

// checkData validates the style list and the training examples.
func checkData(d Data) error {
	if len(d.Styles) < 2 {
		return fmt.Errorf("%w: a style-transfer model needs at least 2 styles with labeled images, got %d; label products in more styles",
			ErrNotEnoughData, len(d.Styles))
	}
	counts := make([]int, len(d.Styles))
	for i, e := range d.Train {
		if e.Style < 0 || e.Style >= len(d.Styles) {
			return fmt.Errorf("gan: training image %d has style index %d, but there are %d styles", i, e.Style, len(d.Styles))
		}
		if e.Image == nil || e.Image.Bounds().Empty() {
			return fmt.Errorf("gan: training image %d (%s) has no picture", i, d.Styles[e.Style])
		}
		counts[e.Style]++
	}
	var short []string
	for i, c := range counts {
		if c < MinPerStyle {
			short = append(short, fmt.Sprintf("%q has %d (needs %d more)", d.Styles[i], c, MinPerStyle-c))
		}
	}
	if len(short) > 0 {
		return fmt.Errorf("%w: every style needs at least %d labeled training images: %s; label more products or leave those styles out",
			ErrNotEnoughData, MinPerStyle, strings.Join(short, ", "))
	}
	return nil
}

// prepareBases resizes every training image once to the training size plus the augmentation margin,
// on white, exactly as the stylizer prepares its input (imaging.Square), so augmentation only crops,
// flips and jitters.
func prepareBases(train []Example, size int) []*image.NRGBA {
	m := size / augmentMargin
	out := make([]*image.NRGBA, len(train))
	par.For(len(train), func(i int) {
		sq := imaging.SquareSerial(train[i].Image, size)
		canvas := image.NewNRGBA(image.Rect(0, 0, size+2*m, size+2*m))
		for j := range canvas.Pix {
			canvas.Pix[j] = 255
		}
		gift.New().DrawAt(canvas, sq, image.Pt(m, m), gift.CopyOperator)
		out[i] = canvas
	})
	return out
}

// batcher draws training batches: for each sample an example, its view (drawView) and a target
// style, in that order from the run's random stream (the PyTorch trainer draws the same); with the
// paired loss, also the example's counterpart in the target style seen through the same view.
type batcher struct {
	size, styles int
	bases        []*image.NRGBA
	train        []Example
	counterparts [][]int // [example][style] (pairTable); nil without the paired loss
	x, y         []float32
	org, trg     []int
	paired       []bool
}

func newBatcher(cfg Config, data Data, bases []*image.NRGBA) *batcher {
	b := &batcher{size: cfg.Size, styles: len(data.Styles), bases: bases, train: data.Train,
		x: make([]float32, cfg.BatchSize*3*cfg.Size*cfg.Size), org: make([]int, cfg.BatchSize), trg: make([]int, cfg.BatchSize)}
	if cfg.LambdaPair > 0 {
		b.counterparts = pairTable(data.Train, b.styles)
		b.y, b.paired = make([]float32, len(b.x)), make([]bool, cfg.BatchSize)
	}
	return b
}

// hasPairs reports whether any example has a counterpart for the paired loss.
func (b *batcher) hasPairs() bool {
	for _, row := range b.counterparts {
		if slices.ContainsFunc(row, func(j int) bool { return j >= 0 }) {
			return true
		}
	}
	return false
}

func (b *batcher) draw(rng *rand.Rand) {
	per := 3 * b.size * b.size
	for i := range b.org {
		e := rng.IntN(len(b.bases))
		v := drawView(b.size, rng)
		v.apply(b.x[i*per:(i+1)*per], b.bases[e], b.size)
		b.org[i], b.trg[i] = b.train[e].Style, rng.IntN(b.styles)
		if b.counterparts != nil { // the counterpart seen through the same view; no draws of its own
			j := b.counterparts[e][b.trg[i]]
			if b.paired[i] = j >= 0; b.paired[i] {
				v.apply(b.y[i*per:(i+1)*per], b.bases[j], b.size)
			}
		}
	}
}

// CounterpartItems is how many objects (Example.Object) the training data draws in two or more
// styles: the items the paired loss learns from (Config.LambdaPair).
func CounterpartItems(data Data) int {
	return len(objectRows(data.Train, len(data.Styles)))
}

// objectRows maps each object drawn in two or more styles to its first example in each style (-1
// where it has none).
func objectRows(train []Example, styles int) map[string][]int {
	first := map[string][]int{}
	for i, e := range train {
		if e.Object == "" {
			continue
		}
		row := first[e.Object]
		if row == nil {
			row = slices.Repeat([]int{-1}, styles)
			first[e.Object] = row
		}
		if row[e.Style] < 0 {
			row[e.Style] = i
		}
	}
	for o, row := range first {
		drawn := 0
		for _, j := range row {
			if j >= 0 {
				drawn++
			}
		}
		if drawn < 2 { // drawn in one style only: no counterpart
			delete(first, o)
		}
	}
	return first
}

// pairTable finds each example's counterparts (Example.Object): [example][style] is the first
// example of the same object in that style, the example itself for its own style, -1 where there is
// none. An example whose object is unknown, or drawn in its own style only, has none, not even
// itself: data without counterparts trains exactly as without the paired loss.
func pairTable(train []Example, styles int) [][]int {
	first := objectRows(train, styles)
	out := make([][]int, len(train))
	for i, e := range train {
		if row := first[e.Object]; row != nil {
			out[i] = slices.Clone(row)
			out[i][e.Style] = i
		} else {
			out[i] = slices.Repeat([]int{-1}, styles)
		}
	}
	return out
}

// view is one random view of a training image: a crop within the white margin, a horizontal flip
// half the time, and a brightness change of at most ±3% (small, because colour is what the styles
// are about).
type view struct {
	dx, dy int
	flip   bool
	bright float32
}

func drawView(size int, rng *rand.Rand) view {
	m := size / augmentMargin
	dx, dy := rng.IntN(2*m+1), rng.IntN(2*m+1)
	flip := rng.IntN(2) == 1
	return view{dx: dx, dy: dy, flip: flip, bright: float32(rng.Float64()*6 - 3)}
}

// apply writes the view of base into dst (3, size, size).
func (v view) apply(dst []float32, base *image.NRGBA, size int) {
	g := gift.New(gift.Crop(image.Rect(v.dx, v.dy, v.dx+size, v.dy+size)))
	if v.flip {
		g.Add(gift.FlipHorizontal())
	}
	if v.bright != 0 {
		g.Add(gift.Brightness(v.bright))
	}
	g.SetParallelization(false)
	out := image.NewNRGBA(g.Bounds(base.Bounds()))
	g.Draw(out, base)
	toTensor(dst, out)
}

func prepareSamples(imgs []image.Image, size int) [][]float32 {
	out := make([][]float32, len(imgs))
	for i, img := range imgs {
		out[i] = make([]float32, 3*size*size)
		toTensor(out[i], imaging.Square(img, size))
	}
	return out
}

// sampleGrid restyles every sample into every style with the current weights.
func sampleGrid(cfg Config, numStyles int, p Params, samples [][]float32) *image.NRGBA {
	n := cfg.Size
	plane := 3 * n * n
	batch := len(samples) * numStyles
	x := make([]float32, batch*plane)
	styles := make([]int, batch)
	for i, s := range samples {
		for k := 0; k < numStyles; k++ {
			copy(x[(i*numStyles+k)*plane:], s)
			styles[i*numStyles+k] = k
		}
	}
	y := generate(cfg, numStyles, p, x, batch, styles)
	cells := make([][]*image.NRGBA, len(samples))
	for i, s := range samples {
		cells[i] = append(cells[i], toImage(s, n))
		for k := 0; k < numStyles; k++ {
			cells[i] = append(cells[i], toImage(y[(i*numStyles+k)*plane:][:plane], n))
		}
	}
	return gridImage(cells, n)
}

// Pauser lets a caller pause a run between steps. The zero value is running; a nil *Pauser never
// pauses.
type Pauser struct {
	mu     sync.Mutex
	paused bool
	wake   chan struct{}
	signal chan struct{} // closed at the next Pause; made on demand by pausing
}

// Pause makes the run stop before its next step until Resume (or cancellation).
func (p *Pauser) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.paused {
		p.paused = true
		p.wake = make(chan struct{})
		if p.signal != nil {
			close(p.signal)
			p.signal = nil
		}
	}
}

// pausing returns a channel that is closed when the run is paused (at once if it already is), so a
// watcher need not poll. A nil Pauser's channel never closes.
func (p *Pauser) pausing() <-chan struct{} {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		c := make(chan struct{})
		close(c)
		return c
	}
	if p.signal == nil {
		p.signal = make(chan struct{})
	}
	return p.signal
}

// Resume lets a paused run continue.
func (p *Pauser) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		p.paused = false
		close(p.wake)
	}
}

// Paused reports whether the run is paused.
func (p *Pauser) Paused() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

func (p *Pauser) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	paused, wake := p.paused, p.wake
	p.mu.Unlock()
	if !paused {
		return nil
	}
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
