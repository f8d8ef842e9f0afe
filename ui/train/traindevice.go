package train

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"stylestudio/engine/gan"
)

// The Device picker: the built-in engine always, and the PyTorch backend (gan.TrainTorch) where a
// python3 with torch is found: "PyTorch CPU", and "PyTorch CUDA · <GPU name>" per CUDA GPU. Where
// PyTorch or CUDA is missing, the note under the form says what to install.

const deviceBuiltin = "Built-in (CPU)"

const devicePyTorchCPU = "PyTorch CPU"

// probeTorch looks for PyTorch once, off the UI goroutine (a python3 start with a timeout).
func (s *TrainScreen) probeTorch() {
	if s.torchProbed || s.deps.Headless {
		return
	}
	s.torchProbed = true
	s.deviceNote.SetText("Looking for PyTorch…")
	ctx := s.deps.Ctx
	go func() {
		info, err := gan.DetectTorch(ctx, "")
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() { s.applyTorch(info, err) })
	}()
}

// applyTorch lists the PyTorch devices found (UI goroutine).
func (s *TrainScreen) applyTorch(info gan.TorchInfo, err error) {
	s.torchDevices = map[string]gan.TorchOptions{}
	opts := []string{deviceBuiltin}
	if err == nil {
		s.torchDevices[devicePyTorchCPU] = gan.TorchOptions{Python: info.Python, Device: "cpu"}
		opts = append(opts, devicePyTorchCPU)
		for _, name := range uniqueGPUs(info.GPUs) {
			o := "PyTorch CUDA · " + name
			s.torchDevices[o] = gan.TorchOptions{Python: info.Python, Device: "cuda"}
			opts = append(opts, o)
		}
	}
	s.device.Options = opts
	if _, ok := s.torchDevices[s.device.Selected]; !ok {
		s.device.Selected = deviceBuiltin
	}
	s.device.Refresh()
	s.deviceNote.SetText(torchNote(info, err))
}

// torchNote says what the PyTorch backend offers here, or what to install.
func torchNote(info gan.TorchInfo, err error) string {
	switch {
	case errors.Is(err, gan.ErrTorchMissing):
		return "PyTorch not found, so only the built-in engine trains here. For the PyTorch backend (GPU or several processes), " + gan.InstallHint + "."
	case err != nil:
		return "PyTorch could not be checked: " + err.Error()
	case !info.CUDA:
		return fmt.Sprintf("PyTorch %s found (CPU only). For GPU training: %s.", info.Version, gan.CUDAHint)
	}
	return fmt.Sprintf("PyTorch %s with CUDA %s found.", info.Version, info.CUDAVersion)
}

// uniqueGPUs names each GPU model once (a machine with 8 of one kind shows one choice).
func uniqueGPUs(gpus []string) []string {
	var out []string
	for _, g := range gpus {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// torchChoice is the PyTorch backend the Device picker chose, nil for the built-in engine.
func (s *TrainScreen) torchChoice() *gan.TorchOptions {
	o, ok := s.torchDevices[s.device.Selected]
	if !ok {
		return nil
	}
	return &o
}
