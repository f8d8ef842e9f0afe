package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/engine/imaging"
	"stylestudio/internal/testkit"
)

// TestExportCameraFormatsAsPNG: TIFF, HEIC and AVIF originals go into an ImageFolder export as PNG
// (the picture, the right way up); without libvips each fails on its own, saying what to install.
func TestExportCameraFormatsAsPNG(t *testing.T) {
	src := t.TempDir()
	var items []ExportItem
	for _, f := range testkit.PhotoFixtures {
		if !f.NeedsVips {
			continue
		}
		t.Run("make "+f.Name, func(t *testing.T) {
			data, err := os.ReadFile(testkit.WritePhoto(t, src, f))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			sku := strings.ReplaceAll(f.Name, ".", "-") // photo-tif, photo-heic…
			items = append(items, ExportItem{SKU: sku, Style: "Boho", Split: Train, Format: strings.TrimPrefix(filepath.Ext(f.Name), "."),
				Hash: hex.EncodeToString(sum[:]), Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
		})
	}
	if len(items) == 0 {
		t.Skip("no fixture could be made")
	}
	out := filepath.Join(t.TempDir(), "ds")
	sum, err := Export(context.Background(), items, ExportOptions{Format: FormatImageFolder, Out: out}, nil)
	if imaging.Backend() == "Go" {
		if len(sum.Failed) != len(items) {
			t.Fatalf("without libvips: %+v, %v; want every item failed", sum, err)
		}
		for _, f := range sum.Failed {
			if !strings.Contains(f.Reason, "needs libvips") {
				t.Errorf("failure %+v does not say what to install", f)
			}
		}
		return
	}
	if err != nil || sum.Written != len(items) || sum.Transcoded != len(items) {
		t.Fatalf("export: %+v, %v", sum, err)
	}
	for _, it := range items {
		f, err := os.Open(filepath.Join(out, Train, "Boho", it.SKU+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() != testkit.PhotoW || img.Bounds().Dy() != testkit.PhotoH {
			t.Errorf("%s: %v %v", it.SKU, img.Bounds(), err)
		}
	}
}
