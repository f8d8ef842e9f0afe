package train

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// This file: closing the window while training.

// AskClose asks what to do with a running job when the window is closed: stop it with a checkpoint
// and quit (closeWindow; Shell.Close waits for the checkpoint), keep it training with the window
// hidden, or not close.
func (s *TrainScreen) AskClose(closeWindow func()) {
	step := ""
	if s.job != nil {
		s.job.mu.Lock()
		if s.job.live.steps > 0 {
			step = fmt.Sprintf(" (step %d of %d)", s.job.live.step, s.job.live.steps)
		}
		s.job.mu.Unlock()
	}
	msg := widget.NewLabel(fmt.Sprintf("%s is training%s.\n\nStop it now: a checkpoint is written and Resume in the run history continues later.\n"+
		"Or keep it training with the window hidden: the app quits by itself when the run is finished.", s.jobName(), step))
	msg.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	stop := widget.NewButton("Stop training and quit", func() { d.Hide(); closeWindow() })
	stop.Importance = widget.HighImportance
	keep := widget.NewButton("Keep training in the background", func() { d.Hide(); s.goBackground(closeWindow) })
	stay := widget.NewButton("Don't close", func() { d.Hide() })
	content := container.NewVBox(msg, container.NewHBox(stay, keep, stop))
	d = dialog.NewCustomWithoutButtons("Close Style Studio?", content, s.deps.Window)
	d.Resize(fyne.NewSize(560, 220))
	s.deps.ShowDialog(d, nil) // Escape: don't close; the choice is clicked
}

func (s *TrainScreen) jobName() string {
	if s.job == nil {
		return "A run"
	}
	return s.job.name
}

// goBackground hides the window and lets the run finish; the app then quits. Where the desktop has a
// system tray, its menu can bring the window back or stop the run.
func (s *TrainScreen) goBackground(closeWindow func()) {
	if s.job == nil {
		closeWindow()
		return
	}
	s.quitWhenDone = true
	if desk, ok := fyne.CurrentApp().(desktop.App); ok && !s.deps.Headless {
		desk.SetSystemTrayMenu(fyne.NewMenu("Style Studio",
			fyne.NewMenuItem("Show Style Studio", func() {
				s.quitWhenDone = false
				s.deps.Window.Show()
			}),
			fyne.NewMenuItem("Stop training and quit", closeWindow),
		))
	}
	s.deps.Window.Hide()
}
