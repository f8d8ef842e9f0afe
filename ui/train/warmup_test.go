package train

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"stylestudio/engine/gan"
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

// warmupShell opens the Train screen with timer, the window's work counter being work, and reports
// each end of the preset warm-up on measured.
func warmupShell(t *testing.T, timer StepTimer, work *kit.Work) (*testShell, chan struct{}) {
	t.Helper()
	build := func(deps kit.Deps) *testShell {
		make := func(d kit.Deps) *TrainScreen { return NewTrainScreenWith(d, Options{Timer: timer}) }
		return kittest.New(deps, make, (*TrainScreen).Shown, func(s *TrainScreen) { s.StopForQuit(2 * time.Minute) })
	}
	sh := kittest.Open(t, trainedLibrary(t), kittest.Size, build, func(d *kit.Deps) { d.Work = work })
	measured := make(chan struct{}, 4)
	Measured.On(sh.Deps.Events, func(struct{}) { measured <- struct{}{} })
	sh.Start()
	sh.OnUI(func() { sh.ShowScreen("train") })
	return sh, measured
}

// The presets' warm-up waits while other background work (the demo catalog's seeding, a classifier
// training) shares the cores: timed beside it, a first start read Balanced "about 16 min" against 6.
func TestWarmupWaitsForOtherWork(t *testing.T) {
	work := kit.NewWork()
	end := work.Begin() // a classifier training, say
	var mu sync.Mutex
	calls := 0
	timer := func(ctx context.Context, cfg gan.Config, data gan.Data) (time.Duration, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return fakeStepTimer(ctx, cfg, data)
	}
	sh, measured := warmupShell(t, timer, work)
	// The catalog's data loads first (over a second under the race detector); only then does the
	// warm-up start, and wait.
	ready := false
	for deadline := time.Now().Add(30 * time.Second); !ready && time.Now().Before(deadline); {
		sh.OnUI(func() { ready = sh.Screen.dataReady })
		if !ready {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatal("the Train screen's data did not load in 30 s")
	}
	select {
	case <-measured:
		t.Fatal("the warm-up ended while other work was under way")
	case <-time.After(time.Second):
	}
	sh.OnUI(func() {
		if opt := sh.Screen.presetOpts[1]; !strings.Contains(opt, "measuring") {
			t.Errorf("Balanced reads %q while the warm-up waits, want it measuring", opt)
		}
	})
	mu.Lock()
	if calls != 0 {
		t.Errorf("the warm-up timed %d presets while other work ran", calls)
	}
	mu.Unlock()
	end()
	kittest.WaitChan(t, measured, "the warm-up after the other work ended")
	sh.OnUI(func() {
		if opt := sh.Screen.presetOpts[1]; !strings.Contains(opt, "about 4 min") {
			t.Errorf("Balanced reads %q after the warm-up, want the fake timer's about 4 min", opt)
		}
	})
}

// Work that starts while a preset is timed makes the warm-up time it again, up to warmupTries times.
func TestWarmupRetimesWhenOtherWorkOverlaps(t *testing.T) {
	work := kit.NewWork()
	var mu sync.Mutex
	calls := map[string]int{}
	timer := func(ctx context.Context, cfg gan.Config, data gan.Data) (time.Duration, error) {
		k := modelKey(cfg)
		mu.Lock()
		calls[k]++
		n := calls[k]
		mu.Unlock()
		switch {
		case cfg.Size == 128: // every try overlapped: the last one is kept
			work.Begin()()
		case n == 1: // the first try overlapped
			work.Begin()()
		}
		return fakeStepTimer(ctx, cfg, data)
	}
	_, measured := warmupShell(t, timer, work)
	kittest.WaitChan(t, measured, "the preset warm-up")
	mu.Lock()
	defer mu.Unlock()
	if len(calls) == 0 {
		t.Fatal("nothing was timed")
	}
	for _, p := range trainPresets() {
		want := 2
		if p.Cfg.Size == 128 {
			want = warmupTries
		}
		if got := calls[modelKey(p.Cfg)]; got != want {
			t.Errorf("%s timed %d times, want %d", p.Name, got, want)
		}
	}
}
