//go:build openblas

package nn

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

// Single-threaded calls: the layers already run one goroutine per core.
static void sstudio_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
		const float *b, int ldb, float beta, float *c, int ldc) {
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
		m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
static void sstudio_single_thread(void) { openblas_set_num_threads(1); }
*/
import "C"

const blasName = "openblas"

func init() { C.sstudio_single_thread() } // OpenBLAS's own threads would fight the per-sample goroutines

func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	C.sstudio_sgemm(cbool(transA), cbool(transB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(&a[0]), C.int(lda), (*C.float)(&b[0]), C.int(ldb), C.float(beta), (*C.float)(&c[0]), C.int(ldc))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
