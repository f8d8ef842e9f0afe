package ui

import (
	"testing"
	"time"
)

// BenchmarkLabelKeypress measures what a style key costs on the UI goroutine: the label applied in memory,
// the cursor moved and the whole screen refreshed (the store write is queued, not waited for).
// Goal: under 50 ms. Run: go test ./ui -run xxx -bench LabelKeypress
func BenchmarkLabelKeypress(b *testing.B) {
	db := newDemoLibrary(b, 400)
	h := newLabelHarness(b, db)
	s := h.shell.Label()
	var key rune
	locked(h.shell, func() {
		s.filter.SetSelectedIndex(2) // all products: the view never runs out while labeling
		key = []rune(s.model.styles[0].Key)[0]
	})
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		locked(h.shell, func() {
			start := time.Now()
			s.TypedRune(key)
			worst = max(worst, time.Since(start))
			if s.model.cursor >= len(s.model.view)-1 {
				s.model.cursor = 0
			}
		})
	}
	b.StopTimer()
	s.flush()
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}
