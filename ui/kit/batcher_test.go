package kit

import (
	"slices"
	"sync"
	"testing"
)

// Values added while a batch waits go with it: one queued call, not one per value.
func TestBatcherQueuesOneCallForWhatArrivesMeanwhile(t *testing.T) {
	var queued []func()
	var got [][]int
	b := NewBatcher(func(f func()) { queued = append(queued, f) }, func(v []int) { got = append(got, slices.Clone(v)) })
	for i := range 5 {
		b.Add(i)
	}
	if len(queued) != 1 {
		t.Fatalf("%d calls queued for 5 values added before the UI ran", len(queued))
	}
	queued[0]()
	b.Add(5)
	if len(queued) != 2 {
		t.Fatalf("a value added after the batch ran queued no new call")
	}
	queued[1]()
	if !slices.Equal(got[0], []int{0, 1, 2, 3, 4}) || !slices.Equal(got[1], []int{5}) {
		t.Fatalf("batches %v", got)
	}
}

func TestBatcherFromManyGoroutines(t *testing.T) {
	var mu sync.Mutex
	var queued []func()
	total := 0
	b := NewBatcher(func(f func()) { mu.Lock(); queued = append(queued, f); mu.Unlock() }, func(v []int) { total += len(v) })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				b.Add(i)
			}
		}()
	}
	wg.Wait()
	for len(queued) > 0 {
		mu.Lock()
		f := queued[0]
		queued = queued[1:]
		mu.Unlock()
		f()
	}
	if total != 800 {
		t.Fatalf("%d values applied of 800", total)
	}
}
