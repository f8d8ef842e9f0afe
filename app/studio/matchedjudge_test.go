package studio

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
)

// The matched judge learns each product twice, read as a translation is at the model's size: in its
// own cut-out and in the cut-out of a product of another style, never of its own.
func TestMatchedJudgeReadsEachProductInAnotherStylesCutout(t *testing.T) {
	const n = 32
	// Style 0 is a small square cut-out, style 1 a wide bar, style 2 opaque: each cut-out tells the style.
	cut := func(x0, y0, x1, y1 int) *image.Gray {
		a := image.NewGray(image.Rect(0, 0, 64, 64))
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				a.Pix[y*64+x] = 255
			}
		}
		return a
	}
	var pool []gan.EvalItem
	for k := range 9 {
		img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
		for i := range img.Pix {
			img.Pix[i] = uint8(40 + 60*(k%3))
		}
		it := gan.EvalItem{Image: img, Style: k % 3}
		switch k % 3 {
		case 0:
			it.Alpha = cut(24, 24, 40, 40)
		case 1:
			it.Alpha = cut(4, 24, 60, 40)
		}
		pool = append(pool, it)
	}
	examples, err := matchedJudgeExamples(pool, n, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) != 2*len(pool) {
		t.Fatalf("%d examples of %d products; want two each", len(examples), len(pool))
	}
	own := func(s int) *image.Gray { return gan.CutoutAt(pool[s], n) }
	for i, ex := range examples {
		it := pool[i/2]
		if ex.Style != it.Style || ex.Image.Bounds().Dx() != n {
			t.Fatalf("example %d: style %d at %d px; want %d at %d", i, ex.Style, ex.Image.Bounds().Dx(), it.Style, n)
		}
		got := imaging.AlphaSquare(ex.Image, n)
		// Which style's cut-out is it in?
		in := -1
		for s := range 3 {
			if sameCutout(got, own(s)) {
				in = s
			}
		}
		switch {
		case i%2 == 0 && in != it.Style:
			t.Errorf("example %d (style %d) is in style %d's cut-out; want its own", i, it.Style, in)
		case i%2 == 1 && (in == it.Style || in < 0):
			t.Errorf("example %d (style %d) is in style %d's cut-out; want another style's", i, it.Style, in)
		}
	}
}

// sameCutout: both nil (opaque) or the same alpha.
func sameCutout(a, b *image.Gray) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.Rect != b.Rect {
		return false
	}
	for i := range a.Pix {
		if d := int(a.Pix[i]) - int(b.Pix[i]); d > 2 || d < -2 {
			return false
		}
	}
	return true
}

// Read as a translation of another product, a product goes through the backdrop step against it, as
// a translation does: a grainy backdrop is evened out when the other product's backdrop is flat, so the
// judge cannot learn a style by what no translation keeps. Read as itself it keeps its grain.
func TestMatchedJudgeReadsAnotherProductsTranslationThroughTheBackdropStep(t *testing.T) {
	const n = 32
	grainy := image.NewNRGBA(image.Rect(0, 0, 96, 96))
	flat := image.NewNRGBA(grainy.Rect)
	for i := range 96 * 96 {
		x, y := i%96, i/96
		g := uint8(200)
		if (x/6+y/6)%2 == 0 {
			g = 250
		}
		copy(grainy.Pix[4*i:4*i+4], []uint8{g, g - 20, g - 60, 255})
		copy(flat.Pix[4*i:4*i+4], []uint8{255, 255, 255, 255})
		if x >= 32 && x < 64 && y >= 32 && y < 64 {
			copy(grainy.Pix[4*i:4*i+4], []uint8{90, 60, 30, 255})
			copy(flat.Pix[4*i:4*i+4], []uint8{20, 40, 200, 255})
		}
	}
	pool := []gan.EvalItem{{Image: grainy, Style: 0}, {Image: flat, Style: 1}}
	examples, err := matchedJudgeExamples(pool, n, rand.New(rand.NewPCG(1, 2)))
	if err != nil || len(examples) != 4 {
		t.Fatalf("%d examples, %v", len(examples), err)
	}
	// grain is the mean difference between neighbours along the top rows (the backdrop).
	grain := func(img image.Image) float64 {
		var sum float64
		for y := 0; y < 3; y++ {
			for x := 1; x < n; x++ {
				r0, _, _, _ := img.At(x-1, y).RGBA()
				r1, _, _, _ := img.At(x, y).RGBA()
				sum += math.Abs(float64(r1)-float64(r0)) / 257
			}
		}
		return sum / float64(3*(n-1))
	}
	if own, other := grain(examples[0].Image), grain(examples[1].Image); own < 8 || other > 1 {
		t.Errorf("the grainy product's backdrop: %.1f as itself (want grain), %.1f as a translation of the flat one (want none)", own, other)
	}
}
