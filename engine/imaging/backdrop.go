package imaging

import (
	"image"
	"image/draw"
	"math"
	"slices"
)

// BackdropKind says what a product picture's background is, as the backdrop step found it.
type BackdropKind uint8

const (
	// BackdropNone: no background was found (the product fills the frame, or the picture is a
	// scene); the stylizer then changes the whole picture.
	BackdropNone BackdropKind = iota
	// BackdropAlpha: the picture has transparency; its fully transparent pixels are the background.
	BackdropAlpha
	// BackdropFlat: one colour, give or take backdropTol (white, a cream or black studio backdrop).
	BackdropFlat
	// BackdropGradient: a smooth colour ramp (a studio sweep, a vignette).
	BackdropGradient
	// BackdropTextured: a texture on a smooth base (a wooden table, fabric, a patterned wall).
	BackdropTextured
)

func (k BackdropKind) String() string {
	switch k {
	case BackdropAlpha:
		return "alpha"
	case BackdropFlat:
		return "flat"
	case BackdropGradient:
		return "gradient"
	case BackdropTextured:
		return "textured"
	}
	return "none"
}

// Mask is a product mask: Product[y*W+x] is true on the product, false on its background.
type Mask struct {
	W, H    int
	Product []bool
	Kind    BackdropKind
}

// ProductMask finds the product in img at img's own resolution (see findBackdrop). With
// Kind BackdropNone every pixel is product.
func ProductMask(img image.Image) Mask {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	m := Mask{W: w, H: h, Product: make([]bool, w*h)}
	if w == 0 || h == 0 {
		return m
	}
	rgb, alpha := readPlanes(img, w, h)
	isBg, kind := findBackdrop(rgb, alpha, w, h)
	m.Kind = kind
	for k := range m.Product {
		if kind == BackdropAlpha {
			// The backdrop step keeps only the fully transparent pixels; a product mask, like
			// quality.ForegroundMask, is what is more than half opaque (not a faint drop shadow).
			m.Product[k] = alpha[k] > 0.5
		} else {
			m.Product[k] = isBg == nil || !isBg[k]
		}
	}
	return m
}

// readPlanes reads img box-averaged onto a w×h grid (w, h at most img's size): the colour
// composited on white, as the generator sees it (3 per pixel, 0–255), and the coverage (0–1; nil
// when img is opaque everywhere). It reads in strips, so memory is the planes plus one strip.
func readPlanes(img image.Image, w, h int) (rgb, alpha []float32) {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	sum := make([]float32, 4*w*h) // premultiplied r, g, b and alpha, 0–1 (a cell sums < 2^24/255 pixels)
	xcell := make([]int, W)
	for x := range xcell {
		xcell[x] = x * w / W
	}
	const stripRows = 32
	strip := image.NewRGBA(image.Rect(0, 0, W, min(stripRows, H)))
	opaque := true
	for y0 := 0; y0 < H; y0 += stripRows {
		rows := min(stripRows, H-y0)
		draw.Draw(strip, image.Rect(0, 0, W, rows), img, image.Pt(b.Min.X, b.Min.Y+y0), draw.Src)
		for r := 0; r < rows; r++ {
			cy := (y0 + r) * h / H
			p := strip.Pix[r*strip.Stride : r*strip.Stride+4*W]
			for x := 0; x < W; x++ {
				k := cy*w + xcell[x]
				q := p[4*x : 4*x+4 : 4*x+4]
				if q[3] != 0xff {
					opaque = false
				}
				sum[4*k] += float32(q[0])
				sum[4*k+1] += float32(q[1])
				sum[4*k+2] += float32(q[2])
				sum[4*k+3] += float32(q[3]) / 255
			}
		}
	}
	rgb = make([]float32, 3*w*h)
	if !opaque {
		alpha = make([]float32, w*h)
	}
	// Cell (cx, cy) covers the source columns x with x*w/W == cx: ceil((cx+1)W/w) − ceil(cx·W/w).
	first := func(c, n, N int) int { return (c*N + n - 1) / n }
	for cy := 0; cy < h; cy++ {
		ny := first(cy+1, h, H) - first(cy, h, H)
		for cx := 0; cx < w; cx++ {
			cnt := float32(ny * (first(cx+1, w, W) - first(cx, w, W)))
			if cnt == 0 {
				continue
			}
			k := cy*w + cx
			a := sum[4*k+3] / cnt
			for c := 0; c < 3; c++ {
				rgb[3*k+c] = sum[4*k+c]/cnt + 255*(1-a) // premultiplied over white
			}
			if alpha != nil {
				alpha[k] = a
			}
		}
	}
	return rgb, alpha
}

// The backdrop model (findBackdrop).
const (
	// alphaShare: at least this share of a picture's pixels must be fully transparent for its alpha
	// to be the mask (an RGBA file that is opaque everywhere is treated as opaque).
	alphaShare = 0.01
	// backdropSeedShare: at least this share of the border ring must fit the border's smooth model,
	// else there is no backdrop (a scene, or a product that fills the frame).
	backdropSeedShare = 0.6
	// backdropFloor is the least tolerance, in 8-bit levels per channel, of a pixel (and of a local
	// mean) against the backdrop model; it is the flat-backdrop tolerance the stylizer always used.
	backdropFloor = backdropTol
	// backdropSpeck: product components smaller than this share of the picture are texture, not product.
	backdropSpeck = 0.005
	// backdropRounds: how many times the model is refitted to the background found so far.
	backdropRounds = 6
	// backdropTextureQ: a backdrop is textured when this quantile of its border ring's pixels stray
	// from the smooth model by more than backdropTol (sparse marks, grain, wood).
	backdropTextureQ = 0.97
	// backdropMarks: a backdrop is also textured when specks of product (components under
	// backdropSpeck of the picture) off the model by at most backdropMarkRes on average make up
	// this share of it: sparse dashes or flecks, not a dark logo on white.
	backdropMarks = 0.01
	// backdropFlatSpread: a backdrop 99% of which lies within this of its median (8-bit levels, every
	// channel) is flat: a light vignette and grain (the demo's vintage paper) are still one colour to
	// restyle evenly; a studio sweep spans far more.
	backdropFlatSpread = 36
	backdropMarkRes    = 80
)

// findBackdrop finds the background of a w×h picture (rgb composited on white, 3 per pixel;
// alpha its coverage or nil) and returns it (isBg[y*w+x]) with its kind, or nil and BackdropNone.
//
// Where the picture has transparency (at least alphaShare fully transparent), the background is
// exactly its fully transparent pixels. Otherwise the background is not assumed flat:
//
//  1. A smooth model of the backdrop, a quadratic in x and y per channel, is fitted to the border
//     ring by iteratively reweighted least squares (pixels far off the fit, such as a product that
//     touches the edge, are dropped and the fit repeated). Steps 2–3 then run backdropRounds
//     times, each after refitting the model, now up to degree 4, to the whole background found
//     so far: a studio sweep, a vignette or a spotlight's bright centre is followed inwards.
//  2. Around every pixel the residual against the model is summarised over a small window: its
//     mean (a texture has mean near zero; a product does not) and its standard deviation (a
//     texture's energy; a flat product on a texture has less, an edge more). The tolerances for
//     both, and for a single pixel's residual, come from the border ring's own statistics, never
//     below backdropFloor, so a grainy table gets a wide tolerance and a flat backdrop today's.
//  3. The background grows from the border ring's fitting pixels through 4-connected pixels that
//     pass all three tests; then, since the windows blur the edge, it grows up to the window's
//     radius more through pixels that pass the pixel test alone and are nearer the model than the
//     product pixels around them (so a thin headband on a wooden table is not eaten).
//  4. Specks of product (under backdropSpeck of the picture) that stray from the model no more
//     than a texture would (backdropMarkRes) become background: a table's flecks, not a logo.
//     On a textured backdrop only: a 3×3 opening of the product, holes in the product
//     (background not reached from the border) become product, and all specks become
//     background. (On a smooth backdrop a thin stroke or a small dark logo is product.)
//
// Kind is BackdropTextured when over 3% of the border ring strays from the smooth model by more
// than backdropTol, or such specks make up backdropMarks of the background; else BackdropFlat
// when 99% of the background lies within backdropFlatSpread of its median in every channel;
// else BackdropGradient. A background under backdropMin or over backdropMax of the picture is
// none.
func findBackdrop(rgb, alpha []float32, w, h int) ([]bool, BackdropKind) {
	n := w * h
	if w < 4 || h < 4 {
		return nil, BackdropNone
	}
	if alpha != nil {
		isBg := make([]bool, n)
		transparent := 0
		for k, a := range alpha {
			if a == 0 {
				isBg[k] = true
				transparent++
			}
		}
		if float64(transparent) >= alphaShare*float64(n) {
			return isBg, BackdropAlpha
		}
	}

	// 1. The border ring and the smooth model.
	ringW := max(1, min(w, h)/32)
	var ring []int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < ringW || y < ringW || x >= w-ringW || y >= h-ringW {
				ring = append(ring, y*w+x)
			}
		}
	}
	coef := flatCoef(rgb, ring)
	var bases [][nBasis]float64 // fitBackdrop's, reused
	coef, inlier := fitBackdrop(rgb, w, h, ring, coef, quadBasis, &bases)
	seeds := 0
	for _, in := range inlier {
		if in {
			seeds++
		}
	}
	if float64(seeds) < backdropSeedShare*float64(len(ring)) {
		return nil, BackdropNone
	}
	r := max(1, min(w, h)/64)
	isBg := make([]bool, n)
	var texture float32
	res := make([]float32, 3*n) // the residual against the last model
	var st statsBuf
	step := make([]int32, n)
	prev := make([]bool, n) // the previous round's background
	var queue []int
	// 2–3, three times: each round refits the model to the whole background found so far, which
	// reaches farther in than the ring (a spotlight's bright centre, a sweep's curve).
	for round := 0; round < backdropRounds; round++ {
		if round > 0 {
			var bg []int
			for k, b := range isBg {
				if b {
					bg = append(bg, k)
				}
			}
			if len(bg) < 4*nBasis {
				break // too little to refit 15 terms to; keep the last round's background
			}
			coef, _ = fitBackdrop(rgb, w, h, bg, coef, nBasis, &bases)
		}
		residual(res, rgb, w, h, coef)
		localStats(&st, res, w, h, r)
		mean, dev := st.mean, st.dev
		pix := func(k int) float32 { return maxAbs3(res[3*k : 3*k+3]) }
		meanD := func(k int) float32 { return maxAbs3(mean[3*k : 3*k+3]) }
		var ps, ms, ds []float32
		for i, k := range ring {
			if inlier[i] {
				ps = append(ps, pix(k))
				ms = append(ms, meanD(k))
				ds = append(ds, dev[k])
			}
		}
		devMid := quantile(ds, 0.5)
		for i := range ds {
			ds[i] = float32(math.Abs(float64(ds[i] - devMid)))
		}
		all := make([]float32, len(ring))
		for i, k := range ring {
			all[i] = pix(k)
		}
		texture = quantile(all, backdropTextureQ)
		tPix := max(backdropFloor, 1.25*quantile(ps, 0.99))
		tMean := max(backdropFloor/2, 1.5*quantile(ms, 0.95))
		tDev := max(4, 2*quantile(ds, 0.95))
		like := func(k int) bool {
			return pix(k) <= tPix && meanD(k) <= tMean && float32(math.Abs(float64(dev[k]-devMid))) <= tDev
		}
		// Grow from the border, then refine the edge by the pixel test alone.
		clear(isBg)
		queue = queue[:0]
		for i, k := range ring {
			if inlier[i] && like(k) && !isBg[k] {
				isBg[k] = true
				queue = append(queue, k)
			}
		}
		queue = breadthFirst(queue, w, h, func(_, j int) bool {
			if isBg[j] || !like(j) {
				return false
			}
			isBg[j] = true
			return true
		})
		clear(step)
		breadthFirst(queue, w, h, func(k, j int) bool {
			if isBg[j] || step[k] > int32(r) || pix(j) > tPix || !nearerBackdrop(rgb, isBg, w, h, r, j, pix(j)) {
				return false
			}
			isBg[j] = true
			step[j] = step[k] + 1
			return true
		})
		if slices.Equal(isBg, prev) {
			break // converged: another refit would find the same background
		}
		copy(prev, isBg)
	}

	// The kind, from the background as grown.
	bgCount := 0
	var vals [3][]float32
	for k, bg := range isBg {
		if bg {
			bgCount++
			for c := 0; c < 3; c++ {
				vals[c] = append(vals[c], rgb[3*k+c])
			}
		}
	}
	// Flat when 99% of the background lies within backdropFlatSpread of its median in every channel.
	var spread float32
	for c := range vals {
		v := vals[c]
		mid := quantile(v, 0.5)
		lo, hi := quantile(v, 0.005), quantile(v, 0.995)
		spread = max(spread, mid-lo, hi-mid)
	}
	// Marks too sparse to show in the ring (dashes, flecks) are left as specks of product that stray
	// from the model by no more than a texture would. They are backdrop (so the backdrop step treats
	// them with it, not as product) and, when they are many, make it textured.
	var marks int
	minArea := int(backdropSpeck * float64(n))
	eachSpeck(isBg, w, h, minArea, func(comp []int) {
		var sum float32
		for _, k := range comp {
			sum += maxAbs3(res[3*k : 3*k+3])
		}
		if sum/float32(len(comp)) <= backdropMarkRes {
			marks += len(comp)
			for _, k := range comp {
				isBg[k] = true
			}
		}
	})
	kind := BackdropTextured
	switch {
	case texture > backdropTol || float64(marks) >= backdropMarks*float64(bgCount+marks):
	case spread <= backdropFlatSpread:
		kind = BackdropFlat
	default:
		kind = BackdropGradient
	}

	// 4. Clean-up, on a texture only (on a smooth backdrop a thin stroke or a small logo is product):
	// a 3×3 opening of the product, the background regrown from the border, and product specks
	// dropped.
	if kind == BackdropTextured {
		product := make([]bool, n)
		for k := range product {
			product[k] = !isBg[k]
		}
		product = dilate(erode(product, w, h), w, h)
		clear(isBg)
		var queue []int
		for _, k := range ring {
			if !product[k] && !isBg[k] {
				isBg[k] = true
				queue = append(queue, k)
			}
		}
		breadthFirst(queue, w, h, func(_, j int) bool {
			if isBg[j] || product[j] {
				return false
			}
			isBg[j] = true
			return true
		})
		eachSpeck(isBg, w, h, minArea, func(comp []int) {
			for _, k := range comp {
				isBg[k] = true
			}
		})
		bgCount = 0
		for _, b := range isBg {
			if b {
				bgCount++
			}
		}
	}
	share := float64(bgCount) / float64(n)
	if share < backdropMin || share > backdropMax {
		return nil, BackdropNone
	}
	return isBg, kind
}

// polyCoef is the backdrop model: per channel, c0 + c1·u + c2·v + c3·u² + c4·uv + c5·v² with u, v
// the pixel's place scaled to [−1, 1].
type polyCoef [3][nBasis]float64

// nBasis: the terms up to degree 4 in u and v. A fit to the border ring alone uses those up to
// degree 2 (quadDegree); refits to the background found inside use all.
const (
	nBasis    = 15
	quadBasis = 6
	// fitSamples: the most pixels a fit reads (evenly spread over those given).
	fitSamples = 1200
	// fitRounds: reweighting rounds of one fit.
	fitRounds = 4
	// fitCutMax: the most a border pixel may stray from the fit (8-bit levels) and still count.
	fitCutMax = 48
)

func basis(k, w, h int) [nBasis]float64 {
	u := 2*float64(k%w)/float64(max(1, w-1)) - 1
	v := 2*float64(k/w)/float64(max(1, h-1)) - 1
	u2, v2 := u*u, v*v
	return [nBasis]float64{1, u, v, u2, u * v, v2, u2 * u, u2 * v, u * v2, v2 * v, u2 * u2, u2 * u * v, u2 * v2, u * v2 * v, v2 * v2}
}

// flatCoef is the flat model at the median colour of the pixels idx.
func flatCoef(rgb []float32, idx []int) polyCoef {
	var coef polyCoef
	vals := make([]float32, len(idx))
	for c := 0; c < 3; c++ {
		for i, k := range idx {
			vals[i] = rgb[3*k+c]
		}
		coef[c][0] = float64(quantile(vals, 0.5))
	}
	return coef
}

// residual sets res to rgb minus the model, 3 per pixel.
func residual(res, rgb []float32, w, h int, coef polyCoef) {
	for k := 0; k < w*h; k++ {
		b := basis(k, w, h)
		for c := 0; c < 3; c++ {
			var m float64
			for i, v := range b {
				m += coef[c][i] * v
			}
			res[3*k+c] = rgb[3*k+c] - float32(m)
		}
	}
}

// nearerBackdrop says whether pixel j, off the backdrop model by pix, is nearer to it than to the
// mean colour of the product pixels (not yet background) in its (2r+1)² window: at a product's edge
// on a strong texture the pixel test alone would eat thin parts (a headband, a cable).
func nearerBackdrop(rgb []float32, isBg []bool, w, h, r, j int, pix float32) bool {
	x, y := j%w, j/w
	var sum [3]float32
	cnt := 0
	for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
		for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
			i := yy*w + xx
			if i == j || isBg[i] {
				continue
			}
			for c := 0; c < 3; c++ {
				sum[c] += rgb[3*i+c]
			}
			cnt++
		}
	}
	if cnt == 0 {
		return true
	}
	f := float32(cnt)
	return pix < maxAbs3([]float32{rgb[3*j] - sum[0]/f, rgb[3*j+1] - sum[1]/f, rgb[3*j+2] - sum[2]/f})
}

// fitBackdrop fits the model to the pixels idx of rgb by reweighted least squares, starting from
// coef: each round drops the pixels far off the current fit (a product that touches the edge) and
// refits the rest. It returns the model and which of idx it fits; buf is scratch space.
func fitBackdrop(rgb []float32, w, h int, idx []int, coef polyCoef, terms int, buf *[][nBasis]float64) (polyCoef, []bool) {
	ring := idx
	if len(idx) > fitSamples { // an even sample is plenty for 15 terms
		ring = make([]int, 0, fitSamples)
		for i := 0; i < fitSamples; i++ {
			ring = append(ring, idx[i*len(idx)/fitSamples])
		}
	}
	bases := slices.Grow((*buf)[:0], len(ring))[:len(ring)]
	*buf = bases
	for i, k := range ring {
		bases[i] = basis(k, w, h)
	}
	eval := func(i, c int) float64 {
		var s float64
		for t, v := range bases[i] {
			s += coef[c][t] * v
		}
		return s
	}
	inlier := make([]bool, len(ring))
	resid := make([]float32, len(ring))
	var cut float32
	for iter := 0; iter < fitRounds; iter++ {
		for i, k := range ring {
			var d float64
			for c := 0; c < 3; c++ {
				d = max(d, math.Abs(float64(rgb[3*k+c])-eval(i, c)))
			}
			resid[i] = float32(d)
		}
		sorted := slices.Clone(resid)
		med := quantile(sorted, 0.5)
		for i := range sorted {
			sorted[i] = float32(math.Abs(float64(sorted[i] - med)))
		}
		// A texture widens the cut; nothing widens it past fitCutMax (half the border black, half white).
		cut = min(fitCutMax, med+max(12, 3*1.4826*quantile(sorted, 0.5)))
		for i := range ring {
			inlier[i] = resid[i] <= cut
		}
		ata := make([][]float64, terms)
		for p := range ata {
			ata[p] = make([]float64, terms)
		}
		atb := make([][]float64, 3)
		for c := range atb {
			atb[c] = make([]float64, terms)
		}
		for i, k := range ring {
			if !inlier[i] {
				continue
			}
			b := &bases[i]
			for p := 0; p < terms; p++ {
				row := ata[p]
				for q := p; q < terms; q++ {
					row[q] += b[p] * b[q]
				}
				for c := 0; c < 3; c++ {
					atb[c][p] += b[p] * float64(rgb[3*k+c])
				}
			}
		}
		for p := 0; p < terms; p++ {
			for q := 0; q < p; q++ {
				ata[p][q] = ata[q][p]
			}
			ata[p][p] += 1e-6*ata[0][0] + 1e-9
		}
		for c := 0; c < 3; c++ {
			if sol, ok := solveLinear(ata, atb[c]); ok {
				coef[c] = [nBasis]float64{}
				copy(coef[c][:], sol)
			}
		}
	}
	// Which of all the pixels given the final model fits, by the last round's cut.
	all := make([]bool, len(idx))
	for i, k := range idx {
		b := basis(k, w, h)
		all[i] = true
		for c := 0; c < 3; c++ {
			var m float64
			for t, v := range b {
				m += coef[c][t] * v
			}
			if math.Abs(float64(rgb[3*k+c])-m) > float64(cut) {
				all[i] = false
			}
		}
	}
	return coef, all
}

// solveLinear solves a·x = b (a square) by Gaussian elimination with partial pivoting, on copies.
func solveLinear(a0 [][]float64, b0 []float64) ([]float64, bool) {
	n := len(b0)
	a := make([][]float64, n)
	for i := range a {
		a[i] = slices.Clone(a0[i])
	}
	b := slices.Clone(b0)
	for col := 0; col < n; col++ {
		p := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12 {
			return nil, false
		}
		a[col], a[p] = a[p], a[col]
		b[col], b[p] = b[p], b[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			for q := col; q < n; q++ {
				a[r][q] -= f * a[col][q]
			}
			b[r] -= f * b[col]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for q := r + 1; q < n; q++ {
			s -= a[r][q] * x[q]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// statsBuf holds localStats's integral images and results between calls.
type statsBuf struct {
	sums      []float64
	mean, dev []float32
}

// localStats sets b.mean and b.dev to, over the (2r+1)² window around each pixel (clipped at the edges), the mean of
// res per channel and the standard deviation averaged over the channels.
func localStats(b *statsBuf, res []float32, w, h, r int) {
	n := w * h
	if len(b.dev) != n {
		b.sums = make([]float64, 6*(w+1)*(h+1))
		b.mean = make([]float32, 3*n)
		b.dev = make([]float32, n)
	}
	// Integral images of each channel and its square (row 0 and column 0 stay zero).
	s, mean, dev := b.sums, b.mean, b.dev
	at := func(x, y, c int) int { return 6*(y*(w+1)+x) + c }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				v := float64(res[3*(y*w+x)+c])
				for j, t := range [2]float64{v, v * v} {
					cc := c + 3*j
					s[at(x+1, y+1, cc)] = t + s[at(x, y+1, cc)] + s[at(x+1, y, cc)] - s[at(x, y, cc)]
				}
			}
		}
	}
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-r), min(h, y+r+1)
		for x := 0; x < w; x++ {
			x0, x1 := max(0, x-r), min(w, x+r+1)
			cnt := float64((y1 - y0) * (x1 - x0))
			var sd float64
			for c := 0; c < 3; c++ {
				box := func(cc int) float64 {
					return s[at(x1, y1, cc)] - s[at(x0, y1, cc)] - s[at(x1, y0, cc)] + s[at(x0, y0, cc)]
				}
				m := box(c) / cnt
				mean[3*(y*w+x)+c] = float32(m)
				sd += math.Sqrt(max(0, box(c+3)/cnt-m*m))
			}
			dev[y*w+x] = float32(sd / 3)
		}
	}
	_ = n
}

// erode and dilate apply a 3×3 square structuring element to a w×h mask; outside the picture
// counts as not set for erode's neighbours only where they exist (edges are not eroded by the frame).
func erode(m []bool, w, h int) []bool  { return morph(m, w, h, true) }
func dilate(m []bool, w, h int) []bool { return morph(m, w, h, false) }

func morph(m []bool, w, h int, all bool) []bool {
	out := make([]bool, len(m))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := all
			for j := max(0, y-1); j <= min(h-1, y+1) && v == all; j++ {
				for i := max(0, x-1); i <= min(w-1, x+1); i++ {
					if m[j*w+i] != all {
						v = !all
						break
					}
				}
			}
			out[y*w+x] = v
		}
	}
	return out
}

// eachSpeck calls f with every product component (4-connected run of !isBg) smaller than minArea.
func eachSpeck(isBg []bool, w, h, minArea int, f func(comp []int)) {
	if minArea < 2 {
		return
	}
	seen := make([]bool, len(isBg))
	for k := range isBg {
		if isBg[k] || seen[k] {
			continue
		}
		seen[k] = true
		comp := breadthFirst([]int{k}, w, h, func(_, j int) bool {
			if isBg[j] || seen[j] {
				return false
			}
			seen[j] = true
			return true
		})
		if len(comp) < minArea {
			f(comp)
		}
	}
}

func maxAbs3(v []float32) float32 {
	return max(float32(math.Abs(float64(v[0]))), float32(math.Abs(float64(v[1]))), float32(math.Abs(float64(v[2]))))
}

// quantile returns the q-quantile of vals (reordering it); 0 for none.
func quantile(vals []float32, q float64) float32 {
	if len(vals) == 0 {
		return 0
	}
	slices.Sort(vals)
	return vals[min(len(vals)-1, int(q*float64(len(vals))))]
}
