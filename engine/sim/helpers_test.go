package sim

import (
	"math"
)

// tasteScorer is a hand-written Scorer for tests: it knows the form of the utility (style match and
// category share), not any shopper's hidden tastes, and scores from the Profile only.
type tasteScorer struct{}

func (tasteScorer) ScoreCandidates(p *Profile, items []Item, cands []Choice, out []float64) {
	nc := float64(len(p.Categories))
	for j, c := range cands {
		it := &items[c.Item]
		pi := it.Variants[c.Variant].Perceived
		var dot float64
		for k, a := range p.Style {
			dot += a * pi[k]
		}
		u := 4*dot + 0.4*nc*p.CategoryShare(it.Category) - 0.5*math.Log(float64(it.PriceCents)/4000)
		out[j] = 1 / (1 + math.Exp(-(u - 4.5)))
	}
}

func testCatalog(quality float64, seed uint64) ([]Item, []string) {
	cfg := DefaultSyntheticConfig()
	cfg.VariantQuality = quality
	cfg.Seed = seed
	return Synthetic(cfg)
}

func allPolicies() []Policy {
	return []Policy{NewRandom(), NewPopular(), NewRankerOriginals(tasteScorer{}), NewRanker(tasteScorer{}), NewOracle()}
}
