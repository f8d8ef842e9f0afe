package style

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// drawnStyles renders the same objects (a random shape in a random colour) in four ways a design team
// might draw them: flat, flat with a dark outline, a shaded gradient, and a grainy print. Colour and
// shape say nothing about the style; only how the object is drawn does. Objects are paired across
// styles, as in scripts/realstyles' card decks.
func drawnStyles(objects int, seed uint64) (styles []string, ex []Example, object []int) {
	styles = []string{"flat", "outlined", "gradient", "grain"}
	rng := rand.New(rand.NewPCG(seed, 0xd5a))
	const size = 64
	for o := 0; o < objects; o++ {
		cx, cy := 20+rng.Float64()*24, 20+rng.Float64()*24
		rx, ry := 10+rng.Float64()*12, 10+rng.Float64()*12
		boxy := rng.IntN(2) == 0
		base := [3]float64{40 + rng.Float64()*200, 40 + rng.Float64()*200, 40 + rng.Float64()*200}
		inside := func(x, y float64) bool {
			dx, dy := (x-cx)/rx, (y-cy)/ry
			if boxy {
				return math.Abs(dx) <= 1 && math.Abs(dy) <= 1
			}
			return dx*dx+dy*dy <= 1
		}
		grain := rand.New(rand.NewPCG(seed+uint64(o), 0x9a1))
		for s := range styles {
			img := image.NewNRGBA(image.Rect(0, 0, size, size))
			for y := 0; y < size; y++ {
				for x := 0; x < size; x++ {
					fx, fy := float64(x), float64(y)
					if !inside(fx, fy) {
						continue // transparent
					}
					c := base
					switch s {
					case 1:
						edge := !inside(fx-2, fy) || !inside(fx+2, fy) || !inside(fx, fy-2) || !inside(fx, fy+2)
						if edge {
							c = [3]float64{25, 20, 30}
						}
					case 2:
						k := 0.45 + 0.55*(fy-(cy-ry))/(2*ry)
						for i := range c {
							c[i] *= k
						}
					case 3:
						d := grain.Float64()*90 - 45
						for i := range c {
							c[i] += d
						}
					}
					img.SetNRGBA(x, y, color.NRGBA{clamp8(c[0]), clamp8(c[1]), clamp8(c[2]), 255})
				}
			}
			ex = append(ex, Example{Image: img, Style: s})
			object = append(object, o)
		}
	}
	return styles, ex, object
}

func clamp8(v float64) uint8 { return uint8(math.Max(0, math.Min(255, v))) }

func TestStatsFeatures(t *testing.T) {
	_, ex, _ := drawnStyles(2, 1)
	for _, e := range ex {
		f := statsFeatures(e.Image)
		if len(f) != statsLen {
			t.Fatalf("statsFeatures gives %d values, statsLen is %d", len(f), statsLen)
		}
		for i, v := range f {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("feature %d is %v", i, v)
			}
		}
		if g := statsFeatures(e.Image); !equal32(f, g) {
			t.Fatal("statsFeatures is not deterministic")
		}
	}
	// Degenerate pictures give a finite vector too (nil reads as white).
	for _, img := range []image.Image{nil, image.NewNRGBA(image.Rect(0, 0, 1, 1)), image.NewGray(image.Rect(0, 0, 3, 700))} {
		for i, v := range statsFeatures(img) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("feature %d of a degenerate image is %v", i, v)
			}
		}
	}
}

func equal32(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// On styles that differ in how things are drawn, not in what or in which colour, the statistics
// recognise objects they never saw in any style; so does the whole classifier built on them.
func TestStatsRecogniseDrawingStyles(t *testing.T) {
	styles, ex, object := drawnStyles(36, 3)
	var train, held []Example
	for i, e := range ex {
		if object[i] < 26 {
			train = append(train, e)
		} else {
			held = append(held, e)
		}
	}
	y := make([]int, len(train))
	for i, e := range train {
		y[i] = e.Style
	}
	reg, _, err := trainStats(context.Background(), statsFeatureRows(imagesOf(train)), y, len(styles))
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, f := range statsFeatureRows(imagesOf(held)) {
		if argmax64(reg.logits(f)) == held[i].Style {
			correct++
		}
	}
	acc := float64(correct) / float64(len(held))
	t.Logf("statistics alone: %.3f on %d held-out objects' drawings", acc, len(held))
	if acc < 0.9 {
		t.Errorf("statistics model: held-out accuracy %.3f on drawing styles, want at least 0.9", acc)
	}
	if testing.Short() {
		return
	}
	m, err := Train(context.Background(), tinyConfig(), styles, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acc := Accuracy(m, held); acc < 0.9 {
		t.Errorf("classifier: held-out accuracy %.3f on drawing styles, want at least 0.9 (ensemble %+v)", acc, m.Ensemble())
	}
}

// fitTemperature recovers the temperature that generated the labels.
func TestFitTemperatureRecoversTemperature(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const trueT = 2.5
	var logits [][]float64
	var y []int
	p := make([]float64, 4)
	for i := 0; i < 6000; i++ {
		l := make([]float64, 4)
		for c := range l {
			l[c] = rng.NormFloat64() * 4
		}
		for c := range p {
			p[c] = l[c] / trueT
		}
		softmaxInPlace(p)
		u, c := rng.Float64(), 0
		for ; c < 3 && u > p[c]; c++ {
			u -= p[c]
		}
		logits, y = append(logits, l), append(y, c)
	}
	if got := fitTemperature(logits, y); math.Abs(got-trueT) > 0.25 {
		t.Errorf("fitted temperature %.3f, labels drawn at %.1f", got, trueT)
	}
	// Calibrated probabilities have a small ECE; the same logits read at T=1 (overconfident) a large one.
	ece := func(temp float64) float64 {
		conf := make([]float64, len(y))
		right := make([]bool, len(y))
		for i, l := range logits {
			q := make([]float64, 4)
			for c := range q {
				q[c] = l[c] / temp
			}
			softmaxInPlace(q)
			b := argmax64(q)
			conf[i], right[i] = q[b], b == y[i]
		}
		e, bins := reliability(conf, right, 0.25, 10)
		n := 0
		for _, b := range bins {
			n += b.Count
		}
		if n != len(y) {
			t.Fatalf("reliability bins hold %d of %d predictions", n, len(y))
		}
		return e
	}
	if good, over := ece(trueT), ece(1); good > 0.03 || over < 0.1 {
		t.Errorf("ECE calibrated %.3f (want ≤ 0.03), overconfident %.3f (want ≥ 0.1)", good, over)
	}
}

// The ensemble gives the CNN weight only when its predictions on the calibration slice earn it.
func TestEnsembleWeighsTheCNNByItsCalibrationFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n, k = 300, 4
	y := make([]int, n)
	informative := make([][]float64, n)
	noise := make([][]float64, n)
	weak := make([][]float64, n)
	for i := range y {
		y[i] = rng.IntN(k)
		informative[i], noise[i], weak[i] = make([]float64, k), make([]float64, k), make([]float64, k)
		for c := 0; c < k; c++ {
			noise[i][c] = math.Log(0.02 + rng.Float64())
			weak[i][c] = rng.NormFloat64() * 0.3
			informative[i][c] = math.Log(0.05)
		}
		informative[i][y[i]] = math.Log(0.85)
		weak[i][y[i]] += 0.4
	}
	if b, _ := fitEnsembleWeights(weak, noise, y, 1); b != 0 {
		t.Errorf("a CNN of pure noise got weight %v, want 0", b)
	}
	if b, _ := fitEnsembleWeights(weak, informative, y, 1); b < 0.5 {
		t.Errorf("a CNN right 100%% of the time beside weak statistics got weight %v, want at least 0.5", b)
	}
}
