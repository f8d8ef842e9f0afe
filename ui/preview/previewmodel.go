package preview

import (
	"context"
	"encoding/json"
	"image"
	"image/draw"

	"fyne.io/fyne/v2"
	"github.com/disintegration/gift"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/store"
	"stylestudio/ui/kit"
)

// This file holds the Preview screen's work that needs no widgets: adjustments after stylization and
// the batch export.

// adjustments are applied after stylization. Strength blends the stylized image with the original
// (1 = fully stylized); the others are gift's percentages; Sharpen 0..1 scales an unsharp mask.
type adjustments struct {
	Strength   float64 `json:"strength"`
	Brightness float64 `json:"brightness"`
	Contrast   float64 `json:"contrast"`
	Saturation float64 `json:"saturation"`
	Sharpen    float64 `json:"sharpen"`
}

func defaultAdjustments() adjustments { return adjustments{Strength: 1} }

func (a adjustments) isDefault() bool { return a == defaultAdjustments() }

// adjustPrefKey is the preference holding a style's adjustments.
func adjustPrefKey(style string) string { return "preview.adjust." + style }

// loadAdjustments reads a style's remembered adjustments (defaults when none or unreadable).
func loadAdjustments(p fyne.Preferences, style string) adjustments {
	a := defaultAdjustments()
	if p == nil {
		return a
	}
	if s := p.String(adjustPrefKey(style)); s != "" {
		_ = json.Unmarshal([]byte(s), &a)
	}
	return a.clamped()
}

// saveAdjustments remembers a style's adjustments.
func saveAdjustments(p fyne.Preferences, style string, a adjustments) {
	if p == nil {
		return
	}
	if a.isDefault() {
		p.RemoveValue(adjustPrefKey(style))
		return
	}
	data, _ := json.Marshal(a)
	p.SetString(adjustPrefKey(style), string(data))
}

func (a adjustments) clamped() adjustments {
	c := func(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }
	return adjustments{Strength: c(a.Strength, 0, 1), Brightness: c(a.Brightness, -100, 100), Contrast: c(a.Contrast, -100, 100),
		Saturation: c(a.Saturation, -100, 100), Sharpen: c(a.Sharpen, 0, 1)}
}

// applyAdjustments returns stylized with a applied; original is the image it was made from (any size:
// it is resized to the stylized image's size for the strength kit.Blend). Default adjustments return
// stylized itself.
func applyAdjustments(original, stylized image.Image, a adjustments) *image.NRGBA {
	st := kit.ToNRGBAImage(stylized)
	if a.isDefault() {
		return st
	}
	out := st
	if a.Strength < 1 && original != nil {
		orig := kit.ToNRGBAImage(original)
		if orig.Rect.Size() != st.Rect.Size() {
			g := gift.New(gift.Resize(st.Rect.Dx(), st.Rect.Dy(), gift.LinearResampling))
			r := image.NewNRGBA(st.Rect)
			g.Draw(r, orig)
			orig = r
		}
		out = image.NewNRGBA(st.Rect)
		t := a.Strength
		for i := range out.Pix {
			out.Pix[i] = uint8(float64(orig.Pix[i])*(1-t) + float64(st.Pix[i])*t + 0.5)
		}
	}
	var filters []gift.Filter
	if a.Brightness != 0 {
		filters = append(filters, gift.Brightness(float32(a.Brightness)))
	}
	if a.Contrast != 0 {
		filters = append(filters, gift.Contrast(float32(a.Contrast)))
	}
	if a.Saturation != 0 {
		filters = append(filters, gift.Saturation(float32(a.Saturation)))
	}
	if a.Sharpen > 0 {
		filters = append(filters, gift.UnsharpMask(1, float32(2*a.Sharpen), 0))
	}
	if len(filters) == 0 {
		return out
	}
	g := gift.New(filters...)
	res := image.NewNRGBA(g.Bounds(out.Rect))
	g.Draw(res, out)
	return res
}

// cropPreview cuts the padding off a preview-size result so it has the original's shape.
func cropPreview(preview *image.NRGBA, origW, origH int) *image.NRGBA {
	r := imaging.SquareContent(origW, origH, preview.Rect.Dx())
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Rect, preview, r.Min, draw.Src)
	return out
}

// exportOptions say what a batch export writes.
type exportOptions struct {
	Dir          string
	Style        string
	Format       string // "png" or "jpeg"
	Quality      int    // JPEG quality 1..100
	SideBySide   bool   // also write NAME-compare.EXT: original | stylized
	SaveVariants bool   // store each result as a variant in the catalog (the Feed shows them)
	Adjust       adjustments
	RunID        int64
}

// exportSummary is a batch export's outcome: products written, and those that failed with the reason.
type exportSummary struct {
	Total, Written int
	Failed         []exportFailure
}

// exportFailure is a product a batch export could not write.
type exportFailure struct{ SKU, Title, Reason string }

// runExport stylizes rows at full resolution into opt.Dir with studio.StylizeProducts (what the CLI's
// stylize runs: names kept, stale temp files swept, a full or read-only disk stops the batch once),
// one product at a time so a core stays free for the screen, and sums the outcome up for the job panel.
// A product that fails is listed with its reason and the export goes on; cancelling ctx stops before
// the next product. before, when not nil, runs before each product after the first (tests use it to
// cancel at a known point).
func runExport(ctx context.Context, db *store.DB, m *gan.Model, rows []store.ProductRow, opt exportOptions,
	progress func(kit.Progress), before func(i int)) (exportSummary, error) {
	sum := exportSummary{Total: len(rows)}
	ids := make([]int64, len(rows))
	titles := make(map[int64]string, len(rows))
	for i, r := range rows {
		ids[i], titles[r.ID] = r.ID, r.Title
	}
	adjust := opt.Adjust
	_, err := studio.StylizeProducts(ctx, db, studio.StylizeRequest{
		Run: store.Run{ID: opt.RunID}, Model: m, Style: opt.Style, ProductIDs: ids, FullRes: true,
		OutDir: opt.Dir, Format: opt.Format, Quality: opt.Quality, SideBySide: opt.SideBySide,
		SkipVariants: !opt.SaveVariants, Workers: 1,
		Adjust: func(orig, styled image.Image) image.Image { return applyAdjustments(orig, styled, adjust) },
		Progress: func(done, total int, r studio.StylizeResult) {
			if r.Err == nil {
				sum.Written++
			} else {
				sum.Failed = append(sum.Failed, exportFailure{SKU: r.SKU, Title: titles[r.ProductID], Reason: r.Err.Error()})
			}
			if progress != nil {
				progress(kit.Progress{Done: done, Total: total, Current: r.SKU})
			}
			if before != nil && done < total {
				before(done)
			}
		},
	})
	return sum, err
}
