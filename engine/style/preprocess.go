package style

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"

	"github.com/disintegration/gift"
)

// Input normalisation: pixel/255 mapped from [0, 1] to about [-2, 2].
const (
	pixMean = 0.5
	pixStd  = 0.25
)

// squareOnWhite composites img onto white, pads it to a centred square (keeping its aspect ratio)
// and resizes it to size×size with gift's linear resampling. Degenerate images give a white square.
func squareOnWhite(img image.Image, size int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.Draw(out, out.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	if img == nil {
		return out
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return out
	}
	fw, fh := size, size
	if w > h {
		fh = max(1, (h*size+w/2)/w)
	} else if h > w {
		fw = max(1, (w*size+h/2)/h)
	}
	// Composite on white first so transparent pixels resample as white, not as black.
	flat := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(flat, flat.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(flat, flat.Rect, img, b.Min, draw.Over)
	at := image.Pt((size-fw)/2, (size-fh)/2)
	if fw == w && fh == h {
		draw.Draw(out, image.Rectangle{Min: at, Max: at.Add(image.Pt(w, h))}, flat, image.Point{}, draw.Src)
		return out
	}
	g := gift.New(gift.Resize(fw, fh, gift.LinearResampling))
	g.SetParallelization(false)
	g.DrawAt(out, flat, at, gift.CopyOperator)
	return out
}

// augmentShift is the largest shift, as a fraction 1/augmentShift of Size, of the random crop that
// augment takes: training views move the product by up to Size/augmentShift pixels either way.
const augmentShift = 16

// padForAugment returns img (size×size, from squareOnWhite) centred on a white square with a border
// of size/augmentShift pixels, the canvas augment crops from.
func padForAugment(img *image.NRGBA, size int) *image.NRGBA {
	p := size / augmentShift
	out := image.NewNRGBA(image.Rect(0, 0, size+2*p, size+2*p))
	draw.Draw(out, out.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(p, p, p+size, p+size), img, image.Point{}, draw.Src)
	return out
}

// centre returns the size×size middle of a padded base: the unshifted picture.
func centre(base *image.NRGBA, size int) *image.NRGBA {
	p := (base.Rect.Dx() - size) / 2
	return base.SubImage(image.Rect(p, p, p+size, p+size)).(*image.NRGBA)
}

// augment draws one random training view of a padded base (from padForAugment) at size×size: a
// random shift (a crop of the white-bordered canvas), a horizontal flip half the time and a small
// brightness/contrast/saturation jitter. There is no zoom: at 64 pixels stripes and flower prints
// sit near the resolution limit, and any extra resampling blurs them into a texture the classifier
// never sees at inference (measured: held-out accuracy fell from ~86% to ~81%). The colour jitter
// stays within a few percent because colour is the style signal (sepia and pastel differ by little
// more than that).
func augment(base *image.NRGBA, size int, rng *rand.Rand) *image.NRGBA {
	span := base.Rect.Dx() - size
	ox, oy := rng.IntN(span+1), rng.IntN(span+1)
	flip := rng.IntN(2) == 1
	bright := float32(rng.Float64()*6 - 3) // percent
	contr := float32(rng.Float64()*8 - 4)  // percent
	sat := float32(rng.Float64()*10 - 5)   // percent
	filters := []gift.Filter{gift.Crop(image.Rect(ox, oy, ox+size, oy+size))}
	if flip {
		filters = append(filters, gift.FlipHorizontal())
	}
	filters = append(filters, gift.Brightness(bright), gift.Contrast(contr), gift.Saturation(sat))
	g := gift.New(filters...)
	g.SetParallelization(false)
	out := image.NewNRGBA(g.Bounds(base.Rect))
	g.Draw(out, base)
	return out
}

// toCHW writes the normalised RGB planes of a size×size NRGBA image into dst (3*size*size values).
func toCHW(dst []float32, img *image.NRGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := w * h
	r, g, b := dst[:n], dst[n:2*n], dst[2*n:3*n]
	const k = 1 / (255 * pixStd)
	const off = pixMean / pixStd
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < w; x++ {
			i := y*w + x
			r[i] = float32(row[4*x])*k - off
			g[i] = float32(row[4*x+1])*k - off
			b[i] = float32(row[4*x+2])*k - off
		}
	}
}
