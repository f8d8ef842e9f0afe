package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The use cases say what is wrong in words both front ends share; the command line adds the command
// that fixes it.
func TestCLIAddsTheCommandThatFixesIt(t *testing.T) {
	lib := filepath.Join(t.TempDir(), "lib")
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "add", "boho"); code != 0 {
		t.Fatalf("styles add: %d %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "simulate", "--library", lib, "--users", "5")
	if code != 1 || !strings.Contains(stderr, "catalog is empty") || !strings.Contains(stderr, "stylestudio demo") {
		t.Fatalf("simulate on an empty catalog: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "eval", "--library", lib, "--run", "nosuchrun")
	if code != 1 || !strings.Contains(stderr, "no such run") || !strings.Contains(stderr, "stylestudio runs") {
		t.Fatalf("eval of a missing run: exit %d, %s", code, stderr)
	}
}

// The partial-import message counts in words that agree with the numbers.
func TestPartialImportMessageAgreesWithItsCounts(t *testing.T) {
	for e, want := range map[errPartial]string{
		{failed: 1, imported: 1}: "1 file could not be imported (listed above); 1 was imported",
		{failed: 2, imported: 0}: "2 files could not be imported (listed above); 0 were imported",
	} {
		if got := e.Error(); got != want {
			t.Errorf("%+v: %q, want %q", e, got, want)
		}
	}
}
