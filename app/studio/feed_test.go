package studio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"stylestudio/assets"
	"stylestudio/engine/demo"
	"stylestudio/engine/rank"
	"stylestudio/engine/sim"
	"stylestudio/engine/style"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/store"
	"stylestudio/store/library"
)

// demoLibrary opens a temp library seeded with the first n products of the demo catalog (seed 1).
func demoLibrary(t testing.TB, n int) *store.DB { return testlib.DemoLibrary(t, n, 1) }

func demoStyleNames() []string {
	var out []string
	for _, s := range demo.Styles() {
		out = append(out, s.Name)
	}
	return out
}

func TestColorHistogram(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 4; x++ {
			c := color.NRGBA{255, 0, 0, 255} // red
			if x >= 2 {
				c = color.NRGBA{0, 0, 0, 0} // transparent: white on white
			}
			img.SetNRGBA(x, y, c)
		}
	}
	h := ColorHistogram(img)
	if len(h) != FeatureDim {
		t.Fatalf("len %d, want %d", len(h), FeatureDim)
	}
	// R: every pixel at 255 (last bin); G and B: half at 0 (first bin), half at 255.
	const B = HistogramBins
	want := make([]float32, FeatureDim)
	want[B-1] = 1.0 / 3
	want[B], want[2*B-1] = 1.0/6, 1.0/6
	want[2*B], want[3*B-1] = 1.0/6, 1.0/6
	if !slices.Equal(h, want) {
		t.Fatalf("histogram %v, want %v", h, want)
	}
	// Another image type gives the same histogram.
	rgba := image.NewRGBA(img.Rect)
	for y := 0; y < 2; y++ {
		for x := 0; x < 4; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	if g := ColorHistogram(rgba); !slices.Equal(g, h) {
		t.Fatalf("RGBA histogram %v differs from NRGBA %v", g, h)
	}
}

func TestFeedItemsWithoutClassifier(t *testing.T) {
	ctx := context.Background()
	const n = 90
	db := demoLibrary(t, n)
	items, styles, src, err := FeedItems(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(styles, demoStyleNames()) {
		t.Fatalf("styles %v, want the demo's %v", styles, demoStyleNames())
	}
	if src.Classifier || !strings.Contains(src.Note, "no classifier trained yet") {
		t.Fatalf("source %+v: want the no-classifier fallback, said so", src)
	}
	if len(items) != n || src.Products != n || src.Variants != 0 || src.Labeled+src.Guessed != n {
		t.Fatalf("%d items, source %+v", len(items), src)
	}
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var guessed, right int
	for i, it := range items {
		r := rows[i]
		if it.ID != r.ID || it.Category != r.Category || it.PriceCents != r.PriceCents || len(it.Variants) != 1 {
			t.Fatalf("item %d = %+v, product %+v", i, it, r)
		}
		v := it.Variants[0]
		var fsum float32
		for _, f := range v.Features {
			fsum += f
		}
		if len(v.Features) != FeatureDim || math.Abs(float64(fsum)-1) > 1e-4 {
			t.Fatalf("item %d features: %d numbers summing to %v", i, len(v.Features), fsum)
		}
		var psum float64
		for _, p := range v.Perceived {
			psum += p
		}
		if len(v.Perceived) != len(styles) || math.Abs(psum-1) > 1e-9 {
			t.Fatalf("item %d perceived %v", i, v.Perceived)
		}
		top := slices.Index(v.Perceived, slices.Max(v.Perceived))
		if r.Style != "" {
			if styles[top] != r.Style || v.Perceived[top] != LabelPeak {
				t.Fatalf("labeled %s (%s) perceived %v", r.SKU, r.Style, v.Perceived)
			}
			continue
		}
		_, truth, err := db.DemoTruth(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		guessed++
		if styles[top] == truth {
			right++
		}
	}
	// The colour-histogram guess should recognise most demo styles (they differ in colour).
	if guessed == 0 || float64(right) < 0.75*float64(guessed) {
		t.Fatalf("colour guess right for %d of %d unlabeled products", right, guessed)
	}
	t.Logf("colour guess right for %d of %d unlabeled products", right, guessed)

	again, _, _, err := FeedItems(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, items) {
		t.Fatal("FeedItems is not deterministic")
	}
}

func TestFeedItemsEmptyCatalog(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, _, err := FeedItems(ctx, db); err == nil {
		t.Fatal("FeedItems on a library without styles succeeded")
	}
	if _, err := db.AddStyle(ctx, "boho", "", ""); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = FeedItems(ctx, db)
	if !errors.Is(err, ErrEmptyFeed) || !strings.Contains(err.Error(), "demo catalog") {
		t.Fatalf("empty catalog: %v, want ErrEmptyFeed saying what to do", err)
	}
}

// A classifier that knows only some of the library's styles: its probabilities are mapped onto the
// library's style list, zero for the styles it does not know.
func TestFeedItemsWithClassifier(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 30)
	known := []string{"neon", "minimal"}
	var train []style.Example
	for i, it := range demo.Catalog(24, 7) {
		img, err := demo.Render(it.Params, known[i%2], 32)
		if err != nil {
			t.Fatal(err)
		}
		train = append(train, style.Example{Image: img, Style: i % 2})
	}
	clf, err := style.Train(ctx, style.Config{Size: 16, Epochs: 2, Width: 4, BatchSize: 8}, known, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := saveClassifier(db.Dir(), clf, ClassifierInfo{Styles: known}); err != nil {
		t.Fatal(err)
	}
	items, styles, src, err := FeedItems(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !src.Classifier || !strings.Contains(src.Note, "classifier") || src.Labeled+src.Guessed != 0 {
		t.Fatalf("source %+v: want perceived styles from the classifier", src)
	}
	rows, _ := db.Products(ctx, store.ProductFilter{})
	neon, minimal := slices.Index(styles, "neon"), slices.Index(styles, "minimal")
	for i, it := range items {
		img, err := thumbImage(ctx, db, rows[i].ImageHash)
		if err != nil {
			t.Fatal(err)
		}
		want := clf.Predict(img)
		got := it.Variants[0].Perceived
		for k, p := range got {
			switch k {
			case neon:
				if math.Abs(p-want[0]) > 1e-9 {
					t.Fatalf("item %d neon %v, classifier %v", i, p, want)
				}
			case minimal:
				if math.Abs(p-want[1]) > 1e-9 {
					t.Fatalf("item %d minimal %v, classifier %v", i, p, want)
				}
			default:
				if p != 0 {
					t.Fatalf("item %d: style %s unknown to the classifier has %v", i, styles[k], p)
				}
			}
		}
		if len(it.Variants[0].Features) != FeatureDim {
			t.Fatal("features are not the colour histogram")
		}
	}
	// The built-in ranker's training features ignore the classifier.
	_, _, src, err = FeedItemsWith(ctx, db, FeedOptions{IgnoreClassifier: true})
	if err != nil || src.Classifier {
		t.Fatalf("IgnoreClassifier: %+v, %v", src, err)
	}
}

func TestDefaultRankerFitsDemoAndRefusesOtherShapes(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 40) // a small demo library lacks some categories: still fits
	items, styles, _, err := FeedItems(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := rank.SpecFor(items, styles)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DefaultRanker(spec)
	if err != nil {
		t.Fatalf("the built-in ranker does not fit a demo library: %v", err)
	}
	p := sim.NewProfile(len(styles), spec.Categories)
	if s := m.Score(&p, &items[0], 0); !(s > 0 && s < 1) {
		t.Fatalf("score %v", s)
	}
	for name, other := range map[string]rank.Spec{
		"styles":     {Styles: []string{"boho", "luxe"}, Categories: spec.Categories, FeatureDim: FeatureDim},
		"order":      {Styles: append(styles[1:2:2], styles[0]), Categories: spec.Categories, FeatureDim: FeatureDim},
		"features":   {Styles: styles, Categories: spec.Categories, FeatureDim: 16},
		"categories": {Styles: styles, Categories: []string{"Garden"}, FeatureDim: FeatureDim},
	} {
		_, err := DefaultRanker(other)
		if !errors.Is(err, rank.ErrShapeMismatch) || !strings.Contains(err.Error(), "train a ranker") {
			t.Errorf("%s: %v, want ErrShapeMismatch saying to train one", name, err)
		}
	}
	got, info, err := LoadRanker(db, spec)
	if err != nil || info.Source != RankerBuiltIn || got == nil {
		t.Fatalf("LoadRanker without a library ranker: %+v, %v", info, err)
	}
}

func TestLoadRankerPrefersTheLibrarysOwn(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 40)
	items, styles, _, err := FeedItems(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := rank.SpecFor(items, styles)
	train, _, err := SimulatedExamples(ctx, items, styles, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rank.Train(ctx, rank.Config{Spec: spec, Epochs: 1}, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveRanker(db, m); err != nil {
		t.Fatal(err)
	}
	_, info, err := LoadRanker(db, spec)
	if err != nil || info.Source != RankerFromLibrary || info.Path != library.RankerPath(db.Dir()) {
		t.Fatalf("LoadRanker: %+v, %v; want the library's", info, err)
	}
	// A damaged library ranker falls back to the built-in one, saying why.
	if err := os.WriteFile(library.RankerPath(db.Dir()), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, info, err = LoadRanker(db, spec)
	if err != nil || info.Source != RankerBuiltIn || !strings.Contains(info.Note, "cannot be used") {
		t.Fatalf("damaged library ranker: %+v, %v", info, err)
	}
	// Another shape with neither fitting: ErrNoRanker.
	other := rank.Spec{Styles: []string{"a", "b"}, FeatureDim: FeatureDim}
	if _, _, err := LoadRanker(db, other); !errors.Is(err, ErrNoRanker) {
		t.Fatalf("no fitting ranker: %v", err)
	}
}

func TestSimulateChecksItsInput(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 12)
	for _, tc := range []struct {
		cfg  SimulateConfig
		want error
	}{
		{SimulateConfig{Users: 0, Policies: []string{"random"}}, sim.ErrNoUsers},
		{SimulateConfig{Users: 5, Policies: []string{"bandit"}}, sim.ErrBadConfig},
		{SimulateConfig{Users: 5, Policies: []string{"random", "random"}}, sim.ErrBadConfig},
		{SimulateConfig{Users: 5}, sim.ErrBadConfig},
		{SimulateConfig{Users: 5, Steps: sim.MaxSteps + 1, Policies: []string{"random"}}, sim.ErrBadConfig},
		{SimulateConfig{Users: MaxLogUsers + 1, Policies: []string{"random"}, Log: true}, sim.ErrTooManyUsers},
	} {
		if _, err := Simulate(ctx, db, tc.cfg, nil); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.cfg, err, tc.want)
		}
	}
}

// Simulate with Log stores every impression; replaying the stored sessions rebuilds exactly the
// profiles the simulator had, and a ranker trains on them.
func TestSimulateLogsAndStoredExamplesReplayProfiles(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 40)
	cfg := SimulateConfig{Users: 300, Steps: 20, Policies: []string{"random", "ranker"}, Seed: 5, Log: true}
	res, err := SimulateFeed(ctx, db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var total, clicks int64
	for _, p := range res.Policies {
		total += p.Impressions
		clicks += p.Clicks
	}
	counts, err := db.CountInteractions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Logged != total || counts.Impressions != total || counts.Clicks != clicks || counts.Users != int64(cfg.Users) {
		t.Fatalf("logged %d, stored %+v; the run had %d impressions, %d clicks", res.Logged, counts, total, clicks)
	}
	if res.Ranker.Source != RankerBuiltIn {
		t.Fatalf("ranker %+v", res.Ranker)
	}

	// The simulator's own profiles, by (policy, user, step).
	items, styles, _, err := FeedItems(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := rank.SpecFor(items, styles)
	model, _, _ := LoadRanker(db, spec)
	type key struct {
		policy     string
		user, step int
	}
	want := map[key]sim.Profile{}
	logCfg := sim.RunConfig{Users: cfg.Users, Steps: cfg.Steps, Seed: cfg.Seed, Logger: func(imp sim.Impression) {
		want[key{imp.Policy, imp.User, imp.Step}] = *imp.Profile
	}}
	if _, err := sim.Run(ctx, logCfg, items, styles, []sim.Policy{sim.NewRandom(), sim.NewRanker(model)}, nil); err != nil {
		t.Fatal(err)
	}
	train, test, err := StoredExamples(ctx, db, items, styles)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(train)+len(test)) != total {
		t.Fatalf("%d + %d examples from %d stored impressions", len(train), len(test), total)
	}
	first := int64(math.MaxInt64)
	for _, e := range append(append([]rank.Example(nil), train...), test...) {
		first = min(first, int64(e.User))
	}
	// Slates are runs of one id, and each example's profile is the simulator's at that slate.
	checked := 0
	for _, part := range [][]rank.Example{train, test} {
		for i, e := range part {
			if i > 0 && part[i-1].Slate == e.Slate {
				continue
			}
			step := e.Profile.Impressions / sim.DefaultSlateSize // every slate holds 10 of the 40 products
			found := false
			for _, pol := range cfg.Policies {
				if p, ok := want[key{pol, e.User - int(first), step}]; ok && reflect.DeepEqual(p.Style, e.Profile.Style) &&
					reflect.DeepEqual(p.Category, e.Profile.Category) && p.Clicks == e.Profile.Clicks && p.Impressions == e.Profile.Impressions {
					found = true
				}
			}
			if !found {
				t.Fatalf("example %d (shopper %d, slate %d) has a profile the simulator never had: %+v", i, e.User, step, *e.Profile)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d slates checked", checked)
	}

	// Enough is stored to train on: the ranker trains on the stored logs and is saved.
	m, rep, err := TrainLibraryRanker(ctx, db, items, styles, 1, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Logs != LogsStored || rep.Metrics.Test != len(test) || !(rep.Metrics.Ranker.AUC > 0.5) {
		t.Fatalf("report %+v", rep)
	}
	got, info, err := LoadRanker(db, spec)
	if err != nil || info.Source != RankerFromLibrary || !reflect.DeepEqual(got.Spec(), m.Spec()) {
		t.Fatalf("saved ranker: %+v, %v", info, err)
	}
}

// The embedded weights are what scripts/gen-ranker makes: the default demo library, no classifier,
// simulated logs, seed 1. If FeedItems, the demo catalog, the simulator or the trainer change, this
// fails: regenerate them (scripts/gen-ranker) so the built-in ranker matches what the feed shows.
func TestBuiltInRankerIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the built-in ranker (about 20 s)")
	}
	ctx := context.Background()
	db := demoLibrary(t, 400)
	items, styles, src, err := FeedItemsWith(ctx, db, FeedOptions{IgnoreClassifier: true})
	if err != nil {
		t.Fatal(err)
	}
	if src.Classifier {
		t.Fatal("classifier used")
	}
	m, met, err := TrainRanker(ctx, items, styles, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ranker.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, assets.DefaultRanker()) {
		t.Fatalf("regenerated ranker (%d bytes, held-out AUC %.4f) differs from assets/ranker/default.safetensors (%d bytes); run scripts/gen-ranker",
			len(got), met.Ranker.AUC, len(assets.DefaultRanker()))
	}
	if !(met.Ranker.AUC > met.Popularity.AUC && met.Ranker.NDCG > met.Popularity.NDCG) {
		t.Fatalf("the built-in ranker does not beat popularity: %+v", met)
	}
	t.Logf("%s; %s", src.Note, fmt.Sprintf("AUC %.4f NDCG@10 %.4f", met.Ranker.AUC, met.Ranker.NDCG))
}

// Logging the same seed twice (as after an interrupted run) stores its impressions once.
func TestSimulateLogAgainReplacesTheSameSeed(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 40)
	cfg := SimulateConfig{Users: 40, Steps: 5, Policies: []string{"random"}, Seed: 2, Log: true}
	first, err := SimulateFeed(ctx, db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := SimulateFeed(ctx, db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CountInteractions(ctx)
	if err != nil || c.Impressions != first.Logged || again.Logged != first.Logged || c.Users != int64(cfg.Users) {
		t.Fatalf("stored %+v (%v) after logging %d then %d impressions; want one run's worth", c, err, first.Logged, again.Logged)
	}
	other := cfg
	other.Seed = 3
	if _, err := SimulateFeed(ctx, db, other, nil); err != nil {
		t.Fatal(err)
	}
	if c2, _ := db.CountInteractions(ctx); c2.Users != 2*int64(cfg.Users) {
		t.Fatalf("another seed must add its shoppers: %+v", c2)
	}
}

// simulate --log never stores the oracle's impressions: it ranks with the shoppers' hidden tastes, and
// rank train/eval read the stored logs.
func TestSimulateLogNeverStoresTheOracle(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t, 30)
	res, err := SimulateFeed(ctx, db, SimulateConfig{Users: 40, Steps: 5, Policies: []string{"random", "oracle"}, Seed: 3, Log: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var random, oracle int64
	for _, p := range res.Policies {
		switch p.Name {
		case "random":
			random = p.Impressions
		case "oracle":
			oracle = p.Impressions
		}
	}
	if random == 0 || oracle == 0 {
		t.Fatalf("random %d, oracle %d impressions", random, oracle)
	}
	if res.Logged != random {
		t.Errorf("logged %d impressions; random showed %d and the oracle %d: only random's may be stored", res.Logged, random, oracle)
	}
	err = db.Interactions(ctx, 0, func(r store.Interaction) error {
		if r.Policy == "oracle" {
			return errors.New("an oracle impression is stored")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// Below the stored-log threshold, the stored impressions (a person's Be-the-shopper clicks, a short
// logged simulation) train beside the simulated logs instead of being ignored; the held-out shoppers
// stay simulated. RetrainFeedRanker saves the result and ranks the feed with it.
func TestFewStoredImpressionsTrainBesideSimulatedLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("a ranker training (15 s on two cores)")
	}
	ctx := context.Background()
	db := demoLibrary(t, 40)
	res, err := SimulateFeed(ctx, db, SimulateConfig{Users: 10, Steps: 5, Policies: []string{"random"}, Seed: 3, Log: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	feed, _, err := PrepareFeed(ctx, db, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	next, rep, err := RetrainFeedRanker(ctx, db, feed, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Logs != LogsSimulated || int64(rep.Extra) != res.Logged || res.Logged == 0 || !strings.Contains(rep.Note, "stored impressions") {
		t.Fatalf("logs %q, %d stored impressions trained of %d stored (note %q)", rep.Logs, rep.Extra, res.Logged, rep.Note)
	}
	if rep.Metrics.Train <= rep.Extra || !(rep.Metrics.Ranker.AUC > 0.5) { // simulated examples train too
		t.Fatalf("metrics %+v", rep.Metrics)
	}
	spec, _ := rank.SpecFor(feed.Items, feed.Styles)
	saved, info, err := LoadRanker(db, spec)
	if err != nil || info.Source != RankerFromLibrary || next.Ranker.Source != RankerFromLibrary || !reflect.DeepEqual(saved.Spec(), next.Model.Spec()) {
		t.Fatalf("saved ranker %+v (%v); the feed's %+v", info, err, next.Ranker)
	}
	// Asked for simulated logs only (rank train --simulated), nothing stored trains.
	_, rep, err = TrainRankerFor(ctx, db, feed.Items, feed.Styles, 1, true, nil)
	if err != nil || rep.Extra != 0 {
		t.Fatalf("simulated only: %d stored impressions trained (%v)", rep.Extra, err)
	}
}
