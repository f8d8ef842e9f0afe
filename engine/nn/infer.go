package nn

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Pure-Go inference kernels on one image at a time (CHW, float32). They compute exactly what the
// gorgonia graph blocks above compute, so weights trained in a graph can be served without one:
// no graph per batch size, no shared machine state, safe to call from many goroutines.

var sgemm = gonum.Implementation{}

// ConvOut is the output edge of a k×k convolution with padding k/2 and the given stride over an
// edge of n pixels (the same formula as gorgonia's Im2Col).
func ConvOut(n, k, stride int) int { return (n+2*(k/2)-k)/stride + 1 }

// Conv2D convolves one CHW image x (c×h×w) with weight (out, c, k, k), padding k/2 and the given
// stride, and writes out×oh×ow values into dst (grown when too small). col is scratch space, grown
// when too small; both are returned for reuse.
func Conv2D(dst, col, x []float32, c, h, w int, weight Tensor, stride int) (out, colOut []float32, oh, ow int) {
	outC, k := weight.Shape[0], weight.Shape[2]
	pad := k / 2
	oh, ow = ConvOut(h, k, stride), ConvOut(w, k, stride)
	rows, cols := c*k*k, oh*ow
	col = grow(col, rows*cols)
	// im2col: row (ci, ky, kx), column (oy, ox).
	for ci := 0; ci < c; ci++ {
		plane := x[ci*h*w : (ci+1)*h*w]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := col[((ci*k+ky)*k+kx)*cols:][:cols]
				for oy := 0; oy < oh; oy++ {
					iy := oy*stride - pad + ky
					r := row[oy*ow : (oy+1)*ow]
					if iy < 0 || iy >= h {
						clear(r)
						continue
					}
					src := plane[iy*w : (iy+1)*w]
					for ox := range r {
						ix := ox*stride - pad + kx
						if ix < 0 || ix >= w {
							r[ox] = 0
						} else {
							r[ox] = src[ix]
						}
					}
				}
			}
		}
	}
	dst = grow(dst, outC*cols)
	sgemm.Sgemm(blas.NoTrans, blas.NoTrans, outC, cols, rows, 1, weight.Data, rows, col, cols, 0, dst, cols)
	return dst[:outC*cols], col, oh, ow
}

// ScaleShiftReLU applies y = max(0, x*scale[c] + shift[c]) in place to a CHW activation.
func ScaleShiftReLU(x []float32, scale, shift []float32) {
	n := len(x) / len(scale)
	for c := range scale {
		s, b := scale[c], shift[c]
		p := x[c*n : (c+1)*n]
		for i, v := range p {
			v = v*s + b
			if v < 0 {
				v = 0
			}
			p[i] = v
		}
	}
}

// BNScaleShift folds batch-norm statistics and affine parameters into a per-channel scale and shift:
// gamma*(x-mean)/sqrt(variance+BNEpsilon) + beta = x*scale + shift.
func BNScaleShift(gamma, beta, mean, variance []float32) (scale, shift []float32) {
	scale = make([]float32, len(gamma))
	shift = make([]float32, len(gamma))
	for c := range gamma {
		inv := float32(1 / math.Sqrt(float64(variance[c])+BNEpsilon))
		scale[c] = gamma[c] * inv
		shift[c] = beta[c] - mean[c]*scale[c]
	}
	return scale, shift
}

// GlobalAvgPool averages each channel of a CHW activation with c channels into dst[c].
func GlobalAvgPool(dst, x []float32, c int) {
	n := len(x) / c
	for ci := 0; ci < c; ci++ {
		var s float64
		for _, v := range x[ci*n : (ci+1)*n] {
			s += float64(v)
		}
		dst[ci] = float32(s / float64(n))
	}
}

// GlobalMaxPool writes the maximum of each channel of a CHW activation with c channels into dst[c].
func GlobalMaxPool(dst, x []float32, c int) {
	n := len(x) / c
	for ci := 0; ci < c; ci++ {
		m := float32(math.Inf(-1))
		for _, v := range x[ci*n : (ci+1)*n] {
			m = max(m, v)
		}
		dst[ci] = m
	}
}

// Linear computes dst = x·W + b for W of shape (in, out).
func Linear(dst, x []float32, weight, bias Tensor) {
	in, out := weight.Shape[0], weight.Shape[1]
	copy(dst[:out], bias.Data)
	for i := 0; i < in; i++ {
		xi := x[i]
		row := weight.Data[i*out : (i+1)*out]
		for j := range row {
			dst[j] += xi * row[j]
		}
	}
}

// Softmax writes the probabilities of logits into dst, in float64, summing to 1.
func Softmax(dst []float64, logits []float32) {
	m := math.Inf(-1)
	for _, v := range logits {
		m = math.Max(m, float64(v))
	}
	var s float64
	for i, v := range logits {
		dst[i] = math.Exp(float64(v) - m)
		s += dst[i]
	}
	for i := range logits {
		dst[i] /= s
	}
}

// ChannelStats accumulates per-channel sums and sums of squares of a CHW activation with c channels,
// in float64, for computing batch-norm population statistics.
type ChannelStats struct {
	Sum, SumSq []float64
	N          int // values per channel seen so far
}

// NewChannelStats returns empty statistics for c channels.
func NewChannelStats(c int) *ChannelStats {
	return &ChannelStats{Sum: make([]float64, c), SumSq: make([]float64, c)}
}

// Add accumulates one CHW activation.
func (s *ChannelStats) Add(x []float32) {
	c := len(s.Sum)
	n := len(x) / c
	for ci := 0; ci < c; ci++ {
		var a, b float64
		for _, v := range x[ci*n : (ci+1)*n] {
			f := float64(v)
			a += f
			b += f * f
		}
		s.Sum[ci] += a
		s.SumSq[ci] += b
	}
	s.N += n
}

// Merge adds o's sums into s.
func (s *ChannelStats) Merge(o *ChannelStats) {
	for i := range s.Sum {
		s.Sum[i] += o.Sum[i]
		s.SumSq[i] += o.SumSq[i]
	}
	s.N += o.N
}

// MeanVar returns the per-channel mean and biased variance (what batch norm divides by in training).
func (s *ChannelStats) MeanVar() (mean, variance []float32) {
	mean = make([]float32, len(s.Sum))
	variance = make([]float32, len(s.Sum))
	if s.N == 0 {
		for i := range variance {
			variance[i] = 1
		}
		return mean, variance
	}
	for i := range s.Sum {
		m := s.Sum[i] / float64(s.N)
		mean[i] = float32(m)
		variance[i] = float32(math.Max(s.SumSq[i]/float64(s.N)-m*m, 0))
	}
	return mean, variance
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
