package kit

import (
	"context"
	"testing"
	"time"
)

func TestWorkCountsAndWaits(t *testing.T) {
	w := NewWork()
	ctx := context.Background()
	if err := w.WaitIdle(ctx); err != nil {
		t.Fatalf("a new counter is not idle: %v", err)
	}
	m := w.Mark()
	if !w.Quiet(m) {
		t.Fatal("nothing began, yet not quiet")
	}
	end1, end2 := w.Begin(), w.Begin()
	if w.Quiet(m) {
		t.Fatal("quiet while work runs")
	}
	done := make(chan error, 1)
	go func() { done <- w.WaitIdle(ctx) }()
	end1()
	end1() // a second call does nothing
	select {
	case <-done:
		t.Fatal("idle while one piece of work still runs")
	case <-time.After(50 * time.Millisecond):
	}
	end2()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitIdle did not return once the work ended")
	}
	if w.Quiet(m) {
		t.Fatal("work began after the mark, yet quiet")
	}
	if !w.Quiet(w.Mark()) {
		t.Fatal("not quiet after a fresh mark with nothing running")
	}
	// Cancelled while waiting.
	end := w.Begin()
	defer end()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := w.WaitIdle(cctx); err == nil {
		t.Fatal("WaitIdle returned nil on a cancelled context while work ran")
	}
	// A nil counter counts nothing.
	var none *Work
	none.Begin()()
	if err := none.WaitIdle(ctx); err != nil || !none.Quiet(none.Mark()) {
		t.Fatal("a nil counter should always be idle")
	}
}
