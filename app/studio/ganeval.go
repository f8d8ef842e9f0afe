package studio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"

	"stylestudio/engine/dataset"
	"stylestudio/engine/demo"
	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/engine/style"
	"stylestudio/store"
	"stylestudio/store/library"
)

// LoadRunModel loads the model of a named run (RunModel).
func LoadRunModel(ctx context.Context, db *store.DB, name string) (store.Run, *gan.Model, error) {
	run, err := db.RunByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return run, nil, fmt.Errorf("%w %q; pick one of the library's runs, or train one", ErrRunMissing, name)
	}
	if err != nil {
		return run, nil, err
	}
	m, err := RunModel(db.Dir(), run)
	return run, m, err
}

// RunModel loads the checkpoint a run's model is used from, of a run of the library in libraryDir: the
// best on the validation split, or the latest where none was validated (gan.ServingCheckpoint).
func RunModel(libraryDir string, run store.Run) (*gan.Model, error) {
	m, err := gan.LoadModel(library.RunDir(libraryDir, run.ID))
	if err != nil {
		return nil, fmt.Errorf("run %q: %w", run.Name, err)
	}
	return m, nil
}

// EvaluateRun measures a run's model (RunModel) on the held-out labeled products with the library's
// style classifier as the judge, stores the report as the run's metrics and returns it. Only products
// that neither the GAN (as the run recorded) nor the judge (as its info recorded) trained on are
// scored (HeldOutFor); a judge that did not record its training products, or none at all, is trained
// first, on the frozen train split. Demo products carry their true rendering in every style, and a
// product of a group (the same item drawn in several styles) its real counterparts the run never
// trained on (runCounterparts); those give the paired scores. A second judge, matched to how a
// translation is read (trainMatchedJudge), grades the same translations into the report's MatchedJudge.
func EvaluateRun(ctx context.Context, db *store.DB, name string) (gan.EvalReport, error) {
	run, m, err := LoadRunModel(ctx, db, name)
	if err != nil {
		return gan.EvalReport{}, err
	}
	judgeModel, judgeInfo, err := LoadClassifier(db.Dir())
	if errors.Is(err, ErrNoClassifier) || (err == nil && len(judgeInfo.TrainProducts) == 0) {
		// A judge that does not say what it trained on may have seen any product.
		judgeModel, judgeInfo, err = TrainClassifier(ctx, db, style.DefaultConfig(), nil)
	}
	if err != nil {
		return gan.EvalReport{}, fmt.Errorf("the style classifier that judges the results: %w", err)
	}
	for _, s := range m.Styles() {
		found := false
		for _, j := range judgeModel.Styles() {
			found = found || j == s
		}
		if !found {
			return gan.EvalReport{}, fmt.Errorf("the style classifier does not know style %q; retrain the classifier", s)
		}
	}
	held, recorded, err := HeldOutFor(ctx, db, run.ID, judgeInfo)
	if err != nil {
		return gan.EvalReport{}, err
	}
	counterparts, err := runCounterparts(ctx, db, run.ID)
	if err != nil {
		return gan.EvalReport{}, err
	}
	index := map[string]int{}
	for i, s := range m.Styles() {
		index[s] = i
	}
	var items []gan.EvalItem
	real := map[int][]image.Image{}
	for _, p := range held {
		k, ok := index[p.Style]
		if !ok || p.ImageHash == "" {
			continue
		}
		img, kept, err := thumbAndAlpha(ctx, db, p.ImageHash)
		if err != nil {
			return gan.EvalReport{}, fmt.Errorf("read the image of %s: %w", p.SKU, err)
		}
		// The judge reads real products as it was trained on them, with their transparency, and each
		// stylized output with its source's (gan.EvalItem.Alpha).
		alpha := decodeAlpha(kept)
		real[k] = append(real[k], imaging.WithAlpha(img, alpha))
		item := gan.EvalItem{Image: img, Style: k, Alpha: alpha}
		if params, truthStyle, err := db.DemoTruth(ctx, p.ID); err == nil && truthStyle == p.Style {
			var dp demo.Params
			if json.Unmarshal(params, &dp) == nil {
				item.Truth = map[int]image.Image{}
				for t, s := range m.Styles() {
					if t == k {
						continue
					}
					if r, err := demo.Render(dp, s, 160); err == nil {
						item.Truth[t] = r
					}
				}
			}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return gan.EvalReport{}, err
		}
		if err := counterparts.fill(ctx, db, p, m.Styles(), &item); err != nil {
			return gan.EvalReport{}, err
		}
		items = append(items, item)
	}
	// Without the matched judge (too few training products of a style in it) the report says null.
	var matchedJudge gan.Judge
	matched, matchedEval, err := trainMatchedJudge(ctx, db, judgeInfo, m.Styles(), m.Config().Size, items)
	switch {
	case ctx.Err() != nil:
		return gan.EvalReport{}, ctx.Err()
	case err == nil:
		matchedJudge = matched
	}
	rep, err := gan.EvaluateMatched(ctx, m, items, real, judgeModel, matchedJudge)
	if err != nil {
		return rep, err
	}
	if mj := rep.MatchedJudge; mj != nil {
		mj.HeldOutAccuracy, mj.HeldOutOwnCutoutAccuracy = matchedEval.HeldOutAccuracy, matchedEval.HeldOutOwnCutoutAccuracy
		mj.TrainImages, mj.Seconds = matchedEval.TrainImages, matchedEval.Seconds
	}
	rep.HeldOutProducts, rep.TrainRecorded = len(items), recorded
	rep.Judge = &gan.JudgeInfo{TrainedAt: judgeInfo.TrainedAt, TrainProducts: len(judgeInfo.TrainProducts),
		HeldOutAccuracy: judgeInfo.Accuracy}
	js, err := json.Marshal(rep)
	if err != nil {
		return rep, fmt.Errorf("eval: the report cannot be stored: %w", err)
	}
	if err := db.SetRunMetrics(ctx, run.ID, string(js)); err != nil {
		return rep, err
	}
	return rep, nil
}

// HeldOutFor lists the labeled products an evaluation of the run may score: those of the held-out
// (val and test) splits that neither the run (its recorded training products) nor the judge
// (judge.TrainProducts) trained on. recorded says whether the run recorded its training products;
// runs from before it did are only kept off their own frozen train split.
func HeldOutFor(ctx context.Context, db *store.DB, runID int64, judge ClassifierInfo) (held []store.LabeledProduct, recorded bool, err error) {
	labeled, err := labeledWithSplits(ctx, db)
	if err != nil {
		return nil, false, err
	}
	seen, err := db.RunTrainProducts(ctx, runID)
	if err != nil {
		return nil, false, err
	}
	recorded = len(seen) > 0
	for _, id := range judge.TrainProducts {
		seen[id] = true
	}
	for _, p := range labeled {
		if p.Split != dataset.Train && !seen[p.ID] {
			held = append(held, p)
		}
	}
	return held, recorded, nil
}

// counterpartIndex finds a held-out product's real counterparts: the products of its group (the same
// item drawn in other styles) by style, and which of them a run trained on.
type counterpartIndex struct {
	byGroup map[string]map[string][]store.LabeledProduct // group → style → products
	trained map[int64]bool                               // the run's training products
}

// runCounterparts indexes the catalog's groups for an evaluation of run runID. A run that did not
// record its training products is taken to have trained on the whole frozen train split.
func runCounterparts(ctx context.Context, db *store.DB, runID int64) (counterpartIndex, error) {
	labeled, err := db.LabeledProducts(ctx)
	if err != nil {
		return counterpartIndex{}, err
	}
	trained, err := db.RunTrainProducts(ctx, runID)
	if err != nil {
		return counterpartIndex{}, err
	}
	recorded := len(trained) > 0
	ix := counterpartIndex{byGroup: map[string]map[string][]store.LabeledProduct{}, trained: trained}
	for _, p := range labeled {
		if !recorded && p.Split == dataset.Train {
			ix.trained[p.ID] = true
		}
		if p.Group == "" || p.ImageHash == "" {
			continue
		}
		if ix.byGroup[p.Group] == nil {
			ix.byGroup[p.Group] = map[string][]store.LabeledProduct{}
		}
		ix.byGroup[p.Group][p.Style] = append(ix.byGroup[p.Group][p.Style], p)
	}
	return ix, nil
}

// fill gives item, the held-out product p, its counterparts in the model's styles as ground truth,
// only those the run never trained on. Where the run trained on p's counterpart in a style, the item
// is not translated into that style at all (gan.EvalItem.Skip): the generator may have learned that
// very drawing (with the paired loss, as the answer for this item), and every run is scored on the
// same translations whether it trained with the paired loss or not.
func (ix counterpartIndex) fill(ctx context.Context, db *store.DB, p store.LabeledProduct, styles []string, item *gan.EvalItem) error {
	group := ix.byGroup[p.Group]
	if p.Group == "" || group == nil {
		return nil
	}
	for t, s := range styles {
		if s == p.Style {
			continue
		}
		var truth *store.LabeledProduct
		for i, q := range group[s] {
			switch {
			case ix.trained[q.ID]:
				if item.Skip == nil {
					item.Skip = map[int]bool{}
				}
				item.Skip[t] = true
			case truth == nil:
				truth = &group[s][i]
			}
		}
		if truth == nil || item.Skip[t] {
			continue
		}
		img, kept, err := thumbAndAlpha(ctx, db, truth.ImageHash)
		if err != nil {
			return fmt.Errorf("read the image of %s: %w", truth.SKU, err)
		}
		if item.Truth == nil {
			item.Truth, item.TruthAlpha = map[int]image.Image{}, map[int]*image.Gray{}
		}
		item.Truth[t] = img
		item.TruthAlpha[t] = decodeAlpha(kept)
	}
	return nil
}
