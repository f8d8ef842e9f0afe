package style

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"

	"stylestudio/engine/nn"
)

// tinyConfig trains in well under a second: for tests of behaviour, not of accuracy.
func tinyConfig() Config {
	return Config{Size: 32, Epochs: 2, BatchSize: 8, LR: 3e-3, Seed: 7, Width: 4}
}

func TestTrainRejectsTooFewLabels(t *testing.T) {
	ex := demoExamples(t, 60, 3)
	styles := demoStyles()

	_, err := Train(context.Background(), tinyConfig(), styles[:1], ex[:1], nil)
	if !errors.Is(err, ErrNotEnoughLabels) || !strings.Contains(err.Error(), "at least 2 styles") {
		t.Errorf("one style: err = %v", err)
	}

	// Keep only 3 "neon" examples (index 2); the others have 10 each.
	var few []Example
	neon := 0
	for _, e := range ex {
		if e.Style == 2 {
			if neon == 3 {
				continue
			}
			neon++
		}
		few = append(few, e)
	}
	_, err = Train(context.Background(), tinyConfig(), styles, few, nil)
	if !errors.Is(err, ErrNotEnoughLabels) {
		t.Fatalf("err = %v, want ErrNotEnoughLabels", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `"neon" has 3, needs 2 more`) || strings.Contains(msg, "vintage") {
		t.Errorf("error %q should name neon (and only neon) and how many it needs", msg)
	}

	bad := slices.Clone(ex)
	bad[4].Style = 9
	if _, err := Train(context.Background(), tinyConfig(), styles, bad, nil); err == nil || !strings.Contains(err.Error(), "example 4") {
		t.Errorf("out-of-range style: err = %v", err)
	}
	bad = slices.Clone(ex)
	bad[5].Image = nil
	if _, err := Train(context.Background(), tinyConfig(), styles, bad, nil); err == nil || !strings.Contains(err.Error(), "example 5") {
		t.Errorf("missing image: err = %v", err)
	}
	if _, err := Train(context.Background(), Config{Size: 8}, styles, ex, nil); err == nil || !strings.Contains(err.Error(), "Size") {
		t.Errorf("bad config: err = %v", err)
	}
}

func TestTrainCancels(t *testing.T) {
	ex := demoExamples(t, 60, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, tinyConfig(), demoStyles(), ex, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("pre-cancelled: err = %v, want context.Canceled", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	cfg := tinyConfig()
	cfg.Epochs = 50
	var events []Event
	_, err := Train(ctx, cfg, demoStyles(), ex, func(e Event) {
		events = append(events, e)
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(events) != 1 {
		t.Errorf("got %d epoch reports after cancelling in the first, want 1", len(events))
	}
}

func TestTrainIsDeterministicAndReports(t *testing.T) {
	ex := demoExamples(t, 60, 3)
	var events []Event
	a, err := Train(context.Background(), tinyConfig(), demoStyles(), ex, func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), tinyConfig(), demoStyles(), ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, ta := range a.net.tensors() {
		if !slices.Equal(ta.Data, b.net.tensors()[name].Data) {
			t.Fatalf("tensor %s differs between two runs with the same seed", name)
		}
	}
	if len(events) != 2 || events[1].Epoch != 2 || events[1].Epochs != 2 {
		t.Fatalf("events = %+v, want epochs 1 and 2 of 2", events)
	}
	for _, e := range events {
		if !(e.Loss > 0) || math.IsInf(e.Loss, 0) || e.TrainAcc < 0 || e.TrainAcc > 1 || e.Elapsed <= 0 {
			t.Errorf("implausible event %+v", e)
		}
	}

	cfg := tinyConfig()
	cfg.Seed++
	c, err := Train(context.Background(), cfg, demoStyles(), ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.net.headW.Data, c.net.headW.Data) {
		t.Error("a different seed gave the same weights")
	}
}

// TestInferenceMatchesTrainingGraph checks the pure-Go forward pass against the gorgonia graph: with
// the batch-norm statistics of a batch, the two give the same logits and features for that batch.
func TestInferenceMatchesTrainingGraph(t *testing.T) {
	ex := demoExamples(t, 8, 5)
	const size, batch = 64, 8
	n := newNet(size, 8, 6, rand.New(rand.NewPCG(3, 4)))
	// Move the batch-norm affine parameters off their initial values so they are checked too.
	r := rand.New(rand.NewPCG(5, 6))
	for _, b := range n.blocks {
		for i := range b.gamma.Data {
			b.gamma.Data[i] = 0.5 + r.Float32()
			b.beta.Data[i] = r.Float32() - 0.5
		}
	}
	g, err := newGraph(n, batch, size)
	if err != nil {
		t.Fatal(err)
	}
	in := 3 * size * size
	inputs := make([][]float32, batch)
	for i, e := range ex {
		inputs[i] = make([]float32, in)
		toCHW(inputs[i], squareOnWhite(e.Image, size))
		copy(g.x[i*in:], inputs[i])
	}
	vm := gorgonia.NewTapeMachine(g.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	n.setPopulationStats(inputs)
	wantLogits := g.logitsVal.Data().([]float32)
	wantFeat := g.featVal.Data().([]float32)
	s := &scratch{}
	f := n.featureLen()
	for i := range inputs {
		feat := make([]float32, f)
		logits := make([]float32, 6)
		n.logits(s, logits, feat, inputs[i])
		for j := range logits {
			if !close32(logits[j], wantLogits[i*6+j]) {
				t.Fatalf("image %d logit %d: pure Go %v, graph %v", i, j, logits[j], wantLogits[i*6+j])
			}
		}
		for j := range feat {
			if !close32(feat[j], wantFeat[i*f+j]) {
				t.Fatalf("image %d feature %d: pure Go %v, graph %v", i, j, feat[j], wantFeat[i*f+j])
			}
		}
	}
}

// close32 compares float32 results of differently ordered sums.
func close32(a, b float32) bool {
	return math.Abs(float64(a-b)) <= 1e-4*(1+math.Abs(float64(b)))
}

// trainedSmall is a model trained briefly on a small demo set, shared by the tests that need a
// trained model but not a good one.
func trainedSmall(t *testing.T) (*Model, []Example) {
	t.Helper()
	ex := demoExamples(t, 60, 3)
	cfg := tinyConfig()
	cfg.Epochs = 4
	m, err := Train(context.Background(), cfg, demoStyles(), ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, ex
}

func TestPredictAndFeatures(t *testing.T) {
	m, ex := trainedSmall(t)
	if got := m.Styles(); !slices.Equal(got, demoStyles()) {
		t.Errorf("Styles() = %v", got)
	}
	imgs := []image.Image{ex[0].Image, ex[1].Image, nil, image.NewNRGBA(image.Rect(0, 0, 0, 0))}
	batch := m.PredictBatch(imgs)
	for i, p := range batch {
		if len(p) != 6 {
			t.Fatalf("prediction %d has %d values", i, len(p))
		}
		var s float64
		for _, v := range p {
			if v < 0 || v > 1 {
				t.Errorf("probability %v out of range", v)
			}
			s += v
		}
		if math.Abs(s-1) > 1e-9 {
			t.Errorf("prediction %d sums to %v", i, s)
		}
	}
	if one := m.Predict(ex[1].Image); !slices.Equal(one, batch[1]) {
		t.Errorf("Predict %v differs from PredictBatch %v", one, batch[1])
	}
	// nil and empty images read as a blank white picture.
	if !slices.Equal(batch[2], batch[3]) {
		t.Errorf("nil and empty images predict differently: %v vs %v", batch[2], batch[3])
	}

	feats := m.Features(imgs[:2])
	if len(feats) != 2 || len(feats[0]) != m.FeatureLen() || m.FeatureLen() != 8*m.Config().Width {
		t.Fatalf("features: %d vectors of %d, FeatureLen %d", len(feats), len(feats[0]), m.FeatureLen())
	}

	// Transparency is composited on white: a product on a transparent background predicts like the
	// same product on white.
	src := ex[0].Image.(*image.NRGBA)
	clear := image.NewNRGBA(src.Rect)
	for i := 0; i < len(src.Pix); i += 4 {
		if src.Pix[i] > 250 && src.Pix[i+1] > 250 && src.Pix[i+2] > 250 {
			continue // leave white pixels fully transparent
		}
		copy(clear.Pix[i:i+4], src.Pix[i:i+4])
	}
	white := image.NewNRGBA(src.Rect)
	for i := 0; i < len(src.Pix); i += 4 {
		if clear.Pix[i+3] == 0 {
			copy(white.Pix[i:i+4], []uint8{255, 255, 255, 255})
		} else {
			copy(white.Pix[i:i+4], clear.Pix[i:i+4])
		}
	}
	if a, b := m.Predict(clear), m.Predict(white); !slices.Equal(a, b) {
		t.Errorf("transparent background predicts %v, white background %v", a, b)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m, ex := trainedSmall(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "style.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Config() != m.Config() || !slices.Equal(l.Styles(), m.Styles()) {
		t.Errorf("loaded config %+v styles %v, want %+v %v", l.Config(), l.Styles(), m.Config(), m.Styles())
	}
	imgs := []image.Image{ex[0].Image, ex[7].Image}
	a, b := m.PredictBatch(imgs), l.PredictBatch(imgs)
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Errorf("image %d: loaded model predicts %v, original %v", i, b[i], a[i])
		}
	}

	// Files that are not this model.
	tensors, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, ts map[string]nn.Tensor, md map[string]string) string {
		p := filepath.Join(dir, name)
		if err := nn.WriteSafetensors(p, ts, md); err != nil {
			t.Fatal(err)
		}
		return p
	}
	expect := func(p, mention string) {
		t.Helper()
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), mention) {
			t.Errorf("Load(%s) err = %v, want an error naming the file and mentioning %q", filepath.Base(p), err, mention)
		}
	}
	expect(write("plain.safetensors", tensors, nil), "not a style classifier")

	gan := maps(meta)
	gan[metaFormat] = "stylestudio.gan"
	expect(write("gan.safetensors", tensors, gan), `"stylestudio.gan"`)

	arch := maps(meta)
	arch[metaArch] = "cnn9-v7"
	expect(write("arch.safetensors", tensors, arch), "architecture")

	wider := maps(meta)
	wider[metaConfig] = strings.Replace(meta[metaConfig], `"Width":4`, `"Width":6`, 1)
	expect(write("wider.safetensors", tensors, wider), "shape")

	missing := maps(tensors)
	delete(missing, "head.bias")
	expect(write("missing.safetensors", missing, meta), `"head.bias"`)

	extra := maps(tensors)
	extra["block9.conv.weight"] = nn.Tensor{Shape: []int{1}, Data: []float32{1}}
	expect(write("extra.safetensors", extra, meta), "unexpected tensor")

	// A file written before the style statistics (the CNN alone) still loads and predicts as that CNN.
	old := maps(tensors)
	for name := range old {
		if strings.HasPrefix(name, "stats.") {
			delete(old, name)
		}
	}
	oldMeta := maps(meta)
	delete(oldMeta, metaStats)
	cnnOnly, err := Load(write("cnn-only.safetensors", old, oldMeta))
	if err != nil {
		t.Fatalf("a CNN-only file does not load: %v", err)
	}
	if cnnOnly.Ensemble().Stats || !m.Ensemble().Stats {
		t.Errorf("Ensemble().Stats: CNN-only file %v, trained model %v", cnnOnly.Ensemble().Stats, m.Ensemble().Stats)
	}
	if got, want := cnnOnly.PredictBatch(imgs), m.cnnProbs(imgs); !slices.Equal(got[0], want[0]) {
		t.Errorf("CNN-only file predicts %v, the model's CNN %v", got[0], want[0])
	}
	// Statistics of another version are refused; statistics tensors without their metadata are foreign.
	newer := maps(meta)
	newer[metaStats] = "style-stats-v99"
	expect(write("stats-v99.safetensors", tensors, newer), "style statistics are version")
	// Another version's statistics or network is outdated (retraining replaces it); a foreign or
	// damaged file is not.
	for _, name := range []string{"stats-v99.safetensors", "arch.safetensors"} {
		if _, err := Load(filepath.Join(dir, name)); !errors.Is(err, ErrOutdated) {
			t.Errorf("Load(%s) err = %v, want ErrOutdated", name, err)
		}
	}
	for _, name := range []string{"gan.safetensors", "wider.safetensors"} {
		if _, err := Load(filepath.Join(dir, name)); errors.Is(err, ErrOutdated) {
			t.Errorf("Load(%s) err = %v, want an error that is not ErrOutdated", name, err)
		}
	}
	expect(write("stats-nometa.safetensors", tensors, oldMeta), "unexpected tensor")
	short := maps(tensors)
	short["stats.mean"] = nn.Tensor{Shape: []int{3}, Data: []float32{0, 0, 0}}
	expect(write("stats-short.safetensors", short, meta), `"stats.mean"`)
	nan := maps(tensors)
	bad := append([]float32(nil), tensors["stats.joint"].Data...)
	bad[1] = float32(math.NaN())
	nan["stats.joint"] = nn.Tensor{Shape: []int{3}, Data: bad}
	expect(write("stats-nan.safetensors", nan, meta), "non-finite")

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.safetensors")
	if err := os.WriteFile(cut, raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	expect(cut, "damaged")
	if _, err := Load(filepath.Join(dir, "nope.safetensors")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

func maps[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestQueueOrdersByUncertainty(t *testing.T) {
	probs := [][]float64{
		{0.9, 0.05, 0.05},  // sure
		{0.4, 0.35, 0.25},  // margin 0.05
		{0.6, 0.3, 0.1},    // margin 0.3
		{0.34, 0.33, 0.33}, // margin 0.01
	}
	feats := [][]float32{{1, 0}, {0, 1}, {1, 1}, {1, 0}}
	q := QueuePredicted(probs, feats, 0, 0, nil)
	var order []int
	for _, it := range q {
		order = append(order, it.Index)
	}
	if !slices.Equal(order, []int{3, 1, 2, 0}) {
		t.Errorf("order = %v, want [3 1 2 0]", order)
	}
	first := q[0]
	if first.Suggested != 0 || math.Abs(first.Confidence-0.34) > 1e-12 || math.Abs(first.Uncertainty-0.99) > 1e-12 {
		t.Errorf("first item = %+v", first)
	}
	if q := QueuePredicted(probs, feats, 2, 0, nil); len(q) != 2 || q[1].Index != 1 {
		t.Errorf("n=2: %+v", q)
	}
	if q := QueuePredicted(probs, feats, 99, 0.5, nil); len(q) != 4 {
		t.Errorf("n larger than the candidates: %d items", len(q))
	}
}

func TestQueueDiversitySpreadsPicks(t *testing.T) {
	// Two tight clusters of uncertain candidates: cluster A (indices 0-9) slightly more uncertain
	// than cluster B (10-19), and a block of sure candidates (20-29).
	var probs [][]float64
	var feats [][]float32
	for i := 0; i < 30; i++ {
		switch {
		case i < 10:
			probs = append(probs, []float64{0.45, 0.4, 0.15})
			feats = append(feats, []float32{1, 0.01 * float32(i), 0})
		case i < 20:
			probs = append(probs, []float64{0.5, 0.35, 0.15})
			feats = append(feats, []float32{0, 1, 0.01 * float32(i)})
		default:
			probs = append(probs, []float64{0.98, 0.01, 0.01})
			feats = append(feats, []float32{0, 0, 1})
		}
	}
	cluster := func(q []QueueItem) (a, b, sure int) {
		for _, it := range q {
			switch {
			case it.Index < 10:
				a++
			case it.Index < 20:
				b++
			default:
				sure++
			}
		}
		return
	}
	if a, b, _ := cluster(QueuePredicted(probs, feats, 4, 0, rand.New(rand.NewPCG(1, 1)))); a != 4 || b != 0 {
		t.Errorf("diversity 0 picked %d from A and %d from B, want the 4 most uncertain (all A)", a, b)
	}
	q := QueuePredicted(probs, feats, 4, 0.8, rand.New(rand.NewPCG(1, 1)))
	if a, b, sure := cluster(q); a == 0 || b == 0 || sure != 0 {
		t.Errorf("diversity 0.8 picked A=%d B=%d sure=%d, want both uncertain clusters and no sure ones", a, b, sure)
	}
	if q[0].Index >= 10 {
		t.Errorf("first pick %d should be the most uncertain (cluster A)", q[0].Index)
	}
	again := QueuePredicted(probs, feats, 4, 0.8, rand.New(rand.NewPCG(1, 1)))
	if !slices.Equal(q, again) {
		t.Error("same rng seed gave a different queue")
	}
}

// QueueHead spends its diversity on the batch labeled before the next retraining: the head comes
// from the most uncertain candidates, not from far-off, fairly sure ones, and every candidate follows
// once, by uncertainty.
func TestQueueHeadKeepsTheBatchUncertain(t *testing.T) {
	// A: a tight cluster of very uncertain candidates (0-9); C: fairly sure ones, each far from
	// every other (10-19).
	var probs [][]float64
	var feats [][]float32
	for i := 0; i < 20; i++ {
		f := make([]float32, 12)
		if i < 10 {
			probs = append(probs, []float64{0.5, 0.45, 0.05})
			f[0], f[1] = 1, 0.01*float32(i)
		} else {
			probs = append(probs, []float64{0.65, 0.25, 0.1})
			f[i-8] = 1
		}
		feats = append(feats, f)
	}
	whole := QueuePredicted(probs, feats, len(probs), 0.3, rand.New(rand.NewPCG(1, 1)))
	far := 0
	for _, it := range whole[:4] {
		if it.Index >= 10 {
			far++
		}
	}
	if far == 0 {
		t.Fatalf("ranked whole, the queue's first 4 took no far-off candidate (%+v): the case does not test the head", whole[:4])
	}
	q := QueueHead(probs, feats, 4, 0.3, rand.New(rand.NewPCG(1, 1)))
	if len(q) != len(probs) {
		t.Fatalf("QueueHead gave %d items, want all %d", len(q), len(probs))
	}
	for _, it := range q[:4] {
		if it.Index >= 10 {
			t.Errorf("head pick %d is a fairly sure far-off candidate; want the 4 from the uncertain cluster", it.Index)
		}
	}
	seen := map[int]bool{}
	for k, it := range q {
		if seen[it.Index] {
			t.Fatalf("index %d twice", it.Index)
		}
		seen[it.Index] = true
		if k > 4 && it.Uncertainty > q[k-1].Uncertainty+1e-12 {
			t.Errorf("after the head, item %d (uncertainty %.2f) follows a less uncertain one (%.2f)", k, it.Uncertainty, q[k-1].Uncertainty)
		}
	}
	if q := QueueHead(probs, feats, 99, 0.3, nil); len(q) != len(probs) {
		t.Errorf("head larger than the candidates: %d items", len(q))
	}
	if q := QueueHead(nil, nil, 4, 0.3, nil); len(q) != 0 {
		t.Errorf("no candidates: %d items", len(q))
	}
}

func TestQueueOnModel(t *testing.T) {
	m, ex := trainedSmall(t)
	imgs := make([]image.Image, 20)
	for i := range imgs {
		imgs[i] = ex[i].Image
	}
	probs, feats := m.PredictAll(imgs)
	q := QueuePredicted(probs, feats, 8, 0.5, rand.New(rand.NewPCG(2, 2)))
	if len(q) != 8 {
		t.Fatalf("got %d items, want 8", len(q))
	}
	seen := map[int]bool{}
	probs = m.PredictBatch(imgs)
	for _, it := range q {
		if it.Index < 0 || it.Index >= len(imgs) || seen[it.Index] {
			t.Fatalf("bad or repeated index in %+v", q)
		}
		seen[it.Index] = true
		p := probs[it.Index]
		if it.Suggested != argmax64(p) || it.Confidence != p[it.Suggested] {
			t.Errorf("item %+v does not match prediction %v", it, p)
		}
	}
}

func TestImagePreprocessing(t *testing.T) {
	// A tall red bar on a transparent background becomes a centred bar on white, not a stretched one.
	src := image.NewNRGBA(image.Rect(10, 20, 30, 100)) // 20×80, offset bounds
	for y := 20; y < 100; y++ {
		for x := 10; x < 30; x++ {
			src.SetNRGBA(x, y, color.NRGBA{200, 0, 0, 255})
		}
	}
	src.SetNRGBA(10, 20, color.NRGBA{0, 0, 0, 0})
	out := squareOnWhite(src, 40)
	if out.Rect != image.Rect(0, 0, 40, 40) {
		t.Fatalf("bounds %v", out.Rect)
	}
	if c := out.NRGBAAt(2, 20); c != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("padding = %v, want white", c)
	}
	if c := out.NRGBAAt(20, 20); c.R < 190 || c.G > 10 {
		t.Errorf("centre = %v, want red", c)
	}

	base := padForAugment(out, 40)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		a := augment(base, 40, rng)
		if a.Rect.Dx() != 40 || a.Rect.Dy() != 40 {
			t.Fatalf("augmented size %v", a.Rect)
		}
		// Colour jitter stays small: the bar stays strongly red, the background near white.
		if c := a.NRGBAAt(20, 20); c.R < 170 || c.G > 30 || c.B > 30 {
			t.Errorf("augmented centre = %v, colour jitter too strong", c)
		}
		if c := a.NRGBAAt(0, 0); c.R < 235 || c.G < 235 || c.B < 235 {
			t.Errorf("augmented corner = %v, want near white", c)
		}
	}
}

// TestConcurrentUse runs predictions from several goroutines at once (meaningful under -race).
func TestConcurrentUse(t *testing.T) {
	m, ex := trainedSmall(t)
	imgs := []image.Image{ex[0].Image, ex[1].Image, ex[2].Image}
	want := m.PredictBatch(imgs)
	done := make(chan [][]float64)
	for g := 0; g < 4; g++ {
		go func() { done <- m.PredictBatch(imgs) }()
	}
	for g := 0; g < 4; g++ {
		got := <-done
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("concurrent prediction %d = %v, want %v", i, got[i], want[i])
			}
		}
	}
}

func TestCentreOfPaddedBaseIsTheInput(t *testing.T) {
	ex := demoExamples(t, 6, 2)
	for _, e := range ex {
		in := squareOnWhite(e.Image, 48)
		a, b := make([]float32, 3*48*48), make([]float32, 3*48*48)
		toCHW(a, in)
		toCHW(b, centre(padForAugment(in, 48), 48))
		if !slices.Equal(a, b) {
			t.Fatal("the centre of the augmentation canvas differs from the inference input")
		}
	}
}
