package kit

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// JobPanel is the status strip at the bottom of the window that shows one long-running job at a time
// (import, demo seeding, batch export, evaluation) with a progress bar, a count, an ETA and a Cancel button.
type JobPanel struct {
	ctx    context.Context
	do     func(func()) // runs UI work (Deps.do)
	bar    *widget.ProgressBar
	text   *widget.Label
	cancel *widget.Button
	box    *fyne.Container

	work *Work // counts the running job (Deps.Work; kit.Prepare sets it)

	// Touched on the UI goroutine only.
	running bool
	stop    context.CancelFunc
	started time.Time
}

// NewJobPanel makes an idle (hidden) panel; jobs it runs stop when ctx is cancelled; do runs UI work.
func NewJobPanel(ctx context.Context, do func(func())) *JobPanel {
	p := &JobPanel{ctx: ctx, do: do, bar: widget.NewProgressBar(), text: widget.NewLabel("")}
	p.cancel = widget.NewButton("Cancel", p.Cancel)
	p.box = container.NewBorder(nil, nil, p.text, p.cancel, p.bar)
	p.box.Hide()
	return p
}

// Cancel stops the running job (its Cancel button). UI goroutine only.
func (p *JobPanel) Cancel() {
	if p.stop != nil {
		p.stop()
		p.text.SetText("Cancelling…")
	}
}

// Object is the panel's widget tree.
func (p *JobPanel) Object() fyne.CanvasObject { return p.box }

// Busy reports whether a job is running. UI goroutine only.
func (p *JobPanel) Busy() bool { return p.running }

// Progress is one report of a job: Done of Total items so far; Current names the item at hand (a file,
// a SKU), empty when there is none to name.
type Progress struct {
	Done, Total int
	Current     string
}

// Job is background work the panel shows: it reports progress (at most ~30 times a second is plenty)
// and returns its error; results travel in the caller's closure.
type Job func(ctx context.Context, report func(Progress)) error

// Run starts job on its own goroutine, shows its progress, and calls done on the UI goroutine at the end.
// It returns false (and starts nothing) if another job is running. Call on the UI goroutine.
func (p *JobPanel) Run(title string, job Job, done func(error)) bool {
	if p.running {
		return false
	}
	ctx, stop := context.WithCancel(p.ctx)
	p.running, p.stop, p.started = true, stop, time.Now()
	p.bar.SetValue(0)
	p.text.SetText(title + "…")
	p.box.Show()
	end := p.work.Begin()
	go func() {
		defer end()
		err := job(ctx, func(pr Progress) {
			p.do(func() { p.show(title, pr) })
		})
		stop()
		p.do(func() {
			p.running, p.stop = false, nil
			p.box.Hide()
			if done != nil {
				done(err)
			}
		})
	}()
	return true
}

// show applies one progress report.
func (p *JobPanel) show(title string, pr Progress) {
	if !p.running || pr.Total == 0 {
		return
	}
	p.bar.SetValue(float64(pr.Done) / float64(pr.Total))
	p.text.SetText(fmt.Sprintf("%s %d/%d%s", title, pr.Done, pr.Total, Eta(p.started, pr.Done, pr.Total)))
}

// Eta estimates the time left from the average rate so far.
func Eta(started time.Time, done, total int) string {
	if done == 0 || done >= total {
		return ""
	}
	left := time.Duration(float64(time.Since(started)) / float64(done) * float64(total-done))
	return " · about " + left.Round(time.Second).String() + " left"
}
