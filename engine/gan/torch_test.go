package gan

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stylestudio/engine/gan/torchtrain"
	"stylestudio/engine/nn"
	"stylestudio/internal/torchtest"
)

// These tests run the PyTorch trainer (torchtrain/train.py) on CPU with tiny models. They skip where
// /usr/bin/python3 has no torch, unless STYLESTUDIO_REQUIRE_TORCH=1 (see torchPython).

func exportTiny(t *testing.T, cfg Config, data Data) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export")
	if err := ExportTorch(dir, "tiny", cfg, data); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runPy(t *testing.T, py string, args ...string) {
	t.Helper()
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", py, strings.Join(args, " "), err, out)
	}
}

// torchrunArgs is how the tests start N gloo processes (the launcher's own flags).
func torchrunArgs(n int, script string, args ...string) []string {
	return append(append(TorchLauncherArgs(n), script), args...)
}

// The trainer draws exactly the batches the built-in engine draws: same images, crops, flips,
// brightness (bit for bit) and target styles, from the step-0 checkpoint's random state; with the
// paired loss, the same counterparts through the same views.
func TestTorchDrawsTheEnginesBatches(t *testing.T) {
	py := torchPython(t)
	cfg, data := tinyConfig(3), pairedData(demoData(t, 60))
	cfg.LambdaPair = 4
	dir := exportTiny(t, cfg, data)
	out := filepath.Join(t.TempDir(), "batches.safetensors")
	runPy(t, py, filepath.Join(dir, torchtrain.FileName), "batches", "--data", dir, "--steps", "3", "--out", out)
	got, _, err := nn.ReadSafetensors(out)
	if err != nil {
		t.Fatal(err)
	}
	init, _, err := LatestCheckpoint(filepath.Join(dir, "init"))
	if err != nil {
		t.Fatal(err)
	}
	pcg := &rand.PCG{}
	state, _ := hex.DecodeString(init.RNG)
	if err := pcg.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(pcg)
	bt := newBatcher(cfg, data, prepareBases(data.Train, cfg.Size))
	plane := 3 * cfg.Size * cfg.Size
	pairs := 0
	for k := 0; k < 3; k++ {
		bt.draw(rng)
		for i := range bt.org {
			if o, g := got[fmt.Sprintf("org%d", k)].Data[i], got[fmt.Sprintf("trg%d", k)].Data[i]; int(o) != bt.org[i] || int(g) != bt.trg[i] {
				t.Fatalf("batch %d image %d: styles %v→%v, engine %d→%d", k, i, o, g, bt.org[i], bt.trg[i])
			}
			if w := got[fmt.Sprintf("pw%d", k)].Data[i]; (w > 0) != bt.paired[i] {
				t.Fatalf("batch %d image %d: trainer's pair weight %g, engine paired %v", k, i, w, bt.paired[i])
			}
			if !bt.paired[i] {
				continue
			}
			pairs++
			for j, want := range got[fmt.Sprintf("y%d", k)].Data[i*plane : (i+1)*plane] {
				if bt.y[i*plane+j] != want {
					t.Fatalf("batch %d image %d counterpart value %d: trainer %g, engine %g", k, i, j, want, bt.y[i*plane+j])
				}
			}
		}
		for i, want := range got[fmt.Sprintf("x%d", k)].Data {
			if bt.x[i] != want {
				t.Fatalf("batch %d value %d: trainer %g, engine %g", k, i, want, bt.x[i])
			}
		}
	}
	if pairs == 0 {
		t.Fatal("no sample of the 3 batches had a counterpart; the test compares none")
	}
}

// pairedData gives the examples objects, a dozen shared across styles, for the paired loss.
func pairedData(d Data) Data {
	for i := range d.Train {
		d.Train[i].Object = fmt.Sprintf("object-%d", i%12)
	}
	return d
}

// One step of 2 gloo processes (each half the batch, gradients averaged) equals one single-process
// step on the whole batch: losses, gradients (Adam's first moment is 0.1·grad after one step) and
// weights within 1e-5. A weight whose gradient is float noise (|g| < 1e-5) moves by ±lr·sign(g) in
// Adam's first step, and that sign depends on summation order, so those may differ by 2·lr.
// With DiffAugment too: each process augments its half with its half of the batch's draws.
func TestTorchDDPStepEqualsJoinedBatch(t *testing.T) {
	torchtest.SkipShort(t)
	py := torchPython(t)
	data := demoData(t, 60)
	for _, aug := range []bool{false, true} {
		cfg := tinyConfig(1)
		cfg.DiffAugment = aug
		ddpStepEqualsJoinedBatch(t, py, cfg, data)
	}
	// With the paired loss: each process weighs its half's pairs so that the mean over processes is
	// the batch's mean.
	cfg := tinyConfig(1)
	cfg.LambdaPair = 4
	ddpStepEqualsJoinedBatch(t, py, cfg, pairedData(data))
}

func ddpStepEqualsJoinedBatch(t *testing.T, py string, cfg Config, data Data) {
	t.Helper()
	dir := exportTiny(t, cfg, data)
	script := filepath.Join(dir, torchtrain.FileName)
	single, ddp := filepath.Join(t.TempDir(), "single"), filepath.Join(t.TempDir(), "ddp")
	runPy(t, py, script, "train", "--data", dir, "--out", single, "--steps", "1", "--threads", "1")
	runPy(t, py, torchrunArgs(2, script, "train", "--data", dir, "--out", ddp, "--steps", "1", "--threads", "1")...)
	a, _, err := LatestCheckpoint(single)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := LatestCheckpoint(ddp)
	if err != nil {
		t.Fatal(err)
	}
	if a.Step != 1 || b.Step != 1 {
		t.Fatalf("steps %d and %d, want 1", a.Step, b.Step)
	}
	la, lb := []float64{a.Losses.G, a.Losses.D, a.Losses.GCls, a.Losses.GRec}, []float64{b.Losses.G, b.Losses.D, b.Losses.GCls, b.Losses.GRec}
	for i := range la {
		if math.Abs(la[i]-lb[i]) > 1e-5*math.Max(1, math.Abs(la[i])) {
			t.Errorf("DiffAugment %v: losses differ: single %+v, ddp %+v", cfg.DiffAugment, a.Losses, b.Losses)
			break
		}
	}
	ta, _, _ := nn.ReadSafetensors(a.WeightsPath())
	tb, _, _ := nn.ReadSafetensors(b.WeightsPath())
	for name, x := range ta {
		if strings.HasPrefix(name, "adam.") {
			continue
		}
		m, y := ta["adam.m."+name], tb[name]
		// Gradients are compared relative to the tensor's largest (first-layer ones reach ~30).
		_, scale := maxDiff(m.Data, m.Data)
		gradTol := 1e-5 * (1 - cfg.Beta1) * math.Max(1/(1-cfg.Beta1), scale)
		for i := range x.Data {
			tol := 1e-5
			if math.Abs(float64(m.Data[i]))/(1-cfg.Beta1) < 1e-5 {
				tol = 2.01 * cfg.LR
			}
			if d := math.Abs(float64(x.Data[i] - y.Data[i])); d > tol {
				t.Fatalf("DiffAugment %v: %s[%d]: single %g, ddp %g", cfg.DiffAugment, name, i, x.Data[i], y.Data[i])
			}
			if d := math.Abs(float64(m.Data[i] - tb["adam.m."+name].Data[i])); d > gradTol {
				t.Fatalf("gradient of %s[%d]: single %g, ddp %g", name, i, m.Data[i]/0.1, tb["adam.m."+name].Data[i]/0.1)
			}
		}
	}
}

// The Go generator on a checkpoint the PyTorch trainer wrote gives PyTorch's own forward within 1e-4.
func TestGoGeneratorMatchesTorchForward(t *testing.T) {
	py := torchPython(t)
	cfg, data := tinyConfig(2), demoData(t, 60)
	dir := exportTiny(t, cfg, data)
	script := filepath.Join(dir, torchtrain.FileName)
	out := filepath.Join(t.TempDir(), "run")
	runPy(t, py, script, "train", "--data", dir, "--out", out, "--steps", "2", "--threads", "1")
	side, _, err := LatestCheckpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(side.WeightsPath())
	if err != nil {
		t.Fatalf("the Go stylizer cannot load a PyTorch checkpoint: %v", err)
	}
	b, s, n := 3, len(data.Styles), cfg.Size
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, b*3*n*n)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	styles := []int{0, 2, s - 1}
	c := make([]float32, b*s)
	for i, k := range styles {
		c[i*s+k] = 1
	}
	in, res := filepath.Join(t.TempDir(), "in.safetensors"), filepath.Join(t.TempDir(), "out.safetensors")
	if err := nn.WriteSafetensors(in, map[string]nn.Tensor{"x": {Shape: []int{b, 3, n, n}, Data: x}, "c": {Shape: []int{b, s}, Data: c}}, nil); err != nil {
		t.Fatal(err)
	}
	runPy(t, py, script, "forward", "--ckpt", side.WeightsPath(), "--in", in, "--out", res)
	ref, _, err := nn.ReadSafetensors(res)
	if err != nil {
		t.Fatal(err)
	}
	got := generate(m.cfg, s, m.p, x, b, styles)
	if d, _ := maxDiff(got, ref["y"].Data); d > 1e-4 {
		t.Fatalf("Go generator differs from PyTorch's forward by %g (tolerance 1e-4)", d)
	}
}

// Tolerances for a run that changed backend at step 3 against an uninterrupted one at step 6. Both
// draw the same batches, but float32 kernels that sum in different orders part by ~1e-6 a step, and
// Adam turns a noise-level gradient into a ±lr move, so single weights may differ by up to 2·lr per
// step (which even unrelated runs meet); the mean difference is what shows the same training: runs on
// other batches differ by about lr on average.
const (
	crossMaxTol  = 12 * 2e-4 // 2·lr for each of the 6 steps
	crossMeanTol = 0.1 * 2e-4
	crossLossTol = 0.02 // relative, G and D loss at step 6
)

func compareRuns(t *testing.T, what, dirA, dirB string) {
	t.Helper()
	a, _, err := LatestCheckpoint(dirA)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := LatestCheckpoint(dirB)
	if err != nil {
		t.Fatal(err)
	}
	if a.Step != b.Step {
		t.Fatalf("%s: steps %d and %d", what, a.Step, b.Step)
	}
	for i, pair := range [][2]float64{{a.Losses.G, b.Losses.G}, {a.Losses.D, b.Losses.D}} {
		if d := math.Abs(pair[0] - pair[1]); d > crossLossTol*math.Abs(pair[0]) {
			t.Errorf("%s: loss %d is %g, uninterrupted %g", what, i, pair[1], pair[0])
		}
	}
	ta, _, _ := nn.ReadSafetensors(a.WeightsPath())
	tb, _, _ := nn.ReadSafetensors(b.WeightsPath())
	worst, sum, n := 0.0, 0.0, 0
	for name, x := range ta {
		if strings.HasPrefix(name, "adam.") {
			continue
		}
		for i, v := range x.Data {
			d := math.Abs(float64(v - tb[name].Data[i]))
			worst, sum, n = math.Max(worst, d), sum+d, n+1
		}
	}
	mean := sum / float64(n)
	t.Logf("%s: weight difference from the uninterrupted run: largest %.3g (tolerance %.3g), mean %.3g (tolerance %.3g)",
		what, worst, crossMaxTol, mean, crossMeanTol)
	if worst > crossMaxTol || mean > crossMeanTol {
		t.Errorf("%s: weights differ from an uninterrupted run by up to %g, %g on average", what, worst, mean)
	}
}

// A built-in checkpoint resumes in PyTorch, and a PyTorch one in the built-in engine, ending close to
// an uninterrupted built-in run (crossTolerance), with and without DiffAugment: the trainer draws the
// augmentation from the same stream and applies the same maps.
func TestResumeAcrossBackends(t *testing.T) {
	torchtest.SkipShort(t)
	py := torchPython(t)
	data := demoData(t, 60)
	ctx := context.Background()
	to := TorchOptions{Python: py, Threads: 1}
	for _, aug := range []bool{false, true} {
		tinyConfig := func(steps int) Config {
			c := tinyConfig(steps)
			c.DiffAugment = aug
			return c
		}
		resumeAcrossBackends(t, ctx, data, to, tinyConfig, fmt.Sprintf("DiffAugment %v: ", aug))
	}
}

// resumeAcrossBackends trains 6 steps straight on the built-in engine, and 3 on one backend then 3 on
// the other, both ways, and compares the results.
func resumeAcrossBackends(t *testing.T, ctx context.Context, data Data, to TorchOptions, tinyConfig func(int) Config, what string) {
	t.Helper()
	straight := t.TempDir()
	if _, err := Train(ctx, tinyConfig(6), data, Options{Dir: straight}, nil); err != nil {
		t.Fatal(err)
	}
	goThenTorch := t.TempDir()
	if _, err := Train(ctx, tinyConfig(3), data, Options{Dir: goThenTorch}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := TrainTorch(ctx, tinyConfig(6), data, Options{Dir: goThenTorch, Resume: true}, to, nil); err != nil {
		t.Fatal(err)
	}
	compareRuns(t, what+"built-in 3 steps, then PyTorch", straight, goThenTorch)
	torchThenGo := t.TempDir()
	if _, err := TrainTorch(ctx, tinyConfig(3), data, Options{Dir: torchThenGo}, to, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(ctx, tinyConfig(6), data, Options{Dir: torchThenGo, Resume: true}, nil); err != nil {
		t.Fatal(err)
	}
	compareRuns(t, what+"PyTorch 3 steps, then built-in", straight, torchThenGo)
}

// Cancelling a PyTorch run stops the trainer with a checkpoint at the step it reached.
func TestTorchCancelWritesCheckpoint(t *testing.T) {
	torchtest.SkipShort(t)
	py := torchPython(t)
	data := demoData(t, 60)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	cfg := tinyConfig(100000)
	sum, err := TrainTorch(ctx, cfg, data, Options{Dir: dir}, TorchOptions{Python: py, Threads: 1}, func(e Event) {
		if e.Kind == EventCheckpoint {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run returned %v", err)
	}
	side, _, lerr := LatestCheckpoint(dir)
	if lerr != nil || side.Step != sum.Steps || sum.Steps < 3 || sum.Steps >= cfg.Steps {
		t.Fatalf("latest checkpoint %d (%v), summary %d steps", side.Step, lerr, sum.Steps)
	}
}

// A trainer that dies mid-run (here killed with its whole process group once a checkpoint exists)
// gives ErrTrainerStopped with what to do; the run resumes from its last checkpoint.
func TestTorchTrainerDiesThenResumes(t *testing.T) {
	torchtest.SkipShort(t)
	py := torchPython(t)
	data := demoData(t, 60)
	dir := t.TempDir()
	wrapper := filepath.Join(t.TempDir(), "python")
	script := `#!/bin/bash
if [ "$1" != "-m" ]; then exec ` + py + ` "$@"; fi
` + py + ` "$@" &
while [ ! -e "` + filepath.Join(dir, "ckpt-0000003.json") + `" ]; do kill -0 $! 2>/dev/null || exit 1; sleep 0.05; done
kill -KILL 0
`
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(100000)
	_, err := TrainTorch(context.Background(), cfg, data, Options{Dir: dir}, TorchOptions{Python: wrapper, Threads: 1}, nil)
	if !errors.Is(err, ErrTrainerStopped) || !strings.Contains(err.Error(), "resume") {
		t.Fatalf("a killed trainer returned %v", err)
	}
	side, _, err := LatestCheckpoint(dir)
	if err != nil {
		t.Fatalf("no checkpoint left to resume from: %v", err)
	}
	cfg.Steps = side.Step + 2
	sum, err := TrainTorch(context.Background(), cfg, data, Options{Dir: dir, Resume: true}, TorchOptions{Python: py, Threads: 1}, nil)
	if err != nil || sum.Steps != cfg.Steps {
		t.Fatalf("resume after the trainer died: %d steps, %v", sum.Steps, err)
	}
}

// Without PyTorch, or asking for CUDA where there is none, the error says what to install.
func TestTorchMissingOrNoCUDA(t *testing.T) {
	_, err := CheckTorch(context.Background(), TorchOptions{Python: filepath.Join(t.TempDir(), "no-python")}, 4)
	if !errors.Is(err, ErrTorchMissing) || !strings.Contains(err.Error(), "python3-torch") {
		t.Fatalf("missing interpreter: %v", err)
	}
	py := torchPython(t)
	info, err := DetectTorch(context.Background(), py)
	if err != nil {
		t.Fatal(err)
	}
	if info.CUDA {
		t.Skip("this machine has CUDA")
	}
	if _, err := CheckTorch(context.Background(), TorchOptions{Python: py, Device: "cuda"}, 4); !errors.Is(err, ErrNoCUDA) || !strings.Contains(err.Error(), "NVIDIA") {
		t.Fatalf("cuda without a GPU: %v", err)
	}
	if _, err := CheckTorch(context.Background(), TorchOptions{Python: py, Workers: 3}, 4); !errors.Is(err, ErrConfig) {
		t.Fatalf("3 workers for batch 4: %v", err)
	}
}

// Pausing a PyTorch run stops the trainer with a checkpoint; resuming starts it again from there, and
// the run reaches its end.
func TestTorchPauseStopsThenResumes(t *testing.T) {
	torchtest.SkipShort(t)
	py := torchPython(t)
	data := demoData(t, 60)
	dir := t.TempDir()
	// Enough steps that the trainer cannot finish between its first step and the stop file: the
	// pause reaches it within one step, and a tiny step takes milliseconds.
	cfg := tinyConfig(400)
	cfg.CheckpointEvery = 1000
	cfg.LogEvery = 50
	p := &Pauser{}
	var stops []int
	sum, err := TrainTorch(context.Background(), cfg, data, Options{Dir: dir, Pause: p}, TorchOptions{Python: py, Threads: 1}, func(e Event) {
		switch {
		case e.Kind == EventStep && e.Step == 1:
			p.Pause()
		case e.Kind == EventCheckpoint && p.Paused():
			stops = append(stops, e.Step)
			p.Resume()
		}
	})
	if err != nil || sum.Steps != 400 {
		t.Fatalf("paused and resumed run: %d steps, %v", sum.Steps, err)
	}
	if len(stops) != 1 || stops[0] < 1 || stops[0] >= 400 {
		t.Fatalf("checkpoints written on pause: %v", stops)
	}
}

// maxDiff is the largest absolute difference between got and want, and the largest |want|.
func maxDiff(got, want []float32) (diff, scale float64) {
	for i := range want {
		diff = math.Max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	return diff, scale
}

// The python3 first on PATH (pyenv's, a virtualenv's) often lacks torch where the system's has it:
// DetectTorch then finds the system's, and says which it found.
func TestDetectTorchFallsBackToTheSystemPython(t *testing.T) {
	if torchPython(t) != systemPython {
		t.Skip("the system python3 has no torch here")
	}
	bin := t.TempDir()
	fake := "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "python3"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("STYLESTUDIO_PYTHON", "")
	info, err := DetectTorch(context.Background(), "")
	if err != nil || info.Python != systemPython {
		t.Fatalf("DetectTorch with a torch-less python3 first on PATH: %+v, %v", info, err)
	}
}

// Two launches at once each keep their own rendezvous: with torchrun's --standalone both would use
// port 29400, and the second joined the first one's store and broke when it ended (the CI failure
// "RendezvousConnectionError" in a paused run's restart while another package's torch test ran).
func TestTwoTorchLaunchesAtOnce(t *testing.T) {
	py := torchPython(t)
	script := filepath.Join(t.TempDir(), "hold.py")
	src := "import os, time, torch.distributed as dist\n" +
		"dist.init_process_group('gloo')\n" +
		"print('port', os.environ['MASTER_PORT'], 'world', dist.get_world_size(), flush=True)\n" +
		"time.sleep(3)\n" +
		"dist.barrier()\n" +
		"dist.destroy_process_group()\n"
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	done := make(chan int)
	for i := range 2 {
		go func() {
			if i == 1 {
				time.Sleep(1500 * time.Millisecond) // start while the first one holds its store
			}
			outs[i], errs[i] = exec.Command(py, append(TorchLauncherArgs(1), script)...).CombinedOutput()
			done <- i
		}()
	}
	<-done
	<-done
	for i := range 2 {
		if errs[i] != nil || !strings.Contains(string(outs[i]), "world 1") {
			t.Errorf("launch %d: %v\n%s", i, errs[i], outs[i])
		}
	}
}

// The PyTorch trainer's checkpoints are validated as the built-in trainer's are: the Go side measures
// each one when the trainer reports it and records "val" in its sidecar, so the best checkpoint (the
// run's model), the catalog's rows and the trainer's own pruning (train.py's best_checkpoint) follow
// validation, not the training-loss proxy.
func TestTorchCheckpointsAreValidated(t *testing.T) {
	torchtest.SkipShort(t)
	py := torchPython(t)
	data := demoData(t, 60)
	dir := t.TempDir()
	cfg := tinyConfig(9) // checkpoints at 3, 6, 9
	cfg.KeepLast = 1
	var seen []int
	var reported []string
	report := func(e Event) {
		if e.Kind == EventCheckpoint {
			reported = append(reported, fmt.Sprintf("%d:%v", e.Step, e.Checkpoint.Val != nil))
		}
	}
	// The first validation is slow, as on a busy machine, so the trainer runs ahead and has written the
	// later checkpoints before the first is measured: pruning after it must leave them alone (it once
	// deleted step 6 before its validation).
	validate := peakValidation(t, data, 6, &seen)
	slow := func(m *Model) (*Validation, error) {
		if m.step == 3 {
			time.Sleep(3 * time.Second)
		}
		return validate(m)
	}
	if _, err := TrainTorch(context.Background(), cfg, data, Options{Dir: dir, Validate: slow},
		TorchOptions{Python: py, Threads: 1}, report); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(reported) != "[3:true 6:true 9:true]" {
		t.Errorf("checkpoints reported %v; want each with its validation", reported)
	}
	checkValidatedRun(t, dir, seen, 6, 9)
}
