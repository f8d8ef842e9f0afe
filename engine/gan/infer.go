package gan

import (
	"image"
	"math"

	"stylestudio/engine/nn"
)

// generate runs the generator without a graph on x (batch, 3, N, N) in [-1, 1], restyling sample i into
// styles[i], and returns the output batch in [-1, 1]. It computes exactly what the training graph's
// generator computes (the parity test checks both against PyTorch).
func generate(cfg Config, numStyles int, p Params, x []float32, batch int, styles []int) []float32 {
	n := cfg.Size
	plane := n * n
	c := 3 + numStyles
	h := make([]float32, batch*c*plane)
	for b := 0; b < batch; b++ {
		copy(h[b*c*plane:], x[b*3*plane:(b+1)*3*plane])
		p := h[(b*c+3+styles[b])*plane:][:plane]
		for i := range p {
			p[i] = 1
		}
	}
	specs := genSpecs(cfg, numStyles)
	size := n
	convNorm := func(in []float32, ch int, s convSpec, act bool) ([]float32, int) {
		y, oh, _ := nn.ConvForward(in, batch, ch, size, size, p[s.name], s.stride, s.pad)
		size = oh
		out := make([]float32, len(y))
		nn.InstanceNormForward(out, y, p[s.norm+".weight"].Data, p[s.norm+".bias"].Data, batch, s.out)
		if act {
			for i, v := range out {
				if v < 0 {
					out[i] = 0
				}
			}
		}
		return out, s.out
	}
	for _, s := range specs[:3] {
		h, c = convNorm(h, c, s, true)
	}
	res := specs[3 : 3+2*cfg.ResBlocks]
	for i := 0; i < len(res); i += 2 {
		r, rc := convNorm(h, c, res[i], true)
		r, _ = convNorm(r, rc, res[i+1], false)
		for j := range h {
			h[j] += r[j]
		}
	}
	for _, s := range specs[3+2*cfg.ResBlocks : len(specs)-1] {
		h = upsample2x(h, batch*c, size)
		size *= 2
		h, c = convNorm(h, c, s, true)
	}
	last := specs[len(specs)-1]
	y, _, _ := nn.ConvForward(h, batch, c, size, size, p[last.name], last.stride, last.pad)
	for i, v := range y {
		y[i] = float32(math.Tanh(float64(v)))
	}
	return y
}

func upsample2x(x []float32, planes, size int) []float32 {
	out := make([]float32, len(x)*4)
	w := 2 * size
	for p := 0; p < planes; p++ {
		src, dst := x[p*size*size:(p+1)*size*size], out[p*4*size*size:(p+1)*4*size*size]
		for i := 0; i < size; i++ {
			row := dst[2*i*w : (2*i+1)*w]
			for j, v := range src[i*size : (i+1)*size] {
				row[2*j], row[2*j+1] = v, v
			}
			copy(dst[(2*i+1)*w:(2*i+2)*w], row)
		}
	}
	return out
}

// toTensor writes an N×N NRGBA image (already flattened on white) into dst (3, N, N) in [-1, 1].
func toTensor(dst []float32, img *image.NRGBA) {
	b := img.Bounds()
	n := b.Dx() * b.Dy()
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[(y-b.Min.Y)*img.Stride:]
		for x := 0; x < b.Dx(); x++ {
			px := row[4*x : 4*x+3]
			dst[i] = float32(px[0])/127.5 - 1
			dst[n+i] = float32(px[1])/127.5 - 1
			dst[2*n+i] = float32(px[2])/127.5 - 1
			i++
		}
	}
}

// toImage converts one (3, N, N) tensor in [-1, 1] to an opaque NRGBA image.
func toImage(t []float32, size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	n := size * size
	for i := 0; i < n; i++ {
		img.Pix[4*i] = toByte(t[i])
		img.Pix[4*i+1] = toByte(t[n+i])
		img.Pix[4*i+2] = toByte(t[2*n+i])
		img.Pix[4*i+3] = 255
	}
	return img
}

func toByte(v float32) uint8 {
	f := (float64(v) + 1) * 127.5
	return uint8(math.Max(0, math.Min(255, math.Round(f))))
}

// gridImage lays out a sample grid: one row per source image, the source first and then the source
// restyled into every style, with a 2-pixel white gutter.
func gridImage(cells [][]*image.NRGBA, size int) *image.NRGBA {
	const gap = 2
	rows := len(cells)
	cols := 0
	if rows > 0 {
		cols = len(cells[0])
	}
	out := image.NewNRGBA(image.Rect(0, 0, cols*(size+gap)+gap, rows*(size+gap)+gap))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for r, row := range cells {
		for c, img := range row {
			at := image.Pt(gap+c*(size+gap), gap+r*(size+gap))
			for y := 0; y < size; y++ {
				copy(out.Pix[(at.Y+y)*out.Stride+4*at.X:], img.Pix[y*img.Stride:y*img.Stride+4*size])
			}
		}
	}
	return out
}
