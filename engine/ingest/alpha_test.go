package ingest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"testing"

	"stylestudio/engine/imaging"
)

// An imported picture with a transparent background keeps its alpha beside the thumbnail (for the
// style classifier); an opaque one keeps none.
func TestImportKeepsTransparencyBesideTheThumbnail(t *testing.T) {
	root := t.TempDir()
	cut := image.NewNRGBA(image.Rect(0, 0, 240, 120)) // transparent but for a block in the middle
	for y := 30; y < 90; y++ {
		for x := 60; x < 180; x++ {
			cut.SetNRGBA(x, y, color.NRGBA{R: 20, G: 120, B: 60, A: 255})
		}
	}
	write(t, filepath.Join(root, "cutout.png"), encPNG(t, cut))
	write(t, filepath.Join(root, "opaque.png"), encPNG(t, pattern(80, 60, 3)))
	write(t, filepath.Join(root, "photo.jpg"), encJPEG(t, pattern(80, 60, 5)))

	jobs, failures := plan(t, Options{}, root)
	if len(failures) != 0 {
		t.Fatalf("plan failures %+v", failures)
	}
	sink := newMemSink()
	if sum := run(t, sink, jobs, Options{}); sum.Imported != 3 {
		t.Fatalf("imported %d of 3: %+v", sum.Imported, sum.Failures)
	}
	for _, r := range sink.records {
		name := filepath.Base(r.Image.Source)
		if name != "cutout.png" {
			if r.ThumbAlpha != nil {
				t.Errorf("%s is opaque but kept an alpha square", name)
			}
			continue
		}
		if r.ThumbAlpha == nil {
			t.Fatalf("%s: no alpha kept", name)
		}
		a, err := png.Decode(bytes.NewReader(r.ThumbAlpha))
		if err != nil {
			t.Fatal(err)
		}
		g := imaging.GrayFrom(a)
		if g.Rect.Dx() != ThumbSize || g.Rect.Dy() != ThumbSize {
			t.Fatalf("alpha square %v, want %d px", g.Rect, ThumbSize)
		}
		// The picture fills the width and half the height: the block is at x 40–120, y 60–100.
		for _, p := range []struct{ x, y, want int }{{80, 80, 255}, {10, 80, 0}, {80, 20, 0}, {80, 150, 0}} {
			if v := int(g.GrayAt(p.x, p.y).Y); v != p.want {
				t.Errorf("alpha at (%d, %d) is %d, want %d", p.x, p.y, v, p.want)
			}
		}
		thumb, err := png.Decode(bytes.NewReader(r.Thumb))
		if err != nil {
			t.Fatal(err)
		}
		if c := color.NRGBAModel.Convert(thumb.At(10, 80)).(color.NRGBA); c != (color.NRGBA{255, 255, 255, 255}) {
			t.Errorf("thumbnail at a transparent pixel %v, want white (thumbnails stay composited on white)", c)
		}
	}
}
