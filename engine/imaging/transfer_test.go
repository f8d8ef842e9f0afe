package imaging

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/disintegration/gift"
)

// colourMap is a per-pixel style: what a generator that only recolours would do at any size.
type colourMap func(r, g, b float64) (float64, float64, float64)

// mapped applies f to every pixel of m (flattened on white), rounding and clamping like a generator's output.
func mapped(m image.Image, f colourMap) *image.NRGBA {
	flat := Flatten(m)
	out := image.NewNRGBA(flat.Rect)
	for i := 0; i < len(flat.Pix); i += 4 {
		r, g, b := f(float64(flat.Pix[i]), float64(flat.Pix[i+1]), float64(flat.Pix[i+2]))
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = to8(r), to8(g), to8(b), 255
	}
	return out
}

func to8(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(255, v)))) }

// shift adds a constant to each channel.
func shift(dr, dg, db float64) colourMap {
	return func(r, g, b float64) (float64, float64, float64) { return r + dr, g + dg, b + db }
}

// darkToRed turns dark colours red and keeps white white, linearly in brightness.
func darkToRed(r, g, b float64) (float64, float64, float64) {
	l := (r + g + b) / 3 / 255
	return 200 + 55*l, 30 + 225*l, 30 + 225*l
}

// stylize runs a recolouring "generator" at size n and transfers its result back.
func stylize(t testing.TB, orig image.Image, n int, f colourMap) *image.NRGBA {
	t.Helper()
	low := Square(orig, n)
	out, err := TransferFullRes(orig, low, mapped(low, f))
	if err != nil {
		t.Fatal(err)
	}
	if out.Rect != image.Rect(0, 0, orig.Bounds().Dx(), orig.Bounds().Dy()) {
		t.Fatalf("output bounds %v, want the original's size %v", out.Rect, orig.Bounds().Size())
	}
	return out
}

// bilinearTransfer is the plain alternative to the joint bilateral filter: the change upsampled
// bilinearly with the same geometry. Tests use it to show what the edge-aware filter buys.
func bilinearTransfer(orig image.Image, low, sty *image.NRGBA) *image.NRGBA {
	flat := Flatten(orig)
	w, h := flat.Rect.Dx(), flat.Rect.Dy()
	n := low.Rect.Dx()
	fw, fh := fitSize(w, h, n)
	ox, oy := (n-fw)/2, (n-fh)/2
	at := func(m *image.NRGBA, x, y, c int) float64 { return float64(m.Pix[m.PixOffset(ox+x, oy+y)+c]) }
	out := image.NewNRGBA(flat.Rect)
	for y := 0; y < h; y++ {
		v := max(0, min(float64(fh-1), (float64(y)+0.5)*float64(fh)/float64(h)-0.5))
		y0 := int(v)
		y1, fy := min(y0+1, fh-1), v-float64(y0)
		for x := 0; x < w; x++ {
			u := max(0, min(float64(fw-1), (float64(x)+0.5)*float64(fw)/float64(w)-0.5))
			x0 := int(u)
			x1, fx := min(x0+1, fw-1), u-float64(x0)
			i := flat.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				d := func(x, y int) float64 { return at(sty, x, y, c) - at(low, x, y, c) }
				dv := (1-fy)*((1-fx)*d(x0, y0)+fx*d(x1, y0)) + fy*((1-fx)*d(x0, y1)+fx*d(x1, y1))
				out.Pix[i+c] = to8(float64(flat.Pix[i+c]) + dv)
			}
			out.Pix[i+3] = 255
		}
	}
	return out
}

// meanAbsDiff is the mean absolute colour difference per channel, in levels.
func meanAbsDiff(a, b *image.NRGBA) float64 {
	var s float64
	for i := range a.Pix {
		if i%4 != 3 {
			s += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
		}
	}
	return s / float64(len(a.Pix)/4*3)
}

// productDiff is meanAbsDiff over the pixels where orig is not pure white.
func productDiff(a, b, orig *image.NRGBA) float64 {
	var s float64
	var n int
	for i := 0; i < len(a.Pix); i += 4 {
		if orig.Pix[i] == 255 && orig.Pix[i+1] == 255 && orig.Pix[i+2] == 255 {
			continue
		}
		for c := 0; c < 3; c++ {
			s += math.Abs(float64(a.Pix[i+c]) - float64(b.Pix[i+c]))
		}
		n += 3
	}
	return s / float64(n)
}

// product is a w x h catalogue shot: a navy ellipse with fabric noise and thin white stripes,
// black text bars above it, all on white.
func product(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 1))
	cx, cy, rx, ry := float64(w)/2, float64(h)/2, float64(w)*0.35, float64(h)*0.4
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
			c := color.NRGBA{255, 255, 255, 255}
			switch {
			case y > h/20 && y < h/20+12 && x > w/10 && x < w*9/10 && (x/3)%3 == 0:
				c = color.NRGBA{0, 0, 0, 255}
			case dx*dx+dy*dy < 1 && (y/2)%9 == 0:
				c = color.NRGBA{250, 250, 250, 255}
			case dx*dx+dy*dy < 1:
				g := 40 + 60*y/h + rng.IntN(41) - 20
				c = color.NRGBA{uint8(g / 2), uint8(g / 2), uint8(g + 60), 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func TestTransferOfNoChangeIsTheOriginal(t *testing.T) {
	for _, size := range []image.Point{{300, 200}, {200, 300}, {301, 7}, {64, 64}, {40, 25}} {
		orig := product(size.X, size.Y)
		low := Square(orig, 64)
		out, err := TransferFullRes(orig, low, low)
		if err != nil {
			t.Fatal(err)
		}
		if d := meanAbsDiff(out, orig); d != 0 {
			t.Errorf("%v: unchanged generator output changed the original by %.3f levels on average", size, d)
		}
	}
}

// The original's own edges are kept at full resolution: only the smooth change is resampled.
func TestTransferKeepsSharpEdgesUnderAColourShift(t *testing.T) {
	orig := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x >= 151 || (y > 20 && y < 30 && x%4 == 0) { // a black half and a row of 1-px "text" strokes
				c = color.NRGBA{0, 0, 0, 255}
			}
			orig.SetNRGBA(x, y, c)
		}
	}
	f := shift(40, -40, 0) // white becomes (255, 215, 255), black (40, 0, 0)
	out := stylize(t, orig, 64, f)
	want := mapped(orig, f)
	worst := 0.0
	for i := range out.Pix {
		if y := i / out.Stride; y >= 10 && y < 40 {
			continue // the strokes are below the generator's resolution: checked for contrast below
		}
		worst = math.Max(worst, math.Abs(float64(out.Pix[i])-float64(want.Pix[i])))
	}
	if worst > 3 {
		t.Errorf("a colour shift applied at 64 px differs from the same shift at full size by up to %v levels, want <= 3", worst)
	}
	// Each 1-px stroke stays a dark pixel between light ones.
	for x := 4; x < 148; x += 4 {
		s, l, r := out.NRGBAAt(x, 25), out.NRGBAAt(x-1, 25), out.NRGBAAt(x+1, 25)
		if s.G > 10 || s.R > 60 || l.G < 200 || r.G < 200 {
			t.Fatalf("stroke at x=%d blurred: left %v, stroke %v, right %v", x, l, s, r)
		}
	}
	// The edge between columns 150 and 151 is still a one-pixel step in green (215 to 0).
	y := 100
	if g0, g1 := out.NRGBAAt(150, y).G, out.NRGBAAt(151, y).G; g0 < 212 || g1 > 3 {
		t.Errorf("edge at row %d: green %d then %d, want a full step 215 -> 0", y, g0, g1)
	}
	// Upsampling the generator's output instead would smear the edge over several pixels; the
	// check above is worth something only if it tells the two apart.
	naive := image.NewNRGBA(image.Rect(0, 0, 300, 300)) // the padded square; the content starts at row 50
	gift.New(gift.Resize(300, 300, gift.LinearResampling)).Draw(naive, mapped(Square(orig, 64), f))
	if blurred := transitionWidth(naive, y+50); blurred < 4 {
		t.Fatalf("naive upsampling blurs the edge over only %d pixels; the test scene is too easy", blurred)
	}
	if w := transitionWidth(out, y); w > 0 {
		t.Errorf("edge at row %d spans %d intermediate pixels, want 0", y, w)
	}
}

// transitionWidth counts the pixels of row y with green strictly between 10% and 90% of the
// 215 -> 0 step near column 150.
func transitionWidth(m *image.NRGBA, y int) int {
	n := 0
	for x := 120; x < 180; x++ {
		g := m.NRGBAAt(x, y).G
		if g > 22 && g < 193 {
			n++
		}
	}
	return n
}

// A recolour of the product must stop at its outline: the white background next to it stays
// white instead of taking a low-resolution pixel's worth of tint.
func TestTransferRecolourDoesNotBleedIntoBackground(t *testing.T) {
	inside := image.Rect(100, 60, 220, 180)
	orig := boxOnWhite(320, 240, inside, color.NRGBA{20, 30, 90, 255})
	low := Square(orig, 64)
	sty := mapped(low, darkToRed)
	out, err := TransferFullRes(orig, low, sty)
	if err != nil {
		t.Fatal(err)
	}
	ref := bilinearTransfer(orig, low, sty)
	tinted := func(m *image.NRGBA) int { // background pixels at least 2 px from the product, not white
		n := 0
		for y := 0; y < 240; y++ {
			for x := 0; x < 320; x++ {
				if image.Pt(x, y).In(inside.Inset(-2)) {
					continue
				}
				if c := m.NRGBAAt(x, y); c.R != 255 || c.G != 255 || c.B != 255 {
					n++
				}
			}
		}
		return n
	}
	if n := tinted(ref); n < 500 {
		t.Fatalf("bilinear upsampling tints only %d background pixels; the test scene is too easy", n)
	}
	if n := tinted(out); n != 0 {
		t.Errorf("%d background pixels 2+ px from the product are tinted, want 0 (bilinear: %d)", n, tinted(ref))
	}
	want := mapped(orig, darkToRed).NRGBAAt(160, 120)
	if got := out.NRGBAAt(160, 120); !near(got.R, want.R, 2) || !near(got.G, want.G, 2) || !near(got.B, want.B, 2) {
		t.Errorf("product centre %v, want the recolour %v", got, want)
	}
	for _, p := range []image.Point{inside.Min, {inside.Max.X - 1, inside.Max.Y - 1}} { // the product's own corners
		if got := out.NRGBAAt(p.X, p.Y); got.R < 150 || got.G > 80 {
			t.Errorf("product corner %v is %v, want red", p, got)
		}
	}
}

// On a textured product with colour styles, the transfer is closer to applying the style at full
// resolution than bilinear upsampling of the change (the measurement behind the choice).
func TestTransferBeatsBilinearOnColourStyles(t *testing.T) {
	orig := product(600, 400)
	low := Square(orig, 96)
	for name, f := range map[string]colourMap{
		"dark to red": darkToRed,
		"sepia": func(r, g, b float64) (float64, float64, float64) {
			return .393*r + .769*g + .189*b, .349*r + .686*g + .168*b, .272*r + .534*g + .131*b
		},
	} {
		sty := mapped(low, f)
		ideal := mapped(orig, f)
		out, err := TransferFullRes(orig, low, sty)
		if err != nil {
			t.Fatal(err)
		}
		// Pure white pixels are left out: the white-background rule, not the upsampling, decides them.
		got, ref := productDiff(out, ideal, orig), productDiff(bilinearTransfer(orig, low, sty), ideal, orig)
		t.Logf("%s: mean error %.2f levels (bilinear %.2f)", name, got, ref)
		if got > 0.8*ref {
			t.Errorf("%s: mean error %.2f levels, want clearly below bilinear's %.2f", name, got, ref)
		}
	}
}

func TestTransferKeepsWhiteBackgroundExactlyWhite(t *testing.T) {
	orig := product(240, 160)
	low := Square(orig, 64)
	for _, c := range []struct {
		name  string
		bg    color.NRGBA // what the generator made of the white background
		white bool
	}{
		{"drifted near white", color.NRGBA{250, 249, 253, 255}, true},
		{"just within tolerance", color.NRGBA{248, 255, 255, 255}, true},
		{"clearly tinted", color.NRGBA{200, 220, 255, 255}, false},
	} {
		sty := mapped(low, darkToRed)
		for i := 0; i < len(low.Pix); i += 4 {
			if low.Pix[i] == 255 && low.Pix[i+1] == 255 && low.Pix[i+2] == 255 {
				copy(sty.Pix[i:i+4], []uint8{c.bg.R, c.bg.G, c.bg.B, 255})
			}
		}
		out, err := TransferFullRes(orig, low, sty)
		if err != nil {
			t.Fatal(err)
		}
		corner := out.NRGBAAt(2, 2) // background far from the product
		if isWhite := corner == (color.NRGBA{255, 255, 255, 255}); isWhite != c.white {
			t.Errorf("%s: background %v, want exactly white: %v", c.name, corner, c.white)
		}
		if !c.white && (!near(corner.R, c.bg.R, 2) || !near(corner.G, c.bg.G, 2)) {
			t.Errorf("%s: background %v, want the generator's tint %v", c.name, corner, c.bg)
		}
	}
}

func TestTransferKeepsAlpha(t *testing.T) {
	orig := image.NewNRGBA(image.Rect(0, 0, 120, 90))
	for y := 0; y < 90; y++ {
		for x := 0; x < 120; x++ {
			var c color.NRGBA // transparent background
			switch {
			case x >= 30 && x < 90 && y >= 20 && y < 70:
				c = color.NRGBA{20, 30, 90, 255}
			case x >= 28 && x < 92 && y >= 18 && y < 72: // an anti-aliased rim
				c = color.NRGBA{20, 30, 90, 128}
			case y >= 80: // a soft shadow
				c = color.NRGBA{0, 0, 0, 40}
			}
			orig.SetNRGBA(x, y, c)
		}
	}
	out := stylize(t, orig, 64, darkToRed)
	for i := 3; i < len(out.Pix); i += 4 {
		if out.Pix[i] != orig.Pix[i] {
			x, y := (i/4)%120, (i/4)/120
			t.Fatalf("pixel (%d, %d) has alpha %d, want the original's %d", x, y, out.Pix[i], orig.Pix[i])
		}
	}
	if c := out.NRGBAAt(5, 5); c != (color.NRGBA{255, 255, 255, 0}) {
		t.Errorf("transparent background %v, want transparent white (white where alpha is dropped)", c)
	}
	if c := out.NRGBAAt(60, 45); c.R < 150 || c.G > 80 || c.A != 255 {
		t.Errorf("opaque product %v, want opaque red", c)
	}
	// The same picture as premultiplied RGBA goes through the strip conversion path.
	rgba := image.NewRGBA(orig.Rect)
	for y := 0; y < 90; y++ {
		for x := 0; x < 120; x++ {
			rgba.Set(x, y, orig.At(x, y))
		}
	}
	out2 := stylize(t, rgba, 64, darkToRed)
	for i := range out.Pix {
		if !near(out.Pix[i], out2.Pix[i], 2) && out.Pix[i|3] != 0 {
			t.Fatalf("RGBA original differs from NRGBA original at byte %d: %d vs %d", i, out2.Pix[i], out.Pix[i])
		}
	}
}

// The change lands where the generator made it, for any aspect ratio and bounds origin, and the
// generator's padding never leaks in.
func TestTransferGeometry(t *testing.T) {
	for _, size := range []image.Point{{300, 200}, {200, 300}, {301, 200}, {200, 301}, {7, 301}, {64, 64}} {
		grey := image.NewNRGBA(image.Rect(10, 20, 10+size.X, 20+size.Y))
		for i := range grey.Pix {
			grey.Pix[i] = 128
			if i%4 == 3 {
				grey.Pix[i] = 255
			}
		}
		const n = 64
		low := Square(grey, n)
		fw, fh := fitSize(size.X, size.Y, n)
		content := image.Rect(0, 0, fw, fh).Add(image.Pt((n-fw)/2, (n-fh)/2))
		// The generator adds red to the content's left half (when it has one) and paints its
		// padding black.
		split := fw >= 8
		sty := image.NewNRGBA(low.Rect)
		copy(sty.Pix, low.Pix)
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				i := sty.PixOffset(x, y)
				switch p := image.Pt(x, y); {
				case !p.In(content):
					copy(sty.Pix[i:i+3], []uint8{0, 0, 0})
				case split && x < content.Min.X+fw/2:
					sty.Pix[i] = 228
				}
			}
		}
		out, err := TransferFullRes(grey, low, sty)
		if err != nil {
			t.Fatalf("%v: %v", size, err)
		}
		for _, y := range []int{0, size.Y / 2, size.Y - 1} {
			for _, c := range []struct {
				x     int
				red   uint8
				where string
			}{
				{0, 228, "left edge"}, {size.X / 4, 228, "left quarter"}, {size.X * 3 / 4, 128, "right quarter"}, {size.X - 1, 128, "right edge"},
			} {
				if !split {
					c.red = 128 // too narrow to split: only the padding's black could show
				}
				got := out.NRGBAAt(c.x, y)
				if !near(got.R, c.red, 3) || !near(got.G, 128, 1) || !near(got.B, 128, 1) {
					t.Errorf("%v: %s (%d, %d) is %v, want R %d G 128 B 128", size, c.where, c.x, y, got, c.red)
				}
			}
		}
	}
}

func TestTransferErrors(t *testing.T) {
	orig := product(300, 200)
	low := Square(orig, 64)
	stretched := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	gift.New(gift.Resize(64, 64, gift.LinearResampling)).Draw(stretched, orig)
	for _, c := range []struct {
		name      string
		orig      image.Image
		low, sty  *image.NRGBA
		wantInErr string
	}{
		{"missing output", orig, low, nil, "missing"},
		{"not square", orig, image.NewNRGBA(image.Rect(0, 0, 64, 32)), image.NewNRGBA(image.Rect(0, 0, 64, 32)), "64x32"},
		{"sizes differ", orig, low, Square(orig, 32), "output is 32x32"},
		{"empty original", image.NewNRGBA(image.Rect(0, 0, 0, 10)), low, low, "empty"},
		{"stretched input", orig, stretched, stretched, "imaging.Square"},
	} {
		_, err := TransferFullRes(c.orig, c.low, c.sty)
		if err == nil || !strings.Contains(err.Error(), c.wantInErr) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.wantInErr)
		}
	}
}

// A large original costs little more than the output: it is read in strips.
func TestTransferAllocatesLittleMoreThanTheOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a 6-megapixel image")
	}
	const w, h = 3000, 2000
	nrgba := product(w, h)
	ycc := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i % 251)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 100
	}
	outBytes := uint64(4 * w * h)
	for name, orig := range map[string]image.Image{"NRGBA": nrgba, "YCbCr": ycc} {
		low := Square(orig, 128)
		sty := mapped(low, darkToRed)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out, err := TransferFullRes(orig, low, sty)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s %dx%d: allocated %.1f MB for a %.1f MB output", name, w, h, float64(alloc)/1e6, float64(outBytes)/1e6)
		if alloc > outBytes+outBytes/4 {
			t.Errorf("%s: allocated %d bytes for a %d-byte output, want at most 1.25x", name, alloc, outBytes)
		}
		runtime.KeepAlive(out)
	}
}

// BenchmarkTransferFullRes2000 is a 2000x2000 product photo restyled at 128 px.
func BenchmarkTransferFullRes2000(b *testing.B) {
	orig := product(2000, 2000)
	low := Square(orig, 128)
	sty := mapped(low, darkToRed)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TransferFullRes(orig, low, sty); err != nil {
			b.Fatal(err)
		}
	}
}

// A generator's faint glow around the product and frame along the edge must not tint a white
// background at full resolution; a style that really changes the backdrop changes all of it evenly.
func TestTransferSettlesTheBackdrop(t *testing.T) {
	inside := image.Rect(110, 80, 210, 240)
	orig := boxOnWhite(320, 320, inside, color.NRGBA{40, 120, 60, 255})
	low := Square(orig, 64)
	inLow := image.Rect(22, 16, 42, 48) // the product at 64 px
	// The generator: recolours the product, leaves a pink glow up to 4 px around it and a grey frame
	// along the edge, and shifts the whole backdrop by backdrop (per channel).
	generator := func(backdrop [3]float64) *image.NRGBA {
		out := image.NewNRGBA(low.Rect)
		for y := 0; y < 64; y++ {
			for x := 0; x < 64; x++ {
				p := image.Pt(x, y)
				s := low.NRGBAAt(x, y)
				r, g, b := float64(s.R)+backdrop[0], float64(s.G)+backdrop[1], float64(s.B)+backdrop[2]
				switch {
				case p.In(inLow):
					r, g, b = float64(s.R)+120, float64(s.G)-60, float64(s.B)+40
				case p.In(inLow.Inset(-4)):
					r, g, b = r-5, g-45, b-25 // the glow
				case x < 2 || y < 2 || x > 61 || y > 61:
					r, g, b = r-30, g-30, b-30 // the frame
				}
				out.SetNRGBA(x, y, color.NRGBA{to8(r), to8(g), to8(b), 255})
			}
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		backdrop [3]float64
		want     color.NRGBA
	}{
		{"white stays white", [3]float64{0, 0, 0}, color.NRGBA{255, 255, 255, 255}},
		{"cream backdrop", [3]float64{-10, -25, -60}, color.NRGBA{245, 230, 195, 255}},
	} {
		out, err := TransferFullRes(orig, low, generator(tc.backdrop))
		if err != nil {
			t.Fatal(err)
		}
		off := 0
		for y := 0; y < 320; y++ {
			for x := 0; x < 320; x++ {
				if image.Pt(x, y).In(inside.Inset(-3)) {
					continue
				}
				if c := out.NRGBAAt(x, y); !near(c.R, tc.want.R, 1) || !near(c.G, tc.want.G, 1) || !near(c.B, tc.want.B, 1) {
					off++
				}
			}
		}
		if off != 0 {
			t.Errorf("%s: %d background pixels 3+ px from the product are not %v (e.g. next to it: %v, in a corner: %v)",
				tc.name, off, tc.want, out.NRGBAAt(inside.Max.X+8, 160), out.NRGBAAt(2, 2))
		}
		if c := out.NRGBAAt(160, 160); !near(c.R, 160, 3) || !near(c.G, 60, 3) || !near(c.B, 100, 3) {
			t.Errorf("%s: product centre %v, want the recolour (160, 60, 100)", tc.name, c)
		}
	}
}

// SettleBackdrop evens the change over the backdrop at preview size and leaves the product's pixels
// and the padding exactly as the generator made them.
func TestSettleBackdropAtPreviewSize(t *testing.T) {
	orig := image.NewNRGBA(image.Rect(0, 0, 200, 100)) // landscape: Square pads above and below
	for y := 0; y < 100; y++ {
		for x := 0; x < 200; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x >= 80 && x < 120 && y >= 30 && y < 70 {
				c = color.NRGBA{30, 60, 200, 255}
			}
			orig.SetNRGBA(x, y, c)
		}
	}
	low := Square(orig, 64)
	content := SquareContent(200, 100, 64)
	gen := image.NewNRGBA(low.Rect)
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			s := low.NRGBAAt(x, y)
			c := color.NRGBA{s.R - 20, s.G - 20, s.B - 40, 255} // a cream-ish backdrop everywhere
			if s.B == 200 && s.R == 30 {
				c = color.NRGBA{200, 40, 40, 255} // the product turns red
			} else if x >= 22 && x < 42 && y >= 22 && y < 42 && (x < 25 || x >= 39 || y < 25 || y >= 39) {
				c = color.NRGBA{250, 160, 200, 255} // a pink glow next to it
			}
			gen.SetNRGBA(x, y, c)
		}
	}
	out, err := SettleBackdrop(orig, low, gen, content)
	if err != nil {
		t.Fatal(err)
	}
	if c := out.NRGBAAt(23, 32); c != (color.NRGBA{235, 235, 215, 255}) {
		t.Errorf("glow pixel %v, want the backdrop's change (235, 235, 215)", c)
	}
	if c := out.NRGBAAt(32, 32); c != gen.NRGBAAt(32, 32) {
		t.Errorf("product pixel %v changed from the generator's %v", c, gen.NRGBAAt(32, 32))
	}
	if c := out.NRGBAAt(5, 2); c != gen.NRGBAAt(5, 2) { // padding above the content
		t.Errorf("padding pixel %v changed from the generator's %v", c, gen.NRGBAAt(5, 2))
	}
	if _, err := SettleBackdrop(orig, low, image.NewNRGBA(image.Rect(0, 0, 32, 32)), content); err == nil {
		t.Error("an output of another size was accepted")
	}
}

// boxOnWhite is a w×h white picture with box filled in c: a product on a white background.
func boxOnWhite(w, h int, box image.Rectangle, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := color.NRGBA{255, 255, 255, 255}
			if image.Pt(x, y).In(box) {
				p = c
			}
			m.SetNRGBA(x, y, p)
		}
	}
	return m
}
