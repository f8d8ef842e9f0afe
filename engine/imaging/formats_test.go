package imaging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"strings"
	"testing"

	"stylestudio/internal/testkit"
)

// TestBuiltWithVipsWhereRequired: CI sets STYLESTUDIO_REQUIRE_VIPS=1 and must test the libvips build.
func TestBuiltWithVipsWhereRequired(t *testing.T) {
	t.Logf("decoder: %s", Backend())
	if Backend() == "Go" {
		testkit.SkipOrFail(t, "built without libvips (the vips tag): TIFF, HEIC and AVIF are not read")
	}
}

// checkUpright checks that img is BasePhoto scaled to w x h: red in the top-left corner, white
// elsewhere (lossy formats and colour conversions within tol).
func checkUpright(t *testing.T, img image.Image, w, h, tol int) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		t.Fatalf("decoded %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	at := func(fx, fy float64) color.Color {
		return img.At(b.Min.X+int(fx*float64(w)), b.Min.Y+int(fy*float64(h)))
	}
	rx, ry := float64(testkit.RedW)/testkit.PhotoW, float64(testkit.RedH)/testkit.PhotoH
	checks := []struct {
		fx, fy float64
		want   color.NRGBA
	}{
		{rx / 2, ry / 2, testkit.Red}, // the block, top left
		{1 - rx/2, ry / 2, white},     // top right
		{rx / 2, 1 - ry/2, white},     // bottom left
		{1 - rx/2, 1 - ry/2, white},   // bottom right
	}
	for _, c := range checks {
		nearColor(t, fmt.Sprintf("pixel at (%.2f, %.2f) of the picture (turned or discoloured?)", c.fx, c.fy), at(c.fx, c.fy), c.want, tol)
	}
}

// TestDecodeEachFileFormat decodes a picture in each format the importer reads, made by Debian tools
// (ImageMagick, heif-enc, avifenc): the right size, the right way up (an EXIF-rotated JPEG
// included), the right colours (CMYK and 16-bit included), at full and at reduced size. Without
// libvips, TIFF, HEIC and AVIF must fail with a reason saying what to install.
func TestDecodeEachFileFormat(t *testing.T) {
	dir := t.TempDir()
	for _, f := range testkit.PhotoFixtures {
		t.Run(f.Name, func(t *testing.T) {
			data, err := os.ReadFile(testkit.WritePhoto(t, dir, f))
			if err != nil {
				t.Fatal(err)
			}
			img, cfg, err := DecodeFit(data, 0, 0)
			if f.NeedsVips && Backend() == "Go" {
				if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "needs libvips: install libvips-dev and rebuild with make") {
					t.Fatalf("without libvips: err = %v; want ErrUnsupported saying what to install", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if cfg.Width != testkit.PhotoW || cfg.Height != testkit.PhotoH {
				t.Errorf("config %+v; want %dx%d", cfg, testkit.PhotoW, testkit.PhotoH)
			}
			if f.Rotated && cfg.Orientation != 6 {
				t.Errorf("orientation %d, want 6", cfg.Orientation)
			}
			checkUpright(t, img, testkit.PhotoW, testkit.PhotoH, 48)

			small, scfg, err := DecodeFit(data, 0, 48)
			if err != nil {
				t.Fatalf("decode at 48 px: %v", err)
			}
			if scfg != cfg {
				t.Errorf("config at reduced size %+v, at full size %+v", scfg, cfg)
			}
			if Backend() == "Go" || cfg.Format == FormatPNG || cfg.Format == FormatGIF {
				return // no reduced decoding (small PNGs and GIFs go to Go's decoder in both builds): the full size again
			}
			checkUpright(t, small, 48, 32, 60)
		})
	}
}

func TestDecodeRefusesBombBeforeDecoding(t *testing.T) {
	// A TIFF header claiming 100,000 x 100,000 pixels (10 gigapixels) in under 200 bytes.
	tiff := make([]byte, 8, 200)
	copy(tiff, "II*\x00")
	binary.LittleEndian.PutUint32(tiff[4:], 8)
	entries := [][3]uint32{{256, 4, 100_000}, {257, 4, 100_000}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {273, 4, 200}, {277, 3, 1}, {278, 4, 100_000}, {279, 4, 1 << 30}}
	tiff = binary.LittleEndian.AppendUint16(tiff, uint16(len(entries)))
	for _, e := range entries {
		tiff = binary.LittleEndian.AppendUint16(tiff, uint16(e[0]))
		tiff = binary.LittleEndian.AppendUint16(tiff, uint16(e[1]))
		tiff = binary.LittleEndian.AppendUint32(tiff, 1)
		if e[1] == 3 {
			tiff = binary.LittleEndian.AppendUint16(tiff, uint16(e[2]))
			tiff = append(tiff, 0, 0)
		} else {
			tiff = binary.LittleEndian.AppendUint32(tiff, e[2])
		}
	}
	tiff = append(tiff, 0, 0, 0, 0)
	_, _, err := Decode(tiff, 0)
	if Backend() == "Go" {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("err = %v, want ErrUnsupported", err)
		}
		return
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "100000x100000") || !strings.Contains(err.Error(), "10 gigapixels") {
		t.Fatalf("err = %v; want ErrTooLarge naming the size", err)
	}
}

// exifJPEG is a minimal JPEG prefix with an APP1 EXIF block holding orientation o (the rest of the
// file does not matter to jpegOrientation).
func exifJPEG(o uint16, bo binary.AppendByteOrder) []byte {
	tiff := []byte("II*\x00")
	if bo == binary.BigEndian {
		tiff = []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 2)
	entry := func(tag, typ, value uint16) { // one value in the entry's 4-byte field
		tiff = bo.AppendUint16(bo.AppendUint16(tiff, tag), typ)
		tiff = bo.AppendUint16(bo.AppendUint32(tiff, 1), value)
		tiff = append(tiff, 0, 0)
	}
	entry(0x010f, 2, 0) // Make, an empty string: another tag first
	entry(0x0112, 3, o) // Orientation
	tiff = append(tiff, 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0} // an APP0 first, as cameras write
	out = append(out, 0xff, 0xe1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, 0xff, 0xda, 0, 2)
}

func TestJPEGOrientation(t *testing.T) {
	for o := uint16(1); o <= 8; o++ {
		for _, bo := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
			if got := jpegOrientation(exifJPEG(o, bo)); got != int(o) {
				t.Errorf("orientation %d (%v): read %d", o, bo, got)
			}
		}
	}
	bad := exifJPEG(6, binary.LittleEndian)
	for n := range len(bad) { // cut anywhere: never a panic, never a wrong turn
		if got := jpegOrientation(bad[:n]); got != 1 && got != 6 {
			t.Fatalf("cut at %d: %d", n, got)
		}
	}
	if got := jpegOrientation(exifJPEG(9, binary.LittleEndian)); got != 1 {
		t.Errorf("orientation 9 read as %d, want 1", got)
	}
}

// TestOrient: each orientation's transform, applied to a picture stored that way, gives back the
// upright picture.
func TestOrient(t *testing.T) {
	// Upright: 3 wide, 2 high, distinct pixels.
	up := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range 6 {
		up.SetNRGBA(i%3, i/3, color.NRGBA{uint8(10 * (i + 1)), 0, 0, 255})
	}
	get := func(m image.Image, x, y int) uint8 { return color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA).R }
	// stored[o](x, y) is where upright pixel (x, y) sits in a file with orientation o.
	stored := map[int]func(x, y, w, h int) (int, int){
		2: func(x, y, w, h int) (int, int) { return w - 1 - x, y },
		3: func(x, y, w, h int) (int, int) { return w - 1 - x, h - 1 - y },
		4: func(x, y, w, h int) (int, int) { return x, h - 1 - y },
		5: func(x, y, w, h int) (int, int) { return y, x },
		6: func(x, y, w, h int) (int, int) { return y, w - 1 - x }, // the camera turned a quarter clockwise
		7: func(x, y, w, h int) (int, int) { return h - 1 - y, w - 1 - x },
		8: func(x, y, w, h int) (int, int) { return h - 1 - y, x },
	}
	for o, at := range stored {
		sw, sh := 3, 2
		if o >= 5 {
			sw, sh = 2, 3
		}
		file := image.NewNRGBA(image.Rect(0, 0, sw, sh))
		for y := range 2 {
			for x := range 3 {
				sx, sy := at(x, y, 3, 2)
				file.SetNRGBA(sx, sy, up.NRGBAAt(x, y))
			}
		}
		got := Orient(file, o)
		if b := got.Bounds(); b.Dx() != 3 || b.Dy() != 2 {
			t.Fatalf("orientation %d: %v", o, b)
		}
		for y := range 2 {
			for x := range 3 {
				if get(got, x, y) != get(up, x, y) {
					t.Errorf("orientation %d: pixel (%d,%d) = %d, want %d", o, x, y, get(got, x, y), get(up, x, y))
				}
			}
		}
	}
	if Orient(up, 1) != image.Image(up) {
		t.Error("orientation 1 copied the picture")
	}
}
