package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"stylestudio/internal/perflog"
	"stylestudio/ui"
)

// The GUI's --perf-log FILE writes what the window's responsiveness was, as JSON lines, for the scale
// measurements (scripts/scale-window): every 100 ms a "tick" with the thumbnails loaded so far and
// waiting, the UI thread's lag (a probe queued with fyne.Do every 20 ms: how long until it ran; max and
// 99th percentile over the tick) and the resident memory; and events ("catalog_loaded", "label_loaded"
// with the product count). Times are Unix milliseconds (unix_ms), so a script can measure from the
// moment it started the program.

func perfFlags(fs *flag.FlagSet, stderr io.Writer) func(ctx context.Context, sh *ui.Shell) {
	path := fs.String("perf-log", "", "write the window's responsiveness (UI lag, thumbnails loaded, memory) to this file as JSON lines (scale measurements)")
	return func(ctx context.Context, sh *ui.Shell) {
		if *path == "" {
			return
		}
		f, err := os.Create(*path)
		if err != nil {
			fmt.Fprintf(stderr, "stylestudio: --perf-log: %v\n", err)
			return
		}
		p := &perfLog{out: f, path: *path, sh: sh}
		// ctx ends when the window's run ends; the probes touch no widget, so one that runs while the
		// app quits (Fyne then runs fyne.Do on the caller) does no harm. The e2e report owns the
		// window's OnClosed and the lifecycle's OnStopped callbacks (there is one of each).
		sh.Catalog().OnLoaded(func(n int) { p.event("catalog_loaded", n) })
		sh.Label().OnLoaded(func(n int) { p.event("label_loaded", n) })
		go p.probe(ctx)
		go func() {
			defer f.Close()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				p.event("tick", 0)
			}
		}()
	}
}

type perfLog struct {
	out   io.Writer
	path  string
	sh    *ui.Shell
	dumps int // stall dumps written (probe goroutine only)

	mu   sync.Mutex
	lags []float64 // ms, since the last tick
}

// probe queues a no-op on the UI thread every 20 ms and records how long it waited to run.
func (p *perfLog) probe(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
		posted := time.Now()
		ran := make(chan struct{})
		fyne.Do(func() {
			p.mu.Lock()
			p.lags = append(p.lags, float64(time.Since(posted).Microseconds())/1000)
			p.mu.Unlock()
			close(ran)
		})
		select {
		case <-ran:
			continue
		case <-ctx.Done():
			return
		case <-time.After(stallDump):
		}
		// The UI thread has not run the probe for a while: keep what every goroutine was doing (the
		// UI's own is the main goroutine's), for the first few stalls.
		if p.dumps < maxStallDumps {
			p.dumps++
			buf := make([]byte, 4<<20)
			buf = buf[:runtime.Stack(buf, true)]
			_ = os.WriteFile(fmt.Sprintf("%s.stall-%d.txt", p.path, p.dumps), buf, 0o644)
		}
		select {
		case <-ran:
		case <-ctx.Done():
			return
		}
	}
}

// A probe that waits longer than stallDump makes the log keep every goroutine's stack beside it
// (FILE.stall-N.txt), at most maxStallDumps times.
const (
	stallDump     = 500 * time.Millisecond
	maxStallDumps = 3
)

func (p *perfLog) event(name string, products int) {
	l := perflog.Line{UnixMS: time.Now().UnixMilli(), Event: name, Products: products, RSSMB: rssMB()}
	l.ThumbsLoaded, l.ThumbsPending = p.sh.ThumbStats()
	if name == "tick" {
		p.mu.Lock()
		lags := p.lags
		p.lags = nil
		p.mu.Unlock()
		if len(lags) > 0 {
			slices.Sort(lags)
			l.LagMaxMS, l.LagP99MS, l.Probes = lags[len(lags)-1], lags[min(len(lags)-1, len(lags)*99/100)], len(lags)
		}
	}
	b, _ := json.Marshal(l)
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = p.out.Write(append(b, '\n'))
}

// rssMB is this process's resident memory (Linux; 0 elsewhere).
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
