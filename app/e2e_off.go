//go:build !e2e

package main

import (
	"context"
	"flag"

	"fyne.io/fyne/v2"

	"stylestudio/ui"
)

// e2eFlags: only the e2e build reports what its window shows (see e2e.go).
func e2eFlags(*flag.FlagSet) func(context.Context, fyne.App, *ui.Shell, fyne.Window) {
	return func(context.Context, fyne.App, *ui.Shell, fyne.Window) {}
}
