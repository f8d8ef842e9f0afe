package demo

import (
	"fmt"
	"math"
	"strconv"
)

// rgb is a linear-ish display colour with channels in [0, 1].
type rgb struct{ r, g, b float32 }

func hexRGB(s string) (rgb, bool) {
	if len(s) != 7 || s[0] != '#' {
		return rgb{}, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return rgb{}, false
	}
	return rgb{float32(v>>16&255) / 255, float32(v>>8&255) / 255, float32(v&255) / 255}, true
}

func mustHex(s string) rgb {
	c, ok := hexRGB(s)
	if !ok {
		panic("demo: bad colour constant " + s)
	}
	return c
}

func (c rgb) hex() string {
	q := func(v float32) int { return int(math.Round(float64(clampF(v)) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", q(c.r), q(c.g), q(c.b))
}

func clampF(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

func mix(a, b rgb, t float32) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

func (c rgb) scale(k float32) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

func (c rgb) lum() float32 { return 0.2126*c.r + 0.7152*c.g + 0.0722*c.b }

func white() rgb { return rgb{1, 1, 1} }

func black() rgb { return rgb{0, 0, 0} }

func maxDev(a, b rgb) float32 {
	d := float32(math.Abs(float64(a.r - b.r)))
	d = max(d, float32(math.Abs(float64(a.g-b.g))))
	return max(d, float32(math.Abs(float64(a.b-b.b))))
}

// ensureDev pushes c away from bg (towards black for light backgrounds,
// towards white for dark ones) until some channel differs by at least d.
// This keeps every product pixel separable from the background.
func ensureDev(c, bg rgb, d float32) rgb {
	target := black()
	if bg.lum() < 0.5 {
		target = white()
	}
	for i := 0; i < 40 && maxDev(c, bg) < d; i++ {
		c = mix(c, target, 0.05)
	}
	return c
}

// saturate returns the fully saturated, bright version of c's hue, and the
// original saturation.
func hsv(c rgb) (h, s, v float32) {
	mx := max(c.r, c.g, c.b)
	mn := min(c.r, c.g, c.b)
	v = mx
	if mx <= 0 {
		return 0, 0, 0
	}
	s = (mx - mn) / mx
	if mx == mn {
		return 0, s, v
	}
	d := mx - mn
	switch mx {
	case c.r:
		h = (c.g - c.b) / d
		if h < 0 {
			h += 6
		}
	case c.g:
		h = (c.b-c.r)/d + 2
	default:
		h = (c.r-c.g)/d + 4
	}
	return h / 6, s, v
}

func fromHSV(h, s, v float32) rgb {
	h = h - float32(math.Floor(float64(h)))
	i := int(h * 6)
	f := h*6 - float32(i)
	p := v * (1 - s)
	q := v * (1 - s*f)
	t := v * (1 - s*(1-f))
	switch i % 6 {
	case 0:
		return rgb{v, t, p}
	case 1:
		return rgb{q, v, p}
	case 2:
		return rgb{p, v, t}
	case 3:
		return rgb{p, q, v}
	case 4:
		return rgb{t, p, v}
	default:
		return rgb{v, p, q}
	}
}

// namedColor is a product colour with its merchandising name.
type namedColor struct{ Name, Hex string }

// palette returns the base colours products come in.
func palette() []namedColor {
	return []namedColor{
		{"Sage", "#8fa77e"},
		{"Navy", "#1f2f4d"},
		{"Rust", "#b5502f"},
		{"Mustard", "#d2a12a"},
		{"Blush", "#e39aa2"},
		{"Charcoal", "#3c3f45"},
		{"Olive", "#6f6d32"},
		{"Teal", "#1f7a78"},
		{"Burgundy", "#7b2238"},
		{"Sand", "#c7ae85"},
		{"Cobalt", "#2b4fb0"},
		{"Terracotta", "#c4673f"},
		{"Forest", "#2f5b3b"},
		{"Lilac", "#a890cf"},
		{"Coral", "#ee7a62"},
		{"Sky", "#78a9da"},
		{"Plum", "#63305f"},
		{"Tomato", "#d6432c"},
	}
}

// trimPalette returns the secondary material colours that suit a kind.
func trimPalette(kind string) []namedColor {
	switch kind {
	case "sneaker":
		return []namedColor{{"Off-White Sole", "#e6e0d2"}, {"Gum Sole", "#b9824d"}, {"Black Sole", "#2b2b2d"}, {"Chalk Sole", "#d9d6cf"}}
	case "lamp":
		return []namedColor{{"Brass", "#b39350"}, {"Matte Black", "#2a2a2c"}, {"Chrome", "#a9adb3"}, {"Walnut", "#6b4a32"}}
	case "chair":
		return []namedColor{{"Oak", "#c19a6b"}, {"Walnut", "#6b4a32"}, {"Black Ash", "#2d2a28"}, {"Beech", "#d9b98c"}}
	case "tote":
		return []namedColor{{"Tan Leather", "#a86d3c"}, {"Natural Webbing", "#d8c9a6"}, {"Black Leather", "#2c2a29"}, {"Cognac", "#8e4a22"}}
	case "backpack":
		return []namedColor{{"Black Hardware", "#26262a"}, {"Brass Hardware", "#b39350"}, {"Silver Hardware", "#a9adb3"}}
	default:
		return []namedColor{{"Gunmetal", "#4a4d52"}, {"Silver", "#a9adb3"}, {"Cream", "#e8dfcc"}, {"Black", "#2a2a2c"}}
	}
}

// floralAccents are petal colours for the floral print.
func floralAccents() []rgb {
	return []rgb{
		mustHex("#d9476b"), mustHex("#e8b53a"), mustHex("#4a6fd1"),
		mustHex("#9b6fc4"), mustHex("#f07b63"), mustHex("#3f9a8c"),
	}
}

// neonColors are the tube colours used when the product hue is too dull.
func neonColors() []rgb {
	return []rgb{
		mustHex("#ff2bd6"), mustHex("#22f0ff"), mustHex("#7dff3a"),
		mustHex("#b45cff"), mustHex("#ff8a1f"), mustHex("#fff23a"),
	}
}

// denimWashes are the indigo shades used by the denim style.
func denimWashes() []namedColor {
	return []namedColor{
		{"Rinse Indigo", "#1d2a4f"}, {"Mid Wash", "#34507f"}, {"Light Wash", "#5a78a6"}, {"Dark Indigo", "#17213d"},
	}
}
