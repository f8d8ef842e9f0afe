package style

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"stylestudio/internal/folderset"
)

// folderSet reads an ImageFolder tree (ROOT/<style>/<object>.png) as examples; objects[i] is the file
// name, which names the same object in every style.
func folderSet(tb testing.TB, root string) (styles []string, ex []Example, objects []string) {
	tb.Helper()
	set, err := folderset.Read(root)
	if err != nil {
		tb.Fatal(err)
	}
	for i, img := range set.Images {
		ex = append(ex, Example{Image: img, Style: set.Style[i]})
	}
	return set.Styles, ex, set.Object
}

// objectSplit holds out every style's drawing of about a fifth of the objects (folderset.HeldOut).
func objectSplit(ex []Example, objects []string) (train, held []Example) {
	for i, e := range ex {
		if folderset.HeldOut(objects[i]) {
			held = append(held, e)
		} else {
			train = append(train, e)
		}
	}
	return train, held
}

// TestRealStylesExperiment compares the classifier's parts on image folders named by
// STYLESTUDIO_REALSTYLES (colon-separated roots). A development tool, skipped without it.
func TestRealStylesExperiment(t *testing.T) {
	roots := os.Getenv("STYLESTUDIO_REALSTYLES")
	if roots == "" {
		t.Skip("set STYLESTUDIO_REALSTYLES to folder trees to compare the classifier's parts")
	}
	for _, root := range strings.Split(roots, ":") {
		var styles []string
		var train, held []Example
		if root == "demo" {
			styles = demoStyles()
			train, held = demoSplit(t)
			runExperiment(t, "demo", styles, train, held)
			continue
		}
		styles, ex, objects := folderSet(t, root)
		train, held = stratifiedSplit(ex, 0.8, 7)
		runExperiment(t, root+" random", styles, train, held)
		train, held = objectSplit(ex, objects)
		runExperiment(t, root+" objects", styles, train, held)
	}
}

func runExperiment(t *testing.T, name string, styles []string, train, held []Example) {
	start := time.Now()
	m, err := Train(context.Background(), DefaultConfig(), styles, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	sec := time.Since(start).Seconds()
	cnn := m.cnnProbs(imagesOf(held))
	fh := statsFeatureRows(imagesOf(held))
	var cc, sc int
	for i, e := range held {
		if argmax64(cnn[i]) == e.Style {
			cc++
		}
		if argmax64(m.stats.reg.logits(fh[i])) == e.Style {
			sc++
		}
	}
	ece, _ := Calibration(m, held, 10)
	h := m.stats
	t.Logf("%s: ensemble %.3f, cnn %.3f, stats %.3f (oof %.3f, lambda %g, a %.2f b %.2f scale %.2f), ECE %.3f, %.1f s, %d held-out %d train",
		name, Accuracy(m, held), float64(cc)/float64(len(held)), float64(sc)/float64(len(held)),
		h.outOfFoldAcc, h.statsLambda, h.a, h.b, h.scale, ece, sec, len(held), len(train))
}

// TestRealStylesLabelAssist replays the app's labeling (AppSimConfig: the app's retraining cadence,
// RetrainAfter, and queue diversity 0.3, as app/studio sets it) on the first folder tree named by
// STYLESTUDIO_REALSTYLES: 80% of every style is the labeling pool, 20% held out. For seeds 1 to
// STYLESTUDIO_REALSTYLES_SEEDS (default 1) it logs labels to 95% for queue order and random order and
// both curves. A measuring tool, skipped without the variable.
func TestRealStylesLabelAssist(t *testing.T) {
	roots := os.Getenv("STYLESTUDIO_REALSTYLES")
	if roots == "" {
		t.Skip("set STYLESTUDIO_REALSTYLES to a folder tree to replay labeling on it")
	}
	_, ex, _ := folderSet(t, strings.Split(roots, ":")[0])
	pool, held := stratifiedSplit(ex, 0.8, 7)
	seeds := 1
	if v, err := strconv.Atoi(os.Getenv("STYLESTUDIO_REALSTYLES_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		cfg := AppSimConfig(0.3, seed)
		cfg.Target = 0.95 // 90% comes within the first rounds on the card decks; 95% tells the orders apart
		cfg.MaxLabels = 110
		start := time.Now()
		res, err := SimulateLabeling(context.Background(), cfg, pool, held, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: labels to %.0f%%: %v (pool %d, held out %d, %.0f s)", seed, 100*cfg.Target, res.LabelsTo90, len(pool), len(held), time.Since(start).Seconds())
		t.Logf("uncertainty %v", res.Uncertainty)
		t.Logf("random %v", res.Random)
	}
}
