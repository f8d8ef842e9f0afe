package main

import (
	"os"
	"runtime/debug"
)

// The garbage collector's target (unless GOGC is set). With Go's default (100) the heap grows to
// twice what is live. A quarter of headroom cut a default 300-step training run's peak RSS from
// 734 MB (200 steps, default GC) to 490 MiB, when every op allocated its tensors afresh each step.
// Since the ops keep their output buffers (engine/nn plainOp), a training process's live heap is
// mostly those buffers, pointer-free and never garbage: a tenth of headroom costs no measurable CPU
// there and took a 40-step default run from 518 to 465 MB peak RSS. The window keeps a quarter: it
// decodes thumbnails into short-lived pointerful garbage, where a tight target would mark often.
const (
	guiGCPercent     = 25
	trainerGCPercent = 10
)

// tuneGC sets the target for the command about to run (args are the program's arguments).
func tuneGC(args []string) {
	if os.Getenv("GOGC") != "" {
		return
	}
	percent := guiGCPercent
	if len(args) > 0 && (args[0] == "train" || args[0] == "bench") {
		percent = trainerGCPercent
	}
	debug.SetGCPercent(percent)
}
