package gan

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"stylestudio/engine/style"
	"stylestudio/internal/folderset"
)

// TestRealStylesGAN trains the GAN on an image-folder tree (ROOT/<style>/<object>.png, as
// `scripts/realstyles build --set bench --ink ROOT` writes from Debian's card decks) named by
// STYLESTUDIO_REALSTYLES_GAN, with every style's drawing of a fifth of the objects held out
// (folderset.HeldOut), and measures on those held-out objects, which neither the GAN nor the judge saw
// in any style: style accuracy by an independent judge (the style classifier, trained on the training
// objects only), content SSIM, and paired SSIM against the real drawing of the same object in the
// target style beside doing nothing (identity). A development tool, skipped without the variable.
//
//	STYLESTUDIO_REALSTYLES_STEPS   training steps (default 2000, the Balanced preset)
//	STYLESTUDIO_REALSTYLES_DIFFAUG 1: train with DiffAugment
//	STYLESTUDIO_REALSTYLES_OUT     folder for the run, its last sample grid (grid.png) and report.json
func TestRealStylesGAN(t *testing.T) {
	root := os.Getenv("STYLESTUDIO_REALSTYLES_GAN")
	if root == "" {
		t.Skip("set STYLESTUDIO_REALSTYLES_GAN to a folder tree to train and measure the GAN on real styles")
	}
	set, err := folderset.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if s := os.Getenv("STYLESTUDIO_REALSTYLES_STEPS"); s != "" {
		if cfg.Steps, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	cfg.DiffAugment = os.Getenv("STYLESTUDIO_REALSTYLES_DIFFAUG") == "1"
	out := os.Getenv("STYLESTUDIO_REALSTYLES_OUT")
	if out == "" {
		out = t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	// byObject[o][s] is object o drawn in style s.
	byObject := map[string]map[int]image.Image{}
	data := Data{Styles: set.Styles}
	var judgeTrain []style.Example
	var held []int
	sampled := map[int]bool{}
	for i, img := range set.Images {
		o, s := set.Object[i], set.Style[i]
		if byObject[o] == nil {
			byObject[o] = map[int]image.Image{}
		}
		byObject[o][s] = img
		if folderset.HeldOut(o) {
			held = append(held, i)
			if !sampled[s] { // one held-out object a style fills the sample grid's rows
				sampled[s] = true
				data.Samples = append(data.Samples, img)
			}
			continue
		}
		data.Train = append(data.Train, Example{Image: img, Style: s})
		judgeTrain = append(judgeTrain, style.Example{Image: img, Style: s})
	}
	ctx := context.Background()
	begin := time.Now()
	judge, err := style.Train(ctx, style.DefaultConfig(), set.Styles, judgeTrain, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("judge trained on %d images in %s", len(judgeTrain), time.Since(begin).Round(time.Second))

	dir := filepath.Join(out, "run")
	_ = os.RemoveAll(dir)
	var grid *image.NRGBA
	begin = time.Now()
	sum, err := Train(ctx, cfg, data, Options{Dir: dir}, func(e Event) {
		if e.Kind == EventSample {
			grid = e.Grid
		}
		if e.Kind == EventStep && e.Step%250 == 0 {
			t.Logf("step %d: %+v", e.Step, e.Losses)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained %d steps on %d images (%d styles) in %s, DiffAugment %v", sum.Steps, len(data.Train), len(set.Styles),
		time.Since(begin).Round(time.Second), cfg.DiffAugment)
	if grid != nil {
		f, err := os.Create(filepath.Join(out, "grid.png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, grid); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}

	m, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	var items []EvalItem
	real := map[int][]image.Image{}
	for _, i := range held {
		o, s := set.Object[i], set.Style[i]
		item := EvalItem{Image: set.Images[i], Style: s, Truth: map[int]image.Image{}}
		for ts, img := range byObject[o] {
			if ts != s {
				item.Truth[ts] = img
			}
		}
		items = append(items, item)
		real[s] = append(real[s], set.Images[i])
	}
	rep, err := Evaluate(ctx, m, items, real, judge)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "report.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out products %d, translations %d, pairs %d: style accuracy %.3f, content SSIM %.3f, paired SSIM %s (identity %s), paired L1 %s (identity %s)",
		rep.Products, rep.Translations, rep.Pairs, rep.StyleAccuracy, rep.ContentSSIM,
		FormatMetric("%.3f", rep.PairedSSIM), FormatMetric("%.3f", rep.IdentityPairedSSIM),
		FormatMetric("%.3f", rep.PairedL1), FormatMetric("%.3f", rep.IdentityPairedL1))
	for _, name := range rep.StyleNames() {
		se := rep.PerStyle[name]
		t.Logf("  %s: style accuracy %.2f, content SSIM %.2f, paired SSIM %s", name, se.Accuracy, se.ContentSSIM, FormatMetric("%.3f", se.PairedSSIM))
	}
}
