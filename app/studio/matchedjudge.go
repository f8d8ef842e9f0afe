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
// each read as a translation is read, at the model's size n: once in its own cut-out and once in the
// cut-out of a product of another style, drawn at random. So the judge learns the styles from what a
// translation can change and learns that the outline, which a translation keeps from its source, says
// nothing. held are the evaluation's items: the judge's accuracy on them, each read in the cut-out of
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
	examples := matchedJudgeExamples(pool, n, rand.New(rand.NewPCG(matchedJudgeSeed, uint64(n))))
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
		own = append(own, inCutoutOf(it, it, n))
		if other, ok := otherStyle(held, it.Style, i+1); ok {
			foreign = append(foreign, inCutoutOf(it, other, n))
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
// translation is at n pixels, in its own cut-out, and in the cut-out of a product of another style
// drawn with rng (the first of another style from a random place on), each labelled with its own style.
func matchedJudgeExamples(pool []gan.EvalItem, n int, rng *rand.Rand) []style.Example {
	examples := make([]style.Example, 0, 2*len(pool))
	for _, it := range pool {
		examples = append(examples, inCutoutOf(it, it, n))
		if other, ok := otherStyle(pool, it.Style, rng.IntN(max(1, len(pool)))); ok {
			examples = append(examples, inCutoutOf(it, other, n))
		}
	}
	return examples
}

// inCutoutOf is it's picture read as a translation of cut (gan.ReadAsTranslation: at n pixels, in
// cut's cut-out), labelled with it's style.
func inCutoutOf(it, cut gan.EvalItem, n int) style.Example {
	return style.Example{Image: gan.ReadAsTranslation(it.Image, gan.CutoutAt(cut, n), n), Style: it.Style}
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
