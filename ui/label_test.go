package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"stylestudio/app/studio"
	"stylestudio/store"
)

// labelHarness runs the shell headless on the label screen.
type labelHarness struct {
	shell   *Shell
	trained chan error
	loaded  chan int
}

func newLabelHarness(t testing.TB, db *store.DB) *labelHarness {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &labelHarness{shell: NewShell(Deps{Ctx: ctx, DB: db, Window: w, Headless: true}), trained: make(chan error, 4), loaded: make(chan int, 4)}
	stopShellAtCleanup(t, h.shell)
	w.SetContent(h.shell.Object())
	w.Resize(fyne.NewSize(1280, 800))
	h.shell.Label().OnTrained(func(_ studio.ClassifierInfo, err error) { sendLatest(h.trained, err) })
	h.shell.Label().OnLoaded(func(n int) { sendLatest(h.loaded, n) })
	h.shell.Start()
	locked(h.shell, func() { h.shell.ShowScreen("label") })
	select {
	case <-h.loaded:
	case <-time.After(60 * time.Second): // generous: -race on a busy machine is slow
		t.Fatal("label screen did not load")
	}
	return h
}

// sendLatest hands v to a test waiting on ch without ever blocking the UI loop that calls it: when the
// buffer is full the oldest value gives way.
func sendLatest[T any](ch chan T, v T) {
	for {
		select {
		case ch <- v:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

func TestLabelScreenKeyboardLabelUndoRedoSurvivesRestart(t *testing.T) {
	db := newDemoLibrary(t, 30)
	ctx := context.Background()
	h := newLabelHarness(t, db)
	s := h.shell.Label()

	var target store.ProductRow
	var before int
	var key string
	locked(h.shell, func() {
		it, _ := s.model.current()
		target = it.row
		before, _ = s.model.counts()
		key = s.model.styles[1].Key
	})
	if target.Style != "" {
		t.Fatalf("the queue should start on an unlabeled product, got %s (%s)", target.SKU, target.Style)
	}
	// Press the second style's key: the screen updates at once, from memory.
	locked(h.shell, func() { s.TypedRune([]rune(key)[0]) })
	locked(h.shell, func() {
		after, _ := s.model.counts()
		if after != before+1 {
			t.Errorf("labeled count %d -> %d, want +1 immediately", before, after)
		}
		if it, _ := s.model.current(); it.row.ID == target.ID {
			t.Error("the cursor should move past the labeled product")
		}
	})
	s.flush()
	p, err := db.Product(ctx, target.ID)
	if err != nil || p.Style == "" {
		t.Fatalf("label not stored: %+v %v", p.Style, err)
	}

	locked(h.shell, func() { s.Undo() })
	s.flush()
	if p, _ := db.Product(ctx, target.ID); p.Style != "" {
		t.Fatalf("undo left the label %q", p.Style)
	}

	// A new session on the same library can redo: the history lives in the catalog. The first session
	// ends first, as in a restart (its loaders must not share Fyne with the second one's).
	h.shell.Close()
	h.shell.Lock()
	h.shell.Unlock()
	h2 := newLabelHarness(t, db)
	locked(h2.shell, func() { h2.shell.Label().Redo() })
	h2.shell.Label().flush()
	if p, _ := db.Product(ctx, target.ID); p.Style == "" {
		t.Fatal("redo after a restart did not restore the label")
	}
}

// A reload that read the catalog before a just-pressed label was stored must not make that label vanish
// from the screen (CI once caught the start-up reload doing so).
func TestLabelScreenStaleReloadKeepsPendingLabel(t *testing.T) {
	db := newDemoLibrary(t, 30)
	ctx := context.Background()
	h := newLabelHarness(t, db)
	s := h.shell.Label()

	// Hold the writer so the label's write stays queued while a reload reads the old catalog.
	release := make(chan struct{})
	held := make(chan struct{})
	s.enqueue(func() { close(held); <-release })
	<-held
	var target store.ProductRow
	var before int
	locked(h.shell, func() {
		it, _ := s.model.current()
		target = it.row
		before, _ = s.model.counts()
		s.TypedRune([]rune(s.model.styles[0].Key)[0])
	})
	s.reloadNow() // reads the catalog without the label and installs it
	locked(h.shell, func() {
		after, _ := s.model.counts()
		if after != before+1 {
			t.Errorf("labeled count %d -> %d after a stale reload, want the pending label kept", before, after)
		}
		if i, ok := s.model.byID[target.ID]; !ok || s.model.items[i].row.Style == "" {
			t.Errorf("product %s lost its label on screen", target.SKU)
		}
	})
	close(release)
	s.flush()
	locked(h.shell, func() {
		if len(s.pending) != 0 {
			t.Errorf("%d labels still pending after the writes were applied", len(s.pending))
		}
	})
	if p, err := db.Product(ctx, target.ID); err != nil || p.Style == "" {
		t.Fatalf("label not stored: %q %v", p.Style, err)
	}
}

func TestLabelScreenMultiSelectLabelsAllAtOnce(t *testing.T) {
	db := newDemoLibrary(t, 30)
	ctx := context.Background()
	h := newLabelHarness(t, db)
	s := h.shell.Label()
	var ids []int64
	var st store.Style
	locked(h.shell, func() {
		s.SelectAll() // Ctrl+A on the filtered view: every unlabeled product
		ids = s.model.targets()
		st = s.model.styles[0]
		s.LabelWith(st)
	})
	s.flush()
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
	locked(h.shell, func() { s.Undo() })
	s.flush()
	if stats, _ := db.Stats(ctx); stats.Unlabeled != len(ids) {
		t.Fatalf("undo restored %d unlabeled, want %d", stats.Unlabeled, len(ids))
	}
}
