package ui

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite ui/testdata/*.png from the current rendering")

// goldenTolerance: at most this share of pixels may differ by more than goldenLevels in some channel
// (font hinting, float rounding in the tiny model's output and the like move a few pixels).
const (
	goldenTolerance = 0.01
	goldenLevels    = 48
)

func TestScreenshotsOfTrainAndPreviewMatchGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("renders two screens")
	}
	db := trainedLibrary(t)
	for _, screen := range []string{"train", "preview"} {
		t.Run(screen, func(t *testing.T) {
			img, err := renderScreen(context.Background(), db, screen, fyne.NewSize(1280, 800), false, renderOptions{timer: fakeStepTimer})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "screen-"+screen+".png")
			if *updateGolden {
				var buf bytes.Buffer
				if err := png.Encode(&buf, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			data, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-golden to create it)", err)
			}
			want, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			share, err := differingShare(img, want, goldenLevels)
			if err != nil || share > goldenTolerance {
				out := filepath.Join(os.TempDir(), "stylestudio-"+screen+"-actual.png")
				var buf bytes.Buffer
				_ = png.Encode(&buf, img)
				_ = os.WriteFile(out, buf.Bytes(), 0o644)
				t.Fatalf("%s differs from %s: %.2f%% of pixels (allowed %.0f%%), %v; the rendering is in %s",
					screen, golden, 100*share, 100*goldenTolerance, err, out)
			}
		})
	}
}

// differingShare is the share of pixels whose colour differs by more than levels in some channel.
func differingShare(a, b image.Image, levels int) (float64, error) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 1, errSize{a.Bounds(), b.Bounds()}
	}
	na, nb := toNRGBAImage(a), toNRGBAImage(b)
	diff := 0
	for i := 0; i < len(na.Pix); i += 4 {
		for c := 0; c < 4; c++ {
			d := int(na.Pix[i+c]) - int(nb.Pix[i+c])
			if d > levels || d < -levels {
				diff++
				break
			}
		}
	}
	return float64(diff) / float64(len(na.Pix)/4), nil
}

type errSize struct{ got, want image.Rectangle }

func (e errSize) Error() string { return "size " + e.got.String() + ", golden " + e.want.String() }
