package feed

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// policyColors gives each policy a fixed colour in charts and legends.
func policyColors() map[string]color.NRGBA {
	return map[string]color.NRGBA{
		"random":           {0x9e, 0x9e, 0x9e, 0xff},
		"popular":          {0xf2, 0x8e, 0x2b, 0xff},
		"ranker":           {0x2e, 0x7d, 0x32, 0xff},
		"ranker-originals": {0x42, 0x85, 0xf4, 0xff},
		"oracle":           {0xb0, 0x3a, 0x8c, 0xff},
	}
}

// lineChart draws series (same length, one per policy) scaled to [0, top] on a w×h image with light grid
// lines at quarters of top. It is deliberately small: Fyne has no chart widget and the series are short.
func lineChart(w, h int, series map[string][]float64, top float64, bg color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{bg}, image.Point{}, draw.Src)
	grid := color.NRGBA{0x80, 0x80, 0x80, 0x40}
	for q := 1; q < 4; q++ {
		y := h - 1 - int(float64(q)/4*float64(h-1))
		for x := 0; x < w; x++ {
			img.Set(x, y, grid)
		}
	}
	if top <= 0 {
		return img
	}
	colors := policyColors()
	for name, s := range series {
		c, ok := colors[name]
		if !ok || len(s) == 0 {
			continue
		}
		px := func(i int) int {
			if len(s) == 1 {
				return w / 2
			}
			return int(float64(i) / float64(len(s)-1) * float64(w-1))
		}
		py := func(v float64) int { return h - 1 - int(math.Min(v/top, 1)*float64(h-1)) }
		for i := 1; i < len(s); i++ {
			thickLine(img, px(i-1), py(s[i-1]), px(i), py(s[i]), c)
		}
		if len(s) == 1 {
			thickLine(img, px(0)-2, py(s[0]), px(0)+2, py(s[0]), c)
		}
	}
	return img
}

// thickLine draws a 2-pixel line from (x0,y0) to (x1,y1).
func thickLine(img *image.NRGBA, x0, y0, x1, y1 int, c color.Color) {
	steps := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= steps; i++ {
		x := x0 + (x1-x0)*i/steps
		y := y0 + (y1-y0)*i/steps
		img.Set(x, y, c)
		img.Set(x, y+1, c)
		img.Set(x+1, y, c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
