package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"stylestudio/app/studio"
	"stylestudio/engine/nn"
	"stylestudio/engine/style"
)

func TestClassifySuggestOnDemoLibrary(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "120"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "classify", "--library", lib, "--epochs", "6", "--json")
	if code != 0 {
		t.Fatalf("classify exited %d: %s", code, stderr)
	}
	var got classifyJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("classify --json: %v\n%s", err, stdout)
	}
	if len(got.Styles) < 2 || got.HeldOutImages == 0 || got.TrainImages == 0 {
		t.Fatalf("classify trained on nothing: %+v", got)
	}
	// Six well-separated styles: even a short training run must beat chance (1/6) by far.
	if got.Accuracy < 0.5 || got.Accuracy > 1 {
		t.Fatalf("held-out accuracy %.2f", got.Accuracy)
	}
	if _, err := os.Stat(got.Model); err != nil {
		t.Fatalf("model not saved: %v", err)
	}

	code, stdout, stderr = runCLI(t, "suggest", "--library", lib, "--n", "5", "--json")
	if code != 0 {
		t.Fatalf("suggest exited %d: %s", code, stderr)
	}
	var sugg suggestJSON
	if err := json.Unmarshal([]byte(stdout), &sugg); err != nil {
		t.Fatalf("suggest --json: %v\n%s", err, stdout)
	}
	if len(sugg.Items) != 5 {
		t.Fatalf("want 5 suggestions, got %d", len(sugg.Items))
	}
	for _, s := range sugg.Items {
		if !strings.HasPrefix(s.SKU, "DEMO-") || s.Style == "" || s.Confidence <= 0 || s.Confidence > 1 {
			t.Errorf("bad suggestion %+v", s)
		}
	}

	// A classifier saved by an older version (its style statistics computed another way) is
	// replaced, not an error: suggest says so and trains a new one.
	tensors, meta, err := nn.ReadSafetensors(got.Model)
	if err != nil {
		t.Fatal(err)
	}
	meta["stats"] = "style-stats-v1"
	if err := nn.WriteSafetensors(got.Model, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := style.Load(got.Model); !errors.Is(err, style.ErrOutdated) {
		t.Fatalf("the rewritten file loads with %v, want ErrOutdated", err)
	}
	code, _, stderr = runCLI(t, "suggest", "--library", lib, "--n", "5", "--json")
	if code != 0 || !strings.Contains(stderr, "another version") {
		t.Fatalf("suggest with an outdated classifier: code %d, stderr %q", code, stderr)
	}
	if _, err := style.Load(got.Model); err != nil {
		t.Errorf("after suggest the classifier still does not load: %v", err)
	}
}

func TestClassifyRefusesTooFewLabels(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "12"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	code, _, stderr := runCLI(t, "classify", "--library", lib)
	if code != 1 || !strings.Contains(stderr, "at least 2 styles with") {
		t.Fatalf("classify on 12 products: code %d, stderr %q", code, stderr)
	}
}

func TestBenchLabelAssistJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a classifier per round")
	}
	code, stdout, stderr := runCLI(t, "bench", "label-assist", "--products", "60", "--json")
	if code != 0 {
		t.Fatalf("bench label-assist exited %d: %s", code, stderr)
	}
	var got labelAssistJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, stdout)
	}
	if _, ok := got.LabelsTo90["uncertainty"]; !ok {
		t.Fatalf("labels_to_90 lacks uncertainty: %s", stdout)
	}
	if _, ok := got.LabelsTo90["random"]; !ok {
		t.Fatalf("labels_to_90 lacks random: %s", stdout)
	}
	if len(got.Uncertainty) == 0 || len(got.Random) == 0 || got.Pool+got.HeldOut != 60 {
		t.Fatalf("curves or sizes missing: %s", stdout)
	}
	for _, p := range append(got.Uncertainty, got.Random...) {
		if p.Accuracy < 0 || p.Accuracy > 1 || p.Labels <= 0 {
			t.Fatalf("bad point %+v", p)
		}
	}
}

// --app replays the app's labeling (its classifier from scratch at the app's cadence, studio.RetrainAfter,
// its queue diversity), and --seeds reports the mean and spread over seeds.
func TestBenchLabelAssistAppConfigOverSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a classifier per round")
	}
	code, stdout, stderr := runCLI(t, "bench", "label-assist", "--products", "60", "--app", "--epochs", "1", "--seeds", "2", "--target", "0.95", "--json")
	if code != 0 {
		t.Fatalf("bench label-assist --app exited %d: %s", code, stderr)
	}
	var got labelAssistJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, stdout)
	}
	if got.Config != "app" || got.Batch != style.RetrainMax || got.BatchMin != style.RetrainMin || got.Width != style.DefaultConfig().Width || len(got.PerSeed) != 2 ||
		got.PerSeed[0].Seed != 1 || got.PerSeed[1].Seed != 2 {
		t.Fatalf("not the app's configuration over 2 seeds: %s", stdout)
	}
	// 12 starting labels, then rounds at the app's cadence.
	at := 12
	for i, p := range got.Uncertainty {
		if p.Labels != at {
			t.Errorf("point %d at %d labels, want %d (the app retrains after studio.RetrainAfter(%d) more)", i, p.Labels, at, at)
		}
		at = min(at+studio.RetrainAfter(at), got.Pool)
	}
	if (got.Ratio < 0) != (got.RatioSD == nil) {
		t.Errorf("ratio %v with sd %v: a mean over 2 seeds has a spread", got.Ratio, got.RatioSD)
	}
	// The labels counted are those to --target: the first seed's first point at or above it.
	want := -1
	for _, p := range got.Uncertainty {
		if p.Accuracy >= 0.95 {
			want = p.Labels
			break
		}
	}
	if got.Target != 0.95 || got.PerSeed[0].LabelsTo90["uncertainty"] != want {
		t.Errorf("target %v: seed 1 counted %d labels, its curve reaches 0.95 at %d", got.Target, got.PerSeed[0].LabelsTo90["uncertainty"], want)
	}
	if code, _, stderr := runCLI(t, "bench", "label-assist", "--target", "1.5"); code == 0 || !strings.Contains(stderr, "--target") {
		t.Errorf("--target 1.5: exit %d, %q", code, stderr)
	}
}
