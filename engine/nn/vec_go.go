//go:build !onednn

package nn

// Without oneDNN nothing keeps activations blocked except tests: the Go kernels serve.

func blkStatsSample(x []float32, hw int, mean, inv []float32) { goBlkStatsSample(x, hw, mean, inv) }

func blkApplySample(y, x []float32, hw int, sc, sh []float32, relu bool) {
	goBlkApplySample(y, x, hw, sc, sh, relu)
}

func blkSumsSample(x, dy []float32, hw int, mean, inv []float32, sd, sdx []float64) {
	goBlkSumsSample(x, dy, hw, mean, inv, sd, sdx)
}

func blkInputGradSample(dx, x, dy []float32, hw int, k1, k2, m, iv, gc []float32) {
	goBlkInputGradSample(dx, x, dy, hw, k1, k2, m, iv, gc)
}

func leakyInto(out, v, g []float32, slope float32) { goLeakyInto(out, v, g, slope) }
