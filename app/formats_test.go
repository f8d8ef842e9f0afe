package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"os"
	"testing"

	"stylestudio/engine/ingest"
	"stylestudio/internal/testkit"
	"stylestudio/internal/testkit/testlib"
)

// TestRotatedPhotoIsUprightInFullResExport: a phone-style JPEG, stored sideways with EXIF
// orientation 6, imported through the CLI and stylized at full resolution, comes out upright (the
// export reads the original and turns it), in both builds.
func TestRotatedPhotoIsUprightInFullResExport(t *testing.T) {
	var rotated testkit.PhotoFixture
	for _, f := range testkit.PhotoFixtures {
		if f.Rotated {
			rotated = f
		}
	}
	photo := testkit.WritePhoto(t, t.TempDir(), rotated)
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "120"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "tiny", "--steps", "2"}, tinyTrain...)...); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "import", "--library", lib, "--json", photo)
	var imp struct{ Imported int }
	if code != 0 || json.Unmarshal([]byte(stdout), &imp) != nil || imp.Imported != 1 {
		t.Fatalf("import exited %d: %s %s", code, stdout, stderr)
	}
	data, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	sku := ingest.DefaultSKU(hex.EncodeToString(sum[:]))

	out := t.TempDir()
	code, stdout, stderr = runCLI(t, "stylize", "--library", lib, "--run", "tiny", "--style", "neon", "--out", out, "--full-res", "--json", sku)
	var sty stylizeJSON
	if code != 0 || json.Unmarshal([]byte(stdout), &sty) != nil || len(sty.Written) != 1 {
		t.Fatalf("stylize exited %d: %s %s", code, stdout, stderr)
	}
	if b := readPNG(t, sty.Written[0]).Bounds(); b.Dx() != testkit.PhotoW || b.Dy() != testkit.PhotoH {
		t.Errorf("full-resolution export is %dx%d, want %dx%d (upright; the file stores %dx%d)", b.Dx(), b.Dy(), testkit.PhotoW, testkit.PhotoH, testkit.PhotoH, testkit.PhotoW)
	}
}

// readPNG decodes the PNG file at path.
func readPNG(t *testing.T, path string) image.Image { return testlib.ReadPNG(t, path) }
