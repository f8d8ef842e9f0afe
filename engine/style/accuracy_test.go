package style

import (
	"context"
	"image"
	"testing"
)

// TestDemoAccuracy trains on the demo protocol with a smaller budget than DefaultConfig (10 epochs
// instead of 36) and checks that the classifier is clearly learning the styles. The full budget and
// its timing are measured by BenchmarkTrainDemo.
func TestDemoAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a classifier for several seconds")
	}
	train, heldOut := demoSplit(t)
	cfg := DefaultConfig()
	cfg.Epochs = 10
	m, err := Train(context.Background(), cfg, demoStyles(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	acc := Accuracy(m, heldOut)
	t.Logf("held-out accuracy %.3f on %d images", acc, len(heldOut))
	if acc < 0.85 {
		t.Errorf("held-out accuracy %.3f, want at least 0.85", acc)
	}

	// Features separate the styles: an image is on average nearer to the other images of its style
	// than to images of other styles.
	imgs := make([]image.Image, len(heldOut))
	for i, e := range heldOut {
		imgs[i] = e.Image
	}
	feats := m.Features(imgs)
	var same, diff float64
	var ns, nd int
	for i := range feats {
		for j := i + 1; j < len(feats); j++ {
			d := dist(normalized(feats[i]), normalized(feats[j]))
			if heldOut[i].Style == heldOut[j].Style {
				same += d
				ns++
			} else {
				diff += d
				nd++
			}
		}
	}
	if same/float64(ns) >= 0.7*diff/float64(nd) {
		t.Errorf("mean feature distance within a style %.3f, across styles %.3f: want clearly smaller within",
			same/float64(ns), diff/float64(nd))
	}
}
