package label

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/store"
	"stylestudio/ui/kit"
)

// This file: the styles a person labels with, made and kept on the Label screen. A catalog imported
// without folder labels has none, and without this a merchandiser could only add them on the command
// line (`stylestudio styles add`).

// Texts of the style editor's controls (tests and the e2e journey find them by these).
const (
	newStyleText     = "New style…"
	manageStylesText = "Styles…"
	styleNameHint    = "Style name, e.g. vintage"
)

// noStylesHint is what the focus pane says while the library has no style to label with.
const noStylesHint = "No styles yet: press **New style…** to add the styles you label with.\n\n" +
	"Use the names your shop uses (minimal, vintage…); each gets a key, 1 to 9."

// styleNameValidator refuses an empty name and one another style has (case-insensitive), except the
// style being renamed (keep, 0 for none). UI goroutine only.
func (s *LabelScreen) styleNameValidator(keep int64) fyne.StringValidator {
	return func(name string) error {
		name = strings.TrimSpace(name)
		if name == "" {
			return errors.New("type a name")
		}
		for _, st := range s.model.styles {
			if st.ID != keep && strings.EqualFold(st.Name, name) {
				return fmt.Errorf("a style named %s exists", st.Name)
			}
		}
		return nil
	}
}

// NewStyleDialog asks for a style's name and adds it (the next palette colour, the first free key of
// 1–9). UI goroutine only.
func (s *LabelScreen) NewStyleDialog() {
	entry := kit.NewEntry()
	entry.SetPlaceHolder(styleNameHint)
	entry.Validator = s.styleNameValidator(0)
	d := dialog.NewForm("New style", "Add", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Name", entry)},
		func(ok bool) {
			if ok {
				s.AddStyle(entry.Text)
			}
		}, s.deps.Window)
	kit.FormEntry(entry, d) // Enter adds, as the Add button does; Escape cancels
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	s.deps.ShowForm(d)
	s.deps.Window.Canvas().Focus(entry)
}

// AddStyle adds a style named name after every label already pressed, then reloads the screen. A
// refusal (a name taken meanwhile, a read-only library) is shown and nothing changes. UI goroutine.
func (s *LabelScreen) AddStyle(name string) {
	name = strings.TrimSpace(name)
	s.changeStyles("Could not add the style "+name, false, func(ctx context.Context, db *store.DB) error {
		_, err := db.AddStyle(ctx, name, "", "")
		return err
	})
}

// changeStyles applies op to the library's styles after every label already pressed (the write
// queue), shows a refusal as failed, reloads the screen, and with retrain retrains once a change
// went through: the classifier knows its styles by name, so after a rename or removal its
// suggestions would name a style that is gone, and every product of a renamed style would read as
// a disagreement. UI goroutine.
func (s *LabelScreen) changeStyles(failed string, retrain bool, op func(context.Context, *store.DB) error) {
	db, ctx := s.deps.DB, s.deps.Ctx
	s.enqueue(func() {
		err := op(ctx, db)
		if err != nil {
			s.showError(failed, err)
		}
		s.reloadNow()
		if err == nil && retrain {
			s.deps.Do(func() {
				if labeled, _ := s.model.counts(); labeled > 0 {
					s.requestRetrain()
				}
			})
		}
	})
}

// ManageStylesDialog lists the styles with their key, colour and labeled products, each with Rename
// and Remove, and New style. UI goroutine only.
func (s *LabelScreen) ManageStylesDialog() {
	_, per := s.model.counts()
	var d dialog.Dialog
	then := func(f func()) func() {
		return func() {
			d.Hide()
			f()
		}
	}
	rows := container.NewVBox()
	if len(s.model.styles) == 0 {
		rows.Add(widget.NewLabel("No styles yet."))
	}
	for _, st := range s.model.styles {
		st := st
		rename := widget.NewButtonWithIcon("Rename…", theme.DocumentCreateIcon(), then(func() { s.renameStyleDialog(st) }))
		remove := widget.NewButtonWithIcon("Remove…", theme.DeleteIcon(), then(func() { s.removeStyleDialog(st, per[st.Name]) }))
		rows.Add(container.NewBorder(nil, nil, styleCountChip(st, per[st.Name]), container.NewHBox(rename, remove)))
	}
	add := widget.NewButtonWithIcon(newStyleText, theme.ContentAddIcon(), then(s.NewStyleDialog))
	note := widget.NewLabel("The number is how many products carry the style. Keys, colours and the order: " +
		"stylestudio styles, on the command line.")
	note.Wrapping = fyne.TextWrapWord
	list := container.NewVScroll(rows)
	list.SetMinSize(fyne.NewSize(520, min(400, float32(max(1, len(s.model.styles)))*52+8)))
	content := container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), container.NewHBox(add), note), nil, nil, list)
	d = dialog.NewCustom("Styles", "Close", content, s.deps.Window)
	s.deps.ShowDialog(d, d.Dismiss)
}

// renameStyleDialog renames st; its labels follow it. UI goroutine only.
func (s *LabelScreen) renameStyleDialog(st store.Style) {
	entry := kit.NewEntry()
	entry.SetText(st.Name)
	entry.Validator = s.styleNameValidator(st.ID)
	d := dialog.NewForm("Rename "+st.Name, "Rename", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("New name", entry)},
		func(ok bool) {
			if !ok || strings.TrimSpace(entry.Text) == st.Name {
				return
			}
			name := strings.TrimSpace(entry.Text)
			s.changeStyles("Could not rename "+st.Name, true, func(ctx context.Context, db *store.DB) error {
				return db.RenameStyle(ctx, st.ID, name)
			})
		}, s.deps.Window)
	kit.FormEntry(entry, d)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	s.deps.ShowForm(d)
	s.deps.Window.Canvas().Focus(entry)
}

// removeStyleDialog removes st. A style that labels products can only go once its labels have
// somewhere to move (another style), so nothing stored is lost; the dialog says it cannot be undone.
// UI goroutine only.
func (s *LabelScreen) removeStyleDialog(st store.Style, labeled int) {
	win := s.deps.Window
	remove := func(moveTo int64) {
		s.changeStyles("Could not remove "+st.Name, true, func(ctx context.Context, db *store.DB) error {
			return db.DeleteStyle(ctx, st.ID, moveTo, "user")
		})
	}
	if labeled == 0 {
		d := dialog.NewConfirm("Remove "+st.Name+"?",
			fmt.Sprintf("No product is labeled %s. Its key and the variants generated in it go with it.", st.Name),
			func(ok bool) {
				if ok {
					remove(0)
				}
			}, win)
		s.deps.ShowDialog(d, nil) // it cannot be undone: Remove is clicked
		return
	}
	var others []store.Style
	var names []string
	for _, o := range s.model.styles {
		if o.ID != st.ID {
			others = append(others, o)
			names = append(names, o.Name)
		}
	}
	if len(others) == 0 {
		s.deps.ShowInformation("Remove "+st.Name,
			fmt.Sprintf("%s labels %s, and there is no other style to move them to. Add one first.", st.Name, products(labeled)))
		return
	}
	into := widget.NewSelect(names, nil)
	into.PlaceHolder = "Choose a style"
	msg := widget.NewLabel(fmt.Sprintf("%s labels %s. They move to the style you choose. "+
		"This cannot be undone; the variants generated in %s are deleted.", st.Name, products(labeled), st.Name))
	msg.Wrapping = fyne.TextWrapWord
	// Remove stays disabled until a style is chosen: a dialog that closed on "Nothing removed" made the
	// person start over (seen in the real window).
	var d dialog.Dialog
	removeBtn := widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
		if i := into.SelectedIndex(); i >= 0 {
			d.Hide()
			remove(others[i].ID)
		}
	})
	removeBtn.Importance = widget.DangerImportance
	removeBtn.Disable()
	into.OnChanged = func(string) { removeBtn.Enable() }
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() })
	form := widget.NewForm(widget.NewFormItem("Move them to", into))
	content := container.NewVBox(msg, form, container.NewCenter(container.NewHBox(cancel, removeBtn)))
	d = dialog.NewCustomWithoutButtons("Remove "+st.Name, content, win)
	d.Resize(fyne.NewSize(480, d.MinSize().Height))
	s.deps.ShowDialog(d, nil) // it cannot be undone: Remove is clicked
}

// products is "1 product" or "n products".
func products(n int) string {
	if n == 1 {
		return "1 product"
	}
	return fmt.Sprintf("%d products", n)
}
