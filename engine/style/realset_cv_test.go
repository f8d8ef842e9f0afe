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
	imgs := make([]image.Image, len(ex))
	y := make([]int, len(ex))
	for i, e := range ex {
		imgs[i] = imaging.WithAlpha(imaging.Square(e.Image, 160), imaging.AlphaSquare(e.Image, 160))
		y[i] = e.Style
	}
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
		var line []string
		sum := 0.0
		for _, proto := range []string{"random 1", "random 2", "by object"} {
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
			} else {
				perm := rand.New(rand.NewPCG(uint64(proto[len(proto)-1]-'0'), 7)).Perm(len(y))
				seen := make([]int, len(styles))
				for _, i := range perm {
					folds[i] = seen[y[i]] % 5
					seen[y[i]]++
				}
			}
			correct := 0
			for f := 0; f < 5; f++ {
				var trX [][]float64
				var trY []int
				for i := range y {
					if folds[i] != f {
						trX, trY = append(trX, v.x[i]), append(trY, y[i])
					}
				}
				reg, _, err := trainStats(context.Background(), trX, trY, len(styles))
				if err != nil {
					t.Fatal(err)
				}
				for i := range y {
					if folds[i] == f && argmax64(reg.logits(v.x[i])) == y[i] {
						correct++
					}
				}
			}
			acc := float64(correct) / float64(len(y))
			sum += acc
			line = append(line, fmt.Sprintf("%s %.3f", proto, acc))
		}
		t.Logf("%-22s %s  mean %.3f", v.name, strings.Join(line, "  "), sum/3)
	}
}
