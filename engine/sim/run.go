package sim

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"reflect"
	"time"

	"stylestudio/internal/par"
	"stylestudio/internal/splitmix"
)

// Bounds and defaults of a run.
const (
	// MaxUsers caps RunConfig.Users. Memory does not grow with the number of shoppers (statistics are
	// streamed), so the cap bounds run time and keeps counts far from overflow: a million shoppers of
	// DefaultSteps slates is 2·10^8 impressions per policy, a few minutes per policy on one core.
	MaxUsers = 1_000_000
	// MaxSteps caps RunConfig.Steps (slates per session), which sizes the per-step statistics.
	MaxSteps = 1000
	// MaxSlateSize caps RunConfig.SlateSize.
	MaxSlateSize = 100
	// DefaultSteps, DefaultSlateSize and DefaultSeriesPoints replace zero fields of RunConfig.
	DefaultSteps        = 20
	DefaultSlateSize    = 10
	DefaultSeriesPoints = 50
	// maxChunk is the most shoppers simulated between two progress reports (and logger flushes).
	maxChunk = 256
)

// RunConfig sets up a simulation. Zero Steps, SlateSize and SeriesPoints take their defaults; a zero
// Shopper takes DefaultShopperConfig.
type RunConfig struct {
	Users        int // shoppers, 1 to MaxUsers; each has one session
	Steps        int // the most slates per session
	SlateSize    int // images per slate (capped at the number of products)
	Seed         uint64
	Shopper      ShopperConfig
	SeriesPoints int // points in each policy's CTR-over-time series
	// Logger, when set, receives every impression, in a deterministic order: shoppers in chunks, and
	// within a chunk every policy in turn (policy order), its impressions in the order they happened.
	// It is called from Run's goroutine.
	Logger func(Impression)
}

// Impression is one image shown to one shopper, as a storefront would log it.
type Impression struct {
	Policy      string
	User        int // shopper index
	Step        int // slate index in the session
	Position    int // slot in the slate
	Item        int // index into the items
	ItemID      int64
	Variant     int
	VariantID   int64
	Seen        int      // earlier impressions of this item to this shopper
	Profile     *Profile // the shopper's profile when the slate was chosen (one copy shared by the slate: read-only)
	Clicked     bool
	SlateLength int
	// Probability is the shopper's true probability of clicking this image in this slate (hidden from
	// policies; for diagnostics and upper bounds of offline metrics).
	Probability float64
}

// Progress is reported after each chunk of shoppers.
type Progress struct {
	UsersDone, Users    int
	Impressions, Clicks int64 // over all policies
	Elapsed             time.Duration
}

// Counter counts impressions and clicks.
type Counter struct {
	Impressions, Clicks int64
}

// CTR is Clicks/Impressions (0 without impressions).
func (c Counter) CTR() float64 {
	if c.Impressions == 0 {
		return 0
	}
	return float64(c.Clicks) / float64(c.Impressions)
}

func (c *Counter) add(clicked bool) {
	c.Impressions++
	if clicked {
		c.Clicks++
	}
}

// Point is one window of a CTR-over-time series: the shoppers up to Users (exclusive of earlier
// windows) and their counts.
type Point struct {
	Users int // shoppers simulated when the window closed
	Counter
	CTR float64
}

// PolicyResult is what one policy achieved.
type PolicyResult struct {
	Name string
	Counter
	CTR      float64
	Sessions int
	Slates   int64
	// MeanSlates is the mean session length in slates (policies that please shoppers keep them longer).
	MeanSlates float64
	Series     []Point   // CTR over the run, in about SeriesPoints windows of shoppers
	ByStep     []Counter // per slate index within a session
	// Styles counts impressions and clicks by the perceived style of the image shown (argmax of
	// Perceived), indexed like Results.Styles.
	Styles []Counter
	// Originals and Variants count original images and stylized variants shown.
	Originals, Variants Counter
	// VariantLift is Variants.CTR()/Originals.CTR() − 1, when HasLift (both were shown and originals
	// were clicked).
	VariantLift float64
	HasLift     bool
}

// Results of a run, one PolicyResult per policy in the order given.
type Results struct {
	Users    int
	Styles   []string
	Policies []PolicyResult
}

// Run simulates cfg.Users shoppers, each browsing one session under every policy (the same shoppers,
// drawn from the same seeds, for each policy), and returns per-policy statistics. It checks ctx between
// shoppers and returns ctx.Err() when cancelled; report, when set, is called from Run's goroutine after
// each chunk of shoppers.
func Run(ctx context.Context, cfg RunConfig, items []Item, styles []string, policies []Policy, report func(Progress)) (Results, error) {
	if err := checkUsers(cfg.Users); err != nil {
		return Results{}, err
	}
	cat, err := NewCatalog(items, styles)
	if err != nil {
		return Results{}, err
	}
	return RunCatalog(ctx, cfg, cat, policies, report)
}

// RunCatalog is Run on an already validated catalog.
func RunCatalog(ctx context.Context, cfg RunConfig, cat *Catalog, policies []Policy, report func(Progress)) (Results, error) {
	start := time.Now()
	cfg, err := checkConfig(cfg, cat, policies)
	if err != nil {
		return Results{}, err
	}
	if err := ctx.Err(); err != nil {
		return Results{}, err
	}
	runners := make([]*runner, len(policies))
	for i, p := range policies {
		runners[i] = newRunner(p, cfg, cat)
	}
	workers := par.Workers()
	chunk := min(maxChunk, max(1, cfg.Users/100))
	for lo := 0; lo < cfg.Users; lo += chunk {
		hi := min(cfg.Users, lo+chunk)
		par.ForN(len(runners), workers, func(_, i int) { runners[i].users(ctx, lo, hi) })
		var imps, clicks int64
		for _, r := range runners {
			if r.err != nil {
				return Results{}, r.err
			}
			if cfg.Logger != nil {
				for i := range r.log {
					cfg.Logger(r.log[i])
				}
				clear(r.log)
				r.log = r.log[:0]
			}
			imps += r.res.Impressions
			clicks += r.res.Clicks
		}
		if report != nil {
			report(Progress{UsersDone: hi, Users: cfg.Users, Impressions: imps, Clicks: clicks, Elapsed: time.Since(start)})
		}
	}
	res := Results{Users: cfg.Users, Styles: append([]string(nil), cat.Styles...)}
	for _, r := range runners {
		res.Policies = append(res.Policies, r.result())
	}
	return res, nil
}

func checkUsers(users int) error {
	if users <= 0 {
		return fmt.Errorf("sim: %w (Users is %d)", ErrNoUsers, users)
	}
	if users > MaxUsers {
		return fmt.Errorf("sim: %w: %d shoppers asked, at most %d per run; run several seeds instead", ErrTooManyUsers, users, MaxUsers)
	}
	return nil
}

func checkConfig(cfg RunConfig, cat *Catalog, policies []Policy) (RunConfig, error) {
	if err := checkUsers(cfg.Users); err != nil {
		return cfg, err
	}
	if cfg.Steps == 0 {
		cfg.Steps = DefaultSteps
	}
	if cfg.SlateSize == 0 {
		cfg.SlateSize = DefaultSlateSize
	}
	if cfg.SeriesPoints == 0 {
		cfg.SeriesPoints = DefaultSeriesPoints
	}
	switch {
	case cfg.Steps < 0 || cfg.Steps > MaxSteps:
		return cfg, fmt.Errorf("sim: %w: Steps %d must be 1 to %d slates per session", ErrBadConfig, cfg.Steps, MaxSteps)
	case cfg.SlateSize < 0 || cfg.SlateSize > MaxSlateSize:
		return cfg, fmt.Errorf("sim: %w: SlateSize %d must be 1 to %d", ErrBadConfig, cfg.SlateSize, MaxSlateSize)
	case cfg.SeriesPoints < 0 || cfg.SeriesPoints > 10000:
		return cfg, fmt.Errorf("sim: %w: SeriesPoints %d must be 1 to 10000", ErrBadConfig, cfg.SeriesPoints)
	case len(policies) == 0:
		return cfg, fmt.Errorf("sim: %w: no policies to compare; pass at least one", ErrBadConfig)
	}
	cfg.SlateSize = min(cfg.SlateSize, len(cat.Items))
	cfg.Shopper = cfg.Shopper.orDefault()
	if err := cfg.Shopper.validate(); err != nil {
		return cfg, err
	}
	names := map[string]bool{}
	for i, p := range policies {
		if p == nil {
			return cfg, fmt.Errorf("sim: %w: policy %d is nil", ErrBadConfig, i)
		}
		if names[p.Name()] {
			return cfg, fmt.Errorf("sim: %w: two policies are named %q; give each a distinct name", ErrBadConfig, p.Name())
		}
		names[p.Name()] = true
		if reflect.TypeOf(p).Comparable() {
			for _, q := range policies[:i] {
				if reflect.TypeOf(q) == reflect.TypeOf(p) && q == p {
					return cfg, fmt.Errorf("sim: %w: the same policy value is passed twice; create one per slot", ErrBadConfig)
				}
			}
		}
	}
	return cfg, nil
}

// runner plays one policy. Only its own goroutine touches it during a chunk.
type runner struct {
	policy Policy
	name   string
	cfg    RunConfig
	cat    *Catalog
	stream uint64 // the policy's random stream id, from its name

	stats       Stats
	res         PolicyResult
	window      Counter
	windowUsers int

	shopper                     Shopper
	profile                     Profile
	seen                        []int32
	touched                     []int
	mark                        []uint32
	stamp                       uint32
	tastePCG, choicePCG, polPCG rand.PCG
	tasteRng, choiceRng, polRng *rand.Rand
	util, probs                 []float64
	log                         []Impression
	err                         error
}

func newRunner(p Policy, cfg RunConfig, cat *Catalog) *runner {
	h := fnv.New64a()
	_, _ = h.Write([]byte(p.Name()))
	r := &runner{
		policy: p, name: p.Name(), cfg: cfg, cat: cat, stream: h.Sum64(),
		stats: Stats{Impressions: make([]int64, len(cat.Candidates)), Clicks: make([]int64, len(cat.Candidates))},
		seen:  make([]int32, len(cat.Items)),
		mark:  make([]uint32, len(cat.Items)),
		util:  make([]float64, cfg.SlateSize), probs: make([]float64, cfg.SlateSize+1),
		profile: NewProfile(len(cat.Styles), cat.Categories),
	}
	r.res.Name = r.name
	r.res.ByStep = make([]Counter, cfg.Steps)
	r.res.Styles = make([]Counter, len(cat.Styles))
	r.windowUsers = (cfg.Users + cfg.SeriesPoints - 1) / cfg.SeriesPoints
	r.tasteRng, r.choiceRng, r.polRng = rand.New(&r.tastePCG), rand.New(&r.choicePCG), rand.New(&r.polPCG)
	return r
}

// Stream ids of a shopper's random streams.
const (
	streamTaste  = 1
	streamChoice = 2
)

// ShopperSeed returns the two PCG seed words of shopper u's stream for a run seeded with seed: the
// tastes of shopper u in a run are those of NewShopper with rand.New(rand.NewPCG(ShopperSeed(seed, u))).
func ShopperSeed(seed uint64, u int) (uint64, uint64) {
	return seed, splitmix.Mix(splitmix.Mix(uint64(u)) ^ streamTaste)
}

func (r *runner) users(ctx context.Context, lo, hi int) {
	if r.err != nil {
		return
	}
	for u := lo; u < hi; u++ {
		if err := ctx.Err(); err != nil {
			r.err = err
			return
		}
		if err := r.user(u); err != nil {
			r.err = err
			return
		}
	}
}

func (r *runner) user(u int) error {
	cfg, cat := r.cfg, r.cat
	r.tastePCG.Seed(ShopperSeed(cfg.Seed, u))
	r.choicePCG.Seed(cfg.Seed, splitmix.Mix(splitmix.Mix(uint64(u))^streamChoice))
	r.polPCG.Seed(cfg.Seed, splitmix.Mix(splitmix.Mix(uint64(u))^r.stream))
	r.shopper.draw(cat, cfg.Shopper, r.tasteRng)
	r.profile.reset()
	for _, i := range r.touched {
		r.seen[i] = 0
	}
	r.touched = r.touched[:0]

	budget := r.shopper.patience
	steps := 0
	for step := 0; step < cfg.Steps && budget > 0; step++ {
		sc := SlateContext{Catalog: cat, User: u, Step: step, SlateSize: cfg.SlateSize, Profile: &r.profile,
			Seen: r.seen, Stats: &r.stats, Shopper: &r.shopper, Rand: r.polRng}
		slate := r.policy.Slate(sc)
		if err := r.check(slate, u, step); err != nil {
			return err
		}
		util := r.util[:len(slate)]
		for j, c := range slate {
			util[j] = r.shopper.Utility(c.Item, c.Variant, int(r.seen[c.Item]))
		}
		probs := choiceProbabilities(r.probs, util, r.shopper.cfg.NoClick)
		x := r.choiceRng.Float64()
		clicked := -1
		var acc float64
		for j := range slate {
			acc += probs[j]
			if x < acc {
				clicked = j
				break
			}
		}
		var snap *Profile
		if cfg.Logger != nil {
			c := r.profile.Clone()
			snap = &c
		}
		for j, c := range slate {
			hit := j == clicked
			cand := cat.Candidate(c.Item, c.Variant)
			r.stats.Impressions[cand]++
			r.res.add(hit)
			r.window.add(hit)
			r.res.ByStep[step].add(hit)
			r.res.Styles[cat.topStyle[cand]].add(hit)
			if c.Variant == 0 {
				r.res.Originals.add(hit)
			} else {
				r.res.Variants.add(hit)
			}
			if hit {
				r.stats.Clicks[cand]++
			}
			if cfg.Logger != nil {
				it := &cat.Items[c.Item]
				r.log = append(r.log, Impression{Policy: r.name, User: u, Step: step, Position: j, Item: c.Item,
					ItemID: it.ID, Variant: c.Variant, VariantID: it.Variants[c.Variant].ID, Seen: int(r.seen[c.Item]),
					Profile: snap, Clicked: hit, SlateLength: len(slate), Probability: probs[j]})
			}
		}
		r.stats.TotalImpressions += int64(len(slate))
		for j, c := range slate {
			it := &cat.Items[c.Item]
			UpdateProfile(&r.profile, j == clicked, &it.Variants[c.Variant], it)
			if r.seen[c.Item] == 0 {
				r.touched = append(r.touched, c.Item)
			}
			r.seen[c.Item]++
		}
		budget--
		if clicked >= 0 {
			r.stats.TotalClicks++
			r.shopper.click(slate[clicked].Item, slate[clicked].Variant)
		} else {
			budget -= r.shopper.cfg.NoClickCost
		}
		steps++
	}
	r.res.Sessions++
	r.res.Slates += int64(steps)
	if (u+1)%r.windowUsers == 0 || u+1 == cfg.Users {
		r.res.Series = append(r.res.Series, Point{Users: u + 1, Counter: r.window, CTR: r.window.CTR()})
		r.window = Counter{}
	}
	return nil
}

// check validates a policy's slate.
func (r *runner) check(slate []Choice, u, step int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sim: policy %q, shopper %d, slate %d: %s", r.name, u, step, fmt.Sprintf(format, args...))
	}
	if len(slate) == 0 || len(slate) > r.cfg.SlateSize {
		return bad("returned %d choices; a slate holds 1 to %d", len(slate), r.cfg.SlateSize)
	}
	r.stamp++
	if r.stamp == 0 {
		clear(r.mark)
		r.stamp = 1
	}
	for j, c := range slate {
		if c.Item < 0 || c.Item >= len(r.cat.Items) {
			return bad("choice %d names product %d; there are %d", j, c.Item, len(r.cat.Items))
		}
		if c.Variant < 0 || c.Variant >= r.cat.NumVariants(c.Item) {
			return bad("choice %d names image %d of product %d, which has %d", j, c.Variant, c.Item, r.cat.NumVariants(c.Item))
		}
		if r.mark[c.Item] == r.stamp {
			return bad("product %d appears twice", c.Item)
		}
		r.mark[c.Item] = r.stamp
	}
	return nil
}

func (r *runner) result() PolicyResult {
	res := r.res
	res.rates()
	return res
}

// rates sets the figures derived from the counts: CTR, MeanSlates and the variant lift.
func (p *PolicyResult) rates() {
	p.CTR = p.Counter.CTR()
	p.MeanSlates = 0
	if p.Sessions > 0 {
		p.MeanSlates = float64(p.Slates) / float64(p.Sessions)
	}
	p.HasLift, p.VariantLift = false, 0
	if p.Originals.Impressions > 0 && p.Variants.Impressions > 0 && p.Originals.Clicks > 0 {
		p.HasLift = true
		p.VariantLift = p.Variants.CTR()/p.Originals.CTR() - 1
	}
}
