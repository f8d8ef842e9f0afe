package train

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sort"

	"stylestudio/ui/kit"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Loss curves are drawn here as plain images (Fyne has no chart widget, and a Raster lets them be
// drawn at the screen's own pixel size so the tick labels stay crisp): four small panels, one per
// loss, each with its own scale because the losses live on very different ranges. Every line is an
// exponential moving average drawn over the raw trace, which stays faint behind it.

// curveRun is one run's series in a chart, with its name for the legend.
type curveRun struct {
	Name   string
	Series lossSeries
}

// curvePanel is one loss panel: which series of a run it plots.
type curvePanel struct {
	Title string
	Pick  func(*lossSeries) []float64
	Color color.NRGBA // the line's colour when one run is shown
}

func curvePanels() []curvePanel {
	return []curvePanel{
		{"Generator adversarial (G adv)", func(s *lossSeries) []float64 { return s.GAdv }, color.NRGBA{0x42, 0x85, 0xf4, 0xff}},
		{"Discriminator adversarial (D adv)", func(s *lossSeries) []float64 { return s.DAdv }, color.NRGBA{0xf2, 0x8e, 0x2b, 0xff}},
		{"Style classification (G cls)", func(s *lossSeries) []float64 { return s.GCls }, color.NRGBA{0x2e, 0x9d, 0x32, 0xff}},
		{"Cycle reconstruction (G rec)", func(s *lossSeries) []float64 { return s.GRec }, color.NRGBA{0xc0, 0x39, 0x2b, 0xff}},
	}
}

// compareColors are the runs' colours when several are overlaid (the first as in single-run charts).
func compareColors() []color.NRGBA {
	return []color.NRGBA{{0x42, 0x85, 0xf4, 0xff}, {0xe6, 0x5c, 0x00, 0xff}, {0x8e, 0x24, 0xaa, 0xff}}
}

// chartStyle are the colours a chart is drawn with (from the theme).
type chartStyle struct {
	Bg, Fg, Grid color.NRGBA
}

// drawLossCurves draws the four panels in a 2×2 grid on a w×h image. With one run each panel has its
// own colour; with several, each run has one colour in every panel.
func drawLossCurves(w, h int, runs []curveRun, st chartStyle) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	draw.Draw(img, img.Bounds(), &image.Uniform{st.Bg}, image.Point{}, draw.Src)
	if w < 40 || h < 40 {
		return img
	}
	scale := 1
	if h >= 560 && w >= 900 {
		scale = 2
	}
	panels := curvePanels()
	pw, ph := w/2, h/2
	for i, p := range panels {
		r := image.Rect((i%2)*pw, (i/2)*ph, (i%2)*pw+pw, (i/2)*ph+ph)
		drawPanel(img, r, p, runs, st, scale)
	}
	return img
}

func drawPanel(img *image.NRGBA, r image.Rectangle, p curvePanel, runs []curveRun, st chartStyle, scale int) {
	lh := 13 * scale // text line height
	plot := image.Rect(r.Min.X+7*7*scale, r.Min.Y+lh+6*scale, r.Max.X-8*scale, r.Max.Y-lh-4*scale)
	drawText(img, r.Min.X+4*scale, r.Min.Y+2*scale, p.Title, st.Fg, scale)
	if plot.Dx() < 10 || plot.Dy() < 10 {
		return
	}
	// Frame and the scale from every run's values (robust: a few early spikes do not flatten the rest).
	var all []float64
	maxStep := 0
	for _, run := range runs {
		for _, v := range p.Pick(&run.Series) {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				all = append(all, v)
			}
		}
		if n := len(run.Series.Steps); n > 0 {
			maxStep = max(maxStep, run.Series.Steps[n-1])
		}
	}
	strokeRect(img, plot, st.Grid)
	if len(all) == 0 {
		drawText(img, plot.Min.X+6*scale, plot.Min.Y+plot.Dy()/2-lh/2, "no steps logged yet", st.Grid, scale)
		return
	}
	sort.Float64s(all)
	lo, hi := quantile(all, 0.02), quantile(all, 0.98)
	if hi-lo < 1e-6 {
		lo, hi = lo-0.5, hi+0.5
	}
	pad := (hi - lo) * 0.08
	lo, hi = lo-pad, hi+pad
	if lo < 0 && all[0] >= 0 {
		lo = 0
	}
	for q := 1; q < 4; q++ {
		y := plot.Max.Y - q*plot.Dy()/4
		hline(img, plot.Min.X+1, plot.Max.X-1, y, st.Grid)
	}
	drawText(img, r.Min.X+2*scale, plot.Min.Y-lh/2, tick(hi), st.Fg, scale)
	drawText(img, r.Min.X+2*scale, plot.Min.Y+plot.Dy()/2-lh/2, tick((lo+hi)/2), st.Fg, scale)
	drawText(img, r.Min.X+2*scale, plot.Max.Y-lh/2, tick(lo), st.Fg, scale)
	drawText(img, plot.Min.X, plot.Max.Y+2*scale, "0", st.Fg, scale)
	last := fmt.Sprintf("step %d", maxStep)
	drawText(img, plot.Max.X-len(last)*7*scale, plot.Max.Y+2*scale, last, st.Fg, scale)

	px := func(step int) int {
		if maxStep == 0 {
			return plot.Min.X
		}
		return plot.Min.X + int(float64(step)/float64(maxStep)*float64(plot.Dx()-1))
	}
	py := func(v float64) int {
		f := (v - lo) / (hi - lo)
		f = math.Max(0, math.Min(1, f))
		return plot.Max.Y - 1 - int(f*float64(plot.Dy()-2))
	}
	colors := compareColors()
	for ri, run := range runs {
		c := p.Color
		if len(runs) > 1 {
			c = colors[ri%len(colors)]
		}
		vals := p.Pick(&run.Series)
		steps := run.Series.Steps
		faint := c
		faint.A = 0x50
		plotLine(img, steps, vals, px, py, faint, 1)
		plotLine(img, steps, smooth(vals, smoothingFor(len(vals))), px, py, c, 2)
		if len(runs) > 1 {
			// Legend: the run's name in its colour, one line per run in the top right.
			name := run.Name
			if len(name) > 24 {
				name = name[:23] + "…"
			}
			drawText(img, plot.Max.X-len(name)*7*scale-4*scale, plot.Min.Y+2*scale+ri*lh, name, c, scale)
		}
	}
}

// plotLine draws the series as connected segments (NaN breaks the line); width 1 or 2 pixels.
func plotLine(img *image.NRGBA, steps []int, vals []float64, px func(int) int, py func(float64) int, c color.NRGBA, width int) {
	n := min(len(steps), len(vals))
	if n == 1 && !math.IsNaN(vals[0]) {
		x, y := px(steps[0]), py(vals[0])
		segment(img, x-2, y, x+2, y, c, width)
		return
	}
	for i := 1; i < n; i++ {
		if math.IsNaN(vals[i-1]) || math.IsNaN(vals[i]) {
			continue
		}
		segment(img, px(steps[i-1]), py(vals[i-1]), px(steps[i]), py(vals[i]), c, width)
	}
}

// segment draws a line, blending c over what is there; width 2 adds the pixel below each point.
func segment(img *image.NRGBA, x0, y0, x1, y1 int, c color.NRGBA, width int) {
	steps := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= steps; i++ {
		x := x0 + (x1-x0)*i/steps
		y := y0 + (y1-y0)*i/steps
		if i > 0 && i < steps && x == x0+(x1-x0)*(i-1)/steps && y == y0+(y1-y0)*(i-1)/steps {
			continue
		}
		kit.Blend(img, x, y, c)
		if width > 1 {
			kit.Blend(img, x, y+1, c)
			kit.Blend(img, x+1, y, c)
		}
	}
}

func hline(img *image.NRGBA, x0, x1, y int, c color.NRGBA) {
	for x := x0; x <= x1; x++ {
		kit.Blend(img, x, y, c)
	}
}

func strokeRect(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	hline(img, r.Min.X, r.Max.X-1, r.Min.Y, c)
	hline(img, r.Min.X, r.Max.X-1, r.Max.Y-1, c)
	for y := r.Min.Y + 1; y < r.Max.Y-1; y++ {
		kit.Blend(img, r.Min.X, y, c)
		kit.Blend(img, r.Max.X-1, y, c)
	}
}

// quantile of sorted values (linear between neighbours).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	f := q * float64(len(sorted)-1)
	i := int(f)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (f-float64(i))*(sorted[i+1]-sorted[i])
}

// tick formats an axis value compactly.
func tick(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 0.1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// drawText writes s with its top-left corner at (x, y) in the 7×13 fixed font, scaled up by an
// integer factor for dense screens.
func drawText(img *image.NRGBA, x, y int, s string, c color.NRGBA, scale int) {
	face := basicfont.Face7x13
	if scale <= 1 {
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y+face.Ascent)}
		d.DrawString(s)
		return
	}
	w := font.MeasureString(face, s).Ceil()
	mask := image.NewAlpha(image.Rect(0, 0, w, 13))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(s)
	for my := 0; my < 13; my++ {
		for mx := 0; mx < w; mx++ {
			a := mask.AlphaAt(mx, my).A
			if a == 0 {
				continue
			}
			cc := c
			cc.A = uint8(uint32(c.A) * uint32(a) / 255)
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					kit.Blend(img, x+mx*scale+dx, y+my*scale+dy, cc)
				}
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
