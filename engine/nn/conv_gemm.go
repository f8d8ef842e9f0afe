//go:build !onednn

package nn

// convBackend names the convolution implementation of this build: the im2col + GEMM kernels, on
// OpenBLAS (`openblas` tag) or gonum's pure-Go GEMM.
func convBackend() string { return blasName }

// runConv runs one convolution computation (see convKind for the order of a and b).
func runConv(kind convKind, g convGeom, lay convLayout, batch int, out, a, b []float32) {
	gemmConvLayout(kind, g, lay, batch, out, a, b)
}

// blockedLayout is false: the GEMM kernels work on NCHW.
func blockedLayout() bool { return false }

// ConvImpls lists the kernel each convolution shape used so far; only the oneDNN build records any.
func ConvImpls() map[string]string { return nil }
