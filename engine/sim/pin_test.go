package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The simulated shoppers are the yardstick of every feed number (CTR, variant lift): they must never be
// tuned to make a feature look good. This test pins them: their settings, how tastes are drawn from a
// seed, the utility, the click probabilities and the drift after a click. Any change to the shoppers
// fails it; a change that is meant (a bug fixed in the simulator) must update the pinned numbers in the
// same commit and say why, and the README's feed numbers must be measured again.
func TestShopperModelIsPinned(t *testing.T) {
	want := ShopperConfig{StyleWeight: 4, CategoryWeight: 0.4, PriceMin: 0.3, PriceMax: 1.2, NoClick: 4.5, Fatigue: 0.7,
		Drift: 0.05, PatienceMin: 4, PatienceMax: 14, NoClickCost: 1, SecondFavourite: 0.4,
		Background: 0.2, CategoryConcentration: 0.5}
	if got := DefaultShopperConfig(); got != want {
		t.Fatalf("DefaultShopperConfig changed:\n got %+v\nwant %+v", got, want)
	}
	// A fixed catalog (not the synthetic generator, so this pins the shoppers alone): 4 styles,
	// 3 categories, originals and a stylized variant.
	items := []Item{
		{ID: 1, Category: "tee", PriceCents: 1500, Variants: []Variant{{Perceived: []float64{0.7, 0.1, 0.1, 0.1}}, {ID: 11, Perceived: []float64{0.1, 0.6, 0.2, 0.1}}}},
		{ID: 2, Category: "tee", PriceCents: 3000, Variants: []Variant{{Perceived: []float64{0.05, 0.85, 0.05, 0.05}}}},
		{ID: 3, Category: "bag", PriceCents: 8000, Variants: []Variant{{Perceived: []float64{0.1, 0.1, 0.7, 0.1}}, {ID: 31, Perceived: []float64{0.1, 0.1, 0.1, 0.7}}}},
		{ID: 4, Category: "shoe", PriceCents: 5000, Variants: []Variant{{Perceived: []float64{0.25, 0.25, 0.25, 0.25}}}},
		{ID: 5, Category: "bag", PriceCents: 2200, Variants: []Variant{{Perceived: []float64{0, 0, 0.1, 0.9}}}},
	}
	cat, err := NewCatalog(items, []string{"a", "b", "c", "d"})
	if err != nil {
		t.Fatal(err)
	}
	slate := [][2]int{{0, 0}, {0, 1}, {1, 0}, {2, 0}, {2, 1}, {3, 0}, {4, 0}}
	var sumProb, sumWeighted, sumTaste float64
	var first []float64
	u := make([]float64, len(slate))
	for user := range 100 {
		a, b := ShopperSeed(11, user)
		s := NewShopper(cat, ShopperConfig{}, rand.New(rand.NewPCG(a, b)))
		for round := range 2 {
			for j, c := range slate {
				u[j] = s.Utility(c[0], c[1], (user+j+round)%3)
			}
			p := ChoiceProbabilities(u, s.NoClickUtility())
			if user == 0 && round == 0 {
				first = p
			}
			best := 0
			for j, x := range p {
				sumProb += x
				sumWeighted += float64(j+1) * float64(round+1) * x
				if j < len(slate) && x > p[best] {
					best = j
				}
			}
			s.click(slate[best][0], slate[best][1]) // tastes drift toward the click
		}
		for k, x := range s.StyleAffinity() {
			sumTaste += float64(k+1) * x
		}
		for k, x := range s.CategoryAffinity() {
			sumTaste += float64(k+5) * x
		}
		sumTaste += s.PriceSensitivity() + s.Patience()/10
	}
	wantFirst := []float64{0.06767045304512527, 0.052657947755015554, 0.0080250352596828115, 0.052862713219469101,
		0.0034109345566417761, 0.0034425660925998295, 0.025982074359665798, 0.78594827571179993}
	for j := range first {
		if math.Abs(first[j]-wantFirst[j]) > 1e-12 {
			t.Errorf("shopper 0's click probabilities changed: got %.17g, want %.17g", first, wantFirst)
			break
		}
	}
	if math.Abs(sumProb-200) > 1e-9 {
		t.Errorf("click probabilities sum to %.12g over 200 slates, want 200", sumProb)
	}
	const pinWeighted, pinTaste = 2088.0052259695422, 1021.8995373222045
	if math.Abs(sumWeighted-pinWeighted) > 1e-9 || math.Abs(sumTaste-pinTaste) > 1e-9 {
		t.Errorf("the shoppers changed: weighted click mass %.17g (want %.17g), tastes after drift %.17g (want %.17g)",
			sumWeighted, pinWeighted, sumTaste, pinTaste)
	}
}
