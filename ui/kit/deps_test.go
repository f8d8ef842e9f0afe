package kit

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"stylestudio/engine/gan"
)

func TestGoroutineID(t *testing.T) {
	here := goroutineID()
	if here == 0 || goroutineID() != here {
		t.Fatalf("goroutineID: %d then %d on one goroutine", here, goroutineID())
	}
	other := make(chan uint64)
	go func() { other <- goroutineID() }()
	if o := <-other; o == here || o == 0 {
		t.Fatalf("goroutineID: %d on another goroutine, %d here", o, here)
	}
}

// Fyne runs fyne.Do on the caller's goroutine once its loop has stopped at quit (and the test driver
// always does): with DriverLoop, Do drops a closure run anywhere but the goroutine that prepared Deps.
func TestDoDropsWhatRunsOffTheDriverLoop(t *testing.T) {
	test.NewTempApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deps := Prepare(Deps{Ctx: ctx, DriverLoop: true})
	var ran atomic.Int32
	deps.Do(func() { ran.Add(1) })
	if ran.Load() != 1 {
		t.Fatalf("Do on the loop's goroutine ran %d times, want 1", ran.Load())
	}
	elsewhere := func(f func()) { // runs f on another goroutine and waits for it
		done := make(chan struct{})
		go func() {
			f()
			close(done)
		}()
		<-done
	}
	elsewhere(func() { deps.Do(func() { ran.Add(10) }) })
	if ran.Load() != 1 {
		t.Fatalf("Do run off the loop's goroutine touched the UI (count %d)", ran.Load())
	}
	plain := Prepare(Deps{Ctx: ctx}) // without DriverLoop (tests' own drivers) nothing is dropped
	elsewhere(func() { plain.Do(func() { ran.Add(100) }) })
	if ran.Load() != 101 {
		t.Fatalf("Do without DriverLoop: count %d, want 101", ran.Load())
	}
}

// Escape dismisses the dialog on top, Enter takes its default action, and both report the key as the
// dialog's so the screen behind does not see it; with no pop-up the keys are the screen's.
func TestDialogsTakeEscapeAndEnter(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("dialogs")
	w.Resize(fyne.NewSize(600, 400))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deps := Prepare(Deps{Ctx: ctx, Window: w, Headless: true})
	c := w.Canvas()
	esc, enter, other := &fyne.KeyEvent{Name: fyne.KeyEscape}, &fyne.KeyEvent{Name: fyne.KeyReturn}, &fyne.KeyEvent{Name: fyne.Key1}
	if deps.Dialogs.TypedKey(c, other) {
		t.Fatal("a key with no dialog open was taken from the screen")
	}
	// A confirmation whose Enter confirms (the app's own confirmations are all irreversible: theirs
	// does nothing).
	confirm := func(title, message string, callback func(bool)) {
		dl := dialog.NewConfirm(title, message, callback, w)
		deps.ShowDialog(dl, dl.Confirm)
	}
	var answers []bool
	confirm("Sure?", "Really", func(ok bool) { answers = append(answers, ok) })
	if !Blocking(c) || deps.Dialogs.Open() != 1 {
		t.Fatalf("after ShowConfirm: blocking %v, %d tracked", Blocking(c), deps.Dialogs.Open())
	}
	if !deps.Dialogs.TypedKey(c, other) || len(answers) != 0 {
		t.Fatalf("a plain key with a dialog open: answers %v", answers)
	}
	deps.Dialogs.TypedKey(c, enter)
	confirm("Sure?", "Really", func(ok bool) { answers = append(answers, ok) })
	deps.Dialogs.TypedKey(c, esc)
	if fmt.Sprint(answers) != "[true false]" || Blocking(c) || deps.Dialogs.Open() != 0 {
		t.Fatalf("Enter then Escape: answers %v (want [true false]), blocking %v, %d tracked", answers, Blocking(c), deps.Dialogs.Open())
	}

	// Two dialogs: Escape closes the top one only; a dialog with no Enter action ignores Enter.
	var closedFirst bool
	first := dialog.NewInformation("First", "under", w)
	first.SetOnClosed(func() { closedFirst = true })
	deps.ShowDialog(first, first.Dismiss)
	second := dialog.NewCustomWithoutButtons("Second", widget.NewLabel("on top"), w)
	deps.ShowDialog(second, nil)
	deps.Dialogs.TypedKey(c, enter)
	if deps.Dialogs.Open() != 2 {
		t.Fatalf("Enter on a dialog without a default action closed something: %d open", deps.Dialogs.Open())
	}
	deps.Dialogs.TypedKey(c, esc)
	if deps.Dialogs.Open() != 1 || closedFirst {
		t.Fatalf("Escape: %d open, the first closed %v; want the top one closed only", deps.Dialogs.Open(), closedFirst)
	}
	deps.Dialogs.TypedKey(c, esc)
	if !closedFirst || Blocking(c) {
		t.Fatalf("second Escape: first closed %v, blocking %v", closedFirst, Blocking(c))
	}

	// A pop-up a dialog opens itself (the file picker's New Folder form) is not the dialog: Escape over
	// it leaves the dialog under it alone.
	var answer []bool
	confirm("Under", "a pop-up", func(ok bool) { answer = append(answer, ok) })
	own := widget.NewModalPopUp(widget.NewLabel("the dialog's own pop-up"), c)
	own.Show()
	deps.Dialogs.TypedKey(c, esc)
	deps.Dialogs.TypedKey(c, enter)
	if len(answer) != 0 || deps.Dialogs.Open() != 1 {
		t.Fatalf("keys over an untracked pop-up answered the dialog under it: %v", answer)
	}
	own.Hide()
	deps.Dialogs.TypedKey(c, esc)
	if fmt.Sprint(answer) != "[false]" {
		t.Fatalf("Escape once the pop-up had gone: %v, want [false]", answer)
	}

	// A form's field: Escape cancels the form, Enter submits it.
	var submitted []bool
	e := NewEntry()
	form := dialog.NewForm("Name", "Add", "Cancel", []*widget.FormItem{widget.NewFormItem("Name", e)}, func(ok bool) { submitted = append(submitted, ok) }, w)
	FormEntry(e, form)
	deps.ShowForm(form)
	e.TypedKey(esc)
	deps.ShowForm(form)
	e.SetText("x")
	e.TypedKey(enter)
	if fmt.Sprint(submitted) != "[false true]" || deps.Dialogs.Open() != 0 {
		t.Fatalf("form field Escape then Enter: %v (want [false true]), %d open", submitted, deps.Dialogs.Open())
	}
}

// A run evaluated on a catalog with counterparts shows its style accuracy beside the real drawings'
// score under the same judge, the reference it is read against.
func TestEvalSummaryNamesTheRealDrawingsScore(t *testing.T) {
	got := EvalSummary(`{"style_accuracy":0.39,"counterpart_style_accuracy":0.39,"paired_ssim":0.48,"identity_paired_ssim":0.42}`)
	if want := "style accuracy 39% (real drawings judged alike: 39%) · paired SSIM 0.48 (unchanged image: 0.42)"; got != want {
		t.Errorf("EvalSummary = %q, want %q", got, want)
	}
	got = EvalSummary(`{"style_accuracy":0.39,"counterpart_style_accuracy":0.39,"matched_judge":{"style_accuracy":0.445,"counterpart_style_accuracy":0.875}}`)
	if want := "style accuracy 39% (real drawings judged alike: 39%) · matched judge 44% (real drawings: 88%)"; got != want {
		t.Errorf("EvalSummary with the matched judge = %q, want %q", got, want)
	}
	if got := EvalSummary(`{"style_accuracy":0.5,"counterpart_style_accuracy":null}`); got != "style accuracy 50%" {
		t.Errorf("EvalSummary without pairs = %q", got)
	}
}

// The evaluation on lines of its own: what the judges say of the style, then how the pictures compare;
// EvalSummary is the two on one line. EvalLines hides what it does not need.
func TestEvalSummaryLinesPutTheJudgesFirst(t *testing.T) {
	full := `{"style_accuracy":0.39,"counterpart_style_accuracy":0.39,"matched_judge":{"style_accuracy":0.445,"counterpart_style_accuracy":0.875},` +
		`"content_ssim":0.71,"generator_silhouette_iou":0.88,"silhouette_iou":0.95,"paired_ssim":0.46,"identity_paired_ssim":0.43}`
	want := []string{"style accuracy 39% (real drawings judged alike: 39%) · matched judge 44% (real drawings: 88%)",
		"content SSIM 0.71 · silhouette IoU 0.88 (after the backdrop step 0.95) · paired SSIM 0.46 (unchanged image: 0.43)"}
	if got := EvalSummaryLines(full); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("EvalSummaryLines = %q, want %q", got, want)
	}
	if got := EvalSummary(full); got != want[0]+" · "+want[1] {
		t.Errorf("EvalSummary = %q", got)
	}
	for in, want := range map[string][]string{
		``:                     {"not evaluated"},
		`{}`:                   {"not evaluated"},
		`{"content_ssim":0.5}`: {"content SSIM 0.50"},
		`{"style_accuracy":1}`: {"style accuracy 100%"},
	} {
		if got := EvalSummaryLines(in); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("EvalSummaryLines(%q) = %q, want %q", in, got, want)
		}
	}

	test.NewTempApp(t)
	e := NewEvalLines()
	if suffix := e.Set(full); suffix != "" {
		t.Errorf("Set(full) = %q", suffix)
	}
	if fmt.Sprint(e.Lines()) != fmt.Sprint(want) || e.Box.Text != want[0]+"\n"+want[1] || !e.Box.Visible() {
		t.Errorf("EvalLines show %q", e.Box.Text)
	}
	if suffix := e.Set(""); suffix != " · not evaluated" || e.Box.Visible() {
		t.Errorf("EvalLines unevaluated: suffix %q, text %q, shown %v", suffix, e.Box.Text, e.Box.Visible())
	}
	if suffix := e.Set(`{"style_accuracy":1}`); suffix != "" || e.Box.Text != "style accuracy 100%" || !e.Box.Visible() {
		t.Errorf("EvalLines with one line: suffix %q, text %q", suffix, e.Box.Text)
	}
}

// An evaluation stored before eval_version existed, or by an older one, is marked outdated; one without
// numbers, or today's, is not.
func TestEvalOutdatedByVersion(t *testing.T) {
	for in, want := range map[string]bool{
		``:                       false,
		`{}`:                     false,
		`{"style_accuracy":0.5}`: true,
		`{"style_accuracy":0.5,"eval_version":1}`:                                true,
		fmt.Sprintf(`{"style_accuracy":0.5,"eval_version":%d}`, gan.EvalVersion): false,
	} {
		if got := EvalOutdated(in); got != want {
			t.Errorf("EvalOutdated(%s) = %v, want %v", in, got, want)
		}
	}
}
