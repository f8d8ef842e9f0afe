package label

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/nn"
	"stylestudio/engine/style"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/store"
	"stylestudio/store/library"
	"stylestudio/ui/kit/kittest"
)

// startShell runs a headless shell on db, on the label screen, reporting each classifier training.
func startShell(t *testing.T, db *store.DB) (*testShell, chan error) {
	t.Helper()
	sh := headlessShell(t, db)
	trained := make(chan error, 8)
	sh.Screen.OnTrained(func(_ studio.ClassifierInfo, err error) { kittest.SendLatest(trained, err) })
	sh.Start()
	sh.OnUI(func() { sh.ShowScreen("label") })
	return sh, trained
}

// On a first start the library is empty when the Label screen starts and the demo catalog arrives
// later: suggestions must still come, without a click on Retrain. (The real window once showed
// "Classifier: training…" for good here.)
func TestLabelScreenFirstStartSuggestsWithoutAClick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the default classifier (minutes under -race); make unit and the e2e suite run it")
	}
	db, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sh, trained := startShell(t, db)
	sh.OnUI(func() { seedDemoIfEmpty(sh, 90) })

	deadline := time.After(4 * time.Minute)
	for done := false; !done; {
		select {
		case err := <-trained:
			done = err == nil
		case <-deadline:
			var status string
			sh.OnUI(func() { status = sh.Screen.status.Text })
			t.Fatalf("no classifier trained without a click; the footer says %q", status)
		}
	}
	sh.OnUI(func() {
		s := sh.Screen
		if !strings.Contains(s.status.Text, "correct on") {
			t.Errorf("footer %q does not report the trained classifier", s.status.Text)
		}
		n := 0
		for _, it := range s.model.items {
			if it.sugg.style != "" {
				n++
			}
		}
		if n == 0 {
			t.Error("no product shows a suggestion")
		}
	})
}

// A classifier saved by another version of Style Studio is replaced on its own, as a missing one is,
// and while the new one trains the screen says so instead of asking for labels the styles have.
func TestLabelScreenReplacesAnOutdatedClassifier(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the default classifier (minutes under -race); make unit and the e2e suite run it")
	}
	db := testlib.DemoLibrary(t, 90, 7)
	path := library.ClassifierPath(db.Dir())
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	old := map[string]nn.Tensor{"w": {Shape: []int{1}, Data: []float32{0}}}
	if err := nn.WriteSafetensors(path, old, map[string]string{"format": "stylestudio.style-classifier", "arch": "cnn2-v0"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := studio.LoadClassifier(db.Dir()); !errors.Is(err, studio.ErrNoClassifier) || !errors.Is(err, style.ErrOutdated) {
		t.Fatalf("LoadClassifier: %v, want ErrNoClassifier and style.ErrOutdated", err)
	}
	sh, trained := startShell(t, db)
	sawTraining := false
	deadline := time.After(4 * time.Minute)
	for done := false; !done; {
		select {
		case err := <-trained:
			if err != nil {
				t.Fatalf("the classifier did not train: %v", err)
			}
			done = true
		case <-deadline:
			t.Fatal("the outdated classifier was not replaced")
		case <-time.After(20 * time.Millisecond):
			sh.OnUI(func() {
				if sh.Screen.training {
					text := sh.Screen.suggestion.String()
					sawTraining = sawTraining || strings.Contains(text, "is training")
					if strings.Contains(text, "about 7 labels") {
						t.Errorf("while the classifier trains the screen says %q", text)
					}
				}
			})
		}
	}
	if !sawTraining {
		t.Error("the screen never said the classifier was training")
	}
	if _, _, err := studio.LoadClassifier(db.Dir()); err != nil {
		t.Errorf("after the retraining the classifier does not load: %v", err)
	}
}

// A training that cannot start says why in words instead of "training…" for good.
func TestLabelScreenTrainingFailureIsShownInWords(t *testing.T) {
	db := testlib.DemoLibrary(t, 12, 7) // too few labels per style to learn
	sh, trained := startShell(t, db)
	select {
	case err := <-trained:
		if err == nil {
			t.Fatal("a classifier trained on 12 products; the test needs a catalog with too few labels")
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the classifier's first training never ended")
	}
	sh.OnUI(func() {
		text := sh.Screen.status.Text
		if strings.Contains(text, "training…") || !strings.Contains(text, "labels") {
			t.Errorf("footer %q should say that more labels are needed", text)
		}
	})
}

// Once a classifier is on show, the screen retrains after studio.RetrainAfter more labels (a third more
// than it learned from, 6 to 20), not before: early labels reach the suggestions and the queue soon.
func TestLabelScreenRetrainsAtTheAppsCadence(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the default classifier (minutes under -race); make unit and the e2e suite run it")
	}
	db := testlib.DemoLibrary(t, 80, 7)
	h := newLabelHarness(t, db)
	s := h.shell.Screen
	select {
	case err := <-h.trained:
		if err != nil {
			t.Fatalf("the first training failed: %v", err)
		}
	case <-time.After(4 * time.Minute):
		t.Fatal("no classifier trained on start")
	}
	var need int
	var key rune
	h.shell.OnUI(func() {
		need = studio.RetrainAfter(s.triedOn)
		key = []rune(s.model.styles[0].Key)[0]
		if labeled, _ := s.model.counts(); len(s.model.items)-labeled < need {
			t.Fatalf("%d unlabeled products, the test needs %d", len(s.model.items)-labeled, need)
		}
	})
	if need >= 20 {
		t.Fatalf("the classifier learned from enough labels to retrain every %d; the test wants the early cadence", need)
	}
	for i := 1; i <= need; i++ {
		h.shell.OnUI(func() {
			s.TypedRune(key)
			if s.training != (i == need) {
				t.Errorf("after %d of %d new labels: training %v", i, need, s.training)
			}
		})
	}
	s.Flush()
}

// While no classifier can be trained (2 labels a style), the queue starts with the products most like
// the styles that lack training labels (studio.FillQueue), not with the scattered catalog.
func TestLabelScreenQueueFillsTheStylesBeforeAClassifier(t *testing.T) {
	ctx := context.Background()
	db := testlib.DemoLibrary(t, 90, 7)
	testlib.KeepLabels(t, db, 90, 7, 2)
	styles, err := db.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sh, trained := startShell(t, db)
	select {
	case err := <-trained:
		if !errors.Is(err, style.ErrNotEnoughLabels) {
			t.Fatalf("first training: %v, want too few labels", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the classifier's first training never ended")
	}
	fill, err := studio.FillQueue(ctx, db)
	if err != nil || len(fill) < 5*len(styles) {
		t.Fatalf("FillQueue: %d products (%v), want at least 5 a style", len(fill), err)
	}
	sh.OnUI(func() {
		s := sh.Screen
		// The product on show when the fill queue landed stays first (installQueue); the products the
		// styles lack follow, in FillQueue's order.
		var shown []int64
		for i := 0; i < len(fill)+1 && i < len(s.model.view); i++ {
			shown = append(shown, s.model.at(i).row.ID)
		}
		want := []int64{shown[0]}
		for _, id := range fill {
			if id != shown[0] {
				want = append(want, id)
			}
		}
		shown = shown[:min(len(shown), len(want))]
		if !slices.Equal(shown, want) {
			t.Errorf("the queue starts %v, want the product on show, then the products the styles lack %v", shown, want)
		}
		if it, ok := s.model.current(); !ok || it.row.ID != shown[0] {
			t.Errorf("the cursor is not on the product on show %d", shown[0])
		}
	})
}
