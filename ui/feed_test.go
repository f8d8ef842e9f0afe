package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestFeedScreenSimulatesAndLetsAPersonShop(t *testing.T) {
	db := newDemoLibrary(t, 60)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sh := NewShell(Deps{Ctx: ctx, DB: db, Window: w, Headless: true})
	stopShellAtCleanup(t, sh)
	w.SetContent(sh.Object())
	w.Resize(fyne.NewSize(1280, 800))
	stepped := make(chan struct{}, 8)
	f := sh.Feed()
	f.onStep = func() { stepped <- struct{}{} }
	sh.Start()
	wait := func() {
		t.Helper()
		select {
		case <-stepped:
		case <-time.After(60 * time.Second):
			t.Fatal("no simulated round")
		}
	}
	wait()
	locked(sh, func() {
		if !f.ready {
			t.Fatalf("feed not ready: %s", f.status.Text)
		}
		if f.round != 1 || len(f.current) == 0 || len(f.current) > feedSlateSize {
			t.Fatalf("round %d shows %d cards", f.round, len(f.current))
		}
		for _, name := range f.policies {
			if f.totals[name] == nil || f.totals[name].Impressions == 0 {
				t.Fatalf("policy %s has no impressions", name)
			}
		}
		if f.totals["oracle"].CTR() < f.totals["random"].CTR() {
			t.Errorf("oracle CTR %.3f below random %.3f", f.totals["oracle"].CTR(), f.totals["random"].CTR())
		}
		// Step through the watched shopper's session, then a new round runs.
		for f.shown < len(f.sessions) {
			f.Step()
		}
		f.Step()
	})
	wait()
	locked(sh, func() {
		if f.round != 2 || len(f.series["ranker"]) != 2 {
			t.Fatalf("after a second round: round %d, series %v", f.round, f.series["ranker"])
		}
		// Be the shopper: a click updates the person's profile and the slate is ranked again.
		f.toggleHuman()
		first := f.current[0]
		f.humanClick(first)
		if f.profile.Clicks != 1 {
			t.Fatalf("profile clicks %d after one click", f.profile.Clicks)
		}
		if len(f.current) == 0 {
			t.Fatal("no slate after the click")
		}
	})
}
