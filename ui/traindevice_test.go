package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"stylestudio/engine/gan"
)

// The Device picker lists PyTorch choices only where PyTorch (and CUDA) were found, and otherwise
// says what to install.
func TestDevicePickerListsWhatWasFound(t *testing.T) {
	h := newTrainHarness(t, newDemoLibrary(t, 160))
	s := h.s
	h.do(func() {
		s.applyTorch(gan.TorchInfo{}, fmt.Errorf("%w (python3: No module named 'torch')", gan.ErrTorchMissing))
		if !slices.Equal(s.device.Options, []string{deviceBuiltin}) || !strings.Contains(s.deviceNote.Text, "apt-get install python3-torch") {
			t.Errorf("without PyTorch: options %v, note %q", s.device.Options, s.deviceNote.Text)
		}
		s.applyTorch(gan.TorchInfo{Python: "/usr/bin/python3", Version: "1.13.0"}, nil)
		if !slices.Equal(s.device.Options, []string{deviceBuiltin, devicePyTorchCPU}) || !strings.Contains(s.deviceNote.Text, "NVIDIA") {
			t.Errorf("PyTorch without CUDA: options %v, note %q", s.device.Options, s.deviceNote.Text)
		}
		s.device.SetSelected(devicePyTorchCPU)
		if o := s.torchChoice(); o == nil || o.Device != "cpu" || o.Python != "/usr/bin/python3" {
			t.Errorf("PyTorch CPU chosen: %+v", o)
		}
		s.applyTorch(gan.TorchInfo{Python: "python3", Version: "2.4", CUDA: true, CUDAVersion: "12.1",
			GPUs: []string{"NVIDIA H200", "NVIDIA H200"}}, nil)
		cuda := "PyTorch CUDA · NVIDIA H200"
		if !slices.Equal(s.device.Options, []string{deviceBuiltin, devicePyTorchCPU, cuda}) || s.device.Selected != devicePyTorchCPU {
			t.Errorf("with CUDA: options %v, selected %q", s.device.Options, s.device.Selected)
		}
		s.device.SetSelected(cuda)
		if o := s.torchChoice(); o == nil || o.Device != "cuda" {
			t.Errorf("CUDA chosen: %+v", o)
		}
		s.device.SetSelected(deviceBuiltin)
		if s.torchChoice() != nil {
			t.Error("the built-in engine chosen, yet a PyTorch backend is used")
		}
	})
}
