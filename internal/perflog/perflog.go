// Package perflog is the format of the GUI's --perf-log file (app/perflog.go writes it,
// internal/e2e's scale measurement reads it): one JSON object per line.
package perflog

import (
	"bufio"
	"encoding/json"
	"os"
)

// Line is one line: a "tick" every 100 ms, or an event ("catalog_loaded", "label_loaded").
type Line struct {
	UnixMS        int64   `json:"unix_ms"`
	Event         string  `json:"event"`
	Products      int     `json:"products,omitempty"`
	ThumbsLoaded  int64   `json:"thumbs_loaded"`
	ThumbsPending int     `json:"thumbs_pending"` // waiting to load or being decoded
	LagMaxMS      float64 `json:"lag_max_ms"`     // the UI thread's lag over the tick
	LagP99MS      float64 `json:"lag_p99_ms"`
	Probes        int     `json:"probes"`
	RSSMB         float64 `json:"rss_mb"`
}

// Read returns the lines of the file written so far (none when it cannot be read; a line being
// written is skipped).
func Read(path string) []Line {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []Line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l Line
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			out = append(out, l)
		}
	}
	return out
}
