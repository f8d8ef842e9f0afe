package sim

import (
	"math"
	"math/rand/v2"
)

// Policy chooses the slate of images to show a shopper. Run calls a Policy from one goroutine at a
// time, so a policy may keep scratch space; do not pass the same Policy value twice to Run or to two
// Runs at once. A slate holds 1 to SlateSize choices with distinct items.
type Policy interface {
	Name() string
	Slate(ctx SlateContext) []Choice
}

// Scorer estimates how likely a shopper with profile p is to click each candidate image: it writes a
// score for cands[j] (an item index into items and a variant index) into out[j]. Higher means more
// likely; rank.Model's scores are click probabilities in (0, 1). Ranker policies call it from several
// goroutines at once, so it must be safe for concurrent use.
type Scorer interface {
	ScoreCandidates(p *Profile, items []Item, cands []Choice, out []float64)
}

// Stats are a policy's running counts over all shoppers so far in a run, per candidate (index by
// Catalog.Candidate). Policies read them; only Run writes them.
type Stats struct {
	Impressions, Clicks           []int64
	TotalImpressions, TotalClicks int64
}

// SlateContext is what a policy may look at when it builds a slate. Everything in it is read-only.
type SlateContext struct {
	Catalog   *Catalog
	User      int // shopper index in the run
	Step      int // slate index within the session, from 0
	SlateSize int // the most choices the slate may hold
	Profile   *Profile
	Seen      []int32 // per item: how many times it was already shown to this shopper
	Stats     *Stats
	// Shopper is the hidden state. Only an Oracle may use it: a real storefront cannot.
	Shopper *Shopper
	Rand    *rand.Rand // this policy's own stream for this shopper
}

// NewRandom returns the policy that shows SlateSize distinct random products, each as a random one of
// its images.
func NewRandom() Policy { return &randomPolicy{} }

type randomPolicy struct {
	mark  []uint32
	stamp uint32
	out   []Choice
}

func (p *randomPolicy) Name() string { return "random" }

func (p *randomPolicy) Slate(ctx SlateContext) []Choice {
	p.out = p.out[:0]
	p.out = appendRandom(p.out, ctx, ctx.SlateSize, &p.mark, &p.stamp)
	return p.out
}

// appendRandom appends random distinct items (random variants) not already in out until out has k
// choices or the catalog is exhausted.
func appendRandom(out []Choice, ctx SlateContext, k int, mark *[]uint32, stamp *uint32) []Choice {
	n := len(ctx.Catalog.Items)
	if len(*mark) != n {
		*mark = make([]uint32, n)
		*stamp = 0
	}
	*stamp++
	if *stamp == 0 {
		clear(*mark)
		*stamp = 1
	}
	m, s := *mark, *stamp
	for _, c := range out {
		m[c.Item] = s
	}
	k = min(k, n)
	for len(out) < k {
		i := ctx.Rand.IntN(n)
		if m[i] == s {
			continue
		}
		m[i] = s
		out = append(out, Choice{Item: i, Variant: ctx.Rand.IntN(ctx.Catalog.NumVariants(i))})
	}
	return out
}

// NewPopular returns the policy that shows the products whose images have the highest smoothed
// click-through rate so far, (clicks + m·g)/(impressions + m) with m = 20 and g the policy's overall
// rate, each as its best image; products already shown to the shopper are discounted by
// exp(−0.7) per earlier impression, and ties are broken at random.
func NewPopular() Policy { return &popularPolicy{} }

type popularPolicy struct {
	scores []float64
	sel    selector
}

func (p *popularPolicy) Name() string { return "popular" }

func (p *popularPolicy) Slate(ctx SlateContext) []Choice {
	const m = 20.0
	cat := ctx.Catalog
	p.scores = resize(p.scores, len(cat.Candidates))
	st := ctx.Stats
	g := (float64(st.TotalClicks) + 1) / (float64(st.TotalImpressions) + 20)
	for j, c := range cat.Candidates {
		ctr := (float64(st.Clicks[j]) + m*g) / (float64(st.Impressions[j]) + m)
		p.scores[j] = math.Log(ctr) - defaultFatiguePenalty*float64(ctx.Seen[c.Item]) + 1e-9*ctx.Rand.Float64()
	}
	return p.sel.pick(cat, cat.Candidates, p.scores, ctx.SlateSize, 0)
}

// Default discounts of the Ranker (in log-score units).
const (
	defaultFatiguePenalty   = 0.7
	defaultDiversityPenalty = 1.0
)

// Ranker is the policy that shows the products a Scorer rates most likely to be clicked by this
// shopper, each as the image (original or stylized variant) the Scorer rates best for them. In
// log-score units it subtracts FatiguePenalty per earlier impression of a product, and, to learn about a
// shopper it does not know yet, DiversityPenalty/(1+clicks) per product of the same perceived style
// already chosen for the slate (greedy selection).
type Ranker struct {
	Scorer           Scorer
	Label            string // Name(); "ranker" or "ranker-originals" when empty
	OriginalsOnly    bool   // score original images only (variant 0)
	FatiguePenalty   float64
	DiversityPenalty float64

	cat    *Catalog
	cands  []Choice
	scores []float64
	sel    selector
}

// NewRanker returns a Ranker choosing among all images of every product, with the default penalties.
func NewRanker(s Scorer) *Ranker {
	return &Ranker{Scorer: s, FatiguePenalty: defaultFatiguePenalty, DiversityPenalty: defaultDiversityPenalty}
}

// NewRankerOriginals returns a Ranker that only shows original images.
func NewRankerOriginals(s Scorer) *Ranker {
	r := NewRanker(s)
	r.OriginalsOnly = true
	return r
}

// Name is Label, or "ranker" / "ranker-originals".
func (r *Ranker) Name() string {
	switch {
	case r.Label != "":
		return r.Label
	case r.OriginalsOnly:
		return "ranker-originals"
	}
	return "ranker"
}

// Slate scores the candidates and picks the slate.
func (r *Ranker) Slate(ctx SlateContext) []Choice {
	cat := ctx.Catalog
	if r.cat != cat {
		r.cat = cat
		if r.OriginalsOnly {
			r.cands = make([]Choice, len(cat.Items))
			for i := range r.cands {
				r.cands[i] = Choice{Item: i}
			}
		} else {
			r.cands = cat.Candidates
		}
	}
	r.scores = resize(r.scores, len(r.cands))
	r.Scorer.ScoreCandidates(ctx.Profile, cat.Items, r.cands, r.scores)
	for j, c := range r.cands {
		r.scores[j] = math.Log(max(r.scores[j], 1e-12)) - r.FatiguePenalty*float64(ctx.Seen[c.Item])
	}
	return r.sel.pick(cat, r.cands, r.scores, ctx.SlateSize, r.DiversityPenalty/float64(1+ctx.Profile.Clicks))
}

// NewOracle returns the policy that knows each shopper's hidden tastes and shows the K products of
// highest true utility (each as its best image, fatigue included). Under the multinomial logit this
// slate maximises the probability of a click on it: an upper bound for a myopic policy.
func NewOracle() Policy { return &oraclePolicy{} }

type oraclePolicy struct {
	scores []float64
	sel    selector
}

func (p *oraclePolicy) Name() string { return "oracle" }

func (p *oraclePolicy) Slate(ctx SlateContext) []Choice {
	cands := ctx.Catalog.Candidates
	p.scores = resize(p.scores, len(cands))
	for j, c := range cands {
		p.scores[j] = ctx.Shopper.Utility(c.Item, c.Variant, int(ctx.Seen[c.Item]))
	}
	return p.sel.pick(ctx.Catalog, cands, p.scores, ctx.SlateSize, 0)
}

// NewEpsilon wraps a policy with exploration: each slot of its slate is replaced, with probability
// eps, by a random product (as a random image) not already in the slate. Its name is the inner name
// followed by "+explore".
func NewEpsilon(p Policy, eps float64) Policy { return &epsilonPolicy{inner: p, eps: eps} }

type epsilonPolicy struct {
	inner Policy
	eps   float64
	out   []Choice
	mark  []uint32
	stamp uint32
}

func (p *epsilonPolicy) Name() string { return p.inner.Name() + "+explore" }

func (p *epsilonPolicy) Slate(ctx SlateContext) []Choice {
	p.out = append(p.out[:0], p.inner.Slate(ctx)...)
	n, w := len(p.out), 0
	for _, c := range p.out {
		if ctx.Rand.Float64() < p.eps {
			continue // this slot explores
		}
		p.out[w] = c
		w++
	}
	if w == n {
		return p.out
	}
	return appendRandom(p.out[:w], ctx, n, &p.mark, &p.stamp)
}
