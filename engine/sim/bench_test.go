package sim

import (
	"context"
	"testing"
	"time"
)

// BenchmarkSimulate measures headless simulation throughput on the 400-product synthetic catalog
// (about 600 images) with 10-image slates; the goal is at least 50,000 impressions/s. "all" runs the
// five policies side by side (random, popular, ranker-originals and ranker with a hand-written
// scorer over every candidate, oracle); the others run one policy alone.
func BenchmarkSimulate(b *testing.B) {
	items, styles := testCatalog(0.9, 1)
	cat, err := NewCatalog(items, styles)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		policies func() []Policy
	}{
		{"all", allPolicies},
		{"random", func() []Policy { return []Policy{NewRandom()} }},
		{"ranker", func() []Policy { return []Policy{NewRanker(tasteScorer{})} }},
		{"oracle", func() []Policy { return []Policy{NewOracle()} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var imps int64
			start := time.Now()
			for i := 0; i < b.N; i++ {
				res, err := RunCatalog(context.Background(), RunConfig{Users: 500, Seed: uint64(i)}, cat, bc.policies(), nil)
				if err != nil {
					b.Fatal(err)
				}
				for _, p := range res.Policies {
					imps += p.Impressions
				}
			}
			b.ReportMetric(float64(imps)/time.Since(start).Seconds(), "impressions/s")
		})
	}
}
