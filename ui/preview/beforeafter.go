package preview

import (
	"image"
	"image/color"
	"math"

	"stylestudio/ui/kit"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// compareMode is how a beforeAfter widget shows its two images.
type compareMode int

const (
	modeDivider    compareMode = iota // one picture: before left of a draggable divider, after right of it
	modeSideBySide                    // two pictures next to each other
)

const (
	maxZoom       = 16
	dividerGrab   = 18 // how near the divider (in Fyne units) a drag moves it rather than panning
	sideBySideGap = 6
)

// beforeAfter compares an original with its stylized version: a draggable divider, or side by side.
// Both sides always share one zoom and one pan position, so they stay in sync. Drag the divider to
// move it, drag elsewhere to pan, scroll to zoom; ZoomIn, ZoomOut and Fit do the same from buttons.
// The two images may differ in size (the preview-size result and the full-resolution original): both
// are drawn over the same area.
type beforeAfter struct {
	widget.BaseWidget

	before, after *image.NRGBA
	mode          compareMode
	divider       float64 // 0..1 of the width (divider mode)
	zoom          float64 // 1 = the whole image fits
	cx, cy        float64 // the image point (0..1) at the centre of each pane
	dragging      int     // 0 none, 1 divider, 2 pan
	onZoom        func(zoom float64)

	raster     *canvas.Raster
	beforeText *canvas.Text
	afterText  *canvas.Text
	beforeBg   *canvas.Rectangle // dark pills behind the labels, legible on any picture
	afterBg    *canvas.Rectangle
	empty      *canvas.Text
}

func newBeforeAfter() *beforeAfter {
	b := &beforeAfter{divider: 0.5, zoom: 1, cx: 0.5, cy: 0.5}
	b.raster = canvas.NewRaster(b.draw)
	b.beforeText = canvas.NewText("Before", color.White)
	b.afterText = canvas.NewText("After", color.White)
	for _, t := range []*canvas.Text{b.beforeText, b.afterText} {
		t.TextStyle.Bold = true
		t.TextSize = theme.CaptionTextSize()
	}
	b.beforeBg = canvas.NewRectangle(color.NRGBA{0, 0, 0, 0x99})
	b.afterBg = canvas.NewRectangle(color.NRGBA{0, 0, 0, 0x99})
	b.beforeBg.CornerRadius, b.afterBg.CornerRadius = 4, 4
	b.empty = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	b.empty.Alignment = fyne.TextAlignCenter
	b.ExtendBaseWidget(b)
	return b
}

// SetImages sets both pictures (either may be nil) and keeps zoom, pan and divider.
func (b *beforeAfter) SetImages(before, after image.Image) {
	b.before, b.after = nrgbaOrNil(before), nrgbaOrNil(after)
	b.Refresh()
}

// SetAfter replaces the stylized picture (preview size, then full resolution, then adjusted).
func (b *beforeAfter) SetAfter(after image.Image) {
	b.after = nrgbaOrNil(after)
	b.Refresh()
}

// SetBefore replaces the left picture (the original, or the real drawing it is compared with).
func (b *beforeAfter) SetBefore(before image.Image) {
	b.before = nrgbaOrNil(before)
	b.Refresh()
}

// SetLabels names the two sides ("Before" and "After" at first).
func (b *beforeAfter) SetLabels(before, after string) {
	b.beforeText.Text, b.afterText.Text = before, after
	b.Refresh()
}

// Labels are the names the two sides show.
func (b *beforeAfter) Labels() (before, after string) { return b.beforeText.Text, b.afterText.Text }

// SetEmptyText is shown when there is no picture.
func (b *beforeAfter) SetEmptyText(s string) {
	b.empty.Text = s
	b.Refresh()
}

func nrgbaOrNil(img image.Image) *image.NRGBA {
	if img == nil {
		return nil
	}
	return kit.ToNRGBAImage(img)
}

// SetMode switches between the divider and side by side.
func (b *beforeAfter) SetMode(m compareMode) {
	b.mode = m
	b.Refresh()
}

// SetDivider moves the divider (0..1 of the width).
func (b *beforeAfter) SetDivider(f float64) {
	b.divider = math.Max(0, math.Min(1, f))
	b.Refresh()
}

// Divider is the divider's position (0..1).
func (b *beforeAfter) Divider() float64 { return b.divider }

// Zoom is the magnification (1 = fit).
func (b *beforeAfter) Zoom() float64 { return b.zoom }

// Center is the image point (0..1) shown at the centre of each pane.
func (b *beforeAfter) Center() (float64, float64) { return b.cx, b.cy }

// SetZoom sets the magnification (1..16), keeping the centre.
func (b *beforeAfter) SetZoom(z float64) {
	b.zoom = math.Max(1, math.Min(maxZoom, z))
	if b.zoom == 1 {
		b.cx, b.cy = 0.5, 0.5
	}
	b.clampCenter()
	if b.onZoom != nil {
		b.onZoom(b.zoom)
	}
	b.Refresh()
}

func (b *beforeAfter) ZoomIn()  { b.SetZoom(b.zoom * 1.5) }
func (b *beforeAfter) ZoomOut() { b.SetZoom(b.zoom / 1.5) }
func (b *beforeAfter) Fit()     { b.SetZoom(1) }

// Pan moves the view by (dx, dy) Fyne units, as a drag does.
func (b *beforeAfter) Pan(dx, dy float32) {
	s := b.unitsPerImage()
	if s <= 0 {
		return
	}
	rw, rh := b.refSize()
	b.cx -= float64(dx) / (s * float64(rw))
	b.cy -= float64(dy) / (s * float64(rh))
	b.clampCenter()
	b.Refresh()
}

// clampCenter keeps the view over the image.
func (b *beforeAfter) clampCenter() {
	half := 0.5 / b.zoom
	b.cx = math.Max(half, math.Min(1-half, b.cx))
	b.cy = math.Max(half, math.Min(1-half, b.cy))
}

// refSize is the reference image's size in pixels (the before picture, else the after one).
func (b *beforeAfter) refSize() (int, int) {
	switch {
	case b.before != nil:
		return b.before.Rect.Dx(), b.before.Rect.Dy()
	case b.after != nil:
		return b.after.Rect.Dx(), b.after.Rect.Dy()
	}
	return 0, 0
}

// paneSize is one pane's size in Fyne units.
func (b *beforeAfter) paneSize() fyne.Size {
	sz := b.Size()
	if b.mode == modeSideBySide {
		return fyne.NewSize((sz.Width-sideBySideGap)/2, sz.Height)
	}
	return sz
}

// unitsPerImage is how many Fyne units one reference-image pixel covers.
func (b *beforeAfter) unitsPerImage() float64 {
	rw, rh := b.refSize()
	p := b.paneSize()
	if rw == 0 || rh == 0 || p.Width <= 0 || p.Height <= 0 {
		return 0
	}
	return math.Min(float64(p.Width)/float64(rw), float64(p.Height)/float64(rh)) * b.zoom
}

// Dragged moves the divider when the drag starts near it (divider mode), and pans otherwise.
func (b *beforeAfter) Dragged(e *fyne.DragEvent) {
	w := float64(b.Size().Width)
	if b.dragging == 0 {
		b.dragging = 2
		// Where the drag began: the pointer has already moved by e.Dragged.
		start := float64(e.Position.X - e.Dragged.DX)
		if b.mode == modeDivider && math.Abs(start-b.divider*w) <= dividerGrab {
			b.dragging = 1
		}
	}
	if b.dragging == 1 && w > 0 {
		b.SetDivider(float64(e.Position.X) / w)
		return
	}
	b.Pan(e.Dragged.DX, e.Dragged.DY)
}

func (b *beforeAfter) DragEnd() { b.dragging = 0 }

// Tapped moves the divider to the tap (divider mode).
func (b *beforeAfter) Tapped(e *fyne.PointEvent) {
	if b.mode == modeDivider && b.Size().Width > 0 {
		b.SetDivider(float64(e.Position.X / b.Size().Width))
	}
}

// Scrolled zooms in and out.
func (b *beforeAfter) Scrolled(e *fyne.ScrollEvent) {
	if e.Scrolled.DY > 0 {
		b.SetZoom(b.zoom * 1.15)
	} else if e.Scrolled.DY < 0 {
		b.SetZoom(b.zoom / 1.15)
	}
}

func (b *beforeAfter) MinSize() fyne.Size { return fyne.NewSize(240, 200) }

func (b *beforeAfter) CreateRenderer() fyne.WidgetRenderer {
	return &beforeAfterRenderer{b: b}
}

type beforeAfterRenderer struct{ b *beforeAfter }

func (r *beforeAfterRenderer) Layout(size fyne.Size) {
	b := r.b
	b.raster.Resize(size)
	b.raster.Move(fyne.NewPos(0, 0))
	pad := theme.Padding() * 2
	in := theme.Padding()
	bs, as := b.beforeText.MinSize(), b.afterText.MinSize()
	b.beforeText.Move(fyne.NewPos(pad+in, pad+in/2))
	b.beforeText.Resize(bs)
	b.beforeBg.Move(fyne.NewPos(pad, pad))
	b.beforeBg.Resize(fyne.NewSize(bs.Width+2*in, bs.Height+in))
	b.afterText.Move(fyne.NewPos(size.Width-as.Width-pad-in, pad+in/2))
	b.afterText.Resize(as)
	b.afterBg.Move(fyne.NewPos(size.Width-as.Width-pad-2*in, pad))
	b.afterBg.Resize(fyne.NewSize(as.Width+2*in, as.Height+in))
	b.empty.Resize(fyne.NewSize(size.Width, b.empty.MinSize().Height))
	b.empty.Move(fyne.NewPos(0, (size.Height-b.empty.MinSize().Height)/2))
}

func (r *beforeAfterRenderer) MinSize() fyne.Size { return r.b.MinSize() }

func (r *beforeAfterRenderer) Refresh() {
	b := r.b
	has := b.before != nil || b.after != nil
	for _, o := range []fyne.CanvasObject{b.beforeText, b.afterText, b.beforeBg, b.afterBg} {
		if has {
			o.Show()
		} else {
			o.Hide()
		}
	}
	if has {
		b.empty.Hide()
	} else {
		b.empty.Show()
	}
	b.empty.Color = theme.Color(theme.ColorNamePlaceHolder)
	r.Layout(b.Size())
	b.raster.Refresh()
	b.beforeText.Refresh()
	b.afterText.Refresh()
	b.empty.Refresh()
}

func (r *beforeAfterRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.b.raster, r.b.beforeBg, r.b.beforeText, r.b.afterBg, r.b.afterText, r.b.empty}
}

func (r *beforeAfterRenderer) Destroy() {}

// draw renders the comparison at w×h pixels.
func (b *beforeAfter) draw(w, h int) image.Image {
	out := image.NewNRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	bg := kit.OpaqueOver(theme.Color(theme.ColorNameInputBackground), theme.Color(theme.ColorNameBackground))
	fillNRGBA(out, bg)
	rw, rh := b.refSize()
	if rw == 0 || rh == 0 || w < 2 || h < 2 {
		return out
	}
	sz := b.Size()
	px := float64(w) / math.Max(float64(sz.Width), 1) // pixels per Fyne unit
	switch b.mode {
	case modeSideBySide:
		gap := int(sideBySideGap * px)
		pw := (w - gap) / 2
		b.drawPane(out, image.Rect(0, 0, pw, h), b.before, -1)
		b.drawPane(out, image.Rect(pw+gap, 0, w, h), b.after, -1)
	default:
		split := int(b.divider * float64(w))
		b.drawPane(out, image.Rect(0, 0, w, h), b.before, split)
		b.drawPaneFrom(out, image.Rect(0, 0, w, h), b.after, split)
		b.drawDivider(out, split, px)
	}
	return out
}

// drawPane draws img over the pane r; with split >= 0 only the pixels left of split.
func (b *beforeAfter) drawPane(out *image.NRGBA, r image.Rectangle, img *image.NRGBA, split int) {
	x1 := r.Max.X
	if split >= 0 {
		x1 = min(x1, split)
	}
	b.sample(out, r, img, r.Min.X, x1)
}

// drawPaneFrom draws img over the pane r from split to the right edge.
func (b *beforeAfter) drawPaneFrom(out *image.NRGBA, r image.Rectangle, img *image.NRGBA, split int) {
	b.sample(out, r, img, max(r.Min.X, split), r.Max.X)
}

// sample fills columns [x0, x1) of pane r with img under the shared zoom and pan (bilinear).
func (b *beforeAfter) sample(out *image.NRGBA, r image.Rectangle, img *image.NRGBA, x0, x1 int) {
	if img == nil || x0 >= x1 {
		return
	}
	rw, rh := b.refSize()
	pw, ph := float64(r.Dx()), float64(r.Dy())
	s := math.Min(pw/float64(rw), ph/float64(rh)) * b.zoom // pane pixels per reference pixel
	iw, ih := img.Rect.Dx(), img.Rect.Dy()
	// img pixels per reference pixel. An image of another shape (a real drawing beside the original)
	// fits the reference area, centred, rather than being stretched to it; one of the same shape but
	// for rounding (the preview-size result, within a pixel) covers it exactly.
	kx, ky := float64(iw)/float64(rw), float64(ih)/float64(rh)
	var ox, oy float64
	if math.Abs(float64(ih)-float64(iw)*float64(rh)/float64(rw)) > 1 && math.Abs(float64(iw)-float64(ih)*float64(rw)/float64(rh)) > 1 {
		k := math.Max(kx, ky)
		kx, ky = k, k
		ox, oy = (float64(iw)-k*float64(rw))/2, (float64(ih)-k*float64(rh))/2
	}
	cx, cy := b.cx*float64(rw), b.cy*float64(rh)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		ry := cy + (float64(y-r.Min.Y)+0.5-ph/2)/s
		iy := ry*ky + oy
		if ry < 0 || ry >= float64(rh) || iy < 0 || iy >= float64(ih) {
			continue
		}
		fy := iy - 0.5
		row := out.Pix[out.PixOffset(0, y):]
		for x := x0; x < x1; x++ {
			rx := cx + (float64(x-r.Min.X)+0.5-pw/2)/s
			ix := rx*kx + ox
			if rx < 0 || rx >= float64(rw) || ix < 0 || ix >= float64(iw) {
				continue
			}
			c := bilinear(img, ix-0.5, fy)
			o := row[4*x : 4*x+4 : 4*x+4]
			a := uint32(c[3])
			o[0] = uint8((uint32(c[0])*a + uint32(o[0])*(255-a)) / 255)
			o[1] = uint8((uint32(c[1])*a + uint32(o[1])*(255-a)) / 255)
			o[2] = uint8((uint32(c[2])*a + uint32(o[2])*(255-a)) / 255)
			o[3] = 0xff
		}
	}
}

// bilinear samples img at (x, y) in pixel-centre coordinates, clamped at the edges.
func bilinear(img *image.NRGBA, x, y float64) [4]uint8 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	x = math.Max(0, math.Min(float64(w-1), x))
	y = math.Max(0, math.Min(float64(h-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	p := func(xx, yy int) []uint8 { i := yy*img.Stride + 4*xx; return img.Pix[i : i+4] }
	a, bb, c, d := p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1)
	var out [4]uint8
	for k := 0; k < 4; k++ {
		top := float64(a[k])*(1-fx) + float64(bb[k])*fx
		bot := float64(c[k])*(1-fx) + float64(d[k])*fx
		out[k] = uint8(top*(1-fy) + bot*fy + 0.5)
	}
	return out
}

// drawDivider draws the divider line with a round handle in the middle.
func (b *beforeAfter) drawDivider(out *image.NRGBA, x int, px float64) {
	h := out.Rect.Dy()
	lw := max(2, int(2*px))
	dark := color.NRGBA{0, 0, 0, 0x70}
	for y := 0; y < h; y++ {
		kit.Blend(out, x-lw/2-1, y, dark)
		for d := 0; d < lw; d++ {
			kit.Blend(out, x-lw/2+d, y, color.NRGBA{0xff, 0xff, 0xff, 0xff})
		}
		kit.Blend(out, x-lw/2+lw, y, dark)
	}
	rad := 11 * px
	cy := float64(h) / 2
	for y := int(cy - rad - 2); y <= int(cy+rad+2); y++ {
		for xx := int(float64(x) - rad - 2); xx <= int(float64(x)+rad+2); xx++ {
			d := math.Hypot(float64(xx)-float64(x), float64(y)-cy)
			switch {
			case d <= rad-1.5*px:
				kit.Blend(out, xx, y, color.NRGBA{0xff, 0xff, 0xff, 0xff})
			case d <= rad:
				kit.Blend(out, xx, y, color.NRGBA{0x30, 0x30, 0x30, 0xc0})
			}
		}
	}
	// Two small arrows on the handle: ◀ ▶.
	ar := int(4 * px)
	for i := 0; i <= ar; i++ {
		for j := -i; j <= i; j++ {
			kit.Blend(out, x-int(2*px)-ar+i, int(cy)+j, color.NRGBA{0x30, 0x30, 0x30, 0xff})
			kit.Blend(out, x+int(2*px)+ar-i, int(cy)+j, color.NRGBA{0x30, 0x30, 0x30, 0xff})
		}
	}
}

func fillNRGBA(img *image.NRGBA, c color.NRGBA) {
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
}
