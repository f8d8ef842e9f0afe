package style

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"stylestudio/engine/imaging"
)

// The measurement protocol of the issue: demo.Catalog(400, 1) rendered at 64 px, a stratified 80/20
// split by style (seed 1), train on the 80%, measure on the 20%.
func demoSplit(tb testing.TB) (train, heldOut []Example) {
	tb.Helper()
	return stratifiedSplit(demoExamples(tb, 400, 1), 0.8, 1)
}

// BenchmarkTrainDemo trains DefaultConfig on the demo protocol and reports held-out accuracy and
// training seconds. Run it once:
//
//	go test ./engine/style -run '^$' -bench TrainDemo -benchtime 1x
func BenchmarkTrainDemo(b *testing.B) {
	train, heldOut := demoSplit(b)
	cfg := DefaultConfig()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		m, err := Train(context.Background(), cfg, demoStyles(), train, nil)
		if err != nil {
			b.Fatal(err)
		}
		secs := time.Since(start).Seconds()
		b.StopTimer()
		acc := Accuracy(m, heldOut)
		b.ReportMetric(acc, "heldout_acc")
		b.ReportMetric(secs, "train_s")
		b.Logf("held-out accuracy %.4f (%d images), training %.1f s, config %+v", acc, len(heldOut), secs, cfg)
		b.StartTimer()
	}
}

// BenchmarkSimulateLabeling runs DefaultSimConfig on the demo protocol (pool = the 80%, held out =
// the 20%) and reports the labels each strategy needed to reach 90% held-out accuracy:
//
//	go test ./engine/style -run '^$' -bench SimulateLabeling -benchtime 1x
func BenchmarkSimulateLabeling(b *testing.B) {
	pool, heldOut := demoSplit(b)
	cfg := DefaultSimConfig()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := SimulateLabeling(context.Background(), cfg, pool, heldOut, nil)
		if err != nil {
			b.Fatal(err)
		}
		secs := time.Since(start).Seconds()
		b.StopTimer()
		b.ReportMetric(float64(res.LabelsTo90[StrategyUncertainty]), "labels90_uncert")
		b.ReportMetric(float64(res.LabelsTo90[StrategyRandom]), "labels90_random")
		b.ReportMetric(res.labelRatio(), "label_ratio")
		b.ReportMetric(secs, "sim_s")
		b.Logf("uncertainty: %s", curve(res.Uncertainty))
		b.Logf("random:      %s", curve(res.Random))
		b.Logf("labels to 90%%: %v (ratio %.2f), %.0f s", res.LabelsTo90, res.labelRatio(), secs)
		b.StartTimer()
	}
}

func curve(ps []SimPoint) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%d:%.3f", p.Labels, p.Accuracy))
	}
	return strings.Join(parts, " ")
}

// BenchmarkQueueOrder ranks 10,000 unlabeled products as the Label screen's queue does (QueueHead, a head
// of 20) and as it did before, with diversity over the whole catalog, which is quadratic in the catalog:
// go test ./engine/style -run '^$' -bench QueueOrder
func BenchmarkQueueOrder(b *testing.B) {
	const n = 10000
	rng := rand.New(rand.NewPCG(1, 2))
	probs := make([][]float64, n)
	feats := make([][]float32, n)
	for i := range probs {
		p := make([]float64, 6)
		s := 0.0
		for j := range p {
			p[j] = rng.Float64()
			s += p[j]
		}
		for j := range p {
			p[j] /= s
		}
		probs[i] = p
		f := make([]float32, 64)
		for j := range f {
			f[j] = rng.Float32()
		}
		feats[i] = f
	}
	b.Run("head20", func(b *testing.B) {
		for range b.N {
			QueueHead(probs, feats, 20, 0.3, rand.New(rand.NewPCG(1, 1)))
		}
	})
	b.Run("whole", func(b *testing.B) {
		for range b.N {
			QueuePredicted(probs, feats, n, 0.3, rand.New(rand.NewPCG(1, 1)))
		}
	})
}

// BenchmarkStatsFeatures times the style statistics of one demo thumbnail (160 px), the whole
// picture's and the silhouette's apart: what predicting a catalog costs per product beside the CNN.
func BenchmarkStatsFeatures(b *testing.B) {
	img := imaging.Square(demoExamples(b, 1, 3)[0].Image, 160)
	b.Run("picture", func(b *testing.B) {
		for range b.N {
			pictureStats(img)
		}
	})
	b.Run("silhouette", func(b *testing.B) {
		for range b.N {
			silhouetteFeatures(img)
		}
	})
	// The transparency statistics of an opaque thumbnail (the demo's: a check, then zeros) and of a
	// cut-out's thumbnail with its alpha put back, as the app reads an imported icon.
	b.Run("alpha-opaque", func(b *testing.B) {
		for range b.N {
			alphaFeatures(img)
		}
	})
	cut := cutOut(2, true)
	cutThumb := imaging.WithAlpha(imaging.Square(cut, 160), imaging.AlphaSquare(cut, 160))
	b.Run("alpha-cutout", func(b *testing.B) {
		for range b.N {
			alphaFeatures(cutThumb)
		}
	})
}

// BenchmarkPredictAll predicts 400 demo thumbnails (160 px) with the default classifier, computing
// the style statistics and reading them from a StatsCache filled beforehand: what a retraining on
// the Label screen costs per product before and after its first suggestions.
//
//	go test ./engine/style -run '^$' -bench PredictAll -benchtime 3x
func BenchmarkPredictAll(b *testing.B) {
	train, held := demoSplit(b)
	m, err := Train(context.Background(), DefaultConfig(), demoStyles(), train, nil)
	if err != nil {
		b.Fatal(err)
	}
	imgs := make([]image.Image, 400)
	keys := make([]string, len(imgs))
	for i := range imgs {
		imgs[i] = imaging.Square(held[i%len(held)].Image, 160)
		keys[i] = fmt.Sprint(i)
	}
	cache := NewStatsCache()
	m.PredictAllCached(imgs, keys, cache)
	for _, c := range []struct {
		name  string
		cache *StatsCache
	}{{"computed", nil}, {"cached", cache}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				m.PredictAllCached(imgs, keys, c.cache)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(imgs)), "ms/product")
		})
	}
}
