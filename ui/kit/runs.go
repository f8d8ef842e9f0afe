package kit

import (
	"encoding/json"
	"fmt"
	"strings"
)

// EvalMetrics are the eval numbers a run may carry in MetricsJSON.
type EvalMetrics struct {
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

// EvalSummary is a run's eval numbers in words, or "not evaluated".
func EvalSummary(metricsJSON string) string {
	var m EvalMetrics
	if strings.TrimSpace(metricsJSON) == "" || json.Unmarshal([]byte(metricsJSON), &m) != nil {
		return "not evaluated"
	}
	var parts []string
	switch {
	case m.StyleAccuracy != nil && m.CounterpartAcc != nil:
		// A reference: the real drawings themselves, judged as the translations are.
		parts = append(parts, fmt.Sprintf("style accuracy %.0f%% (real drawings judged alike: %.0f%%)", 100**m.StyleAccuracy, 100**m.CounterpartAcc))
	case m.StyleAccuracy != nil:
		parts = append(parts, fmt.Sprintf("style accuracy %.0f%%", 100**m.StyleAccuracy))
	}
	if mj := m.MatchedJudge; mj != nil && mj.StyleAccuracy != nil {
		// The judge trained to read pictures as the translations are read (size, cut-out).
		s := fmt.Sprintf("matched judge %.0f%%", 100**mj.StyleAccuracy)
		if mj.CounterpartAcc != nil {
			s += fmt.Sprintf(" (real drawings: %.0f%%)", 100**mj.CounterpartAcc)
		}
		parts = append(parts, s)
	}
	if m.ContentSSIM != nil {
		parts = append(parts, fmt.Sprintf("content SSIM %.2f", *m.ContentSSIM))
	}
	switch {
	case m.GeneratorIoU != nil && m.SilhouetteIoU != nil:
		// The generator's own is the honest one: the backdrop step copies the source's backdrop.
		parts = append(parts, fmt.Sprintf("silhouette IoU %.2f (after the backdrop step %.2f)", *m.GeneratorIoU, *m.SilhouetteIoU))
	case m.SilhouetteIoU != nil:
		parts = append(parts, fmt.Sprintf("silhouette IoU %.2f", *m.SilhouetteIoU))
	}
	if m.PairedSSIM != nil {
		s := fmt.Sprintf("paired SSIM %.2f", *m.PairedSSIM)
		if m.IdentityPairedS != nil {
			s += fmt.Sprintf(" (unchanged image: %.2f)", *m.IdentityPairedS)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "not evaluated"
	}
	return strings.Join(parts, " · ")
}
