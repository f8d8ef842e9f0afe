// Package kittest runs one screen headless for that screen's own tests: a Shell that stands in for the
// app shell (ui.Shell) with the same headless UI loop, so a screen's tests need neither the other
// screens nor the ui package (which imports every screen). Imported by tests only.
package kittest

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"stylestudio/store"
	"stylestudio/ui/kit"
)

// Screen is what every screen offers the shell.
type Screen interface {
	Object() fyne.CanvasObject
	Start()
}

// Shell holds one screen the way ui.Shell holds five: Start, Object, OnUI, Lock/Unlock and Close
// behave as the app's. Screen is the screen under test.
type Shell[S Screen] struct {
	Deps   kit.Deps
	Screen S
	shown  func()
	close  func()
}

// New readies deps as the app shell does (kit.Prepare, a thumbnail cache), makes the screen with
// them, and wraps it. shown, when not nil, is what the app shell calls when the screen is navigated to
// (ShowScreen); close is the screen's part of the shell's Close (flush writes, stop a run), or nil.
func New[S Screen](deps kit.Deps, make func(kit.Deps) S, shown, close func(S)) *Shell[S] {
	deps = kit.Prepare(deps)
	deps.Thumbs = kit.NewThumbLoader(deps.DB, kit.ThumbCache, func(string) {})
	s := make(deps)
	sh := &Shell[S]{Deps: deps, Screen: s}
	if shown != nil {
		sh.shown = func() { shown(s) }
	}
	if close != nil {
		sh.close = func() { close(s) }
	}
	return sh
}

// Open makes a test app and a test window of size, builds the screen's shell on db with build (after
// edit, when not nil, has adjusted the headless deps: a Quit stand-in, say), shows it in the window, and
// closes it when the test ends (the context ends then too). Call Start on it.
func Open[S Screen](t testing.TB, db *store.DB, size fyne.Size, build func(kit.Deps) *Shell[S], edit func(*kit.Deps)) *Shell[S] {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	deps := kit.Deps{Ctx: ctx, DB: db, Window: w, Headless: true}
	if edit != nil {
		edit(&deps)
	}
	sh := build(deps)
	StopAtCleanup(t, sh)
	w.SetContent(sh.Object())
	w.Resize(size)
	return sh
}

// Size is the window the screens' tests use, the app's default.
var Size = fyne.NewSize(1280, 800)

// Object is the screen's content.
func (s *Shell[S]) Object() fyne.CanvasObject { return s.Screen.Object() }

// Start starts the screen's loading.
func (s *Shell[S]) Start() { s.Screen.Start() }

// ShowScreen is the app's navigation to this screen: the screen's shown func runs (UI goroutine).
func (s *Shell[S]) ShowScreen(string) bool {
	if s.shown != nil {
		s.shown()
	}
	return true
}

// OnUI runs f on the UI loop after everything queued and waits for it (see kit.Deps.OnUI).
func (s *Shell[S]) OnUI(f func()) { s.Deps.OnUI(f) }

// Lock and Unlock bracket widget work done outside the loop.
func (s *Shell[S]) Lock() { s.Deps.Lock() }

// Unlock: see Lock.
func (s *Shell[S]) Unlock() { s.Deps.Unlock() }

// Close is the app's quit: UI updates stop, then the screen's own close runs.
func (s *Shell[S]) Close() {
	s.Deps.Quitting()
	if s.close != nil {
		s.close()
	}
}

// StopAtCleanup closes the shell when the test ends, after an update already running has finished.
func StopAtCleanup(t testing.TB, s interface {
	Close()
	Lock()
	Unlock()
}) {
	t.Cleanup(func() {
		s.Close()
		s.Lock()
		s.Unlock()
	})
}

// WaitChan waits for a value on ch, up to 5 minutes: a generous bound, met at once by a healthy run,
// so a loaded machine under -race does not fail a test that only runs slowly.
func WaitChan[T any](t testing.TB, ch chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Minute):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// SendLatest hands v to a test waiting on ch without ever blocking the UI loop that calls it: when the
// buffer is full the oldest value gives way.
func SendLatest[T any](ch chan T, v T) {
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

// FindButton is the first button labelled text laid out under o, or nil.
func FindButton(o fyne.CanvasObject, text string) *widget.Button {
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}
