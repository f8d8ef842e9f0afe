package train

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
)

// This file: the form.

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
	s.diffAug.SetChecked(v.DiffAugment)
	s.pairLoss.SetChecked(v.PairLoss)
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
		SampleEvery: s.sampleEach.Text, CheckpointEvery: s.ckptEach.Text, DiffAugment: s.diffAug.Checked,
		PairLoss: s.pairLoss.Checked}
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
	s.showCounterparts(gan.CounterpartItems(data))
	s.updatePresetOptions()
	s.formChanged()
	s.formBox.Refresh()
}

// showCounterparts offers the paired loss only where the training data has counterparts, and says
// how many items it has them for; elsewhere the check is off and disabled, its hint says why.
func (s *TrainScreen) showCounterparts(n int) {
	switch {
	case n > 0:
		s.pairLoss.Enable()
		s.pairItem.HintText = fmt.Sprintf("%d items in 2+ styles", n)
	default:
		s.filling = true
		s.pairLoss.SetChecked(false)
		s.filling = false
		s.pairLoss.Disable()
		s.pairItem.HintText = "none in this catalog"
		if s.dataErr != nil {
			s.pairItem.HintText = "same item in other styles"
		}
	}
	s.mainForm.Refresh()
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
// background, when no other background work shares the cores (kit.Work); the preset lines say
// "measuring…" until their number arrives.
func (s *TrainScreen) measureEstimates() {
	if s.measuring || s.opts.NoAutoMeasure || s.dataErr != nil || !s.dataReady || s.state != trainIdle {
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
	data, timer := s.data, s.opts.Timer
	go func() {
		defer cancel()
		for _, cfg := range todo {
			d, err := s.timeAlone(ctx, timer, cfg, data)
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

// warmupTries is how many times a preset's warm-up is timed at most while other work keeps starting.
const warmupTries = 3

// timeAlone times cfg's warm-up when no other background work shares the cores (kit.Work): timed
// beside the demo catalog's seeding and the first classifier training, a first start's estimates came
// out 2.5 times too long (Balanced "about 16 min" against 6 timed idle). A warm-up that other work
// overlapped is timed again, up to warmupTries times; the last is kept.
func (s *TrainScreen) timeAlone(ctx context.Context, timer StepTimer, cfg gan.Config, data gan.Data) (time.Duration, error) {
	work := s.deps.Work
	for try := 1; ; try++ {
		if err := work.WaitIdle(ctx); err != nil {
			return 0, err
		}
		mark := work.Mark()
		d, err := timer(ctx, cfg, data)
		if err != nil || work.Quiet(mark) || try == warmupTries {
			return d, err
		}
	}
}
