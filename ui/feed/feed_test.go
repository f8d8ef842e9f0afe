package feed

import (
	"context"
	"testing"
	"time"

	"stylestudio/engine/demo"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/ui/kit/kittest"
)

func TestFeedScreenSimulatesAndLetsAPersonShop(t *testing.T) {
	db := testlib.DemoLibrary(t, 60, 7)
	sh := headlessShell(t, db)
	stepped := make(chan struct{}, 8)
	f := sh.Screen
	f.OnRoundShown(func() { stepped <- struct{}{} })
	sh.Start()
	wait := func() { t.Helper(); waitRound(t, stepped) }
	wait()
	sh.OnUI(func() {
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
	sh.OnUI(func() {
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

// Play steps at the slider's speed and waits for the UI between steps: the real window once queued
// closures without bound (memory grew by 80 MB a second) because the loop read a delay that a queued
// closure had not set yet. Pause stops it.
func TestFeedPlayFollowsTheSpeedAndPauses(t *testing.T) {
	sh := headlessShell(t, testlib.DemoLibrary(t, 60, 7))
	f := sh.Screen
	stepped := make(chan struct{}, 1)
	f.OnRoundShown(func() { kittest.SendLatest(stepped, struct{}{}) })
	sh.Start()
	waitRound(t, stepped)
	slates := func() (n int) {
		sh.OnUI(func() { n = f.round*feedSteps + f.shown })
		return n
	}
	sh.OnUI(func() {
		f.speed.SetValue(4) // slates a second
		f.togglePlay()
	})
	before, posted := slates(), sh.Deps.Posted()
	time.Sleep(3 * time.Second)
	advanced, queued := slates()-before, sh.Deps.Posted()-posted
	if advanced < 3 {
		t.Errorf("Play showed %d slates in 3 s at 4 a second", advanced)
	}
	// 12 steps plus a round's updates and slack; a flooding loop queues millions.
	if queued > 400 {
		t.Errorf("Play queued %d UI updates in 3 s at 4 slates a second", queued)
	}
	sh.OnUI(f.togglePlay) // Pause
	time.Sleep(300 * time.Millisecond)
	paused := slates()
	time.Sleep(time.Second)
	if after := slates(); after != paused {
		t.Errorf("the feed moved on after Pause: %d -> %d slates", paused, after)
	}
}

// A Reload that arrives while a round runs (new variants or products made meanwhile) is done when the
// round ends, not dropped.
func TestFeedReloadDuringARoundIsNotDropped(t *testing.T) {
	db := testlib.DemoLibrary(t, 40, 7)
	sh := headlessShell(t, db)
	f := sh.Screen
	stepped := make(chan struct{}, 1)
	f.OnRoundShown(func() { kittest.SendLatest(stepped, struct{}{}) })
	sh.Start()
	waitRound(t, stepped)
	sh.OnUI(func() {
		for f.shown < len(f.sessions) {
			f.Step()
		}
		f.Step() // a new round starts in the background
		if !f.busy {
			t.Fatal("no round running")
		}
		if _, err := demo.Seed(context.Background(), db, demo.Catalog(40, 99), nil); err != nil {
			t.Fatal(err)
		}
		f.Reload()
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		var n int
		sh.OnUI(func() { n = len(f.products) })
		if n > 40 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed still holds %d products: the Reload during the round was dropped", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRound waits up to 3 minutes for the screen to show a simulated round.
func waitRound(t *testing.T, stepped chan struct{}) {
	t.Helper()
	select {
	case <-stepped:
	case <-time.After(3 * time.Minute):
		t.Fatal("no simulated round")
	}
}
