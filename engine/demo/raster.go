package demo

import (
	"image"
	"image/draw"
	"math"

	"golang.org/x/image/vector"
)

// layer is a coverage map over the pixel rectangle r (row-major, r.Dx()
// values per row); pixels outside r have zero coverage.
type layer struct {
	a []float32
	r image.Rectangle
}

// at returns the coverage at pixel (x, y).
func (l *layer) at(x, y int) float32 {
	if x < l.r.Min.X || y < l.r.Min.Y || x >= l.r.Max.X || y >= l.r.Max.Y {
		return 0
	}
	return l.a[(y-l.r.Min.Y)*l.r.Dx()+x-l.r.Min.X]
}

// row returns the coverage values of row y for columns [x0, x1), which
// must lie inside r.
func (l *layer) row(y, x0, x1 int) []float32 {
	o := (y-l.r.Min.Y)*l.r.Dx() - l.r.Min.X
	return l.a[o+x0 : o+x1]
}

// canvas rasterises normalised polygons at a given pixel size.
type canvas struct {
	n   int
	ras vector.Rasterizer
	buf []uint8
}

func newCanvas(n int) *canvas { return &canvas{n: n} }

// fill rasterises the union of polys (all consistently oriented, or
// non-overlapping) into a new anti-aliased coverage layer.
func (c *canvas) fill(polys []poly) layer {
	n := c.n
	var l layer
	x0, y0, x1, y1, ok := bboxOf(polys)
	if !ok {
		return l
	}
	fn := float32(n)
	r := image.Rect(int(math.Floor(float64(x0*fn)))-1, int(math.Floor(float64(y0*fn)))-1,
		int(math.Ceil(float64(x1*fn)))+1, int(math.Ceil(float64(y1*fn)))+1).Intersect(image.Rect(0, 0, n, n))
	if r.Empty() {
		return l
	}
	w, h := r.Dx(), r.Dy()
	l = layer{a: make([]float32, w*h), r: r}
	c.ras.Reset(w, h)
	c.ras.DrawOp = draw.Src
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	for _, p := range polys {
		if len(p) < 3 {
			continue
		}
		c.ras.MoveTo(p[0].x*fn-ox, p[0].y*fn-oy)
		for _, q := range p[1:] {
			c.ras.LineTo(q.x*fn-ox, q.y*fn-oy)
		}
		c.ras.ClosePath()
	}
	if cap(c.buf) < w*h {
		c.buf = make([]uint8, w*h)
	}
	dst := &image.Alpha{Pix: c.buf[:w*h], Stride: w, Rect: image.Rect(0, 0, w, h)}
	c.ras.Draw(dst, dst.Rect, image.Opaque, image.Point{})
	const k = 1.0 / 255
	for i, v := range dst.Pix {
		l.a[i] = float32(v) * k
	}
	return l
}

// strokeAll rasterises polylines as strokes of width w.
func (c *canvas) strokeAll(lines [][]pt, closed []bool, w float32) layer {
	var polys []poly
	for i, p := range lines {
		polys = append(polys, stroke(p, w, closed[i], true)...)
	}
	return c.fill(polys)
}

// boxBlur3 approximates a Gaussian blur of the given sigma (in pixels) with
// three box passes in each direction. Only src values inside roi are read
// (the rest count as zero); the result is exact wherever the blur can reach,
// since roi is grown by the blur support before processing.
func boxBlur3(src []float32, n int, roi image.Rectangle, sigma float32) []float32 {
	w := math.Sqrt(4*float64(sigma*sigma) + 1)
	r := int(math.Round((w - 1) / 2))
	if r < 1 {
		r = 1
	}
	out := make([]float32, n*n)
	roi = roi.Inset(-3 * r).Intersect(image.Rect(0, 0, n, n))
	if roi.Empty() {
		return out
	}
	rw, rh := roi.Dx(), roi.Dy()
	a := make([]float32, rw*rh)
	for y := 0; y < rh; y++ {
		copy(a[y*rw:(y+1)*rw], src[(y+roi.Min.Y)*n+roi.Min.X:])
	}
	b := make([]float32, rw*rh)
	for pass := 0; pass < 3; pass++ {
		boxH(a, b, rw, rh, r)
		boxV(b, a, rw, rh, r)
	}
	for y := 0; y < rh; y++ {
		copy(out[(y+roi.Min.Y)*n+roi.Min.X:(y+roi.Min.Y)*n+roi.Max.X], a[y*rw:(y+1)*rw])
	}
	return out
}

func boxH(src, dst []float32, w, h, r int) {
	inv := 1 / float32(2*r+1)
	for y := 0; y < h; y++ {
		row := src[y*w : y*w+w]
		out := dst[y*w : y*w+w]
		var s float32
		for x := 0; x < r && x < w; x++ {
			s += row[x]
		}
		// Split the loop so the inner parts need no bounds branches.
		x := 0
		for ; x < w && x <= r; x++ {
			if x+r < w {
				s += row[x+r]
			}
			out[x] = s * inv
		}
		for ; x+r < w; x++ {
			s += row[x+r] - row[x-r-1]
			out[x] = s * inv
		}
		for ; x < w; x++ {
			s -= row[x-r-1]
			out[x] = s * inv
		}
	}
}

func boxV(src, dst []float32, w, h, r int) {
	inv := 1 / float32(2*r+1)
	sums := make([]float32, w)
	for y := 0; y < r && y < h; y++ {
		for x, v := range src[y*w : y*w+w] {
			sums[x] += v
		}
	}
	for y := 0; y < h; y++ {
		if y+r < h {
			for x, v := range src[(y+r)*w : (y+r)*w+w] {
				sums[x] += v
			}
		}
		if y-r-1 >= 0 {
			for x, v := range src[(y-r-1)*w : (y-r-1)*w+w] {
				sums[x] -= v
			}
		}
		out := dst[y*w : y*w+w]
		for x, v := range sums {
			out[x] = v * inv
		}
	}
}

// hash2 is a stateless integer hash of a lattice point and a seed.
func hash2(x, y int32, seed uint64) uint64 {
	h := seed ^ uint64(uint32(x))*0x9E3779B97F4A7C15 ^ uint64(uint32(y))*0xC2B2AE3D27D4EB4F
	h ^= h >> 30
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 27
	h *= 0x94D049BB133111EB
	h ^= h >> 31
	return h
}

// unitHash maps a hash to [0, 1).
func unitHash(h uint64) float32 { return float32(h>>40) / float32(1<<24) }

// valueNoise is smooth lattice noise in [0, 1] with unit cell size.
func valueNoise(x, y float32, seed uint64) float32 {
	fx := float32(math.Floor(float64(x)))
	fy := float32(math.Floor(float64(y)))
	ix, iy := int32(fx), int32(fy)
	tx, ty := x-fx, y-fy
	tx = tx * tx * (3 - 2*tx)
	ty = ty * ty * (3 - 2*ty)
	a := unitHash(hash2(ix, iy, seed))
	b := unitHash(hash2(ix+1, iy, seed))
	c := unitHash(hash2(ix, iy+1, seed))
	d := unitHash(hash2(ix+1, iy+1, seed))
	top := a + (b-a)*tx
	bot := c + (d-c)*tx
	return top + (bot-top)*ty
}

func smoothstep(e0, e1, x float32) float32 {
	t := clampF((x - e0) / (e1 - e0))
	return t * t * (3 - 2*t)
}
