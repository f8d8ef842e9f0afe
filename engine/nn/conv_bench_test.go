package nn

import "testing"

// BenchmarkConv3x3 is the reference convolution: batch 8, 64×64, 64→64 channels, 3×3, forward
// + backward-data + backward-weights through the build's backend (go test -bench Conv3x3 [-tags onednn]).
func BenchmarkConv3x3(b *testing.B) {
	g := convGeom{c: 64, h: 64, w: 64, o: 64, k: 3, stride: 1, pad: 1}
	const batch = 8
	x, w := make([]float32, batch*g.inSize()), make([]float32, g.o*g.rows())
	y, dx, dw := make([]float32, batch*g.o*g.cols()), make([]float32, len(x)), make([]float32, len(w))
	for i := range x {
		x[i] = float32(i%7) * 0.1
	}
	for i := range w {
		w[i] = float32(i%5) * 0.01
	}
	for i := 0; i < b.N; i++ {
		runConv(convFwd, g, convLayout{}, batch, y, x, w)
		runConv(convDInput, g, convLayout{}, batch, dx, w, y)
		runConv(convDWeight, g, convLayout{}, batch, dw, x, y)
	}
	macs := 3 * float64(batch*g.o*g.rows()*g.cols())
	b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}
