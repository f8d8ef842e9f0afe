package studio

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"stylestudio/engine/gan"
	"stylestudio/engine/style"
	"stylestudio/store"
)

// matchedJudgeSeed seeds the matched judge's cut-out draws and its training.
const matchedJudgeSeed = 0x3a7c

// trainMatchedJudge trains the evaluation's second judge (gan.MatchedJudgeEval): on the products the
// library's classifier trained on (judge.TrainProducts, so never on a product the evaluation scores),
// each read as a translation is read, at the model's size n: once as itself and once as a translation
// of a product of another style, drawn at random (through the backdrop step against it, in its
// cut-out). So the judge learns the styles from what a translation can change and learns that the
// outline and the backdrop, which a translation keeps from its source, say nothing. held are the evaluation's items: the judge's accuracy on them, each read in the cut-out of
// a held-out product of another style (and in its own), says whether it can tell the styles at all.
func trainMatchedJudge(ctx context.Context, db *store.DB, judge ClassifierInfo, styles []string, n int, held []gan.EvalItem) (*style.Model, *gan.MatchedJudgeEval, error) {
	start := time.Now()
	labeled, err := labeledWithSplits(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	trained := make(map[int64]bool, len(judge.TrainProducts))
	for _, id := range judge.TrainProducts {
		trained[id] = true
	}
	index := map[string]int{}
	for i, s := range styles {
		index[s] = i
	}
	var pool []gan.EvalItem
	for _, p := range labeled {
		k, ok := index[p.Style]
		if !ok || !trained[p.ID] || p.ImageHash == "" {
			continue
		}
		img, kept, err := thumbAndAlpha(ctx, db, p.ImageHash)
		if err != nil {
			return nil, nil, fmt.Errorf("read the image of %s: %w", p.SKU, err)
		}
		pool = append(pool, gan.EvalItem{Image: img, Style: k, Alpha: decodeAlpha(kept)})
	}
	examples, err := matchedJudgeExamples(pool, n, rand.New(rand.NewPCG(matchedJudgeSeed, uint64(n))))
	if err != nil {
		return nil, nil, fmt.Errorf("the matched judge: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	cfg := style.DefaultConfig()
	cfg.Seed = matchedJudgeSeed
	m, err := style.Train(ctx, cfg, styles, examples, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("the matched judge: %w", err)
	}
	ev := &gan.MatchedJudgeEval{TrainImages: len(examples), Size: n}
	var own, foreign []style.Example
	for i, it := range held {
		own = append(own, asItself(it, n))
		if other, ok := otherStyle(held, it.Style, i+1); ok {
			ex, err := asTranslationOf(it, other, n)
			if err != nil {
				return nil, nil, fmt.Errorf("the matched judge: %w", err)
			}
			foreign = append(foreign, ex)
		}
	}
	if len(own) > 0 {
		ev.HeldOutOwnCutoutAccuracy = ptrTo(style.Accuracy(m, own))
	}
	if len(foreign) > 0 {
		ev.HeldOutAccuracy = ptrTo(style.Accuracy(m, foreign))
	}
	ev.Seconds = time.Since(start).Seconds()
	return m, ev, nil
}

// matchedJudgeExamples is the matched judge's training set: every product of pool read as a
// translation is at n pixels, as itself (its own cut-out), and as a translation of a product of
// another style drawn with rng (the first of another style from a random place on: through the
// backdrop step against it, in its cut-out), each labelled with its own style.
func matchedJudgeExamples(pool []gan.EvalItem, n int, rng *rand.Rand) ([]style.Example, error) {
	examples := make([]style.Example, 0, 2*len(pool))
	for _, it := range pool {
		examples = append(examples, asItself(it, n))
		if other, ok := otherStyle(pool, it.Style, rng.IntN(max(1, len(pool)))); ok {
			ex, err := asTranslationOf(it, other, n)
			if err != nil {
				return nil, err
			}
			examples = append(examples, ex)
		}
	}
	return examples, nil
}

// asItself is it's picture as a translation reads, at n pixels in its own cut-out, labelled with it's
// style (the backdrop step against itself would change nothing).
func asItself(it gan.EvalItem, n int) style.Example {
	return style.Example{Image: gan.ReadAsItself(it.Image, gan.CutoutAt(it, n), n), Style: it.Style}
}

// asTranslationOf is it's picture read as a translation of src (gan.ReadAsTranslation: at n pixels,
// through the backdrop step against src, in src's cut-out), labelled with it's style.
func asTranslationOf(it, src gan.EvalItem, n int) (style.Example, error) {
	img, err := gan.ReadAsTranslation(it.Image, src.Image, gan.CutoutAt(src, n), n)
	return style.Example{Image: img, Style: it.Style}, err
}

// otherStyle is the first item of items, from index from on (wrapping round), whose style is not s.
func otherStyle(items []gan.EvalItem, s, from int) (gan.EvalItem, bool) {
	for d := range items {
		if it := items[(from+d)%len(items)]; it.Style != s {
			return it, true
		}
	}
	return gan.EvalItem{}, false
}

func ptrTo(v float64) *float64 { return &v }
