// Package torchtest finds the PyTorch interpreter for tests that need one: it skips the test where
// there is none, unless STYLESTUDIO_REQUIRE_TORCH=1 (CI sets it), which makes a missing PyTorch a
// failure, so the PyTorch tests are never silently skipped there.
package torchtest

import (
	"os"
	"os/exec"
	"testing"
)

// Python returns /usr/bin/python3 when it can import torch and numpy, else skips (or fails) t.
func Python(t testing.TB) string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch, numpy").Run(); err != nil {
		if os.Getenv("STYLESTUDIO_REQUIRE_TORCH") == "1" {
			t.Fatalf("PyTorch needed but %s cannot import torch and numpy: %v (apt-get install python3-torch)", py, err)
		}
		t.Skipf("PyTorch not available (%v); install python3-torch to run this test", err)
	}
	return py
}

// SkipShort skips a test that starts torchrun several times when -short is given (the race run); the
// full run still executes it.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the PyTorch trainer several times; runs without -short")
	}
}
