//go:build onednn

package nn

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
#include "veckernels.h"
*/
import "C"

import "unsafe"

// The oneDNN build keeps activations blocked, so its per-sample norm kernels are the vectorised C
// ones (veckernels.c), as is its (leaky) ReLU: bit for bit the Go loops' results
// (TestVectorKernelsMatchGo), at a fraction of their time (Go does not vectorise).

func fp(s []float32) *C.float  { return (*C.float)(unsafe.Pointer(&s[0])) }
func dp(s []float64) *C.double { return (*C.double)(unsafe.Pointer(&s[0])) }

func blkStatsSample(x []float32, hw int, mean, inv []float32) {
	C.sst_blk_stats(fp(x), C.int(len(mean)/Blk), C.int(hw), fp(mean), fp(inv))
}

func blkApplySample(y, x []float32, hw int, sc, sh []float32, relu bool) {
	C.sst_blk_apply(fp(y), fp(x), C.int(len(sc)/Blk), C.int(hw), fp(sc), fp(sh), cflag(relu))
}

func blkSumsSample(x, dy []float32, hw int, mean, inv []float32, sd, sdx []float64) {
	C.sst_blk_sums(fp(x), fp(dy), C.int(len(mean)/Blk), C.int(hw), fp(mean), fp(inv), dp(sd), dp(sdx))
}

func blkInputGradSample(dx, x, dy []float32, hw int, k1, k2, m, iv, gc []float32) {
	C.sst_blk_input_grad(fp(dx), fp(x), fp(dy), C.int(len(k1)/Blk), C.int(hw), fp(k1), fp(k2), fp(m), fp(iv), fp(gc))
}

func leakyInto(out, v, g []float32, slope float32) {
	if len(out) > 0 {
		C.sst_leaky(fp(out), fp(v), fp(g), C.size_t(len(out)), C.float(slope))
	}
}
