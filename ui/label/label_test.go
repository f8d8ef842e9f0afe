package label

import (
	"context"
	"testing"
	"time"

	"stylestudio/app/studio"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/store"
	"stylestudio/ui/kit/kittest"
)

// labelHarness runs the shell headless on the label screen.
type labelHarness struct {
	shell   *testShell
	trained chan error
	loaded  chan int
}

func newLabelHarness(t testing.TB, db *store.DB) *labelHarness {
	t.Helper()
	h := &labelHarness{shell: kittest.Open(t, db, kittest.Size, newTestShell, nil), trained: make(chan error, 4), loaded: make(chan int, 4)}
	h.shell.Screen.OnTrained(func(_ studio.ClassifierInfo, err error) { kittest.SendLatest(h.trained, err) })
	h.shell.Screen.OnLoaded(func(n int) { kittest.SendLatest(h.loaded, n) })
	h.shell.Start()
	h.shell.OnUI(func() { h.shell.ShowScreen("label") })
	select {
	case <-h.loaded:
	case <-time.After(3 * time.Minute): // generous: -race on a busy machine is slow
		t.Fatal("label screen did not load")
	}
	return h
}

func TestLabelScreenKeyboardLabelUndoRedoSurvivesRestart(t *testing.T) {
	db := testlib.DemoLibrary(t, 30, 7)
	ctx := context.Background()
	h := newLabelHarness(t, db)
	s := h.shell.Screen

	var target store.ProductRow
	var before int
	var key string
	h.shell.OnUI(func() {
		it, _ := s.model.current()
		target = it.row
		before, _ = s.model.counts()
		key = s.model.styles[1].Key
	})
	if target.Style != "" {
		t.Fatalf("the queue should start on an unlabeled product, got %s (%s)", target.SKU, target.Style)
	}
	// Press the second style's key: the screen updates at once, from memory.
	h.shell.OnUI(func() { s.TypedRune([]rune(key)[0]) })
	h.shell.OnUI(func() {
		after, _ := s.model.counts()
		if after != before+1 {
			t.Errorf("labeled count %d -> %d, want +1 immediately", before, after)
		}
		if it, _ := s.model.current(); it.row.ID == target.ID {
			t.Error("the cursor should move past the labeled product")
		}
	})
	s.Flush()
	p, err := db.Product(ctx, target.ID)
	if err != nil || p.Style == "" {
		t.Fatalf("label not stored: %+v %v", p.Style, err)
	}

	h.shell.OnUI(func() { s.Undo() })
	s.Flush()
	if p, _ := db.Product(ctx, target.ID); p.Style != "" {
		t.Fatalf("undo left the label %q", p.Style)
	}

	// A new session on the same library can redo: the history lives in the catalog. The first session
	// ends first, as in a restart (its loaders must not share Fyne with the second one's).
	h.shell.Close()
	h.shell.Lock()
	h.shell.Unlock()
	h2 := newLabelHarness(t, db)
	h2.shell.OnUI(func() { h2.shell.Screen.Redo() })
	h2.shell.Screen.Flush()
	if p, _ := db.Product(ctx, target.ID); p.Style == "" {
		t.Fatal("redo after a restart did not restore the label")
	}
}

// A reload that read the catalog before a just-pressed label was stored must not make that label vanish
// from the screen (CI once caught the start-up reload doing so).
func TestLabelScreenStaleReloadKeepsPendingLabel(t *testing.T) {
	db := testlib.DemoLibrary(t, 30, 7)
	ctx := context.Background()
	h := newLabelHarness(t, db)
	s := h.shell.Screen

	// Hold the writer so the label's write stays queued while a reload reads the old catalog.
	release := make(chan struct{})
	held := make(chan struct{})
	s.enqueue(func() { close(held); <-release })
	<-held
	var target store.ProductRow
	var before int
	h.shell.OnUI(func() {
		it, _ := s.model.current()
		target = it.row
		before, _ = s.model.counts()
		s.TypedRune([]rune(s.model.styles[0].Key)[0])
	})
	s.reloadNow() // reads the catalog without the label and installs it
	h.shell.OnUI(func() {
		after, _ := s.model.counts()
		if after != before+1 {
			t.Errorf("labeled count %d -> %d after a stale reload, want the pending label kept", before, after)
		}
		if i, ok := s.model.byID[target.ID]; !ok || s.model.items[i].row.Style == "" {
			t.Errorf("product %s lost its label on screen", target.SKU)
		}
	})
	close(release)
	s.Flush()
	h.shell.OnUI(func() {
		if len(s.pending) != 0 {
			t.Errorf("%d labels still pending after the writes were applied", len(s.pending))
		}
	})
	if p, err := db.Product(ctx, target.ID); err != nil || p.Style == "" {
		t.Fatalf("label not stored: %q %v", p.Style, err)
	}
}

func TestLabelScreenMultiSelectLabelsAllAtOnce(t *testing.T) {
	db := testlib.DemoLibrary(t, 30, 7)
	ctx := context.Background()
	h := newLabelHarness(t, db)
	s := h.shell.Screen
	var ids []int64
	var st store.Style
	h.shell.OnUI(func() {
		s.SelectAll() // Ctrl+A on the filtered view: every unlabeled product
		ids = s.model.targets()
		st = s.model.styles[0]
		s.LabelWith(st)
	})
	s.Flush()
	if len(ids) < 2 {
		t.Fatalf("select all picked %d products", len(ids))
	}
	stats, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Unlabeled != 0 {
		t.Fatalf("%d products still unlabeled after labeling the whole selection", stats.Unlabeled)
	}
	// One undo reverts the whole batch.
	h.shell.OnUI(func() { s.Undo() })
	s.Flush()
	if stats, _ := db.Stats(ctx); stats.Unlabeled != len(ids) {
		t.Fatalf("undo restored %d unlabeled, want %d", stats.Unlabeled, len(ids))
	}
}

// A new queue order (a retraining that finished) lands while the person labels: the product on show
// stays on show, first, and the new order follows it, so a key pressed as it landed labels the
// product they were looking at (the real window showed the large image change under the cursor).
func TestLabelScreenKeepsTheProductOnShowWhenTheQueueChanges(t *testing.T) {
	db := testlib.DemoLibrary(t, 30, 7)
	ctx := context.Background()
	h := newLabelHarness(t, db)
	s := h.shell.Screen
	var onShow store.ProductRow
	var order []int64
	var key string
	h.shell.OnUI(func() {
		s.model.move(2) // the person has moved on in the queue
		it, _ := s.model.current()
		onShow = it.row
		key = s.model.styles[0].Key
		// The new order puts the product on show last.
		for _, i := range s.model.view {
			if id := s.model.items[i].row.ID; id != onShow.ID {
				order = append(order, id)
			}
		}
		order = append(order, onShow.ID)
		s.installQueue(map[int64]suggestion{}, order)
		s.refresh()
		if it, _ := s.model.current(); it.row.ID != onShow.ID {
			t.Errorf("the new order put %s on show instead of %s", it.row.SKU, onShow.SKU)
		}
		if next := s.model.at(1).row.ID; next != order[0] {
			t.Errorf("after the product on show comes %d, want the new order's first %d", next, order[0])
		}
		s.TypedRune([]rune(key)[0])
	})
	s.Flush()
	if p, err := db.Product(ctx, onShow.ID); err != nil || p.Style != s.model.styles[0].Name {
		t.Fatalf("the key labeled %q on the product on show (%v), want %s", p.Style, err, s.model.styles[0].Name)
	}
}
