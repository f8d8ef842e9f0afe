package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/demo"
	"stylestudio/engine/ingest"
	"stylestudio/ui/kit"
)

// importer runs imports (dialog, drag-and-drop, demo seeding) through the job panel and reports the outcome.
type importer struct {
	deps    kit.Deps
	changed func() // the catalog changed: reload
}

// showDialog asks what to import: a folder or files, optionally a CSV manifest, and whether folders are labels.
func (im *importer) showDialog() {
	w := im.deps.Window
	source := kit.NewEntry()
	source.SetPlaceHolder("Folder or image file")
	csvEntry := kit.NewEntry()
	csvEntry.SetPlaceHolder("Optional: manifest with sku,title,category,price,image[,style][,group]")
	fromFolders := widget.NewCheck("Folder names are style labels (folder/<style>/<image>)", nil)
	// Only with folder labels: the same file name in two style folders is the same item (its group).
	sameItem := widget.NewCheck("The same file name in two style folders is the same item", nil)
	sameItem.Disable()
	fromFolders.OnChanged = func(on bool) {
		if on {
			sameItem.Enable()
		} else {
			sameItem.SetChecked(false)
			sameItem.Disable()
		}
	}
	// Import stays disabled until there is something to import: the dialog used to close on "Nothing
	// to import", and the person started over.
	source.Validator = func(string) error {
		if strings.TrimSpace(source.Text) == "" && strings.TrimSpace(csvEntry.Text) == "" {
			return errors.New("choose a folder or image file, or a CSV manifest")
		}
		return nil
	}
	csvEntry.OnChanged = func(string) { _ = source.Validate() }

	browseFolder := widget.NewButton("Folder…", func() { im.deps.ShowFolderOpen(source.SetText) })
	browseCSV := widget.NewButton("CSV…", func() {
		fd := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err == nil && r != nil {
				csvEntry.SetText(r.URI().Path())
				_ = r.Close()
			}
		}, w)
		fd.SetFilter(storage.NewExtensionFileFilter([]string{".csv"}))
		im.deps.ShowDialog(fd, nil)
	})
	items := []*widget.FormItem{
		widget.NewFormItem("Images", newValidatedRow(&source.Entry, container.NewBorder(nil, nil, nil, browseFolder, source))),
		widget.NewFormItem("CSV", container.NewBorder(nil, nil, nil, browseCSV, csvEntry)),
		widget.NewFormItem("", fromFolders),
		widget.NewFormItem("", sameItem),
	}
	d := dialog.NewForm("Import products", "Import", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		var paths []string
		if p := strings.TrimSpace(source.Text); p != "" {
			paths = append(paths, p)
		}
		opts := ingest.Options{LabelsFromFolders: fromFolders.Checked, GroupsFromNames: fromFolders.Checked && sameItem.Checked,
			CSVPath: strings.TrimSpace(csvEntry.Text)}
		if len(paths) == 0 && opts.CSVPath == "" {
			im.deps.ShowInformation("Nothing to import", "Choose a folder or image file, or a CSV manifest.")
			return
		}
		im.importPaths(paths, opts)
	}, w)
	kit.FormEntry(source, d)
	kit.FormEntry(csvEntry, d)
	d.Resize(fyne.NewSize(640, 300))
	im.deps.ShowForm(d)
}

// importPaths imports files and folders in the background. UI goroutine only.
func (im *importer) importPaths(paths []string, opts ingest.Options) {
	db := im.deps.DB
	im.run("Importing", true, func(ctx context.Context, progress func(ingest.Progress)) (ingest.Summary, error) {
		return studio.Import(ctx, db, paths, opts, progress)
	})
}

// seedDemo fills the library with the built-in demo catalog; announce=false reports only problems
// (first start). UI goroutine only.
func (im *importer) seedDemo(products int, seed uint64, announce bool) {
	db := im.deps.DB
	im.run("Creating the demo catalog", announce, func(ctx context.Context, progress func(ingest.Progress)) (ingest.Summary, error) {
		return demo.Seed(ctx, db, demo.Catalog(products, seed), progress)
	})
}

// run shows an import in the job panel and reports its summary.
func (im *importer) run(title string, announce bool, imp func(context.Context, func(ingest.Progress)) (ingest.Summary, error)) {
	var sum ingest.Summary
	job := func(ctx context.Context, report func(kit.Progress)) error {
		var err error
		sum, err = imp(ctx, func(pr ingest.Progress) { report(kit.Progress{Done: pr.Done, Total: pr.Total, Current: pr.Current}) })
		return err
	}
	started := im.deps.Jobs.Run(title, job, func(err error) {
		im.changed()
		if announce || err != nil || len(sum.Failures) > 0 {
			im.report(title, sum, err, announce)
		}
	})
	if !started {
		im.deps.ShowInformation("Busy", "Another import is running. Wait for it to finish or cancel it first.")
	}
}

// report shows the outcome; failures are listed with their file and reason.
func (im *importer) report(title string, sum ingest.Summary, err error, announce bool) {
	w := im.deps.Window
	if err != nil && err != context.Canceled {
		im.deps.ShowError(fmt.Errorf("%s failed: %w", strings.ToLower(title), err))
		return
	}
	head := fmt.Sprintf("Imported %d new product%s; %d %s already in the catalog.", sum.Imported, studio.Plural(sum.Imported), sum.Duplicates, wasWere(sum.Duplicates))
	if sum.Labeled > 0 {
		head += fmt.Sprintf(" %d of those had no label and took the style their folder (or manifest row) gives; products already labeled kept theirs.", sum.Labeled)
	}
	if err == context.Canceled {
		head = "Cancelled. " + head + " Nothing half-imported was kept."
	}
	if len(sum.Failures) == 0 {
		switch {
		case err == context.Canceled || sum.Imported+sum.Duplicates > 0:
			im.deps.ShowInformation(title+" finished", head)
		case announce:
			// An empty folder (or one with no image in it) used to end with no word at all.
			im.deps.ShowInformation(title+": nothing found", "No product images were found there, so nothing was imported. "+
				"Choose a folder that holds product photos (PNG, JPEG, WebP, HEIC and camera formats), or a CSV manifest.")
		}
		return
	}
	// Every failure in full, wrapped: the reason is what tells the person what to do, and a list cut
	// to one line each hid it.
	const shown = 300
	rows := container.NewVBox()
	for _, f := range sum.Failures[:min(len(sum.Failures), shown)] {
		l := widget.NewLabel(f.Path + ": " + f.Reason)
		l.Wrapping = fyne.TextWrapWord
		rows.Add(l)
	}
	if more := len(sum.Failures) - shown; more > 0 {
		rows.Add(widget.NewLabel(fmt.Sprintf("…and %d more.", more)))
	}
	list := container.NewVScroll(rows)
	top := widget.NewLabel(fmt.Sprintf("%s\n%d file%s or manifest row%s could not be imported:", head, len(sum.Failures), studio.Plural(len(sum.Failures)), studio.Plural(len(sum.Failures))))
	top.Wrapping = fyne.TextWrapWord
	body := container.NewBorder(top, nil, nil, nil, list)
	d := dialog.NewCustom(title+" finished with problems", "Close", body, w)
	d.Resize(fyne.NewSize(720, 420))
	im.deps.ShowDialog(d, d.Dismiss)
}

// urisToPaths keeps the local files among dropped items.
func urisToPaths(uris []fyne.URI) []string {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	return paths
}

// wasWere is "was" for 1, else "were".
func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// validatedRow shows a row (an entry with its Browse button) and validates as its entry does, so a form
// dialog keeps its confirm button disabled while the entry is invalid (a form only sees the validation
// of its items' own widgets).
type validatedRow struct {
	widget.BaseWidget
	entry *widget.Entry
	row   fyne.CanvasObject
}

func newValidatedRow(entry *widget.Entry, row fyne.CanvasObject) *validatedRow {
	v := &validatedRow{entry: entry, row: row}
	v.ExtendBaseWidget(v)
	return v
}

func (v *validatedRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(v.row) }

// Validate validates the entry.
func (v *validatedRow) Validate() error { return v.entry.Validate() }

// SetOnValidationChanged passes the form's callback to the entry.
func (v *validatedRow) SetOnValidationChanged(f func(error)) { v.entry.SetOnValidationChanged(f) }
