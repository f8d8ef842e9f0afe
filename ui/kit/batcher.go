package kit

import "sync"

// Batcher hands values added from any goroutine to apply on the UI goroutine in batches: the first Add
// after a batch was taken queues one call through do; everything added until that call runs goes with
// it, in the order added.
type Batcher[T any] struct {
	do    func(func())
	apply func([]T)

	mu        sync.Mutex
	pending   []T
	scheduled bool
}

// NewBatcher makes a Batcher that queues with do (Deps.Do) and applies batches with apply.
func NewBatcher[T any](do func(func()), apply func([]T)) *Batcher[T] {
	return &Batcher[T]{do: do, apply: apply}
}

// Add queues v. Any goroutine.
func (b *Batcher[T]) Add(v T) {
	b.mu.Lock()
	b.pending = append(b.pending, v)
	if b.scheduled {
		b.mu.Unlock()
		return
	}
	b.scheduled = true
	b.mu.Unlock()
	b.do(func() {
		b.mu.Lock()
		batch := b.pending
		b.pending, b.scheduled = nil, false
		b.mu.Unlock()
		b.apply(batch)
	})
}
