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
// first, on the frozen train split. Demo products carry their true rendering in every style, which
// gives the paired scores.
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
		img, err := thumbImage(ctx, db, p.ImageHash)
		if err != nil {
			return gan.EvalReport{}, fmt.Errorf("read the image of %s: %w", p.SKU, err)
		}
		// The judge reads real products as it was trained on them, with their transparency, and each
		// stylized output with its source's (gan.EvalItem.Alpha).
		alpha := productAlpha(ctx, db, p.ImageHash)
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
		items = append(items, item)
	}
	rep, err := gan.Evaluate(ctx, m, items, real, judgeModel)
	if err != nil {
		return rep, err
	}
	rep.HeldOutProducts, rep.TrainRecorded = len(items), recorded
	rep.Judge = &gan.JudgeInfo{TrainedAt: judgeInfo.TrainedAt, TrainProducts: len(judgeInfo.TrainProducts),
		HeldOutAccuracy: judgeInfo.Accuracy}
	js, _ := json.Marshal(rep)
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
