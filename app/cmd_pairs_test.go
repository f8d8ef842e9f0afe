package main

import (
	"encoding/json"
	"image/color"
	"strings"
	"testing"

	"stylestudio/internal/testkit/testlib"
)

// A catalog of the same items drawn in three styles, imported with labels from folders: a run trained
// with --pair-loss records its weight (a resume must keep it), and eval compares translations with the
// real counterparts the run never trained on (pairs > 0, paired SSIM measured).
func TestTrainAndEvalWithCounterparts(t *testing.T) {
	root := t.TempDir()
	inks := map[string]color.NRGBA{"red": {200, 30, 30, 255}, "green": {30, 160, 40, 255}, "blue": {30, 40, 200, 255}}
	if err := (testlib.CheckerCatalog{Inks: inks, Items: 24, Size: 48, Cell: 2, Per: 6}).Write(root); err != nil {
		t.Fatal(err)
	}
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "import", "--library", lib, "--labels-from-folders", "--groups-from-names", root); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "paired", "--steps", "2", "--pair-loss", "10"}, tinyTrain...)...); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	// The run recorded its weight: a resume that says another is refused.
	code, _, stderr := runCLI(t, "train", "--library", lib, "--run", "paired", "--resume", "--steps", "4", "--pair-loss", "0")
	if code != 2 || !strings.Contains(stderr, "--pair-loss 0: run \"paired\" was created with 10") {
		t.Fatalf("resume with another paired-loss weight: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "eval", "--library", lib, "--run", "paired", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d, %s", code, stderr)
	}
	var rep struct {
		Pairs       int      `json:"pairs"`
		PairedSSIM  *float64 `json:"paired_ssim"`
		Skipped     int      `json:"skipped_translations"`
		Counterpart *float64 `json:"counterpart_style_accuracy"`
		Judge       struct {
			TrainProducts int `json:"train_products"`
		} `json:"judge"`
		Matched *struct {
			StyleAccuracy *float64                   `json:"style_accuracy"`
			Counterpart   *float64                   `json:"counterpart_style_accuracy"`
			PerStyle      map[string]json.RawMessage `json:"per_style"`
			HeldOut       *float64                   `json:"held_out_accuracy"`
			HeldOutOwn    *float64                   `json:"held_out_own_cutout_accuracy"`
			TrainImages   int                        `json:"train_images"`
			Size          int                        `json:"size"`
		} `json:"matched_judge"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	// The matched judge trained on the judge's products, each twice (its own cut-out and another
	// style's), at the run's size, and graded the same translations and counterparts.
	switch mj := rep.Matched; {
	case mj == nil:
		t.Fatalf("eval --json has no matched_judge:\n%s", stdout)
	case mj.StyleAccuracy == nil || mj.Counterpart == nil || mj.HeldOut == nil || mj.HeldOutOwn == nil || len(mj.PerStyle) != 3:
		t.Errorf("matched_judge is missing a value: %s", stdout)
	case mj.TrainImages != 2*rep.Judge.TrainProducts || mj.Size != 32:
		t.Errorf("matched_judge trained on %d images at %d px; want 2 × %d at 32", mj.TrainImages, mj.Size, rep.Judge.TrainProducts)
	}
	if code, stdout, _ := runCLI(t, "eval", "--library", lib, "--run", "paired"); code != 0 || !strings.Contains(stdout, "the matched judge") {
		t.Errorf("eval's report does not name the matched judge:\n%s", stdout)
	}
	if rep.Pairs == 0 || rep.PairedSSIM == nil || rep.Counterpart == nil {
		t.Fatalf("eval on a catalog of counterparts measured %d pairs, paired SSIM %v, counterpart style accuracy %v", rep.Pairs, rep.PairedSSIM, rep.Counterpart)
	}
	// The library splits by item, so every counterpart of a held-out product is held out too.
	if rep.Skipped != 0 {
		t.Errorf("eval skipped %d translations on a library split by item", rep.Skipped)
	}

	// A library split per product before it knew its groups keeps its splits: eval skips the
	// translations whose counterpart the run trained on, and says so.
	old := t.TempDir()
	if code, _, stderr := runCLI(t, "import", "--library", old, "--labels-from-folders", root); code != 0 {
		t.Fatalf("import without groups: %s", stderr)
	}
	if code, _, stderr := runCLI(t, "export", "--library", old, "--format", "csv", "--out", t.TempDir(), "--force"); code != 0 {
		t.Fatalf("export (assigns the splits): %s", stderr)
	}
	if code, _, stderr := runCLI(t, "import", "--library", old, "--labels-from-folders", "--groups-from-names", root); code != 0 {
		t.Fatalf("import again with groups: %s", stderr)
	}
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", old, "--run", "r", "--steps", "2"}, tinyTrain...)...); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	code, stdout, stderr = runCLI(t, "eval", "--library", old, "--run", "r")
	if code != 0 || !strings.Contains(stdout, "more translations not made: the run trained on the same item in that style") ||
		!strings.Contains(stdout, "the real drawings, judged as translations") {
		t.Errorf("eval on a library split before its groups: exit %d, %s\n%s", code, stdout, stderr)
	}
}
