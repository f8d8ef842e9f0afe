package imaging

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// softDisk is a w×h picture, transparent but for a red disk of radius r whose edge fades over soft px.
func softDisk(w, h int, r, soft float64) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			a := math.Max(0, math.Min(1, (r-d)/soft))
			img.SetNRGBA(x, y, color.NRGBA{R: 200, G: 30, B: 40, A: uint8(math.Round(a * 255))})
		}
	}
	return img
}

func TestAlphaSquareIsPlacedAsTheThumbnail(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  *image.NRGBA
	}{
		{"wide, shrunk by halving", softDisk(900, 500, 220, 30)},
		{"tall, enlarged", softDisk(60, 100, 25, 4)},
		{"thumbnail size", softDisk(160, 160, 60, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flat := Square(tc.img, 160)
			a := AlphaSquare(tc.img, 160)
			if a == nil || a.Rect.Dx() != 160 || a.Rect.Dy() != 160 {
				t.Fatalf("alpha square %v, want 160×160", a)
			}
			if v := a.GrayAt(80, 80).Y; v != 255 {
				t.Errorf("alpha at the disk's centre %d, want 255", v)
			}
			if v := a.GrayAt(0, 0).Y; v != 0 {
				t.Errorf("alpha at the corner %d, want 0", v)
			}
			// Composited on white again, the pair gives the thumbnail back (to 8-bit rounding).
			back := Flatten(WithAlpha(flat, a))
			worst := 0
			for i := range flat.Pix {
				worst = max(worst, absDiff(flat.Pix[i], back.Pix[i]))
			}
			if worst > 3 {
				t.Errorf("thumbnail and alpha composited again differ by %d levels, want ≤ 3", worst)
			}
			// The colour under a half-transparent pixel is the disk's, not the white it was composited on.
			w := WithAlpha(flat, a)
			found := false
			for i := 0; i < 160*160; i++ {
				if al := w.Pix[4*i+3]; al > 100 && al < 160 {
					found = true
					if r, g := w.Pix[4*i], w.Pix[4*i+1]; r < 170 || g > 70 {
						t.Fatalf("half-transparent pixel reads (%d, %d, …), want the disk's red (200, 30, 40)", r, g)
					}
				}
			}
			if !found {
				t.Fatal("no half-transparent pixel on the disk's edge")
			}
		})
	}
}

func TestAlphaSquareOfAnOpaquePictureIsNil(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	if a := AlphaSquare(img, 160); a != nil {
		t.Errorf("opaque picture: alpha square %v, want nil", a.Rect)
	}
	if a := AlphaSquare(image.NewGray(image.Rect(0, 0, 10, 10)), 160); a != nil {
		t.Errorf("grey picture: alpha square %v, want nil", a.Rect)
	}
	flat := Square(img, 160)
	if got := WithAlpha(flat, nil); got != flat {
		t.Error("WithAlpha without an alpha square should give the thumbnail itself")
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestAlphaSquareOfASubImage(t *testing.T) {
	whole := softDisk(200, 200, 60, 4)
	sub := whole.SubImage(image.Rect(40, 40, 160, 160)).(*image.NRGBA) // the disk, centred
	a := AlphaSquare(sub, 160)
	if a == nil {
		t.Fatal("no alpha square")
	}
	if v := a.GrayAt(80, 80).Y; v != 255 {
		t.Errorf("alpha at the centre %d, want 255", v)
	}
	if v := a.GrayAt(1, 1).Y; v != 0 {
		t.Errorf("alpha at the corner %d, want 0", v)
	}
}
