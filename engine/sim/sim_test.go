package sim

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestChoiceProbabilitiesByHand(t *testing.T) {
	// exp(1), exp(0), exp(0) over Z = e + 2
	got := ChoiceProbabilities([]float64{1, 0}, 0)
	z := math.E + 2
	want := []float64{math.E / z, 1 / z, 1 / z}
	if len(got) != 3 {
		t.Fatalf("got %d probabilities, want 3", len(got))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("p[%d] = %.15f, want %.15f", i, got[i], want[i])
		}
	}
	// 0.576117 for the better item, as computed by hand
	if math.Abs(got[0]-0.5761168847658291) > 1e-12 {
		t.Errorf("p[0] = %v, want 0.5761168847658291", got[0])
	}
	if p := ChoiceProbabilities(nil, 3); len(p) != 1 || p[0] != 1 {
		t.Errorf("empty slate: got %v, want [1]", p)
	}
}

func TestChoiceProbabilitiesSumToOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		u := make([]float64, 1+rng.IntN(20))
		for i := range u {
			u[i] = 50 * rng.NormFloat64() // includes utilities far beyond exp's float range
		}
		u0 := 50 * rng.NormFloat64()
		p := ChoiceProbabilities(u, u0)
		var s float64
		for _, x := range p {
			if x < 0 || math.IsNaN(x) {
				t.Fatalf("probability %v for utilities %v", x, u)
			}
			s += x
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("sum %v, want 1", s)
		}
		// the odds of two slots are exp of their utility difference
		if len(u) >= 2 && p[1] > 1e-200 && math.Abs(u[0]-u[1]) < 30 {
			if r := math.Log(p[0] / p[1]); math.Abs(r-(u[0]-u[1])) > 1e-9 {
				t.Fatalf("log odds %v, want %v", r, u[0]-u[1])
			}
		}
	}
}

func TestUpdateProfileByHand(t *testing.T) {
	items := []Item{{ID: 1, Category: "b"}}
	v := &Variant{Perceived: []float64{1, 0}}
	p := NewProfile(2, []string{"a", "b"})
	UpdateProfile(&p, true, v, &items[0])
	// first click: η = max(0.25, 1/2) = 0.5; style 0.5·[0.5 0.5] + 0.5·[1 0]
	if want := []float64{0.75, 0.25}; !near(p.Style, want) {
		t.Errorf("style after a click = %v, want %v", p.Style, want)
	}
	if want := []float64{0.25, 0.75}; !near(p.Category, want) {
		t.Errorf("category after a click = %v, want %v", p.Category, want)
	}
	if p.Clicks != 1 || p.Impressions != 1 {
		t.Errorf("counts %d clicks / %d impressions, want 1/1", p.Clicks, p.Impressions)
	}
	// a skip: style [0.75·(1−0.05), 0.25] renormalised; category [0.25, 0.75·0.95] renormalised
	UpdateProfile(&p, false, v, &items[0])
	s0 := 0.75 * 0.95 / (0.75*0.95 + 0.25)
	c1 := 0.75 * 0.95 / (0.25 + 0.75*0.95)
	if !near(p.Style, []float64{s0, 1 - s0}) || !near(p.Category, []float64{1 - c1, c1}) {
		t.Errorf("after a skip: style %v, category %v; want [%v %v], [%v %v]", p.Style, p.Category, s0, 1-s0, 1-c1, c1)
	}
	// many clicks keep following the shopper at the floor rate
	for i := 0; i < 20; i++ {
		UpdateProfile(&p, true, &Variant{Perceived: []float64{0, 2}}, &items[0]) // unnormalised input is normalised
	}
	if p.Style[1] < 0.99 || math.Abs(p.Style[0]+p.Style[1]-1) > 1e-12 {
		t.Errorf("after 20 clicks on style 1: %v", p.Style)
	}
	// a category outside the vocabulary changes only the style part
	before := p.Clone()
	UpdateProfile(&p, true, v, &Item{Category: "zzz"})
	if !reflect.DeepEqual(before.Category, p.Category) {
		t.Errorf("unknown category changed the category distribution: %v -> %v", before.Category, p.Category)
	}
}

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			return false
		}
	}
	return true
}

func TestShopperTastes(t *testing.T) {
	items, styles := testCatalog(0.9, 1)
	cat, err := NewCatalog(items, styles)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultShopperConfig()
	favCount := map[int]int{}
	for u := 0; u < 500; u++ {
		a, b := ShopperSeed(3, u)
		s := NewShopper(cat, ShopperConfig{}, rand.New(rand.NewPCG(a, b)))
		s2 := NewShopper(cat, ShopperConfig{}, rand.New(rand.NewPCG(a, b)))
		if !reflect.DeepEqual(s.StyleAffinity(), s2.StyleAffinity()) || s.Patience() != s2.Patience() {
			t.Fatal("the same seed drew different shoppers")
		}
		var sum float64
		fav := 0
		for _, x := range s.StyleAffinity() {
			sum += x
			if x >= (1-cfg.Background)*0.2 {
				fav++
			}
		}
		favCount[fav]++
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("style affinity sums to %v", sum)
		}
		sum = 0
		for _, x := range s.CategoryAffinity() {
			sum += x
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("category affinity sums to %v", sum)
		}
		if s.Patience() < cfg.PatienceMin || s.Patience() > cfg.PatienceMax ||
			s.PriceSensitivity() < cfg.PriceMin || s.PriceSensitivity() > cfg.PriceMax {
			t.Fatalf("patience %v or price sensitivity %v out of range", s.Patience(), s.PriceSensitivity())
		}
	}
	if favCount[1]+favCount[2] < 490 || favCount[1] < 200 || favCount[2] < 100 {
		t.Errorf("favourite styles per shopper: %v; want almost all with 1 or 2, both common", favCount)
	}
}

func TestUtilityFormula(t *testing.T) {
	items := []Item{
		{ID: 1, Category: "a", PriceCents: 1000, Variants: []Variant{{Perceived: []float64{1, 0}}, {Perceived: []float64{0.2, 0.8}}}},
		{ID: 2, Category: "b", PriceCents: 4000, Variants: []Variant{{Perceived: []float64{0, 1}}}},
	}
	cat, err := NewCatalog(items, []string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultShopperConfig()
	s := &Shopper{}
	s.draw(cat, cfg, rand.New(rand.NewPCG(1, 1)))
	a, b, lam := s.StyleAffinity(), s.CategoryAffinity(), s.PriceSensitivity()
	// median price of 1000 and 4000 is exp((ln 1000 + ln 4000)/2) = 2000
	want := cfg.StyleWeight*(a[0]*0.2+a[1]*0.8) + cfg.CategoryWeight*2*b[0] - lam*math.Log(1000.0/2000) - cfg.Fatigue*3
	if got := s.Utility(0, 1, 3); math.Abs(got-want) > 1e-9 {
		t.Errorf("Utility = %v, want %v", got, want)
	}
	// a click drifts tastes toward what was clicked
	before := s.StyleAffinity()[1]
	s.click(1, 0)
	if after := s.StyleAffinity()[1]; !(after > before) && before < 1 {
		t.Errorf("affinity for the clicked style went %v -> %v", before, after)
	}
}

func runAll(t *testing.T, items []Item, styles []string, cfg RunConfig, policies []Policy) Results {
	t.Helper()
	res, err := Run(context.Background(), cfg, items, styles, policies, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func byName(res Results, name string) PolicyResult {
	for _, p := range res.Policies {
		if p.Name == name {
			return p
		}
	}
	panic("no policy " + name)
}

func TestRunDeterministic(t *testing.T) {
	items, styles := testCatalog(0.9, 1)
	cfg := RunConfig{Users: 150, Seed: 42}
	a := runAll(t, items, styles, cfg, allPolicies())
	b := runAll(t, items, styles, cfg, allPolicies())
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	cfg.Seed = 43
	c := runAll(t, items, styles, cfg, allPolicies())
	if reflect.DeepEqual(a.Policies[0].Counter, c.Policies[0].Counter) && reflect.DeepEqual(a.Policies[4].Counter, c.Policies[4].Counter) {
		t.Error("a different seed gave the same counts")
	}
	// a policy meets the same shoppers whatever runs beside it
	alone := runAll(t, items, styles, RunConfig{Users: 150, Seed: 42}, []Policy{NewOracle()})
	if !reflect.DeepEqual(alone.Policies[0], byName(a, "oracle")) {
		t.Error("the oracle alone and beside other policies saw different shoppers")
	}
}

func TestRunAccounting(t *testing.T) {
	items, styles := testCatalog(0.9, 2)
	var logged, loggedClicks int64
	var lastUser = -1
	var first []Impression
	cfg := RunConfig{Users: 300, Steps: 12, SlateSize: 8, Seed: 5, SeriesPoints: 7, Logger: func(imp Impression) {
		logged++
		if imp.Clicked {
			loggedClicks++
		}
		if imp.Policy == "ranker" && imp.User < lastUser {
			t.Errorf("impressions out of order: shopper %d after %d", imp.User, lastUser)
		}
		if imp.Policy == "ranker" {
			lastUser = imp.User
		}
		if imp.Step == 0 && len(first) < 5 {
			first = append(first, imp)
		}
		if imp.Probability <= 0 || imp.Probability >= 1 {
			t.Errorf("click probability %v", imp.Probability)
		}
	}}
	var reports []Progress
	res, err := Run(context.Background(), cfg, items, styles, allPolicies(), func(p Progress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	var total, clicks int64
	for _, p := range res.Policies {
		total += p.Impressions
		clicks += p.Clicks
		sum := func(cs []Counter) (c Counter) {
			for _, x := range cs {
				c.Impressions += x.Impressions
				c.Clicks += x.Clicks
			}
			return c
		}
		var series Counter
		for _, pt := range p.Series {
			series.Impressions += pt.Impressions
			series.Clicks += pt.Clicks
		}
		for what, c := range map[string]Counter{"styles": sum(p.Styles), "steps": sum(p.ByStep), "series": series,
			"originals+variants": sum([]Counter{p.Originals, p.Variants})} {
			if c != p.Counter {
				t.Errorf("%s: %s add up to %+v, total %+v", p.Name, what, c, p.Counter)
			}
		}
		if len(p.Series) != 7 || p.Series[len(p.Series)-1].Users != 300 {
			t.Errorf("%s: series has %d points ending at %d shoppers, want 7 ending at 300", p.Name, len(p.Series), p.Series[len(p.Series)-1].Users)
		}
		if len(p.ByStep) != 12 || p.Sessions != 300 || p.MeanSlates <= 0 || p.MeanSlates > 12 {
			t.Errorf("%s: %d steps, %d sessions, %.2f slates per session", p.Name, len(p.ByStep), p.Sessions, p.MeanSlates)
		}
		if p.Impressions > p.Slates*8 {
			t.Errorf("%s: %d impressions in %d slates of at most 8", p.Name, p.Impressions, p.Slates)
		}
		if p.Name == "ranker-originals" && p.Variants.Impressions != 0 {
			t.Errorf("ranker-originals showed %d variants", p.Variants.Impressions)
		}
	}
	if logged != total || loggedClicks != clicks {
		t.Errorf("logger saw %d impressions / %d clicks, results count %d / %d", logged, loggedClicks, total, clicks)
	}
	for _, imp := range first {
		if imp.Profile.Clicks != 0 || !near(imp.Profile.Style, []float64{1. / 6, 1. / 6, 1. / 6, 1. / 6, 1. / 6, 1. / 6}) {
			t.Errorf("first slate's profile is not the unknown shopper's: %+v", *imp.Profile)
		}
	}
	if len(reports) == 0 || reports[len(reports)-1].UsersDone != 300 || reports[len(reports)-1].Impressions != total {
		t.Errorf("progress reports %+v", reports)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].UsersDone <= reports[i-1].UsersDone {
			t.Errorf("progress went backwards: %+v", reports)
		}
	}
	// logging does not change the outcome
	cfg.Logger = nil
	if again := runAll(t, items, styles, cfg, allPolicies()); !reflect.DeepEqual(again, res) {
		t.Error("results with and without a logger differ")
	}
}

func TestPolicyOrderingAndVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 2×1500 shoppers under 5 policies")
	}
	good, styles := testCatalog(0.9, 3)
	res := runAll(t, good, styles, RunConfig{Users: 1500, Seed: 11}, allPolicies())
	for _, p := range res.Policies {
		t.Logf("convincing variants: %-17s CTR %.4f lift %+.3f (%d impressions)", p.Name, p.CTR, p.VariantLift, p.Impressions)
	}
	oracle, ranker, orig := byName(res, "oracle"), byName(res, "ranker"), byName(res, "ranker-originals")
	random, popular := byName(res, "random"), byName(res, "popular")
	if !(oracle.CTR >= ranker.CTR && ranker.CTR > popular.CTR && popular.CTR > random.CTR) {
		t.Errorf("want oracle ≥ ranker > popular > random, got %.4f %.4f %.4f %.4f", oracle.CTR, ranker.CTR, popular.CTR, random.CTR)
	}
	if ranker.CTR < orig.CTR {
		t.Errorf("with convincing variants the ranker (%.4f) is below ranker-originals (%.4f)", ranker.CTR, orig.CTR)
	}
	if !ranker.HasLift || ranker.VariantLift <= 0 {
		t.Errorf("convincing variants: ranker lift %+.3f (has %v), want positive", ranker.VariantLift, ranker.HasLift)
	}

	poor, _ := testCatalog(0.2, 3)
	res2 := runAll(t, poor, styles, RunConfig{Users: 1500, Seed: 11}, allPolicies())
	ranker2 := byName(res2, "ranker")
	t.Logf("unconvincing variants: ranker CTR %.4f lift %+.3f; ranker-originals %.4f", ranker2.CTR, ranker2.VariantLift, byName(res2, "ranker-originals").CTR)
	if ranker2.VariantLift >= ranker.VariantLift {
		t.Errorf("lift with unconvincing variants %+.3f is not below convincing %+.3f", ranker2.VariantLift, ranker.VariantLift)
	}
	// per-style counts: shoppers who like a style click it; every style gets impressions from random
	for s, c := range random.Styles {
		if c.Impressions == 0 {
			t.Errorf("random never showed style %q", styles[s])
		}
	}
}

func TestRunErrors(t *testing.T) {
	items, styles := testCatalog(0.9, 1)
	ctx := context.Background()
	pols := func() []Policy { return []Policy{NewRandom()} }
	cases := []struct {
		name   string
		cfg    RunConfig
		items  []Item
		styles []string
		pols   []Policy
		is     error
		says   string
	}{
		{"zero users", RunConfig{}, items, styles, pols(), ErrNoUsers, "at least one shopper"},
		{"too many users", RunConfig{Users: MaxUsers + 1}, items, styles, pols(), ErrTooManyUsers, "at most 1000000"},
		{"empty catalog", RunConfig{Users: 1}, nil, styles, pols(), ErrEmptyCatalog, "no products"},
		{"no policies", RunConfig{Users: 1}, items, styles, nil, ErrBadConfig, "no policies"},
		{"negative steps", RunConfig{Users: 1, Steps: -1}, items, styles, pols(), ErrBadConfig, "Steps"},
		{"huge slate", RunConfig{Users: 1, SlateSize: 1000}, items, styles, pols(), ErrBadConfig, "SlateSize"},
		{"duplicate names", RunConfig{Users: 1}, items, styles, []Policy{NewRandom(), NewRandom()}, ErrBadConfig, "named \"random\""},
		{"bad shopper config", RunConfig{Users: 1, Shopper: ShopperConfig{PatienceMin: 5, PatienceMax: 1}}, items, styles, pols(), ErrBadConfig, "patience"},
		{"wrong style count", RunConfig{Users: 1}, items, styles[:3], pols(), ErrBadCatalog, "perceived style probabilities"},
		{"no image", RunConfig{Users: 1}, []Item{{ID: 7, Category: "a", PriceCents: 1}}, styles, pols(), ErrBadCatalog, "ID 7"},
		{"no price", RunConfig{Users: 1}, []Item{{ID: 8, Category: "a", Variants: items[0].Variants}}, styles, pols(), ErrBadCatalog, "price"},
	}
	for _, c := range cases {
		_, err := Run(ctx, c.cfg, c.items, c.styles, c.pols, nil)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: error %v; want %v mentioning %q", c.name, err, c.is, c.says)
		}
	}
	p := NewRandom()
	if _, err := Run(ctx, RunConfig{Users: 1}, items, styles, []Policy{p, p}, nil); err == nil {
		t.Error("the same policy value twice was accepted")
	}
}

// badPolicy repeats a product.
type badPolicy struct{}

func (badPolicy) Name() string                { return "bad" }
func (badPolicy) Slate(SlateContext) []Choice { return []Choice{{Item: 3}, {Item: 3}} }

func TestRunRejectsBadSlate(t *testing.T) {
	items, styles := testCatalog(0.9, 1)
	_, err := Run(context.Background(), RunConfig{Users: 3}, items, styles, []Policy{NewRandom(), badPolicy{}}, nil)
	if err == nil || !strings.Contains(err.Error(), `policy "bad"`) || !strings.Contains(err.Error(), "twice") {
		t.Errorf("error %v; want one naming the policy and the repeated product", err)
	}
}

func TestRunCancel(t *testing.T) {
	items, styles := testCatalog(0.9, 1)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := Run(ctx, RunConfig{Users: 100000, Seed: 1}, items, styles, []Policy{NewRandom(), NewOracle()}, func(p Progress) {
		calls++
		if calls == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if calls > 3 {
		t.Errorf("%d progress reports after cancelling", calls-2)
	}
}

func TestEpsilon(t *testing.T) {
	items, styles := testCatalog(0.9, 1)
	cfg := RunConfig{Users: 200, Seed: 9}
	plain := runAll(t, items, styles, cfg, []Policy{NewOracle()})
	none := runAll(t, items, styles, cfg, []Policy{NewEpsilon(NewOracle(), 0)})
	if none.Policies[0].Name != "oracle+explore" {
		t.Errorf("name %q", none.Policies[0].Name)
	}
	none.Policies[0].Name = "oracle"
	if !reflect.DeepEqual(plain.Policies[0].Counter, none.Policies[0].Counter) {
		t.Error("exploration 0 changed the oracle's results")
	}
	all := runAll(t, items, styles, cfg, []Policy{NewEpsilon(NewOracle(), 1), NewRandom()})
	if all.Policies[0].CTR >= plain.Policies[0].CTR*0.8 {
		t.Errorf("full exploration CTR %.4f is close to the oracle's %.4f", all.Policies[0].CTR, plain.Policies[0].CTR)
	}
}

func TestSyntheticVariants(t *testing.T) {
	items, styles := testCatalog(0.9, 1)
	if len(items) != 400 || len(styles) != 6 {
		t.Fatalf("%d items, %d styles", len(items), len(styles))
	}
	withVariants := 0
	for _, it := range items {
		if len(it.Variants) > 1 {
			withVariants++
			for _, v := range it.Variants[1:] {
				if styles[argmax(v.Perceived)] != v.Style || v.Perceived[argmax(v.Perceived)] < 0.7 {
					t.Fatalf("a convincing variant in %q perceives %v", v.Style, v.Perceived)
				}
			}
		}
		if styles[argmax(it.Variants[0].Perceived)] != it.Variants[0].Style {
			t.Fatalf("original labeled %q perceives %v", it.Variants[0].Style, it.Variants[0].Perceived)
		}
	}
	if withVariants < 150 || withVariants > 250 {
		t.Errorf("%d of 400 products have variants, want about half", withVariants)
	}
	poor, _ := testCatalog(0.2, 1)
	for i, it := range poor {
		for _, v := range it.Variants[1:] {
			if argmax(v.Perceived) != argmax(items[i].Variants[0].Perceived) {
				t.Fatalf("an unconvincing variant looks like its target: %v", v.Perceived)
			}
		}
	}
}
