package catalog

import (
	"context"
	"fmt"
	"image"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
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
	caption *widget.Label // what the large picture is: the photo or which variant
	title   *widget.Label
	fields  map[string]*widget.Label // metadata values by field name
	label   *widget.Select
	history *widget.Label
	// The product's stylized variants (Preview's batch export and `stylize` make them): a card each,
	// after one for the photo; a tap shows that picture large.
	variantsNote *widget.Label     // the form's Variants row: how many, or how to make them
	variantsBox  *fyne.Container   // the cards, in a row
	strip        *container.Scroll // variantsBox under the large picture, scrolled sideways
	info         *container.Scroll // the metadata, label and history below the picture
	empty        *widget.Label
	body         *fyne.Container
	root         *fyne.Container

	// UI goroutine only.
	product     store.ProductDetail
	styles      []store.Style
	loadReq     kit.Latest
	imageReq    kit.Latest // the large picture's loads (a product's photo, a tapped variant)
	variantsReq kit.Latest
	metaReq     kit.Latest      // reloads of the open product's metadata (reload)
	variantOf   []store.Variant // the variants whose cards follow the photo's
	cards       []*variantCard  // the photo's card, then the variants'
	shownHash   string          // the picture shown large ("" before it is loaded)
	updating    bool            // true while the select is set programmatically
}

func newDetailPane(deps kit.Deps, onChanged func()) *detailPane {
	d := &detailPane{deps: deps, onChanged: onChanged}
	d.image = canvas.NewImageFromImage(nil)
	d.image.FillMode = canvas.ImageFillContain
	d.image.ScaleMode = canvas.ImageScaleSmooth
	d.image.SetMinSize(fyne.NewSize(300, 300))
	d.caption = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	d.caption.Truncation = fyne.TextTruncateEllipsis
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
	d.variantsNote = widget.NewLabel("")
	d.variantsNote.Wrapping = fyne.TextWrapWord
	form.Append("Variants", d.variantsNote)
	d.history = widget.NewLabel("")
	d.history.Wrapping = fyne.TextWrapWord
	d.variantsBox = container.NewHBox()
	d.strip = container.NewHScroll(d.variantsBox)
	d.strip.Hide()
	d.empty = widget.NewLabelWithStyle("Select a product to see it here.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})

	imageBg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	info := container.NewVBox(
		d.title, form,
		widget.NewLabelWithStyle("Label history", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		d.history,
	)
	d.info = container.NewVScroll(info)
	d.body = container.NewBorder(container.NewVBox(container.NewStack(imageBg, d.image), d.caption, d.strip), nil, nil, nil, d.info)
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
	d.imageReq.Invalidate() // a picture still loading for the product on show must not land on this one
	d.variantsReq.Invalidate()
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
				d.deps.ShowError(fmt.Errorf("open product %d: %w", id, err))
				return
			}
			d.setProduct(p)
			d.loadVariants(id)
			d.openPicture(p.ImageHash, photoCaption, func(err error) { d.fields["Image"].SetText("unavailable: " + err.Error()) })
		})
	}()
}

// reload reads the open product's metadata, label and history again, keeping the picture on show: the
// catalog changed under it (an undo from the Edit menu, a label made on another screen). UI goroutine only.
func (d *detailPane) reload() {
	id, gen, db, ctx := d.product.ID, d.metaReq.Next(), d.deps.DB, d.deps.Ctx
	if id == 0 {
		return
	}
	go func() {
		p, err := db.Product(ctx, id)
		if ctx.Err() != nil || err != nil {
			return // gone (deleted): the grid no longer lists it either
		}
		d.deps.Do(func() {
			if gen.Current() && d.product.ID == id {
				d.setMeta(p)
			}
		})
	}()
	d.loadVariants(id)
}

// photoCaption names the product's own photo under the large picture.
const photoCaption = "Original photo"

// maxVariantCards bounds the cards the pane builds (their thumbnails are decoded from the variants' images).
const maxVariantCards = 60

// showImage puts img, the picture of object hash, up large with its caption and frames its card. UI
// goroutine only.
func (d *detailPane) showImage(hash, caption string, img image.Image) {
	d.image.Image = img
	d.image.Refresh()
	d.caption.SetText(caption)
	d.shownHash = hash
	d.frameShown()
	ImageShown.Emit(d.deps.Events, struct{}{})
}

// frameShown frames the card of the picture on show. UI goroutine only.
func (d *detailPane) frameShown() {
	for i, c := range d.cards {
		c.setShown(d.cardHash(i) == d.shownHash)
	}
}

// cardHash is the image object of card i (0: the photo). UI goroutine only.
func (d *detailPane) cardHash(i int) string {
	if i == 0 {
		return d.product.ImageHash
	}
	return d.variantOf[i-1].ImageHash
}

// variantCaption says which variant a picture is.
func variantCaption(v store.Variant) string {
	return fmt.Sprintf("%s variant (run %s)", v.Style, orDash(v.RunName))
}

// loadVariants reads the product's stylized variants and their thumbnails off the UI goroutine and
// shows their cards (the catalog calls it again when it reloads: an export or a deleted run changes them).
func (d *detailPane) loadVariants(id int64) {
	gen, db, ctx := d.variantsReq.Next(), d.deps.DB, d.deps.Ctx
	go func() {
		vs, err := db.VariantsForProduct(ctx, id)
		more := max(0, len(vs)-maxVariantCards)
		vs = vs[:len(vs)-more]
		thumbs := variantThumbs(ctx, db, vs)
		if ctx.Err() != nil {
			return
		}
		d.deps.Do(func() {
			if gen.Current() && d.product.ID == id {
				d.setVariants(vs, thumbs, more, err)
			}
		})
	}()
}

// variantThumbs decodes the variants' thumbnails; one that cannot be read stays nil (its card shows
// the placeholder, and a tap says why).
func variantThumbs(ctx context.Context, db *store.DB, vs []store.Variant) []image.Image {
	out := make([]image.Image, len(vs))
	for i, v := range vs {
		if ctx.Err() != nil {
			return out
		}
		out[i], _ = studio.VariantThumbnail(db, v.ImageHash)
	}
	return out
}

// setVariants shows the product's variant cards (more: those left out past maxVariantCards). UI
// goroutine only.
func (d *detailPane) setVariants(vs []store.Variant, thumbs []image.Image, more int, err error) {
	d.variantOf = vs
	d.cards = d.cards[:0]
	d.variantsBox.RemoveAll()
	switch {
	case err != nil:
		d.variantsNote.SetText("Could not read them: " + err.Error())
	case len(vs) == 0:
		d.variantsNote.SetText("None yet. Preview's Export batch makes them (Save as variants).")
	default:
		note := fmt.Sprintf("%d stylized, under the picture: click one to see it large.", len(vs)+more)
		if len(vs) == 1 {
			note = "1 stylized, under the picture: click it to see it large."
		}
		if more > 0 {
			note += fmt.Sprintf(" The %d oldest are not shown.", more)
		}
		d.variantsNote.SetText(note)
	}
	if err == nil && len(vs) > 0 {
		photo := d.product
		d.cards = append(d.cards, newVariantCard("Original", "photo", d.deps.Thumbs.Get(photo.ImageHash), func() {
			d.openPicture(photo.ImageHash, photoCaption, nil)
		}))
		for i, v := range vs {
			d.cards = append(d.cards, newVariantCard(v.Style, "run "+orDash(v.RunName), thumbs[i], func() {
				d.openPicture(v.ImageHash, variantCaption(v), nil)
			}))
		}
		for _, c := range d.cards {
			d.variantsBox.Add(c)
		}
	}
	d.showStrip(len(d.cards) > 0)
	if d.shownHash != "" && d.shownHash != d.product.ImageHash && !d.showsVariant() {
		// The variant on show is gone (its run was deleted): back to the photo.
		d.openPicture(d.product.ImageHash, photoCaption, nil)
	}
	d.frameShown()
	VariantsShown.Emit(d.deps.Events, len(vs))
}

// showStrip shows or hides the variant strip and lays the pane out again: the picture's column
// changes height. UI goroutine only.
func (d *detailPane) showStrip(on bool) {
	if on {
		d.strip.Show()
	} else {
		d.strip.Hide()
	}
	d.body.Refresh()
}

// showsVariant reports whether the picture on show is one of the product's variants. UI goroutine only.
func (d *detailPane) showsVariant() bool {
	for _, v := range d.variantOf {
		if v.ImageHash == d.shownHash {
			return true
		}
	}
	return false
}

// openPicture loads object hash at full size off the UI goroutine and shows it large; failed says why
// it could not be read (nil: an error dialog). UI goroutine only.
func (d *detailPane) openPicture(hash, caption string, failed func(error)) {
	gen, db, ctx := d.imageReq.Next(), d.deps.DB, d.deps.Ctx
	go func() {
		img, err := kit.LoadFullImage(ctx, db, hash)
		if ctx.Err() != nil {
			return
		}
		d.deps.Do(func() {
			if !gen.Current() {
				return
			}
			if err != nil && failed != nil {
				failed(err)
				return
			}
			if err != nil {
				d.deps.ShowError(fmt.Errorf("show %s: %w; the image in the library cannot be read (check the library's disk)", strings.ToLower(caption[:1])+caption[1:], err))
				return
			}
			d.showImage(hash, caption, img)
		})
	}()
}

// thumbArrived gives the photo's card its thumbnail once the loader has it. UI goroutine only.
func (d *detailPane) thumbArrived(hash string, img image.Image) {
	if len(d.cards) > 0 && hash == d.product.ImageHash {
		d.cards[0].setThumb(img)
	}
}

func (d *detailPane) setProduct(p store.ProductDetail) {
	d.empty.Hide()
	d.body.Show()
	d.image.Image = nil
	d.image.Refresh()
	d.caption.SetText(photoCaption)
	d.shownHash = ""
	d.variantOf, d.cards = nil, nil
	d.variantsBox.RemoveAll()
	d.showStrip(false)
	d.variantsNote.SetText("")
	d.info.ScrollToTop() // another product: its title first, not where the last one was scrolled to
	d.setMeta(p)
}

// setMeta shows the product's metadata, label and history. UI goroutine only.
func (d *detailPane) setMeta(p store.ProductDetail) {
	d.product = p
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
				d.deps.ShowError(fmt.Errorf("label product: %w", err))
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
