package demo

import "math"

// tone is the colour role of a part; each style maps tones to its own
// colours or textures.
type tone uint8

const (
	toneMain  tone = iota // main fabric / body
	toneShade             // darker panel of the main colour (cuffs, brims, bands)
	toneTrim              // secondary material (soles, wood, metal, leather)
	toneDark              // interiors and openings
	toneLight             // laces, drawstrings, small light accents
)

// part is one filled region of a product. Parts are composited in order.
type part struct {
	polys  []poly
	tone   tone
	clip   int  // 1-based index of a part this one is clipped to (0: none)
	noEdge bool // no outline along this part's contour
}

// seam is a decorative line drawn inside the product (hems, folds, zips).
type seam struct {
	pts    []pt
	closed bool
}

// shape is the full geometry of a product in normalised coordinates. It is
// computed from Params only, so every style shares it exactly.
type shape struct {
	parts []part
	seams []seam
}

func (s *shape) add(t tone, polys ...poly) int {
	s.parts = append(s.parts, part{polys: polys, tone: t})
	return len(s.parts)
}

func (s *shape) addClip(t tone, host int, polys ...poly) int {
	s.parts = append(s.parts, part{polys: polys, tone: t, clip: host})
	return len(s.parts)
}

// addStroke adds a thick polyline as a filled part.
func (s *shape) addStroke(t tone, pts []pt, w float32, roundCaps bool) int {
	s.parts = append(s.parts, part{polys: []poly{ribbon(pts, w, roundCaps)}, tone: t})
	return len(s.parts)
}

func (s *shape) addSeam(pts []pt) { s.seams = append(s.seams, seam{pts: pts}) }

func (s *shape) addClosedSeam(pts []pt) { s.seams = append(s.seams, seam{pts: pts, closed: true}) }

// sp holds resolved, clamped shape parameters.
type sp struct {
	kind                              string
	w, h, sleeve, flare, heel, handle float32
	variant                           int
	base, trim                        rgb
	seed                              uint64
}

func clamp01(v float64) float32 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return float32(v)
}

func deg(d float32) float32 { return d * math.Pi / 180 }

func cosf(a float32) float32 { return float32(math.Cos(float64(a))) }
func sinf(a float32) float32 { return float32(math.Sin(float64(a))) }

// buildShape dispatches to the kind's geometry and fits it to the canvas.
func buildShape(p *sp) shape {
	var s shape
	switch p.kind {
	case "tee":
		s = shapeTee(p)
	case "hoodie":
		s = shapeHoodie(p)
	case "dress":
		s = shapeDress(p)
	case "sneaker":
		s = shapeSneaker(p)
	case "tote":
		s = shapeTote(p)
	case "mug":
		s = shapeMug(p)
	case "lamp":
		s = shapeLamp(p)
	case "chair":
		s = shapeChair(p)
	case "cap":
		s = shapeCap(p)
	case "backpack":
		s = shapeBackpack(p)
	}
	fitShape(&s, 0.80)
	return s
}

// fitShape centres the product and scales it down if it exceeds ext of the
// canvas in either direction, leaving a margin.
func fitShape(s *shape, ext float32) {
	var all []poly
	for _, p := range s.parts {
		all = append(all, p.polys...)
	}
	x0, y0, x1, y1, ok := bboxOf(all)
	if !ok {
		return
	}
	k := float32(1)
	if m := max(x1-x0, y1-y0); m > ext {
		k = ext / m
	}
	cx, cy := (x0+x1)/2, (y0+y1)/2
	tf := func(q pt) pt { return pt{0.5 + (q.x-cx)*k, 0.5 + (q.y-cy)*k} }
	for i := range s.parts {
		for j := range s.parts[i].polys {
			pp := s.parts[i].polys[j]
			for k := range pp {
				pp[k] = tf(pp[k])
			}
		}
	}
	for i := range s.seams {
		for j := range s.seams[i].pts {
			s.seams[i].pts[j] = tf(s.seams[i].pts[j])
		}
	}
}

// ---------------------------------------------------------------- garments

// sleeveGeom computes a sleeve from shoulder S and armpit A.
func sleeveGeom(S pt, theta, length, cuff float32) (e1, e2, dir, nrm pt) {
	dir = pt{cosf(theta), sinf(theta)}
	nrm = pt{-sinf(theta), cosf(theta)}
	e1 = S.add(dir.mul(length))
	e2 = e1.add(nrm.mul(cuff))
	return
}

func shapeTee(p *sp) shape {
	var s shape
	const cx = 0.5
	bw := 0.165 + 0.045*p.w
	top := float32(0.16)
	hem := 0.70 + 0.08*p.h
	nw := float32(0.068)
	neck := p.variant % 3 // 0 crew, 1 v-neck, 2 crew with pocket
	nd := float32(0.05)
	if neck == 1 {
		nd = 0.12
	}
	back := top + 0.014
	sl := p.sleeve
	S := pt{cx + bw + 0.02, top + 0.045}
	e1, e2, dir, _ := sleeveGeom(S, deg(27+46*sl), 0.12+0.40*sl, 0.105-0.035*sl)
	A := pt{cx + bw - 0.004, top + 0.165 + 0.03*sl}

	h := newPen(cx, back).q(cx+nw*0.6, back, cx+nw, top)
	h.q((cx+nw+S.x)/2, top+0.012, S.x, S.y)
	h.q(lerpPt(S, e1, 0.5).x+0.008, lerpPt(S, e1, 0.5).y-0.006, e1.x, e1.y)
	h.to(e2.x, e2.y)
	h.to(A.x, A.y)
	h.q(cx+bw-0.012, A.y+0.12, cx+bw+0.006, hem)
	h.q(cx+bw*0.5, hem+0.012, cx, hem+0.012)
	body := s.add(toneMain, sym(h.pts(), cx))

	// Inside of the back neck, visible above the front neckline.
	front := newPen(cx+nw, top)
	if neck == 1 {
		front.q(cx+nw*0.7, top+nd*0.45, cx, top+nd)
	} else {
		front.q(cx+nw*0.95, top+nd*0.95, cx, top+nd)
	}
	fr := front.pts()
	inner := append([]pt(nil), fr...)
	inner = append(inner, mirrorX(reverse(fr[:len(fr)-1]), cx)...)
	inner = append(inner, newPen(cx-nw, top).q(cx-nw*0.6, back, cx, back).q(cx+nw*0.6, back, cx+nw, top).pts()[1:]...)
	s.addClip(toneDark, body, poly(inner))
	// Ribbed collar along the front neckline.
	rib := append(mirrorX(fr, cx), reverse(fr)[1:]...)
	s.addClip(toneShade, body, ribbon(offsetPolyline(reverse(rib), -0.008, false), 0.02, true))

	// Sleeve hems, body hem, shoulder seams.
	for _, sgn := range []float32{1, -1} {
		a := e1.sub(dir.mul(0.028))
		b := e2.sub(dir.mul(0.028))
		s.addSeam(mirrorIf([]pt{a.add(dir.perp().mul(-0.01)), b.add(dir.perp().mul(0.02))}, sgn, cx))
		s.addSeam(mirrorIf([]pt{{cx + nw + 0.004, top + 0.004}, {S.x - 0.004, S.y - 0.002}}, sgn, cx))
	}
	s.addSeam(newPen(cx-bw-0.03, hem-0.026).q(cx, hem-0.014, cx+bw+0.03, hem-0.026).pts())
	if neck == 2 {
		s.addClosedSeam(rrect(cx+0.045, top+0.12, cx+0.13, top+0.215, 0, 0, 0.012, 0.012))
		s.addSeam([]pt{{cx + 0.045, top + 0.135}, {cx + 0.13, top + 0.135}})
	}
	return s
}

func reverse(p []pt) []pt {
	out := make([]pt, len(p))
	for i, q := range p {
		out[len(p)-1-i] = q
	}
	return out
}

func mirrorIf(p []pt, sgn, cx float32) []pt {
	if sgn > 0 {
		return p
	}
	return mirrorX(p, cx)
}

func shapeHoodie(p *sp) shape {
	var s shape
	const cx = 0.5
	bw := 0.18 + 0.04*p.w
	top := float32(0.27)
	hem := 0.84 + 0.04*p.h
	S := pt{cx + bw + 0.022, top + 0.045}
	e1, e2, dir, nrm := sleeveGeom(S, deg(71), 0.47+0.04*p.h, 0.088)
	A := pt{cx + bw - 0.004, top + 0.20}

	// Hood behind the shoulders.
	hood := s.add(toneMain, ellipse(cx, top-0.05, 0.14, 0.13))
	_ = hood
	nw := float32(0.085)
	h := newPen(cx, top+0.02).to(cx+nw, top-0.005)
	h.q((cx+nw+S.x)/2, top+0.01, S.x, S.y)
	h.q(lerpPt(S, e1, 0.5).x+0.012, lerpPt(S, e1, 0.5).y-0.004, e1.x, e1.y)
	h.to(e2.x, e2.y)
	h.to(A.x, A.y)
	h.q(cx+bw-0.008, A.y+0.15, cx+bw+0.004, hem)
	h.to(cx, hem)
	body := s.add(toneMain, sym(h.pts(), cx))

	// Face opening of the hood.
	op := newPen(cx, top+0.095).q(cx+0.055, top+0.02, cx+0.075, top-0.05)
	op.q(cx+0.07, top-0.135, cx, top-0.14)
	s.add(toneDark, sym(op.pts(), cx))

	// Kangaroo pocket.
	pt0 := float32(0.575)
	pb := hem - 0.075
	pk := newPen(cx, pt0).to(cx+0.085, pt0).q(cx+0.1, pt0+0.06, cx+0.155, pt0+0.085).to(cx+0.16, pb).to(cx, pb)
	s.addClip(toneMain, body, sym(pk.pts(), cx))

	// Waistband and cuffs.
	s.addClip(toneShade, body, rect(cx-bw-0.05, hem-0.06, cx+bw+0.05, hem+0.01))
	for _, sgn := range []float32{1, -1} {
		a := e1.sub(dir.mul(0.065)).sub(nrm.mul(0.03))
		b := e2.sub(dir.mul(0.065)).add(nrm.mul(0.03))
		c := e2.add(dir.mul(0.02)).add(nrm.mul(0.03))
		d := e1.add(dir.mul(0.02)).sub(nrm.mul(0.03))
		s.addClip(toneShade, body, poly(mirrorIf([]pt{a, b, c, d}, sgn, cx)))
		// Drawstrings.
		str := newPen(cx+sgn*0.03, top+0.045).q(cx+sgn*0.036, top+0.13, cx+sgn*0.03, top+0.20).pts()
		s.addStroke(toneLight, str, 0.011, true)
		end := str[len(str)-1]
		s.add(toneTrim, rrect(end.x-0.008, end.y-0.004, end.x+0.008, end.y+0.03, 0.004, 0.004, 0.004, 0.004))
	}
	// Rib lines on the waistband.
	for i := -6; i <= 6; i++ {
		x := cx + float32(i)*(bw+0.01)/6.5
		s.addSeam([]pt{{x, hem - 0.05}, {x, hem - 0.01}})
	}
	return s
}

func shapeDress(p *sp) shape {
	var s shape
	const cx = 0.5
	top := float32(0.12)
	bustY := float32(0.29)
	waist := 0.42 + 0.03*p.h
	hem := 0.72 + 0.16*p.h
	bb := 0.105 + 0.02*p.w
	ww := 0.078 + 0.015*p.w
	hh := 0.15 + 0.17*p.flare
	sleeved := p.sleeve >= 0.4
	nw := float32(0.055)
	nd := float32(0.085)
	back := top + 0.02

	h := newPen(cx, back).q(cx+nw*0.6, back, cx+nw, top)
	if sleeved {
		S := pt{cx + 0.118, top + 0.03}
		e1, e2, _, _ := sleeveGeom(S, deg(38), 0.05+0.13*(p.sleeve-0.4)/0.6, 0.075)
		h.q(cx+0.09, top+0.008, S.x, S.y)
		h.to(e1.x, e1.y).to(e2.x, e2.y)
		h.to(cx+bb, bustY-0.03)
	} else {
		h.to(cx+nw+0.032, top)
		h.q(cx+nw+0.04, bustY-0.06, cx+bb, bustY-0.015)
	}
	h.q(cx+bb+0.006, (bustY+waist)/2, cx+ww, waist)
	h.c(cx+ww+0.02, waist+0.08, cx+hh-0.02, hem-0.12, cx+hh, hem)
	h.q(cx+hh*0.5, hem+0.03, cx, hem+0.03)
	body := s.add(toneMain, sym(h.pts(), cx))

	// Back bodice visible above the front neckline.
	var front *pen
	switch p.variant % 3 {
	case 1: // v-neck
		front = newPen(cx+nw, top).q(cx+nw*0.6, top+nd*0.5, cx, top+nd+0.03)
	default: // scoop
		front = newPen(cx+nw, top).q(cx+nw, top+nd, cx, top+nd)
	}
	fr := front.pts()
	inner := append([]pt(nil), fr...)
	inner = append(inner, mirrorX(reverse(fr[:len(fr)-1]), cx)...)
	inner = append(inner, newPen(cx-nw, top).q(cx-nw*0.6, back, cx, back).q(cx+nw*0.6, back, cx+nw, top).pts()[1:]...)
	s.addClip(toneDark, body, poly(inner))

	// Waist: belt or seam.
	if p.variant%3 == 2 {
		s.addClip(toneShade, body, rect(cx-0.2, waist-0.018, cx+0.2, waist+0.018))
		s.add(toneTrim, rrect(cx-0.018, waist-0.024, cx+0.018, waist+0.024, 0.006, 0.006, 0.006, 0.006))
	} else {
		s.addSeam(newPen(cx-ww-0.01, waist).q(cx, waist+0.012, cx+ww+0.01, waist).pts())
	}
	// Skirt folds.
	for _, f := range []float32{-0.6, -0.25, 0.25, 0.6} {
		a := pt{cx + f*ww*0.9, waist + 0.02}
		b := pt{cx + f*hh*0.95, hem + 0.01}
		m := lerpPt(a, b, 0.5)
		s.addSeam(newPen(a.x, a.y).q(m.x+f*0.01, m.y, b.x, b.y-0.04).pts())
	}
	if sleeved {
		// no extra seams; sleeves read from the silhouette
	} else {
		// Darts under the bust.
		for _, sgn := range []float32{1, -1} {
			s.addSeam([]pt{{cx + sgn*0.05, waist - 0.01}, {cx + sgn*0.055, bustY - 0.02}})
		}
	}
	return s
}

// ---------------------------------------------------------------- footwear

func shapeSneaker(p *sp) shape {
	var s shape
	x0 := 0.11 + 0.03*(1-p.w)
	x1 := 0.89 - 0.03*(1-p.w)
	L := x1 - x0
	X := func(t float32) float32 { return x0 + t*L }
	yb := float32(0.72)
	st := 0.05 + 0.045*p.heel
	ys := yb - st
	high := p.variant%2 == 1
	collar := ys - 0.22
	if high {
		collar = ys - 0.37
	}

	// Heel counter up to the back of the collar.
	up := newPen(X(0.03), ys+0.015)
	up.c(X(-0.012), ys-0.05, X(-0.01), collar+0.07, X(0.04), collar)
	// Collar dip, then the padded tongue.
	var T0, C, V pt
	if high {
		up.q(X(0.15), collar+0.03, X(0.24), collar+0.012)
		up.q(X(0.25), collar-0.035, X(0.30), collar-0.03)
		up.q(X(0.335), collar-0.028, X(0.33), collar+0.0)
		T0 = pt{X(0.33), collar + 0.0}
		C = pt{X(0.40), ys - 0.14}
		V = pt{X(0.63), ys - 0.115}
	} else {
		up.q(X(0.16), collar+0.075, X(0.26), collar+0.015)
		up.q(X(0.27), collar-0.03, X(0.32), collar-0.03)
		up.q(X(0.36), collar-0.028, X(0.36), collar+0.0)
		T0 = pt{X(0.36), collar + 0.0}
		C = pt{X(0.45), ys - 0.125}
		V = pt{X(0.64), ys - 0.11}
	}
	up.q(C.x, C.y, V.x, V.y)
	// Toe box.
	up.c(X(0.83), ys-0.09, X(1.0), ys-0.085, X(1.0), ys-0.015)
	up.to(X(0.98), ys+0.015)
	upper := s.add(toneMain, up.poly())

	// Toe cap and heel counter overlays.
	s.addClip(toneShade, upper, newPen(X(0.79), ys+0.03).c(X(0.78), ys-0.05, X(0.86), ys-0.11, X(1.1), ys-0.11).to(X(1.1), ys+0.03).poly())
	s.addClip(toneShade, upper, newPen(X(0.12), collar-0.05).q(X(0.17), (collar+ys)/2, X(0.13), ys+0.03).to(X(-0.1), ys+0.03).to(X(-0.1), collar-0.05).poly())
	// Side panel.
	if p.variant/2%2 == 0 {
		s.addClip(toneLight, upper, newPen(X(0.2), ys+0.03).c(X(0.32), ys-0.05, X(0.5), ys-0.13, X(0.68), ys-0.15).to(X(0.7), ys-0.115).c(X(0.52), ys-0.09, X(0.38), ys-0.02, X(0.33), ys+0.03).poly())
	} else {
		for i := 0; i < 3; i++ {
			o := float32(i) * 0.07
			s.addClip(toneLight, upper, quad(pt{X(0.30 + o), ys + 0.03}, pt{X(0.35 + o), ys + 0.03}, pt{X(0.47 + o), ys - 0.2}, pt{X(0.42 + o), ys - 0.2}))
		}
	}
	if high {
		s.addClip(toneLight, upper, circle(X(0.15), collar+0.085, 0.032))
	}
	// Collar lining.
	s.addClip(toneDark, upper, ribbon(newPen(X(0.03), collar+0.008).q(X(0.15), collar+0.04+0.03*b2f(!high), X(0.255), collar+0.018).pts(), 0.026, true))

	// Sole.
	so := newPen(X(0.01), ys)
	so.to(X(0.93), ys)
	so.q(X(1.012), ys-0.004, X(1.015), ys+st*0.4)
	so.q(X(1.01), yb-0.004, X(0.93), yb)
	so.to(X(0.06), yb)
	so.q(X(-0.008), yb, X(-0.008), ys+st*0.45)
	so.q(X(-0.008), ys, X(0.01), ys)
	sole := s.add(toneTrim, so.poly())
	s.addClip(toneDark, sole, rect(X(-0.1), yb-0.014, X(1.1), yb+0.01))
	s.addSeam([]pt{{X(0.01), ys + st*0.42}, {X(0.99), ys + st*0.42}})

	// Eyelets below the lace line and laces crossing over it.
	for i := 0; i < 5; i++ {
		t := 0.1 + float32(i)*0.19
		u := 1 - t
		b := pt{u*u*T0.x + 2*u*t*C.x + t*t*V.x, u*u*T0.y + 2*u*t*C.y + t*t*V.y}
		d := pt{2*u*(C.x-T0.x) + 2*t*(V.x-C.x), 2*u*(C.y-T0.y) + 2*t*(V.y-C.y)}.unit()
		n := d.perp()
		e := b.add(n.mul(0.03))
		s.add(toneDark, circle(e.x, e.y, 0.0075))
		s.addStroke(toneLight, []pt{e.sub(d.mul(0.006)), b.add(n.mul(0.008)).add(d.mul(0.01))}, 0.011, true)
	}
	return s
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------- bags

func shapeTote(p *sp) shape {
	var s shape
	const cx = 0.5
	top := 0.40 - 0.07*p.h
	bot := float32(0.86)
	hwt := 0.19 + 0.05*p.w
	hwb := hwt - 0.02 + 0.05*p.flare
	hh := 0.12 + 0.14*p.handle
	ax := 0.075 + 0.03*p.w

	handle := func(dx, y0, yTop float32) []pt {
		return newPen(cx-dx, y0).to(cx-dx, top).c(cx-dx, yTop, cx+dx, yTop, cx+dx, top).to(cx+dx, y0).pts()
	}
	apex := top - hh*1.33
	s.addStroke(toneShade, handle(ax+0.02, top+0.02, apex-0.015), 0.024, false)

	r := float32(0.02)
	b := newPen(cx-hwt, top).to(cx+hwt, top).to(cx+hwb, bot-r).q(cx+hwb, bot, cx+hwb-r, bot)
	b.to(cx-hwb+r, bot).q(cx-hwb, bot, cx-hwb, bot-r)
	body := s.add(toneMain, b.poly())
	s.addClip(toneShade, body, rect(cx-0.4, top-0.01, cx+0.4, top+0.045))
	if p.variant%3 == 1 {
		pk := s.addClip(toneMain, body, rect(cx-0.12, 0.61, cx+0.12, 0.79))
		_ = pk
		s.addSeam([]pt{{cx - 0.12, 0.625}, {cx + 0.12, 0.625}})
	}
	s.addSeam([]pt{{cx - hwb - 0.01, bot - 0.03}, {cx + hwb + 0.01, bot - 0.03}})
	if p.variant%3 == 2 {
		for _, sgn := range []float32{1, -1} {
			s.addSeam([]pt{{cx + sgn*(hwt-0.03), top + 0.05}, {cx + sgn*(hwb-0.03), bot - 0.03}})
		}
	}

	// Front handle with stitched tabs.
	s.addStroke(toneTrim, handle(ax, top+0.085, apex), 0.026, false)
	for _, sgn := range []float32{1, -1} {
		x := cx + sgn*ax
		tab := rect(x-0.022, top+0.05, x+0.022, top+0.11)
		s.add(toneTrim, tab)
		s.addSeam([]pt{{x - 0.014, top + 0.058}, {x + 0.014, top + 0.102}})
		s.addSeam([]pt{{x + 0.014, top + 0.058}, {x - 0.014, top + 0.102}})
	}
	return s
}

func shapeBackpack(p *sp) shape {
	var s shape
	const cx = 0.5
	bw := 0.17 + 0.035*p.w
	top := 0.17 + 0.05*(1-p.h)
	bot := float32(0.86)

	// Shoulder straps behind the body.
	for _, sgn := range []float32{1, -1} {
		st := newPen(cx+sgn*(bw-0.07), top+0.09).c(cx+sgn*(bw+0.075), top+0.2, cx+sgn*(bw+0.07), bot-0.22, cx+sgn*(bw-0.02), bot-0.05).pts()
		s.addStroke(toneDark, st, 0.05, true)
	}
	// Top grab handle.
	s.addStroke(toneDark, newPen(cx-0.045, top+0.03).c(cx-0.05, top-0.085, cx+0.05, top-0.085, cx+0.045, top+0.03).pts(), 0.022, true)

	body := s.add(toneMain, rrect(cx-bw, top, cx+bw, bot, 0.14, 0.14, 0.05, 0.05))
	_ = body
	// Main zip following the top.
	z := newPen(cx-bw+0.035, top+0.33).to(cx-bw+0.035, top+0.14).arc(cx-bw+0.14, top+0.14, 0.105, 0.105, math.Pi, 1.5*math.Pi)
	z.to(cx+bw-0.14, top+0.035).arc(cx+bw-0.14, top+0.14, 0.105, 0.105, 1.5*math.Pi, 2*math.Pi).to(cx+bw-0.035, top+0.33)
	s.addSeam(z.pts())
	s.add(toneTrim, rrect(cx+bw-0.045, top+0.33, cx+bw-0.025, top+0.39, 0.006, 0.006, 0.006, 0.006))

	// Front pocket.
	pkTop := 0.55 - 0.1*p.handle
	pw := 0.125 + 0.025*p.w
	s.add(toneShade, rrect(cx-pw, pkTop, cx+pw, bot-0.045, 0.05, 0.05, 0.04, 0.04))
	s.addSeam([]pt{{cx - pw + 0.025, pkTop + 0.03}, {cx + pw - 0.025, pkTop + 0.03}})
	s.add(toneTrim, rrect(cx+pw-0.06, pkTop+0.02, cx+pw-0.04, pkTop+0.08, 0.006, 0.006, 0.006, 0.006))
	if p.variant%2 == 1 {
		s.add(toneTrim, rrect(cx-0.035, pkTop+0.08, cx+0.035, pkTop+0.115, 0.006, 0.006, 0.006, 0.006))
	}
	// Side compression straps.
	for _, sgn := range []float32{1, -1} {
		s.addSeam([]pt{{cx + sgn*(bw-0.01), top + 0.42}, {cx + sgn*(bw-0.045), top + 0.42}})
	}
	return s
}

// ---------------------------------------------------------------- home

func shapeMug(p *sp) shape {
	var s shape
	bw := 0.14 + 0.04*p.w
	mx := float32(0.5 - 0.06)
	top := 0.30 - 0.08*p.h
	bot := float32(0.76)
	bwb := bw * (1 - 0.16*p.flare)
	ry := float32(0.035)
	hs := 0.10 + 0.07*p.handle

	// Handle (drawn first so the body covers its ends).
	hx := mx + bw - 0.02
	hdl := newPen(hx, top+0.09).c(hx+hs+0.04, top+0.05, hx+hs+0.03, bot-0.1, mx+bwb-0.02, bot-0.12).pts()
	s.addStroke(toneMain, hdl, 0.042, true)

	b := newPen(mx-bw, top).arc(mx, top, bw, ry, math.Pi, 2*math.Pi)
	b.to(mx+bwb, bot-0.03)
	b.arc(mx, bot-0.03, bwb, 0.03, 0, math.Pi)
	body := s.add(toneMain, b.poly())
	switch p.variant % 3 {
	case 1: // glaze dip
		d := newPen(mx-bw-0.02, bot-0.17)
		for i := 1; i <= 8; i++ {
			t := float32(i) / 8
			d.q(mx-bw+(t-1.0/16)*2*bw, bot-0.17+0.012*float32(1-2*(i%2)), mx-bw-0.02+t*(2*bw+0.04), bot-0.17)
		}
		d.to(mx+bw+0.02, bot+0.05).to(mx-bw-0.02, bot+0.05)
		s.addClip(toneShade, body, d.poly())
	case 2: // two bands
		for _, y := range []float32{top + 0.12, top + 0.145} {
			s.addSeam(newPen(mx-bw, y).arc(mx, y, bw-0.002, ry*0.9, math.Pi, 0).pts())
		}
	}
	s.add(toneDark, ellipse(mx, top, bw-0.014, ry-0.009))
	s.addSeam(newPen(mx-bwb, bot-0.055).arc(mx, bot-0.055, bwb, 0.03, math.Pi, 0).pts())
	return s
}

func shapeLamp(p *sp) shape {
	var s shape
	const cx = 0.5
	shTop := 0.11 + 0.03*(1-p.h)
	shH := 0.23 + 0.05*p.h
	shBot := shTop + shH
	var tw, bw float32
	kind := p.variant % 3
	switch kind {
	case 0: // drum
		tw = 0.15 + 0.03*p.w
		bw = tw + 0.015 + 0.02*p.flare
	case 1: // empire
		tw = 0.08 + 0.02*p.w
		bw = 0.19 + 0.05*p.flare
	default: // dome
		tw = 0
		bw = 0.19 + 0.04*p.flare
	}
	baseY := float32(0.88)

	// Stand.
	if p.handle < 0.5 {
		s.add(toneTrim, rect(cx-0.012, shBot-0.02, cx+0.012, baseY-0.03))
		s.add(toneTrim, rrect(cx-0.1-0.02*p.w, baseY-0.035, cx+0.1+0.02*p.w, baseY, 0.015, 0.015, 0.01, 0.01))
		s.add(toneTrim, ellipse(cx, (shBot+baseY)/2, 0.022, 0.03))
	} else {
		g := newPen(cx, shBot+0.02).to(cx+0.03, shBot+0.02).q(cx+0.03, shBot+0.06, cx+0.07, shBot+0.1)
		g.c(cx+0.16, shBot+0.16, cx+0.16, baseY-0.12, cx+0.06, baseY-0.035)
		g.to(cx+0.07, baseY).to(cx, baseY)
		s.add(toneShade, sym(g.pts(), cx))
		s.add(toneTrim, rect(cx-0.02, shBot-0.01, cx+0.02, shBot+0.03))
	}
	// Finial.
	s.add(toneTrim, rect(cx-0.004, shTop-0.03, cx+0.004, shTop+0.01))
	s.add(toneTrim, circle(cx, shTop-0.035, 0.012))

	// Shade.
	var sh *pen
	if kind == 2 {
		sh = newPen(cx-bw, shBot).c(cx-bw, shTop+0.02, cx-0.06, shTop-0.01, cx, shTop-0.01)
		sh.c(cx+0.06, shTop-0.01, cx+bw, shTop+0.02, cx+bw, shBot)
	} else {
		sh = newPen(cx-tw, shTop).q(cx, shTop-0.02, cx+tw, shTop).to(cx+bw, shBot)
	}
	sh.q(cx, shBot+0.04, cx-bw, shBot)
	shade := s.add(toneMain, sh.poly())
	// Bottom band.
	s.addClip(toneShade, shade, newPen(cx-bw-0.02, shBot-0.02).q(cx, shBot+0.02, cx+bw+0.02, shBot-0.02).to(cx+bw+0.02, shBot+0.05).to(cx-bw-0.02, shBot+0.05).poly())
	if kind != 2 {
		s.addSeam(newPen(cx-tw, shTop+0.012).q(cx, shTop-0.008, cx+tw, shTop+0.012).pts())
	}
	return s
}

func shapeChair(p *sp) shape {
	var s shape
	const cx = 0.5
	sw := 0.19 + 0.04*p.w
	swb := sw - 0.035
	front := float32(0.56)
	back := float32(0.48)
	thick := float32(0.045)
	floor := float32(0.88)
	bfloor := float32(0.80)
	bh := 0.22 + 0.12*p.h
	btop := back - bh
	splay := 0.02 * p.heel
	lw := float32(0.028)

	// Back legs.
	for _, sgn := range []float32{1, -1} {
		x := cx + sgn*(swb-0.02)
		s.add(toneTrim, quad(pt{x - lw/2, back}, pt{x + lw/2, back}, pt{x + lw/2.6 + sgn*splay*0.7, bfloor}, pt{x - lw/2.6 + sgn*splay*0.7, bfloor}))
	}
	// Backrest.
	switch p.variant % 3 {
	case 0: // upholstered panel
		bp := s.add(toneMain, rrect(cx-swb, btop, cx+swb, back+0.01, 0.05, 0.05, 0, 0))
		_ = bp
		s.addClosedSeam(rrect(cx-swb+0.025, btop+0.025, cx+swb-0.025, back-0.01, 0.03, 0.03, 0, 0))
	case 1: // slatted wood
		for _, sgn := range []float32{1, -1} {
			x := cx + sgn*(swb-0.02)
			s.add(toneTrim, rect(x-lw/2, btop+0.02, x+lw/2, back+0.01))
		}
		for i := -1; i <= 1; i++ {
			x := cx + float32(i)*(swb-0.02)/2
			s.add(toneMain, rect(x-0.014, btop+0.06, x+0.014, back+0.01))
		}
		s.add(toneMain, rrect(cx-swb-0.005, btop, cx+swb+0.005, btop+0.075, 0.02, 0.02, 0.01, 0.01))
	default: // arched panel on posts
		for _, sgn := range []float32{1, -1} {
			x := cx + sgn*(swb-0.02)
			s.add(toneTrim, rect(x-lw/2, btop+0.05, x+lw/2, back+0.01))
		}
		ap := newPen(cx-swb+0.005, back-0.07).to(cx-swb+0.005, btop+0.06).q(cx, btop-0.04, cx+swb-0.005, btop+0.06).to(cx+swb-0.005, back-0.07).q(cx, back-0.05, cx-swb+0.005, back-0.07)
		s.add(toneMain, ap.poly())
	}
	// Front legs.
	for _, sgn := range []float32{1, -1} {
		x := cx + sgn*(sw-0.022)
		s.add(toneTrim, quad(pt{x - lw/2 - 0.002, front + 0.02}, pt{x + lw/2 + 0.002, front + 0.02}, pt{x + lw/2.8 + sgn*splay, floor}, pt{x - lw/2.8 + sgn*splay, floor}))
	}
	if p.heel > 0.5 {
		s.add(toneTrim, rect(cx-sw+0.02, 0.74, cx+sw-0.02, 0.755))
	}
	// Seat.
	seat := s.add(toneMain, rrectQuad(pt{cx - swb, back}, pt{cx + swb, back}, pt{cx + sw, front}, pt{cx - sw, front}))
	_ = seat
	s.add(toneShade, rrect(cx-sw, front-0.004, cx+sw, front+thick, 0.004, 0.004, 0.012, 0.012))
	s.addClosedSeam([]pt{{cx - swb + 0.03, back + 0.015}, {cx + swb - 0.03, back + 0.015}, {cx + sw - 0.035, front - 0.015}, {cx - sw + 0.035, front - 0.015}})
	return s
}

// rrectQuad is a quadrilateral with slightly rounded corners.
func rrectQuad(a, b, c, d pt) poly {
	pts := []pt{a, b, c, d}
	const r = 0.012
	pn := (*pen)(nil)
	for i := range pts {
		prev := pts[(i+3)%4]
		cur := pts[i]
		next := pts[(i+1)%4]
		p0 := cur.add(prev.sub(cur).unit().mul(r))
		p1 := cur.add(next.sub(cur).unit().mul(r))
		if pn == nil {
			pn = newPen(p0.x, p0.y)
		} else {
			pn.to(p0.x, p0.y)
		}
		pn.q(cur.x, cur.y, p1.x, p1.y)
	}
	return pn.poly()
}

// ---------------------------------------------------------------- accessories

func shapeCap(p *sp) shape {
	var s shape
	base := float32(0.62)
	ch := 0.27 + 0.07*p.h
	apexY := base - ch
	ax := float32(0.42)
	bx0 := 0.18 - 0.02*p.w
	fx := 0.66 + 0.01*p.w

	cr := newPen(bx0, base+0.01)
	cr.c(bx0-0.035, base-0.17, ax-0.17, apexY, ax, apexY)
	cr.c(ax+0.16, apexY, fx+0.02, base-0.18, fx, base-0.01)
	cr.q(ax, base+0.055, bx0, base+0.01)
	crown := s.add(toneMain, cr.poly())

	// Sweatband / snapback opening at the back.
	if p.variant%2 == 1 {
		s.addClip(toneDark, crown, newPen(bx0-0.02, base+0.03).q(bx0+0.02, base-0.1, bx0+0.09, base-0.06).q(bx0+0.07, base, bx0+0.08, base+0.04).poly())
	}
	// Panel seams from the button.
	s.addSeam(newPen(ax, apexY).q(ax-0.12, apexY+0.08, ax-0.1, base+0.035).pts())
	s.addSeam(newPen(ax, apexY).q(ax+0.08, apexY+0.1, ax+0.12, base+0.025).pts())
	s.addSeam(newPen(bx0+0.005, base-0.012).q(ax, base+0.04, fx-0.01, base-0.03).pts())
	for _, e := range []pt{{ax - 0.09, apexY + 0.07}, {ax + 0.085, apexY + 0.08}} {
		s.add(toneDark, circle(e.x, e.y, 0.008))
	}

	// Brim.
	bl := 0.18 + 0.08*p.handle
	tip := fx + bl
	br := newPen(fx-0.07, base-0.015)
	br.c(fx+0.02, base-0.045, tip-0.06, base-0.02, tip, base+0.045)
	br.q(tip-0.02, base+0.07, tip-0.08, base+0.06)
	br.c(fx+0.02, base+0.03, fx-0.02, base+0.03, fx-0.07, base+0.02)
	brim := s.add(toneShade, br.poly())
	_ = brim
	s.addSeam(newPen(fx-0.03, base-0.012).c(fx+0.03, base-0.03, tip-0.07, base-0.005, tip-0.025, base+0.04).pts())

	// Button.
	s.add(toneShade, ellipse(ax, apexY-0.005, 0.022, 0.011))
	return s
}
