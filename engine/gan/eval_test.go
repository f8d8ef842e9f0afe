package gan

import (
	"context"
	"encoding/json"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"stylestudio/engine/demo"
	"stylestudio/engine/imaging"
)

// meanColorJudge calls every image the first style and uses its mean colour as the feature vector.
type meanColorJudge struct{ style string }

func (j meanColorJudge) Classify(imgs []image.Image) ([]string, [][]float64, error) {
	names := make([]string, len(imgs))
	feats := make([][]float64, len(imgs))
	for i, img := range imgs {
		names[i] = j.style
		var f [3]float64
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				f[0], f[1], f[2] = f[0]+float64(r), f[1]+float64(g), f[2]+float64(bl)
			}
		}
		n := float64(b.Dx() * b.Dy() * 65535)
		feats[i] = []float64{f[0] / n, f[1] / n, f[2] / n}
	}
	return names, feats, nil
}

// An untrained tiny model is enough to check what the report says about values it cannot measure.
func TestEvaluateReportsMissingValuesAsNull(t *testing.T) {
	cfg := tinyConfig(1)
	styles := []string{"minimal", "neon"}
	m := &Model{cfg: cfg, styles: styles, p: newParams(cfg, len(styles), rand.New(rand.NewPCG(1, 2)))}
	var items []EvalItem
	real := map[int][]image.Image{}
	for i, it := range demo.Catalog(12, 3) {
		k := i % 2
		img, err := demo.Render(it.Params, styles[k], 48)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, EvalItem{Image: img, Style: k})
		if k == 1 || len(real[0]) < 3 { // neon: 6 real images; minimal: 3, too few for two halves of 2
			real[k] = append(real[k], img)
		}
	}
	rep, err := Evaluate(context.Background(), m, items, real, meanColorJudge{"minimal"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pairs != 0 || rep.PairedSSIM != nil || rep.IdentityPairedSSIM != nil || rep.PairedL1 != nil || rep.IdentityPairedL1 != nil {
		t.Errorf("no ground truth, yet paired scores %v %v %v %v", rep.PairedSSIM, rep.IdentityPairedSSIM, rep.PairedL1, rep.IdentityPairedL1)
	}
	if se := rep.PerStyle["minimal"]; se.Frechet != nil || se.RealFrechet != nil || se.PairedSSIM != nil || rep.Frechet["minimal"] != nil {
		t.Errorf("minimal has 3 real images, too few for two halves, yet %+v", se)
	}
	neon := rep.PerStyle["neon"]
	if neon.Frechet == nil || neon.RealFrechet == nil || neon.FrechetN != 3 || rep.RealFrechet["neon"] == nil {
		t.Errorf("neon: 6 held-out real images give two halves of 3: %+v", neon)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"paired_ssim":null`, `"identity_paired_ssim":null`, `"paired_l1":null`, `"identity_paired_l1":null`,
		`"counterpart_style_accuracy":null`, `"counterpart_own_cutout_style_accuracy":null`,
		`"frechet":{"minimal":null`, `"real_frechet":{"minimal":null`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("eval JSON lacks %s: %s", want, js)
		}
	}
}

// On a transparent background the backdrop step copies the source's background into the output,
// so content SSIM there is partly forced; the report says how much (backdrop_kept_share) and gives
// the raw generator's content scores beside it. On the demo's flat backdrops nothing is forced.
func TestEvaluateSaysWhatTheBackdropStepForced(t *testing.T) {
	cfg := tinyConfig(1)
	styles := []string{"minimal", "neon"}
	m := &Model{cfg: cfg, styles: styles, p: newParams(cfg, len(styles), rand.New(rand.NewPCG(1, 2)))}
	var flat, cutout []EvalItem
	for i, it := range demo.Catalog(4, 3) {
		img, err := demo.Render(it.Params, styles[i%2], 64)
		if err != nil {
			t.Fatal(err)
		}
		flat = append(flat, EvalItem{Image: img, Style: i % 2})
		// The same product cut out: its backdrop made transparent.
		cut := image.NewNRGBA(img.Rect)
		copy(cut.Pix, img.Pix)
		bg := img.NRGBAAt(0, 0)
		for k := 0; k < len(cut.Pix); k += 4 {
			p := cut.Pix[k : k+4]
			if max(absDiff(p[0], bg.R), absDiff(p[1], bg.G), absDiff(p[2], bg.B)) < 24 {
				copy(p, []uint8{0, 0, 0, 0})
			}
		}
		cutout = append(cutout, EvalItem{Image: cut, Style: i % 2})
	}
	for _, c := range []struct {
		name     string
		items    []EvalItem
		min, max float64
	}{{"flat demo backdrops", flat, 0, 0.05}, {"transparent backgrounds", cutout, 0.3, 1}} {
		rep, err := Evaluate(context.Background(), m, c.items, nil, meanColorJudge{"minimal"})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: kept %.3f, content SSIM %.3f (generator %.3f), L1 %.3f (generator %.3f)", c.name,
			rep.BackdropKeptShare, rep.ContentSSIM, rep.GeneratorContentSSIM, rep.ContentL1, rep.GeneratorContentL1)
		if rep.BackdropKeptShare < c.min || rep.BackdropKeptShare > c.max {
			t.Errorf("%s: backdrop_kept_share %.3f, want %.2f to %.2f", c.name, rep.BackdropKeptShare, c.min, c.max)
		}
		if rep.GeneratorContentSSIM <= 0 || rep.GeneratorContentL1 <= 0 {
			t.Errorf("%s: generator content scores not measured: %+v", c.name, rep)
		}
	}
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

// alphaJudge records, for every image it classifies, the share of its pixels that are transparent.
type alphaJudge struct {
	meanColorJudge
	transparent *[]float64
}

func (j alphaJudge) Classify(imgs []image.Image) ([]string, [][]float64, error) {
	for _, img := range imgs {
		b := img.Bounds()
		clear := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if _, _, _, a := img.At(x, y).RGBA(); a == 0 {
					clear++
				}
			}
		}
		*j.transparent = append(*j.transparent, float64(clear)/float64(b.Dx()*b.Dy()))
	}
	return j.meanColorJudge.Classify(imgs)
}

// The judge reads a stylized product with its source's transparency, as a classifier trained on a
// catalog of cut-outs reads the products; without an alpha square it reads the output as it is.
func TestEvaluateJudgesOutputsWithTheSourcesTransparency(t *testing.T) {
	m := untrainedTwoStyles()
	img, alpha := blockCutout()
	for _, tc := range []struct {
		name     string
		alpha    *image.Gray
		min, max float64
	}{{"cut-out", alpha, 0.8, 0.92}, {"opaque", nil, 0, 0}} {
		var seen []float64
		items := []EvalItem{{Image: img, Style: 0, Alpha: tc.alpha}}
		if _, err := Evaluate(context.Background(), m, items, nil, alphaJudge{meanColorJudge{"neon"}, &seen}); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 {
			t.Fatalf("%s: the judge saw %d images, want 1", tc.name, len(seen))
		}
		if seen[0] < tc.min || seen[0] > tc.max {
			t.Errorf("%s: the judged output is %.2f transparent, want %.2f–%.2f (the source's surroundings, 8/9)", tc.name, seen[0], tc.min, tc.max)
		}
	}
}

// outlineJudge names a picture by its outline alone: "neon" when under a quarter of it is transparent,
// else "minimal" (a judge that reads the cut-out, not the drawing).
type outlineJudge struct{ meanColorJudge }

func (j outlineJudge) Classify(imgs []image.Image) ([]string, [][]float64, error) {
	var seen []float64
	if _, _, err := (alphaJudge{j.meanColorJudge, &seen}).Classify(imgs); err != nil {
		return nil, nil, err
	}
	_, feats, err := j.meanColorJudge.Classify(imgs)
	names := make([]string, len(imgs))
	for i, clear := range seen {
		names[i] = "minimal"
		if clear < 0.25 {
			names[i] = "neon"
		}
	}
	return names, feats, err
}

// counterpart_style_accuracy is the judge's score of the real counterparts read as translations are,
// in the source's cut-out: a judge that reads the outline rejects even the real drawing there, and
// accepts it where the source has no cut-out.
func TestEvaluateScoresTheRealCounterpartAsATranslation(t *testing.T) {
	m := untrainedTwoStyles()
	img, alpha := blockCutout()
	truth := image.NewNRGBA(img.Rect) // the item drawn in neon: opaque, dark
	for i := 0; i < len(truth.Pix); i += 4 {
		copy(truth.Pix[i:i+4], []uint8{10, 10, 40, 255})
	}
	for _, tc := range []struct {
		name  string
		alpha *image.Gray
		want  float64
	}{{"in the source's cut-out", alpha, 0}, {"no cut-out", nil, 1}} {
		items := []EvalItem{{Image: img, Style: 0, Alpha: tc.alpha, Truth: map[int]image.Image{1: truth}}}
		rep, err := Evaluate(context.Background(), m, items, nil, outlineJudge{meanColorJudge{"minimal"}})
		if err != nil {
			t.Fatal(err)
		}
		// In its own cut-out (none: the drawing is opaque) the judge knows it either way.
		if rep.CounterpartOwnCutoutStyleAccuracy == nil || *rep.CounterpartOwnCutoutStyleAccuracy != 1 {
			t.Errorf("%s: counterpart_own_cutout_style_accuracy %v; want 1", tc.name, FormatMetric("%.2f", rep.CounterpartOwnCutoutStyleAccuracy))
		}
		if rep.Pairs != 1 || rep.CounterpartStyleAccuracy == nil || *rep.CounterpartStyleAccuracy != tc.want {
			t.Errorf("%s: %d pairs, counterpart_style_accuracy %v; want %.0f", tc.name, rep.Pairs, FormatMetric("%.2f", rep.CounterpartStyleAccuracy), tc.want)
		}
		if se := rep.PerStyle["neon"]; se.CounterpartAccuracy == nil || *se.CounterpartAccuracy != tc.want {
			t.Errorf("%s: neon's counterpart_style_accuracy %v", tc.name, FormatMetric("%.2f", se.CounterpartAccuracy))
		}
	}
}

// untrainedTwoStyles is an untrained tiny model of the styles minimal and neon.
func untrainedTwoStyles() *Model {
	cfg := tinyConfig(1)
	styles := []string{"minimal", "neon"}
	return &Model{cfg: cfg, styles: styles, p: newParams(cfg, len(styles), rand.New(rand.NewPCG(1, 2)))}
}

// blockCutout is a 96 px product, a block in the middle third on white, and its alpha square: the block
// opaque, its surroundings transparent.
func blockCutout() (*image.NRGBA, *image.Gray) {
	img := image.NewNRGBA(image.Rect(0, 0, 96, 96))
	alpha := image.NewGray(img.Rect)
	for i := range 96 * 96 {
		copy(img.Pix[4*i:4*i+4], []uint8{255, 255, 255, 255})
		if x, y := i%96, i/96; x >= 32 && x < 64 && y >= 32 && y < 64 {
			img.Pix[4*i], img.Pix[4*i+1] = 20, 40
			alpha.Pix[i] = 255
		}
	}
	return img, alpha
}

// The matched judge grades the same translations and real counterparts as the first judge, and its
// numbers are its own: here the first judge reads the outline and rejects the real drawing in the
// source's cut-out, the matched one reads the colour and names it.
func TestEvaluateMatchedGradesWithTheSecondJudge(t *testing.T) {
	m := untrainedTwoStyles()
	img, alpha := blockCutout()
	truth := image.NewNRGBA(img.Rect)
	for i := 0; i < len(truth.Pix); i += 4 {
		copy(truth.Pix[i:i+4], []uint8{10, 10, 40, 255})
	}
	items := []EvalItem{{Image: img, Style: 0, Alpha: alpha, Truth: map[int]image.Image{1: truth}}}
	first := outlineJudge{meanColorJudge{"minimal"}}
	rep, err := EvaluateMatched(context.Background(), m, items, nil, first, meanColorJudge{"neon"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.StyleAccuracy != 0 || rep.CounterpartStyleAccuracy == nil || *rep.CounterpartStyleAccuracy != 0 {
		t.Errorf("the first judge: style accuracy %.2f, counterparts %s; want 0 and 0", rep.StyleAccuracy, FormatMetric("%.2f", rep.CounterpartStyleAccuracy))
	}
	mj := rep.MatchedJudge
	if mj == nil {
		t.Fatal("no matched_judge")
	}
	if mj.StyleAccuracy != 1 || mj.CounterpartStyleAccuracy == nil || *mj.CounterpartStyleAccuracy != 1 || mj.Size != m.cfg.Size {
		t.Errorf("matched judge: style accuracy %.2f, counterparts %s, size %d; want 1, 1, %d", mj.StyleAccuracy,
			FormatMetric("%.2f", mj.CounterpartStyleAccuracy), mj.Size, m.cfg.Size)
	}
	if ps, ok := mj.PerStyle["neon"]; !ok || ps.N != 1 || ps.Accuracy != 1 || ps.CounterpartAccuracy == nil || *ps.CounterpartAccuracy != 1 {
		t.Errorf("matched judge per style: %+v", mj.PerStyle)
	}
	// Without a second judge the key is null.
	if rep, err := Evaluate(context.Background(), m, items, nil, first); err != nil || rep.MatchedJudge != nil {
		t.Errorf("Evaluate without a matched judge: %v, matched_judge %+v", err, rep.MatchedJudge)
	}
}

// textureJudge names a picture "neon" where its top three rows, backdrop here, are grainy (neighbouring
// pixels differ), "minimal" where they are flat: a judge that knows a style by its backdrop's texture.
type textureJudge struct{ meanColorJudge }

func (j textureJudge) Classify(imgs []image.Image) ([]string, [][]float64, error) {
	_, feats, err := j.meanColorJudge.Classify(imgs)
	names := make([]string, len(imgs))
	for i, img := range imgs {
		b := img.Bounds()
		var diff, count float64
		for y := b.Min.Y; y < b.Min.Y+3; y++ {
			for x := b.Min.X + 1; x < b.Max.X; x++ {
				r0, _, _, _ := img.At(x-1, y).RGBA()
				r1, _, _, _ := img.At(x, y).RGBA()
				diff += math.Abs(float64(r1)-float64(r0)) / 257
				count++
			}
		}
		names[i] = "minimal"
		if diff/count > 8 {
			names[i] = "neon"
		}
	}
	return names, feats, err
}

// The real counterpart is read as a translation is: through the backdrop step, which evens a flat
// backdrop's change out, so a style known by its backdrop's grain is lost for the real drawing as it
// is for any translation (counterpart_style_accuracy 0), while the drawing in its own right, unsettled,
// is known (counterpart_own_cutout_style_accuracy 1). Read without the step, the reference credited
// the real drawing with what no translation can keep.
func TestEvaluateReadsTheCounterpartThroughTheBackdropStep(t *testing.T) {
	m := untrainedTwoStyles()
	src := image.NewNRGBA(image.Rect(0, 0, 96, 96))
	truth := image.NewNRGBA(src.Rect)
	for i := range 96 * 96 {
		x, y := i%96, i/96
		inside := x >= 32 && x < 64 && y >= 32 && y < 64
		copy(src.Pix[4*i:4*i+4], []uint8{255, 255, 255, 255})
		grain := uint8(200)
		if (x/6+y/6)%2 == 0 {
			grain = 250
		}
		copy(truth.Pix[4*i:4*i+4], []uint8{grain, grain - 20, grain - 60, 255}) // grainy cream
		if inside {
			copy(src.Pix[4*i:4*i+4], []uint8{20, 40, 200, 255})
			copy(truth.Pix[4*i:4*i+4], []uint8{90, 60, 30, 255})
		}
	}
	judge := textureJudge{meanColorJudge{"minimal"}}
	if names, _, _ := judge.Classify([]image.Image{imaging.Square(truth, m.cfg.Size), imaging.Square(src, m.cfg.Size)}); names[0] != "neon" || names[1] != "minimal" {
		t.Fatalf("the judge does not tell the grain at %d px: %v", m.cfg.Size, names)
	}
	items := []EvalItem{{Image: src, Style: 0, Truth: map[int]image.Image{1: truth}}}
	rep, err := EvaluateMatched(context.Background(), m, items, nil, judge, judge)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CounterpartStyleAccuracy == nil || *rep.CounterpartStyleAccuracy != 0 {
		t.Errorf("counterpart_style_accuracy %s, want 0: the backdrop step evens the grain out", FormatMetric("%.2f", rep.CounterpartStyleAccuracy))
	}
	if rep.EvalVersion != EvalVersion || EvalVersion < 2 {
		t.Errorf("eval_version %d, want %d (2 or more: the counterparts through the backdrop step)", rep.EvalVersion, EvalVersion)
	}
	if rep.CounterpartOwnCutoutStyleAccuracy == nil || *rep.CounterpartOwnCutoutStyleAccuracy != 1 {
		t.Errorf("counterpart_own_cutout_style_accuracy %s, want 1", FormatMetric("%.2f", rep.CounterpartOwnCutoutStyleAccuracy))
	}
	if mj := rep.MatchedJudge; mj == nil || mj.CounterpartStyleAccuracy == nil || *mj.CounterpartStyleAccuracy != 0 {
		t.Errorf("the matched judge's counterparts: %+v, want 0", mj)
	}
}
