//go:build e2e

package main

import (
	"context"
	"encoding/json"
	"flag"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"stylestudio/internal/atomicfile"
	"stylestudio/ui"
	"stylestudio/ui/kit"
)

// The e2e build's GUI takes --e2e-report FILE: a few times a second it writes what the window shows (the
// active screen and every visible button, check, entry, select, slider, progress bar and text, with its
// place in window pixels) so the end-to-end suite (internal/e2e) can find what to click with xdotool and
// assert what a person would see. The release build has no such flag.

// e2eReport is the file's JSON.
type e2eReport struct {
	Screen  string      `json:"screen"`
	Scale   float32     `json:"scale"`
	Objects []e2eObject `json:"objects"`
	Written time.Time   `json:"written"`
}

// e2eObject is one visible widget or text; X, Y, W, H are window pixels.
type e2eObject struct {
	Kind     string  `json:"kind"` // button, check, entry, select, slider, progress, text
	Text     string  `json:"text,omitempty"`
	Hint     string  `json:"hint,omitempty"` // an entry's placeholder
	Value    float64 `json:"value,omitempty"`
	Checked  bool    `json:"checked,omitempty"`
	Disabled bool    `json:"disabled,omitempty"`
	Overlay  bool    `json:"overlay,omitempty"` // in a dialog or pop-up
	X        int     `json:"x"`
	Y        int     `json:"y"`
	W        int     `json:"w"`
	H        int     `json:"h"`
}

func e2eFlags(fs *flag.FlagSet) func(ctx context.Context, a fyne.App, sh *ui.Shell, w fyne.Window) {
	path := fs.String("e2e-report", "", "write what the window shows to this JSON file a few times a second (end-to-end tests)")
	return func(ctx context.Context, a fyne.App, sh *ui.Shell, w fyne.Window) {
		if *path == "" {
			return
		}
		// Once the app is quitting, Fyne runs DoAndWait on the caller's goroutine: stop reporting first
		// (SIGTERM arrives through ctx; a closed window or a stopped app through the callbacks).
		var quitting atomic.Bool
		w.SetOnClosed(func() { quitting.Store(true) })
		a.Lifecycle().SetOnStopped(func() { quitting.Store(true) })
		go func() {
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					quitting.Store(true)
					return
				case <-tick.C:
				}
				if quitting.Load() {
					return
				}
				var rep e2eReport
				fyne.DoAndWait(func() {
					if !quitting.Load() {
						rep = snapshot(sh, w.Canvas())
					}
				})
				if rep.Screen == "" {
					continue
				}
				rep.Written = time.Now()
				data, err := json.Marshal(rep)
				if err == nil {
					_ = atomicfile.Write(*path, data, ".e2e-*", 0o644)
				}
			}
		}()
	}
}

// snapshot walks the window's content and its overlays. UI goroutine only.
func snapshot(sh *ui.Shell, c fyne.Canvas) e2eReport {
	rep := e2eReport{Screen: sh.ActiveScreen(), Scale: c.Scale()}
	walk(&rep, c.Content(), fyne.NewPos(0, 0), false)
	for _, o := range c.Overlays().List() {
		walk(&rep, o, fyne.NewPos(0, 0), true)
	}
	return rep
}

func entryObject(e *widget.Entry) e2eObject {
	return e2eObject{Kind: "entry", Text: e.Text, Hint: e.PlaceHolder, Disabled: e.Disabled()}
}

func walk(rep *e2eReport, o fyne.CanvasObject, parent fyne.Position, overlay bool) {
	if o == nil || !o.Visible() {
		return
	}
	pos := parent.Add(o.Position())
	add := func(ob e2eObject) {
		s := rep.Scale
		ob.X, ob.Y = int(pos.X*s), int(pos.Y*s)
		ob.W, ob.H = int(o.Size().Width*s), int(o.Size().Height*s)
		ob.Overlay = overlay
		rep.Objects = append(rep.Objects, ob)
	}
	switch w := o.(type) {
	case *widget.Button:
		add(e2eObject{Kind: "button", Text: w.Text, Disabled: w.Disabled()})
	case *widget.Check:
		add(e2eObject{Kind: "check", Text: w.Text, Checked: w.Checked, Disabled: w.Disabled()})
	case *widget.Entry:
		add(entryObject(w))
	case *kit.Entry: // a dialog's field (Escape cancels the dialog)
		add(entryObject(&w.Entry))
	case *widget.Select:
		add(e2eObject{Kind: "select", Text: w.Selected, Disabled: w.Disabled()})
	case *widget.Slider:
		add(e2eObject{Kind: "slider", Value: w.Value, Disabled: w.Disabled()})
	case *widget.ProgressBar:
		text := ""
		if w.TextFormatter != nil {
			text = w.TextFormatter()
		}
		add(e2eObject{Kind: "progress", Text: text, Value: w.Value})
	case *canvas.Text:
		if w.Text != "" {
			add(e2eObject{Kind: "text", Text: w.Text})
		}
	}
	switch w := o.(type) {
	case *fyne.Container:
		for _, child := range w.Objects {
			walk(rep, child, pos, overlay)
		}
	case fyne.Widget:
		if r := test.WidgetRenderer(w); r != nil {
			for _, child := range r.Objects() {
				walk(rep, child, pos, overlay)
			}
		}
	}
}
