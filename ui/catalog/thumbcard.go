package catalog

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/store"
	"stylestudio/ui/kit"
)

// thumbCard is one catalog grid cell: thumbnail, title, SKU and the style label as a coloured chip.
type thumbCard struct {
	widget.BaseWidget
	hash  string // image hash of the product shown; "" when unbound
	img   *canvas.Image
	ph    *canvas.Rectangle // placeholder behind the image while it loads
	title *widget.Label
	sku   *canvas.Text
	chip  *canvas.Rectangle
	style *canvas.Text
	badge *fyne.Container // re-laid out when the chip's text changes
}

func newThumbCard() *thumbCard {
	c := &thumbCard{
		img:   canvas.NewImageFromImage(nil),
		ph:    canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		title: widget.NewLabel(""),
		sku:   canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder)),
		chip:  canvas.NewRectangle(color.Transparent),
		style: canvas.NewText("", color.White),
	}
	c.img.FillMode = canvas.ImageFillContain
	c.img.ScaleMode = canvas.ImageScaleSmooth
	c.img.SetMinSize(fyne.NewSize(150, 150))
	c.ph.CornerRadius = 4
	c.title.Truncation = fyne.TextTruncateEllipsis
	c.sku.TextSize = theme.CaptionTextSize()
	c.style.TextSize = theme.CaptionTextSize()
	c.style.TextStyle.Bold = true
	c.chip.CornerRadius = 6
	c.ExtendBaseWidget(c)
	return c
}

func (c *thumbCard) CreateRenderer() fyne.WidgetRenderer {
	// The style chip sits on the thumbnail's top-left corner, like a badge on a product photo.
	chip := container.NewStack(c.chip, container.New(layout.NewCustomPaddedLayout(1, 1, 6, 6), c.style))
	c.badge = container.NewBorder(container.NewHBox(chip), nil, nil, nil)
	picture := container.NewStack(c.ph, c.img, container.NewPadded(c.badge))
	sku := container.New(layout.NewCustomPaddedLayout(0, 2, theme.InnerPadding(), 0), c.sku)
	body := container.NewBorder(nil, container.NewVBox(c.title, sku), nil, nil, picture)
	return widget.NewSimpleRenderer(body)
}

// bind shows row; thumb may be nil while it loads.
func (c *thumbCard) bind(row store.ProductRow, styleColor color.Color, thumb image.Image) {
	c.hash = row.ImageHash
	c.title.SetText(row.Title)
	c.sku.Text = row.SKU
	if row.Style == "" {
		c.style.Text = "unlabeled"
		c.style.Color = color.NRGBA{R: 0x33, G: 0x33, B: 0x33, A: 0xff}
		c.chip.FillColor = color.NRGBA{R: 0xe4, G: 0xe4, B: 0xe4, A: 0xee}
	} else {
		c.style.Text = row.Style
		c.style.Color = kit.TextOn(styleColor)
		c.chip.FillColor = styleColor
	}
	c.setThumb(thumb)
	c.sku.Refresh()
	c.style.Refresh()
	c.chip.Refresh()
	if c.badge != nil {
		c.badge.Refresh()
	}
}

func (c *thumbCard) setThumb(img image.Image) {
	c.img.Image = img
	c.img.Refresh()
	// The placeholder shows only while loading, so the grid's selection highlight stays visible after.
	if img == nil {
		c.ph.Show()
	} else {
		c.ph.Hide()
	}
}
