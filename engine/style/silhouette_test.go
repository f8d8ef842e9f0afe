package style

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"testing"
)

// disc draws a 30-px-radius disc centred at (cx, cy) on a 128-px backdrop: fill colour inside,
// and, when outline is set, a 2-px dark ring at its edge.
func disc(backdrop, fill color.NRGBA, cx, cy int, outline bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 128, 128))
	draw.Draw(img, img.Rect, image.NewUniform(backdrop), image.Point{}, draw.Src)
	for y := 0; y < 128; y++ {
		for x := 0; x < 128; x++ {
			r := math.Hypot(float64(x-cx), float64(y-cy))
			switch {
			case r > 30:
			case outline && r > 28:
				img.SetNRGBA(x, y, color.NRGBA{30, 30, 30, 255})
			default:
				img.SetNRGBA(x, y, fill)
			}
		}
	}
	return img
}

func TestSilhouetteFeatures(t *testing.T) {
	white := color.NRGBA{255, 255, 255, 255}
	orange := color.NRGBA{230, 140, 40, 255}
	flat := silhouetteFeatures(disc(white, orange, 64, 64, false))
	if len(flat) != silhouetteLen {
		t.Fatalf("%d values, want silhouetteLen %d", len(flat), silhouetteLen)
	}
	// The outermost band's luminance against the product's mean: about 0 for a flat fill, well
	// below for a dark outline.
	if v := flat[0]; math.Abs(v) > 0.03 {
		t.Errorf("flat disc: outline band %.3f from the mean, want about 0", v)
	}
	if v := silhouetteFeatures(disc(white, orange, 64, 64, true))[0]; v > -0.2 {
		t.Errorf("outlined disc: outline band %.3f from the mean, want well below", v)
	}
	// Where the product sits does not matter, nor the colour of a flat backdrop.
	moved := silhouetteFeatures(disc(white, orange, 50, 70, false))
	cream := silhouetteFeatures(disc(color.NRGBA{240, 225, 190, 255}, orange, 64, 64, false))
	for i := range flat {
		if math.Abs(moved[i]-flat[i]) > 0.02 || math.Abs(cream[i]-flat[i]) > 0.02 {
			t.Fatalf("value %d: %.3f centred, %.3f moved, %.3f on cream; want the same", i, flat[i], moved[i], cream[i])
		}
	}
	// A blank picture has no product: zeros, not NaNs.
	for i, v := range silhouetteFeatures(image.NewNRGBA(image.Rect(0, 0, 40, 40))) {
		if v != 0 {
			t.Fatalf("blank picture: value %d is %v, want 0", i, v)
		}
	}
}
