package imaging

import (
	"image"
	"image/color"
	"image/draw"
)

// A thumbnail (Square) is composited on white, as every screen shows it. Where the picture has a
// transparent background its alpha channel is kept beside the thumbnail, as an alpha square: the
// picture's alpha placed exactly as Square places the picture (same size, fit and resampling; the
// padding is transparent). WithAlpha puts the two back together for the style classifier, which reads
// a product's transparency (engine/style's transparency statistics).

// HasTransparency says whether any pixel of img is not fully opaque.
func HasTransparency(img image.Image) bool {
	if img == nil {
		return false
	}
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return !o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}

// AlphaSquare returns img's alpha channel as Square(img, size) places the picture, or nil when img
// has no transparent pixel (nothing to keep).
func AlphaSquare(img image.Image, size int) *image.Gray {
	return alphaSquare(img, size, true)
}

// AlphaSquareSerial is AlphaSquare without internal goroutines (bulk import).
func AlphaSquareSerial(img image.Image, size int) *image.Gray {
	return alphaSquare(img, size, false)
}

func alphaSquare(img image.Image, size int, parallel bool) *image.Gray {
	if size <= 0 || !HasTransparency(img) {
		return nil
	}
	// Square pads with white and resamples every channel alike, so the alpha goes through it
	// inverted (transparent is white): the padding comes out transparent, and the fit, halving and
	// resampling are exactly the picture's.
	b := img.Bounds()
	inv := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	alphaInto(inv, img)
	for i, v := range inv.Pix {
		inv.Pix[i] = 0xff - v
	}
	sq := square(inv, size, parallel)
	out := image.NewGray(image.Rect(0, 0, size, size))
	for i := range out.Pix {
		out.Pix[i] = 0xff - sq.Pix[4*i]
	}
	return out
}

// alphaInto writes img's alpha into dst (same size, bounds at the origin).
func alphaInto(dst *image.Gray, img image.Image) {
	b := img.Bounds()
	var pix []uint8 // 4 bytes a pixel, alpha last (premultiplied or not, alpha is the same)
	var stride int
	switch m := img.(type) {
	case *image.NRGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	case *image.RGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	default:
		a := image.NewAlpha(dst.Rect)
		draw.Draw(a, a.Rect, img, b.Min, draw.Src)
		copy(dst.Pix, a.Pix)
		return
	}
	for y := 0; y < b.Dy(); y++ {
		row := pix[y*stride:]
		o := dst.Pix[y*dst.Stride:]
		for x := 0; x < b.Dx(); x++ {
			o[x] = row[4*x+3]
		}
	}
}

// WithAlpha puts a thumbnail (composited on white) and its alpha square back together: each pixel's
// colour before it was composited (as far as 8 bits keep it) with its alpha. The thumbnail may be any
// image; a decoded thumbnail PNG is an opaque RGBA, read in place. A nil or mismatched alpha gives the
// thumbnail itself (as an NRGBA).
func WithAlpha(img image.Image, alpha *image.Gray) *image.NRGBA {
	if img == nil {
		return nil
	}
	flat := flatAtOrigin(img)
	if alpha == nil || alpha.Rect.Size() != flat.Rect.Size() {
		return flat
	}
	w, h := flat.Rect.Dx(), flat.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		src := flat.Pix[y*flat.Stride:]
		as := alpha.Pix[y*alpha.Stride:]
		o := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			a := int(as[x])
			if a == 0 {
				o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = 0xff, 0xff, 0xff, 0
				continue
			}
			for c := 0; c < 3; c++ {
				// flat = a·v + (255−a)·255, all over 255.
				v := (int(src[4*x+c])*255 - (255-a)*255 + a/2) / a
				o[4*x+c] = uint8(max(0, min(255, v)))
			}
			o[4*x+3] = uint8(a)
		}
	}
	return out
}

// flatAtOrigin is img as an NRGBA whose bounds start at (0, 0), without a copy where its bytes already
// are one: an NRGBA, or an opaque RGBA (premultiplied and straight alpha agree when every pixel is
// opaque); otherwise Flatten(img).
func flatAtOrigin(img image.Image) *image.NRGBA {
	switch m := img.(type) {
	case *image.NRGBA:
		if m.Rect.Min == (image.Point{}) {
			return m
		}
	case *image.RGBA:
		if m.Rect.Min == (image.Point{}) && m.Opaque() {
			return &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
	}
	return Flatten(img)
}

// GrayFrom converts any decoded alpha square (a PNG may come back as Gray or another model) to Gray.
func GrayFrom(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Pix[y*out.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return out
}
