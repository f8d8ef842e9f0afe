package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/demo"
	"stylestudio/engine/rank"
	"stylestudio/engine/sim"
	"stylestudio/store/library"
)

// offlineJSON is one scorer's held-out metrics in the `rank train|eval --json` contract (null: undefined,
// e.g. an AUC without clicks).
type offlineJSON struct {
	AUC     jsonFloat `json:"auc"`
	NDCG10  jsonFloat `json:"ndcg10"`
	HR10    jsonFloat `json:"hr10"`
	LogLoss jsonFloat `json:"logloss"`
}

// rankJSON is the stable `rank train|eval --json` contract.
type rankJSON struct {
	Ranker     offlineJSON `json:"ranker"`
	Random     offlineJSON `json:"random"`
	Popularity offlineJSON `json:"popularity"`
	// Logs is where the impressions came from: "stored" (the catalog's interactions) or "simulated".
	Logs             string  `json:"logs"`
	LogsNote         string  `json:"logs_note"`
	Model            string  `json:"model"`        // the file written (train) or evaluated (eval); "built-in" for the embedded one
	ModelSource      string  `json:"model_source"` // trained, library or default
	Perceived        string  `json:"perceived"`    // classifier or fallback
	TrainImpressions int     `json:"train_impressions"`
	TestImpressions  int     `json:"test_impressions"`
	Lists            int     `json:"lists"` // held-out slates with a click, ranked for NDCG/HR
	ClickRate        float64 `json:"click_rate"`
	Seconds          float64 `json:"seconds"`
}

func offline(o rank.Offline) offlineJSON {
	return offlineJSON{AUC: jsonFloat(o.AUC), NDCG10: jsonFloat(o.NDCG), HR10: jsonFloat(o.HR), LogLoss: jsonFloat(o.LogLoss)}
}

const rankUsage = `Usage: stylestudio rank <train|eval> --library DIR [flags]

  train   train the feed's ranking model for the library (on stored interactions when enough are
          stored, else on freshly simulated logs) and save it to <library>/models/ranker.safetensors
  eval    measure the library's ranker (its own, else the built-in one) on held-out shoppers:
          AUC, NDCG@10, HR@10 and log loss against random scores and popularity`

func runRank(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || isHelpFlag(args[0]) {
		fmt.Fprintln(env.stderr, rankUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "train":
		return runRankTrain(ctx, env, args[1:])
	case "eval":
		return runRankEval(ctx, env, args[1:])
	}
	return fmt.Errorf("%w: unknown rank command %q (use train or eval)", errUsage, args[0])
}

func runRankTrain(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "rank train", "--library DIR [--seed S] [--simulated] [--default] [--out FILE] [--json]",
		"Train the storefront feed's ranking model for the library: on the stored interactions (simulate --log) when\n"+
			fmt.Sprintf("at least %d impressions with %d clicks are stored, else on freshly simulated logs (%d shoppers\n", studio.MinStoredImpressions, studio.MinStoredClicks, rank.DefaultLogUsers)+
			"under the random and popular policies). Prints held-out metrics and saves the model into the library.\n"+
			"--default makes the built-in weights: simulated logs and the no-classifier features of a fresh library\n"+
			"(run it on a `stylestudio demo` library; scripts/gen-ranker does it all).")
	lib := libraryFlag(fs)
	seed := fs.Uint64("seed", 1, "seed of the simulated shoppers and the training shuffle (same seed, same model)")
	simulated := fs.Bool("simulated", false, "train on simulated logs even when interactions are stored")
	builtIn := fs.Bool("default", false, "make the built-in model: simulated logs and the no-classifier features (implies --simulated)")
	out := fs.String("out", "", "write the model to this file instead of <library>/models/ranker.safetensors")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	items, styles, src, err := studio.FeedItemsWith(ctx, db, studio.FeedOptions{IgnoreClassifier: *builtIn})
	if err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(env.stderr, "Feed: %s\nTraining the ranker...\n", src.Note)
	}
	report := func(ev rank.Event) {
		if !*asJSON {
			fmt.Fprintf(env.stderr, "\repoch %d/%d  loss %.4f   ", ev.Epoch, ev.Epochs, ev.Loss)
		}
	}
	m, rep, err := studio.TrainRankerFor(ctx, db, items, styles, *seed, *simulated || *builtIn, report)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		err = studio.SaveRanker(db, m)
		path = library.RankerPath(db.Dir())
	} else {
		if path, err = filepath.Abs(path); err == nil {
			err = m.Save(path)
		}
	}
	if err != nil {
		return err
	}
	res := rankResult(rep, src, path, studio.RankerTrained, start)
	return printRank(env, res, *asJSON, "Trained and saved to "+path)
}

func runRankEval(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "rank eval", "--library DIR [--seed S] [--simulated] [--default] [--users N] [--json]",
		"Measure the library's ranking model (its own, else the built-in one) on held-out shoppers: the stored\n"+
			"interactions when enough are stored, else freshly simulated logs. Compares AUC, NDCG@10, HR@10 and log\n"+
			"loss with random scores and with each image's popularity among the other shoppers.")
	lib := libraryFlag(fs)
	seed := fs.Uint64("seed", 2, "seed of the simulated shoppers (another seed than training's gives shoppers the model never saw)")
	simulated := fs.Bool("simulated", false, "evaluate on simulated logs even when interactions are stored")
	builtIn := fs.Bool("default", false, "evaluate the built-in model even when the library has its own")
	users := fs.Int("users", rank.DefaultLogUsers, "simulated shoppers (each once under random and once under popular) when evaluating on simulated logs")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if *users < 2*rank.DefaultHoldOutMod || *users > sim.MaxUsers {
		return fmt.Errorf("--users must be %d to %d, got %d", 2*rank.DefaultHoldOutMod, sim.MaxUsers, *users)
	}
	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	items, styles, src, err := studio.FeedItems(ctx, db)
	if err != nil {
		return err
	}
	spec, err := rank.SpecFor(items, styles)
	if err != nil {
		return err
	}
	var m *rank.Model
	info := studio.RankerInfo{Source: studio.RankerBuiltIn}
	if *builtIn {
		m, err = studio.DefaultRanker(spec)
	} else {
		m, info, err = studio.LoadRanker(db, spec)
	}
	if err != nil {
		return err
	}
	rep, err := studio.EvalRanker(ctx, db, m, items, styles, *seed, *simulated, *users)
	if err != nil {
		return err
	}
	model := info.Path
	if model == "" {
		model = "built-in"
	}
	res := rankResult(rep, src, model, info.Source, start)
	return printRank(env, res, *asJSON, "Model: "+model)
}

func rankResult(rep studio.RankerReport, src studio.FeatureSource, model, source string, start time.Time) rankJSON {
	met := rep.Metrics
	perceived := "fallback"
	if src.Classifier {
		perceived = "classifier"
	}
	return rankJSON{Ranker: offline(met.Ranker), Random: offline(met.Random), Popularity: offline(met.Popularity),
		Logs: rep.Logs, LogsNote: rep.Note, Model: model, ModelSource: source, Perceived: perceived,
		TrainImpressions: met.Train, TestImpressions: met.Test, Lists: met.Ranker.Lists, ClickRate: met.ClickRate,
		Seconds: time.Since(start).Seconds()}
}

func printRank(env *cliEnv, res rankJSON, asJSON bool, footer string) error {
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintln(env.stderr)
	fmt.Fprintf(env.stdout, "Logs: %s\nHeld-out shoppers: %d impressions (%d ranked lists); the other shoppers' %d impressions trained the model and the popularity baseline\n",
		res.LogsNote, res.TestImpressions, res.Lists, res.TrainImpressions)
	fmt.Fprintf(env.stdout, "%-11s %7s %8s %7s %8s\n", "", "AUC", "NDCG@10", "HR@10", "logloss")
	for _, row := range []struct {
		name string
		o    offlineJSON
	}{{"ranker", res.Ranker}, {"popularity", res.Popularity}, {"random", res.Random}} {
		fmt.Fprintf(env.stdout, "%-11s %7.4f %8.4f %7.4f %8.4f\n", row.name, float64(row.o.AUC), float64(row.o.NDCG10), float64(row.o.HR10), float64(row.o.LogLoss))
	}
	fmt.Fprintln(env.stdout, footer)
	return nil
}

// benchRankJSON is the stable `bench rank --json` contract.
type benchRankJSON struct {
	ScoreMS         float64   `json:"score_ms"` // best of Runs: scoring Candidates images for one shopper
	ScoreRunsMS     []float64 `json:"score_runs_ms"`
	Candidates      int       `json:"candidates"`
	ImpressionsPerS float64   `json:"impressions_per_s"` // headless simulation with the ranker policy
	SimUsers        int       `json:"sim_users"`
	SimCandidates   int       `json:"sim_candidates"` // images the ranker scores for every slate
	SimImpressions  int64     `json:"sim_impressions"`
	SimSeconds      float64   `json:"sim_seconds"`
	Model           string    `json:"model"`
}

func benchRank(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "bench rank", "[--candidates N] [--runs R] [--users U] [--json]",
		"Time the built-in feed ranker: scoring N candidate images (synthetic products shaped like the demo catalog:\n"+
			"its styles and categories, half of the products with two stylized variants) for one shopper, best of R\n"+
			"runs; and the headless simulation throughput with the ranker policy on a 400-product such catalog.")
	n := fs.Int("candidates", 100000, "candidate images to score")
	runs := fs.Int("runs", 5, "scoring runs (the best is reported)")
	users := fs.Int("users", 2000, "simulated shoppers for the throughput measurement")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if *n < 1 || *n > 10_000_000 {
		return fmt.Errorf("--candidates must be 1 to 10000000, got %d", *n)
	}
	if *runs < 1 || *runs > 1000 {
		return fmt.Errorf("--runs must be 1 to 1000, got %d", *runs)
	}
	if *users < 1 || *users > sim.MaxUsers {
		return fmt.Errorf("--users must be 1 to %d, got %d", sim.MaxUsers, *users)
	}
	items, styles := demoShapedCatalog(*n, 1)
	spec, err := rank.SpecFor(items, styles)
	if err != nil {
		return err
	}
	m, err := studio.DefaultRanker(spec)
	if err != nil {
		return err
	}
	cat, err := sim.NewCatalog(items, styles)
	if err != nil {
		return err
	}
	cands := cat.Candidates[:min(*n, len(cat.Candidates))]
	p := sim.NewProfile(len(styles), cat.Categories)
	sim.UpdateProfile(&p, true, &items[0].Variants[0], &items[0])
	scores := make([]float64, len(cands))
	out := benchRankJSON{Candidates: len(cands), ScoreMS: math.Inf(1), Model: "built-in"}
	for r := 0; r < *runs; r++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := time.Now()
		m.ScoreCandidates(&p, items, cands, scores)
		ms := float64(time.Since(t).Nanoseconds()) / 1e6
		out.ScoreRunsMS = append(out.ScoreRunsMS, ms)
		out.ScoreMS = min(out.ScoreMS, ms)
	}

	simItems, simStyles := demoShapedCatalog(400, 2)
	simCat, err := sim.NewCatalog(simItems, simStyles)
	if err != nil {
		return err
	}
	t := time.Now()
	res, err := sim.RunCatalog(ctx, sim.RunConfig{Users: *users, Seed: 1}, simCat, []sim.Policy{sim.NewRanker(m)}, nil)
	if err != nil {
		return err
	}
	out.SimSeconds = time.Since(t).Seconds()
	out.SimUsers, out.SimCandidates, out.SimImpressions = *users, len(simCat.Candidates), res.Policies[0].Impressions
	out.ImpressionsPerS = float64(out.SimImpressions) / out.SimSeconds
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(out)
	}
	fmt.Fprintf(env.stdout, "Scoring %d candidates for one shopper: %.2f ms (best of %d)\n", out.Candidates, out.ScoreMS, *runs)
	fmt.Fprintf(env.stdout, "Simulation with the ranker policy: %.0f impressions/s (%d shoppers, %d images)\n", out.ImpressionsPerS, out.SimUsers, out.SimCandidates)
	return nil
}

// demoShapedCatalog is a synthetic catalog (sim.Synthetic, half of the products with two stylized
// variants) with the default demo catalog's styles and categories and colour-histogram-like features
// (studio.FeatureDim non-negative numbers summing to 1), so the built-in ranker can score it. It holds at
// least n candidate images.
func demoShapedCatalog(n int, seed uint64) ([]sim.Item, []string) {
	var styles []string
	for _, s := range demo.Styles() {
		styles = append(styles, s.Name)
	}
	var demoItems []sim.Item
	for _, it := range demo.Catalog(400, 1) {
		demoItems = append(demoItems, sim.Item{Category: it.Category})
	}
	cats := sim.Categories(demoItems)
	cfg := sim.DefaultSyntheticConfig()
	cfg.Items, cfg.Styles, cfg.Categories, cfg.FeatureDim, cfg.Seed = max(n, 1), len(styles), len(cats), studio.FeatureDim, seed
	items, synthStyles := sim.Synthetic(cfg)
	rename := map[string]string{}
	for i, s := range synthStyles {
		rename[s] = styles[i]
	}
	catOf := map[string]string{}
	for i, c := range sim.Categories(items) {
		catOf[c] = cats[i%len(cats)]
	}
	for i := range items {
		it := &items[i]
		it.Category = catOf[it.Category]
		for v := range it.Variants {
			va := &it.Variants[v]
			va.Style = rename[va.Style]
			var sum float32
			for d, x := range va.Features {
				va.Features[d] = float32(math.Abs(float64(x)))
				sum += va.Features[d]
			}
			for d := range va.Features {
				va.Features[d] /= max(sum, 1e-6)
			}
		}
	}
	return items, styles
}
