package imaging

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"os"
	"testing"
)

// fuzzMaxPixels keeps each fuzz iteration cheap while still exercising the size limit.
const fuzzMaxPixels = 1 << 16

var sentinels = []error{ErrTooLarge, ErrNotImage, ErrCorrupt, ErrUnsupported}

// checkKind asserts that err is an *Error with a message that matches exactly one sentinel, one of allowed.
func checkKind(t *testing.T, what string, err error, allowed ...error) error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T) is not an *imaging.Error", what, err, err)
	}
	if e.Msg == "" {
		t.Fatalf("%s: empty message", what)
	}
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%s: %v matches %d sentinel errors, want exactly 1", what, err, n)
	}
	for _, a := range allowed {
		if errors.Is(err, a) {
			return a
		}
	}
	t.Fatalf("%s: %v is none of the kinds %v", what, err, allowed)
	return nil
}

// FuzzDecode feeds arbitrary bytes through what an import does with a file: Sniff, DecodeConfig,
// Decode under a pixel limit, and the grid thumbnail. Invariants: no panic; the three agree (a file
// Sniff refuses, DecodeConfig refuses for the same reason; a header over the limit is ErrTooLarge
// before decoding); every error is an *Error of exactly one kind with a message; a decoded image
// has the header's size (a GIF's first frame lies within it), within the limit, and thumbnails.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"testdata/alpha-lossless.webp", "testdata/opaque-lossy.webp"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	small := solid(3, 2, red)
	f.Add(pngBytes(f, small))
	f.Add(jpegBytes(f, small))
	var g bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 4, 3), palette.Plan9)
	pal.SetColorIndex(1, 1, 7)
	if err := gif.Encode(&g, pal, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(g.Bytes())
	f.Add(pngHeaderBomb(50000, 50000))
	f.Add(pngHeaderBomb(0, 10))
	f.Add([]byte("RIFF\x30\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00"))
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		format, serr := Sniff(data)
		if serr != nil {
			checkKind(t, "Sniff", serr, ErrNotImage, ErrUnsupported)
		} else if !goFormat(format) && format != FormatTIFF && format != FormatHEIC && format != FormatAVIF {
			t.Fatalf("Sniff = %q, not a known format", format)
		}

		cfg, cerr := DecodeConfig(data)
		switch {
		case serr != nil:
			if cerr == nil || checkKind(t, "DecodeConfig", cerr, ErrNotImage, ErrUnsupported) != checkKind(t, "Sniff", serr, ErrNotImage, ErrUnsupported) {
				t.Fatalf("Sniff refused (%v) but DecodeConfig gave %+v, %v", serr, cfg, cerr)
			}
		case cerr != nil:
			checkKind(t, "DecodeConfig", cerr, ErrCorrupt, ErrUnsupported)
		default:
			if cfg.Format != format || cfg.Width <= 0 || cfg.Height <= 0 {
				t.Fatalf("DecodeConfig = %+v for a %s file", cfg, format)
			}
		}

		img, dformat, derr := Decode(data, fuzzMaxPixels)
		if derr != nil {
			if img != nil || dformat != "" {
				t.Fatalf("Decode failed (%v) but returned an image or format %q", derr, dformat)
			}
			kind := checkKind(t, "Decode", derr, ErrNotImage, ErrUnsupported, ErrCorrupt, ErrTooLarge)
			if cerr != nil && !errors.Is(cerr, kind) {
				t.Fatalf("DecodeConfig said %v, Decode said %v", cerr, derr)
			}
			if cerr == nil && int64(cfg.Width)*int64(cfg.Height) > fuzzMaxPixels && kind != ErrTooLarge {
				t.Fatalf("%dx%d is over the limit, but Decode said %v", cfg.Width, cfg.Height, derr)
			}
			return
		}
		if cerr != nil {
			t.Fatalf("DecodeConfig refused (%v) but Decode succeeded", cerr)
		}
		if int64(cfg.Width)*int64(cfg.Height) > fuzzMaxPixels {
			t.Fatalf("decoded a %dx%d image over the %d-pixel limit", cfg.Width, cfg.Height, fuzzMaxPixels)
		}
		b := img.Bounds()
		if dformat != cfg.Format {
			t.Fatalf("Decode format %q, DecodeConfig %q", dformat, cfg.Format)
		}
		if dformat == FormatGIF {
			if !b.In(image.Rect(0, 0, cfg.Width, cfg.Height)) && !b.Empty() {
				t.Fatalf("GIF frame %v outside its %dx%d screen", b, cfg.Width, cfg.Height)
			}
		} else if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
			t.Fatalf("decoded %v, header said %dx%d", b, cfg.Width, cfg.Height)
		}
		if b.Empty() {
			return
		}
		// What the importer does next: the square grid thumbnail, composited on white.
		sq := Square(img, 8)
		if sq.Bounds() != image.Rect(0, 0, 8, 8) {
			t.Fatalf("Square gave %v", sq.Bounds())
		}
		if c := sq.NRGBAAt(0, 0); c.A != 0xff {
			t.Fatalf("thumbnail pixel %v is not opaque", color.NRGBAModel.Convert(c))
		}
	})
}
