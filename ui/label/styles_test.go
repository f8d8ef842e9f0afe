package label

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"stylestudio/internal/testkit/testlib"
	"stylestudio/store"
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

// styleNames is the screen's styles as "key name". UI goroutine only.
func styleNames(s *LabelScreen) []string {
	var out []string
	for _, st := range s.model.styles {
		out = append(out, st.Key+" "+st.Name)
	}
	return out
}

// inOverlay is the first object of type T laid out in the window's top dialog that ok accepts.
func inOverlay[T fyne.CanvasObject](sh *testShell, ok func(T) bool) T {
	var zero T
	top := sh.Deps.Window.Canvas().Overlays().Top()
	if top == nil {
		return zero
	}
	for _, o := range test.LaidOutObjects(top) {
		if v, is := o.(T); is && ok(v) {
			return v
		}
	}
	return zero
}

// A catalog imported without folder labels has no styles: the Label screen says so and makes them.
// New style adds one (a key of its own, a name no other style has), Rename renames it with its
// labels, Remove moves a style's labels to another before it goes, so no label is lost.
func TestLabelScreenMakesItsOwnStyles(t *testing.T) {
	ctx := context.Background()
	db := testlib.DemoLibrary(t, 12, 1)
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var all []int64
	for _, r := range rows {
		all = append(all, r.ID)
	}
	if _, err := db.SetLabels(ctx, all, 0, "test"); err != nil {
		t.Fatal(err)
	}
	styles, _ := db.Styles(ctx)
	for _, st := range styles {
		if err := db.DeleteStyle(ctx, st.ID, 0, "test"); err != nil {
			t.Fatal(err)
		}
	}
	h := newLabelHarness(t, db)
	sh, s := h.shell, h.shell.Screen
	// waitStyles waits until the screen shows the styles want ("key name, …").
	waitStyles := func(want, after string) {
		t.Helper()
		var got string
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			sh.OnUI(func() { got = strings.Join(styleNames(s), ", ") })
			if got == want {
				return
			}
		}
		t.Fatalf("after %s the screen shows the styles %q, want %q", after, got, want)
	}
	sh.OnUI(func() {
		if len(s.model.styles) != 0 {
			t.Fatalf("styles %v, want none", styleNames(s))
		}
		if text := s.suggestion.String(); !strings.Contains(text, "No styles yet") {
			t.Errorf("with no styles the screen says %q, want it to say how to add one", text)
		}
		if kittest.FindButton(s.Object(), newStyleText) == nil || kittest.FindButton(s.Object(), manageStylesText) == nil {
			t.Error("no New style… or Styles… button on the screen")
		}
	})

	// New style: the dialog's Add adds what was typed.
	sh.OnUI(func() {
		kittest.FindButton(s.Object(), newStyleText).OnTapped()
		entry := inOverlay(sh, func(e *kit.Entry) bool { return e.PlaceHolder == styleNameHint })
		if entry == nil {
			t.Fatal("New style… opened no dialog with a name field")
		}
		test.Type(entry, "penguins")
		test.Tap(inOverlay(sh, func(b *widget.Button) bool { return b.Text == "Add" }))
	})
	waitStyles("1 penguins", "adding penguins")
	sh.OnUI(func() { s.AddStyle("plastic") })
	waitStyles("1 penguins, 2 plastic", "adding plastic")
	sh.OnUI(func() {
		v := s.styleNameValidator(0)
		if v("  ") == nil || v("PENGUINS") == nil || v("tango") != nil {
			t.Error("the name check should refuse an empty name and one in use (any case), and take a new one")
		}
		if kittest.FindButton(s.Object(), "1  penguins") == nil {
			t.Error("no label button for the new style")
		}
		// New style… is no longer among the style buttons, where the style it added took its place.
		if kittest.FindButton(s.styleBtns, newStyleText) != nil || kittest.FindButton(s.Object(), newStyleText) == nil {
			t.Error("with styles, New style… should be in the header only, not in the style buttons' grid")
		}
		s.TypedRune('1')
	})
	h.shell.Screen.Flush()

	// Rename plastic through the Styles dialog.
	sh.OnUI(func() {
		s.ManageStylesDialog()
		var renames []*widget.Button
		for _, o := range test.LaidOutObjects(sh.Deps.Window.Canvas().Overlays().Top()) {
			if b, ok := o.(*widget.Button); ok && b.Text == "Rename…" {
				renames = append(renames, b)
			}
		}
		if len(renames) != 2 {
			t.Fatalf("the Styles dialog shows %d Rename buttons, want 2", len(renames))
		}
		test.Tap(renames[1])
		entry := inOverlay(sh, func(e *kit.Entry) bool { return e.Text == "plastic" })
		if entry == nil {
			t.Fatal("Rename… opened no field holding the name")
		}
		entry.SetText("plastic deck")
		test.Tap(inOverlay(sh, func(b *widget.Button) bool { return b.Text == "Rename" }))
	})
	waitStyles("1 penguins, 2 plastic deck", "renaming plastic")

	// Remove penguins, which labels a product: its label moves to the style chosen.
	sh.OnUI(func() {
		s.ManageStylesDialog()
		test.Tap(inOverlay(sh, func(b *widget.Button) bool { return b.Text == "Remove…" }))
		into := inOverlay(sh, func(*widget.Select) bool { return true })
		if into == nil {
			t.Fatal("removing a style that labels a product asks nowhere to move its label")
		}
		removeBtn := inOverlay(sh, func(b *widget.Button) bool { return b.Text == "Remove" })
		if removeBtn == nil || !removeBtn.Disabled() {
			t.Fatal("Remove can be pressed before the style the labels move to is chosen")
		}
		into.SetSelected("plastic deck")
		if removeBtn.Disabled() {
			t.Fatal("Remove stays disabled after a style is chosen")
		}
		test.Tap(removeBtn)
	})
	waitStyles("2 plastic deck", "removing penguins")
	after, err := db.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after[0].Name != "plastic deck" {
		t.Fatalf("styles in the catalog %+v, want plastic deck alone", after)
	}
	rows, err = db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Style != "" {
			n++
			if r.Style != "plastic deck" {
				t.Errorf("%s is labeled %s after the removal", r.SKU, r.Style)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d products labeled after the removal, want the 1 label moved, not lost", n)
	}
}

// The classifier knows its styles by name: after a rename the screen retrains, so no suggestion names
// a style that is gone (every product of the renamed style would otherwise read as a disagreement).
func TestLabelScreenRetrainsAfterARename(t *testing.T) {
	db := testlib.DemoLibrary(t, 120, 1)
	h := newLabelHarness(t, db)
	sh, s := h.shell, h.shell.Screen
	if err := kittest.WaitChan(t, h.trained, "the first classifier"); err != nil {
		t.Fatalf("the first classifier: %v", err)
	}
	var old string
	sh.OnUI(func() {
		old = s.model.styles[0].Name
		s.ManageStylesDialog()
		test.Tap(inOverlay(sh, func(b *widget.Button) bool { return b.Text == "Rename…" }))
		entry := inOverlay(sh, func(e *kit.Entry) bool { return e.Text == old })
		if entry == nil {
			t.Fatal("Rename… opened no field holding the name")
		}
		entry.SetText("renamed")
		test.Tap(inOverlay(sh, func(b *widget.Button) bool { return b.Text == "Rename" }))
	})
	if err := kittest.WaitChan(t, h.trained, "a retraining after the rename"); err != nil {
		t.Fatalf("the retraining after the rename: %v", err)
	}
	sh.OnUI(func() {
		names := map[string]bool{}
		for _, st := range s.model.styles {
			names[st.Name] = true
		}
		if !names["renamed"] || names[old] {
			t.Fatalf("styles %v after renaming %s", styleNames(s), old)
		}
		shown := 0
		for _, it := range s.model.items {
			if it.sugg.style != "" {
				shown++
				if !names[it.sugg.style] {
					t.Fatalf("%s is suggested as %s, a style that is gone", it.row.SKU, it.sugg.style)
				}
			}
		}
		if shown == 0 {
			t.Error("no suggestions after the retraining")
		}
	})
}
