package gan

import (
	"context"
	"testing"
)

// BenchmarkTrainStep times full training steps of the default model at batch 16, 64 px, 6 styles:
// go test ./engine/gan -run '^$' -bench TrainStep -benchtime 5x (add -tags openblas for OpenBLAS).
// `stylestudio bench train` prints the same with the PyTorch peer.
func BenchmarkTrainStep(b *testing.B) {
	cfg := DefaultConfig()
	cfg.BatchSize = 16
	res, err := BenchTrain(context.Background(), cfg, 6, b.N, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.ImagesPerS, "images/s")
	b.ReportMetric(res.GMACPerS, "GMAC/s")
	b.ReportMetric(res.SecondsPerStep, "s/step")
}
