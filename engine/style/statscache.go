package style

import (
	"image"
	"sync"
)

// StatsCache keeps the style statistics of pictures under a caller's key (the picture's content
// hash), so predicting a catalog again after each retraining does not compute them again: they are
// most of what predicting costs (README, "The silhouette statistics"). The statistics depend on the
// picture alone, not on the model, so one cache serves every classifier of a session. Safe for
// concurrent use; about 1.2 KB a picture.
type StatsCache struct {
	mu   sync.Mutex
	rows map[string][]float32
}

// NewStatsCache returns an empty cache.
func NewStatsCache() *StatsCache { return &StatsCache{rows: map[string][]float32{}} }

// Len is how many pictures' statistics the cache holds.
func (c *StatsCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.rows)
}

// features returns img's statistics (statsLen values), from c under key when it has them, else
// computed and kept there. A nil cache or an empty key computes them every time.
func (c *StatsCache) features(img image.Image, key string) []float32 {
	if c == nil || key == "" {
		return statsFeatures(img)
	}
	c.mu.Lock()
	f, ok := c.rows[key]
	c.mu.Unlock()
	if ok {
		return f
	}
	f = statsFeatures(img)
	c.mu.Lock()
	c.rows[key] = f
	c.mu.Unlock()
	return f
}

// keyAt is keys[i], or "" (never cached) when there are no keys.
func keyAt(keys []string, i int) string {
	if keys == nil {
		return ""
	}
	return keys[i]
}

// StatsRowsCached is StatsRows with the statistics read from, or added to, cache under keys[i] (""
// or a nil cache: computed). It gives the same rows as StatsRows.
func StatsRowsCached(imgs []image.Image, keys []string, cache *StatsCache) [][]float64 {
	out := make([][]float64, len(imgs))
	parallel(len(imgs), func(i int, _ *scratch) {
		key := keyAt(keys, i)
		var f []float32
		if cache != nil && key != "" {
			f = cache.features(imgs[i], key)[:pictureStatsLen]
		} else {
			f = pictureStatsF32(imgs[i])
		}
		row := make([]float64, len(f))
		for j, v := range f {
			row[j] = float64(v)
		}
		out[i] = row
	})
	return out
}
