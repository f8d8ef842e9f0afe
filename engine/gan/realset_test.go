package gan

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stylestudio/engine/imaging"
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
//	STYLESTUDIO_REALSTYLES_CONFIG  JSON laid over DefaultConfig, e.g. {"size":128,"gen_width":32}
//	STYLESTUDIO_REALSTYLES_OUT     folder for the run, its last sample grid (grid.png) and report.json
//	STYLESTUDIO_REALSTYLES_EXPORT  folder: only export the training data (the same held-out split) for the
//	                               PyTorch trainer (ExportTorch), to train elsewhere, e.g. on a GPU
//	STYLESTUDIO_REALSTYLES_RUN     run folder trained elsewhere from such an export: measure it instead
//	                               of training (its served checkpoint, ServingCheckpoint); or a weights
//	                               file holding only the generator's tensors (g.*), as a GPU machine
//	                               sends back a large run's checkpoint
//	STYLESTUDIO_REALSTYLES_JUDGE   file: load the judge from it where it exists, else train it and save
//	                               it there (the same training objects, so several runs share one judge)
//	STYLESTUDIO_REALSTYLES_OPAQUE_JUDGE 1: the judge reads the outputs without the source's transparency
//	                               (as it did before 5 Dec 2026), to tell the judge's part from the model's
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
	if js := os.Getenv("STYLESTUDIO_REALSTYLES_CONFIG"); js != "" {
		if err := json.Unmarshal([]byte(js), &cfg); err != nil {
			t.Fatalf("STYLESTUDIO_REALSTYLES_CONFIG: %v", err)
		}
	}
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
		data.Train = append(data.Train, Example{Image: img, Style: s, Object: o})
		judgeTrain = append(judgeTrain, style.Example{Image: img, Style: s})
	}
	ctx := context.Background()
	if exp := os.Getenv("STYLESTUDIO_REALSTYLES_EXPORT"); exp != "" {
		if err := ExportTorch(exp, filepath.Base(exp), cfg, data); err != nil {
			t.Fatal(err)
		}
		t.Logf("exported %d training images (%d styles, %d held-out images) to %s: %+v", len(data.Train), len(set.Styles), len(held), exp, cfg)
		return
	}
	begin := time.Now()
	judgePath := os.Getenv("STYLESTUDIO_REALSTYLES_JUDGE")
	var judge *style.Model
	if judgePath != "" {
		if _, err := os.Stat(judgePath); err == nil {
			if judge, err = style.Load(judgePath); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(judge.Styles(), set.Styles) {
				t.Fatalf("the judge in %s knows styles %v, the set has %v; remove it to train one for this set", judgePath, judge.Styles(), set.Styles)
			}
			t.Logf("judge loaded from %s", judgePath)
		}
	}
	if judge == nil {
		if judge, err = style.Train(ctx, style.DefaultConfig(), set.Styles, judgeTrain, nil); err != nil {
			t.Fatal(err)
		}
		t.Logf("judge trained on %d images in %s", len(judgeTrain), time.Since(begin).Round(time.Second))
		if judgePath != "" {
			if err := judge.Save(judgePath); err != nil {
				t.Fatal(err)
			}
		}
	}

	var grid *image.NRGBA
	var m *Model
	dir := os.Getenv("STYLESTUDIO_REALSTYLES_RUN")
	if strings.HasSuffix(dir, ".safetensors") {
		if m, err = readModel(dir, true); err != nil {
			t.Fatal(err)
		}
		grid = sampleGrid(m.cfg, len(m.styles), m.p, prepareSamples(data.Samples, m.cfg.Size))
		t.Logf("measuring %s: generator of step %d, %+v", dir, m.step, m.cfg)
	} else if dir != "" {
		side, latest, err := ServingCheckpoint(dir)
		if err != nil {
			t.Fatal(err)
		}
		if grid, err = CheckpointGrid(side, data.Samples); err != nil {
			t.Fatal(err)
		}
		t.Logf("measuring %s: checkpoint step %d (latest %d), %+v", dir, side.Step, latest, side.Config)
	} else {
		dir = filepath.Join(out, "run")
		_ = os.RemoveAll(dir)
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
	}
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

	if m == nil {
		if m, err = LoadModel(dir); err != nil {
			t.Fatal(err)
		}
	}
	var items []EvalItem
	real := map[int][]image.Image{}
	for _, i := range held {
		o, s := set.Object[i], set.Style[i]
		item := EvalItem{Image: set.Images[i], Style: s, Truth: map[int]image.Image{}}
		if b := set.Images[i].Bounds(); b.Dx() == b.Dy() && os.Getenv("STYLESTUDIO_REALSTYLES_OPAQUE_JUDGE") != "1" {
			// The judge trained on the pictures with their transparency reads the outputs with it too.
			item.Alpha = imaging.AlphaSquare(set.Images[i], b.Dx())
		}
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
