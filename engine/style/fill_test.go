package style

import (
	"math"
	"testing"

	"stylestudio/internal/splitmix"
)

// Three clusters of features: FillOrder takes in turn from the neediest style, each pick from the
// cluster of the style it was taken for, FillAsk times what the styles lack.
func TestFillOrderTakesFromEachNeedyStyle(t *testing.T) {
	centre := [][2]float64{{0, 0}, {10, 0}, {0, 10}}
	var labeled, cands [][]float64
	var labeledStyles, candStyles []int
	for s, c := range centre {
		for j := 0; j < 8; j++ {
			p := []float64{c[0] + math.Cos(float64(j)), c[1] + math.Sin(float64(j))}
			if j < 2 {
				labeled, labeledStyles = append(labeled, p), append(labeledStyles, s)
			} else {
				cands, candStyles = append(cands, p), append(candStyles, s)
			}
		}
	}
	scatter := make([]uint64, len(cands))
	for i := range scatter {
		scatter[i] = splitmix.Mix(uint64(i))
	}
	got := FillOrder(labeled, labeledStyles, cands, scatter, []int{2, 0, 3})
	// FillAsk (2) offers for each label lacked: the neediest first, then in turn.
	want := []int{2, 0, 2, 0, 2, 0, 2, 0, 2, 2}
	if len(got) != len(want) {
		t.Fatalf("FillOrder = %v, want %d picks", got, len(want))
	}
	seen := map[int]bool{}
	for k, c := range got {
		if candStyles[c] != want[k] || seen[c] {
			t.Errorf("pick %d is candidate %d of style %d, want a new one of style %d", k, c, candStyles[c], want[k])
		}
		seen[c] = true
	}
	if got := FillOrder(labeled, labeledStyles, cands, scatter, []int{0, 0, 0}); len(got) != 0 {
		t.Errorf("no style in need: %v, want none", got)
	}

	// A style with no label yet is skipped (nothing says what it looks like), and with no labels at
	// all nothing is filled.
	if got := FillOrder(labeled[:4], labeledStyles[:4], cands, scatter, []int{0, 1, 1}); len(got) != FillAsk || candStyles[got[0]] != 1 {
		t.Errorf("styles 1 (labeled) and 2 (not) short of one label: %v, want %d picks for style 1", got, FillAsk)
	}
	if got := FillOrder(nil, nil, cands, scatter, []int{5, 5, 5}); len(got) != 0 {
		t.Errorf("no labels: %v, want nothing filled", got)
	}
}

// On the demo's products, with 2 labels a style, the picks FillOrder makes for each style are
// mostly of that style (25 of 30 here; by chance 5): the style statistics tell the styles apart before
// any classifier.
func TestFillOrderFindsTheStylesOnTheDemo(t *testing.T) {
	ex := demoExamples(t, 180, 5)
	stats := StatsRows(imagesOf(ex))
	numStyles := len(demoStyles())
	taken := make([]int, numStyles)
	var labeled, cands [][]float64
	var labeledStyles, candStyles []int
	for i, e := range ex {
		if taken[e.Style] < 2 {
			taken[e.Style]++
			labeled, labeledStyles = append(labeled, stats[i]), append(labeledStyles, e.Style)
		} else {
			cands, candStyles = append(cands, stats[i]), append(candStyles, e.Style)
		}
	}
	scatter := make([]uint64, len(cands))
	for i := range scatter {
		scatter[i] = splitmix.Mix(uint64(i))
	}
	need := make([]int, numStyles)
	for s := range need {
		need[s] = 5
	}
	got := FillOrder(labeled, labeledStyles, cands, scatter, need)
	if len(got) != FillAsk*5*numStyles {
		t.Fatalf("%d picks, want %d", len(got), FillAsk*5*numStyles)
	}
	got = got[:5*numStyles] // the first 5 a style
	right := 0
	for k, c := range got {
		if candStyles[c] == k%numStyles { // every style needs the same: in turn, in style order
			right++
		}
	}
	t.Logf("%d of %d picks of the style they were taken for", right, len(got))
	if 4*right < 3*len(got) {
		t.Errorf("only %d of %d picks are of the style they were taken for", right, len(got))
	}
}
