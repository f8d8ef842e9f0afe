package par

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// Every index runs once, whatever the pool size; a worker never runs two calls at once.
func TestForNRunsEachIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 64} {
		for _, n := range []int{0, 1, 7, 1000} {
			seen := make([]int32, n)
			busy := make([]int32, max(1, workers))
			ForN(n, workers, func(w, i int) {
				if atomic.AddInt32(&busy[w], 1) != 1 {
					t.Errorf("worker %d runs two calls at once", w)
				}
				atomic.AddInt32(&seen[i], 1)
				atomic.AddInt32(&busy[w], -1)
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("workers=%d n=%d: index %d ran %d times", workers, n, i, c)
				}
			}
		}
	}
}

// Strided gives index i to worker i % workers.
func TestStridedAssignment(t *testing.T) {
	var mu sync.Mutex
	got := map[int]int{}
	Strided(100, func(w, i int) {
		mu.Lock()
		got[i] = w
		mu.Unlock()
	})
	workers := min(Workers(), 100)
	for i := range 100 {
		if got[i] != i%workers {
			t.Fatalf("index %d went to worker %d, want %d", i, got[i], i%workers)
		}
	}
}

// A cancelled context stops handing out work and is returned.
func TestForCtxStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	err := ForCtx(ctx, 1000, 2, func(_, i int) {
		if ran.Add(1) == 10 {
			cancel()
		}
	})
	if err == nil || ran.Load() > 12 {
		t.Fatalf("ForCtx after cancel: err=%v, ran %d", err, ran.Load())
	}
}
