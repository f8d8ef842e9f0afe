package style

import (
	"context"
	"fmt"
	"image"
	"slices"
	"testing"
)

// The cache gives exactly the uncached results, and a second prediction reads the statistics from it
// instead of computing them.
func TestStatsCacheGivesTheSameResults(t *testing.T) {
	train := demoExamples(t, 60, 5)
	cfg := DefaultConfig()
	cfg.Epochs = 2
	m, err := Train(context.Background(), cfg, demoStyles(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	held := demoExamples(t, 12, 6)
	imgs := imagesOf(held)
	keys := make([]string, len(imgs))
	for i := range keys {
		keys[i] = fmt.Sprintf("hash-%d", i)
	}
	keys[3] = "" // never cached
	cache := NewStatsCache()
	wantP, wantF := m.PredictAll(imgs)
	for round := range 2 {
		p, f := m.PredictAllCached(imgs, keys, cache)
		for i := range imgs {
			if !slices.Equal(p[i], wantP[i]) || !slices.Equal(f[i], wantF[i]) {
				t.Fatalf("round %d, image %d: cached prediction %v, uncached %v", round, i, p[i], wantP[i])
			}
		}
		if cache.Len() != len(imgs)-1 {
			t.Fatalf("round %d: the cache holds %d pictures, want %d (all but the one without a key)", round, cache.Len(), len(imgs)-1)
		}
	}
	rows, cached := StatsRows(imgs), StatsRowsCached(imgs, keys, cache)
	for i := range rows {
		if !slices.Equal(rows[i], cached[i]) {
			t.Fatalf("image %d: StatsRowsCached %v, StatsRows %v", i, cached[i][:4], rows[i][:4])
		}
	}
	// A key the cache holds is read, not recomputed: another picture under image 0's key predicts as
	// image 0's statistics say.
	other := []image.Image{imgs[1]}
	direct := m.PredictBatch(other)[0]
	viaKey, _ := m.PredictAllCached(other, []string{keys[0]}, cache)
	if slices.Equal(viaKey[0], direct) {
		t.Error("a cached key was computed again")
	}
}
