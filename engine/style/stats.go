package style

import (
	"image"
	"math"
)

// Style statistics: a fixed, hand-made description of how a picture is drawn rather than what it shows:
// its palette, how its edges run and how sharp they are, its fine texture and the colour of its outlines.
// A real design team's style lives in exactly these (a flat palette or gradients, thin dark outlines or
// none, soft shading or hard), and, unlike a small CNN's features, they do not have to be learned from
// the few dozen labeled pictures a style usually has, so they carry over to objects the classifier never
// saw in that style.
//
// Every statistic is computed on the image as inference sees it (composited on white and padded square)
// at statsSize pixels. The vector (statsLen values) is, in order:
//
//	rgb      64  joint RGB histogram, 4 levels a channel, share of pixels
//	hue      12  hue histogram weighted by saturation·value, of the non-white pixels
//	sat       6  saturation histogram of the non-white pixels
//	val       6  value (brightness) histogram of the non-white pixels
//	satval   16  joint saturation×value histogram (4×4) of the non-white pixels
//	grad     2×15 per scale (statsSize and statsSize/2): 8 gradient orientations weighted by magnitude,
//	             6 magnitude levels (share of pixels), mean magnitude
//	lbp      2×10 per scale: uniform local binary patterns (8 neighbours, 9 uniform codes + the rest)
//	moments  10  mean and standard deviation of the three opponent colour channels, their RGB
//	             covariances (3), colourfulness
//	edges    11  the colour at strong edges: joint 2×2×2 RGB histogram, mean R, G, B
//	ink       2  share of non-white pixels, share of near-black pixels
//	silhouette   silhouetteLen values measured from the product's outline inwards (silhouette.go)
//	alpha        alphaLen values from the picture's transparency, zeros without one (alpha.go)
//
// Histograms are square-rooted (the Hellinger map), which makes small bins count and Euclidean
// distance meaningful for the linear model that reads them.
const (
	statsSize = 96
	// pictureStatsLen counts the whole-picture statistics, everything before the silhouette's.
	pictureStatsLen = 64 + 12 + 6 + 6 + 16 + 2*15 + 2*10 + 10 + 11 + 2
	statsLen        = pictureStatsLen + silhouetteLen + alphaLen
)

// statsFeatures returns the style statistics of an image (statsLen values).
func statsFeatures(img image.Image) []float32 {
	f := make([]float32, 0, statsLen)
	f = append(f, pictureStatsF32(img)...)
	for _, v := range silhouetteFeatures(img) {
		f = append(f, float32(v))
	}
	for _, v := range alphaFeatures(img) {
		f = append(f, float32(v))
	}
	return f
}

// pictureStatsF32 is pictureStats in the float32 the statistics are kept in.
func pictureStatsF32(img image.Image) []float32 {
	pic := pictureStats(img)
	f := make([]float32, len(pic))
	for i, v := range pic {
		f[i] = float32(v)
	}
	return f
}

// pictureStats returns the whole-picture statistics of an image (pictureStatsLen values).
func pictureStats(img image.Image) []float64 {
	sq := squareOnWhite(img, statsSize)
	n := statsSize * statsSize
	r, g, b := make([]float64, n), make([]float64, n), make([]float64, n)
	for y := 0; y < statsSize; y++ {
		row := sq.Pix[y*sq.Stride:]
		for x := 0; x < statsSize; x++ {
			i := y*statsSize + x
			r[i] = float64(row[4*x]) / 255
			g[i] = float64(row[4*x+1]) / 255
			b[i] = float64(row[4*x+2]) / 255
		}
	}
	out := make([]float64, 0, pictureStatsLen)

	// Palette.
	rgb := make([]float64, 64)
	hue := make([]float64, 12)
	sat := make([]float64, 6)
	val := make([]float64, 6)
	sv := make([]float64, 16)
	ink, black := 0.0, 0.0
	for i := 0; i < n; i++ {
		q := func(v float64) int { return min(3, int(v*4)) }
		rgb[q(r[i])*16+q(g[i])*4+q(b[i])]++
		h, s, v := hsv(r[i], g[i], b[i])
		if r[i] > 0.96 && g[i] > 0.96 && b[i] > 0.96 {
			continue
		}
		ink++
		if v < 0.15 {
			black++
		}
		hue[min(11, int(h*12))] += s * v
		sat[min(5, int(s*6))]++
		val[min(5, int(v*6))]++
		sv[min(3, int(s*4))*4+min(3, int(v*4))]++
	}
	out = appendHist(out, rgb)
	out = appendHist(out, hue)
	out = appendHist(out, sat)
	out = appendHist(out, val)
	out = appendHist(out, sv)

	// Edges and texture at two scales.
	lum := make([]float64, n)
	for i := range lum {
		lum[i] = 0.299*r[i] + 0.587*g[i] + 0.114*b[i]
	}
	out = appendGradLBP(out, lum, statsSize, nil)
	half := statsSize / 2
	lum2 := make([]float64, half*half)
	for y := 0; y < half; y++ {
		for x := 0; x < half; x++ {
			i := 2*y*statsSize + 2*x
			lum2[y*half+x] = (lum[i] + lum[i+1] + lum[i+statsSize] + lum[i+statsSize+1]) / 4
		}
	}
	out = appendGradLBP(out, lum2, half, nil)

	// Colour moments (opponent channels), RGB covariances and colourfulness (Hasler and Süsstrunk).
	var o [3][]float64
	for k := range o {
		o[k] = make([]float64, n)
	}
	rg, yb := make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		o[0][i] = (r[i] - g[i]) / math.Sqrt2
		o[1][i] = (r[i] + g[i] - 2*b[i]) / math.Sqrt(6)
		o[2][i] = (r[i] + g[i] + b[i]) / math.Sqrt(3)
		rg[i] = r[i] - g[i]
		yb[i] = (r[i]+g[i])/2 - b[i]
	}
	for k := range o {
		m, s := meanStd(o[k])
		out = append(out, m, s)
	}
	out = append(out, cov(r, g), cov(g, b), cov(r, b))
	mrg, srg := meanStd(rg)
	myb, syb := meanStd(yb)
	out = append(out, math.Hypot(srg, syb)+0.3*math.Hypot(mrg, myb))

	// The colour where the picture has strong edges (outlines, borders).
	edge := make([]float64, 8)
	var er, eg, eb, ew float64
	for y := 1; y < statsSize-1; y++ {
		for x := 1; x < statsSize-1; x++ {
			i := y*statsSize + x
			gx := lum[i+1] - lum[i-1]
			gy := lum[i+statsSize] - lum[i-statsSize]
			if gx*gx+gy*gy < 0.04 {
				continue
			}
			// The darker side of an edge is the line's colour.
			j := i
			for _, c := range [4]int{i + 1, i - 1, i + statsSize, i - statsSize} {
				if lum[c] < lum[j] {
					j = c
				}
			}
			edge[min(1, int(r[j]*2))*4+min(1, int(g[j]*2))*2+min(1, int(b[j]*2))]++
			er, eg, eb, ew = er+r[j], eg+g[j], eb+b[j], ew+1
		}
	}
	out = appendHist(out, edge)
	if ew > 0 {
		out = append(out, er/ew, eg/ew, eb/ew)
	} else {
		out = append(out, 1, 1, 1)
	}
	out = append(out, ink/float64(n), math.Sqrt(black/math.Max(ink, 1)))
	return out
}

// appendGradLBP appends one scale's gradient and texture statistics of a w×w luminance plane, over
// the pixels keep marks (every pixel when keep is nil).
func appendGradLBP(out, lum []float64, w int, keep []bool) []float64 {
	orient := make([]float64, 8)
	mag := make([]float64, 6)
	lbp := make([]float64, 10)
	var total, count float64
	for y := 1; y < w-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if keep != nil && !keep[i] {
				continue
			}
			// Sobel.
			gx := (lum[i-w+1] + 2*lum[i+1] + lum[i+w+1]) - (lum[i-w-1] + 2*lum[i-1] + lum[i+w-1])
			gy := (lum[i+w-1] + 2*lum[i+w] + lum[i+w+1]) - (lum[i-w-1] + 2*lum[i-w] + lum[i-w+1])
			m := math.Hypot(gx, gy)
			count++
			total += m
			if m > 1e-3 {
				a := math.Atan2(gy, gx)
				if a < 0 {
					a += math.Pi
				}
				orient[min(7, int(a/math.Pi*8))] += m
			}
			// Magnitude levels on a log scale: flat, faint shading, soft, medium, strong, hard edges.
			lvl := 0
			for _, t := range [5]float64{0.01, 0.05, 0.2, 0.6, 1.5} {
				if m > t {
					lvl++
				}
			}
			mag[lvl]++
			// Uniform LBP with a small tolerance, so flat areas read as flat despite anti-aliasing.
			c := lum[i] + 0.02
			nb := [8]float64{lum[i-w-1], lum[i-w], lum[i-w+1], lum[i+1], lum[i+w+1], lum[i+w], lum[i+w-1], lum[i-1]}
			ones, trans := 0, 0
			for k := 0; k < 8; k++ {
				bit := 0
				if nb[k] >= c {
					bit = 1
				}
				next := 0
				if nb[(k+1)%8] >= c {
					next = 1
				}
				if bit != next {
					trans++
				}
				ones += bit
			}
			if trans <= 2 {
				lbp[ones]++
			} else {
				lbp[9]++
			}
		}
	}
	out = appendHist(out, orient)
	out = appendHist(out, mag)
	out = append(out, total/math.Max(count, 1))
	return appendHist(out, lbp)
}

// appendHist appends the square roots of a histogram's shares (all zeros for an empty histogram).
func appendHist(out, h []float64) []float64 {
	var s float64
	for _, v := range h {
		s += v
	}
	for _, v := range h {
		if s > 0 {
			out = append(out, math.Sqrt(v/s))
		} else {
			out = append(out, 0)
		}
	}
	return out
}

func hsv(r, g, b float64) (h, s, v float64) {
	mx := math.Max(r, math.Max(g, b))
	mn := math.Min(r, math.Min(g, b))
	v = mx
	if mx <= 0 {
		return 0, 0, 0
	}
	d := mx - mn
	s = d / mx
	if d == 0 {
		return 0, s, v
	}
	switch mx {
	case r:
		h = (g - b) / d
		if h < 0 {
			h += 6
		}
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	return h / 6, s, v
}

func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)))
}

func cov(a, b []float64) float64 {
	ma, _ := meanStd(a)
	mb, _ := meanStd(b)
	var s float64
	for i := range a {
		s += (a[i] - ma) * (b[i] - mb)
	}
	return s / float64(len(a))
}
