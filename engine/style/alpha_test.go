package style

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// cutOut is a 128 px picture with a transparent background: a blue square product whose edge fades
// over soft px, with (shadow) a soft dark shadow cast 6 px below it.
func cutOut(soft float64, shadow bool) *image.NRGBA {
	const S = 128
	img := image.NewNRGBA(image.Rect(0, 0, S, S))
	inside := func(x, y, lo, hi float64) float64 { // signed distance inside the box [lo, hi]²
		return math.Min(math.Min(x-lo, hi-x), math.Min(y-lo, hi-y))
	}
	for y := 0; y < S; y++ {
		for x := 0; x < S; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			a := math.Max(0, math.Min(1, inside(fx, fy, 30, 98)/soft+0.5))
			c := color.NRGBA{R: 40, G: 80, B: 220, A: uint8(math.Round(a * 255))}
			if shadow && a < 1 {
				if s := math.Max(0, math.Min(1, inside(fx, fy-6, 30, 98)/8+0.5)) * 0.5; s > a {
					c = color.NRGBA{R: 10, G: 10, B: 10, A: uint8(math.Round(s * 255))}
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestAlphaFeatures(t *testing.T) {
	opaque := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range opaque.Pix {
		opaque.Pix[i] = 0xc0
		if i%4 == 3 {
			opaque.Pix[i] = 0xff
		}
	}
	for _, img := range []image.Image{opaque, image.NewGray(image.Rect(0, 0, 20, 20)), nil} {
		f := alphaFeatures(img)
		if len(f) != alphaLen {
			t.Fatalf("%d values, want alphaLen %d", len(f), alphaLen)
		}
		for k, v := range f {
			if v != 0 {
				t.Fatalf("an opaque picture: value %d is %g, want all zeros (catalogs without transparency classify as before)", k, v)
			}
		}
	}

	hard, soft, shadow := alphaFeatures(cutOut(1, false)), alphaFeatures(cutOut(4, false)), alphaFeatures(cutOut(1, true))
	for _, f := range [][]float64{hard, soft, shadow} {
		if len(f) != alphaLen {
			t.Fatalf("%d values, want alphaLen %d", len(f), alphaLen)
		}
	}
	const (
		softShare = 8  // square root of the share of partly transparent pixels
		darkShare = 9  // … that are also dark
		edgeWidth = 12 // partly transparent pixels per unit of outline
		below     = 13 // their balance below against above the middle
		out4to6   = 20 // mean opacity 4–6 px outside the core
	)
	if !(soft[edgeWidth] > 2*hard[edgeWidth]) {
		t.Errorf("edge width: soft %.2f, hard %.2f; want the soft edge clearly wider", soft[edgeWidth], hard[edgeWidth])
	}
	if !(shadow[darkShare] > 0.2 && hard[darkShare] < 0.05) {
		t.Errorf("dark partly transparent share: shadow %.2f, hard %.2f; want a shadow to show", shadow[darkShare], hard[darkShare])
	}
	if !(shadow[below] > 0.5 && math.Abs(hard[below]) < 0.2) {
		t.Errorf("below − above: shadow %.2f, hard %.2f; want the shadow cast downwards", shadow[below], hard[below])
	}
	if !(shadow[out4to6] > 0.05 && hard[out4to6] < 0.01) {
		t.Errorf("opacity 4–6 px out: shadow %.2f, hard %.2f", shadow[out4to6], hard[out4to6])
	}
	if !(soft[softShare] > hard[softShare]) {
		t.Errorf("soft share: soft %.2f, hard %.2f", soft[softShare], hard[softShare])
	}
}
