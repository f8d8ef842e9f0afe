package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/disintegration/gift"
)

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// solid returns a w x h NRGBA filled with c.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func near(a, b uint8, tol int) bool {
	d := int(a) - int(b)
	return d >= -tol && d <= tol
}

func nearColor(t *testing.T, what string, got color.Color, want color.NRGBA, tol int) {
	t.Helper()
	g := color.NRGBAModel.Convert(got).(color.NRGBA)
	if !near(g.R, want.R, tol) || !near(g.G, want.G, tol) || !near(g.B, want.B, tol) || !near(g.A, want.A, tol) {
		t.Errorf("%s: got %v, want %v (±%d)", what, g, want, tol)
	}
}

var (
	red   = color.NRGBA{255, 0, 0, 255}
	blue  = color.NRGBA{0, 0, 255, 255}
	white = color.NRGBA{255, 255, 255, 255}
)

func TestDecodeEachFormat(t *testing.T) {
	src := solid(30, 20, red)
	for x := 15; x < 30; x++ {
		for y := 0; y < 20; y++ {
			src.SetNRGBA(x, y, blue)
		}
	}

	// GIF with two frames: Decode must return the first.
	pal := color.Palette{red, blue, color.NRGBA{0, 255, 0, 255}}
	f1 := image.NewPaletted(image.Rect(0, 0, 30, 20), pal)
	for y := 0; y < 20; y++ {
		for x := 15; x < 30; x++ {
			f1.SetColorIndex(x, y, 1)
		}
	}
	f2 := image.NewPaletted(image.Rect(0, 0, 30, 20), pal)
	for i := range f2.Pix {
		f2.Pix[i] = 2
	}
	var gifBuf bytes.Buffer
	if err := gif.EncodeAll(&gifBuf, &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{10, 10}}); err != nil {
		t.Fatal(err)
	}

	webpAlpha, err := os.ReadFile("testdata/alpha-lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpLossy, err := os.ReadFile("testdata/opaque-lossy.webp")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		data       []byte
		format     string
		w, h       int
		left       image.Point
		leftColor  color.NRGBA
		right      image.Point
		rightColor color.NRGBA
		tol        int
	}{
		{"png", pngBytes(t, src), "png", 30, 20, image.Pt(2, 10), red, image.Pt(27, 10), blue, 0},
		{"jpeg", jpegBytes(t, src), "jpeg", 30, 20, image.Pt(2, 10), red, image.Pt(27, 10), blue, 12},
		{"gif first frame", gifBuf.Bytes(), "gif", 30, 20, image.Pt(2, 10), red, image.Pt(27, 10), blue, 0},
		{"webp lossless alpha", webpAlpha, "webp", 8, 6, image.Pt(1, 3), red, image.Pt(6, 3), blue, 0},
		{"webp lossy", webpLossy, "webp", 16, 12, image.Pt(0, 0), color.NRGBA{0, 0, 128, 255}, image.Pt(15, 11), color.NRGBA{240, 220, 128, 255}, 24},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, format, err := Decode(tc.data, 0)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if format != tc.format {
				t.Errorf("format = %q, want %q", format, tc.format)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Errorf("size = %v, want %dx%d", b.Size(), tc.w, tc.h)
			}
			nearColor(t, "left", img.At(tc.left.X, tc.left.Y), tc.leftColor, tc.tol)
			nearColor(t, "right", img.At(tc.right.X, tc.right.Y), tc.rightColor, tc.tol)
		})
	}

	// The transparent top row of the WebP survives decoding and flattens to white.
	img, _, _ := Decode(webpAlpha, 0)
	if _, _, _, a := img.At(3, 0).RGBA(); a != 0 {
		t.Errorf("webp top row alpha = %d, want 0", a)
	}
	nearColor(t, "flattened webp top row", Flatten(img).At(3, 0), white, 0)
}

// pngHeaderBomb builds a PNG whose IHDR (with a valid CRC) claims w x h RGBA pixels,
// followed by a tiny IDAT and IEND.
func pngHeaderBomb(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		buf.Write(n[:])
		body := append([]byte(typ), data...)
		buf.Write(body)
		binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(body))
		buf.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth
	ihdr[9] = 6 // colour type RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return buf.Bytes()
}

func TestDecodeRefusesHeaderBombBeforeAllocating(t *testing.T) {
	bomb := pngHeaderBomb(50000, 50000)
	// The header itself must be well-formed: the standard library reads its size.
	cfg, err := png.DecodeConfig(bytes.NewReader(bomb))
	if err != nil || cfg.Width != 50000 || cfg.Height != 50000 {
		t.Fatalf("crafted header not valid: %v %+v", err, cfg)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	img, _, err := Decode(bomb, 0)
	runtime.ReadMemStats(&after)

	if img != nil || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Decode = %v, %v; want ErrTooLarge", img, err)
	}
	for _, want := range []string{"50000x50000", "2.5 gigapixels", pixelWords(DefaultMaxPixels), "resize"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// Decoding would need 10 GB; refusing it must cost next to nothing.
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", got)
	}
}

func TestDecodeRefusesJPEGHeaderBomb(t *testing.T) {
	data := jpegBytes(t, solid(8, 8, red))
	// Patch the SOF0 frame header's height and width.
	i := bytes.Index(data, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(data[i+5:], 60000)
	binary.BigEndian.PutUint16(data[i+7:], 60000)
	_, _, err := Decode(data, 0)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "60000x60000") {
		t.Fatalf("err = %v, want ErrTooLarge naming 60000x60000", err)
	}
}

func TestDecodeHonoursMaxPixels(t *testing.T) {
	data := pngBytes(t, solid(100, 100, red))
	if _, _, err := Decode(data, 10_000); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	_, _, err := Decode(data, 9_999)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "100x100 pixels (10000 pixels)") {
		t.Errorf("message %q", err)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	good := pngBytes(t, solid(64, 64, red))
	flipped := bytes.Clone(good)
	idat := bytes.Index(flipped, []byte("IDAT"))
	flipped[idat+8] ^= 0xff // damage compressed data; the CRC no longer matches

	jp := jpegBytes(t, solid(64, 64, red))
	garbled := bytes.Clone(jp)
	for i := len(garbled) / 2; i < len(garbled)-2; i++ {
		garbled[i] = 0xff
	}

	cases := map[string][]byte{
		"png truncated":        good[:len(good)/2],
		"png bad data":         flipped,
		"png header only":      good[:8],
		"jpeg truncated":       jp[:len(jp)/2],
		"jpeg garbled":         garbled,
		"gif header only":      []byte("GIF89a"),
		"webp header only":     []byte("RIFF\x10\x00\x00\x00WEBPVP8 "),
		"png zero-size header": pngHeaderBomb(0, 10),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			img, _, err := Decode(data, 0)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode = %v, %v; want ErrCorrupt", img, err)
			}
			if errors.Is(err, ErrNotImage) || errors.Is(err, ErrTooLarge) {
				t.Errorf("error %v matches more than one kind", err)
			}
			if !strings.Contains(err.Error(), "again") {
				t.Errorf("message %q does not say what to do", err)
			}
		})
	}
}

func TestDecodeNotImage(t *testing.T) {
	// What a text file renamed photo.png contains: Decode looks at bytes, not names.
	cases := map[string][]byte{
		"text":  []byte("sku,title\nA1,Blue dress\n"),
		"html":  []byte("<!doctype html><title>404</title>"),
		"empty": nil,
		"BM...": []byte("BMW parts catalogue, page 2 of 7, see attached"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Decode(data, 0)
			if !errors.Is(err, ErrNotImage) {
				t.Fatalf("err = %v, want ErrNotImage", err)
			}
		})
	}
}

func TestDecodeUnsupported(t *testing.T) {
	// Without libvips, TIFF and HEIC files are refused for their format, saying what to install; with
	// it, these cut-off headers are damaged files.
	for name, data := range map[string][]byte{
		"tiff": []byte("II*\x00\x08\x00\x00\x00rest of a tiff"),
		"heic": []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"),
	} {
		_, _, err := Decode(data, 0)
		want := ErrCorrupt
		if Backend() == "Go" {
			want = ErrUnsupported
		}
		if !errors.Is(err, want) || !strings.Contains(err.Error(), strings.ToUpper(name)) {
			t.Errorf("%s: err = %v, want %v naming the format", name, err, want)
		}
		if want == ErrUnsupported && !strings.Contains(err.Error(), "install libvips-dev") {
			t.Errorf("%s: %q does not say what to install", name, err)
		}
	}
	cases := map[string][]byte{
		"bmp": append([]byte("BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"), make([]byte, 60)...),
		"animated webp": append([]byte("RIFF\x30\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00"),
			make([]byte, 20)...),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Decode(data, 0)
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
			if !strings.Contains(err.Error(), "PNG") {
				t.Errorf("message %q does not name a format to use", err)
			}
		})
	}
}

func TestFlattenCompositesOnWhite(t *testing.T) {
	m := image.NewNRGBA(image.Rect(10, 10, 14, 11)) // bounds not at the origin
	m.SetNRGBA(10, 10, color.NRGBA{0, 0, 0, 0})     // transparent black → white
	m.SetNRGBA(11, 10, color.NRGBA{255, 0, 0, 0})   // transparent red → white
	m.SetNRGBA(12, 10, color.NRGBA{255, 0, 0, 128}) // half red → pink
	m.SetNRGBA(13, 10, color.NRGBA{0, 0, 255, 255}) // opaque stays
	out := Flatten(m)
	if out.Rect != image.Rect(0, 0, 4, 1) {
		t.Fatalf("bounds = %v", out.Rect)
	}
	nearColor(t, "transparent black", out.At(0, 0), white, 0)
	nearColor(t, "transparent red", out.At(1, 0), white, 0)
	nearColor(t, "half red", out.At(2, 0), color.NRGBA{255, 127, 127, 255}, 1)
	nearColor(t, "opaque blue", out.At(3, 0), blue, 0)

	// Paletted images (GIF) with a transparent index.
	p := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.Transparent, red})
	p.SetColorIndex(1, 0, 1)
	fp := Flatten(p)
	nearColor(t, "paletted transparent", fp.At(0, 0), white, 0)
	nearColor(t, "paletted red", fp.At(1, 0), red, 0)

	// Premultiplied RGBA and opaque YCbCr go through other paths.
	r := image.NewRGBA(image.Rect(0, 0, 1, 1))
	r.SetRGBA(0, 0, color.RGBA{0, 0, 0, 0})
	nearColor(t, "rgba transparent", Flatten(r).At(0, 0), white, 0)
	y := image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio420)
	for i := range y.Y {
		y.Y[i] = 0
	}
	for i := range y.Cb {
		y.Cb[i], y.Cr[i] = 128, 128
	}
	nearColor(t, "ycbcr black", Flatten(y).At(1, 1), color.NRGBA{0, 0, 0, 255}, 1)
}

func TestPadSquareCentresWithoutStretching(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 200; x++ {
			src.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	bg := color.NRGBA{10, 20, 30, 255}
	out := PadSquare(src, bg)
	if out.Rect != image.Rect(0, 0, 200, 200) {
		t.Fatalf("bounds = %v, want 200x200", out.Rect)
	}
	for y := 0; y < 200; y++ {
		for x := 0; x < 200; x++ {
			got := out.NRGBAAt(x, y)
			want := bg
			if y >= 50 && y < 150 {
				want = src.NRGBAAt(x, y-50)
			}
			if got != want {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}

func TestPadSquareTall(t *testing.T) {
	src := solid(3, 6, red)
	out := PadSquare(src, white)
	if out.Rect != image.Rect(0, 0, 6, 6) {
		t.Fatalf("bounds = %v", out.Rect)
	}
	for x := 0; x < 6; x++ {
		want := white
		if x >= 1 && x < 4 {
			want = red
		}
		if got := out.NRGBAAt(x, 2); got != want {
			t.Errorf("x=%d: %v, want %v", x, got, want)
		}
	}
}

func TestSquareThumbnail(t *testing.T) {
	// A wide red bar on a transparent canvas: 200x100, bar fills it.
	src := solid(200, 100, red)
	src.SetNRGBA(0, 0, color.NRGBA{}) // one transparent pixel forces the Flatten path
	out := Square(src, 160)
	if out.Rect != image.Rect(0, 0, 160, 160) {
		t.Fatalf("bounds = %v", out.Rect)
	}
	// 200x100 fits as 160x80, centred: rows 40..119 are picture, the rest white padding.
	nearColor(t, "top padding", out.At(80, 10), white, 0)
	nearColor(t, "bottom padding", out.At(80, 150), white, 0)
	nearColor(t, "centre", out.At(80, 80), red, 0)
	nearColor(t, "picture top row", out.At(80, 41), red, 2)
	nearColor(t, "picture left column", out.At(1, 80), red, 2)
	for _, p := range []image.Point{{0, 0}, {159, 159}, {80, 80}} {
		if a := out.NRGBAAt(p.X, p.Y).A; a != 255 {
			t.Errorf("alpha at %v = %d, want opaque", p, a)
		}
	}

	// Opaque JPEG-like input (YCbCr) takes the no-Flatten path, and the serial variant matches.
	img, _, err := Decode(jpegBytes(t, solid(90, 300, blue)), 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := Square(img, 64), SquareSerial(img, 64)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("Square and SquareSerial differ")
	}
	nearColor(t, "tall padding", a.At(2, 32), white, 0)
	nearColor(t, "tall centre", a.At(32, 32), blue, 12)
}

func TestEncodePNGRoundTrip(t *testing.T) {
	src := solid(5, 4, color.NRGBA{1, 2, 3, 255})
	data, err := EncodePNG(src)
	if err != nil {
		t.Fatal(err)
	}
	img, format, err := Decode(data, 0)
	if err != nil || format != "png" {
		t.Fatalf("Decode: %v %q", err, format)
	}
	nearColor(t, "pixel", img.At(4, 3), color.NRGBA{1, 2, 3, 255}, 0)
}

func TestSquareHandlesPalettedWithPlan9Palette(t *testing.T) {
	p := image.NewPaletted(image.Rect(0, 0, 40, 20), palette.Plan9)
	out := Square(p, 16)
	if out.Rect.Dx() != 16 || out.Rect.Dy() != 16 {
		t.Fatalf("bounds = %v", out.Rect)
	}
}

func TestPNGEncoderRoundTrips(t *testing.T) {
	translucent := image.NewNRGBA(image.Rect(0, 0, 7, 5))
	for i := range translucent.Pix {
		translucent.Pix[i] = uint8(i * 37)
	}
	for i := 3; i < len(translucent.Pix); i += 4 {
		if translucent.Pix[i] == 0 {
			translucent.Pix[i] = 1 // fully transparent pixels lose their colour in any encoder
		}
	}
	opaque := image.NewNRGBA(image.Rect(0, 0, 9, 4))
	for i := range opaque.Pix {
		opaque.Pix[i] = uint8(i * 53)
		if i%4 == 3 {
			opaque.Pix[i] = 255
		}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 6, 6))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i * 29)
		if i%4 == 3 {
			rgba.Pix[i] = 255
		}
	}
	gray := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 16)
	}
	big := Square(solid(300, 200, red), 160)
	cases := map[string]image.Image{
		"opaque nrgba":      opaque,
		"translucent nrgba": translucent,
		"sub-image":         opaque.SubImage(image.Rect(2, 1, 8, 4)),
		"opaque rgba":       rgba,
		"gray (fallback)":   gray,
		"thumbnail":         big,
	}
	var e PNGEncoder
	for name, img := range cases {
		t.Run(name, func(t *testing.T) {
			for range 2 { // the second pass reuses the encoder state
				data, err := e.Encode(img)
				if err != nil {
					t.Fatal(err)
				}
				back, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("image/png cannot read it: %v", err)
				}
				if back.Bounds().Size() != img.Bounds().Size() {
					t.Fatalf("size %v, want %v", back.Bounds().Size(), img.Bounds().Size())
				}
				b, bb := img.Bounds(), back.Bounds()
				for y := 0; y < b.Dy(); y++ {
					for x := 0; x < b.Dx(); x++ {
						want := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y))
						got := color.NRGBAModel.Convert(back.At(bb.Min.X+x, bb.Min.Y+y))
						if got != want {
							t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, want)
						}
					}
				}
			}
		})
	}
	if _, err := e.Encode(image.NewNRGBA(image.Rect(0, 0, 0, 3))); err == nil {
		t.Error("empty image encoded")
	}
}

func TestSquareOfALargeImageMatchesDirectResize(t *testing.T) {
	// 1200x700 with a sharp left/right split and a gradient; halving runs twice before gift.
	src := image.NewYCbCr(image.Rect(0, 0, 1200, 700), image.YCbCrSubsampleRatio444)
	for y := 0; y < 700; y++ {
		for x := 0; x < 1200; x++ {
			i := src.YOffset(x, y)
			src.Y[i] = uint8(x * 255 / 1200)
			src.Cb[i], src.Cr[i] = 128, uint8(90+120*(x/600))
		}
	}
	got := Square(src, 160)
	want := image.NewNRGBA(image.Rect(0, 0, 160, 93))
	g := gift.New(gift.Resize(160, 93, gift.LinearResampling))
	g.Draw(want, src)
	var diff, n float64
	for y := 0; y < 93; y++ {
		for x := 0; x < 160; x++ {
			a, b := got.NRGBAAt(x, y+33), want.NRGBAAt(x, y)
			for _, d := range []int{int(a.R) - int(b.R), int(a.G) - int(b.G), int(a.B) - int(b.B)} {
				diff += math.Abs(float64(d))
				n++
			}
		}
	}
	mean := diff / n
	t.Logf("mean difference from a direct resize: %.3f levels", mean)
	if mean > 1.5 {
		t.Errorf("mean difference from a direct resize = %.2f levels", mean)
	}
	nearColor(t, "padding above", got.At(80, 10), white, 0)
	nearColor(t, "padding below", got.At(80, 150), white, 0)
}
