package nn

import "stylestudio/internal/par"

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices, where op(A) is m×k and
// op(B) is k×n. It is OpenBLAS's cblas_sgemm when the binary is built with the `openblas` tag (the
// Makefile does this when libopenblas-dev is installed) and gonum's pure-Go Sgemm otherwise; see
// gemm_openblas.go and gemm_gonum.go. Every call is single-threaded: the layers parallelise over the
// samples of a batch instead, which keeps the matrices small enough to stay in cache and the sums in a
// fixed order.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// BLASName names the matrix-multiply implementation this binary uses ("openblas" or "gonum").
func BLASName() string { return blasName }

// ConvBackend names the convolution implementation this binary uses: "onednn" (built with the
// `onednn` tag, and libdnnl.so.2 found at run time), else the GEMM under the im2col kernels
// ("openblas" or "gonum").
func ConvBackend() string { return convBackend() }

// Workers is how many goroutines the layers split a batch over.
func Workers() int { return par.Workers() }

// ForEachSample runs fn(worker, i) for i in [0, n) on Workers() goroutines. Sample i always goes to
// worker i % workers, so per-worker partial sums added in worker order give the same result on every
// run with the same GOMAXPROCS.
func ForEachSample(n int, fn func(worker, i int)) { par.Strided(n, fn) }
