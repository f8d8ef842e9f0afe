package kit

import (
	"encoding/json"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"stylestudio/engine/gan"
)

// EvalMetrics are the eval numbers a run may carry in MetricsJSON.
type EvalMetrics struct {
	EvalVersion     int      `json:"eval_version"`
	StyleAccuracy   *float64 `json:"style_accuracy"`
	ContentSSIM     *float64 `json:"content_ssim"`
	SilhouetteIoU   *float64 `json:"silhouette_iou"`
	GeneratorIoU    *float64 `json:"generator_silhouette_iou"`
	PairedSSIM      *float64 `json:"paired_ssim"`
	IdentityPairedS *float64 `json:"identity_paired_ssim"`
	CounterpartAcc  *float64 `json:"counterpart_style_accuracy"`
	MatchedJudge    *struct {
		StyleAccuracy  *float64 `json:"style_accuracy"`
		CounterpartAcc *float64 `json:"counterpart_style_accuracy"`
	} `json:"matched_judge"`
}

const notEvaluated = "not evaluated"

// OutdatedEvalNote is what a run's details say of an evaluation an older version measured (EvalOutdated).
const OutdatedEvalNote = "Measured by an older Evaluate (its references skipped the backdrop step): evaluate again to compare."

// EvalOutdated says whether metricsJSON holds an evaluation that an older version of eval measured
// (gan.EvalVersion): its references and matched judge do not compare with a new evaluation's.
func EvalOutdated(metricsJSON string) bool {
	var m EvalMetrics
	if strings.TrimSpace(metricsJSON) == "" || json.Unmarshal([]byte(metricsJSON), &m) != nil {
		return false
	}
	return m.StyleAccuracy != nil && m.EvalVersion < gan.EvalVersion
}

// EvalSummary is a run's eval numbers in words, or "not evaluated".
func EvalSummary(metricsJSON string) string {
	return strings.Join(EvalSummaryLines(metricsJSON), " · ")
}

// EvalSummaryLines is EvalSummary in one or two lines, for places that show it whole on lines of
// their own: what the judges say of the style (the style accuracy and the matched judge), then how
// the pictures compare (content, silhouette, paired SSIM). One line, "not evaluated", without numbers.
func EvalSummaryLines(metricsJSON string) []string {
	var m EvalMetrics
	if strings.TrimSpace(metricsJSON) == "" || json.Unmarshal([]byte(metricsJSON), &m) != nil {
		return []string{notEvaluated}
	}
	var judges, images []string
	switch {
	case m.StyleAccuracy != nil && m.CounterpartAcc != nil:
		// A reference: the real drawings themselves, judged as the translations are.
		judges = append(judges, fmt.Sprintf("style accuracy %.0f%% (real drawings judged alike: %.0f%%)", 100**m.StyleAccuracy, 100**m.CounterpartAcc))
	case m.StyleAccuracy != nil:
		judges = append(judges, fmt.Sprintf("style accuracy %.0f%%", 100**m.StyleAccuracy))
	}
	if mj := m.MatchedJudge; mj != nil && mj.StyleAccuracy != nil {
		// The judge trained to read pictures as the translations are read (size, cut-out).
		s := fmt.Sprintf("matched judge %.0f%%", 100**mj.StyleAccuracy)
		if mj.CounterpartAcc != nil {
			s += fmt.Sprintf(" (real drawings: %.0f%%)", 100**mj.CounterpartAcc)
		}
		judges = append(judges, s)
	}
	if m.ContentSSIM != nil {
		images = append(images, fmt.Sprintf("content SSIM %.2f", *m.ContentSSIM))
	}
	switch {
	case m.GeneratorIoU != nil && m.SilhouetteIoU != nil:
		// The generator's own is the honest one: the backdrop step copies the source's backdrop.
		images = append(images, fmt.Sprintf("silhouette IoU %.2f (after the backdrop step %.2f)", *m.GeneratorIoU, *m.SilhouetteIoU))
	case m.SilhouetteIoU != nil:
		images = append(images, fmt.Sprintf("silhouette IoU %.2f", *m.SilhouetteIoU))
	}
	if m.PairedSSIM != nil {
		s := fmt.Sprintf("paired SSIM %.2f", *m.PairedSSIM)
		if m.IdentityPairedS != nil {
			s += fmt.Sprintf(" (unchanged image: %.2f)", *m.IdentityPairedS)
		}
		images = append(images, s)
	}
	var lines []string
	for _, parts := range [][]string{judges, images} {
		if len(parts) > 0 {
			lines = append(lines, strings.Join(parts, " · "))
		}
	}
	if len(lines) == 0 {
		return []string{notEvaluated}
	}
	return lines
}

// EvalLines shows a run's evaluation on lines of its own (EvalSummaryLines), so that a screen whose
// other line already holds the run's name and status does not cut the numbers off. The lines are one
// label (two lines of one label take less height than two labels); each is cut with "…" only where
// the window is too narrow for it. Call its methods on the UI goroutine.
type EvalLines struct {
	Box *widget.Label
}

// NewEvalLines returns empty lines.
func NewEvalLines() *EvalLines {
	e := &EvalLines{Box: widget.NewLabel("")}
	e.Box.Truncation = fyne.TextTruncateEllipsis
	return e
}

// Set shows the evaluation in metricsJSON. A run without one takes no lines: Set hides the label and
// returns " · not evaluated" for the caller's line instead ("" otherwise).
func (e *EvalLines) Set(metricsJSON string) (suffix string) {
	lines := EvalSummaryLines(metricsJSON)
	if len(lines) == 1 && lines[0] == notEvaluated {
		e.SetLines()
		return " · " + notEvaluated
	}
	e.SetLines(lines...)
	return ""
}

// SetLines shows lines of text; with none the label is hidden.
func (e *EvalLines) SetLines(lines ...string) {
	e.Box.SetText(strings.Join(lines, "\n"))
	if len(lines) == 0 {
		e.Box.Hide()
	} else {
		e.Box.Show()
	}
}

// Lines is the text shown, line by line (none when hidden).
func (e *EvalLines) Lines() []string {
	if e.Box.Text == "" {
		return nil
	}
	return strings.Split(e.Box.Text, "\n")
}
