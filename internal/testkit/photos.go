// Package testkit holds helpers shared by tests of several packages.
package testkit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireVipsEnv, set to 1 (as CI does), turns the skips of format tests (no libvips in the build,
// an encoder tool missing) into failures, so every format is tested there.
const RequireVipsEnv = "STYLESTUDIO_REQUIRE_VIPS"

// SkipOrFail skips t with the reason, or fails it when STYLESTUDIO_REQUIRE_VIPS=1.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(RequireVipsEnv) == "1" {
		t.Fatalf("%s (%s=1 requires it)", msg, RequireVipsEnv)
	}
	t.Skip(msg)
}

// Photo geometry: BasePhoto is PhotoW x PhotoH, white with a red block (RedW x RedH) in its
// top-left corner, so a test can tell which way up a decoded picture is.
const (
	PhotoW, PhotoH = 96, 64
	RedW, RedH     = 32, 24
)

// Red is the block's colour.
var Red = color.NRGBA{R: 220, G: 20, B: 30, A: 255}

// BasePhoto is the picture every fixture is made from.
func BasePhoto() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, PhotoW, PhotoH))
	for y := range PhotoH {
		for x := range PhotoW {
			c := color.NRGBA{R: 255, G: 255, B: 255, A: 255}
			if x < RedW && y < RedH {
				c = Red
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// PhotoFixture is a file made from BasePhoto by a Debian tool.
type PhotoFixture struct {
	Name string   // file name; its extension is the format
	Tool string   // convert (ImageMagick), heif-enc (libheif-examples) or avifenc (libavif-bin)
	Args []string // between the input and the output for convert; before them for the others
	// NeedsVips: Style Studio reads it only when built with libvips (the Go decoders cannot).
	NeedsVips bool
	// Rotated: the pixels are stored turned a quarter anticlockwise, with EXIF orientation 6 saying
	// so (an APP1 block written here: ImageMagick 6 writes the tag only for files that had EXIF);
	// upright, the picture is BasePhoto. JPEG only.
	Rotated bool
}

// PhotoFixtures is one fixture per format the importer reads.
var PhotoFixtures = []PhotoFixture{
	{Name: "photo.jpg", Tool: "convert", Args: []string{"-quality", "92"}},
	{Name: "photo.png", Tool: "convert"},
	{Name: "photo-16bit.png", Tool: "convert", Args: []string{"-depth", "16", "-define", "png:format=png48"}},
	{Name: "photo.webp", Tool: "convert", Args: []string{"-quality", "95"}},
	{Name: "photo.gif", Tool: "convert"},
	{Name: "photo-cmyk.jpg", Tool: "convert", Args: []string{"-colorspace", "CMYK", "-quality", "95"}},
	{Name: "rotated.jpg", Tool: "convert", Args: []string{"-rotate", "-90", "-quality", "92"}, Rotated: true},
	{Name: "photo.tif", Tool: "convert", NeedsVips: true},
	{Name: "photo-16bit.tiff", Tool: "convert", Args: []string{"-depth", "16"}, NeedsVips: true},
	{Name: "photo.heic", Tool: "heif-enc", Args: []string{"-q", "90"}, NeedsVips: true},
	{Name: "photo.avif", Tool: "avifenc", Args: []string{"-s", "10"}, NeedsVips: true},
}

// toolPath is where Debian installs each tool (ImageMagick's convert is called by its full path,
// not whatever else is named convert on PATH).
var toolPath = map[string]string{
	"convert":  "/usr/bin/convert",
	"heif-enc": "heif-enc",
	"avifenc":  "avifenc",
}

// WritePhoto writes fixture f into dir and returns its path. When the tool is missing it skips t
// (fails under STYLESTUDIO_REQUIRE_VIPS=1) with a message naming the Debian package.
func WritePhoto(t testing.TB, dir string, f PhotoFixture) string {
	t.Helper()
	tool, err := exec.LookPath(toolPath[f.Tool])
	if err != nil {
		pkg := map[string]string{"convert": "imagemagick", "heif-enc": "libheif-examples", "avifenc": "libavif-bin"}[f.Tool]
		SkipOrFail(t, "%s cannot be made: %s is not installed (apt-get install %s)", f.Name, f.Tool, pkg)
	}
	base := filepath.Join(dir, "base-"+f.Name+".png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, BasePhoto()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(base)
	out := filepath.Join(dir, f.Name)
	var args []string
	if f.Tool == "convert" {
		args = append(append([]string{base}, f.Args...), out)
	} else if f.Tool == "heif-enc" {
		args = append(append([]string{}, f.Args...), base, "-o", out)
	} else {
		args = append(append([]string{}, f.Args...), base, out)
	}
	if msg, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", f.Tool, args, err, msg)
	}
	if f.Rotated {
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, WithOrientation(data, 6), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// WithOrientation returns a copy of a JPEG file with an EXIF block (APP1) right after its start
// marker saying the picture is stored in EXIF orientation o (6: turn it a quarter clockwise to
// show it), as phones write it.
func WithOrientation(jpeg []byte, o uint16) []byte {
	bo := binary.BigEndian // "MM", as many cameras write
	tiff := []byte("MM\x00*")
	tiff = bo.AppendUint32(tiff, 8)      // IFD0 right after the header
	tiff = bo.AppendUint16(tiff, 1)      // one entry:
	tiff = bo.AppendUint16(tiff, 0x0112) // Orientation
	tiff = bo.AppendUint16(tiff, 3)      // SHORT
	tiff = bo.AppendUint32(tiff, 1)      // one value
	tiff = bo.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0) // padding; no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpeg[:2]...)
	out = append(out, 0xff, 0xe1)
	out = bo.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpeg[2:]...)
}
