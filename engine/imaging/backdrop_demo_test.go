package imaging_test

import (
	"testing"

	"stylestudio/engine/demo"
	"stylestudio/engine/imaging"
)

// The demo catalog's backdrops (white, cream with vignette and grain, black with glow, ...) stay
// flat for the backdrop step at the generator's sizes, so the demo is restyled exactly as before
// non-flat backdrops were handled: the backdrop takes the style's one even change.
func TestDemoBackdropsAreFlat(t *testing.T) {
	items := demo.Catalog(60, 7)
	counts := map[string]map[imaging.BackdropKind]int{}
	for i, it := range items {
		if testing.Short() && i%3 != 0 {
			continue
		}
		img, err := demo.Render(it.Params, it.Style, 256)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{64, 128} {
			k := imaging.ProductMask(imaging.Square(img, n)).Kind
			if counts[it.Style] == nil {
				counts[it.Style] = map[imaging.BackdropKind]int{}
			}
			counts[it.Style][k]++
		}
	}
	for style, c := range counts {
		if len(c) != 1 || c[imaging.BackdropFlat] == 0 {
			t.Errorf("demo style %s: backdrop kinds %v, want flat only", style, c)
		}
	}
}
