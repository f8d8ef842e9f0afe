package ui

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/internal/testkit/trainedlib"
	"stylestudio/store"
	"stylestudio/ui/kit"

	"fyne.io/fyne/v2"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite ui/testdata/*.png from the current rendering")

// The text on a screen must match its golden exactly (screen-<name>.txt, the widget tree's text): a
// wrong number in a label fails however few pixels it changes. The pixels must match within a tight
// bound: at most goldenTolerance of them may differ by more than goldenLevels in some channel
// (anti-aliasing and float rounding in the tiny model's output move a few by a few levels).
const (
	goldenTolerance = 0.001
	goldenLevels    = 8
)

func TestScreenshotsOfTrainAndPreviewMatchGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("renders two screens")
	}
	db := trainedLibrary(t)
	for _, screen := range []string{"train", "preview"} {
		t.Run(screen, func(t *testing.T) {
			var text string
			img, err := renderScreen(context.Background(), db, screen, fyne.NewSize(1280, 800), false, renderOptions{timer: trainedlib.FakeStepTimer, text: &text})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "screen-"+screen+".png")
			goldenText := filepath.Join("testdata", "screen-"+screen+".txt")
			if *updateGolden {
				var buf bytes.Buffer
				if err := png.Encode(&buf, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goldenText, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantText, err := os.ReadFile(goldenText)
			if err != nil {
				t.Fatalf("%v (run with -update-golden to create it)", err)
			}
			if text != string(wantText) {
				t.Errorf("%s: the text differs from %s:\n%s", screen, goldenText, lineDiff(string(wantText), text))
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

// lineDiff lists the lines only one of two texts has ("-" the golden's, "+" the rendering's).
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			b.WriteString("-" + l + "\n")
			count[l]--
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if count[l] < 0 {
			b.WriteString("+" + l + "\n")
			count[l]++
		}
	}
	if b.Len() == 0 {
		return "(same lines in another order)"
	}
	return b.String()
}

// differingShare is the share of pixels whose colour differs by more than levels in some channel.
func differingShare(a, b image.Image, levels int) (float64, error) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 1, errSize{a.Bounds(), b.Bounds()}
	}
	na, nb := kit.ToNRGBAImage(a), kit.ToNRGBAImage(b)
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

func trainedLibrary(t testing.TB) *store.DB { return trainedlib.Open(t) }

func TestMain(m *testing.M) { os.Exit(trainedlib.Main(m)) }
