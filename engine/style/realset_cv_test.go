package style

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"stylestudio/engine/imaging"
)

// TestRealStylesCrossValidation is how statistics are chosen on a dev set: the statistics model alone
// (trainStats, as Train fits it), by 5-fold cross-validation over the whole image-folder tree named by
// STYLESTUDIO_REALSTYLES (the first root), with two random draws of stratified folds and one draw of
// folds by object (every style's drawing of an object in one fold). Each picture is read as the app
// reads an imported one: its 160 px thumbnail on white with its alpha square put back. It compares
// the statistics with and without the transparency statistics, and those alone. A development tool,
// skipped without the variable.
func TestRealStylesCrossValidation(t *testing.T) {
	roots := os.Getenv("STYLESTUDIO_REALSTYLES")
	if roots == "" {
		t.Skip("set STYLESTUDIO_REALSTYLES to a folder tree to cross-validate the statistics on it")
	}
	styles, ex, objects := folderSet(t, strings.Split(roots, ":")[0])
	imgs, y := appReadImages(ex)
	all := statsFeatureRows(imgs)
	cols := func(lo, hi int) [][]float64 {
		out := make([][]float64, len(all))
		for i, r := range all {
			out[i] = r[lo:hi]
		}
		return out
	}
	variants := []struct {
		name string
		x    [][]float64
	}{
		{"all statistics", all},
		{"without transparency", cols(0, statsLen-alphaLen)},
		{"transparency alone", cols(statsLen-alphaLen, statsLen)},
	}
	for _, v := range variants {
		t.Logf("%-22s %s", v.name, cvReport(y, objects, len(styles), v.x, func(tr []int) func([]float64) []float64 {
			return softmaxOn(t, v.x, y, tr, len(styles))
		}))
	}
}

// appReadImages reads each example as the app reads an imported picture (its 160 px thumbnail on white
// with its alpha square put back), with its style.
func appReadImages(ex []Example) ([]image.Image, []int) {
	imgs := make([]image.Image, len(ex))
	y := make([]int, len(ex))
	for i, e := range ex {
		imgs[i] = imaging.WithAlpha(imaging.Square(e.Image, 160), imaging.AlphaSquare(e.Image, 160))
		y[i] = e.Style
	}
	return imgs, y
}

// softmaxOn fits the statistics model (trainStats) on the rows tr of x and returns its probabilities.
func softmaxOn(tb testing.TB, x [][]float64, y, tr []int, classes int) func([]float64) []float64 {
	trX, trY := rowsAt(x, y, tr)
	reg, _, err := trainStats(context.Background(), trX, trY, classes)
	if err != nil {
		tb.Fatal(err)
	}
	return func(v []float64) []float64 { p := reg.logits(v); softmaxInPlace(p); return p }
}

// rowsAt is the rows tr of x and their labels in y.
func rowsAt(x [][]float64, y, tr []int) ([][]float64, []int) {
	var trX [][]float64
	var trY []int
	for _, i := range tr {
		trX, trY = append(trX, x[i]), append(trY, y[i])
	}
	return trX, trY
}

// cvReport is the 5-fold cross-validated accuracy on each protocol of cvFolds and their mean: fit
// gets the indices of the other folds' examples, and its model names each of the fold's rows of x.
func cvReport(y []int, objects []string, classes int, x [][]float64, fit func(tr []int) func([]float64) []float64) string {
	var line []string
	sum := 0.0
	for _, proto := range []string{"random 1", "random 2", "by object"} {
		folds := cvFolds(proto, y, objects, classes)
		correct := 0
		for f := 0; f < 5; f++ {
			var tr []int
			for i := range y {
				if folds[i] != f {
					tr = append(tr, i)
				}
			}
			model := fit(tr)
			for i := range y {
				if folds[i] == f && argmax64(model(x[i])) == y[i] {
					correct++
				}
			}
		}
		acc := float64(correct) / float64(len(y))
		sum += acc
		line = append(line, fmt.Sprintf("%s %.3f", proto, acc))
	}
	return fmt.Sprintf("%s  mean %.3f", strings.Join(line, "  "), sum/3)
}

// cvFolds deals the examples to 5 folds by a protocol: "random 1" or "random 2" (stratified by style,
// two seeded draws) or "by object" (every style's drawing of an object in one fold).
func cvFolds(proto string, y []int, objects []string, k int) []int {
	folds := make([]int, len(y))
	if proto == "by object" {
		ids := map[string]int{}
		for _, o := range objects {
			if _, ok := ids[o]; !ok {
				ids[o] = len(ids)
			}
		}
		perm := rand.New(rand.NewPCG(3, 9)).Perm(len(ids))
		for i, o := range objects {
			folds[i] = perm[ids[o]] % 5
		}
		return folds
	}
	perm := rand.New(rand.NewPCG(uint64(proto[len(proto)-1]-'0'), 7)).Perm(len(y))
	seen := make([]int, k)
	for _, i := range perm {
		folds[i] = seen[y[i]] % 5
		seen[y[i]]++
	}
	return folds
}
