// Package studio holds the use cases that join the catalog (store) and the engine, shared by both front
// ends (the screens in ui/ and the commands in app/): training and loading the style classifier,
// suggestions, GAN training and evaluation, stylizing and export, the feed and its ranker, PyTorch
// bundles. It has no widgets and imports no Fyne; its errors are in words a person of either front end
// can act on.
package studio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"stylestudio/engine/dataset"
	"stylestudio/engine/imaging"
	"stylestudio/engine/ingest"
	"stylestudio/engine/style"
	"stylestudio/internal/atomicfile"
	"stylestudio/internal/par"
	"stylestudio/store"
	"stylestudio/store/library"
)

// Default split for a library that has none yet: the classifier and the GAN train on the same one.
const (
	DefaultSplitSeed = 1
	defaultTrainPct  = 80
	defaultValPct    = 10
	defaultTestPct   = 10
)

// ClassifierInfo describes a trained classifier; it is saved as JSON beside the weights.
type ClassifierInfo struct {
	Accuracy      float64            `json:"accuracy"` // on the held-out (val+test) split
	PerStyle      map[string]float64 `json:"per_style"`
	Styles        []string           `json:"styles"`
	Skipped       []string           `json:"skipped"` // styles with too few labels to learn yet
	TrainImages   int                `json:"train_images"`
	HeldOutImages int                `json:"held_out_images"`
	Seconds       float64            `json:"seconds"`
	TrainedAt     time.Time          `json:"trained_at"`
	Labels        int                `json:"labels"` // labeled products when it was trained
	// TrainProducts are the ids of the products it trained on, so an evaluation it judges can leave
	// them out; empty for classifiers trained before it was recorded.
	TrainProducts []int64 `json:"train_products,omitempty"`
	// ECE is the expected calibration error of its confidence on the held-out split (nil without
	// held-out products), Reliability the diagram's bins (style.Calibration, 10 bins).
	ECE         *float64               `json:"ece,omitempty"`
	Reliability []style.ReliabilityBin `json:"reliability,omitempty"`
}

// ErrNoClassifier: the library has no classifier this version can use: none was trained yet, or the
// saved one was made by another version of Style Studio (then the error also wraps
// style.ErrOutdated). Either way, training one is the remedy.
var ErrNoClassifier = errors.New("no style classifier has been trained for this library yet")

// TrainProgress is what TrainClassifier reports. In a catalog imported before transparency was kept,
// the first training checks every older picture once: then Checking is true, with Checked of ToCheck
// done. The training's epochs follow, in Event.
type TrainProgress struct {
	Checking         bool
	Checked, ToCheck int
	style.Event
}

// TrainClassifier trains the style classifier on the catalog's train split (new labels get their frozen
// split first), measures it on the held-out split, and saves it into the library. Styles with fewer
// than style.MinPerStyle training images are left out and listed in Skipped. report may be nil.
func TrainClassifier(ctx context.Context, db *store.DB, cfg style.Config, report func(TrainProgress)) (*style.Model, ClassifierInfo, error) {
	start := time.Now()
	var checking func(done, total int)
	var epochs func(style.Event)
	if report != nil {
		checking = func(done, total int) { report(TrainProgress{Checking: true, Checked: done, ToCheck: total}) }
		epochs = func(ev style.Event) { report(TrainProgress{Event: ev}) }
	}
	if err := checkTransparency(ctx, db, checking); err != nil && ctx.Err() != nil {
		return nil, ClassifierInfo{}, ctx.Err()
	}
	labeled, err := labeledWithSplits(ctx, db)
	if err != nil {
		return nil, ClassifierInfo{}, err
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		return nil, ClassifierInfo{}, err
	}
	if len(styles) < 2 {
		return nil, ClassifierInfo{}, fmt.Errorf("the classifier needs at least 2 styles; this library has %d (add styles first)", len(styles))
	}
	perStyleTrain := map[string]int{}
	for _, p := range labeled {
		if p.Split == dataset.Train {
			perStyleTrain[p.Style]++
		}
	}
	info := ClassifierInfo{Labels: len(labeled), PerStyle: map[string]float64{}}
	index := map[string]int{}
	var missing []string
	for _, s := range styles {
		if perStyleTrain[s.Name] >= style.MinPerStyle {
			index[s.Name] = len(info.Styles)
			info.Styles = append(info.Styles, s.Name)
		} else {
			info.Skipped = append(info.Skipped, s.Name)
			missing = append(missing, fmt.Sprintf("%s has %d", s.Name, perStyleTrain[s.Name]))
		}
	}
	if len(info.Styles) < 2 {
		return nil, ClassifierInfo{}, fmt.Errorf("%w: the classifier needs at least 2 styles with %d labeled training images each (about %d labels per style, since a fifth are held out); %v",
			style.ErrNotEnoughLabels, style.MinPerStyle, style.MinPerStyle*5/4+1, missing)
	}
	var train, held []style.Example
	for _, p := range labeled {
		si, ok := index[p.Style]
		if !ok {
			continue
		}
		img, err := styleImage(ctx, db, p.ImageHash)
		if err != nil {
			return nil, ClassifierInfo{}, fmt.Errorf("read the image of %s: %w", p.SKU, err)
		}
		ex := style.Example{Image: img, Style: si}
		if p.Split == dataset.Train {
			train = append(train, ex)
			info.TrainProducts = append(info.TrainProducts, p.ID)
		} else {
			held = append(held, ex)
		}
	}
	m, err := style.Train(ctx, cfg, info.Styles, train, epochs)
	if err != nil {
		return nil, ClassifierInfo{}, err
	}
	info.TrainImages, info.HeldOutImages = len(train), len(held)
	info.Accuracy = style.Accuracy(m, held)
	for si, name := range info.Styles {
		var of []style.Example
		for _, ex := range held {
			if ex.Style == si {
				of = append(of, ex)
			}
		}
		if len(of) > 0 {
			info.PerStyle[name] = style.Accuracy(m, of)
		}
	}
	if len(held) > 0 {
		ece, bins := style.Calibration(m, held, 10)
		info.ECE, info.Reliability = &ece, bins
	}
	info.Seconds = time.Since(start).Seconds()
	info.TrainedAt = time.Now().UTC()
	if err := saveClassifier(db.Dir(), m, info); err != nil {
		return nil, ClassifierInfo{}, err
	}
	return m, info, nil
}

// DefaultSplit is the split seed and percentages a library gets the first time it needs splits.
func DefaultSplit() store.SplitSettings {
	return store.SplitSettings{Seed: DefaultSplitSeed, Train: defaultTrainPct, Val: defaultValPct, Test: defaultTestPct}
}

// labeledWithSplits gives every labeled product that has no split yet its frozen split (with the
// library's split settings, or the defaults the first time) and returns the labeled products. No
// product that has a split ever moves (store.DB.EnsureSplits).
func labeledWithSplits(ctx context.Context, db *store.DB) ([]store.LabeledProduct, error) {
	if _, err := db.EnsureSplits(ctx, DefaultSplit()); err != nil {
		return nil, err
	}
	return db.LabeledProducts(ctx)
}

func saveClassifier(dir string, m *style.Model, info ClassifierInfo) error {
	if err := os.MkdirAll(filepath.Dir(library.ClassifierPath(dir)), 0o755); err != nil {
		return fmt.Errorf("save the classifier: %w", err)
	}
	if err := m.Save(library.ClassifierPath(dir)); err != nil {
		return fmt.Errorf("save the classifier: %w", err)
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(library.ClassifierInfoPath(dir), data)
}

// LoadClassifier reads the library's classifier; ErrNoClassifier when none was trained.
func LoadClassifier(libraryDir string) (*style.Model, ClassifierInfo, error) {
	path := library.ClassifierPath(libraryDir)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, ClassifierInfo{}, ErrNoClassifier
	}
	m, err := style.Load(path)
	if errors.Is(err, style.ErrOutdated) {
		return nil, ClassifierInfo{}, fmt.Errorf("%w: the saved one was made by another version of Style Studio (%w)", ErrNoClassifier, err)
	}
	if err != nil {
		return nil, ClassifierInfo{}, fmt.Errorf("load the style classifier: %w", err)
	}
	var info ClassifierInfo
	if data, err := os.ReadFile(library.ClassifierInfoPath(libraryDir)); err == nil {
		_ = json.Unmarshal(data, &info) // the weights alone are usable; the info is only shown
	}
	return m, info, nil
}

// Suggestion is the classifier's opinion of one product.
type Suggestion struct {
	ProductID   int64   `json:"-"`
	SKU         string  `json:"sku"`
	Title       string  `json:"title"`
	Style       string  `json:"suggested"`
	Confidence  float64 `json:"confidence"`
	Uncertainty float64 `json:"uncertainty"` // 1 - margin between the two most likely styles
}

// Suggest predicts a style for every product and orders the unlabeled ones for labeling: first those most
// like the styles the classifier cannot learn yet (FillQueue), then the most useful (uncertainty with a
// share of diversity), so each label teaches the classifier the most.
func Suggest(ctx context.Context, db *store.DB, m *style.Model, seed uint64) (map[int64]Suggestion, []int64, error) {
	return SuggestCached(ctx, db, m, seed, nil)
}

// SuggestCached is Suggest with the products' style statistics kept in cache by image hash, for a
// caller that suggests again after each retraining (the Label screen): the statistics are most of
// what predicting a catalog costs, and they do not change with the classifier. With a nil cache they
// are kept for this call only, which still spares the fill queue computing them again.
func SuggestCached(ctx context.Context, db *store.DB, m *style.Model, seed uint64, cache *style.StatsCache) (map[int64]Suggestion, []int64, error) {
	if cache == nil {
		cache = style.NewStatsCache()
	}
	rows, thumbs, err := catalogImages(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	imgs := make([]image.Image, len(rows))
	keys := make([]string, len(rows))
	for i, img := range thumbs {
		if img == nil {
			img = image.NewNRGBA(image.Rect(0, 0, 1, 1)) // a missing thumbnail gets a meaningless but harmless guess
		} else {
			keys[i] = statsKey(rows[i].ImageHash, img)
		}
		imgs[i] = img
	}
	probs, feats := m.PredictAllCached(imgs, keys, cache)
	names := m.Styles()
	out := make(map[int64]Suggestion, len(rows))
	var uProbs [][]float64
	var uFeats [][]float32
	var unlabeledIDs []int64
	for i, r := range rows {
		best, second := topTwo(probs[i])
		s := Suggestion{ProductID: r.ID, SKU: r.SKU, Title: r.Title, Style: names[best], Confidence: probs[i][best]}
		s.Uncertainty = 1 - (probs[i][best] - probs[i][second])
		out[r.ID] = s
		if r.Style == "" {
			uProbs, uFeats = append(uProbs, probs[i]), append(uFeats, feats[i])
			unlabeledIDs = append(unlabeledIDs, r.ID)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	// First the products most like the styles the classifier left out for want of labels, then its
	// own order. The fill is an aid: where it cannot be made (a library opened read-only cannot take
	// the splits it counts from), the classifier's order alone.
	queue, err := fillOrder(ctx, db, rows, thumbs, cache)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		queue = nil
	}
	first := make(map[int64]bool, len(queue))
	for _, id := range queue {
		first[id] = true
	}
	// The classifier's order: its head is the labels the person gives before the Label screen
	// retrains (less the fill's), chosen with a share of diversity; the rest by uncertainty.
	head := max(1, RetrainAfter(len(rows)-len(unlabeledIDs))-len(queue))
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for _, q := range style.QueueHead(uProbs, uFeats, head, QueueDiversity, rng) {
		if id := unlabeledIDs[q.Index]; !first[id] {
			queue = append(queue, id)
		}
	}
	return out, queue, nil
}

// QueueDiversity is the share of the labeling queue chosen for diversity rather than uncertainty.
const QueueDiversity = 0.3

// RetrainAfter is how many new labels make the Label screen retrain the classifier (from scratch, with
// style.DefaultConfig) and rebuild the queue, given the labels the classifier on show learned from:
// style.RetrainAfter, from 6 while it knows a few dozen labels up to 20. `bench label-assist --app`
// replays that cadence.
func RetrainAfter(trainedOn int) int { return style.RetrainAfter(trainedOn) }

func topTwo(p []float64) (best, second int) {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	if len(idx) < 2 {
		return idx[0], idx[0]
	}
	return idx[0], idx[1]
}

// thumbImage decodes a product's catalog thumbnail (already flattened on white and padded square).
func thumbImage(ctx context.Context, db *store.DB, hash string) (image.Image, error) {
	data, err := db.Thumb(ctx, hash)
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(data))
}

// styleImage is a product's thumbnail as the style classifier reads it: with the picture's
// transparency put back where the catalog kept it (imaging.WithAlpha), else the thumbnail itself.
func styleImage(ctx context.Context, db *store.DB, hash string) (image.Image, error) {
	img, alpha, err := thumbAndAlpha(ctx, db, hash)
	if err != nil {
		return nil, err
	}
	return imaging.WithAlpha(img, decodeAlpha(alpha)), nil
}

// thumbAndAlpha decodes a product's thumbnail (thumbImage) and returns the alpha square kept beside
// it still encoded (nil or empty for none), in one read: the catalog-wide paths call it per product.
func thumbAndAlpha(ctx context.Context, db *store.DB, hash string) (image.Image, []byte, error) {
	thumb, alpha, err := db.ThumbWithAlpha(ctx, hash)
	if err != nil {
		return nil, nil, err
	}
	img, err := png.Decode(bytes.NewReader(thumb))
	if err != nil {
		return nil, nil, err
	}
	return img, alpha, nil
}

// checkTransparency checks the transparency of the images imported before the catalog kept it, so
// the classifier reads an older catalog's cut-outs as it reads new imports. A JPEG has none; any other
// picture is decoded from its stored original, as the import decodes it, once. A picture that cannot
// be read now (a missing object, a format this build cannot decode) stays unchecked, read as opaque,
// and is tried again next time. The first check of a large catalog of PNGs costs a decode of each
// original. A read-only library is left unchecked; the error says why, and callers go on without.
// progress (may be nil) hears how many of the pictures unchecked at the start have been tried, before
// each batch and at the end, when there are any.
func checkTransparency(ctx context.Context, db *store.DB, progress func(done, total int)) error {
	total, err := db.AlphaUncheckedCount(ctx)
	if err != nil || total == 0 {
		return err
	}
	after, done := "", 0
	for {
		if progress != nil {
			progress(min(done, total), total)
		}
		todo, err := db.AlphaUnchecked(ctx, after, 256)
		if err != nil || len(todo) == 0 {
			return err
		}
		done += len(todo)
		after = todo[len(todo)-1].Hash
		found := make([][]byte, len(todo))
		checked := make([]bool, len(todo))
		var enc imaging.PNGEncoder
		par.For(len(todo), func(i int) {
			if ctx.Err() != nil {
				return
			}
			if todo[i].Format == imaging.FormatJPEG {
				checked[i] = true
				return
			}
			data, err := db.ReadObject(todo[i].Hash)
			if err != nil {
				return
			}
			img, _, err := imaging.DecodeFit(data, 0, ingest.ThumbSize) // as the import decodes it
			if err != nil {
				return
			}
			if found[i], err = ingest.ThumbAlpha(img, true, &enc); err != nil {
				return
			}
			checked[i] = true
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		alphas := make(map[string][]byte, len(todo))
		for i, t := range todo {
			if checked[i] {
				alphas[t.Hash] = found[i]
			}
		}
		if err := db.SetThumbAlphas(ctx, alphas); err != nil {
			return err
		}
	}
}

// statsKey is the key a product's style statistics are cached under: its image hash, marked when the
// picture was read with its transparency, so statistics computed while it was still unchecked (read
// as opaque) are not reused once it has been checked.
func statsKey(hash string, img image.Image) string {
	if hash == "" {
		return ""
	}
	if imaging.HasTransparency(img) {
		return hash + "+alpha"
	}
	return hash
}

// productAlpha is the alpha square the catalog kept for the image hash (placed as its thumbnail), or
// nil for an opaque picture, one not checked yet, or one that cannot be read.
func productAlpha(ctx context.Context, db *store.DB, hash string) *image.Gray {
	data, err := db.ThumbAlpha(ctx, hash)
	if err != nil {
		return nil
	}
	return decodeAlpha(data)
}

// decodeAlpha decodes a kept alpha square (nil for none or an unreadable one).
func decodeAlpha(data []byte) *image.Gray {
	if len(data) == 0 {
		return nil
	}
	a, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	return imaging.GrayFrom(a)
}

// writeFileAtomic writes a temp file beside path, syncs, closes and renames it.
// tempPattern names writeFileAtomic's temp files, so that those a killed process left behind can be
// told apart from anyone else's files (removeStaleTemps).
const tempPattern = ".stylestudio-*.tmp"

// removeStaleTemps removes the temp files an interrupted writeFileAtomic left in dir (not in its
// subfolders). Call it only where no other writer is at work in dir.
func removeStaleTemps(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	for _, p := range stale {
		_ = os.Remove(p)
	}
}

func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, tempPattern, 0o644)
}
