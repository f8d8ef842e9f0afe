package demo

import (
	"image"
	"math"
)

// Stroke widths in normalised units.
const (
	edgeW  = 0.009  // part outlines (half of it lies inside the part)
	seamW  = 0.0045 // decorative seams
	neonW  = 0.016  // neon tube outlines
	fgDev  = 0.19   // minimum product/background channel difference
	stitch = 0.0055 // denim top-stitching thread
)

// look is the per-style recipe evaluated by render.
type look struct {
	fill      func(t tone, x, y int) rgb // product colour per tone and pixel
	edge      rgb                        // outline colour
	edgeK     float32                    // outline opacity
	seamK     float32                    // seam opacity
	seam      rgb
	shadow    float32 // soft drop shadow strength (white backgrounds)
	shading   float32 // darkening towards the silhouette edges
	stitchCol rgb     // denim stitching; zero opacity when stitchK == 0
	stitchK   float32
}

// render rasterises the shape and applies the style.
func render(sh *shape, p *sp, def *styleDef, n int) *image.NRGBA {
	N := n * n
	cv := newCanvas(n)
	parts := sh.parts
	neon := def.info.Name == "neon"

	// Part coverage (clipped to hosts) and the union alpha.
	covs := make([]layer, len(parts))
	for i, pt := range parts {
		l := cv.fill(pt.polys)
		if pt.clip > 0 {
			host := &covs[pt.clip-1]
			for y := l.r.Min.Y; y < l.r.Max.Y; y++ {
				row := l.row(y, l.r.Min.X, l.r.Max.X)
				for j := range row {
					row[j] *= host.at(l.r.Min.X+j, y)
				}
			}
		}
		covs[i] = l
	}
	A := make([]float32, N)
	var ur image.Rectangle
	for i := range parts {
		l := &covs[i]
		ur = ur.Union(l.r)
		for y := l.r.Min.Y; y < l.r.Max.Y; y++ {
			row := l.row(y, l.r.Min.X, l.r.Max.X)
			dst := A[y*n+l.r.Min.X : y*n+l.r.Max.X]
			for j, c := range row {
				dst[j] = c + dst[j]*(1-c)
			}
		}
	}

	// Visible coverage of each part (not covered by later parts) and the
	// outline layers: one for trim parts, one for everything else.
	above := make([]float32, N)
	for y := ur.Min.Y; y < ur.Max.Y; y++ {
		row := above[y*n+ur.Min.X : y*n+ur.Max.X]
		for j := range row {
			row[j] = 1
		}
	}
	ew := float32(edgeW)
	if neon {
		ew = neonW
	}
	edgeMain := make([]float32, N)
	edgeTrim := make([]float32, N)
	vis := make([]layer, len(parts))
	for i := len(parts) - 1; i >= 0; i-- {
		l := &covs[i]
		v := layer{a: make([]float32, len(l.a)), r: l.r}
		for y := l.r.Min.Y; y < l.r.Max.Y; y++ {
			src := l.row(y, l.r.Min.X, l.r.Max.X)
			dst := v.row(y, l.r.Min.X, l.r.Max.X)
			ab := above[y*n+l.r.Min.X : y*n+l.r.Max.X]
			for j, c := range src {
				dst[j] = c * ab[j]
				ab[j] *= 1 - c
			}
		}
		vis[i] = v
		if parts[i].noEdge {
			continue
		}
		var lines [][]pt
		var closed []bool
		for _, pg := range parts[i].polys {
			lines = append(lines, pg)
			closed = append(closed, true)
		}
		e := cv.strokeAll(lines, closed, ew)
		dst := edgeMain
		if parts[i].tone == toneTrim {
			dst = edgeTrim
		}
		r := e.r.Intersect(v.r)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			er := e.row(y, r.Min.X, r.Max.X)
			vr := v.row(y, r.Min.X, r.Max.X)
			d := dst[y*n+r.Min.X : y*n+r.Max.X]
			for j := range er {
				d[j] = max(d[j], er[j]*vr[j])
			}
		}
	}

	// Seams, clipped to the product.
	var seamLines [][]pt
	var seamClosed []bool
	for _, s := range sh.seams {
		seamLines = append(seamLines, s.pts)
		seamClosed = append(seamClosed, s.closed)
	}
	sw := float32(seamW)
	if neon {
		sw = neonW * 0.6
	}
	seams := cv.strokeAll(seamLines, seamClosed, sw)
	for y := seams.r.Min.Y; y < seams.r.Max.Y; y++ {
		row := seams.row(y, seams.r.Min.X, seams.r.Max.X)
		a := A[y*n+seams.r.Min.X : y*n+seams.r.Max.X]
		for j := range row {
			row[j] = min(row[j], a[j])
		}
	}

	lk := makeLook(def.info.Name, p, n, cv, ur)

	// Composite the parts (premultiplied), then un-premultiply.
	fr := make([]float32, N)
	fg := make([]float32, N)
	fb := make([]float32, N)
	for i, pt := range parts {
		l := &covs[i]
		for y := l.r.Min.Y; y < l.r.Max.Y; y++ {
			row := l.row(y, l.r.Min.X, l.r.Max.X)
			for j, c := range row {
				if c <= 0 {
					continue
				}
				x := l.r.Min.X + j
				k := y*n + x
				col := lk.fill(pt.tone, x, y)
				fr[k] = col.r*c + fr[k]*(1-c)
				fg[k] = col.g*c + fg[k]*(1-c)
				fb[k] = col.b*c + fb[k]*(1-c)
			}
		}
	}

	var blurA []float32
	if lk.shading > 0 || lk.shadow > 0 {
		blurA = boxBlur3(A, n, ur, 0.025*float32(n))
	}
	var stitches layer
	if lk.stitchK > 0 {
		stitches = denimStitches(cv, sh, vis)
	}
	for y := ur.Min.Y; y < ur.Max.Y; y++ {
		for x := ur.Min.X; x < ur.Max.X; x++ {
			k := y*n + x
			a := A[k]
			if a <= 1e-4 {
				continue
			}
			inv := 1 / a
			c := rgb{fr[k] * inv, fg[k] * inv, fb[k] * inv}
			if lk.shading > 0 {
				s := clampF((blurA[k] - 0.45) * 2.2)
				c = c.scale(1 - lk.shading*(1-s))
			}
			if s := seams.at(x, y); s > 0 {
				c = mix(c, lk.seam, lk.seamK*min(1, s*inv))
			}
			if stitches.a != nil {
				if s := stitches.at(x, y); s > 0 {
					c = mix(c, lk.stitchCol, lk.stitchK*min(1, s*inv))
				}
			}
			if lk.edgeK > 0 {
				if e := max(edgeMain[k], edgeTrim[k]); e > 0 {
					c = mix(c, lk.edge, lk.edgeK*min(1, e*inv))
				}
			}
			fr[k], fg[k], fb[k] = c.r, c.g, c.b
		}
	}

	// Background and final composite (in place).
	bg := def.bg
	dx, dy := int(0.012*float32(n)+0.5), int(0.02*float32(n)+0.5)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			k := y*n + x
			b := bg
			if lk.shadow > 0 {
				sx, sy := x-dx, y-dy
				if sx >= 0 && sy >= 0 {
					b = b.scale(1 - lk.shadow*blurA[sy*n+sx])
				}
			}
			a := A[k]
			fr[k] = b.r*(1-a) + fr[k]*a
			fg[k] = b.g*(1-a) + fg[k]*a
			fb[k] = b.b*(1-a) + fb[k]*a
		}
	}

	switch def.info.Name {
	case "neon":
		neonGlow(fr, fg, fb, A, edgeMain, edgeTrim, &seams, p, n, ur)
	case "vintage":
		vintagePost(fr, fg, fb, p, n)
	}

	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	pix := img.Pix
	for k := 0; k < N; k++ {
		pix[4*k] = q8(fr[k])
		pix[4*k+1] = q8(fg[k])
		pix[4*k+2] = q8(fb[k])
		pix[4*k+3] = 255
	}
	return img
}

func q8(v float32) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

// makeLook builds the style recipe for a product.
func makeLook(style string, p *sp, n int, cv *canvas, ur image.Rectangle) look {
	B, T := p.base, p.trim
	switch style {
	case "minimal":
		bg := white()
		pastel := func(c rgb) rgb { return ensureDev(mix(c, white(), 0.42), bg, fgDev) }
		tones := [5]rgb{
			pastel(B), pastel(B.scale(0.8)), pastel(T), pastel(B.scale(0.42)), pastel(mix(B, white(), 0.72)),
		}
		edge := mix(B.scale(0.5), black(), 0.15)
		return look{
			fill: func(t tone, x, y int) rgb { return tones[t] },
			edge: edge, edgeK: 0.9,
			seam: edge, seamK: 0.45,
			shadow: 0.09,
		}
	case "vintage":
		bg := mustHex("#f1e7d2")
		sep := func(c rgb) rgb { return ensureDev(sepia(c), bg, fgDev+0.02) }
		tones := [5]rgb{
			sep(B), sep(B.scale(0.78)), sep(T), sep(B.scale(0.4)), sep(mix(B, white(), 0.6)),
		}
		ink := rgb{0.27, 0.18, 0.11}
		return look{
			fill: func(t tone, x, y int) rgb { return tones[t] },
			edge: ink, edgeK: 0.75,
			seam: ink, seamK: 0.45,
			shading: 0.22,
		}
	case "neon":
		bg := mustHex("#0b0a10")
		body := func(c rgb, k float32) rgb { return ensureDev(mix(bg, c, k), bg, fgDev+0.01) }
		tones := [5]rgb{
			body(B, 0.22), body(B, 0.15), body(T, 0.2), body(B, 0.06), body(white(), 0.2),
		}
		return look{
			fill:    func(t tone, x, y int) rgb { return tones[t] },
			shading: 0.25,
		}
	case "floral":
		return floralLook(p, n, cv, ur)
	case "denim":
		return denimLook(p, n)
	default: // stripes
		return stripesLook(p, n)
	}
}

// sepia maps a colour to a warm monochrome photo tone, keeping a hint of
// the original hue.
func sepia(c rgb) rgb {
	t := 0.1 + 0.74*c.lum()
	dark := rgb{0.22, 0.15, 0.10}
	midC := rgb{0.58, 0.43, 0.29}
	light := rgb{0.90, 0.82, 0.66}
	var s rgb
	if t < 0.5 {
		s = mix(dark, midC, t*2)
	} else {
		s = mix(midC, light, (t-0.5)*2)
	}
	return mix(s, c, 0.12)
}

func floralLook(p *sp, n int, cv *canvas, ur image.Rectangle) look {
	B := p.base
	ground := ensureDev(mix(B, white(), 0.8), white(), fgDev)
	petA := ensureDev(B, ground, 0.32)
	acc := floralAccents()
	hA, _, _ := hsv(petA)
	pi := int(p.seed % uint64(len(acc)))
	petB := acc[pi]
	for i := 0; i < len(acc); i++ {
		h, _, _ := hsv(petB)
		d := float32(math.Abs(float64(h - hA)))
		if d > 0.5 {
			d = 1 - d
		}
		if d > 0.1 && maxDev(petB, ground) > 0.3 {
			break
		}
		petB = acc[(pi+i+1)%len(acc)]
	}
	centre := rgb{0.96, 0.80, 0.30}
	if maxDev(centre, petB) < 0.25 || maxDev(centre, petA) < 0.25 {
		centre = rgb{0.45, 0.28, 0.18}
	}
	leafC := rgb{0.36, 0.56, 0.36}

	// Flower layers over the product bounding box.
	fn := float32(n)
	x0, y0 := float32(ur.Min.X)/fn, float32(ur.Min.Y)/fn
	x1, y1 := float32(ur.Max.X)/fn, float32(ur.Max.Y)/fn
	const cell = 0.052
	var pa, pb, ctr, lf []poly
	seed := p.seed ^ 0xF10A
	for gy := int32(math.Floor(float64(y0/cell))) - 1; float32(gy)*cell < y1+cell; gy++ {
		for gx := int32(math.Floor(float64(x0/cell))) - 1; float32(gx)*cell < x1+cell; gx++ {
			h := hash2(gx, gy, seed)
			ox := float32(0)
			if gy%2 != 0 {
				ox = cell / 2
			}
			cxp := (float32(gx)+0.5)*cell + ox + (unitHash(h)-0.5)*cell*0.3
			cyp := (float32(gy)+0.5)*cell + (unitHash(h*31+7)-0.5)*cell*0.3
			rf := cell * (0.3 + 0.08*unitHash(h*17+3))
			rot := unitHash(h*13+5) * 2 * math.Pi
			petals := make([]poly, 0, 5)
			for k := 0; k < 5; k++ {
				a := rot + float32(k)*2*math.Pi/5
				d := pt{cosf(a), sinf(a)}
				c := pt{cxp, cyp}.add(d.mul(rf * 0.55))
				petals = append(petals, rotEllipse(c, d, rf*0.5, rf*0.33))
			}
			if unitHash(h*7+1) < 0.55 {
				pa = append(pa, petals...)
			} else {
				pb = append(pb, petals...)
			}
			ctr = append(ctr, circle(cxp, cyp, rf*0.28))
			la := rot + math.Pi/5
			ld := pt{cosf(la), sinf(la)}
			lf = append(lf, rotEllipse(pt{cxp, cyp}.add(ld.mul(rf*1.25)), ld, rf*0.5, rf*0.2))
		}
	}
	LA := cv.fill(pa)
	LB := cv.fill(pb)
	LC := cv.fill(ctr)
	LL := cv.fill(lf)
	fab := func(x, y int, k float32) rgb {
		c := ground
		if v := LL.at(x, y); v > 0 {
			c = mix(c, leafC, v)
		}
		if v := LA.at(x, y); v > 0 {
			c = mix(c, petA, v)
		}
		if v := LB.at(x, y); v > 0 {
			c = mix(c, petB, v)
		}
		if v := LC.at(x, y); v > 0 {
			c = mix(c, centre, v)
		}
		return c.scale(k)
	}
	trim := ensureDev(p.trim, white(), fgDev)
	dark := ensureDev(B.scale(0.4), white(), fgDev)
	light := ensureDev(mix(B, white(), 0.6), white(), fgDev)
	edge := ensureDev(B.scale(0.55), white(), 0.45)
	return look{
		fill: func(t tone, x, y int) rgb {
			switch t {
			case toneMain:
				return fab(x, y, 1)
			case toneShade:
				return fab(x, y, 0.86)
			case toneTrim:
				return trim
			case toneDark:
				return dark
			default:
				return light
			}
		},
		edge: edge, edgeK: 0.85,
		seam: edge, seamK: 0.5,
		shadow: 0.08, shading: 0.1,
	}
}

func rotEllipse(c, d pt, ra, rb float32) poly {
	const m = 12
	out := make(poly, m)
	e := d.perp()
	for i := range out {
		a := 2 * math.Pi * float64(i) / m
		out[i] = c.add(d.mul(ra * float32(math.Cos(a)))).add(e.mul(rb * float32(math.Sin(a))))
	}
	return out
}

func denimLook(p *sp, n int) look {
	ws := denimWashes()
	W := mustHex(ws[p.seed%uint64(len(ws))].Hex)
	weft := mix(W, rgb{0.86, 0.88, 0.92}, 0.6)
	period := 0.026 * float32(n) // distance between twill wales, px
	thread := period / 3.2       // warp thread width, px
	seed := p.seed ^ 0xDE41
	fade := 1 / (0.16 * float32(n))
	fab := func(x, y int, k float32) rgb {
		f := 0.9 + 0.22*valueNoise(float32(x)*fade, float32(y)*fade, seed)
		grain := 0.9 + 0.2*unitHash(hash2(int32(x), int32(y), seed))
		var c rgb
		if period < 4 {
			c = mix(W, weft, 0.2)
		} else {
			fx, fy := float32(x)+0.5, float32(y)+0.5
			// Diagonal wales (rising to the right) where the weft shows.
			w := (fx + fy) / period
			w -= float32(math.Floor(float64(w)))
			wv := smoothstep(0.66, 0.8, w) * (1 - smoothstep(0.8, 0.94, w))
			// Warp threads: vertical slub and rounded thread shading.
			col := int32(math.Floor(float64(fx / thread)))
			fu := fx/thread - float32(col)
			slub := 0.88 + 0.24*valueNoise(float32(col), fy/(9*thread), seed)
			warp := W.scale(slub * (0.86 + 0.2*sinf(math.Pi*fu)))
			c = mix(warp, weft, 0.45*wv)
		}
		return c.scale(f * k * grain)
	}
	trim := ensureDev(p.trim, white(), fgDev)
	dark := ensureDev(W.scale(0.5), white(), fgDev)
	light := ensureDev(rgb{0.93, 0.9, 0.84}, white(), fgDev)
	edge := W.scale(0.45)
	return look{
		fill: func(tn tone, x, y int) rgb {
			switch tn {
			case toneMain:
				return fab(x, y, 1)
			case toneShade:
				return fab(x, y, 0.78)
			case toneTrim:
				return trim
			case toneDark:
				return dark
			default:
				return light
			}
		},
		edge: edge, edgeK: 0.8,
		seam: edge, seamK: 0.55,
		shadow: 0.08, shading: 0.18,
		stitchCol: rgb{0.88, 0.63, 0.26}, stitchK: 0.95,
	}
}

// denimStitches draws dashed top-stitching inside Main/Shade parts and
// doubled along seams.
func denimStitches(cv *canvas, sh *shape, vis []layer) layer {
	var polys []poly
	for _, s := range sh.seams {
		if polyLen(s.pts, s.closed) < 0.08 {
			continue
		}
		for _, side := range []float32{-1, 1} {
			o := offsetPolyline(s.pts, side*0.008, s.closed)
			for _, d := range dashes(o, 0.011, 0.007, s.closed) {
				polys = append(polys, stroke(d, stitch*0.85, false, false)...)
			}
		}
	}
	out := cv.fill(polys)
	for i, pt := range sh.parts {
		if pt.tone != toneMain && pt.tone != toneShade {
			continue
		}
		polys = polys[:0]
		for _, pg := range pt.polys {
			in := offsetPolyline(orient(pg), 0.016, true)
			if signedArea(in) < 0.002 {
				continue
			}
			for _, d := range dashes(in, 0.013, 0.008, true) {
				polys = append(polys, stroke(d, stitch, false, false)...)
			}
		}
		l := cv.fill(polys)
		v := &vis[i]
		r := l.r.Intersect(v.r)
		if r.Empty() {
			continue
		}
		if !r.In(out.r) {
			out = grow(out, out.r.Union(r))
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			lr := l.row(y, r.Min.X, r.Max.X)
			vr := v.row(y, r.Min.X, r.Max.X)
			o := out.row(y, r.Min.X, r.Max.X)
			for j := range lr {
				o[j] = max(o[j], lr[j]*vr[j])
			}
		}
	}
	return out
}

// grow copies l into a new layer covering r (which must contain l.r).
func grow(l layer, r image.Rectangle) layer {
	out := layer{a: make([]float32, r.Dx()*r.Dy()), r: r}
	for y := l.r.Min.Y; y < l.r.Max.Y; y++ {
		copy(out.row(y, l.r.Min.X, l.r.Max.X), l.row(y, l.r.Min.X, l.r.Max.X))
	}
	return out
}

func stripesLook(p *sp, n int) look {
	B := p.base
	ecru := rgb{0.93, 0.89, 0.79}
	S := ensureDev(B, ecru, 0.3)
	h := hash2(int32(p.seed), 5, 0x57)
	period := (0.042 + 0.03*unitHash(h)) * float32(n)
	duty := 0.42 + 0.16*unitHash(h*3+1)
	// Anti-aliased coverage of the stripe band over the pixel row [y, y+1).
	cov := func(y int) float32 {
		integ := func(v float32) float32 { // length of stripe within [0, v)
			k := float32(math.Floor(float64(v / period)))
			r := v - k*period
			return k*period*duty + min(r, period*duty)
		}
		return integ(float32(y+1)) - integ(float32(y))
	}
	rows := make([]float32, n)
	for y := range rows {
		rows[y] = cov(y)
	}
	trim := ensureDev(p.trim, white(), fgDev)
	dark := ensureDev(B.scale(0.4), white(), fgDev)
	light := ensureDev(mix(B, white(), 0.6), white(), fgDev)
	edge := ensureDev(B.scale(0.5), white(), 0.5)
	return look{
		fill: func(t tone, x, y int) rgb {
			switch t {
			case toneMain:
				return mix(ecru, S, rows[y])
			case toneShade:
				return mix(ecru, S, rows[y]).scale(0.84)
			case toneTrim:
				return trim
			case toneDark:
				return dark
			default:
				return light
			}
		},
		edge: edge, edgeK: 0.85,
		seam: edge, seamK: 0.45,
		shadow: 0.08, shading: 0.1,
	}
}

// neonGlow adds glowing tubes along the outlines: a bright core plus a
// blurred halo, weaker outside the product.
func neonGlow(fr, fg, fb, A, edgeMain, edgeTrim []float32, seams *layer, p *sp, n int, ur image.Rectangle) {
	nc := neonColors()
	colA := nc[p.seed%uint64(len(nc))]
	if h, s, v := hsv(p.base); s > 0.3 && v > 0.25 {
		colA = fromHSV(h, 0.85, 1)
	}
	hA, _, _ := hsv(colA)
	colB := colA
	for i := 0; i < len(nc); i++ {
		c := nc[(int(p.seed/5)+i)%len(nc)]
		h, _, _ := hsv(c)
		d := float32(math.Abs(float64(h - hA)))
		if d > 0.5 {
			d = 1 - d
		}
		if d > 0.15 {
			colB = c
			break
		}
	}
	N := n * n
	ca := edgeMain
	for y := seams.r.Min.Y; y < seams.r.Max.Y; y++ {
		row := seams.row(y, seams.r.Min.X, seams.r.Max.X)
		for j, v := range row {
			k := y*n + seams.r.Min.X + j
			ca[k] = max(ca[k], v*0.6)
		}
	}
	sig := 0.014 * float32(n)
	roi := ur.Inset(-int(0.02*float32(n)) - 2) // strokes reach past the fill
	ga := boxBlur3(ca, n, roi, sig)
	gb := boxBlur3(edgeTrim, n, roi, sig)
	coreA := mix(colA, white(), 0.55)
	coreB := mix(colB, white(), 0.55)
	for k := 0; k < N; k++ {
		a := A[k]
		wOut := a + (1-a)*0.2
		r, g, b := fr[k], fg[k], fb[k]
		if e := ca[k]; e > 0 {
			e = min(e, a)
			r, g, b = r+(coreA.r-r)*e*0.9, g+(coreA.g-g)*e*0.9, b+(coreA.b-b)*e*0.9
		}
		if e := edgeTrim[k]; e > 0 {
			e = min(e, a)
			r, g, b = r+(coreB.r-r)*e*0.9, g+(coreB.g-g)*e*0.9, b+(coreB.b-b)*e*0.9
		}
		x, y := ga[k]*1.35*wOut, gb[k]*1.35*wOut
		fr[k] = r + colA.r*x + colB.r*y
		fg[k] = g + colA.g*x + colB.g*y
		fb[k] = b + colA.b*x + colB.b*y
	}
}

// vintagePost adds paper mottling, film grain, a warm fade and a vignette.
func vintagePost(fr, fg, fb []float32, p *sp, n int) {
	fn := float32(n)
	seed := p.seed ^ 0x5E1A
	ms := 1 / (0.09 * fn)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			k := y*n + x
			dx := (float32(x)+0.5)/fn - 0.5
			dy := (float32(y)+0.5)/fn - 0.5
			r := float32(math.Sqrt(float64(dx*dx + dy*dy)))
			v := 1 - 0.11*smoothstep(0.42, 0.72, r)
			m := (valueNoise(float32(x)*ms, float32(y)*ms, seed) - 0.5) * 0.035
			g := (unitHash(hash2(int32(x), int32(y), seed)) - 0.5) * 0.06
			// Lifted blacks, mottled paper, grain, vignette.
			fr[k] = (0.05 + 0.93*fr[k] + m + g) * v
			fg[k] = (0.05 + 0.93*fg[k] + m + g) * v
			fb[k] = (0.05 + 0.93*fb[k] + m + g) * v * 0.985
		}
	}
}

func polyLen(p []pt, closed bool) float32 {
	var l float32
	for i := 1; i < len(p); i++ {
		l += p[i].sub(p[i-1]).len()
	}
	if closed && len(p) > 1 {
		l += p[0].sub(p[len(p)-1]).len()
	}
	return l
}
