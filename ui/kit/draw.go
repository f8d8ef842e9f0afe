package kit

import (
	"image"
	"image/color"
	"image/draw"
)

// Blend paints c over the pixel at (x, y) with c's alpha.
func Blend(img *image.NRGBA, x, y int, c color.NRGBA) {
	if !(image.Point{x, y}.In(img.Rect)) {
		return
	}
	i := img.PixOffset(x, y)
	a := uint32(c.A)
	p := img.Pix[i : i+4 : i+4]
	p[0] = uint8((uint32(c.R)*a + uint32(p[0])*(255-a)) / 255)
	p[1] = uint8((uint32(c.G)*a + uint32(p[1])*(255-a)) / 255)
	p[2] = uint8((uint32(c.B)*a + uint32(p[2])*(255-a)) / 255)
	p[3] = 0xff
}

// OpaqueOver composites c over an opaque bg.
func OpaqueOver(c, bg color.Color) color.NRGBA {
	f, b := ToNRGBA(c), ToNRGBA(bg)
	a := uint32(f.A)
	mix := func(x, y uint8) uint8 { return uint8((uint32(x)*a + uint32(y)*(255-a)) / 255) }
	return color.NRGBA{mix(f.R, b.R), mix(f.G, b.G), mix(f.B, b.B), 0xff}
}

// ToNRGBA converts a colour to NRGBA.
func ToNRGBA(c color.Color) color.NRGBA { return color.NRGBAModel.Convert(c).(color.NRGBA) }

// ToNRGBAImage converts (or returns) img as NRGBA at the origin.
func ToNRGBAImage(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}
