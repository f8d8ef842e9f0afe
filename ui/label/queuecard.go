package label

import (
	"image"
	"image/color"

	"stylestudio/ui/kit"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// queueCard is one cell of the label screen's queue: a thumbnail with its label chip, a frame when it is
// under the cursor or selected, and click handling that knows about Shift and Ctrl.
type queueCard struct {
	widget.BaseWidget
	hash   string
	index  int // view index it shows
	onTap  func(index int, shift, ctrl bool)
	mods   fyne.KeyModifier // modifiers of the last mouse-down, used by the tap that follows
	img    *canvas.Image
	frame  *canvas.Rectangle
	chip   *canvas.Rectangle
	style  *canvas.Text
	badge  *fyne.Container
	hint   *canvas.Text // the classifier's suggestion for unlabeled products
	shadow *canvas.Rectangle
}

func newQueueCard(onTap func(index int, shift, ctrl bool)) *queueCard {
	c := &queueCard{
		onTap:  onTap,
		img:    canvas.NewImageFromImage(nil),
		frame:  canvas.NewRectangle(color.Transparent),
		chip:   canvas.NewRectangle(color.Transparent),
		style:  canvas.NewText("", color.White),
		hint:   canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder)),
		shadow: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
	}
	c.img.FillMode = canvas.ImageFillContain
	c.img.SetMinSize(fyne.NewSize(104, 104))
	c.frame.StrokeWidth = 3
	// No corner radius: Fyne 2.7's software painter panics on rounded stroked rectangles partly outside
	// the canvas (headless screenshots scroll cards off-screen).
	c.chip.CornerRadius = 5
	c.style.TextSize = theme.CaptionTextSize()
	c.style.TextStyle.Bold = true
	c.hint.TextSize = theme.CaptionTextSize()
	c.ExtendBaseWidget(c)
	return c
}

func (c *queueCard) CreateRenderer() fyne.WidgetRenderer {
	chip := container.NewStack(c.chip, container.New(layout.NewCustomPaddedLayout(0, 0, 4, 4), c.style))
	c.badge = container.NewBorder(container.NewHBox(chip), nil, nil, nil)
	pic := container.NewStack(c.shadow, c.img, container.NewPadded(c.badge), c.frame)
	return widget.NewSimpleRenderer(container.NewBorder(nil, c.hint, nil, nil, pic))
}

func (c *queueCard) MouseDown(e *desktop.MouseEvent) { c.mods = e.Modifier }
func (c *queueCard) MouseUp(*desktop.MouseEvent)     {}

func (c *queueCard) Tapped(*fyne.PointEvent) {
	shift := c.mods&fyne.KeyModifierShift != 0
	ctrl := c.mods&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0
	c.mods = 0
	if c.onTap != nil {
		c.onTap(c.index, shift, ctrl)
	}
}

// bind shows one product. UI goroutine only.
func (c *queueCard) bind(index int, it labelItem, chipColor color.Color, thumb image.Image, current, selected bool) {
	c.index, c.hash = index, it.row.ImageHash
	c.img.Image = thumb
	c.img.Refresh()
	if it.row.Style != "" {
		// The chip sits inside the badge's padding and has 4 px of its own on each side.
		c.style.Text = fitCaption(it.row.Style, "", true, cardWidth-2*theme.Padding()-8)
		c.style.Color = kit.TextOn(chipColor)
		c.chip.FillColor = chipColor
		c.chip.Show()
		c.style.Show()
	} else {
		c.chip.Hide()
		c.style.Hide()
	}
	c.hint.Text = ""
	if it.row.Style == "" && it.sugg.style != "" {
		c.hint.Text = fitCaption(it.sugg.style, confidenceText(it.sugg), false, cardWidth)
	}
	switch {
	case current:
		c.frame.StrokeColor = theme.Color(theme.ColorNamePrimary)
	case selected:
		c.frame.StrokeColor = theme.Color(theme.ColorNameFocus)
	default:
		c.frame.StrokeColor = color.Transparent
	}
	if selected {
		c.frame.FillColor = theme.Color(theme.ColorNameSelection)
	} else {
		c.frame.FillColor = color.Transparent
	}
	c.frame.Refresh()
	c.chip.Refresh()
	c.style.Refresh()
	c.hint.Refresh()
	if c.badge != nil {
		c.badge.Refresh()
	}
}

// cardWidth is a queue card's width: the GridWrap gives every cell its template's size, which the
// thumbnail's minimum sets.
const cardWidth = 104

// fitCaption is name followed by suffix, with name cut short and ended by "…" where the whole would be
// wider than width at the caption text size (a long style name would run into the next card).
func fitCaption(name, suffix string, bold bool, width float32) string {
	fits := func(s string) bool {
		return fyne.MeasureText(s, theme.CaptionTextSize(), fyne.TextStyle{Bold: bold}).Width <= width
	}
	if fits(name + suffix) {
		return name + suffix
	}
	r := []rune(name)
	for n := len(r) - 1; n > 0; n-- {
		if s := string(r[:n]) + "…" + suffix; fits(s) {
			return s
		}
	}
	return "…" + suffix
}

func (c *queueCard) setThumb(img image.Image) {
	c.img.Image = img
	c.img.Refresh()
}
