// Package quality measures how close two images (or two sets of image features) are, for
// `stylestudio eval`: SSIM and L1 on luminance, foreground-mask IoU, and the Fréchet distance
// between feature distributions. Every function is pure and safe for concurrent use.
package quality

import (
	"fmt"
	"image"
)

// Luma is a luminance plane: Pix[y*W+x] is the Rec. 601 luma of pixel (x, y) in [0, 255].
type Luma struct {
	W, H int
	Pix  []float64
}

// Luminance returns img's Rec. 601 luma (0.299 R + 0.587 G + 0.114 B) after compositing it onto
// white, so a transparent background reads as the white the products are shown on.
func Luminance(img image.Image) Luma {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	l := Luma{W: w, H: h, Pix: make([]float64, w*h)}
	if n, ok := img.(*image.NRGBA); ok { // the generator's and Flatten's type: read bytes directly
		for y := 0; y < h; y++ {
			row := n.Pix[n.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				a := float64(p[3]) / 255
				bg := 255 * (1 - a)
				l.Pix[y*w+x] = 0.299*(float64(p[0])*a+bg) + 0.587*(float64(p[1])*a+bg) + 0.114*(float64(p[2])*a+bg)
			}
		}
		return l
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl, a := rgba64(img, b.Min.X+x, b.Min.Y+y)
			// Premultiplied colour over white: c + (1 - a) * white.
			bg := float64(0xffff - a)
			l.Pix[y*w+x] = (0.299*(float64(r)+bg) + 0.587*(float64(g)+bg) + 0.114*(float64(bl)+bg)) / 257
		}
	}
	return l
}

// rgba64 reads a premultiplied 16-bit pixel without boxing a color.Color where the image allows it.
func rgba64(img image.Image, x, y int) (r, g, b, a uint32) {
	if m, ok := img.(image.RGBA64Image); ok {
		c := m.RGBA64At(x, y)
		return uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
	}
	return img.At(x, y).RGBA()
}

// L1 is the mean absolute difference of a's and b's luminance, scaled to [0, 1]
// (0: identical, 1: one is black wherever the other is white).
func L1(a, b image.Image) (float64, error) {
	if err := sameSize("L1", a, b); err != nil {
		return 0, err
	}
	la, lb := Luminance(a), Luminance(b)
	if len(la.Pix) == 0 {
		return 0, nil
	}
	var sum float64
	for i, v := range la.Pix {
		d := v - lb.Pix[i]
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return sum / float64(len(la.Pix)) / 255, nil
}

func sameSize(what string, a, b image.Image) error {
	sa, sb := a.Bounds().Size(), b.Bounds().Size()
	if sa != sb {
		return fmt.Errorf("%s: images differ in size (%dx%d vs %dx%d); resize one to the other's size before comparing",
			what, sa.X, sa.Y, sb.X, sb.Y)
	}
	return nil
}
