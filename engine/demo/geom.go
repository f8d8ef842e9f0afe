package demo

import "math"

// pt is a point in normalised canvas coordinates: (0,0) is the top-left
// corner, (1,1) the bottom-right one, y grows downwards.
type pt struct{ x, y float32 }

func (a pt) add(b pt) pt           { return pt{a.x + b.x, a.y + b.y} }
func (a pt) sub(b pt) pt           { return pt{a.x - b.x, a.y - b.y} }
func (a pt) mul(k float32) pt      { return pt{a.x * k, a.y * k} }
func (a pt) len() float32          { return float32(math.Hypot(float64(a.x), float64(a.y))) }
func lerpPt(a, b pt, t float32) pt { return pt{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t} }
func (a pt) perp() pt              { return pt{-a.y, a.x} }
func (a pt) dot(b pt) float32      { return a.x*b.x + a.y*b.y }
func (a pt) unit() pt {
	l := a.len()
	if l == 0 {
		return pt{}
	}
	return pt{a.x / l, a.y / l}
}

// poly is a closed polygon (the last point connects back to the first).
type poly []pt

// pen builds a flattened polyline from line and Bézier segments.
type pen struct{ p []pt }

func newPen(x, y float32) *pen { return &pen{p: []pt{{x, y}}} }

func (b *pen) last() pt { return b.p[len(b.p)-1] }

// to adds a straight segment.
func (b *pen) to(x, y float32) *pen {
	b.p = append(b.p, pt{x, y})
	return b
}

// curveSegments picks a flattening resolution from the control polygon
// length so curves stay smooth at 1024 px without wasting work.
func curveSegments(l float32) int {
	n := int(l*90) + 3
	if n > 40 {
		n = 40
	}
	return n
}

// q adds a quadratic Bézier segment.
func (b *pen) q(cx, cy, x, y float32) *pen {
	p0 := b.last()
	c := pt{cx, cy}
	p1 := pt{x, y}
	n := curveSegments(c.sub(p0).len() + p1.sub(c).len())
	for i := 1; i <= n; i++ {
		t := float32(i) / float32(n)
		u := 1 - t
		b.p = append(b.p, pt{
			u*u*p0.x + 2*u*t*c.x + t*t*p1.x,
			u*u*p0.y + 2*u*t*c.y + t*t*p1.y,
		})
	}
	return b
}

// c adds a cubic Bézier segment.
func (b *pen) c(c1x, c1y, c2x, c2y, x, y float32) *pen {
	p0 := b.last()
	c1 := pt{c1x, c1y}
	c2 := pt{c2x, c2y}
	p1 := pt{x, y}
	n := curveSegments(c1.sub(p0).len() + c2.sub(c1).len() + p1.sub(c2).len())
	for i := 1; i <= n; i++ {
		t := float32(i) / float32(n)
		u := 1 - t
		a, bb, cc, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
		b.p = append(b.p, pt{
			a*p0.x + bb*c1.x + cc*c2.x + d*p1.x,
			a*p0.y + bb*c1.y + cc*c2.y + d*p1.y,
		})
	}
	return b
}

// arc adds an elliptical arc around (cx, cy) from angle a0 to a1 (radians,
// y down so positive angles turn clockwise on screen).
func (b *pen) arc(cx, cy, rx, ry, a0, a1 float32) *pen {
	span := float64(a1 - a0)
	n := int(math.Abs(span)*float64(rx+ry)*30) + 4
	if n > 64 {
		n = 64
	}
	for i := 1; i <= n; i++ {
		a := float64(a0) + span*float64(i)/float64(n)
		b.p = append(b.p, pt{cx + rx*float32(math.Cos(a)), cy + ry*float32(math.Sin(a))})
	}
	return b
}

func (b *pen) poly() poly { return poly(b.p) }

func (b *pen) pts() []pt { return b.p }

// sym closes a right half outline into a full left-right symmetric polygon.
// half must start and end on the axis x = cx.
func sym(half []pt, cx float32) poly {
	out := make(poly, 0, 2*len(half))
	out = append(out, half...)
	for i := len(half) - 2; i >= 1; i-- {
		p := half[i]
		out = append(out, pt{2*cx - p.x, p.y})
	}
	return out
}

// mirrorX returns the polygon mirrored about x = cx (orientation reversed,
// which is irrelevant because each part is rasterised on its own).
func mirrorX(p []pt, cx float32) []pt {
	out := make([]pt, len(p))
	for i, q := range p {
		out[i] = pt{2*cx - q.x, q.y}
	}
	return out
}

func ellipse(cx, cy, rx, ry float32) poly {
	n := int(float64(rx+ry)*120) + 12
	if n > 72 {
		n = 72
	}
	out := make(poly, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = pt{cx + rx*float32(math.Cos(a)), cy + ry*float32(math.Sin(a))}
	}
	return out
}

func circle(cx, cy, r float32) poly { return ellipse(cx, cy, r, r) }

// rrect is a rounded rectangle with per-corner radii (top-left, top-right,
// bottom-right, bottom-left).
func rrect(x0, y0, x1, y1, rtl, rtr, rbr, rbl float32) poly {
	b := newPen(x0+rtl, y0)
	b.to(x1-rtr, y0)
	if rtr > 0 {
		b.arc(x1-rtr, y0+rtr, rtr, rtr, -math.Pi/2, 0)
	}
	b.to(x1, y1-rbr)
	if rbr > 0 {
		b.arc(x1-rbr, y1-rbr, rbr, rbr, 0, math.Pi/2)
	}
	b.to(x0+rbl, y1)
	if rbl > 0 {
		b.arc(x0+rbl, y1-rbl, rbl, rbl, math.Pi/2, math.Pi)
	}
	b.to(x0, y0+rtl)
	if rtl > 0 {
		b.arc(x0+rtl, y0+rtl, rtl, rtl, math.Pi, 3*math.Pi/2)
	}
	return b.poly()
}

func rect(x0, y0, x1, y1 float32) poly {
	return poly{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
}

func quad(a, b, c, d pt) poly { return poly{a, b, c, d} }

func signedArea(p []pt) float32 {
	var s float32
	for i := range p {
		j := (i + 1) % len(p)
		s += p[i].x*p[j].y - p[j].x*p[i].y
	}
	return s / 2
}

// orient returns p with positive signed area (clockwise on screen).
func orient(p poly) poly {
	if signedArea(p) >= 0 {
		return p
	}
	out := make(poly, len(p))
	for i, q := range p {
		out[len(p)-1-i] = q
	}
	return out
}

// stroke converts a polyline into a set of consistently oriented polygons
// (one quad per segment plus round joins) whose union is the stroke.
func stroke(p []pt, w float32, closed, roundCaps bool) []poly {
	if len(p) < 2 {
		return nil
	}
	h := w / 2
	out := make([]poly, 0, len(p)+8)
	nseg := len(p) - 1
	if closed {
		nseg = len(p)
	}
	for i := 0; i < nseg; i++ {
		a := p[i]
		b := p[(i+1)%len(p)]
		d := b.sub(a)
		if d.len() < 1e-6 {
			continue
		}
		n := d.unit().perp().mul(h)
		out = append(out, orient(quad(a.add(n), b.add(n), b.sub(n), a.sub(n))))
	}
	// Joins where the direction changes noticeably.
	for i := 0; i < len(p); i++ {
		if !closed && (i == 0 || i == len(p)-1) {
			if roundCaps {
				out = append(out, orient(circle(p[i].x, p[i].y, h)))
			}
			continue
		}
		prev := p[(i-1+len(p))%len(p)]
		next := p[(i+1)%len(p)]
		d0 := p[i].sub(prev).unit()
		d1 := next.sub(p[i]).unit()
		if d0.dot(d1) < 0.995 {
			out = append(out, orient(joinDisc(p[i], h)))
		}
	}
	return out
}

// joinDisc is a small polygonal disc used for stroke joins.
func joinDisc(c pt, r float32) poly {
	const n = 10
	out := make(poly, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / n
		out[i] = pt{c.x + r*float32(math.Cos(a)), c.y + r*float32(math.Sin(a))}
	}
	return out
}

// offsetPolyline moves every vertex of p by d along its (averaged) left
// normal. For closed polygons with positive orientation, negative d moves
// the outline inwards.
func offsetPolyline(p []pt, d float32, closed bool) []pt {
	out := make([]pt, len(p))
	for i := range p {
		var d0, d1 pt
		hasPrev := closed || i > 0
		hasNext := closed || i < len(p)-1
		if hasPrev {
			d0 = p[i].sub(p[(i-1+len(p))%len(p)]).unit()
		}
		if hasNext {
			d1 = p[(i+1)%len(p)].sub(p[i]).unit()
		}
		if !hasPrev {
			d0 = d1
		}
		if !hasNext {
			d1 = d0
		}
		n0 := d0.perp()
		n1 := d1.perp()
		n := n0.add(n1).unit()
		c := n.dot(n1)
		if c < 0.5 {
			c = 0.5
		}
		out[i] = p[i].add(n.mul(d / c))
	}
	return out
}

// dashes cuts a polyline into dash segments of length on, separated by off.
func dashes(p []pt, on, off float32, closed bool) [][]pt {
	if len(p) < 2 {
		return nil
	}
	pts := p
	if closed {
		pts = append(append([]pt(nil), p...), p[0])
	}
	var out [][]pt
	var cur []pt
	drawing := true
	left := on
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		seg := b.sub(a).len()
		pos := float32(0)
		if drawing && len(cur) == 0 {
			cur = append(cur, a)
		}
		for seg-pos > left {
			pos += left
			q := lerpPt(a, b, pos/seg)
			if drawing {
				cur = append(cur, q)
				out = append(out, cur)
				cur = nil
				left = off
			} else {
				cur = []pt{q}
				left = on
			}
			drawing = !drawing
		}
		left -= seg - pos
		if drawing {
			cur = append(cur, b)
		}
	}
	if drawing && len(cur) >= 2 {
		out = append(out, cur)
	}
	return out
}

func bboxOf(polys []poly) (x0, y0, x1, y1 float32, ok bool) {
	x0, y0 = float32(math.Inf(1)), float32(math.Inf(1))
	x1, y1 = float32(math.Inf(-1)), float32(math.Inf(-1))
	for _, p := range polys {
		for _, q := range p {
			ok = true
			x0 = min(x0, q.x)
			y0 = min(y0, q.y)
			x1 = max(x1, q.x)
			y1 = max(y1, q.y)
		}
	}
	return
}

// ribbon turns a smooth polyline into one closed polygon of width w (the
// offset curves joined by caps). It assumes the curvature radius stays above
// w/2, which holds for the straps, handles and cords it is used for.
func ribbon(p []pt, w float32, roundCaps bool) poly {
	if len(p) < 2 {
		return nil
	}
	h := w / 2
	left := offsetPolyline(p, h, false)
	right := offsetPolyline(p, -h, false)
	out := make(poly, 0, 2*len(p)+16)
	out = append(out, left...)
	const m = 8
	if roundCaps {
		e := p[len(p)-1]
		d := e.sub(p[len(p)-2]).unit()
		n := d.perp()
		for k := 1; k < m; k++ {
			a := math.Pi * float64(k) / m
			out = append(out, e.add(n.mul(h*float32(math.Cos(a)))).add(d.mul(h*float32(math.Sin(a)))))
		}
	}
	out = append(out, reverse(right)...)
	if roundCaps {
		s := p[0]
		d := p[1].sub(s).unit()
		n := d.perp()
		for k := 1; k < m; k++ {
			a := math.Pi * float64(k) / m
			out = append(out, s.sub(n.mul(h*float32(math.Cos(a)))).sub(d.mul(h*float32(math.Sin(a)))))
		}
	}
	return out
}
