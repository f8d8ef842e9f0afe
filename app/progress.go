package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"stylestudio/engine/ingest"
)

// progressBar draws a one-line bar with count and ETA on a terminal; elsewhere (pipes, CI) it stays silent.
type progressBar struct {
	w       io.Writer
	label   string
	start   time.Time
	enabled bool
	drawn   bool
}

func newProgressBar(w io.Writer, label string) *progressBar {
	enabled := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			enabled = true
		}
	}
	return &progressBar{w: w, label: label, start: time.Now(), enabled: enabled}
}

func (b *progressBar) update(p ingest.Progress) {
	if !b.enabled || p.Total == 0 {
		return
	}
	const width = 30
	filled := width * p.Done / p.Total
	eta := ""
	if p.Done > 0 && p.Done < p.Total {
		left := time.Duration(float64(time.Since(b.start)) / float64(p.Done) * float64(p.Total-p.Done))
		eta = " ETA " + left.Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r%s [%s%s] %d/%d%s   ", b.label, strings.Repeat("#", filled), strings.Repeat(" ", width-filled), p.Done, p.Total, eta)
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
