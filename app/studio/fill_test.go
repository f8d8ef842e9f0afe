package studio

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"stylestudio/engine/dataset"
	"stylestudio/engine/style"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/store"
)

// labelFirst labels the first keep products of every style with their true style.
func labelFirst(t *testing.T, db *store.DB, rows []store.ProductRow, truth map[int64]string, byName map[string]int64, keep int) {
	t.Helper()
	taken := map[string][]int64{}
	for _, r := range rows {
		if s := truth[r.ID]; s != "" && len(taken[s]) < keep {
			taken[s] = append(taken[s], r.ID)
		}
	}
	for name, ids := range taken {
		if _, err := db.SetLabels(context.Background(), ids, byName[name], "test"); err != nil {
			t.Fatal(err)
		}
	}
}

// With 2 labels a style no classifier can train; FillQueue orders the unlabeled products so that the
// labels the styles lack come first: each style's share of the first picks is its need, taken mostly
// from the products of that style.
func TestFillQueueGetsEveryStyleItsTrainingLabels(t *testing.T) {
	ctx := context.Background()
	db := testlib.DemoLibrary(t, 150, 3)
	bySKU, byName := testlib.KeepLabels(t, db, 150, 3, 2)
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	truth := map[int64]string{}
	for _, r := range rows {
		truth[r.ID] = bySKU[r.SKU]
	}
	if _, _, err := TrainClassifier(ctx, db, style.Config{Size: 16, Epochs: 1, Width: 4, BatchSize: 8}, nil); !errors.Is(err, style.ErrNotEnoughLabels) {
		t.Fatalf("training on 2 labels a style: %v, want ErrNotEnoughLabels", err)
	}
	queue, err := FillQueue(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	styles, _ := db.Styles(ctx)
	// 2 labels a style, both in train: 5 more for the 5 training labels a style needs (the first new
	// ones go to val and test).
	counts, err := db.EnsureSplits(ctx, DefaultSplit())
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range styles {
		n := dataset.LabelsToTrain(counts.PerStyle[s.Name], style.MinPerStyle, [3]int{80, 10, 10})
		if n < 5 {
			t.Fatalf("%s with %v needs %d labels, want at least 5", s.Name, counts.PerStyle[s.Name], n)
		}
		want += n
	}
	if len(queue) != style.FillAsk*want {
		t.Fatalf("fill queue of %d, want %d (%d lacked)", len(queue), style.FillAsk*want, want)
	}
	perStyle := map[string]int{}
	for _, id := range queue[:want] { // the first round over the styles
		if truth[id] == "" {
			t.Fatalf("product %d has no true style", id)
		}
		perStyle[truth[id]]++
	}
	for _, s := range styles {
		if perStyle[s.Name] < 3 {
			t.Errorf("the fill queue has %d products of %s, want about 5: %v", perStyle[s.Name], s.Name, perStyle)
		}
	}

	t.Logf("fill queue by true style: %v", perStyle)

	// A classifier that leaves one style out for want of labels: Suggest's queue starts with the
	// products FillQueue picks for it, then the classifier's own order.
	short := styles[0].Name
	others := map[int64]string{}
	for id, name := range truth {
		if name != short {
			others[id] = name
		}
	}
	labelFirst(t, db, rows, others, byName, 10)
	_, info, err := TrainClassifier(ctx, db, style.Config{Size: 16, Epochs: 1, Width: 4, BatchSize: 8}, nil)
	if err != nil || len(info.Skipped) != 1 || info.Skipped[0] != short {
		t.Fatalf("training with %s short of labels: skipped %v (%v)", short, info.Skipped, err)
	}
	m, _, err := LoadClassifier(db.Dir())
	if err != nil {
		t.Fatal(err)
	}
	fill, err := FillQueue(ctx, db)
	if err != nil || len(fill) < style.FillAsk*5 {
		t.Fatalf("fill queue for %s alone: %v (%v), want %d products or more", short, fill, err, style.FillAsk*5)
	}
	_, queue, err = Suggest(ctx, db, m, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The cached forms, as the Label screen calls them, give the same queues, the second time from
	// the cache (one entry a product with a thumbnail).
	cache := style.NewStatsCache()
	for range 2 {
		cachedFill, err := FillQueueCached(ctx, db, cache)
		if err != nil || !slices.Equal(cachedFill, fill) {
			t.Fatalf("FillQueueCached %v (%v), FillQueue %v", cachedFill, err, fill)
		}
		_, cachedQueue, err := SuggestCached(ctx, db, m, 1, cache)
		if err != nil || !slices.Equal(cachedQueue, queue) {
			t.Fatalf("SuggestCached's queue %v (%v), Suggest's %v", cachedQueue, err, queue)
		}
		if cache.Len() != len(rows) {
			t.Fatalf("the cache holds %d pictures, want one a product (%d)", cache.Len(), len(rows))
		}
	}
	if len(queue) < len(fill) || !slices.Equal(queue[:len(fill)], fill) {
		t.Errorf("Suggest's queue starts %v, want the fill queue %v first", queue[:min(len(fill), len(queue))], fill)
	}
	seen := map[int64]bool{}
	for _, id := range queue {
		if seen[id] {
			t.Fatalf("product %d twice in the queue", id)
		}
		seen[id] = true
	}

	// Once every style has its training labels, nothing is filled.
	labelFirst(t, db, rows, truth, byName, 10)
	if queue, err := FillQueue(ctx, db); err != nil || len(queue) != 0 {
		t.Errorf("every style with 10 labels: fill queue %v (%v), want none", queue, err)
	}
	// With no style short, the queue is the classifier's: the labels before the next retraining
	// come from the most uncertain products (diversity chooses among them), not from the whole catalog.
	if _, _, err := TrainClassifier(ctx, db, style.Config{Size: 16, Epochs: 1, Width: 4, BatchSize: 8}, nil); err != nil {
		t.Fatal(err)
	}
	if m, _, err = LoadClassifier(db.Dir()); err != nil {
		t.Fatal(err)
	}
	sugg, queue, err := Suggest(ctx, db, m, 1)
	if err != nil {
		t.Fatal(err)
	}
	head := RetrainAfter(len(rows) - len(queue))
	if head > len(queue) {
		t.Fatalf("queue of %d, head %d", len(queue), head)
	}
	byUncertainty := slices.Clone(queue)
	slices.SortStableFunc(byUncertainty, func(a, b int64) int { return cmp.Compare(sugg[b].Uncertainty, sugg[a].Uncertainty) })
	pool := int(math.Ceil(float64(head) * (1 + 3*QueueDiversity)))
	cut := sugg[byUncertainty[pool-1]].Uncertainty
	for k, id := range queue[:head] {
		if u := sugg[id].Uncertainty; u < cut {
			t.Errorf("queue pick %d of the first %d has uncertainty %.3f, below the %d most uncertain (%.3f)", k, head, u, pool, cut)
		}
	}

	// A new style nobody has labeled yet is not filled: nothing says what it looks like.
	if _, err := db.AddStyle(ctx, "unused", "#888888", ""); err != nil {
		t.Fatal(err)
	}
	if queue, err := FillQueue(ctx, db); err != nil || len(queue) != 0 {
		t.Errorf("a style with no labels: fill queue %v (%v), want none", queue, err)
	}
}
