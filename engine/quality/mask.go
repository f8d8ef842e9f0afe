package quality

import (
	"fmt"
	"image"
)

// ForegroundMask marks the product's pixels in img, row-major (mask[y*w+x]), and returns the
// mask's size. Products are shot on white or transparent backgrounds, so a pixel is foreground
// when it is more than half opaque and its (unpremultiplied) colour differs from white by more
// than tol in at least one channel.
func ForegroundMask(img image.Image, tol uint8) (mask []bool, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	mask = make([]bool, w*h)
	t := uint32(tol)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl, a := rgba64(img, b.Min.X+x, b.Min.Y+y)
			if a <= 0x7fff {
				continue
			}
			// Unpremultiply the way color.NRGBAModel does, then compare 8-bit channels.
			r8 := (r * 0xffff / a) >> 8
			g8 := (g * 0xffff / a) >> 8
			b8 := (bl * 0xffff / a) >> 8
			mask[y*w+x] = 255-r8 > t || 255-g8 > t || 255-b8 > t
		}
	}
	return mask, w, h
}

// IoU is the intersection over union of two masks of the same image size: 1 when both are empty
// (they agree that there is nothing), 0 when they share no pixel. Masks of different lengths come
// from images of different sizes, a caller's bug, so IoU panics on them.
func IoU(a, b []bool) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("quality.IoU: masks have %d and %d pixels; compare masks of same-size images", len(a), len(b)))
	}
	var inter, union int
	for i, x := range a {
		y := b[i]
		if x && y {
			inter++
		}
		if x || y {
			union++
		}
	}
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}
