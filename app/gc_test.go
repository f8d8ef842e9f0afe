package main

import (
	"runtime/debug"
	"testing"
)

// Training commands get the tight GC target, the window and other commands the looser one, and a GOGC
// the person set is left alone.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	for args, want := range map[string]int{"train": trainerGCPercent, "bench": trainerGCPercent, "": guiGCPercent, "classify": guiGCPercent} {
		debug.SetGCPercent(100)
		var a []string
		if args != "" {
			a = []string{args, "--library", "L"}
		}
		tuneGC(a)
		if got := debug.SetGCPercent(100); got != want {
			t.Errorf("%q: GC percent %d, want %d", args, got, want)
		}
	}
	t.Setenv("GOGC", "200")
	debug.SetGCPercent(100)
	tuneGC([]string{"train"})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, tuneGC changed the target to %d", got)
	}
}
