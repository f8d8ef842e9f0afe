package catalog

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// variantCardSize is a variant card's picture, square.
const variantCardSize = 88

// variantCard is one picture the detail pane can show large: the product's own photo or one of its
// stylized variants, with what it is (the style, the run that made it) under a small thumbnail. A tap
// shows it; the card on show is framed.
type variantCard struct {
	widget.BaseWidget
	img   *canvas.Image
	ph    *canvas.Rectangle // behind the picture while it loads
	frame *canvas.Rectangle
	what  *canvas.Text
	by    *canvas.Text
	onTap func()
}

func newVariantCard(what, by string, thumb image.Image, onTap func()) *variantCard {
	c := &variantCard{
		img:   canvas.NewImageFromImage(thumb),
		ph:    canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		frame: canvas.NewRectangle(color.Transparent),
		what:  canvas.NewText(fitText(what, fyne.TextStyle{Bold: true}, variantCardWidth()), theme.Color(theme.ColorNameForeground)),
		by:    canvas.NewText(fitText(by, fyne.TextStyle{}, variantCardWidth()), theme.Color(theme.ColorNamePlaceHolder)),
		onTap: onTap,
	}
	c.img.FillMode = canvas.ImageFillContain
	c.img.ScaleMode = canvas.ImageScaleSmooth
	c.img.SetMinSize(fyne.NewSize(variantCardSize, variantCardSize))
	c.ph.CornerRadius = 4
	c.frame.StrokeWidth = 2
	c.frame.CornerRadius = 4
	c.what.TextSize = theme.CaptionTextSize()
	c.what.TextStyle.Bold = true
	c.by.TextSize = theme.CaptionTextSize()
	if thumb != nil {
		c.ph.Hide()
	}
	c.ExtendBaseWidget(c)
	return c
}

func (c *variantCard) CreateRenderer() fyne.WidgetRenderer {
	picture := container.NewPadded(container.NewStack(c.ph, c.img))
	// Captions line up with the padded picture, and clear the strip's scroll bar below them.
	pad := theme.Padding()
	captions := container.New(layout.NewCustomPaddedLayout(0, theme.ScrollBarSize()+pad, pad, pad), container.NewVBox(c.what, c.by))
	return widget.NewSimpleRenderer(container.NewStack(c.frame, container.NewBorder(nil, captions, nil, nil, picture)))
}

// setThumb shows the card's thumbnail once it has loaded.
func (c *variantCard) setThumb(img image.Image) {
	c.img.Image = img
	c.ph.Hide()
	c.img.Refresh()
}

// setShown frames the card (it is the picture on show) or not.
func (c *variantCard) setShown(on bool) {
	if on {
		c.frame.StrokeColor = theme.Color(theme.ColorNamePrimary)
	} else {
		c.frame.StrokeColor = color.Transparent
	}
	c.frame.Refresh()
}

// Tapped shows the card's picture large.
func (c *variantCard) Tapped(*fyne.PointEvent) {
	if c.onTap != nil {
		c.onTap()
	}
}

// Cursor says the card can be clicked.
func (c *variantCard) Cursor() desktop.Cursor { return desktop.PointerCursor }

// variantCardWidth is the width a card's captions are cut to: its picture's.
func variantCardWidth() float32 { return variantCardSize }

// fitText shortens s with an ellipsis until it fits width at the caption size in style.
func fitText(s string, style fyne.TextStyle, width float32) string {
	size := theme.CaptionTextSize()
	if fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; fyne.MeasureText(t, size, style).Width <= width {
			return t
		}
	}
	return "…"
}
