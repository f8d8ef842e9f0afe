package kit

import (
	"context"
	"sync"
)

// Work counts the CPU-heavy background work under way in the window (a job in the panel, such as the
// demo catalog's seeding or an import; a classifier training), so that a measurement of this machine's
// speed can wait until nothing else competes for the cores. A nil *Work counts nothing and is always
// idle. Safe for concurrent use.
type Work struct {
	mu    sync.Mutex
	n     int
	began uint64        // Begin calls so far
	idle  chan struct{} // closed while n == 0
}

// NewWork makes an idle counter.
func NewWork() *Work {
	w := &Work{idle: make(chan struct{})}
	close(w.idle)
	return w
}

// Begin counts one piece of work until the returned end is called (more calls of end do nothing).
func (w *Work) Begin() (end func()) {
	if w == nil {
		return func() {}
	}
	w.mu.Lock()
	if w.n == 0 {
		w.idle = make(chan struct{})
	}
	w.n++
	w.began++
	w.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			w.n--
			if w.n == 0 {
				close(w.idle)
			}
			w.mu.Unlock()
		})
	}
}

// WaitIdle returns nil once no work is under way (at once when none is), or ctx's error.
func (w *Work) WaitIdle(ctx context.Context) error {
	if w == nil {
		return ctx.Err()
	}
	for {
		w.mu.Lock()
		n, idle := w.n, w.idle
		w.mu.Unlock()
		if n == 0 {
			return ctx.Err()
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Mark is a point in the work's history: Quiet(mark) reports whether no work has begun since and none
// is under way.
type Mark uint64

// Mark returns the current point (see Quiet).
func (w *Work) Mark() Mark {
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return Mark(w.began)
}

// Quiet reports whether no work began after m and none is under way now: a measurement taken between
// Mark and Quiet had the cores to itself (as far as the window's own work goes).
func (w *Work) Quiet(m Mark) bool {
	if w == nil {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n == 0 && Mark(w.began) == m
}
