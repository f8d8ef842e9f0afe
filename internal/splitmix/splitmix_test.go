package splitmix

import "testing"

// SplitMix64 seeded with 0 first returns Mix(0): the reference generator's first output.
func TestMixMatchesSplitMix64(t *testing.T) {
	if got := Mix(0); got != 0xe220a8397b1dcdaf {
		t.Errorf("Mix(0) = %#x, want 0xe220a8397b1dcdaf", got)
	}
	if Mix(1) == Mix(2) {
		t.Error("Mix(1) == Mix(2)")
	}
}
