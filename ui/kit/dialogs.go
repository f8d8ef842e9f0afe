package kit

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Dialogs keeps the app's open dialogs, newest last, so that the window's keys go to the one on top, as
// a desktop tool's do: Escape dismisses it, Enter takes its default action, and no other key reaches the
// screen behind it. Without this Escape did nothing, and a style's key pressed with the Styles dialog open
// labeled the product under it (seen in the real window). Show every dialog through Deps (ShowDialog,
// ShowError, ShowInformation, ShowFolderOpen, ShowForm). UI goroutine only.
type Dialogs struct {
	open []*openDialog
}

type openDialog struct {
	d     dialog.Dialog
	enter func()            // Enter's action; nil: Enter does nothing
	pop   fyne.CanvasObject // the pop-up d put on the canvas, to know when d is the one on top
}

// NewDialogs makes an empty set (kit.Prepare makes the one in Deps).
func NewDialogs() *Dialogs { return &Dialogs{} }

// Show shows d on canvas c and tracks it until it closes. enter is what Enter does while d is on top:
// its default button (OK, Confirm, Submit), or nil for a dialog whose choice must be clicked.
func (ds *Dialogs) Show(c fyne.Canvas, d dialog.Dialog, enter func()) {
	o := &openDialog{d: d, enter: enter}
	ds.open = append(ds.open, o)
	d.SetOnClosed(func() { // chained after the dialog's own callback by Fyne
		if i := slices.Index(ds.open, o); i >= 0 {
			ds.open = slices.Delete(ds.open, i, i+1)
		}
	})
	d.Show()
	if c != nil {
		o.pop = c.Overlays().Top()
	}
}

// Open reports how many tracked dialogs are open.
func (ds *Dialogs) Open() int { return len(ds.open) }

// Blocking reports whether a pop-up covers the window (a dialog, a menu): window-wide keys must not act
// on the screen behind it.
func Blocking(c fyne.Canvas) bool {
	return c != nil && c.Overlays().Top() != nil
}

// TypedKey handles a key typed with no widget focused while a pop-up covers the window: Escape and Enter
// go to the newest tracked dialog when it is the pop-up on top (not a menu, nor a pop-up a dialog opened
// itself, such as the file picker's New Folder form). It reports whether the key was the pop-up's, that
// is whether anything covers the window; the caller then does nothing else.
func (ds *Dialogs) TypedKey(c fyne.Canvas, ev *fyne.KeyEvent) bool {
	if !Blocking(c) {
		return false
	}
	if len(ds.open) == 0 {
		return true
	}
	top := ds.open[len(ds.open)-1]
	if top.pop == nil || c.Overlays().Top() != top.pop {
		return true
	}
	switch ev.Name {
	case fyne.KeyEscape:
		top.d.Dismiss()
	case fyne.KeyReturn, fyne.KeyEnter:
		if top.enter != nil {
			top.enter()
		}
	}
	return true
}

// ShowDialog shows d (made by dialog.New…) and tracks it: Escape dismisses it and Enter runs enter (nil:
// nothing). UI goroutine.
func (d Deps) ShowDialog(dl dialog.Dialog, enter func()) {
	if d.Dialogs == nil { // Deps not prepared (a bare widget test): show it untracked
		dl.Show()
		return
	}
	var c fyne.Canvas
	if d.Window != nil {
		c = d.Window.Canvas()
	}
	d.Dialogs.Show(c, dl, enter)
}

// ShowError shows err in an error dialog (Enter or Escape closes it). UI goroutine.
func (d Deps) ShowError(err error) {
	dl := dialog.NewError(err, d.Window)
	d.ShowDialog(dl, dl.Dismiss)
}

// ShowInformation shows a message (Enter or Escape closes it). UI goroutine.
func (d Deps) ShowInformation(title, message string) {
	dl := dialog.NewInformation(title, message, d.Window)
	d.ShowDialog(dl, dl.Dismiss)
}

// ShowFolderOpen shows the folder picker (Escape cancels it) and passes the path of the folder chosen to
// chosen; nothing when the person cancels. UI goroutine.
func (d Deps) ShowFolderOpen(chosen func(path string)) {
	d.ShowDialog(dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			chosen(u.Path())
		}
	}, d.Window), nil)
}

// ShowForm shows a form dialog: Enter submits it (when its fields validate), Escape cancels. UI goroutine.
func (d Deps) ShowForm(dl *dialog.FormDialog) {
	d.ShowDialog(dl, dl.Submit)
}

// Entry is a widget.Entry that calls OnEscape on Escape: a dialog's text field, which has the keys while
// it is focused, so Escape cancels the dialog from there too (Enter: set OnSubmitted).
type Entry struct {
	widget.Entry
	OnEscape func()
}

// NewEntry makes an empty single-line Entry.
func NewEntry() *Entry {
	e := &Entry{}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey: Escape calls OnEscape; every other key is the entry's.
func (e *Entry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.OnEscape != nil {
		e.OnEscape()
		return
	}
	e.Entry.TypedKey(ev)
}

// FormEntry readies an entry of form dialog dl: Enter submits the form, Escape cancels it.
func FormEntry(e *Entry, dl *dialog.FormDialog) {
	e.OnSubmitted = func(string) { dl.Submit() }
	e.OnEscape = dl.Dismiss
}
