package ingest

import (
	"bytes"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/engine/imaging"
	"stylestudio/internal/testkit"
)

// TestImportEachFormat imports a folder holding one picture per format (made by ImageMagick,
// heif-enc and avifenc), an EXIF-rotated phone-style JPEG among them, and a damaged HEIC. Each
// readable picture is imported with its bytes unchanged, its size the right way up and an upright
// thumbnail; each file that cannot be read fails on its own, with its reason (without libvips,
// TIFF, HEIC and AVIF say what to install), and the summary counts it.
func TestImportEachFormat(t *testing.T) {
	root := t.TempDir()
	var made []testkit.PhotoFixture
	for _, f := range testkit.PhotoFixtures {
		t.Run("make "+f.Name, func(t *testing.T) {
			testkit.WritePhoto(t, root, f)
			made = append(made, f)
		})
	}
	if len(made) == 0 {
		t.Skip("no fixture could be made")
	}
	heic, err := os.ReadFile(filepath.Join(root, "photo.heic"))
	if err == nil {
		write(t, filepath.Join(root, "broken.heic"), heic[:len(heic)/3])
	}

	jobs, failures := plan(t, Options{}, root)
	if len(failures) != 0 {
		t.Fatalf("plan failures %+v", failures)
	}
	sink := newMemSink()
	sum := run(t, sink, jobs, Options{})
	failed := map[string]string{}
	for _, f := range sum.Failures {
		failed[filepath.Base(f.Path)] = f.Reason
	}
	imported := map[string]Record{}
	for _, r := range sink.records {
		imported[filepath.Base(r.Image.Source)] = r
	}
	wantImported := 0
	for _, f := range made {
		if f.NeedsVips && imaging.Backend() == "Go" {
			if reason := failed[f.Name]; !strings.Contains(reason, "needs libvips: install libvips-dev and rebuild with make") {
				t.Errorf("%s without libvips: failure %q, want one saying what to install", f.Name, reason)
			}
			continue
		}
		wantImported++
		r, ok := imported[f.Name]
		if !ok {
			t.Errorf("%s was not imported (%s)", f.Name, failed[f.Name])
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.Image.Bytes, data) {
			t.Errorf("%s: the stored bytes are not the file's", f.Name)
		}
		if r.Image.Width != testkit.PhotoW || r.Image.Height != testkit.PhotoH {
			t.Errorf("%s: stored as %dx%d, want %dx%d (the right way up)", f.Name, r.Image.Width, r.Image.Height, testkit.PhotoW, testkit.PhotoH)
		}
		checkThumbUpright(t, f.Name, r.Thumb)
	}
	if _, ok := failed["broken.heic"]; ok || heic == nil {
		t.Logf("broken.heic: %s", failed["broken.heic"])
	} else {
		t.Errorf("broken.heic did not fail")
	}
	if sum.Imported != wantImported || len(sum.Failures) != len(jobs)-wantImported {
		t.Errorf("summary %+v; want %d imported and the other %d failed", sum, wantImported, len(jobs)-wantImported)
	}
}

// checkThumbUpright checks a ThumbSize thumbnail of testkit.BasePhoto: the picture fitted and
// centred on white, its red block in the top-left corner.
func checkThumbUpright(t *testing.T, name string, thumb []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(thumb))
	if err != nil {
		t.Fatalf("%s: thumbnail: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != ThumbSize || b.Dy() != ThumbSize {
		t.Fatalf("%s: thumbnail %v", name, b)
	}
	h := ThumbSize * testkit.PhotoH / testkit.PhotoW // the picture's height in the thumbnail
	top := (ThumbSize - h) / 2
	redW, redH := ThumbSize*testkit.RedW/testkit.PhotoW, h*testkit.RedH/testkit.PhotoH
	white := color.NRGBA{255, 255, 255, 255}
	for _, c := range []struct {
		x, y int
		want color.NRGBA
	}{
		{redW / 2, top + redH/2, testkit.Red},
		{ThumbSize - redW/2, top + redH/2, white},
		{redW / 2, top + h - redH/2, white},
	} {
		got := color.NRGBAModel.Convert(img.At(c.x, c.y)).(color.NRGBA)
		d := func(a, b uint8) bool { return int(a)-int(b) > 48 || int(b)-int(a) > 48 }
		if d(got.R, c.want.R) || d(got.G, c.want.G) || d(got.B, c.want.B) {
			t.Errorf("%s: thumbnail pixel (%d,%d) is %v, want about %v (turned?)", name, c.x, c.y, got, c.want)
		}
	}
}
