package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/store"
	"stylestudio/store/library"
)

// tinyTrain is a model small enough to train in a test.
var tinyTrain = []string{"--size", "32", "--gen-width", "4", "--disc-width", "4", "--res-blocks", "1", "--batch", "4",
	"--sample-every", "2", "--checkpoint-every", "2"}

func trainLines(t *testing.T, stdout string) []trainLine {
	t.Helper()
	var out []trainLine
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var tl trainLine
		if err := json.Unmarshal([]byte(l), &tl); err != nil {
			t.Fatalf("train --json printed a line that is not JSON: %q", l)
		}
		out = append(out, tl)
	}
	return out
}

func TestTrainStylizeEvalOnDemoLibrary(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "200"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	args := append([]string{"train", "--library", lib, "--run", "tiny", "--steps", "4", "--json"}, tinyTrain...)
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, stderr)
	}
	lines := trainLines(t, stdout)
	last := lines[len(lines)-1]
	if last.Event != "done" || last.Step != 4 || last.Status != "finished" || last.Losses == nil {
		t.Fatalf("last line %+v", last)
	}
	var grids, ckpts int
	for _, l := range lines {
		if l.Event == "sample" {
			grids++
			if _, err := os.Stat(l.Grid); err != nil {
				t.Errorf("grid %s: %v", l.Grid, err)
			}
		}
		if l.Event == "checkpoint" {
			ckpts++
		}
	}
	if grids != 3 || ckpts != 2 {
		t.Fatalf("%d grids and %d checkpoints, want 3 (steps 0, 2, 4) and 2", grids, ckpts)
	}

	// The same name again is refused; --resume continues to the new total.
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "tiny", "--steps", "4"}, tinyTrain...)...); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("duplicate run name: code %d, %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, append([]string{"train", "--library", lib, "--run", "tiny", "--steps", "6", "--resume", "--json"}, tinyTrain...)...)
	if code != 0 {
		t.Fatalf("resume exited %d: %s", code, stderr)
	}
	if l := trainLines(t, stdout); l[len(l)-1].Step != 6 {
		t.Fatalf("resume ended at %+v", l[len(l)-1])
	}
	if code, _, stderr := runCLI(t, "train", "--library", lib, "--run", "gpu", "--device", "gpu"); code != 1 || !strings.Contains(stderr, "no GPU support") {
		t.Fatalf("--device gpu: code %d, %s", code, stderr)
	}

	out := t.TempDir()
	code, stdout, stderr = runCLI(t, "stylize", "--library", lib, "--run", "tiny", "--style", "neon", "--out", out, "--full-res",
		"--json", "DEMO-BACKPACK-0001", "DEMO-LAMP-0002")
	if code != 0 {
		t.Fatalf("stylize exited %d: %s", code, stderr)
	}
	var sty stylizeJSON
	if err := json.Unmarshal([]byte(stdout), &sty); err != nil || len(sty.Written) != 2 || sty.Variants != 2 {
		t.Fatalf("stylize --json %q: %v", stdout, err)
	}
	for _, p := range sty.Written {
		if filepath.Dir(p) != out {
			t.Errorf("%s written outside %s", p, out)
		}
	}
	if code, _, stderr := runCLI(t, "stylize", "--library", lib, "--run", "tiny", "--style", "plaid", "--out", out); code != 1 || !strings.Contains(stderr, "no style \"plaid\"") {
		t.Fatalf("unknown style: code %d, %s", code, stderr)
	}

	if code, _, stderr := runCLI(t, "classify", "--library", lib, "--epochs", "3"); code != 0 {
		t.Fatalf("classify: %s", stderr)
	}
	code, stdout, stderr = runCLI(t, "eval", "--library", lib, "--run", "tiny", "--json")
	if code != 0 {
		t.Fatalf("eval exited %d: %s", code, stderr)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("eval --json: %v", err)
	}
	for _, k := range []string{"style_accuracy", "content_ssim", "silhouette_iou", "generator_silhouette_iou", "paired_ssim", "identity_paired_ssim", "frechet", "real_frechet", "per_style", "heldout_products", "eval_version"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("eval --json lacks %q", k)
		}
	}
	if acc := raw["style_accuracy"].(float64); acc < 0 || acc > 1 {
		t.Errorf("style_accuracy %v", acc)
	}
	if ps, _ := raw["identity_paired_ssim"].(float64); ps <= 0 || ps > 1 {
		t.Errorf("identity_paired_ssim %v: the demo catalog has paired truth", raw["identity_paired_ssim"])
	}
	// Only products neither the run nor the judge trained on are scored, and the run recorded its own.
	if n, _ := raw["heldout_products"].(float64); n <= 0 || n != raw["products"] || raw["train_products_recorded"] != true {
		t.Errorf("heldout_products %v of products %v, recorded %v", raw["heldout_products"], raw["products"], raw["train_products_recorded"])
	}
	// The report names its judge: the classifier classify just trained.
	var judged struct {
		Judge *gan.JudgeInfo `json:"judge"`
	}
	_ = json.Unmarshal([]byte(stdout), &judged)
	if _, info, err := studio.LoadClassifier(lib); err != nil || judged.Judge == nil ||
		!judged.Judge.TrainedAt.Equal(info.TrainedAt) || judged.Judge.TrainProducts != len(info.TrainProducts) ||
		judged.Judge.TrainProducts == 0 {
		t.Errorf("eval --json judge %+v, want the library's classifier (%v)", judged.Judge, err)
	}
	// With a classifier, the checkpoints of a resumed session are validated, and runs --json shows it.
	if code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "tiny", "--steps", "8", "--resume"}, tinyTrain...)...); code != 0 {
		t.Fatalf("resume with a classifier: %s", stderr)
	}
	code, stdout, _ = runCLI(t, "runs", "--library", lib, "--json")
	if code != 0 || !strings.Contains(stdout, `"style_accuracy"`) {
		t.Fatalf("runs --json does not show the stored evaluation: %s", stdout)
	}
	var listed []struct {
		BestStep    int `json:"best_step"`
		Checkpoints []struct {
			Step int             `json:"step"`
			Best bool            `json:"best"`
			Val  *gan.Validation `json:"val"`
		} `json:"checkpoints"`
	}
	if err := json.Unmarshal([]byte(stdout), &listed); err != nil || len(listed) != 1 || listed[0].BestStep == 0 {
		t.Fatalf("runs --json checkpoints: %v %s", err, stdout)
	}
	validated := false
	for _, c := range listed[0].Checkpoints {
		if c.Step == 8 {
			validated = c.Val != nil && c.Val.Products > 0
		}
	}
	if !validated {
		t.Errorf("checkpoint 8 has no validation in runs --json: %s", stdout)
	}
	for _, verb := range [][]string{{"rename", "tiny", "small"}, {"note", "small", "first try"}, {"use", "small"}} {
		if code, _, stderr := runCLI(t, append([]string{"runs", "--library", lib}, verb...)...); code != 0 {
			t.Fatalf("runs %v: %s", verb, stderr)
		}
	}
	code, stdout, _ = runCLI(t, "runs", "--library", lib, "--json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil || len(runs) != 1 || runs[0]["name"] != "small" ||
		runs[0]["notes"] != "first try" || runs[0]["active"] != true {
		t.Fatalf("after rename/note/use: %s", stdout)
	}
	folder := runs[0]["folder"].(string)
	if code, _, stderr := runCLI(t, "runs", "--library", lib, "delete", "small"); code != 0 {
		t.Fatalf("runs delete: %s", stderr)
	}
	if _, err := os.Stat(folder); !os.IsNotExist(err) {
		t.Fatalf("run folder %s still there after delete: %v", folder, err)
	}
}

func TestBenchTrainJSON(t *testing.T) {
	args := []string{"bench", "train", "--size", "32", "--batch", "2", "--steps", "1", "--json"}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err == nil {
		args = append(args, "--peer", "--peer-script", "../engine/gan/testdata/ref.py")
	}
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("bench train exited %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got["images_per_s"].(float64) <= 0 || got["gmac_per_s"].(float64) <= 0 {
		t.Fatalf("bench train: %s", stdout)
	}
	if strings.Contains(strings.Join(args, " "), "--peer") && got["ratio"].(float64) <= 0 {
		t.Fatalf("bench train --peer without a ratio: %s", stdout)
	}
}

// --styles trains only the named styles; an unknown one is refused with its name.
func TestTrainStylesFlag(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "200"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	args := append([]string{"train", "--library", lib, "--run", "bad", "--steps", "2", "--styles", "minimal, plaid"}, tinyTrain...)
	if code, _, stderr := runCLI(t, args...); code != 1 || !strings.Contains(stderr, `"plaid"`) {
		t.Fatalf("unknown style: exit %d, %q", code, stderr)
	}
	args = append([]string{"train", "--library", lib, "--run", "two", "--steps", "2", "--styles", "neon,minimal", "--json"}, tinyTrain...)
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("train --styles exited %d: %s", code, stderr)
	}
	db, err := store.Open(context.Background(), lib)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.RunByName(context.Background(), "two")
	if err != nil {
		t.Fatal(err)
	}
	side, _, err := gan.LatestCheckpoint(library.RunDir(db.Dir(), run.ID))
	if err != nil || strings.Join(side.Styles, ",") != "neon,minimal" {
		t.Fatalf("trained styles %v (%v), want neon,minimal", side.Styles, err)
	}
}
