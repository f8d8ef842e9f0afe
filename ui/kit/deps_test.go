package kit

import (
	"context"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestGoroutineID(t *testing.T) {
	here := goroutineID()
	if here == 0 || goroutineID() != here {
		t.Fatalf("goroutineID: %d then %d on one goroutine", here, goroutineID())
	}
	other := make(chan uint64)
	go func() { other <- goroutineID() }()
	if o := <-other; o == here || o == 0 {
		t.Fatalf("goroutineID: %d on another goroutine, %d here", o, here)
	}
}

// Fyne runs fyne.Do on the caller's goroutine once its loop has stopped at quit (and the test driver
// always does): with DriverLoop, Do drops a closure run anywhere but the goroutine that prepared Deps.
func TestDoDropsWhatRunsOffTheDriverLoop(t *testing.T) {
	test.NewTempApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deps := Prepare(Deps{Ctx: ctx, DriverLoop: true})
	var ran atomic.Int32
	deps.Do(func() { ran.Add(1) })
	if ran.Load() != 1 {
		t.Fatalf("Do on the loop's goroutine ran %d times, want 1", ran.Load())
	}
	done := make(chan struct{})
	go func() {
		deps.Do(func() { ran.Add(10) })
		close(done)
	}()
	<-done
	if ran.Load() != 1 {
		t.Fatalf("Do run off the loop's goroutine touched the UI (count %d)", ran.Load())
	}
	plain := Prepare(Deps{Ctx: ctx}) // without DriverLoop (tests' own drivers) nothing is dropped
	done = make(chan struct{})
	go func() {
		plain.Do(func() { ran.Add(100) })
		close(done)
	}()
	<-done
	if ran.Load() != 101 {
		t.Fatalf("Do without DriverLoop: count %d, want 101", ran.Load())
	}
}
