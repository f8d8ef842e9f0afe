package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"stylestudio/engine/ingest"
)

// JobPanel is the status strip at the bottom of the window that shows one long-running job at a time
// (import, demo seeding) with a progress bar, a count, an ETA and a Cancel button.
type JobPanel struct {
	ctx    context.Context
	do     func(func()) // runs UI work (Deps.do)
	bar    *widget.ProgressBar
	text   *widget.Label
	cancel *widget.Button
	box    *fyne.Container

	// Touched on the UI goroutine only.
	running bool
	stop    context.CancelFunc
	started time.Time
}

// newJobPanel makes an idle (hidden) panel; jobs it runs stop when ctx is cancelled; do runs UI work.
func newJobPanel(ctx context.Context, do func(func())) *JobPanel {
	p := &JobPanel{ctx: ctx, do: do, bar: widget.NewProgressBar(), text: widget.NewLabel("")}
	p.cancel = widget.NewButton("Cancel", func() {
		if p.stop != nil {
			p.stop()
			p.text.SetText("Cancelling…")
		}
	})
	p.box = container.NewBorder(nil, nil, p.text, p.cancel, p.bar)
	p.box.Hide()
	return p
}

// Object is the panel's widget tree.
func (p *JobPanel) Object() fyne.CanvasObject { return p.box }

// Busy reports whether a job is running. UI goroutine only.
func (p *JobPanel) Busy() bool { return p.running }

// ImportFunc is a job that reports ingest progress.
type ImportFunc func(ctx context.Context, progress func(ingest.Progress)) (ingest.Summary, error)

// Run starts job on its own goroutine, shows its progress, and calls done on the UI goroutine at the end.
// It returns false (and starts nothing) if another job is running. Call on the UI goroutine.
func (p *JobPanel) Run(title string, job ImportFunc, done func(ingest.Summary, error)) bool {
	if p.running {
		return false
	}
	ctx, stop := context.WithCancel(p.ctx)
	p.running, p.stop, p.started = true, stop, time.Now()
	p.bar.SetValue(0)
	p.text.SetText(title + "…")
	p.box.Show()
	go func() {
		sum, err := job(ctx, func(pr ingest.Progress) {
			p.do(func() { p.show(title, pr) })
		})
		stop()
		p.do(func() {
			p.running, p.stop = false, nil
			p.box.Hide()
			if done != nil {
				done(sum, err)
			}
		})
	}()
	return true
}

// show applies one progress report; reports arrive at most ~30 a second from the job.
func (p *JobPanel) show(title string, pr ingest.Progress) {
	if !p.running || pr.Total == 0 {
		return
	}
	p.bar.SetValue(float64(pr.Done) / float64(pr.Total))
	p.text.SetText(fmt.Sprintf("%s %d/%d%s", title, pr.Done, pr.Total, eta(p.started, pr.Done, pr.Total)))
}

// eta estimates the time left from the average rate so far.
func eta(started time.Time, done, total int) string {
	if done == 0 || done >= total {
		return ""
	}
	left := time.Duration(float64(time.Since(started)) / float64(done) * float64(total-done))
	return " · about " + left.Round(time.Second).String() + " left"
}
