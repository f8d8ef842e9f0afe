package gan

import (
	"context"
	"fmt"
	"image"
	"maps"
	"slices"
	"time"

	"stylestudio/engine/imaging"
	"stylestudio/engine/quality"
)

// Judge is an independently trained style classifier that grades stylized images. It must never be
// the GAN's own discriminator, which the generator was trained to fool.
type Judge interface {
	// Classify returns, for each image, the predicted style name and a feature vector (the
	// classifier's penultimate layer) for the Fréchet distance.
	Classify(imgs []image.Image) (styles []string, features [][]float64, err error)
}

// EvalItem is one held-out product: its image and style (an index into the model's styles), and,
// where known (the demo catalog), the ground-truth picture of the same product in each other style.
type EvalItem struct {
	Image image.Image
	Style int
	Truth map[int]image.Image
	// Alpha, for a product with a transparent background, is its alpha square placed as Image (an
	// imaging.AlphaSquare of the same size; nil for an opaque product). The judge reads every stylized
	// output with it, as a classifier trained on the catalog reads the products: a stylized product
	// keeps its source's outline. The GAN and the content scores never see it.
	Alpha *image.Gray
	// TruthAlpha is, per target style, the alpha square of Truth's picture placed as it (nil or absent
	// for an opaque one): counterpart_own_cutout_style_accuracy reads the real drawing in its own cut-out.
	TruthAlpha map[int]*image.Gray
	// Skip names target styles the item is not translated into at all: where the GAN trained on the
	// item's own counterpart in that style (the same item drawn in it) it may have learned that very
	// drawing (with the paired loss, as the answer for this item), so a translation into it would
	// flatter every score.
	Skip map[int]bool
}

// StyleEval is the per-target-style part of an evaluation. A value that could not be measured is nil
// (null in JSON), never 0.
type StyleEval struct {
	Accuracy    float64 `json:"style_accuracy"`
	ContentSSIM float64 `json:"content_ssim"`
	// SilhouetteIoU is of the stylizer's output, after the backdrop step, which copies the source's
	// backdrop region: it is flattered by construction. GeneratorSilhouetteIoU (the raw generator's) is
	// the one to compare models by.
	SilhouetteIoU          float64  `json:"silhouette_iou"`
	GeneratorSilhouetteIoU float64  `json:"generator_silhouette_iou"`
	PairedSSIM             *float64 `json:"paired_ssim"`
	// CounterpartAccuracy is EvalReport.CounterpartStyleAccuracy for this target style.
	CounterpartAccuracy *float64 `json:"counterpart_style_accuracy"`
	// Frechet is measured against half of the style's held-out real images, on as many stylized
	// images as that half has (FrechetN each); RealFrechet is the other half against the same half:
	// the noise floor at that sample size.
	Frechet     *float64 `json:"frechet"`
	RealFrechet *float64 `json:"real_frechet"`
	FrechetN    int      `json:"frechet_n"`
	N           int      `json:"n"`
}

// EvalVersion numbers how Evaluate measures, where a stored report's numbers would not compare with a
// new one's under the same keys. 2 (6 Dec 2026): the real counterparts and the matched judge's pictures
// go through the backdrop step, as a translation does. Reports stored before carry no eval_version (0).
const EvalVersion = 2

// EvalReport is `stylestudio eval --json` (the keys are a contract). A value that could not be
// measured is nil (null in JSON), never 0: the paired scores without ground truth (Pairs 0), the
// Fréchet distances of a style with too few held-out real images.
type EvalReport struct {
	// EvalVersion is the EvalVersion that measured the report (0 for one stored before it existed).
	EvalVersion   int     `json:"eval_version"`
	StyleAccuracy float64 `json:"style_accuracy"`
	ContentSSIM   float64 `json:"content_ssim"`
	ContentL1     float64 `json:"content_l1"`
	// SilhouetteIoU is of the stylizer's output (what Preview, export and the Feed show), after the
	// backdrop step (imaging.SettleBackdrop), which evens the output's backdrop region out towards the
	// source's: it is flattered by construction and cannot tell a model that changes nothing from a
	// good one. GeneratorSilhouetteIoU, the raw generator's, is the headline; every other number is of
	// the stylizer's output.
	SilhouetteIoU          float64 `json:"silhouette_iou"`
	GeneratorSilhouetteIoU float64 `json:"generator_silhouette_iou"`
	// GeneratorContentSSIM and GeneratorContentL1 are content_ssim and content_l1 of the raw
	// generator's output. On a gradient, textured or transparent background the backdrop step
	// copies the source's background into the output, so content_ssim and content_l1 there count
	// pixels the pipeline forced to match; BackdropKeptShare is the mean share of each output's
	// pixels the step made equal to the source (where the generator had changed them).
	GeneratorContentSSIM float64  `json:"generator_content_ssim"`
	GeneratorContentL1   float64  `json:"generator_content_l1"`
	BackdropKeptShare    float64  `json:"backdrop_kept_share"`
	PairedSSIM           *float64 `json:"paired_ssim"`
	PairedL1             *float64 `json:"paired_l1"`
	IdentityPairedSSIM   *float64 `json:"identity_paired_ssim"`
	IdentityPairedL1     *float64 `json:"identity_paired_l1"`
	// CounterpartStyleAccuracy is the judge's accuracy on the real counterparts of the paired
	// translations (the catalog's own drawing of the item in the target style; on the demo, the
	// product's true rendering in it), each read as a
	// translation is: at the model's size, through the backdrop step (as if the generator had drawn
	// it; since 6 Dec 2026) and in its source's cut-out: what a translation identical to the real
	// drawing would score. Where it is low, the judge reads the outline, which the stylizer
	// keeps, and details the model's size blurs, more than the drawing: a translation that matched the
	// real drawing exactly would score no better. (A translation can score above it: it pleases this
	// judge, not necessarily a person.) nil without pairs.
	CounterpartStyleAccuracy *float64 `json:"counterpart_style_accuracy"`
	// CounterpartOwnCutoutStyleAccuracy is the same real counterparts read at the model's size in their
	// own cut-out (opaque where they have none), without the backdrop step: whether the judge knows the
	// real drawing at this size at all. The gap to CounterpartStyleAccuracy is what the source's
	// cut-out and the backdrop step cost. nil without pairs.
	CounterpartOwnCutoutStyleAccuracy *float64 `json:"counterpart_own_cutout_style_accuracy"`
	// MatchedJudge is the same translations and real counterparts graded by a second judge, one trained
	// to read pictures as the evaluation reads them (see MatchedJudgeEval); nil where none was trained.
	MatchedJudge *MatchedJudgeEval    `json:"matched_judge"`
	Frechet      map[string]*float64  `json:"frechet"`      // per style, see StyleEval.Frechet
	RealFrechet  map[string]*float64  `json:"real_frechet"` // per style: the noise floor, same sizes
	PerStyle     map[string]StyleEval `json:"per_style"`
	Products     int                  `json:"products"`
	// HeldOutProducts is how many of the products were held out from both the GAN (as it recorded)
	// and its judge: all of them, since Evaluate is given only those (see studio.EvaluateRun).
	HeldOutProducts int `json:"heldout_products"`
	// TrainRecorded: the run recorded the products it trained on; false for runs trained before runs
	// recorded them, whose whole train split is then left out.
	TrainRecorded bool `json:"train_products_recorded"`
	Translations  int  `json:"translations"`
	// SkippedTranslations were not made at all (EvalItem.Skip): the run trained on the product's own
	// counterpart in that target style.
	SkippedTranslations int `json:"skipped_translations"`
	Pairs               int `json:"pairs"`
	Step                int `json:"step"`
	// Judge names the classifier that judged the style accuracy (studio.EvaluateRun sets it): the
	// library's style classifier as it was when the evaluation ran. Retraining that classifier (the
	// Label screen, `classify`) changes the judge, so reports with different judges do not compare.
	Judge *JudgeInfo `json:"judge,omitempty"`
}

// MatchedJudgeEval is `eval --json`'s "matched_judge": the style accuracy of the translations by a
// judge trained on the same real pictures as the library's classifier (its train split: never on a
// product the evaluation scores), but each read as the evaluation reads a translation: at the model's
// size, in the cut-out of a product of another style (and in its own). The library's classifier learned
// its styles from full-size pictures in their own outline, and it reads the outline itself (the
// silhouette and transparency statistics); a translation keeps its source's outline by design, so that
// judge partly grades the source. This one was shown that the outline says nothing about the style.
// HeldOutAccuracy says whether it can tell the styles at all under those conditions: its accuracy on
// the held-out real products, each read in the cut-out of a held-out product of another style.
type MatchedJudgeEval struct {
	StyleAccuracy            float64  `json:"style_accuracy"`
	CounterpartStyleAccuracy *float64 `json:"counterpart_style_accuracy"`
	// PerStyle is per target style: style_accuracy, counterpart_style_accuracy (null without pairs), n.
	PerStyle                 map[string]MatchedStyleEval `json:"per_style"`
	HeldOutAccuracy          *float64                    `json:"held_out_accuracy"`
	HeldOutOwnCutoutAccuracy *float64                    `json:"held_out_own_cutout_accuracy"`
	TrainImages              int                         `json:"train_images"`
	Size                     int                         `json:"size"`
	Seconds                  float64                     `json:"seconds"`
}

// MatchedStyleEval is MatchedJudgeEval's per-style part.
type MatchedStyleEval struct {
	Accuracy            float64  `json:"style_accuracy"`
	CounterpartAccuracy *float64 `json:"counterpart_style_accuracy"`
	N                   int      `json:"n"`
}

// JudgeInfo identifies a judging classifier: when it was trained, how many products it trained on and
// its own held-out accuracy.
type JudgeInfo struct {
	TrainedAt       time.Time `json:"trained_at"`
	TrainProducts   int       `json:"train_products"`
	HeldOutAccuracy float64   `json:"held_out_accuracy"`
}

// FormatMetric prints an optional metric with format, or "—" when it was not measured.
func FormatMetric(format string, v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf(format, *v)
}

// FormatPercent prints an optional share (0–1) in percent with format (say "%.1f%%"), or "—" when it
// was not measured.
func FormatPercent(format string, v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf(format, 100**v)
}

func ptr(v float64) *float64 { return &v }

// StyleNames is the styles of PerStyle in name order.
func (r EvalReport) StyleNames() []string {
	return slices.Sorted(maps.Keys(r.PerStyle))
}

// foregroundTol is how far from the picture's background colour (in any channel, 0–255) a pixel must
// be to count as product. The generator's background is never perfectly flat, so a small tolerance
// would count its faint noise as a silhouette change.
const foregroundTol = 24

// Evaluate restyles every held-out product into every other style at the model's size with the
// stylizer (PreviewBatch: the generator, backdrop settled, which is what Preview, export and the Feed
// show) and measures the following; silhouette IoU also of the generator's own output:
// target-style accuracy by judge; content preservation (SSIM and L1 of luminance, source vs output)
// and silhouette IoU (each picture's product against its own background); on items with ground truth, SSIM/L1 of the output against the true rendering
// and, as the baseline, of the unchanged source against it; and per style the Fréchet distance
// between judge features of real images of the style and of the images stylized into it.
//
// real[style] must be held-out real images of the style, unseen by the GAN and the judge. They are
// halved: the Fréchet distance of the stylized images is measured against the first half on as many
// stylized images (spread evenly over those made), and the noise floor (real_frechet) is the second
// half against the first, so both compare equal-size sets and can be read side by side. A style with
// fewer than 4 such images gets null for both.
func Evaluate(ctx context.Context, m *Model, items []EvalItem, real map[int][]image.Image, judge Judge) (EvalReport, error) {
	return EvaluateMatched(ctx, m, items, real, judge, nil)
}

// EvaluateMatched is Evaluate with a second judge, matched (may be nil): it grades the same translations
// and real counterparts, read the same way, into EvalReport.MatchedJudge's accuracies (the caller fills
// in the rest of what MatchedJudgeEval says about it).
func EvaluateMatched(ctx context.Context, m *Model, items []EvalItem, real map[int][]image.Image, judge, matched Judge) (EvalReport, error) {
	rep := EvalReport{EvalVersion: EvalVersion, Frechet: map[string]*float64{}, RealFrechet: map[string]*float64{}, PerStyle: map[string]StyleEval{},
		Products: len(items), Step: m.step}
	if len(items) == 0 {
		return rep, fmt.Errorf("eval: no held-out products to evaluate; label more products (a fifth of the labels are held out)")
	}
	n := m.cfg.Size
	type acc struct {
		hits, count               int
		ssim, iou, rawIoU, paired float64
		pairs, truthHits          int
		features                  [][]float64
		matchedHits, matchedTruth int
	}
	per := make([]acc, len(m.styles))
	ownHits := 0 // real counterparts the judge names right in their own cut-out
	var sumSSIM, sumL1, sumIoU, sumRawIoU, sumPS, sumPL1, sumIS, sumIL1 float64
	var sumRawSSIM, sumRawL1, sumKept float64
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		src := imaging.Square(it.Image, n)
		var imgs []image.Image
		var targets []int
		for k := range m.styles {
			switch {
			case k == it.Style:
			case it.Skip[k]:
				rep.SkippedTranslations++
			default:
				targets = append(targets, k)
				imgs = append(imgs, it.Image)
			}
		}
		if len(targets) == 0 {
			continue
		}
		squares, raw, err := m.run(imgs, targets)
		if err != nil {
			return rep, err
		}
		outs, err := m.settle(imgs, squares, raw)
		if err != nil {
			return rep, err
		}
		asImages := make([]image.Image, len(outs))
		alpha := judgeAlpha(it, n)
		for i, o := range outs {
			asImages[i] = withCutout(o, alpha)
		}
		pred, feats, err := judge.Classify(asImages)
		if err != nil {
			return rep, fmt.Errorf("eval: classify: %w", err)
		}
		if matched != nil {
			if err := judgeHits(matched, asImages, targets, m.styles, func(k int) { per[k].matchedHits++ }); err != nil {
				return rep, fmt.Errorf("eval: classify with the matched judge: %w", err)
			}
		}
		// The real counterparts, read as the translations are (ReadAsTranslation: through the
		// backdrop step, as if the generator had drawn them, then in the source's cut-out): a perfect
		// translation's score. Then, unsettled, in their own cut-out: whether the judge knows them at
		// this size at all.
		var truths, owns []image.Image
		var truthTargets []int
		for _, k := range targets {
			if truth, ok := it.Truth[k]; ok && truth != nil {
				t, err := ReadAsTranslation(truth, it.Image, alpha, n)
				if err != nil {
					return rep, fmt.Errorf("eval: the real counterpart: %w", err)
				}
				own := ReadAsItself(truth, judgeAlpha(EvalItem{Image: truth, Alpha: it.TruthAlpha[k]}, n), n)
				truths, owns, truthTargets = append(truths, t), append(owns, own), append(truthTargets, k)
			}
		}
		if len(truths) > 0 {
			tp, _, err := judge.Classify(append(truths, owns...))
			if err != nil {
				return rep, fmt.Errorf("eval: classify the real counterparts: %w", err)
			}
			for i, k := range truthTargets {
				if tp[i] == m.styles[k] {
					per[k].truthHits++
				}
				if tp[len(truths)+i] == m.styles[k] {
					ownHits++
				}
			}
			if matched != nil {
				if err := judgeHits(matched, truths, truthTargets, m.styles, func(k int) { per[k].matchedTruth++ }); err != nil {
					return rep, fmt.Errorf("eval: classify the real counterparts with the matched judge: %w", err)
				}
			}
		}
		// Silhouettes against each picture's own background: styles differ in backdrop (cream
		// vintage, black neon), which is not a change of shape.
		srcMask, _, _ := quality.SilhouetteMask(src, foregroundTol)
		for i, k := range targets {
			out := outs[i]
			a := &per[k]
			a.count++
			if pred[i] == m.styles[k] {
				a.hits++
			}
			a.features = append(a.features, feats[i])
			ssim, err := quality.SSIM(src, out)
			if err != nil {
				return rep, err
			}
			l1, _ := quality.L1(src, out)
			mask, _, _ := quality.SilhouetteMask(out, foregroundTol)
			iou, err := quality.IoU(srcMask, mask)
			if err != nil {
				return rep, err
			}
			rawMask, _, _ := quality.SilhouetteMask(raw[i], foregroundTol)
			rawIoU, err := quality.IoU(srcMask, rawMask)
			if err != nil {
				return rep, err
			}
			rawSSIM, err := quality.SSIM(src, raw[i])
			if err != nil {
				return rep, err
			}
			rawL1, _ := quality.L1(src, raw[i])
			sumRawSSIM += rawSSIM
			sumRawL1 += rawL1
			sumKept += keptShare(src, raw[i], out)
			a.ssim += ssim
			a.iou += iou
			a.rawIoU += rawIoU
			sumRawIoU += rawIoU
			sumSSIM += ssim
			sumL1 += l1
			sumIoU += iou
			rep.Translations++
			if truth, ok := it.Truth[k]; ok && truth != nil {
				t := imaging.Square(truth, n)
				ps, _ := quality.SSIM(out, t)
				pl, _ := quality.L1(out, t)
				is, _ := quality.SSIM(src, t)
				il, _ := quality.L1(src, t)
				sumPS += ps
				sumPL1 += pl
				sumIS += is
				sumIL1 += il
				a.paired += ps
				a.pairs++
				rep.Pairs++
			}
		}
	}
	if rep.Translations == 0 {
		return rep, fmt.Errorf("eval: all %d translations of the %d held-out products were skipped: the run trained on each one's counterpart in the target style (the same item drawn in it); label more products of each group so some stay held out", rep.SkippedTranslations, len(items))
	}
	hits, truthHits := 0, 0
	var mj *MatchedJudgeEval
	if matched != nil {
		mj = &MatchedJudgeEval{PerStyle: map[string]MatchedStyleEval{}, Size: n}
	}
	mHits, mTruth := 0, 0
	for k, name := range m.styles {
		a := per[k]
		hits += a.hits
		truthHits += a.truthHits
		if a.count == 0 {
			continue
		}
		if mj != nil {
			mHits += a.matchedHits
			mTruth += a.matchedTruth
			ms := MatchedStyleEval{Accuracy: float64(a.matchedHits) / float64(a.count), N: a.count}
			if a.pairs > 0 {
				ms.CounterpartAccuracy = ptr(float64(a.matchedTruth) / float64(a.pairs))
			}
			mj.PerStyle[name] = ms
		}
		se := StyleEval{Accuracy: float64(a.hits) / float64(a.count), ContentSSIM: a.ssim / float64(a.count),
			SilhouetteIoU: a.iou / float64(a.count), GeneratorSilhouetteIoU: a.rawIoU / float64(a.count), N: a.count}
		if a.pairs > 0 {
			se.PairedSSIM = ptr(a.paired / float64(a.pairs))
			se.CounterpartAccuracy = ptr(float64(a.truthHits) / float64(a.pairs))
		}
		if imgs := real[k]; len(imgs) >= 4 && len(a.features) >= len(imgs)/2 {
			_, rf, err := judge.Classify(imgs)
			if err != nil {
				return rep, fmt.Errorf("eval: classify real %s images: %w", name, err)
			}
			h := len(rf) / 2
			ref, other := rf[:h], rf[h:2*h]
			fake := make([][]float64, h)
			for i := range fake {
				fake[i] = a.features[i*len(a.features)/h]
			}
			se.FrechetN = h
			if fd, err := quality.Frechet(ref, fake); err == nil {
				se.Frechet = ptr(fd)
			}
			if fd, err := quality.Frechet(ref, other); err == nil {
				se.RealFrechet = ptr(fd)
			}
		}
		rep.Frechet[name], rep.RealFrechet[name] = se.Frechet, se.RealFrechet
		rep.PerStyle[name] = se
	}
	t := float64(rep.Translations)
	rep.StyleAccuracy = float64(hits) / t
	rep.ContentSSIM, rep.ContentL1, rep.SilhouetteIoU = sumSSIM/t, sumL1/t, sumIoU/t
	rep.GeneratorSilhouetteIoU = sumRawIoU / t
	rep.GeneratorContentSSIM, rep.GeneratorContentL1, rep.BackdropKeptShare = sumRawSSIM/t, sumRawL1/t, sumKept/t
	if rep.Pairs > 0 {
		p := float64(rep.Pairs)
		rep.PairedSSIM, rep.PairedL1, rep.IdentityPairedSSIM, rep.IdentityPairedL1 = ptr(sumPS/p), ptr(sumPL1/p), ptr(sumIS/p), ptr(sumIL1/p)
		rep.CounterpartStyleAccuracy = ptr(float64(truthHits) / p)
		rep.CounterpartOwnCutoutStyleAccuracy = ptr(float64(ownHits) / p)
	}
	if mj != nil {
		mj.StyleAccuracy = float64(mHits) / t
		if rep.Pairs > 0 {
			mj.CounterpartStyleAccuracy = ptr(float64(mTruth) / float64(rep.Pairs))
		}
		rep.MatchedJudge = mj
	}
	return rep, nil
}

// judgeHits classifies imgs, each meant to be of the style targets[i] indexes in styles, with j, and
// calls hit with the target of each one j names right.
func judgeHits(j Judge, imgs []image.Image, targets []int, styles []string, hit func(k int)) error {
	pred, _, err := j.Classify(imgs)
	if err != nil {
		return err
	}
	for i, k := range targets {
		if pred[i] == styles[k] {
			hit(k)
		}
	}
	return nil
}

// keptShare is the share of out's pixels that equal src's where raw's do not: what the backdrop
// step forced back to the source.
func keptShare(src, raw, out *image.NRGBA) float64 {
	kept := 0
	for i := 0; i+3 < len(out.Pix) && i+3 < len(src.Pix) && i+3 < len(raw.Pix); i += 4 {
		same := func(m *image.NRGBA) bool {
			return m.Pix[i] == src.Pix[i] && m.Pix[i+1] == src.Pix[i+1] && m.Pix[i+2] == src.Pix[i+2]
		}
		if same(out) && !same(raw) {
			kept++
		}
	}
	return float64(kept) / float64(max(1, len(out.Pix)/4))
}

// judgeAlpha is the item's alpha square at the outputs' size n (placed as imaging.Square(it.Image, n)
// places the source), or nil when the item has none or it does not match its image.
func judgeAlpha(it EvalItem, n int) *image.Gray {
	if it.Alpha == nil || it.Image == nil {
		return nil
	}
	size := it.Alpha.Rect.Dx()
	if b := it.Image.Bounds(); size != it.Alpha.Rect.Dy() || b.Dx() != size || b.Dy() != size {
		return nil
	}
	return imaging.AlphaSquare(imaging.WithAlpha(imaging.Square(it.Image, size), it.Alpha), n)
}

// CutoutAt is the item's cut-out (its alpha square) at the outputs' size n, placed as Evaluate places
// the source: what the judge reads a translation of the item in. nil for an opaque item.
func CutoutAt(it EvalItem, n int) *image.Gray { return judgeAlpha(it, n) }

// ReadAsTranslation is img as Evaluate shows a translation of source to the judge: at n pixels
// (imaging.Square), through the backdrop step against source as if the generator had drawn img from
// it (the step Preview, export and the Feed apply), in cutout (a CutoutAt of source; nil leaves it
// opaque). A picture read as a translation of itself is ReadAsItself: the step changes nothing.
func ReadAsTranslation(img, source image.Image, cutout *image.Gray, n int) (image.Image, error) {
	b := source.Bounds()
	settled, err := imaging.SettleBackdrop(source, imaging.Square(source, n), imaging.Square(img, n), imaging.SquareContent(b.Dx(), b.Dy(), n))
	if err != nil {
		return nil, err
	}
	return withCutout(settled, cutout), nil
}

// ReadAsItself is img at n pixels (imaging.Square) in cutout (its own CutoutAt; nil leaves it opaque).
func ReadAsItself(img image.Image, cutout *image.Gray, n int) image.Image {
	return withCutout(imaging.Square(img, n), cutout)
}

// withCutout is sq in cutout, or sq itself where cutout is nil.
func withCutout(sq *image.NRGBA, cutout *image.Gray) image.Image {
	if cutout == nil {
		return sq
	}
	return imaging.WithAlpha(sq, cutout)
}
