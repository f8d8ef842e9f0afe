//go:build onednn

package gan

import (
	"context"
	"strings"
	"testing"

	"stylestudio/engine/nn"
)

// TestOneDNNRunsJITKernels trains a step of the default model at 64 and 128 px and checks that every
// convolution ran one of oneDNN's jit kernels: a reference kernel ("ref:") is hundreds of times
// slower, and a shape oneDNN refused falls back to the GEMM kernels ("gemm (…)").
func TestOneDNNRunsJITKernels(t *testing.T) {
	for _, size := range []int{64, 128} {
		cfg := DefaultConfig()
		cfg.Size, cfg.BatchSize = size, 2
		if _, err := BenchTrain(context.Background(), cfg, 3, 1, 0); err != nil {
			t.Fatal(err)
		}
	}
	impls := nn.ConvImpls()
	if len(impls) == 0 {
		t.Fatal("no convolution went through oneDNN")
	}
	for shape, impl := range impls {
		if !strings.HasPrefix(impl, "jit") {
			t.Errorf("%s: %s, want a jit kernel", shape, impl)
		}
	}
}
