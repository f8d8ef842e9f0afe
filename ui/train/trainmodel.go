package train

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/store"
	"stylestudio/ui/kit"
)

// This file holds the Train screen's logic that needs no widgets: presets, reading the form into a
// gan.Config, the loss series behind the curves, the time estimate, run summaries and the throttle
// that keeps UI updates from a training goroutine under ~10 a second.

// trainPreset is a named starting configuration.
type trainPreset struct {
	Name  string
	Blurb string // what it is for, one line
	Cfg   gan.Config
}

// trainPresets are Quick preview (colour styles show within a few hundred steps), Balanced (the
// engine's default) and Quality (twice the resolution, more steps).
func trainPresets() []trainPreset {
	quick := gan.DefaultConfig()
	quick.Steps, quick.BatchSize = 300, 8
	quick.SampleEvery, quick.CheckpointEvery, quick.LogEvery = 25, 100, 5
	balanced := gan.DefaultConfig()
	quality := gan.DefaultConfig()
	quality.Size, quality.Steps = 128, 3000
	quality.SampleEvery, quality.CheckpointEvery = 150, 250
	return []trainPreset{
		{Name: "Quick preview", Blurb: "colours only, to check the labels", Cfg: quick},
		{Name: "Balanced", Blurb: "distinct styles, some texture", Cfg: balanced},
		{Name: "Quality", Blurb: "128 px, finer texture", Cfg: quality},
	}
}

// trainFormValues are the form's texts; parse turns them into a configuration.
type trainFormValues struct {
	Name, Size, Batch, Steps, LR, Seed    string
	GenWidth, DiscWidth, ResBlocks        string
	SampleEvery, CheckpointEvery, LogEach string
	DiffAugment                           bool
	PairLoss                              bool // learn from counterparts (gan.Config.LambdaPair)
}

// formValues fills the form's texts from a configuration.
func formValues(name string, c gan.Config) trainFormValues {
	c = c.WithDefaults()
	return trainFormValues{Name: name, Size: strconv.Itoa(c.Size), Batch: strconv.Itoa(c.BatchSize), Steps: strconv.Itoa(c.Steps),
		LR: strconv.FormatFloat(c.LR, 'g', -1, 64), Seed: strconv.FormatUint(c.Seed, 10),
		GenWidth: strconv.Itoa(c.GenWidth), DiscWidth: strconv.Itoa(c.DiscWidth), ResBlocks: strconv.Itoa(c.ResBlocks),
		SampleEvery: strconv.Itoa(c.SampleEvery), CheckpointEvery: strconv.Itoa(c.CheckpointEvery), LogEach: strconv.Itoa(c.LogEvery),
		DiffAugment: c.DiffAugment, PairLoss: c.LambdaPair > 0}
}

// parse reads the form into a validated configuration, or says which field is wrong and how.
func (v trainFormValues) parse(base gan.Config) (gan.Config, error) {
	c := base.WithDefaults()
	ints := []struct {
		label string
		text  string
		dst   *int
	}{
		{"Image size", v.Size, &c.Size}, {"Batch", v.Batch, &c.BatchSize}, {"Steps", v.Steps, &c.Steps},
		{"Generator width", v.GenWidth, &c.GenWidth}, {"Discriminator width", v.DiscWidth, &c.DiscWidth},
		{"Residual blocks", v.ResBlocks, &c.ResBlocks}, {"Sample every", v.SampleEvery, &c.SampleEvery},
		{"Checkpoint every", v.CheckpointEvery, &c.CheckpointEvery}, {"Log every", v.LogEach, &c.LogEvery},
	}
	for _, f := range ints {
		if strings.TrimSpace(f.text) == "" {
			continue // keep the base value
		}
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f.text), ",", ""))
		if err != nil {
			return c, fmt.Errorf("%s: %q is not a whole number", f.label, f.text)
		}
		*f.dst = n
	}
	if t := strings.TrimSpace(v.LR); t != "" {
		lr, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return c, fmt.Errorf("Learning rate: %q is not a number (e.g. 0.0002 or 2e-4)", v.LR)
		}
		c.LR = lr
	}
	if t := strings.TrimSpace(v.Seed); t != "" {
		seed, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			return c, fmt.Errorf("Seed: %q is not a whole number of 0 or more", v.Seed)
		}
		c.Seed = seed
	}
	c.DiffAugment = v.DiffAugment
	switch {
	case !v.PairLoss:
		c.LambdaPair = 0
	case c.LambdaPair == 0:
		c.LambdaPair = gan.DefaultLambdaPair
	}
	if c.ResBlocks < 1 {
		// The trainer reads 0 as "the default", so the form asks for at least one.
		return c, fmt.Errorf("Residual blocks: use 1 or more, got %d", c.ResBlocks)
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// matchesPreset reports which preset a configuration is (-1 for none): the fields the form shows.
func matchesPreset(c gan.Config) int {
	for i, p := range trainPresets() {
		q := p.Cfg
		if c.Size == q.Size && c.BatchSize == q.BatchSize && c.Steps == q.Steps && c.LR == q.LR &&
			c.GenWidth == q.GenWidth && c.DiscWidth == q.DiscWidth && c.ResBlocks == q.ResBlocks && c.DiffAugment == q.DiffAugment &&
			(c.LambdaPair > 0) == (q.LambdaPair > 0) {
			return i
		}
	}
	return -1
}

// modelKey identifies what a step costs: the model's shape and the batch (not its length).
func modelKey(c gan.Config) string {
	return fmt.Sprintf("%d/%d/%d/%d/%d", c.Size, c.GenWidth, c.DiscWidth, c.ResBlocks, c.BatchSize)
}

// StepTimer measures how long one training step of cfg takes on this machine on data.
type StepTimer func(ctx context.Context, cfg gan.Config, data gan.Data) (time.Duration, error)

// warmupSteps are timed after the first (which includes building the graphs); a model above 64 px
// times one step only, since each of its steps costs about four of a 64 px one.
func warmupSteps(cfg gan.Config) int {
	if cfg.Size > 64 {
		return 1
	}
	return 3
}

// MeasureStep trains cfg for 1+warmupSteps steps in a temporary folder (no sample grids) and returns
// the mean time of the steps after the first.
func MeasureStep(ctx context.Context, cfg gan.Config, data gan.Data) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "stylestudio-warmup-*")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	cfg = cfg.WithDefaults()
	timed := warmupSteps(cfg)
	cfg.Steps, cfg.LogEvery = 1+timed, 1
	cfg.SampleEvery, cfg.CheckpointEvery = 1<<30, 1<<30
	data.Samples = nil
	var first, last time.Duration
	_, err = gan.Train(ctx, cfg, data, gan.Options{Dir: dir}, func(e gan.Event) {
		if e.Kind != gan.EventStep {
			return
		}
		if e.Step == 1 {
			first = e.Elapsed
		}
		last = e.Elapsed
	})
	if err != nil {
		return 0, err
	}
	if last <= first {
		return 0, fmt.Errorf("the warm-up did not time any step")
	}
	return (last - first) / time.Duration(timed), nil
}

// minStepsForSpeed is how many steps a run needs before its speed stands in for the warm-up's.
const minStepsForSpeed = 50

// archKey identifies a model without its batch size.
func archKey(c gan.Config) string {
	return fmt.Sprintf("%d/%d/%d/%d", c.Size, c.GenWidth, c.DiscWidth, c.ResBlocks)
}

// runSpeeds is how fast models trained in the catalog's runs: per step by modelKey, and per image by
// archKey (a step costs about in proportion to its batch: 0.44 s at 8 and 0.85 s at 16 for the
// default model here), each from the run with enough steps that trained last. Real runs are
// measured over minutes, with their grids and checkpoints, so they beat a warm-up of a few steps that
// may have shared the cores with the screens loading.
type runSpeeds struct {
	perStep  map[string]time.Duration
	perImage map[string]time.Duration
}

func runStepTimes(runs []store.Run) runSpeeds {
	sp := runSpeeds{perStep: map[string]time.Duration{}, perImage: map[string]time.Duration{}}
	stepWhen, imageWhen := map[string]time.Time{}, map[string]time.Time{}
	for _, r := range runs {
		if r.StepsDone < minStepsForSpeed || r.Duration <= 0 {
			continue
		}
		c := runConfig(r)
		perStep := r.Duration / time.Duration(r.StepsDone)
		// When it last trained, not when its row last changed: a rename or a note made an old run's
		// speed the estimate again (seen in the real window: Quick preview read 40 s, 2 min, 40 s).
		when := r.FinishedAt
		if when.IsZero() {
			when = r.UpdatedAt // still training, or paused: its row moves with its steps
		}
		if k := modelKey(c); stepWhen[k].IsZero() || when.After(stepWhen[k]) {
			sp.perStep[k], stepWhen[k] = perStep, when
		}
		if k := archKey(c); imageWhen[k].IsZero() || when.After(imageWhen[k]) {
			sp.perImage[k], imageWhen[k] = perStep/time.Duration(max(1, c.BatchSize)), when
		}
	}
	return sp
}

// forConfig is cfg's time per step from the runs: measured for its model, else scaled by batch from
// the same model at another batch size.
func (sp runSpeeds) forConfig(cfg gan.Config) (time.Duration, bool) {
	if d, ok := sp.perStep[modelKey(cfg)]; ok {
		return d, true
	}
	if d, ok := sp.perImage[archKey(cfg)]; ok {
		return d * time.Duration(max(1, cfg.BatchSize)), true
	}
	return 0, false
}

// estimateText is how long steps of perStep take, for a preset line: "about 3 min".
func estimateText(perStep time.Duration, steps int) string {
	// Sample grids and checkpoints add a few per cent.
	return "about " + roughDuration(time.Duration(float64(perStep)*float64(steps)*1.05))
}

// roughDuration rounds a duration the way people say it: "40 s", "3 min", "1 h 20 min".
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(1, int(d.Round(5*time.Second).Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(math.Round(d.Minutes())))
	default:
		h := int(d.Hours())
		m := int(math.Round(d.Minutes())) - 60*h
		if m == 60 {
			h, m = h+1, 0
		}
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
}

// clockDuration is an elapsed time as a clock: "4:05", "1:02:03".
func clockDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// lossSeries are a run's logged losses, one slice per curve, in step order.
type lossSeries struct {
	Steps []int
	GAdv  []float64
	DAdv  []float64
	GCls  []float64
	DCls  []float64
	GRec  []float64
}

func (s *lossSeries) add(r store.MetricRow) {
	if n := len(s.Steps); n > 0 && r.Step <= s.Steps[n-1] {
		// A resumed run logs steps after its checkpoint again: drop what they replace.
		i := sort.SearchInts(s.Steps, r.Step)
		s.Steps, s.GAdv, s.DAdv, s.GCls, s.DCls, s.GRec = s.Steps[:i], s.GAdv[:i], s.DAdv[:i], s.GCls[:i], s.DCls[:i], s.GRec[:i]
	}
	s.Steps = append(s.Steps, r.Step)
	s.GAdv = append(s.GAdv, r.GAdv)
	s.DAdv = append(s.DAdv, r.DAdv)
	s.GCls = append(s.GCls, r.GCls)
	s.DCls = append(s.DCls, r.DCls)
	s.GRec = append(s.GRec, r.GRec)
}

func seriesFromRows(rows []store.MetricRow) lossSeries {
	var s lossSeries
	for _, r := range rows {
		s.add(r)
	}
	return s
}

// smooth is an exponential moving average with TensorBoard's debiasing, so the start is not pulled
// toward zero. weight 0 returns the input.
func smooth(v []float64, weight float64) []float64 {
	out := make([]float64, len(v))
	last, n := 0.0, 0
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out[i] = math.NaN()
			continue
		}
		last = last*weight + (1-weight)*x
		n++
		out[i] = last / (1 - math.Pow(weight, float64(n)))
	}
	return out
}

// smoothingFor picks a smoothing weight that suits the number of points.
func smoothingFor(n int) float64 {
	switch {
	case n < 8:
		return 0
	case n < 40:
		return 0.6
	default:
		return 0.85
	}
}

// runDetailsText is a run's full record in words: status, settings, the evaluation overall and per
// style, and the checkpoints kept on disk (newest first).
func runDetailsText(r store.Run, cks []store.Checkpoint, ckErr error) string {
	c := runConfig(r)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s of %s steps, %s of training", runStatusText(r), thousands(r.StepsDone), thousands(c.Steps), clockDuration(r.Duration))
	if !r.StartedAt.IsZero() {
		fmt.Fprintf(&b, ", started %s", r.StartedAt.Local().Format("2 Jan 2006 15:04"))
	}
	if r.StepsDone >= minStepsForSpeed && r.Duration > 0 {
		fmt.Fprintf(&b, " (%.2f s a step)", (r.Duration / time.Duration(r.StepsDone)).Seconds())
	}
	fmt.Fprintf(&b, ".\nSettings: %d px, batch %d, learning rate %g (Adam %g/%g), seed %d, generator width %d, discriminator width %d, %d residual blocks, cycle weight %g%s.",
		c.Size, c.BatchSize, c.LR, c.Beta1, c.Beta2, c.Seed, c.GenWidth, c.DiscWidth, c.ResBlocks, c.LambdaRec, augText(c))
	if r.Active {
		b.WriteString("\nPreview and the Feed use this run.")
	}

	var rep gan.EvalReport
	if strings.TrimSpace(r.MetricsJSON) == "" || json.Unmarshal([]byte(r.MetricsJSON), &rep) != nil || rep.PerStyle == nil {
		b.WriteString("\n\nNot evaluated yet: Evaluate measures it on the held-out products.")
	} else {
		skipped := ""
		if rep.SkippedTranslations > 0 {
			skipped = fmt.Sprintf("; %d not made, since the run trained on the same item in that style", rep.SkippedTranslations)
		}
		fmt.Fprintf(&b, "\n\nEvaluation at step %s on %d held-out products (%d translations%s):\n%s.",
			thousands(rep.Step), rep.Products, rep.Translations, skipped, kit.EvalSummary(r.MetricsJSON))
		if kit.EvalOutdated(r.MetricsJSON) {
			b.WriteString("\n" + kit.OutdatedEvalNote)
		}
		for _, n := range rep.StyleNames() {
			e := rep.PerStyle[n]
			matched := ""
			if mj := rep.MatchedJudge; mj != nil {
				if ms, ok := mj.PerStyle[n]; ok {
					matched = fmt.Sprintf(" (matched judge %.0f%%)", 100*ms.Accuracy)
				}
			}
			fmt.Fprintf(&b, "\n  %s: style accuracy %.0f%%%s, content SSIM %.2f, silhouette IoU %.2f, Fréchet %s (real images: %s)",
				n, 100*e.Accuracy, matched, e.ContentSSIM, e.GeneratorSilhouetteIoU, gan.FormatMetric("%.1f", e.Frechet), gan.FormatMetric("%.1f", e.RealFrechet))
		}
		if mj := rep.MatchedJudge; mj != nil {
			fmt.Fprintf(&b, "\nThe matched judge, trained on the products the style classifier trained on, each read as a translation is (%d px, in another style's cut-out), names the held-out products' styles %s in another style's cut-out, %s in their own.",
				mj.Size, gan.FormatPercent("%.0f%%", mj.HeldOutAccuracy), gan.FormatPercent("%.0f%%", mj.HeldOutOwnCutoutAccuracy))
		}
	}

	switch {
	case ckErr != nil:
		b.WriteString("\n\nCheckpoints: could not be read (" + ckErr.Error() + ").")
	case len(cks) == 0:
		b.WriteString("\n\nNo checkpoint yet.")
	default:
		sorted := append([]store.Checkpoint(nil), cks...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Step > sorted[j].Step })
		fmt.Fprintf(&b, "\n\nCheckpoints kept on disk (%d):", len(sorted))
		metrics := make([]studio.CheckpointMetrics, len(sorted))
		validated := false
		for i, ck := range sorted {
			_ = json.Unmarshal([]byte(ck.MetricsJSON), &metrics[i])
			validated = validated || metrics[i].Val != nil
		}
		// The run's model (Preview, stylize, eval) is its best validated checkpoint, else its latest
		// (gan.ServingCheckpoint); a loss-ranked "best" only decides what pruning keeps.
		for i, ck := range sorted {
			m := metrics[i]
			fmt.Fprintf(&b, "\n  step %s · %s · %s", thousands(ck.Step), ck.CreatedAt.Local().Format("2 Jan 15:04"), filepath.Base(ck.Path))
			if m.Val != nil {
				fmt.Fprintf(&b, " · validation: style accuracy %.0f%%, content SSIM %.2f (%d products)", 100*m.Val.StyleAccuracy, m.Val.ContentSSIM, m.Val.Products)
			}
			switch {
			case ck.IsBest && m.Val != nil:
				b.WriteString(" · best (highest validation score): the run's model")
			case !validated && i == 0:
				b.WriteString(" · latest: the run's model (no checkpoint was validated)")
			case ck.IsBest:
				b.WriteString(" · kept by pruning (lowest smoothed style + cycle loss)")
			}
		}
	}
	return b.String()
}

// runConfig reads a run's stored configuration (defaults where it says nothing).
func runConfig(r store.Run) gan.Config {
	var c gan.Config
	_ = json.Unmarshal([]byte(r.ConfigJSON), &c)
	return c.WithDefaults()
}

// runInterrupted is how the history shows a run the catalog still marks running but that no process
// is training (its run lock is free: the app or the CLI was killed). It can be resumed at once.
const runInterrupted = store.RunInterrupted

// markInterrupted gives every run marked running whose run lock is free (studio.RunBusy, which the OS
// releases when a process dies) the status runInterrupted. It touches files: not on the UI goroutine.
func markInterrupted(libraryDir string, runs []store.Run) {
	for i, r := range runs {
		if r.Status == store.RunRunning && !studio.RunBusy(libraryDir, r) {
			runs[i].Status = runInterrupted
		}
	}
}

// runCanResume reports whether a run (not the one training in this window) can be resumed, and why not.
func runCanResume(r store.Run) (bool, string) {
	switch r.Status {
	case store.RunPaused, store.RunCancelled, store.RunFailed, runInterrupted:
		if r.StepsDone == 0 && r.Status != store.RunPaused && r.Status != runInterrupted {
			return false, "it stopped before its first checkpoint"
		}
		return true, ""
	case store.RunRunning:
		return false, "it is training in another window or command"
	case store.RunFinished:
		return false, "it is finished"
	default:
		return false, "it has no checkpoint yet"
	}
}

// runStatusText is a run's status as the history list shows it.
func runStatusText(r store.Run) string { return string(r.Status) }

// runLine is a run's one-line summary in the history list.
func runLine(r store.Run) string {
	c := runConfig(r)
	s := fmt.Sprintf("%s · %d/%d steps · %d px · %s", runStatusText(r), r.StepsDone, c.Steps, c.Size, clockDuration(r.Duration))
	return s
}

// nextRunName is "name-2", "name-3"… the first not in taken.
func nextRunName(base string, taken map[string]bool) string {
	if !taken[base] {
		return base
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s-%d", base, i); !taken[n] {
			return n
		}
	}
}

// throttle runs apply at most once per every, and always once more after the last poke, so the final
// state always shows. apply runs on a timer goroutine (it should hop to the UI itself).
type throttle struct {
	every time.Duration
	apply func()

	mu      sync.Mutex
	last    time.Time
	pending bool
}

func (t *throttle) poke() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending {
		return
	}
	t.pending = true
	wait := t.every - time.Since(t.last)
	time.AfterFunc(max(wait, 0), func() {
		t.mu.Lock()
		t.pending = false
		t.last = time.Now()
		t.mu.Unlock()
		t.apply()
	})
}

// augText names DiffAugment, the paired loss and the content loss in a run's settings when it trained
// with them (a run trained elsewhere, e.g. by scripts/realstyles-gpu, can carry the content loss the
// form does not offer).
func augText(c gan.Config) string {
	s := ""
	if c.DiffAugment {
		s += ", DiffAugment"
	}
	if c.LambdaPair > 0 {
		s += fmt.Sprintf(", paired loss %g", c.LambdaPair)
	}
	if c.LambdaContent > 0 {
		s += fmt.Sprintf(", content loss %g", c.LambdaContent)
		if c.ContentPool > 1 {
			s += fmt.Sprintf(" on %d×%d blocks", c.ContentPool, c.ContentPool)
		}
	}
	return s
}
