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
	blockedShapes := 0
	for shape, impl := range impls {
		if !strings.HasPrefix(impl, "jit") {
			t.Errorf("%s: %s, want a jit kernel", shape, impl)
		}
		// With activations in nChw16c on both sides only the weights are reordered (OIHW to the
		// kernel's blocking): the activations go in and out as they are.
		if strings.Contains(shape, "nChw16c→nChw16c") {
			blockedShapes++
			if strings.Contains(impl, "reorders") && !strings.Contains(impl, "(1 reorders)") {
				t.Errorf("%s: %s, want the weights' reorder alone", shape, impl)
			}
		}
	}
	if nn.BlockedLayout() && blockedShapes == 0 {
		t.Error("the kernels take nChw16c, but no convolution of the default model ran with it on both sides")
	}
	t.Logf("nn.BlockedLayout() = %v; %d convolutions with nChw16c activations on both sides", nn.BlockedLayout(), blockedShapes)
}
