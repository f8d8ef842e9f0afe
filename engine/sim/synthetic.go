package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SyntheticConfig describes a made-up catalog for tests, benchmarks and demos without a classifier.
type SyntheticConfig struct {
	Items, Styles, Categories int
	FeatureDim                int
	// Peak is the perceived probability of an original image's own style (the classifier's confidence).
	Peak float64
	// VariantFraction is the share of products that get stylized variants, VariantsPerItem each, in
	// other styles chosen at random.
	VariantFraction float64
	VariantsPerItem int
	// VariantQuality is how convincing a variant is, in [0, 1]: its perceived style vector is
	// q·e_target + (1−q)·(the original's), with q drawn in [0.85, 1]·VariantQuality; 1 looks fully
	// like the target style, 0 looks like the original.
	VariantQuality float64
	Seed           uint64
}

// DefaultSyntheticConfig is 400 products in 6 styles and 8 categories, half of them with two
// convincing variants.
func DefaultSyntheticConfig() SyntheticConfig {
	return SyntheticConfig{Items: 400, Styles: 6, Categories: 8, FeatureDim: 16, Peak: 0.8,
		VariantFraction: 0.5, VariantsPerItem: 2, VariantQuality: 0.9, Seed: 1}
}

var (
	synthStyles     = []string{"minimal", "boho", "vintage", "street", "luxe", "sporty", "preppy", "grunge"}
	synthCategories = []string{"bags", "dresses", "hats", "jackets", "jeans", "shirts", "shoes", "sweaters", "scarves", "skirts"}
)

// Synthetic builds a deterministic catalog: each product has a true style (uniform), an original image
// whose perceived vector puts about Peak on that style and spreads the rest at random, features that
// are a fixed random projection of the perceived vector plus noise (σ 0.1), a category (uniform) and a
// log-normal price around a per-category level.
func Synthetic(cfg SyntheticConfig) ([]Item, []string) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5e7a))
	styles := make([]string, cfg.Styles)
	for i := range styles {
		if i < len(synthStyles) {
			styles[i] = synthStyles[i]
		} else {
			styles[i] = fmt.Sprintf("style%d", i)
		}
	}
	cats := make([]string, cfg.Categories)
	level := make([]float64, cfg.Categories)
	for i := range cats {
		if i < len(synthCategories) {
			cats[i] = synthCategories[i]
		} else {
			cats[i] = fmt.Sprintf("category%d", i)
		}
		level[i] = math.Log(4000) + 0.5*rng.NormFloat64()
	}
	proj := make([]float64, cfg.FeatureDim*cfg.Styles)
	for i := range proj {
		proj[i] = rng.NormFloat64()
	}
	features := func(pi []float64) []float32 {
		f := make([]float32, cfg.FeatureDim)
		for d := range f {
			var s float64
			for k, p := range pi {
				s += proj[d*cfg.Styles+k] * p
			}
			f[d] = float32(s + 0.1*rng.NormFloat64())
		}
		return f
	}
	items := make([]Item, cfg.Items)
	for i := range items {
		style := rng.IntN(cfg.Styles)
		c := rng.IntN(cfg.Categories)
		pi := make([]float64, cfg.Styles)
		rest := make([]float64, cfg.Styles)
		dirichlet(rest, 1, rng)
		peak := min(0.99, max(1/float64(cfg.Styles), cfg.Peak+0.1*(rng.Float64()-0.5)))
		var others float64
		for k := range rest {
			if k != style {
				others += rest[k]
			}
		}
		for k := range pi {
			if k == style {
				pi[k] = peak
			} else if others > 0 {
				pi[k] = (1 - peak) * rest[k] / others
			}
		}
		if cfg.Styles == 1 {
			pi[0] = 1
		}
		it := Item{ID: int64(i + 1), Category: cats[c], PriceCents: int64(math.Round(math.Exp(level[c] + 0.4*rng.NormFloat64())))}
		it.PriceCents = max(it.PriceCents, 1)
		it.Variants = append(it.Variants, Variant{Style: styles[style], Perceived: pi, Features: features(pi)})
		if cfg.Styles > 1 && rng.Float64() < cfg.VariantFraction {
			for v := 0; v < cfg.VariantsPerItem; v++ {
				target := rng.IntN(cfg.Styles - 1)
				if target >= style {
					target++
				}
				q := cfg.VariantQuality * (0.85 + 0.15*rng.Float64())
				vp := make([]float64, cfg.Styles)
				for k := range vp {
					vp[k] = (1 - q) * pi[k]
				}
				vp[target] += q
				it.Variants = append(it.Variants, Variant{ID: int64(i+1)*100 + int64(v+1), Style: styles[target],
					Perceived: vp, Features: features(vp)})
			}
		}
		items[i] = it
	}
	return items, styles
}
