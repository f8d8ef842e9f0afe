// Package demo generates the built-in demo catalogue of Style Studio: a
// deterministic set of believable e-commerce products, each rendered as a
// clean product shot in one of several clearly distinct visual styles.
//
// Everything is derived from explicit seeds: the same (n, seed) always gives
// the same items, and the same (Params, style, size) the same pixels. No
// image files are shipped; products are drawn from vector shapes in a
// normalised coordinate space, so any size from 64 to 1024 px works.
//
// Background contract (for foreground masks): minimal, floral, denim and
// stripes use a pure white background, vintage a cream paper one and neon a
// near-black one (see Background). Every product pixel differs from the
// style's background by at least ~45/255 in some channel, while background
// effects (soft shadow, paper grain, vignette, outer glow) stay below ~40/255
// except in a thin ring at the silhouette.
package demo

import (
	"fmt"
	"image"
	"image/color"
)

// DefaultSize is the render size used when Render is given size 0.
const DefaultSize = 256

// MinSize and MaxSize bound the sizes Render accepts.
const (
	MinSize = 16
	MaxSize = 1024
)

// StyleInfo describes a demo style.
type StyleInfo struct {
	Name  string
	Color string // "#rrggbb" swatch for the UI
	Key   string // "1".."9" shortcut
}

// styleDef is the internal description of a style.
type styleDef struct {
	info StyleInfo
	bg   rgb
}

func styleDefs() []styleDef {
	return []styleDef{
		{StyleInfo{"minimal", "#f2c4c0", "1"}, rgb{1, 1, 1}},
		{StyleInfo{"vintage", "#a0764f", "2"}, mustHex("#f1e7d2")},
		{StyleInfo{"neon", "#ff2bd6", "3"}, mustHex("#0b0a10")},
		{StyleInfo{"floral", "#e0708f", "4"}, rgb{1, 1, 1}},
		{StyleInfo{"denim", "#2f4a7c", "5"}, rgb{1, 1, 1}},
		{StyleInfo{"stripes", "#d9483b", "6"}, rgb{1, 1, 1}},
	}
}

// Styles returns the demo styles in their fixed order.
func Styles() []StyleInfo {
	defs := styleDefs()
	out := make([]StyleInfo, len(defs))
	for i, d := range defs {
		out[i] = d.info
	}
	return out
}

// Kinds returns the product kinds in their fixed order.
func Kinds() []string {
	return []string{"tee", "hoodie", "dress", "sneaker", "tote", "mug", "lamp", "chair", "cap", "backpack"}
}

// Background returns the background colour of a style (the colour of every
// pixel far from the product, before grain/vignette in vintage).
func Background(style string) (color.NRGBA, bool) {
	for _, d := range styleDefs() {
		if d.info.Name == style {
			return toNRGBA(d.bg), true
		}
	}
	return color.NRGBA{}, false
}

func toNRGBA(c rgb) color.NRGBA {
	q := func(v float32) uint8 { return uint8(clampF(v)*255 + 0.5) }
	return color.NRGBA{q(c.r), q(c.g), q(c.b), 255}
}

// Params is the JSON-serialisable shape description of one product. All
// continuous fields are in [0, 1] (values outside are clamped); their
// meaning depends on the kind, as documented per field. Color and Trim may
// be empty, in which case colours are derived from Seed.
type Params struct {
	Kind      string `json:"kind"`
	Seed      uint64 `json:"seed"`       // seeds textures (grain, flowers, weave)
	Color     string `json:"color"`      // base colour "#rrggbb"
	ColorName string `json:"color_name"` // merchandising name of Color
	Trim      string `json:"trim"`       // secondary material: sole, legs, metal, leather
	TrimName  string `json:"trim_name"`
	// Width: body/seat/bag width. Height: body length, dress length, mug
	// height, lamp shade height, backrest height, crown height.
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	// Sleeve: sleeve length for tee and dress (dress: < 0.4 is sleeveless).
	Sleeve float64 `json:"sleeve"`
	// Flare: skirt flare (dress), bottom flare (tote), taper (mug), shade
	// flare (lamp).
	Flare float64 `json:"flare"`
	// Heel: sole thickness (sneaker), leg splay and stretcher (chair).
	Heel float64 `json:"heel"`
	// Handle: handle drop (tote), handle size (mug), brim length (cap),
	// pocket height (backpack), ceramic vs. stem base (lamp, >= 0.5 ceramic).
	Handle float64 `json:"handle"`
	// Variant picks a discrete sub-type: neckline/pocket (tee), neckline or
	// belt (dress), low/high top and side panel (sneaker), pocket (tote),
	// glaze (mug), drum/empire/dome shade (lamp), backrest (chair),
	// snapback (cap), logo patch (backpack).
	Variant int `json:"variant"`
}

// Item is one demo product.
type Item struct {
	SKU        string // e.g. "DEMO-TEE-0001", unique
	Title      string // e.g. "Relaxed Floral Cotton Tee — Sage"
	Category   string // "Tops", "Dresses", "Footwear", "Bags", "Kitchen", "Lighting", "Furniture", "Accessories"
	PriceCents int64
	Style      string // the style this product is shown in
	Labeled    bool   // about 60% true, deterministically
	Params     Params
}

func knownKind(k string) bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// resolve validates p and turns it into clamped shape parameters.
func resolve(p Params) (*sp, error) {
	if !knownKind(p.Kind) {
		return nil, fmt.Errorf("demo: unknown product kind %q", p.Kind)
	}
	r := &sp{
		kind:    p.Kind,
		w:       clamp01(p.Width),
		h:       clamp01(p.Height),
		sleeve:  clamp01(p.Sleeve),
		flare:   clamp01(p.Flare),
		heel:    clamp01(p.Heel),
		handle:  clamp01(p.Handle),
		variant: p.Variant,
		seed:    p.Seed,
	}
	if r.variant < 0 {
		r.variant = -r.variant
	}
	var ok bool
	if r.base, ok = hexRGB(p.Color); !ok {
		pal := palette()
		r.base = mustHex(pal[p.Seed%uint64(len(pal))].Hex)
	}
	if r.trim, ok = hexRGB(p.Trim); !ok {
		tp := trimPalette(p.Kind)
		r.trim = mustHex(tp[(p.Seed/7)%uint64(len(tp))].Hex)
	}
	return r, nil
}

// Render draws the product described by p in the given style as a
// size x size image (size 0 means DefaultSize). The silhouette depends on p
// only, so all styles share it exactly.
func Render(p Params, style string, size int) (*image.NRGBA, error) {
	if size == 0 {
		size = DefaultSize
	}
	if size < MinSize || size > MaxSize {
		return nil, fmt.Errorf("demo: size %d out of range [%d, %d]", size, MinSize, MaxSize)
	}
	var def *styleDef
	for _, d := range styleDefs() {
		if d.info.Name == style {
			def = &d
			break
		}
	}
	if def == nil {
		return nil, fmt.Errorf("demo: unknown style %q", style)
	}
	r, err := resolve(p)
	if err != nil {
		return nil, err
	}
	sh := buildShape(r)
	return render(&sh, r, def, size), nil
}
