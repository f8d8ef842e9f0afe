package train

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"stylestudio/engine/gan"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/internal/torchtest"
	"stylestudio/store"
)

// The Device picker lists PyTorch choices only where PyTorch (and CUDA) were found, and otherwise
// says what to install.
func TestDevicePickerListsWhatWasFound(t *testing.T) {
	h := newTrainHarness(t, testlib.DemoLibrary(t, 160, 7))
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

// A run on "PyTorch CPU" shows live like a built-in one and pauses (the trainer stops with a
// checkpoint) and resumes (it starts again from there) to the end.
func TestTrainScreenPyTorchRunPausesAndFinishes(t *testing.T) {
	torchtest.SkipShort(t)
	py := torchtest.Python(t)
	info, err := gan.DetectTorch(context.Background(), py)
	if err != nil {
		t.Fatal(err)
	}
	db := testlib.DemoLibrary(t, 160, 7)
	h := newTrainHarness(t, db)
	s := h.s
	h.do(func() {
		s.applyTorch(info, nil)
		s.device.SetSelected(devicePyTorchCPU)
		fillTiny(s, "torch-ui", "12")
		s.styles.SetSelected(s.styles.Options[:2])
		test.Tap(s.startBtn)
	})
	h.waitStep(t, 1)
	h.do(func() { test.Tap(s.pauseBtn) })
	h.do(func() { test.Tap(s.resumeBtn) })
	// Each pause restarts torchrun (a few seconds alone, minutes on a crowded 2-core machine).
	select {
	case err := <-h.finished:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(8 * time.Minute):
		t.Fatal("timed out waiting for the PyTorch run")
	}
	run, err := db.RunByName(context.Background(), "torch-ui")
	if err != nil || run.Status != store.RunFinished || run.StepsDone != 12 {
		t.Fatalf("after the PyTorch run: %+v %v", run, err)
	}
	h.do(func() {
		if len(s.view.series.Steps) == 0 {
			t.Error("no loss curve points from the PyTorch run")
		}
	})
}

// The DiffAugment check goes into the run's config (on either engine), and a preset leaves it as the
// preset has it (off).
func TestDiffAugmentCheck(t *testing.T) {
	h := newTrainHarness(t, testlib.DemoLibrary(t, 160, 7))
	s := h.s
	h.do(func() {
		s.diffAug.SetChecked(true)
		c, err := s.formConfig()
		if err != nil || !c.DiffAugment {
			t.Errorf("checked: config %+v, %v", c, err)
		}
		if matchesPreset(c) >= 0 {
			t.Error("a run with DiffAugment still reads as a preset")
		}
		s.fillPreset(1)
		if c, _ := s.formConfig(); c.DiffAugment || s.diffAug.Checked {
			t.Error("the Balanced preset left DiffAugment checked")
		}
	})
}

// A run's settings name what it trained with beyond the form: DiffAugment and the content loss.
func TestAugTextNamesContentLoss(t *testing.T) {
	for _, c := range []struct {
		cfg  gan.Config
		want string
	}{
		{gan.Config{}, ""},
		{gan.Config{DiffAugment: true}, ", DiffAugment"},
		{gan.Config{DiffAugment: true, LambdaContent: 3}, ", DiffAugment, content loss 3"},
		{gan.Config{LambdaContent: 3, ContentPool: 8}, ", content loss 3 on 8×8 blocks"},
	} {
		if got := augText(c.cfg); got != c.want {
			t.Errorf("augText(%+v) = %q, want %q", c.cfg, got, c.want)
		}
	}
}
