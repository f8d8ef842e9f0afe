package gan

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"stylestudio/engine/gan/torchtrain"
	"stylestudio/engine/nn"
)

// The PyTorch backend: the same model trained by torchtrain's train.py under torchrun (one process per
// GPU with NCCL, or several CPU processes with gloo), writing checkpoints in this package's format into
// the run folder. The studio exports the run's data once (ExportTorch), launches the trainer, and turns
// its JSON progress lines back into Events, so a torch run is recorded exactly like a built-in one.
//
// An export folder holds:
//
//	data.json       {"run", "styles", "labels", "size", "count", "height", "width", "bases", "config"}
//	bases.u8        every training image prepared as the built-in engine prepares it (square on white
//	                plus the augmentation margin), count × height × width × RGB bytes
//	init/           a step-0 checkpoint: the weights and random state a built-in run starts from, so
//	                both backends draw the same batches
//	train.py        the trainer

// TorchOptions say how the PyTorch trainer runs.
type TorchOptions struct {
	Python  string    // interpreter with torch (default: $STYLESTUDIO_PYTHON, else python3)
	Device  string    // "cpu" or "cuda"
	Workers int       // processes (one per GPU on CUDA); default 1
	Threads int       // CPU threads per process (0: cores / workers)
	Stderr  io.Writer // optional: the trainer's stderr as it comes

	checked bool // CheckTorch has approved these options (so TrainTorch need not start python again)
}

// ErrTorchMissing means no Python with PyTorch was found.
var ErrTorchMissing = errors.New("PyTorch is not available")

// ErrNoCUDA means CUDA training was asked for where PyTorch sees no GPU.
var ErrNoCUDA = errors.New("no CUDA GPU")

// ErrTrainerStopped means the PyTorch trainer exited before finishing; the run keeps its last
// checkpoint and can be resumed.
var ErrTrainerStopped = errors.New("the PyTorch trainer stopped before finishing")

// TorchInfo is what a Python installation offers.
type TorchInfo struct {
	Python      string   `json:"python"`
	Version     string   `json:"torch"`
	CUDA        bool     `json:"cuda"`
	CUDAVersion string   `json:"cuda_version"`
	GPUs        []string `json:"gpus"`
	Distributed bool     `json:"distributed"`
}

// InstallHint says how to get PyTorch.
const InstallHint = "install PyTorch for python3 (Debian/Ubuntu: apt-get install python3-torch; elsewhere: pip install torch), or set STYLESTUDIO_PYTHON to an interpreter that has it"

// CUDAHint says what a CUDA run needs.
const CUDAHint = "CUDA training needs an NVIDIA GPU with its driver and a CUDA build of PyTorch (pip install torch from download.pytorch.org); Debian's python3-torch is CPU-only"

// PythonPath is the interpreter the PyTorch backend uses: $STYLESTUDIO_PYTHON, else python3.
func PythonPath() string {
	if p := os.Getenv("STYLESTUDIO_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

const probeTimeout = 2 * time.Minute

// DetectTorch asks python what PyTorch it has. When python is empty it asks PythonPath and, where that
// is the python3 on PATH (a pyenv or virtualenv one, often without torch), also the system's
// /usr/bin/python3 (Debian's python3-torch); the answer's Python is the interpreter that has it. It runs
// a short probe with a timeout, so call it off any UI goroutine.
func DetectTorch(ctx context.Context, python string) (TorchInfo, error) {
	if python != "" {
		return probeTorch(ctx, python)
	}
	info, err := probeTorch(ctx, PythonPath())
	if err == nil || !errors.Is(err, ErrTorchMissing) || os.Getenv("STYLESTUDIO_PYTHON") != "" {
		return info, err
	}
	if _, serr := os.Stat(systemPython); serr == nil {
		if sys, serr := probeTorch(ctx, systemPython); serr == nil {
			return sys, nil
		}
	}
	return info, err
}

// systemPython is the distribution's interpreter, tried when the python3 on PATH has no torch.
const systemPython = "/usr/bin/python3"

func probeTorch(ctx context.Context, python string) (TorchInfo, error) {
	// Importing torch takes a second or two; on a crowded 2-core machine it has taken over 30.
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	probe := `import json, torch
info = {"torch": torch.__version__, "cuda": torch.cuda.is_available(), "cuda_version": torch.version.cuda or "",
        "distributed": torch.distributed.is_available(), "gpus": []}
if info["cuda"]:
    info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
print(json.dumps(info))`
	out, err := exec.CommandContext(ctx, python, "-c", probe).Output()
	if err != nil {
		why := err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			why = lastLine(string(ee.Stderr))
		}
		if ctx.Err() == context.DeadlineExceeded {
			return TorchInfo{Python: python}, fmt.Errorf("%s did not finish importing torch within %s; try again when the machine is less busy", python, probeTimeout)
		}
		return TorchInfo{Python: python}, fmt.Errorf("%w (%s: %s); %s", ErrTorchMissing, python, why, InstallHint)
	}
	info := TorchInfo{Python: python}
	if err := json.Unmarshal(out, &info); err != nil {
		return info, fmt.Errorf("%w: %s printed %q instead of its PyTorch facts", ErrTorchMissing, python, strings.TrimSpace(string(out)))
	}
	return info, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// exportMeta is data.json.
type exportMeta struct {
	Run    string   `json:"run"`
	Styles []string `json:"styles"`
	Labels []int    `json:"labels"`
	// Objects are the examples' Example.Object (counterparts for the paired loss); absent when none
	// is known.
	Objects []string `json:"objects,omitempty"`
	Size    int      `json:"size"`
	Count   int      `json:"count"`
	Height  int      `json:"height"`
	Width   int      `json:"width"`
	Bases   string   `json:"bases"`
	Config  Config   `json:"config"`
}

// ExportTorch writes a run's data for the PyTorch trainer into dir (see above): the prepared training
// images, their styles, a step-0 checkpoint of cfg (the weights a fresh built-in run would start
// with) and the trainer itself.
func ExportTorch(dir, run string, cfg Config, data Data) error {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := checkData(data); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export for PyTorch: %w", err)
	}
	bases := prepareBases(data.Train, cfg.Size)
	b := bases[0].Bounds()
	raw := make([]byte, 0, len(bases)*b.Dx()*b.Dy()*3)
	labels, objects := make([]int, len(bases)), make([]string, len(bases))
	known := false
	for i, img := range bases {
		for p := 0; p < len(img.Pix); p += 4 {
			raw = append(raw, img.Pix[p], img.Pix[p+1], img.Pix[p+2])
		}
		labels[i], objects[i] = data.Train[i].Style, data.Train[i].Object
		known = known || objects[i] != ""
	}
	if !known {
		objects = nil
	}
	if err := writeFileAtomic(filepath.Join(dir, "bases.u8"), raw); err != nil {
		return fmt.Errorf("export for PyTorch: %w", err)
	}
	meta, _ := json.MarshalIndent(exportMeta{Run: run, Styles: data.Styles, Labels: labels, Objects: objects, Size: cfg.Size, Count: len(bases),
		Height: b.Dy(), Width: b.Dx(), Bases: "bases.u8", Config: cfg}, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, "data.json"), meta); err != nil {
		return fmt.Errorf("export for PyTorch: %w", err)
	}
	// The step-0 checkpoint: exactly what Train draws before its first step.
	pcg := rand.NewPCG(cfg.Seed, 0x9a11)
	p := newParams(cfg, len(data.Styles), rand.New(pcg))
	tensors := map[string]nn.Tensor{}
	for name, t := range p {
		tensors[name] = t
		zero := nn.Tensor{Shape: t.Shape, Data: make([]float32, len(t.Data))}
		tensors["adam.m."+name], tensors["adam.v."+name] = zero, zero
	}
	state, _ := pcg.MarshalBinary()
	init := filepath.Join(dir, "init")
	removeStaleTemps(init)
	if _, err := saveCheckpoint(init, Sidecar{Step: 0, Config: cfg, Styles: data.Styles, RNG: hex.EncodeToString(state)}, tensors); err != nil {
		return fmt.Errorf("export for PyTorch: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, torchtrain.FileName), torchtrain.Script, 0o755); err != nil {
		return fmt.Errorf("export for PyTorch: %w", err)
	}
	return nil
}

// TorchCommand is the command line that trains exportDir's data into outDir with workers processes
// under torchrun (python -m torch.distributed.run, so the interpreter that has torch runs it). The
// trainer leaves pruning to runTorch, which prunes after it has validated each checkpoint: the trainer
// pruning on its own would delete checkpoints before their validation arrived.
// Debian's torchrun on Python 3.11 fails at start unless told to redirect and tee the workers' output;
// its agent looks at the workers every --monitor_interval seconds (5 by default, so a run would end
// up to 5 s after its trainer).
func TorchCommand(python, exportDir, outDir string, o TorchOptions, steps int) []string {
	workers := max(o.Workers, 1)
	args := append([]string{python}, TorchLauncherArgs(workers)...)
	args = append(args, filepath.Join(exportDir, torchtrain.FileName), "train", "--data", exportDir, "--out", outDir,
		"--device", o.Device, "--steps", strconv.Itoa(steps), "--no-prune")
	if o.Threads > 0 {
		args = append(args, "--threads", strconv.Itoa(o.Threads))
	}
	return args
}

// TorchLauncherArgs are the interpreter arguments that start workers processes under torchrun on
// this machine. Each launch gets its own rendezvous store on a port the OS picks (localhost:0) and its
// own id. torchrun's --standalone would put every launch on port 29400 (PyTorch 1.13): a second
// launch while one runs (two runs, or a pause's restart while the old store lingers) joins the first
// one's store or fails with "RendezvousConnectionError: The connection to the C10d store has failed".
func TorchLauncherArgs(workers int) []string {
	var id [8]byte
	_, _ = crand.Read(id[:])
	return []string{"-m", "torch.distributed.run", "--rdzv_backend", "c10d", "--rdzv_endpoint", "localhost:0",
		"--rdzv_id", "stylestudio-" + hex.EncodeToString(id[:]), "--nnodes", "1",
		"--nproc_per_node", strconv.Itoa(max(workers, 1)), "--redirects", "1", "--tee", "1", "--monitor_interval", "1"}
}

// CheckTorch fills o's defaults and reports whether its interpreter has PyTorch, with CUDA and enough
// GPUs where o asks for them, and whether batch splits over its processes.
func CheckTorch(ctx context.Context, o TorchOptions, batch int) (TorchOptions, error) {
	if o.Device == "" {
		o.Device = "cpu"
	}
	o.Workers = max(o.Workers, 1)
	if batch%o.Workers != 0 {
		return o, fmt.Errorf("%w: batch %d does not split over %d processes; pick a worker count that divides it", ErrConfig, batch, o.Workers)
	}
	if o.checked {
		return o, nil
	}
	info, err := DetectTorch(ctx, o.Python)
	if err != nil {
		return o, err
	}
	o.Python = info.Python
	if o.Device == "cuda" && !info.CUDA {
		return o, fmt.Errorf("%w: PyTorch %s (%s) sees no CUDA GPU; train with --device cpu, or: %s", ErrNoCUDA, info.Version, o.Python, CUDAHint)
	}
	if o.Device == "cuda" && o.Workers > len(info.GPUs) {
		return o, fmt.Errorf("%w: %d processes asked for, but PyTorch sees %d GPU(s); use --workers %d", ErrConfig, o.Workers, len(info.GPUs), len(info.GPUs))
	}
	o.checked = true
	return o, nil
}

// torchLine is one progress line of train.py (the `train --json` keys).
type torchLine struct {
	Event      string  `json:"event"`
	Step       int     `json:"step"`
	Steps      int     `json:"steps"`
	Losses     *Losses `json:"losses"`
	ImagesPerS float64 `json:"images_per_s"`
	ETASeconds float64 `json:"eta_s"`
	Checkpoint string  `json:"checkpoint"`
	Message    string  `json:"message"`
	Status     string  `json:"status"`
}

// TrainTorch trains (or resumes) a run with the PyTorch trainer and reports the same Events as Train:
// steps, checkpoints, a sample grid (drawn by the Go generator) at each checkpoint, warnings. Pausing
// stops the trainer with a checkpoint and starts it again from there on Resume; cancelling ctx stops it
// with a checkpoint and returns ctx.Err(). A trainer that dies returns ErrTrainerStopped; the
// checkpoints it wrote stay.
func TrainTorch(ctx context.Context, cfg Config, data Data, opts Options, to TorchOptions, report func(Event)) (Summary, error) {
	if report == nil {
		report = func(Event) {}
	}
	cfg, err := checkRun(cfg, data, opts)
	if err != nil {
		return Summary{}, err
	}
	var last Sidecar
	start := 0
	if opts.Resume {
		side, err := resumePoint(opts.Dir, cfg, data.Styles, report)
		if err != nil {
			return Summary{}, err
		}
		cfg = resumedConfig(side, cfg)
		last, start = side, side.Step
	}
	if to, err = CheckTorch(ctx, to, cfg.BatchSize); err != nil {
		return Summary{}, err
	}
	work := filepath.Join(opts.Dir, "torch")
	defer os.RemoveAll(work)
	if err := ExportTorch(work, filepath.Base(opts.Dir), cfg, data); err != nil {
		return Summary{}, err
	}
	samples := prepareSamples(data.Samples, cfg.Size)
	if start == 0 && len(samples) > 0 {
		init, _, err := LatestCheckpoint(filepath.Join(work, "init"))
		if err == nil {
			if p, _, err := readCheckpointTensors(init); err == nil {
				report(Event{Kind: EventSample, Step: 0, Steps: cfg.Steps, Grid: sampleGrid(cfg, len(data.Styles), p, samples)})
			}
		}
	}
	begin := time.Now()
	sum := Summary{Steps: start, Checkpoint: last}
	for {
		res, err := runTorch(ctx, work, opts, to, cfg, data.Styles, samples, report)
		if res.step > sum.Steps {
			sum.Steps = res.step
		}
		if res.losses != nil {
			sum.Losses = *res.losses
		}
		if res.last.Path != "" {
			sum.Checkpoint = res.last
		}
		sum.Elapsed = time.Since(begin)
		sum.ImagesPerS = float64((sum.Steps-start)*cfg.BatchSize) / max(sum.Elapsed.Seconds(), 1e-9)
		if err != nil || res.status == "finished" {
			return sum, err
		}
		// Stopped on request: a pause waits here and starts the trainer again from its checkpoint.
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		if err := opts.Pause.wait(ctx); err != nil || ctx.Err() != nil {
			return sum, ctx.Err()
		}
	}
}

// validateTorchCheckpoint measures a checkpoint the PyTorch trainer wrote as Train measures its own
// (Options.Validate) and records the result in its sidecar, where BestCheckpoint, pruning and the
// catalog find it (train.py's best_checkpoint reads it too, for a trainer that prunes itself). p and
// perr are the checkpoint's tensors as read. A failure is a warning and leaves the checkpoint
// unmeasured, as in Train.
func validateTorchCheckpoint(side *Sidecar, p Params, perr error, cfg Config, styles []string,
	validate func(*Model) (*Validation, error), report func(Event)) {
	warn := func(err error) {
		report(Event{Kind: EventWarning, Step: side.Step, Message: fmt.Sprintf("checkpoint %d was not validated: %v", side.Step, err)})
	}
	if perr != nil {
		warn(perr)
		return
	}
	if err := validateInto(side, &Model{cfg: cfg, styles: styles, p: p, step: side.Step}, validate); err != nil {
		warn(err)
	}
}

// validateInto measures m, the model of the checkpoint side describes, and records the measurement in
// the checkpoint's sidecar and in side.
func validateInto(side *Sidecar, m *Model, validate func(*Model) (*Validation, error)) error {
	v, err := validate(m)
	if err != nil {
		return err
	}
	if err := recordValidation(side.Path, v); err != nil {
		return err
	}
	side.Val = v
	return nil
}

// ValidateCheckpoint measures a complete checkpoint written elsewhere (a bundle trained with PyTorch
// on another machine, brought back by `runs import`) as Train measures its own (Options.Validate), and
// records the result in its sidecar and in side.
func ValidateCheckpoint(side *Sidecar, validate func(*Model) (*Validation, error)) error {
	p, _, err := readCheckpointTensors(*side)
	if err != nil {
		return err
	}
	return validateInto(side, &Model{cfg: side.Config.WithDefaults(), styles: side.Styles, p: p, step: side.Step}, validate)
}

// PruneCheckpoints deletes the checkpoints in dir other than the best one (by validation where any was
// measured) and the last keep, as training does after each checkpoint.
func PruneCheckpoints(dir string, keep int) error { return pruneCheckpoints(dir, max(keep, 1)) }

// recordValidation adds v to the sidecar at path as its "val", keeping every other key as written
// (the PyTorch trainer's sidecars may carry keys this build does not know), atomically.
func recordValidation(path string, v *Validation) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return fmt.Errorf("%s is not a checkpoint description (%v)", path, err)
	}
	val, err := json.Marshal(v)
	if err != nil {
		return err
	}
	keys["val"] = val
	out, err := json.MarshalIndent(keys, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, out)
}

type torchResult struct {
	step   int
	losses *Losses
	last   Sidecar
	status string // "finished", "paused" (stopped on request)
}

// runTorch runs the trainer once, until it finishes, is stopped (cancel or pause), or dies.
func runTorch(ctx context.Context, work string, opts Options, to TorchOptions, cfg Config, styles []string, samples [][]float32, report func(Event)) (torchResult, error) {
	var res torchResult
	stopFile := filepath.Join(opts.Dir, "STOP")
	_ = os.Remove(stopFile)
	args := TorchCommand(to.Python, work, opts.Dir, to, cfg.Steps)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	tail := &tailBuffer{max: 4096}
	if to.Stderr != nil {
		cmd.Stderr = io.MultiWriter(tail, to.Stderr)
	} else {
		cmd.Stderr = tail
	}
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("%w: start %s: %v; %s", ErrTorchMissing, args[0], err, InstallHint)
	}
	// Stop requests (cancel, pause) become the STOP file the trainer checks between steps; one that
	// is not honoured within a while becomes a signal to the whole process group.
	var stopOnce sync.Once
	requested := false
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
			case <-opts.Pause.pausing():
				if !opts.Pause.Paused() { // resumed before this goroutine saw it
					continue
				}
			}
			stopOnce.Do(func() {
				mu.Lock()
				requested = true
				mu.Unlock()
				_ = os.WriteFile(stopFile, nil, 0o644)
			})
			select {
			case <-done:
				return
			case <-time.After(2 * time.Minute):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
			return
		}
	}()
	var errMsg string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		text := sc.Text()
		i := strings.IndexByte(text, '{') // torchrun's tee prefixes "[default0]:"
		if i < 0 {
			continue
		}
		var l torchLine
		if json.Unmarshal([]byte(text[i:]), &l) != nil {
			continue
		}
		switch l.Event {
		case "step":
			if l.Losses == nil {
				continue
			}
			res.step, res.losses = l.Step, l.Losses
			report(Event{Kind: EventStep, Step: l.Step, Steps: l.Steps, Losses: *l.Losses, ImagesPerS: l.ImagesPerS,
				ETA: time.Duration(l.ETASeconds * float64(time.Second))})
		case "checkpoint":
			side, err := readSidecar(strings.TrimSuffix(l.Checkpoint, ".safetensors") + ".json")
			if err != nil {
				report(Event{Kind: EventWarning, Message: "the PyTorch trainer wrote a checkpoint that does not verify: " + err.Error()})
				continue
			}
			var p Params
			var perr error
			if opts.Validate != nil || len(samples) > 0 { // the weights are read only for these
				p, _, perr = readCheckpointTensors(side)
			}
			if opts.Validate != nil {
				validateTorchCheckpoint(&side, p, perr, cfg, styles, opts.Validate, report)
			}
			res.last, res.step = side, side.Step
			report(Event{Kind: EventCheckpoint, Step: side.Step, Steps: l.Steps, Checkpoint: side})
			// Only up to this checkpoint: the trainer may have written newer ones, not validated yet.
			if err := pruneCheckpointsThrough(opts.Dir, cfg.KeepLast, side.Step); err != nil {
				report(Event{Kind: EventWarning, Step: side.Step, Message: "old checkpoints were not pruned: " + err.Error()})
			}
			if len(samples) > 0 && perr == nil {
				report(Event{Kind: EventSample, Step: side.Step, Steps: l.Steps, Grid: sampleGrid(cfg, len(styles), p, samples)})
			}
		case "warning":
			report(Event{Kind: EventWarning, Message: l.Message})
		case "error":
			errMsg = l.Message
		case "done":
			res.status = l.Status
			if l.Losses != nil {
				res.losses = l.Losses
			}
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	close(done)
	_ = os.Remove(stopFile)
	mu.Lock()
	wasRequested := requested
	mu.Unlock()
	if werr == nil && (res.status == "finished" || res.status == "paused") {
		return res, nil
	}
	if wasRequested && res.status == "" {
		// Killed after not stopping in time: whatever checkpoint it wrote is the one to resume from.
		res.status = "paused"
		return res, nil
	}
	where := "no checkpoint was written"
	if res.last.Path != "" {
		where = fmt.Sprintf("its last checkpoint (step %d) is kept", res.last.Step)
	} else if side, _, err := LatestCheckpoint(opts.Dir); err == nil {
		where = fmt.Sprintf("its last checkpoint (step %d) is kept", side.Step)
	}
	why := errMsg
	if why == "" {
		why = fmt.Sprintf("%v: %s", werr, lastLine(tail.String()))
	}
	return res, fmt.Errorf("%w at step %d (%s); %s; resume the run to continue", ErrTrainerStopped, res.step, why, where)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// CopyCheckpoint copies a verified checkpoint into dir (weights, then sidecar, each through a temp
// file renamed into place) and returns the copy's sidecar, verified again.
func CopyCheckpoint(side Sidecar, dir string) (Sidecar, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return side, fmt.Errorf("copy checkpoint: %w", err)
	}
	for _, name := range []string{side.Weights, filepath.Base(side.Path)} {
		if err := copyFileAtomic(filepath.Join(filepath.Dir(side.Path), name), filepath.Join(dir, name)); err != nil {
			return side, fmt.Errorf("copy checkpoint at step %d: %w (%s)", side.Step, err, saveHint(err))
		}
	}
	return readSidecar(filepath.Join(dir, filepath.Base(side.Path)))
}

func copyFileAtomic(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeFileAtomic(dst, data)
}

// CheckpointGrid draws a sample grid (rows = imgs, columns = source then every style) with a
// checkpoint's generator.
func CheckpointGrid(side Sidecar, imgs []image.Image) (*image.NRGBA, error) {
	p, _, err := readCheckpointTensors(side)
	if err != nil {
		return nil, err
	}
	cfg := side.Config.WithDefaults()
	return sampleGrid(cfg, len(side.Styles), p, prepareSamples(imgs, cfg.Size)), nil
}
