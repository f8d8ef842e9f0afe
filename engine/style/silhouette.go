package style

import (
	"image"
	"math"
	"slices"
)

// Silhouette statistics: how a picture is drawn measured from the edge of the product inwards. A
// design team's style shows most plainly at the product's outline and just inside it: a dark or a
// coloured outline or none, a bevel or an inner highlight, a shadowed bottom edge, rounded or folded
// corners, flat fills or gradients. Whole-picture statistics (stats.go) average these away with the
// interior and the background; measured against the distance from the outline they do not depend on
// what the object is. On real icon themes they add about 8 points of held-out accuracy to the
// whole-picture statistics (README, "The style classifier on real styles").
//
// The picture is composited on white and padded square at silhouetteSize pixels, as the catalog's
// thumbnails are. The product is every pixel that differs from the backdrop (the median colour of the
// picture's border ring) by more than silhouetteTol in some channel, and the backdrop reads as white
// whatever its colour (where a gradient looks across the outline); the distance of a product pixel
// from the outline is a 3-4 chamfer distance, in pixels. The vector (silhouetteLen values) is:
//
//	profile   7×4  per distance band (1, 2, 3, 4–5, 6–8, 9–12, 13+ px): mean luminance less the product's
//	               mean, the luminance's standard deviation, mean saturation, square root of the band's share
//	gradient  7    mean luminance gradient per band
//	sides     4×2  within 4 px of an outline above, below, left or right of the pixel: mean luminance
//	               less the product's mean, mean saturation
//	depth     4×3  the same sides at 1, 2 and 3–4 px: mean luminance less the product's mean
//	outline   3×2  the opponent colour (red–green, yellow–blue) of the 1, 2 and 3 px bands less the product's
//	shading   1    mean luminance of the bottom third of the product less the top third's
//	flatness  6    share of neighbouring product pixels whose largest channel difference is 0, ≤2, ≤6,
//	               ≤16, ≤48 or more (square-rooted)
//	geometry  3+12 the product's bounding box width and height (share of the picture), the share of the
//	               box it fills; the share of each corner's 4, 8 and 16 px square of the box it fills
//	texture   2×25 at 128 and 64 px, over the product's pixels only: the whole-picture statistics'
//	               gradient orientations and levels, mean gradient and local binary patterns (appendGradLBP)
const (
	silhouetteSize = 128
	silhouetteTol  = 10
	silhouetteLen  = 7*4 + 7 + 4*2 + 4*3 + 3*2 + 1 + 6 + 3 + 12 + 2*25
)

// silhouetteBands are the upper ends (in pixels, inclusive) of the distance bands.
var silhouetteBands = [...]int{1, 2, 3, 5, 8, 12, math.MaxInt32}

func silhouetteBand(px int) int {
	for k, hi := range silhouetteBands {
		if px <= hi {
			return k
		}
	}
	return len(silhouetteBands) - 1
}

// silhouetteFeatures returns the silhouette statistics of an image (silhouetteLen values). A picture
// with no product pixels (blank, or all backdrop) gives zeros.
func silhouetteFeatures(img image.Image) []float64 {
	const S = silhouetteSize
	sq := squareOnWhite(img, S)
	n := S * S
	pix := func(i int) []uint8 { return sq.Pix[4*i : 4*i+3] }

	// The backdrop: the median colour of the border ring.
	var ring [3][]int
	for i := 0; i < n; i++ {
		if x, y := i%S, i/S; x == 0 || y == 0 || x == S-1 || y == S-1 {
			for c, v := range pix(i) {
				ring[c] = append(ring[c], int(v))
			}
		}
	}
	var bg [3]int
	for c := range ring {
		slices.Sort(ring[c])
		bg[c] = ring[c][len(ring[c])/2]
	}
	mask := make([]bool, n)
	lum, sat := make([]float64, n), make([]float64, n)
	var count, meanLum, meanO1, meanO2 float64
	minX, minY, maxX, maxY := S, S, -1, -1
	for i := 0; i < n; i++ {
		p := pix(i)
		diff := 0
		for c := range 3 {
			diff = max(diff, absInt(int(p[c])-bg[c]))
		}
		if diff <= silhouetteTol {
			lum[i] = 1 // the backdrop reads as white, whatever its colour
			continue
		}
		mask[i] = true
		r, g, b := float64(p[0])/255, float64(p[1])/255, float64(p[2])/255
		lum[i] = 0.299*r + 0.587*g + 0.114*b
		_, sat[i], _ = hsv(r, g, b)
		count++
		meanLum += lum[i]
		meanO1 += (r - g) / math.Sqrt2
		meanO2 += (r + g - 2*b) / math.Sqrt(6)
		x, y := i%S, i/S
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
	}
	out := make([]float64, 0, silhouetteLen)
	if count == 0 {
		return make([]float64, silhouetteLen)
	}
	meanLum /= count
	meanO1 /= count
	meanO2 /= count

	// Chamfer distance (3 a step, 4 a diagonal) to the nearest backdrop pixel or the picture's edge.
	d := chamfer(mask, S, true)
	at := func(x, y int) int {
		if x < 0 || y < 0 || x >= S || y >= S {
			return 0
		}
		return d[y*S+x]
	}

	bands := len(silhouetteBands)
	var (
		bandN, bandL, bandL2, bandS, bandG = make([]float64, bands), make([]float64, bands), make([]float64, bands), make([]float64, bands), make([]float64, bands)
		sideN, sideL, sideS                [4]float64
		depthN, depthL                     [4][3]float64
		ringN, ringO1, ringO2              [3]float64
		topN, topL, botN, botL             float64
		flat                               = make([]float64, 6)
	)
	height := float64(maxY - minY + 1)
	for y := 0; y < S; y++ {
		for x := 0; x < S; x++ {
			i := y*S + x
			if !mask[i] {
				continue
			}
			px := (d[i] + 1) / 3
			k := silhouetteBand(px)
			dl := lum[i] - meanLum
			bandN[k]++
			bandL[k] += dl
			bandL2[k] += dl * dl
			bandS[k] += sat[i]
			if x > 0 && y > 0 && x < S-1 && y < S-1 {
				gx, gy := lum[i+1]-lum[i-1], lum[i+S]-lum[i-S]
				bandG[k] += math.Hypot(gx, gy)
			}
			if px <= 3 {
				p := pix(i)
				r, g, b := float64(p[0])/255, float64(p[1])/255, float64(p[2])/255
				ringN[px-1]++
				ringO1[px-1] += (r - g) / math.Sqrt2
				ringO2[px-1] += (r + g - 2*b) / math.Sqrt(6)
			}
			if px <= 4 {
				// The side the outline lies on: where the distance falls fastest.
				gx, gy := at(x+1, y)-at(x-1, y), at(x, y+1)-at(x, y-1)
				side := 3 // the outline is to the right
				switch {
				case absInt(gy) >= absInt(gx) && gy > 0:
					side = 0 // above: the distance grows downwards
				case absInt(gy) >= absInt(gx):
					side = 1
				case gx > 0:
					side = 2
				}
				sideN[side]++
				sideL[side] += dl
				sideS[side] += sat[i]
				j := min(px, 3) - 1
				depthN[side][j]++
				depthL[side][j] += dl
			}
			switch fy := float64(y-minY) / height; {
			case fy < 1.0/3:
				topN, topL = topN+1, topL+lum[i]
			case fy >= 2.0/3:
				botN, botL = botN+1, botL+lum[i]
			}
			if x < S-1 && y < S-1 && mask[i+1] && mask[i+S] {
				p, q, r := pix(i), pix(i+1), pix(i+S)
				m := 0
				for c := range 3 {
					m = max(m, absInt(int(p[c])-int(q[c])), absInt(int(p[c])-int(r[c])))
				}
				switch {
				case m == 0:
					flat[0]++
				case m <= 2:
					flat[1]++
				case m <= 6:
					flat[2]++
				case m <= 16:
					flat[3]++
				case m <= 48:
					flat[4]++
				default:
					flat[5]++
				}
			}
		}
	}
	per := func(sum, n float64) float64 { return sum / math.Max(n, 1) }
	for k := range bands {
		m := per(bandL[k], bandN[k])
		out = append(out, m, math.Sqrt(math.Max(per(bandL2[k], bandN[k])-m*m, 0)), per(bandS[k], bandN[k]), math.Sqrt(bandN[k]/count))
	}
	for k := range bands {
		out = append(out, per(bandG[k], bandN[k]))
	}
	for s := range sideN {
		out = append(out, per(sideL[s], sideN[s]), per(sideS[s], sideN[s]))
	}
	for s := range depthN {
		for j := range depthN[s] {
			out = append(out, per(depthL[s][j], depthN[s][j]))
		}
	}
	for j := range ringN {
		out = append(out, per(ringO1[j], ringN[j])-meanO1, per(ringO2[j], ringN[j])-meanO2)
	}
	out = append(out, per(botL, botN)-per(topL, topN))
	out = appendHist(out, flat)

	width := float64(maxX - minX + 1)
	out = append(out, width/S, height/S, count/(width*height))
	for _, s := range [...]int{4, 8, 16} {
		for _, c := range [4][2]int{{minX, minY}, {maxX - s + 1, minY}, {minX, maxY - s + 1}, {maxX - s + 1, maxY - s + 1}} {
			var in float64
			for y := max(c[1], 0); y < min(c[1]+s, S); y++ {
				for x := max(c[0], 0); x < min(c[0]+s, S); x++ {
					if mask[y*S+x] {
						in++
					}
				}
			}
			out = append(out, in/float64(s*s))
		}
	}

	// Gradients and texture of the product alone, at full and half size (a half-size pixel is the
	// product's when all four of its pixels are).
	out = appendGradLBP(out, lum, S, mask)
	const H = S / 2
	lum2, mask2 := make([]float64, H*H), make([]bool, H*H)
	for y := 0; y < H; y++ {
		for x := 0; x < H; x++ {
			i := 2*y*S + 2*x
			lum2[y*H+x] = (lum[i] + lum[i+1] + lum[i+S] + lum[i+S+1]) / 4
			mask2[y*H+x] = mask[i] && mask[i+1] && mask[i+S] && mask[i+S+1]
		}
	}
	return appendGradLBP(out, lum2, H, mask2)
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
