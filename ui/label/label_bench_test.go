package label

import (
	"slices"
	"testing"
	"time"

	"stylestudio/internal/testkit/testlib"
)

// BenchmarkLabelKeypress measures what a style key costs on the UI goroutine: the label applied in memory,
// the cursor moved and the whole screen refreshed (the store write is queued, not waited for).
// Goal: under 50 ms. Run: go test ./ui -run xxx -bench LabelKeypress
func BenchmarkLabelKeypress(b *testing.B) {
	db := testlib.DemoLibrary(b, 400, 7)
	h := newLabelHarness(b, db)
	s := h.shell.Screen
	var key rune
	h.shell.OnUI(func() {
		s.filter.SetSelectedIndex(2) // all products: the view never runs out while labeling
		key = []rune(s.model.styles[0].Key)[0]
	})
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.shell.OnUI(func() {
			start := time.Now()
			s.TypedRune(key)
			worst = max(worst, time.Since(start))
			if s.model.cursor >= len(s.model.view)-1 {
				s.model.cursor = 0
			}
		})
	}
	b.StopTimer()
	s.Flush()
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}

// BenchmarkLabelKeyToDurable measures the time from a style key to the label being in the catalog (its
// write committed and the screen no longer saying "saving…"): the window in which a crash could lose a
// label that the screen showed as pressed but never as saved. Run: go test ./ui -run xxx -bench KeyToDurable
func BenchmarkLabelKeyToDurable(b *testing.B) {
	db := testlib.DemoLibrary(b, 200, 7)
	h := newLabelHarness(b, db)
	s := h.shell.Screen
	var key rune
	h.shell.OnUI(func() {
		s.filter.SetSelectedIndex(2)
		key = []rune(s.model.styles[0].Key)[0]
	})
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h.shell.OnUI(func() {
			s.TypedRune(key)
			if s.model.cursor >= len(s.model.view)-1 {
				s.model.cursor = 0
			}
		})
		for saving := true; saving; {
			h.shell.OnUI(func() { saving = len(s.pending) > 0 })
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
