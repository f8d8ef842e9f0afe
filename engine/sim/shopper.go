package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ShopperConfig sets the hidden-taste model (see the package documentation for the formulas). The zero
// value means DefaultShopperConfig; any other value is used as given.
type ShopperConfig struct {
	StyleWeight           float64 // βs: weight of ⟨style affinity, perceived style⟩ in the utility
	CategoryWeight        float64 // βc: weight of C·(category affinity) in the utility
	PriceMin, PriceMax    float64 // range of the price sensitivity λ
	NoClick               float64 // u0: utility of not clicking
	Fatigue               float64 // φ: utility lost per earlier impression of the same product
	Drift                 float64 // η: how far a click moves tastes toward what was clicked
	PatienceMin           float64 // range of the patience budget, in slates
	PatienceMax           float64
	NoClickCost           float64 // extra patience a slate without a click costs
	SecondFavourite       float64 // probability of a second favourite style
	Background            float64 // ρ: share of style affinity spread over all styles
	CategoryConcentration float64 // α of the category Dirichlet; smaller means pickier shoppers
}

// DefaultShopperConfig is the configuration the tests and the feed screen use.
func DefaultShopperConfig() ShopperConfig {
	return ShopperConfig{
		StyleWeight: 4, CategoryWeight: 0.4, PriceMin: 0.3, PriceMax: 1.2, NoClick: 4.5, Fatigue: 0.7,
		Drift: 0.05, PatienceMin: 4, PatienceMax: 14, NoClickCost: 1, SecondFavourite: 0.4,
		Background: 0.2, CategoryConcentration: 0.5,
	}
}

func (c ShopperConfig) orDefault() ShopperConfig {
	if c == (ShopperConfig{}) {
		return DefaultShopperConfig()
	}
	return c
}

func (c ShopperConfig) validate() error {
	finite := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	switch {
	case !finite(c.StyleWeight, c.CategoryWeight, c.PriceMin, c.PriceMax, c.NoClick, c.Fatigue, c.Drift,
		c.PatienceMin, c.PatienceMax, c.NoClickCost, c.SecondFavourite, c.Background, c.CategoryConcentration):
		return fmt.Errorf("sim: %w: a shopper setting is not a finite number", ErrBadConfig)
	case c.PriceMin < 0 || c.PriceMax < c.PriceMin:
		return fmt.Errorf("sim: %w: price sensitivity range [%g, %g] must satisfy 0 ≤ min ≤ max", ErrBadConfig, c.PriceMin, c.PriceMax)
	case c.PatienceMin <= 0 || c.PatienceMax < c.PatienceMin:
		return fmt.Errorf("sim: %w: patience range [%g, %g] must satisfy 0 < min ≤ max", ErrBadConfig, c.PatienceMin, c.PatienceMax)
	case c.Drift < 0 || c.Drift > 1:
		return fmt.Errorf("sim: %w: drift %g must be in [0, 1]", ErrBadConfig, c.Drift)
	case c.SecondFavourite < 0 || c.SecondFavourite > 1 || c.Background < 0 || c.Background > 1:
		return fmt.Errorf("sim: %w: SecondFavourite and Background are probabilities in [0, 1]", ErrBadConfig)
	case c.CategoryConcentration <= 0:
		return fmt.Errorf("sim: %w: category concentration %g must be positive", ErrBadConfig, c.CategoryConcentration)
	case c.Fatigue < 0 || c.NoClickCost < 0:
		return fmt.Errorf("sim: %w: fatigue and no-click cost must not be negative", ErrBadConfig)
	}
	return nil
}

// Shopper is one simulated shopper's hidden state. Only the simulator and the Oracle policy look at it.
type Shopper struct {
	cat      *Catalog
	cfg      ShopperConfig
	style    []float64 // a
	category []float64 // b
	price    float64   // λ
	patience float64   // B
}

// NewShopper draws a shopper's tastes from rng (see the package documentation).
func NewShopper(cat *Catalog, cfg ShopperConfig, rng *rand.Rand) *Shopper {
	s := &Shopper{}
	s.draw(cat, cfg.orDefault(), rng)
	return s
}

func (s *Shopper) draw(cat *Catalog, cfg ShopperConfig, rng *rand.Rand) {
	s.cat, s.cfg = cat, cfg
	nS, nC := len(cat.Styles), len(cat.Categories)
	s.style = resize(s.style, nS)
	s.category = resize(s.category, nC)

	// style: Background share spread by a flat Dirichlet, the rest on 1 or 2 favourites
	dirichlet(s.style, 1, rng)
	for i := range s.style {
		s.style[i] *= cfg.Background
	}
	fav := rng.IntN(nS)
	if nS > 1 && rng.Float64() < cfg.SecondFavourite {
		second := rng.IntN(nS - 1)
		if second >= fav {
			second++
		}
		w := 0.55 + 0.25*rng.Float64()
		s.style[fav] += (1 - cfg.Background) * w
		s.style[second] += (1 - cfg.Background) * (1 - w)
	} else {
		s.style[fav] += 1 - cfg.Background
	}
	dirichlet(s.category, cfg.CategoryConcentration, rng)
	s.price = cfg.PriceMin + (cfg.PriceMax-cfg.PriceMin)*rng.Float64()
	s.patience = cfg.PatienceMin + (cfg.PatienceMax-cfg.PatienceMin)*rng.Float64()
}

// Utility is U(item, variant) for a shopper who has already been shown item seen times.
func (s *Shopper) Utility(item, variant, seen int) float64 {
	pi := s.cat.Items[item].Variants[variant].Perceived
	var dot float64
	for k, a := range s.style {
		dot += a * pi[k]
	}
	c := s.cat.itemCat[item]
	return s.cfg.StyleWeight*dot +
		s.cfg.CategoryWeight*float64(len(s.category))*s.category[c] -
		s.price*(s.cat.logPrice[item]-s.cat.refLogPrice) -
		s.cfg.Fatigue*float64(seen)
}

// NoClickUtility is u0.
func (s *Shopper) NoClickUtility() float64 { return s.cfg.NoClick }

// StyleAffinity returns a copy of the shopper's style affinity a.
func (s *Shopper) StyleAffinity() []float64 { return append([]float64(nil), s.style...) }

// CategoryAffinity returns a copy of the shopper's category affinity b (over Catalog.Categories).
func (s *Shopper) CategoryAffinity() []float64 { return append([]float64(nil), s.category...) }

// PriceSensitivity is λ.
func (s *Shopper) PriceSensitivity() float64 { return s.price }

// Patience is the shopper's patience budget B in slates.
func (s *Shopper) Patience() float64 { return s.patience }

// click moves the tastes toward the clicked image (interest drift).
func (s *Shopper) click(item, variant int) {
	eta := s.cfg.Drift
	if eta == 0 {
		return
	}
	pi := s.cat.Items[item].Variants[variant].Perceived
	var sum float64
	for _, x := range pi {
		sum += x
	}
	if sum > 0 {
		for k := range s.style {
			s.style[k] = (1-eta)*s.style[k] + eta*pi[k]/sum
		}
	}
	for k := range s.category {
		s.category[k] *= 1 - eta
	}
	s.category[s.cat.itemCat[item]] += eta
}

// ChoiceProbabilities is the multinomial logit over a slate with a no-click option: for utilities
// U_1..U_K and no-click utility u0 it returns K+1 probabilities, exp(U_j)/Z for each slot and
// exp(u0)/Z last, Z = exp(u0) + Σ exp(U_k). It is computed stably (shifted by the largest utility).
func ChoiceProbabilities(utilities []float64, noClick float64) []float64 {
	return choiceProbabilities(make([]float64, len(utilities)+1), utilities, noClick)
}

func choiceProbabilities(dst, utilities []float64, noClick float64) []float64 {
	dst = dst[:len(utilities)+1]
	m := noClick
	for _, u := range utilities {
		m = max(m, u)
	}
	var z float64
	for j, u := range utilities {
		dst[j] = math.Exp(u - m)
		z += dst[j]
	}
	dst[len(utilities)] = math.Exp(noClick - m)
	z += dst[len(utilities)]
	for j := range dst {
		dst[j] /= z
	}
	return dst
}

func resize(v []float64, n int) []float64 {
	if cap(v) < n {
		return make([]float64, n)
	}
	return v[:n]
}

// dirichlet fills dst with a draw from a symmetric Dirichlet(alpha).
func dirichlet(dst []float64, alpha float64, rng *rand.Rand) {
	var s float64
	for i := range dst {
		dst[i] = gamma(alpha, rng)
		s += dst[i]
	}
	if s <= 0 {
		fill(dst, 1/float64(max(len(dst), 1)))
		return
	}
	for i := range dst {
		dst[i] /= s
	}
}

// gamma draws from Gamma(alpha, 1) (Marsaglia and Tsang; alpha < 1 by the U^(1/alpha) boost).
func gamma(alpha float64, rng *rand.Rand) float64 {
	if alpha < 1 {
		u := rng.Float64()
		return gamma(alpha+1, rng) * math.Pow(u, 1/alpha)
	}
	d := alpha - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
