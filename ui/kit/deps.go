// Package kit is what every screen of Style Studio shares: Deps (the context, the catalog, the window,
// the job panel, the thumbnail cache, and Do, the one way to touch widgets from background work), the
// job panel itself, and small helpers for colours and prices. Screens get what they need through Deps;
// they share nothing through globals. Every goroutine a screen starts takes Deps.Ctx, which is
// cancelled when the window closes, and touches widgets only via Deps.Do (fyne.Do).
package kit

import (
	"context"
	"fmt"
	"image/color"
	"runtime"
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
	// Work counts the CPU-heavy background work under way (the panel's jobs, a classifier training);
	// kit.Prepare makes it. A speed measurement waits for it to be idle.
	Work   *Work
	Events *Events // what screens announce (Topic constants); kit.Prepare makes it
	// Dialogs tracks open dialogs for the window's keys (Escape, Enter; nothing reaches the screen behind
	// one); kit.Prepare makes it. Show dialogs with ShowDialog and its kin.
	Dialogs *Dialogs
	// Quit quits the app (QuitApp); nil: stop UI updates and quit the running Fyne app.
	Quit func()
	// Headless is set for software-rendered screenshots and widget tests, where Fyne's test driver has no
	// event loop: do then queues to a loop of our own (uiLoop) that runs closures in order on one
	// goroutine, as the real driver does, and screens load what they paint instead of free-running loaders.
	Headless bool
	// DriverLoop is set by the app when Deps is prepared on the goroutine that runs the driver's event
	// loop (main): Do then drops a closure that Fyne runs anywhere else. Fyne runs fyne.Do on the caller's
	// goroutine once its loop has stopped at quit; Quitting's flag is set by a goroutine of ours that can
	// lose that race (a SIGTERM, which Fyne's own handler turns into a quit, while a classifier trains).
	DriverLoop bool

	Thumbs *ThumbLoader // shared thumbnail cache; the shell makes it
	loop   *uiLoop      // headless only: the stand-in for the driver's event loop (see Do)
	// closed is set once the window has gone: late UI updates are dropped instead of queued to a
	// driver that no longer runs (Quitting sets it).
	closed *atomic.Bool
	uiID   uint64 // DriverLoop: the event loop's goroutine, recorded by Prepare
}

// Do queues f to run on the UI goroutine and returns at once: fyne.Do in a real window, the headless
// uiLoop otherwise. Both queue, so code after Do runs before f does; never read, after do, a value f sets.
func (d Deps) Do(f func()) {
	if d.closed != nil && d.closed.Load() {
		return
	}
	if d.loop == nil {
		if d.uiID != 0 {
			ui := d.uiID
			fyne.Do(func() {
				if goroutineID() != ui { // the driver has stopped: nothing to draw on, and off its thread
					return
				}
				f()
			})
			return
		}
		fyne.Do(f)
		return
	}
	d.loop.post(func() {
		if d.closed != nil && d.closed.Load() { // closed while queued
			return
		}
		f()
	})
}

// AllCategories is the filter choice that shows every category (Catalog, Preview).
const AllCategories = "All categories"

// ThumbCache is how many decoded thumbnails the shared cache keeps (~100 KB each at 160 px).
const ThumbCache = 3000

// Prepare completes deps for use: the quit flag, the headless UI loop (running until deps.Ctx ends)
// a job panel when deps.Jobs is nil, and the Events screens announce on. Call it once, before any screen is made.
func Prepare(deps Deps) Deps {
	deps.closed = &atomic.Bool{}
	if deps.DriverLoop && !deps.Headless {
		deps.uiID = goroutineID()
	}
	if deps.Headless && deps.loop == nil {
		deps.loop = newUILoop()
		go deps.loop.run(deps.Ctx)
	}
	if deps.Work == nil {
		deps.Work = NewWork()
	}
	if deps.Jobs == nil {
		deps.Jobs = NewJobPanel(deps.Ctx, deps.Do)
	}
	if deps.Jobs.work == nil {
		deps.Jobs.work = deps.Work
	}
	if deps.Events == nil {
		deps.Events = NewEvents()
	}
	if deps.Dialogs == nil {
		deps.Dialogs = NewDialogs()
	}
	return deps
}

// Quitting stops UI updates from background work before the app quits: once Fyne has drained its
// queue at quit it runs fyne.Do on the caller's goroutine, off the UI thread (the e2e build's thread
// checks caught a classifier's progress update doing so). Call it just before the app quits.
func (d Deps) Quitting() {
	if d.closed != nil {
		d.closed.Store(true)
	}
}

// QuitApp quits the app: Deps.Quit when set (it does all of it), else it stops UI updates and quits the
// running Fyne app. UI goroutine.
func (d Deps) QuitApp() {
	if d.Quit != nil {
		d.Quit()
		return
	}
	d.Quitting()
	if a := fyne.CurrentApp(); a != nil {
		a.Quit()
	}
}

// Lock and Unlock bracket widget work done by a headless driver (screenshots, tests) while the UI loop
// runs; with a real window they do nothing (the driver's own loop serialises).
func (d Deps) Lock() {
	if d.loop != nil {
		d.loop.serial.Lock()
	}
}

// Unlock: see Lock.
func (d Deps) Unlock() {
	if d.loop != nil {
		d.loop.serial.Unlock()
	}
}

// OnUI runs f on the headless UI loop after everything already queued there, and waits for it, as
// fyne.DoAndWait does in a real window (where OnUI is fyne.DoAndWait). Call it from a test or a
// headless driver, never from the UI goroutine.
func (d Deps) OnUI(f func()) {
	if d.loop != nil {
		d.loop.wait(f)
		return
	}
	fyne.DoAndWait(f)
}

// Posted counts the closures queued to the headless UI loop so far (0 with a real window): how hard
// background work feeds the UI.
func (d Deps) Posted() int64 {
	if d.loop == nil {
		return 0
	}
	return d.loop.posted.Load()
}

// uiLoop is the headless stand-in for the real driver's event loop. Fyne's test driver runs fyne.Do on
// the calling goroutine, which would let background loaders touch widgets at once and concurrently, an
// ordering the real window never has. post queues like fyne.Do; one goroutine runs the queue in order,
// each closure under serial, which a headless driver (a test, RenderScreen) also holds while it works on
// widgets, or it hands its work to the loop with wait.
type uiLoop struct {
	serial sync.Mutex // held while a closure runs; Shell.Lock takes it too

	posted atomic.Int64 // closures queued so far (a bound on how hard a loop feeds the UI)

	mu      sync.Mutex
	queue   []func()
	wake    chan struct{} // signalled when the queue goes from empty to not
	stopped bool
}

func newUILoop() *uiLoop { return &uiLoop{wake: make(chan struct{}, 1)} }

// post queues f. After the loop has stopped, f runs at once under serial (late updates after a headless
// shell's context ended must not be lost silently where a test waits for them).
func (l *uiLoop) post(f func()) {
	if !l.enqueue(f) {
		l.serial.Lock()
		defer l.serial.Unlock()
		f()
	}
}

// enqueue queues f unless the loop has stopped.
func (l *uiLoop) enqueue(f func()) bool {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return false
	}
	l.queue = append(l.queue, f)
	l.mu.Unlock()
	l.posted.Add(1)
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return true
}

// run drains the queue until ctx ends; what is queued then runs before it returns.
func (l *uiLoop) run(ctx context.Context) {
	for {
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		if len(batch) == 0 && ctx.Err() != nil {
			l.stopped = true
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		for _, f := range batch {
			l.serial.Lock()
			f()
			l.serial.Unlock()
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-l.wake:
		case <-ctx.Done():
		}
	}
}

// wait runs f after everything queued before it and before anything queued later, as fyne.DoAndWait
// would, and returns when f has. f runs on the caller's goroutine while the loop waits for it, so a
// test's t.Fatal inside f ends the test, not the loop.
func (l *uiLoop) wait(f func()) {
	reached, release := make(chan struct{}), make(chan struct{})
	if !l.enqueue(func() {
		close(reached)
		<-release
	}) {
		l.serial.Lock()
		defer l.serial.Unlock()
		f()
		return
	}
	<-reached
	defer close(release)
	f()
}

// ParseHexColor turns "#rrggbb" into a colour; anything else gives a neutral grey.
func ParseHexColor(s string) color.Color {
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

// FormatPrice shows cents as a price; 0 means the price is unknown.
func FormatPrice(cents int64) string {
	if cents <= 0 {
		return "—"
	}
	return fmt.Sprintf("$%d.%02d", cents/100, cents%100)
}

// TextOn picks black or white text for legibility on the given background.
func TextOn(bg color.Color) color.Color {
	r, g, b, _ := bg.RGBA()
	if 0.299*float64(r)+0.587*float64(g)+0.114*float64(b) > 0.6*0xffff {
		return color.NRGBA{A: 0xff}
	}
	return color.White
}

// goroutineID is the calling goroutine's number, read from the first line of its stack trace
// ("goroutine 1 [running]:"), as Fyne's own thread checks do; Go has no public API for it.
func goroutineID() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	const prefix = "goroutine "
	var id uint64
	for _, c := range buf[min(len(prefix), n):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
