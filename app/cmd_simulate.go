package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/ingest"
	"stylestudio/engine/sim"
)

// simulatePolicyJSON is one policy's part of the stable `simulate --json` contract.
type simulatePolicyJSON struct {
	CTR         float64 `json:"ctr"`
	CTRVsOracle float64 `json:"ctr_vs_oracle"` // ctr / the oracle's ctr on the same shoppers
	Impressions int64   `json:"impressions"`
	Clicks      int64   `json:"clicks"`
	// VariantLift is CTR(stylized variants)/CTR(originals) − 1; null when it cannot be measured (no
	// variants in the catalog, none shown, or no original clicked), with VariantNote saying why.
	VariantLift *float64 `json:"variant_lift"`
	VariantNote string   `json:"variant_note,omitempty"`
	// VariantLiftSeeds is each seed's variant_lift (null where it could not be measured); its mean and
	// 95% interval over those seeds (Student's t; null with fewer than two) are VariantLiftMean and
	// VariantLiftCI95. The top-level variant_lift pools all seeds' impressions.
	VariantLiftSeeds []*float64                `json:"variant_lift_seeds"`
	VariantLiftMean  *float64                  `json:"variant_lift_mean"`
	VariantLiftCI95  *[2]float64               `json:"variant_lift_ci95"`
	PerStyle         map[string]styleCTRJSON   `json:"per_style"` // by the perceived style of the image shown
	MeanSlates       float64                   `json:"mean_slates"`
	Series           []simulateSeriesPointJSON `json:"ctr_series"`
}

type styleCTRJSON struct {
	Impressions int64   `json:"impressions"`
	Clicks      int64   `json:"clicks"`
	CTR         float64 `json:"ctr"`
}

type simulateSeriesPointJSON struct {
	Users int     `json:"users"`
	CTR   float64 `json:"ctr"`
}

// simulateJSON is the stable `simulate --json` contract: the top-level policy keys describe the first
// policy asked for (Policy); Policies holds every asked policy when there are several.
type simulateJSON struct {
	Policy string `json:"policy"`
	simulatePolicyJSON
	Policies    map[string]simulatePolicyJSON `json:"policies,omitempty"`
	OracleCTR   float64                       `json:"oracle_ctr"`
	Users       int                           `json:"users"`
	UsersCapped bool                          `json:"users_capped"`
	Steps       int                           `json:"steps"`
	Seed        uint64                        `json:"seed"`
	Products    int                           `json:"products"`
	Variants    int                           `json:"variants"`
	Perceived   string                        `json:"perceived"` // "classifier" or "fallback" (labels and colour histograms)
	Ranker      string                        `json:"ranker,omitempty"`
	Logged      int64                         `json:"logged"`
	Notes       []string                      `json:"notes"`
	// Seeds is how many seeds ran (seed, seed+1, …): counts and rates pool them.
	Seeds int `json:"seeds"`
	// RankerVsOriginals compares the ranker choosing product and variant with the same ranker on original
	// images only, on the same shoppers: CTR(ranker)/CTR(ranker-originals) − 1 (null unless both ran).
	RankerVsOriginals *intervalJSON `json:"ranker_vs_originals"`
}

// intervalJSON is a quantity measured once per seed, pooled over the seeds, and its mean with a 95%
// interval over the seeds (null with fewer than two).
type intervalJSON struct {
	Pooled  float64     `json:"pooled"`
	PerSeed []jsonFloat `json:"per_seed"` // null for a seed where ranker-originals got no click
	Mean    jsonFloat   `json:"mean"`
	CI95    *[2]float64 `json:"ci95"`
}

func ci95(iv sim.Interval) *[2]float64 {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return nil
	}
	return &[2]float64{iv.Lo, iv.Hi}
}

func runSimulate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "simulate", "--library DIR --users N --steps T --policy P[,P...] [--seed S] [--log] [--json]",
		"Simulate shoppers browsing the catalog's storefront feed under one or more policies and print click-through\n"+
			"rates. Several policies (a comma list) meet the same shoppers; the oracle (which knows each shopper's\n"+
			"hidden tastes) always runs alongside to give ctr_vs_oracle. Policies: "+strings.Join(studio.PolicyNames(), ", ")+".")
	lib := libraryFlag(fs)
	users := fs.Int("users", 1000, fmt.Sprintf("simulated shoppers, one session each (at most %d; more are capped)", sim.MaxUsers))
	steps := fs.Int("steps", sim.DefaultSteps, fmt.Sprintf("the most slates (feed pages of %d images) per session, 1 to %d", sim.DefaultSlateSize, sim.MaxSteps))
	policy := fs.String("policy", "ranker", "policy or comma-separated policies to compare: "+strings.Join(studio.PolicyNames(), ", "))
	seed := fs.Uint64("seed", 1, "seed of the shoppers (same seed, same shoppers and results)")
	seeds := fs.Int("seeds", 1, "run this many seeds (seed, seed+1, …) with new shoppers each; counts pool them and the variant lift gets a 95% interval over the seeds")
	logFlag := fs.Bool("log", false, fmt.Sprintf("store every impression in the catalog (interactions), for rank train/eval; at most %d shoppers; logging a seed again replaces its earlier impressions under the same policies", studio.MaxLogUsers))
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if *users < 1 {
		return fmt.Errorf("%w: --users must be at least 1, got %d: a simulation needs shoppers", errUsage, *users)
	}
	if *seeds < 1 || *seeds > 100 {
		return fmt.Errorf("%w: --seeds must be 1 to 100, got %d", errUsage, *seeds)
	}
	if *steps < 1 || *steps > sim.MaxSteps {
		return fmt.Errorf("%w: --steps must be 1 to %d slates per session, got %d", errUsage, sim.MaxSteps, *steps)
	}
	var asked []string
	for _, p := range splitList(*policy) {
		p = strings.ToLower(p)
		if !slices.Contains(studio.PolicyNames(), p) {
			return fmt.Errorf("%w: unknown policy %q in --policy; pick from %s", errUsage, p, strings.Join(studio.PolicyNames(), ", "))
		}
		if slices.Contains(asked, p) {
			return fmt.Errorf("%w: policy %q is listed twice in --policy", errUsage, p)
		}
		asked = append(asked, p)
	}
	if len(asked) == 0 {
		return fmt.Errorf("%w: --policy is empty; pick from %s", errUsage, strings.Join(studio.PolicyNames(), ", "))
	}
	run := asked
	if !slices.Contains(run, "oracle") {
		run = append(slices.Clone(asked), "oracle") // for ctr_vs_oracle
	}
	db, err := openExistingLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	if *users > sim.MaxUsers {
		fmt.Fprintf(env.stderr, "stylestudio simulate: %d shoppers asked; one run simulates at most %d, so it runs %d\n", *users, sim.MaxUsers, sim.MaxUsers)
	}
	start := time.Now()
	var progress func(sim.Progress)
	bar := newProgressBar(env.stderr, "Simulating shoppers")
	if !*asJSON {
		progress = func(p sim.Progress) { bar.update(ingest.Progress{Done: p.UsersDone, Total: p.Users}) }
	}
	var res studio.SimulateResult
	var perSeed []sim.Results
	var prepared *studio.Feed // the catalog is read once for all the seeds
	for k := range *seeds {
		r, err := studio.SimulateFeed(ctx, db, studio.SimulateConfig{Users: *users, Steps: *steps, Policies: run, Seed: *seed + uint64(k), Log: *logFlag, Prepared: prepared}, progress)
		if err != nil {
			bar.finish()
			return err
		}
		if k == 0 {
			res = r
			prepared = &r.Feed
		} else {
			res.Logged += r.Logged
		}
		perSeed = append(perSeed, r.Results)
	}
	bar.finish()
	res.Results = sim.Pool(perSeed)
	if *seeds > 1 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d seeds (%d to %d) of %d shoppers each; counts and rates pool them", *seeds, *seed, *seed+uint64(*seeds)-1, *users))
	}
	byName := map[string]sim.PolicyResult{}
	for _, p := range res.Policies {
		byName[p.Name] = p
	}
	seedPolicy := func(k int, name string) sim.PolicyResult {
		for _, p := range perSeed[k].Policies {
			if p.Name == name {
				return p
			}
		}
		return sim.PolicyResult{}
	}
	oracle := byName["oracle"].CTR
	out := simulateJSON{Policy: asked[0], OracleCTR: oracle, Users: res.Users, UsersCapped: res.Capped, Steps: *steps, Seed: *seed,
		Products: res.Source.Products, Variants: res.Source.Variants, Perceived: "fallback", Ranker: res.Ranker.Source,
		Logged: res.Logged, Notes: res.Notes, Seeds: *seeds}
	if byName["ranker"].Impressions > 0 && byName["ranker-originals"].CTR > 0 {
		iv := &intervalJSON{Pooled: byName["ranker"].CTR/byName["ranker-originals"].CTR - 1}
		vals := make([]float64, len(perSeed))
		for k := range perSeed {
			vals[k] = math.NaN()
			if base := seedPolicy(k, "ranker-originals").CTR; base > 0 {
				vals[k] = seedPolicy(k, "ranker").CTR/base - 1
			}
			iv.PerSeed = append(iv.PerSeed, jsonFloat(vals[k]))
		}
		m := sim.MeanCI95(vals)
		iv.Mean, iv.CI95 = jsonFloat(m.Mean), ci95(m)
		out.RankerVsOriginals = iv
	}
	if res.Source.Classifier {
		out.Perceived = "classifier"
	}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	policyOut := func(p sim.PolicyResult) simulatePolicyJSON {
		o := simulatePolicyJSON{CTR: p.CTR, Impressions: p.Impressions, Clicks: p.Clicks, MeanSlates: p.MeanSlates,
			PerStyle: map[string]styleCTRJSON{}, Series: []simulateSeriesPointJSON{}}
		if oracle > 0 {
			o.CTRVsOracle = p.CTR / oracle
		}
		for i, s := range res.Styles {
			c := p.Styles[i]
			o.PerStyle[s] = styleCTRJSON{Impressions: c.Impressions, Clicks: c.Clicks, CTR: c.CTR()}
		}
		for _, pt := range p.Series {
			o.Series = append(o.Series, simulateSeriesPointJSON{Users: pt.Users, CTR: pt.CTR})
		}
		lifts := make([]float64, len(perSeed))
		o.VariantLiftSeeds = make([]*float64, len(perSeed))
		for k := range perSeed {
			lifts[k] = math.NaN()
			if q := seedPolicy(k, p.Name); q.HasLift {
				lifts[k] = q.VariantLift
				o.VariantLiftSeeds[k] = &q.VariantLift
			}
		}
		if m := sim.MeanCI95(lifts); m.N > 0 {
			o.VariantLiftMean, o.VariantLiftCI95 = &m.Mean, ci95(m)
		}
		switch {
		case p.HasLift:
			lift := p.VariantLift
			o.VariantLift = &lift
		case res.Source.Variants == 0:
			o.VariantNote = "no stylized variants in the catalog yet: generate some with the style-transfer model to measure the lift"
		case p.Variants.Impressions == 0:
			o.VariantNote = "this policy showed no stylized variant"
		default:
			o.VariantNote = "not measurable: no original image was clicked"
		}
		return o
	}
	out.simulatePolicyJSON = policyOut(byName[asked[0]])
	if len(asked) > 1 {
		out.Policies = map[string]simulatePolicyJSON{}
		for _, name := range asked {
			out.Policies[name] = policyOut(byName[name])
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(env.stdout, "%d shoppers, up to %d slates of %d images each, seed %d (%.1f s)\n", out.Users, out.Steps, sim.DefaultSlateSize, out.Seed, time.Since(start).Seconds())
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tCTR\tvs oracle\timpressions\tclicks\tslates/session\tvariant lift\t")
	for _, name := range run {
		p := byName[name]
		o := policyOut(p)
		lift := "-"
		if o.VariantLift != nil {
			lift = fmt.Sprintf("%+.1f%%", 100**o.VariantLift)
			if o.VariantLiftCI95 != nil {
				lift += fmt.Sprintf(" (95%%: %+.1f%% to %+.1f%%)", 100*o.VariantLiftCI95[0], 100*o.VariantLiftCI95[1])
			}
		}
		fmt.Fprintf(tw, "%s\t%.2f%%\t%.2f\t%d\t%d\t%.1f\t%s\t\n", name, 100*o.CTR, o.CTRVsOracle, o.Impressions, o.Clicks, o.MeanSlates, lift)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if iv := out.RankerVsOriginals; iv != nil {
		line := fmt.Sprintf("Ranker with variants vs on originals only: %+.1f%% CTR", 100*iv.Pooled)
		if iv.CI95 != nil {
			line += fmt.Sprintf(" (mean over %d seeds %+.1f%%, 95%% interval %+.1f%% to %+.1f%%)", len(iv.PerSeed), 100*float64(iv.Mean), 100*iv.CI95[0], 100*iv.CI95[1])
		}
		fmt.Fprintln(env.stdout, line)
	}
	for _, n := range out.Notes {
		fmt.Fprintln(env.stdout, "Note: "+n)
	}
	return nil
}

// jsonFloat is a float64 that encodes NaN and infinities as null (JSON has no such numbers).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}
