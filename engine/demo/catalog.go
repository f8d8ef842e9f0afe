package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// kindInfo holds the merchandising facts of a kind.
type kindInfo struct {
	category     string
	code         string
	minPrice     int64 // whole currency units
	maxPrice     int64
	adjectives   []string
	materials    []string
	defaultNouns []string
}

func kindInfoFor(kind string) kindInfo {
	switch kind {
	case "tee":
		return kindInfo{"Tops", "TEE", 18, 45,
			[]string{"Relaxed", "Classic", "Boxy", "Slim", "Oversized", "Heavyweight", "Everyday"},
			[]string{"Cotton", "Organic Cotton", "Slub Jersey", "Pima Cotton", "Linen-Blend"},
			[]string{"Tee"}}
	case "hoodie":
		return kindInfo{"Tops", "HOODIE", 45, 110,
			[]string{"Cozy", "Relaxed", "Oversized", "Classic", "Brushed", "Heavyweight"},
			[]string{"Fleece", "French Terry", "Loopback Cotton", "Organic Fleece"},
			[]string{"Hoodie", "Pullover Hoodie"}}
	case "dress":
		return kindInfo{"Dresses", "DRESS", 49, 180,
			[]string{"Flowy", "A-Line", "Tea", "Summer", "Tiered", "Fit-and-Flare"},
			[]string{"Linen", "Crepe", "Cotton Poplin", "Viscose", "Jersey"},
			[]string{"Dress"}}
	case "sneaker":
		return kindInfo{"Footwear", "SNEAKER", 65, 180,
			[]string{"Court", "Retro", "Everyday", "Classic", "Street", "Lightweight"},
			[]string{"Canvas", "Leather", "Suede", "Knit"},
			[]string{"Sneaker", "Trainer"}}
	case "tote":
		return kindInfo{"Bags", "TOTE", 19, 89,
			[]string{"Market", "Everyday", "Oversized", "Weekend", "Classic", "Shopper"},
			[]string{"Canvas", "Cotton Twill", "Waxed Canvas", "Recycled Cotton"},
			[]string{"Tote", "Tote Bag"}}
	case "mug":
		return kindInfo{"Kitchen", "MUG", 12, 36,
			[]string{"Morning", "Handmade", "Classic", "Café", "Everyday", "Speckled"},
			[]string{"Stoneware", "Porcelain", "Ceramic", "Enamel"},
			[]string{"Mug", "Coffee Mug"}}
	case "lamp":
		return kindInfo{"Lighting", "LAMP", 39, 260,
			[]string{"Bedside", "Studio", "Classic", "Modern", "Reading", "Mid-Century"},
			[]string{"Linen", "Ceramic", "Brass", "Fabric"},
			[]string{"Table Lamp"}}
	case "chair":
		return kindInfo{"Furniture", "CHAIR", 89, 480,
			[]string{"Dining", "Café", "Nordic", "Mid-Century", "Bistro", "Classic"},
			[]string{"Oak", "Upholstered", "Solid Wood", "Bentwood"},
			[]string{"Chair", "Side Chair"}}
	case "cap":
		return kindInfo{"Accessories", "CAP", 18, 42,
			[]string{"Washed", "Classic", "Low-Profile", "Dad", "Trail", "Everyday"},
			[]string{"Cotton Twill", "Canvas", "Corduroy", "Nylon"},
			[]string{"Cap", "Baseball Cap"}}
	default: // backpack
		return kindInfo{"Bags", "BACKPACK", 45, 160,
			[]string{"Daily", "Commuter", "Roll-Top", "Campus", "Trail", "City"},
			[]string{"Canvas", "Recycled Nylon", "Waxed Cotton", "Cordura"},
			[]string{"Backpack", "Daypack"}}
	}
}

// styleWords are the title words that describe a style's look.
func styleWords(style string) []string {
	switch style {
	case "minimal":
		return []string{"Essential", "Clean-Line", "Pure", "Soft Pastel"}
	case "vintage":
		return []string{"Vintage", "Heritage", "Retro", "Sepia-Wash"}
	case "neon":
		return []string{"Neon", "Glow", "Electric", "Afterdark"}
	case "floral":
		return []string{"Floral", "Ditsy Floral", "Botanical", "Meadow Print"}
	case "denim":
		return []string{"Denim", "Chambray", "Indigo Twill", "Selvedge"}
	default:
		return []string{"Striped", "Breton Stripe", "Awning Stripe", "Sailor Stripe"}
	}
}

// Catalog returns n deterministic demo items for the seed. Kinds and styles
// are balanced (every block of len(Kinds())*len(Styles()) items holds each
// kind/style pair once, in shuffled order) and about 60% of the items of
// each style are labeled.
func Catalog(n int, seed uint64) []Item {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	kinds := Kinds()
	styles := Styles()
	type combo struct{ k, s int }
	var order []combo
	for len(order) < n {
		block := make([]combo, 0, len(kinds)*len(styles))
		for k := range kinds {
			for s := range styles {
				block = append(block, combo{k, s})
			}
		}
		rng.Shuffle(len(block), func(i, j int) { block[i], block[j] = block[j], block[i] })
		order = append(order, block...)
	}
	order = order[:n]

	// Stratified labelling: per style, a Bresenham sequence with a random
	// phase labels 3 of every 5 items.
	phase := make([]float64, len(styles))
	for i := range phase {
		phase[i] = rng.Float64()
	}
	seen := make([]int, len(styles))
	perKind := make(map[string]int)

	items := make([]Item, n)
	for i, c := range order {
		kind := kinds[c.k]
		style := styles[c.s].Name
		itemSeed := rng.Uint64()
		p := randomParams(kind, itemSeed)
		perKind[kind]++
		m := seen[c.s]
		seen[c.s]++
		labeled := int(float64(m+1)*0.6+phase[c.s]) > int(float64(m)*0.6+phase[c.s])
		ir := rand.New(rand.NewPCG(itemSeed, 0x7A11))
		info := kindInfoFor(kind)
		items[i] = Item{
			SKU:        fmt.Sprintf("DEMO-%s-%04d", info.code, perKind[kind]),
			Title:      title(ir, kind, style, &p),
			Category:   info.category,
			PriceCents: price(ir, info, style),
			Style:      style,
			Labeled:    labeled,
			Params:     p,
		}
	}
	return items
}

// randomParams draws the shape and colour parameters of one product.
func randomParams(kind string, seed uint64) Params {
	r := rand.New(rand.NewPCG(seed, 0x5EED))
	pal := palette()
	col := pal[r.IntN(len(pal))]
	tp := trimPalette(kind)
	tr := tp[r.IntN(len(tp))]
	round := func(v float64) float64 { return float64(int(v*1000+0.5)) / 1000 }
	p := Params{
		Kind:      kind,
		Seed:      seed,
		Color:     col.Hex,
		ColorName: col.Name,
		Trim:      tr.Hex,
		TrimName:  tr.Name,
		Width:     round(r.Float64()),
		Height:    round(r.Float64()),
		Sleeve:    round(r.Float64()),
		Flare:     round(r.Float64()),
		Heel:      round(r.Float64()),
		Handle:    round(r.Float64()),
		Variant:   r.IntN(6),
	}
	return p
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// noun derives the product noun from its shape parameters, so titles match
// the pictures ("V-Neck Tee", "High-Top Sneaker", "Empire Shade Lamp").
func noun(r *rand.Rand, kind string, p *Params) string {
	switch kind {
	case "tee":
		n := []string{"Crew Tee", "V-Neck Tee", "Pocket Tee"}[p.Variant%3]
		if p.Sleeve > 0.6 {
			n = "Long-Sleeve " + n
		}
		return n
	case "dress":
		length := "Midi"
		switch {
		case p.Height < 0.33:
			length = "Mini"
		case p.Height > 0.8:
			length = "Maxi"
		}
		if p.Sleeve < 0.4 {
			return length + " Sundress"
		}
		return length + " Dress"
	case "sneaker":
		if p.Variant%2 == 1 {
			return "High-Top Sneaker"
		}
		return "Low-Top " + pick(r, []string{"Sneaker", "Trainer"})
	case "lamp":
		return []string{"Drum Shade Table Lamp", "Empire Shade Table Lamp", "Dome Table Lamp"}[p.Variant%3]
	case "chair":
		return []string{"Upholstered Side Chair", "Slat-Back Chair", "Arched Dining Chair"}[p.Variant%3]
	case "cap":
		if p.Variant%2 == 1 {
			return "Snapback Cap"
		}
		return "Baseball Cap"
	case "tote":
		if p.Variant%3 == 1 {
			return "Pocket Tote"
		}
	}
	return pick(r, kindInfoFor(kind).defaultNouns)
}

// title composes "<adjective> <style word> <noun>" or "<style word>
// <material> <noun>", followed by the colour name.
func title(r *rand.Rand, kind, style string, p *Params) string {
	info := kindInfoFor(kind)
	adj := pick(r, info.adjectives)
	sw := pick(r, styleWords(style))
	mat := pick(r, info.materials)
	nn := noun(r, kind, p)
	colour := p.ColorName
	if style == "denim" {
		ws := denimWashes()
		colour = ws[p.Seed%uint64(len(ws))].Name
	}
	var words []string
	if r.IntN(2) == 0 || style == "denim" || strings.Contains(nn, mat) {
		words = []string{adj, sw, nn}
	} else {
		words = []string{sw, mat, nn}
	}
	return strings.Join(words, " ") + " — " + colour
}

// price picks a plausible retail price ending in .00, .50, .95 or .99.
func price(r *rand.Rand, info kindInfo, style string) int64 {
	units := info.minPrice + r.Int64N(info.maxPrice-info.minPrice+1)
	if style == "denim" || style == "vintage" {
		units += units / 10
	}
	cents := []int64{0, 50, 95, 99}[r.IntN(4)]
	if cents >= 95 {
		units--
	}
	return units*100 + cents
}
