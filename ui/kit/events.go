package kit

import "sync"

// Events is how screens announce what they have done — loaded their data, finished a job, reached a
// stage — to whoever listens: the shell, the app's readiness signal, the screenshot renderer, the e2e
// report, tests. A screen emits on the UI goroutine and listeners run there, in the order they
// subscribed; a listener must not block. Screens declare their announcements as Topic constants, so
// a listener and the screen agree on the value's type.
type Events struct {
	mu   sync.Mutex
	subs map[string][]func(any)
}

// NewEvents makes an empty set of subscriptions (kit.Prepare makes the one in Deps).
func NewEvents() *Events { return &Events{subs: map[string][]func(any){}} }

// Topic names an announcement whose value is a T.
type Topic[T any] string

// On subscribes f to the topic on e.
func (t Topic[T]) On(e *Events, f func(T)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.subs[string(t)] = append(e.subs[string(t)], func(v any) {
		tv, _ := v.(T) // a nil interface value (a nil error) arrives as T's zero value
		f(tv)
	})
}

// Emit calls every subscriber of the topic on e with v (UI goroutine). A nil e has no subscribers.
func (t Topic[T]) Emit(e *Events, v T) {
	if e == nil {
		return
	}
	e.mu.Lock()
	subs := e.subs[string(t)]
	e.mu.Unlock()
	for _, f := range subs {
		f(v)
	}
}
