// Package par is the one worker pool of the studio's batch work: run fn over the indices 0..n-1 on a
// few goroutines and return when all are done. Results are written per index by fn, so they never
// depend on scheduling. Streaming pipelines that must emit results in order while they run (import,
// demo seeding) keep their own channels; everything that is "do these n things" uses this.
package par

import (
	"context"
	"runtime"
	"sync"
)

// Workers is how many goroutines a pool uses by default: GOMAXPROCS.
func Workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// For runs fn(i) for i in [0, n) on up to Workers() goroutines, each taking the next index when free.
func For(n int, fn func(i int)) { ForN(n, Workers(), func(_, i int) { fn(i) }) }

// ForN runs fn(worker, i) for i in [0, n) on up to workers goroutines (at least one), each taking the
// next index when free; worker is in [0, workers) and no two calls with the same worker overlap, so
// fn may keep per-worker scratch.
func ForN(n, workers int, fn func(worker, i int)) {
	workers = min(max(1, workers), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		i := next
		next++
		return i
	}
	for w := range workers {
		wg.Go(func() {
			for i := take(); i < n; i = take() {
				fn(w, i)
			}
		})
	}
	wg.Wait()
}

// ForCtx is ForN that stops handing out indices once ctx is cancelled (calls already running finish)
// and returns ctx.Err() then.
func ForCtx(ctx context.Context, n, workers int, fn func(worker, i int)) error {
	ForN(n, workers, func(w, i int) {
		if ctx.Err() == nil {
			fn(w, i)
		}
	})
	return ctx.Err()
}

// Strided runs fn(worker, i) for i in [0, n) on min(Workers(), n) goroutines with a fixed assignment:
// index i always goes to worker i % workers. Per-worker partial sums added in worker order then give
// the same result on every run with the same GOMAXPROCS (the layers' gradient accumulation needs this).
func Strided(n int, fn func(worker, i int)) {
	workers := min(Workers(), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(w, i)
			}
		})
	}
	wg.Wait()
}
