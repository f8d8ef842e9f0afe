package quality

import (
	"fmt"
	"image"
	"math"
)

// SSIM parameters from Wang, Bovik, Sheikh and Simoncelli (2004), "Image quality assessment:
// from error visibility to structural similarity".
const (
	ssimWindow = 11
	ssimSigma  = 1.5
	ssimK1     = 0.01
	ssimK2     = 0.03
	ssimL      = 255
)

// SSIM is the mean structural similarity of a's and b's luminance (see Luminance), with an 11x11
// Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03 and L = 255, averaged over every position where
// the window fits inside the image (as in the paper's reference code). It is 1 for identical
// images, near 0 for unrelated ones, and can go negative for anti-correlated ones. The images must
// have the same size, at least 11x11.
func SSIM(a, b image.Image) (float64, error) {
	if err := sameSize("SSIM", a, b); err != nil {
		return 0, err
	}
	if s := a.Bounds().Size(); s.X < ssimWindow || s.Y < ssimWindow {
		return 0, fmt.Errorf("SSIM: images are %dx%d, smaller than its %dx%d window; compare images at least %d pixels on each side",
			s.X, s.Y, ssimWindow, ssimWindow, ssimWindow)
	}
	return ssimLuma(Luminance(a), Luminance(b)), nil
}

func ssimLuma(a, b Luma) float64 {
	k := gaussian(ssimWindow, ssimSigma)
	// The five local statistics, each Gaussian-filtered ('valid' region only).
	n := len(a.Pix)
	aa, bb, ab := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range a.Pix {
		x, y := a.Pix[i], b.Pix[i]
		aa[i], bb[i], ab[i] = x*x, y*y, x*y
	}
	muA, w, h := filterValid(a.Pix, a.W, a.H, k)
	muB, _, _ := filterValid(b.Pix, a.W, a.H, k)
	eAA, _, _ := filterValid(aa, a.W, a.H, k)
	eBB, _, _ := filterValid(bb, a.W, a.H, k)
	eAB, _, _ := filterValid(ab, a.W, a.H, k)

	c1 := (ssimK1 * ssimL) * (ssimK1 * ssimL)
	c2 := (ssimK2 * ssimL) * (ssimK2 * ssimL)
	var sum float64
	for i := 0; i < w*h; i++ {
		ma, mb := muA[i], muB[i]
		va := eAA[i] - ma*ma
		vb := eBB[i] - mb*mb
		cov := eAB[i] - ma*mb
		sum += ((2*ma*mb + c1) * (2*cov + c2)) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
	}
	return sum / float64(w*h)
}

// gaussian is a normalised 1-D Gaussian kernel; the 2-D window is its outer product.
func gaussian(size int, sigma float64) []float64 {
	k := make([]float64, size)
	c := float64(size-1) / 2
	var sum float64
	for i := range k {
		d := float64(i) - c
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// filterValid convolves a w x h plane with the separable kernel k, keeping only positions where
// the whole window lies inside the plane; it returns the result and its size.
func filterValid(src []float64, w, h int, k []float64) ([]float64, int, int) {
	n := len(k)
	ow, oh := w-n+1, h-n+1
	tmp := make([]float64, ow*h)
	for y := 0; y < h; y++ {
		row := src[y*w : (y+1)*w]
		for x := 0; x < ow; x++ {
			var s float64
			for i, kv := range k {
				s += kv * row[x+i]
			}
			tmp[y*ow+x] = s
		}
	}
	out := make([]float64, ow*oh)
	for y := 0; y < oh; y++ {
		o := out[y*ow : (y+1)*ow]
		for i, kv := range k {
			t := tmp[(y+i)*ow : (y+i+1)*ow]
			for x := range o {
				o[x] += kv * t[x]
			}
		}
	}
	return out, ow, oh
}
