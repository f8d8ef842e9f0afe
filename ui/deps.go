// Package ui holds Style Studio's Fyne screens and the app shell that navigates between them.
// Screens get what they need through Deps; they share nothing through globals. Every goroutine a screen
// starts takes Deps.Ctx, which is cancelled when the window closes, and touches widgets only via Deps.do (fyne.Do).
package ui

import (
	"context"
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"

	"stylestudio/store"
)

// Deps is what every screen may use.
type Deps struct {
	Ctx    context.Context // cancelled when the app closes
	DB     *store.DB
	Window fyne.Window
	Jobs   *JobPanel // long-running work with progress, ETA and cancel
	// Headless is set for software-rendered screenshots: Fyne's test driver runs fyne.Do on the calling
	// goroutine, so screens avoid free-running background loaders and load what they paint synchronously.
	Headless bool

	thumbs *thumbLoader // shared thumbnail cache; NewShell makes it
	serial *sync.Mutex  // headless only: serialises UI work (see do)
	// closed is set once the window has gone: late UI updates are dropped instead of queued to a
	// driver that no longer runs (Shell.Close sets it).
	closed *atomic.Bool
}

// do runs f on the UI: fyne.Do in a real window. Headless, Fyne's test driver runs fyne.Do on the
// calling goroutine, so background loaders would touch widgets concurrently; there f runs under a lock
// that the headless driver code (RenderScreen, tests) also holds while it works on widgets.
func (d Deps) do(f func()) {
	if d.closed != nil && d.closed.Load() {
		return
	}
	if d.serial == nil {
		fyne.Do(f)
		return
	}
	d.serial.Lock()
	defer d.serial.Unlock()
	if d.closed != nil && d.closed.Load() { // closed while waiting for the lock
		return
	}
	f()
}

// parseHexColor turns "#rrggbb" into a colour; anything else gives a neutral grey.
func parseHexColor(s string) color.Color {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(s) != 6 {
		return color.NRGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return color.NRGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
	}
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// formatPrice shows cents as a price; 0 means the price is unknown.
func formatPrice(cents int64) string {
	if cents <= 0 {
		return "—"
	}
	return fmt.Sprintf("$%d.%02d", cents/100, cents%100)
}

// textOn picks black or white text for legibility on the given background.
func textOn(bg color.Color) color.Color {
	r, g, b, _ := bg.RGBA()
	if 0.299*float64(r)+0.587*float64(g)+0.114*float64(b) > 0.6*0xffff {
		return color.NRGBA{A: 0xff}
	}
	return color.White
}

// suggestionText is how a suggestion reads in the UI: "neon 93%".
func suggestionText(s suggestion) string {
	return fmt.Sprintf("%s %.0f%%", s.style, 100*s.confidence)
}
