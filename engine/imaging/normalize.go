package imaging

import (
	"image"
	"image/color"
	"image/draw"

	"github.com/disintegration/gift"
)

// Flatten composites img onto opaque white (fully transparent pixels become white) and returns an
// opaque NRGBA image whose bounds start at (0, 0).
func Flatten(img image.Image) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return out
	}
	if p, ok := img.(*image.Paletted); ok {
		flattenPaletted(out, p)
		return out
	}
	// Once every pixel is opaque, premultiplied RGBA and non-premultiplied NRGBA have the same
	// bytes, so we let image/draw's fast paths (RGBA destination) do the compositing in place.
	for i := range out.Pix {
		out.Pix[i] = 0xff
	}
	canvas := &image.RGBA{Pix: out.Pix, Stride: out.Stride, Rect: out.Rect}
	draw.Draw(canvas, canvas.Rect, img, b.Min, draw.Over)
	return out
}

// flattenPaletted composites each palette entry onto white once, then maps indexes.
func flattenPaletted(out *image.NRGBA, p *image.Paletted) {
	var pal [256][4]uint8
	for i := range pal {
		var c color.Color = color.Transparent // indexes past the palette read as transparent
		if i < len(p.Palette) {
			c = p.Palette[i]
		}
		r, g, b, a := c.RGBA() // premultiplied, 16-bit
		pal[i] = [4]uint8{
			uint8((r + 0xffff - a) >> 8),
			uint8((g + 0xffff - a) >> 8),
			uint8((b + 0xffff - a) >> 8),
			0xff,
		}
	}
	bounds := p.Rect
	for y := 0; y < bounds.Dy(); y++ {
		src := p.Pix[y*p.Stride : y*p.Stride+bounds.Dx()]
		dst := out.Pix[y*out.Stride : y*out.Stride+4*bounds.Dx()]
		for x, idx := range src {
			c := pal[idx]
			copy(dst[4*x:4*x+4], c[:])
		}
	}
}

// PadSquare keeps the aspect ratio: it returns a square NRGBA image whose edge is the longer side of
// img, filled with bg, with img's pixels copied unchanged (not composited, not stretched) into the
// centre. When the padding cannot be split evenly, the extra pixel goes to the right or bottom.
// A nil bg pads with transparent pixels.
func PadSquare(img image.Image, bg color.Color) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	s := max(w, h)
	out := image.NewNRGBA(image.Rect(0, 0, s, s))
	var fill color.NRGBA // a nil bg pads with transparent pixels
	if bg != nil {
		fill = color.NRGBAModel.Convert(bg).(color.NRGBA)
	}
	if fill != (color.NRGBA{}) {
		px := [4]uint8{fill.R, fill.G, fill.B, fill.A}
		for i := 0; i < len(out.Pix); i += 4 {
			copy(out.Pix[i:i+4], px[:])
		}
	}
	at := image.Pt((s-w)/2, (s-h)/2)
	copyInto(out, image.Rectangle{Min: at, Max: at.Add(b.Size())}, img, b.Min)
	return out
}

// copyInto copies src (starting at sp) into r of dst, replacing dst's pixels.
func copyInto(dst *image.NRGBA, r image.Rectangle, src image.Image, sp image.Point) {
	if s, ok := src.(*image.NRGBA); ok {
		n := 4 * r.Dx()
		for y := 0; y < r.Dy(); y++ {
			di := dst.PixOffset(r.Min.X, r.Min.Y+y)
			si := s.PixOffset(sp.X, sp.Y+y)
			copy(dst.Pix[di:di+n], s.Pix[si:si+n])
		}
		return
	}
	draw.Draw(dst, r, src, sp, draw.Src)
}

// Square makes a size x size thumbnail: img is composited onto white (Flatten), padded to a centred
// square on white (PadSquare) and resized with gift's linear resampling (area-correct when
// shrinking). The steps run in the cheapest order that gives the same picture: opaque images skip
// Flatten, the image is resized to fit before it is padded (a padded square is never built at full
// size), and a large image is first halved with an exact 2x2 box average while it stays at least
// twice the target, so a 24-megapixel photo costs little more than its decoding.
func Square(img image.Image, size int) *image.NRGBA {
	return square(img, size, true)
}

// SquareSerial is Square without internal goroutines, for callers that already run one Square per
// CPU (bulk import).
func SquareSerial(img image.Image, size int) *image.NRGBA {
	return square(img, size, false)
}

func square(img image.Image, size int, parallel bool) *image.NRGBA {
	if size <= 0 {
		return image.NewNRGBA(image.Rect(0, 0, 0, 0))
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return whiteSquare(size)
	}
	fw, fh := size, size
	if w > h {
		fh = max(1, int((int64(h)*int64(size)+int64(w)/2)/int64(w)))
	} else if h > w {
		fw = max(1, int((int64(w)*int64(size)+int64(h)/2)/int64(h)))
	}
	halving := w >= 2*fw && h >= 2*fh

	src := img
	opaque := false
	if o, ok := img.(interface{ Opaque() bool }); ok {
		opaque = o.Opaque()
	}
	if !opaque || halving {
		switch m := img.(type) {
		case *image.NRGBA:
			if opaque {
				src = m
				break
			}
			src = Flatten(m)
		case *image.RGBA:
			if opaque { // same bytes as NRGBA when every pixel is opaque
				src = &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
				break
			}
			src = Flatten(m)
		default:
			src = Flatten(img) // for opaque images, a fast conversion to NRGBA
		}
	}
	for halving {
		n := halve(src.(*image.NRGBA))
		src = n
		halving = n.Rect.Dx() >= 2*fw && n.Rect.Dy() >= 2*fh
	}

	fitted := image.NewNRGBA(image.Rect(0, 0, fw, fh))
	if sb := src.Bounds(); sb.Dx() == fw && sb.Dy() == fh {
		copyInto(fitted, fitted.Rect, src, sb.Min) // already fitted (decoded at reduced size by libvips)
	} else {
		g := gift.New(gift.Resize(fw, fh, gift.LinearResampling))
		g.SetParallelization(parallel)
		g.Draw(fitted, src)
	}
	if fw == size && fh == size {
		return fitted
	}
	out := whiteSquare(size)
	at := image.Pt((size-fw)/2, (size-fh)/2)
	copyInto(out, image.Rectangle{Min: at, Max: at.Add(image.Pt(fw, fh))}, fitted, image.Point{})
	return out
}

// halve averages each 2x2 block of an opaque NRGBA image (an odd last row or column is dropped).
func halve(m *image.NRGBA) *image.NRGBA {
	w, h := m.Rect.Dx()/2, m.Rect.Dy()/2
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		r0 := m.Pix[2*y*m.Stride:]
		r1 := m.Pix[(2*y+1)*m.Stride:]
		o := out.Pix[y*out.Stride : y*out.Stride+4*w]
		for x := 0; x < w; x++ {
			i := 8 * x
			for c := 0; c < 4; c++ {
				o[4*x+c] = uint8((uint(r0[i+c]) + uint(r0[i+4+c]) + uint(r1[i+c]) + uint(r1[i+4+c]) + 2) >> 2)
			}
		}
	}
	return out
}

func whiteSquare(size int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range out.Pix {
		out.Pix[i] = 0xff
	}
	return out
}
