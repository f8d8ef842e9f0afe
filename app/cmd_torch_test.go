//go:build unix

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/engine/gan"
	"stylestudio/internal/torchtest"
)

// torchInterpreter points the PyTorch backend at the tests' interpreter (torchtest.Python).
func torchInterpreter(t *testing.T) string {
	t.Helper()
	py := torchtest.Python(t)
	t.Setenv("STYLESTUDIO_PYTHON", py)
	return py
}

type runListed struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Steps  int    `json:"steps"`
}

func listedRuns(t *testing.T, lib string) map[string]runListed {
	t.Helper()
	code, stdout, stderr := runCLI(t, "runs", "--library", lib, "--json")
	if code != 0 {
		t.Fatalf("runs --json exited %d: %s", code, stderr)
	}
	var list []runListed
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]runListed{}
	for _, r := range list {
		out[r.Name] = r
	}
	return out
}

// A 20-step run with 2 gloo processes through the CLI finishes, is listed like a built-in run, and
// its checkpoint stylizes in Go. Then a bundle of a new run is trained with the command its README
// gives (on CPU here) and comes back with `runs import`.
func TestTorchBackendTrainBundleImport(t *testing.T) {
	torchtest.SkipShort(t)
	py := torchInterpreter(t)
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "160"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "torch20", "--steps", "20",
		"--backend", "torch", "--workers", "2", "--json", "--checkpoint-every", "10"}, tinyTrain[:len(tinyTrain)-2]...)...)
	if code != 0 {
		t.Fatalf("train --backend torch exited %d: %s", code, stderr)
	}
	lines := trainLines(t, stdout)
	steps, grids := 0, 0
	for _, l := range lines {
		if l.Event == "step" && l.Losses != nil {
			steps++
		}
		if l.Event == "sample" {
			if _, err := os.Stat(l.Grid); err != nil {
				t.Errorf("sample grid %s: %v", l.Grid, err)
			}
			grids++
		}
	}
	if last := lines[len(lines)-1]; last.Event != "done" || last.Step != 20 || last.Status != "finished" || steps == 0 || grids < 2 {
		t.Fatalf("last line %+v; %d step lines, %d grids", last, steps, grids)
	}
	if r := listedRuns(t, lib)["torch20"]; r.Status != "finished" || r.Steps != 20 {
		t.Fatalf("runs list shows %+v", r)
	}
	out := t.TempDir()
	if code, _, stderr := runCLI(t, "stylize", "--library", lib, "--run", "torch20", "--style", "neon", "--out", out, "DEMO-LAMP-0001"); code != 0 {
		t.Fatalf("stylize with a PyTorch checkpoint exited %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "DEMO-LAMP-0001.png")); err != nil {
		t.Fatal(err)
	}

	bundle := filepath.Join(t.TempDir(), "bundle")
	code, stdout, stderr = runCLI(t, append([]string{"bundle", "--library", lib, "--run", "away", "--out", bundle, "--steps", "6", "--json"}, tinyTrain...)...)
	if code != 0 {
		t.Fatalf("bundle exited %d: %s", code, stderr)
	}
	var b bundleJSON
	if err := json.Unmarshal([]byte(stdout), &b); err != nil || b.Steps != 6 || !strings.Contains(b.Command, "torchrun") {
		t.Fatalf("bundle printed %q (%v)", stdout, err)
	}
	readme, err := os.ReadFile(filepath.Join(bundle, "README.md"))
	if err != nil || !strings.Contains(string(readme), b.Command) || !strings.Contains(string(readme), "sbatch") {
		t.Fatalf("README lacks the command or the Slurm recipe: %v\n%s", err, readme)
	}
	// The README's command, with the GPU swapped for 2 CPU processes and torchrun for its module.
	args := strings.Fields(strings.Replace(strings.Replace(b.Command, "--device cuda", "--device cpu", 1), "--nproc_per_node 1", "--nproc_per_node 2", 1))
	cmd := exec.Command(py, append([]string{"-m", "torch.distributed.run"}, args[1:]...)...)
	cmd.Dir = bundle
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the bundle's command failed: %v\n%s", err, out)
	}
	if code, _, stderr := runCLI(t, "runs", "import", "--library", lib, bundle); code != 0 {
		t.Fatalf("runs import exited %d: %s", code, stderr)
	}
	if r := listedRuns(t, lib)["away"]; r.Status != "finished" || r.Steps != 6 {
		t.Fatalf("imported run listed as %+v", r)
	}
	if code, _, stderr := runCLI(t, "stylize", "--library", lib, "--run", "away", "--style", "denim", "--out", t.TempDir(), "DEMO-LAMP-0001"); code != 0 {
		t.Fatalf("stylize with an imported run exited %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "runs", "import", "--library", lib, bundle); code != 1 || !strings.Contains(stderr, "already at step 6") {
		t.Fatalf("importing the same bundle twice: exit %d, %s", code, stderr)
	}
}

// No PyTorch, or CUDA asked for where there is none: a clear message and no run left behind.
func TestTorchBackendMissing(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "160"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	t.Setenv("STYLESTUDIO_PYTHON", filepath.Join(t.TempDir(), "no-python"))
	code, _, stderr := runCLI(t, append([]string{"train", "--library", lib, "--run", "x", "--steps", "2", "--backend", "torch"}, tinyTrain...)...)
	if code != 1 || !strings.Contains(stderr, "PyTorch is not available") || !strings.Contains(stderr, "apt-get install python3-torch") {
		t.Fatalf("train without PyTorch: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLI(t, append([]string{"train", "--library", lib, "--run", "x", "--steps", "2", "--device", "gpu"}, tinyTrain...)...)
	if code != 1 || !strings.Contains(stderr, "--backend torch --device cuda") {
		t.Fatalf("built-in --device gpu: exit %d, %s", code, stderr)
	}
	py := torchInterpreter(t)
	if info, err := gan.DetectTorch(t.Context(), py); err == nil && !info.CUDA {
		code, _, stderr = runCLI(t, append([]string{"train", "--library", lib, "--run", "x", "--steps", "2", "--backend", "torch", "--device", "cuda"}, tinyTrain...)...)
		if code != 1 || !strings.Contains(stderr, "no CUDA GPU") || !strings.Contains(stderr, "--device cpu") {
			t.Fatalf("cuda without a GPU: exit %d, %s", code, stderr)
		}
	}
	if runs := listedRuns(t, lib); len(runs) != 0 {
		t.Fatalf("failed starts left runs behind: %+v", runs)
	}
}
