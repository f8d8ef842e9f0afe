package catalog

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/store"
	"stylestudio/ui/kit"
)

const unlabeledChoice = "— unlabeled —"

// detailFields are the metadata rows of the detail pane, in order.
func detailFields() []string { return []string{"SKU", "Category", "Price", "Image", "Source", "Added"} }

// detailPane shows one product: the large image, its metadata, its style label (editable) and label history.
type detailPane struct {
	deps      kit.Deps
	onChanged func() // a label changed: the catalog re-queries

	image   *canvas.Image
	title   *widget.Label
	fields  map[string]*widget.Label // metadata values by field name
	label   *widget.Select
	history *widget.Label
	empty   *widget.Label
	body    *fyne.Container
	root    *fyne.Container

	// UI goroutine only.
	product  store.ProductDetail
	styles   []store.Style
	loadReq  kit.Latest
	updating bool // true while the select is set programmatically
}

func newDetailPane(deps kit.Deps, onChanged func()) *detailPane {
	d := &detailPane{deps: deps, onChanged: onChanged}
	d.image = canvas.NewImageFromImage(nil)
	d.image.FillMode = canvas.ImageFillContain
	d.image.ScaleMode = canvas.ImageScaleSmooth
	d.image.SetMinSize(fyne.NewSize(300, 300))
	d.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.title.Wrapping = fyne.TextWrapWord
	d.label = widget.NewSelect(nil, d.labelChosen)
	d.label.PlaceHolder = "Choose a style"
	form := widget.NewForm()
	d.fields = map[string]*widget.Label{}
	for _, name := range detailFields() {
		v := widget.NewLabel("")
		v.Truncation = fyne.TextTruncateEllipsis
		d.fields[name] = v
		form.Append(name, v)
	}
	form.Append("Style", d.label)
	d.history = widget.NewLabel("")
	d.history.Wrapping = fyne.TextWrapWord
	d.empty = widget.NewLabelWithStyle("Select a product to see it here.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})

	imageBg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	info := container.NewVBox(
		d.title, form,
		widget.NewLabelWithStyle("Label history", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		d.history,
	)
	d.body = container.NewBorder(container.NewStack(imageBg, d.image), nil, nil, nil, container.NewVScroll(info))
	d.body.Hide()
	d.root = container.NewStack(container.NewCenter(d.empty), container.NewPadded(d.body))
	return d
}

func (d *detailPane) Object() fyne.CanvasObject { return d.root }

// setStyles refreshes the label choices. UI goroutine only.
func (d *detailPane) setStyles(styles []store.Style) {
	d.styles = styles
	opts := []string{unlabeledChoice}
	for _, s := range styles {
		opts = append(opts, s.Name)
	}
	d.updating = true
	d.label.SetOptions(opts)
	d.updating = false
}

// show loads product id off the UI goroutine: metadata first, then the full image.
func (d *detailPane) show(id int64) {
	gen, db, ctx := d.loadReq.Next(), d.deps.DB, d.deps.Ctx
	go func() {
		p, err := db.Product(ctx, id)
		if ctx.Err() != nil {
			return
		}
		d.deps.Do(func() {
			if !gen.Current() {
				return
			}
			if err != nil {
				dialog.ShowError(fmt.Errorf("open product %d: %w", id, err), d.deps.Window)
				return
			}
			d.setProduct(p)
		})
		img, imgErr := kit.LoadFullImage(ctx, db, p.ImageHash)
		if ctx.Err() != nil {
			return
		}
		d.deps.Do(func() {
			if !gen.Current() {
				return
			}
			if imgErr != nil {
				d.fields["Image"].SetText("unavailable: " + imgErr.Error())
				return
			}
			d.image.Image = img
			d.image.Refresh()
			ImageShown.Emit(d.deps.Events, struct{}{})
		})
	}()
}

func (d *detailPane) setProduct(p store.ProductDetail) {
	d.product = p
	d.empty.Hide()
	d.body.Show()
	d.image.Image = nil
	d.image.Refresh()
	d.title.SetText(p.Title)
	d.fields["SKU"].SetText(p.SKU)
	d.fields["Category"].SetText(orDash(p.Category))
	d.fields["Price"].SetText(kit.FormatPrice(p.PriceCents))
	d.fields["Image"].SetText(fmt.Sprintf("%d×%d %s", p.Width, p.Height, strings.ToUpper(p.Format)))
	d.fields["Source"].SetText(orDash(p.SourcePath))
	d.fields["Added"].SetText(p.CreatedAt.Local().Format("2 Jan 2006 15:04"))
	d.updating = true
	if p.Style == "" {
		d.label.SetSelected(unlabeledChoice)
	} else {
		d.label.SetSelected(p.Style)
	}
	d.updating = false
	var b strings.Builder
	for i := len(p.History) - 1; i >= 0; i-- {
		e := p.History[i]
		name := e.StyleName
		if name == "" {
			name = "cleared"
		}
		undone := ""
		if e.Undone {
			undone = " (undone)"
		}
		fmt.Fprintf(&b, "%s  %s by %s%s\n", e.At.Local().Format("2 Jan 15:04"), name, orDash(e.Who), undone)
	}
	if b.Len() == 0 {
		b.WriteString("Never labeled.")
	}
	d.history.SetText(strings.TrimSpace(b.String()))
}

// labelChosen applies a label picked in the select, off the UI goroutine.
func (d *detailPane) labelChosen(name string) {
	if d.updating || d.product.ID == 0 {
		return
	}
	var styleID int64
	for _, s := range d.styles {
		if s.Name == name {
			styleID = s.ID
		}
	}
	if styleID == d.product.StyleID {
		return
	}
	id, db, ctx := d.product.ID, d.deps.DB, d.deps.Ctx
	go func() {
		err := db.SetLabel(ctx, id, styleID, "user")
		d.deps.Do(func() {
			if err != nil {
				dialog.ShowError(fmt.Errorf("label product: %w", err), d.deps.Window)
				return
			}
			d.show(id)
			d.onChanged()
		})
	}()
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
