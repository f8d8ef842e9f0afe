package quality

import (
	"fmt"
	"image"
	"slices"
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
// from images of different sizes: an error.
func IoU(a, b []bool) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("quality.IoU: masks have %d and %d pixels; compare masks of same-size images", len(a), len(b))
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
		return 1, nil
	}
	return float64(inter) / float64(union), nil
}

// SilhouetteMask marks the pixels that differ from the picture's own background by more than tol in
// any channel, the background being the per-channel median of the border pixels (after flattening
// transparency on white). Unlike ForegroundMask it also finds products on coloured backgrounds (a
// cream "vintage" backdrop, a black "neon" one), so silhouettes compare across styles.
func SilhouetteMask(img image.Image, tol uint8) (mask []bool, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	mask = make([]bool, w*h)
	if w == 0 || h == 0 {
		return mask, w, h
	}
	px := func(x, y int) [3]int32 {
		r, g, bl, a := rgba64(img, b.Min.X+x, b.Min.Y+y)
		// Composite on white: c + (1 − a)·white, in 16-bit, then to 8-bit.
		wh := 0xffff - a
		return [3]int32{int32((r + wh) >> 8), int32((g + wh) >> 8), int32((bl + wh) >> 8)}
	}
	var border [3][]int32
	add := func(x, y int) {
		p := px(x, y)
		for c := range p {
			border[c] = append(border[c], p[c])
		}
	}
	for x := 0; x < w; x++ {
		add(x, 0)
		add(x, h-1)
	}
	for y := 1; y < h-1; y++ {
		add(0, y)
		add(w-1, y)
	}
	var bg [3]int32
	for c := range border {
		slices.Sort(border[c])
		bg[c] = border[c][len(border[c])/2]
	}
	t := int32(tol)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := px(x, y)
			for c := range p {
				if d := p[c] - bg[c]; d > t || d < -t {
					mask[y*w+x] = true
					break
				}
			}
		}
	}
	return mask, w, h
}
