package main

import (
	"errors"

	"stylestudio/app/studio"
	"stylestudio/engine/rank"
)

// cliHint names the command that fixes a use case's error. The use cases (app/studio) say what is wrong
// in words both front ends share; only the command line knows its own commands, so the hint is added
// here, when the error is printed.
func cliHint(err error) string {
	switch {
	case errors.Is(err, studio.ErrRunMissing):
		return "list runs with `stylestudio runs`, or train one with `stylestudio train`"
	case errors.Is(err, studio.ErrRunBusy):
		return "wait for that run to stop, or pause it in the window that trains it"
	case errors.Is(err, studio.ErrNoRanker), errors.Is(err, studio.ErrNoBuiltInRanker), errors.Is(err, rank.ErrShapeMismatch):
		return "train a ranker with `stylestudio rank train`"
	case errors.Is(err, studio.ErrNoStyles):
		return "add styles with `stylestudio styles add NAME`, or seed the demo catalog with `stylestudio demo`"
	case errors.Is(err, studio.ErrEmptyFeed):
		return "import products with `stylestudio import`, or seed the demo catalog with `stylestudio demo`"
	case errors.Is(err, studio.ErrNoClassifier):
		return "train one with `stylestudio classify`"
	}
	return ""
}
