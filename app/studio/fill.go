package studio

import (
	"context"
	"image"

	"stylestudio/engine/dataset"
	"stylestudio/engine/style"
	"stylestudio/internal/splitmix"
	"stylestudio/store"
)

// FillQueue is the start of the labeling queue while some style has too few training labels for the
// classifier to learn it (style.MinPerStyle in the train split; a new label of a small style often
// goes to val or test first, so a style needs about 7): the unlabeled products most like those styles,
// taken in turn from each (style.FillOrder on the style statistics, judged by the labels alone, so it
// works before any classifier). Only styles with at least one label are filled: nothing says yet what
// the others look like. It assigns the labeled products their frozen splits, as training does. Empty
// when no labeled style lacks training labels.
func FillQueue(ctx context.Context, db *store.DB) ([]int64, error) {
	return FillQueueCached(ctx, db, nil)
}

// FillQueueCached is FillQueue with the products' style statistics kept in cache by image hash (nil:
// none), as SuggestCached keeps them.
func FillQueueCached(ctx context.Context, db *store.DB, cache *style.StatsCache) ([]int64, error) {
	styles, need, err := styleNeeds(ctx, db)
	if err != nil || need == nil {
		return nil, err
	}
	rows, imgs, err := catalogImages(ctx, db)
	if err != nil {
		return nil, err
	}
	return fillFrom(ctx, rows, imgs, styles, need, cache)
}

// styleNeeds is how many more labels each style (in db.Styles order) needs before style.MinPerStyle
// of them are in the train split, counted from the frozen splits (it gives the labeled products
// theirs first, as training does; a style's new labels get theirs together at the next training,
// dataset.LabelsToTrain, though a product relabeled after its label was cleared keeps the split it
// had, and in a library that knows its groups a new label joins its item's split, so there the count
// is an estimate the next training corrects). need is nil when no style with a label lacks any.
func styleNeeds(ctx context.Context, db *store.DB) ([]store.Style, []int, error) {
	counts, err := db.EnsureSplits(ctx, DefaultSplit())
	if err != nil {
		return nil, nil, err
	}
	def := DefaultSplit()
	pct := [3]int{def.Train, def.Val, def.Test}
	if st, err := db.ActiveSplit(ctx); err == nil && dataset.ValidatePercentages([3]int{st.Train, st.Val, st.Test}) == nil {
		pct = [3]int{st.Train, st.Val, st.Test}
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		return nil, nil, err
	}
	need := make([]int, len(styles))
	needy := false
	for i, s := range styles {
		have := counts.PerStyle[s.Name]
		need[i] = max(0, dataset.LabelsToTrain(have, style.MinPerStyle, pct))
		needy = needy || need[i] > 0 && have[0]+have[1]+have[2] > 0
	}
	if !needy {
		return styles, nil, nil
	}
	return styles, need, nil
}

// catalogImages reads every product and its thumbnail as the style classifier reads it (styleImage;
// nil when it has none or it cannot be read).
func catalogImages(ctx context.Context, db *store.DB) ([]store.ProductRow, []image.Image, error) {
	if err := checkTransparency(ctx, db, nil); err != nil && ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		return nil, nil, err
	}
	imgs := make([]image.Image, len(rows))
	for i, r := range rows {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if img, err := styleImage(ctx, db, r.ImageHash); err == nil {
			imgs[i] = img
		}
	}
	return rows, imgs, nil
}

// fillOrder is FillQueue over products already read (imgs parallel to rows, nil for none), with
// their statistics kept in cache (nil: none).
func fillOrder(ctx context.Context, db *store.DB, rows []store.ProductRow, imgs []image.Image, cache *style.StatsCache) ([]int64, error) {
	styles, need, err := styleNeeds(ctx, db)
	if err != nil || need == nil {
		return nil, err
	}
	return fillFrom(ctx, rows, imgs, styles, need, cache)
}

// fillFrom orders the fill queue for need (parallel to styles).
func fillFrom(ctx context.Context, rows []store.ProductRow, imgs []image.Image, styles []store.Style, need []int, cache *style.StatsCache) ([]int64, error) {
	index := make(map[string]int, len(styles))
	for i, s := range styles {
		index[s.Name] = i
	}
	var with []int // rows with an image
	var withImgs []image.Image
	var keys []string
	for i, img := range imgs {
		if img != nil {
			with, withImgs, keys = append(with, i), append(withImgs, img), append(keys, statsKey(rows[i].ImageHash, img))
		}
	}
	stats := style.StatsRowsCached(withImgs, keys, cache)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var labeled, cands [][]float64
	var labeledStyles []int
	var candIDs []int64
	var scatter []uint64
	for k, i := range with {
		if name := rows[i].Style; name != "" {
			si, ok := index[name]
			if !ok {
				si = -1 // a style removed meanwhile: FillOrder ignores it
			}
			labeled, labeledStyles = append(labeled, stats[k]), append(labeledStyles, si)
		} else {
			cands, candIDs = append(cands, stats[k]), append(candIDs, rows[i].ID)
			scatter = append(scatter, Spread(rows[i].ID))
		}
	}
	var out []int64
	for _, c := range style.FillOrder(labeled, labeledStyles, cands, scatter, need) {
		out = append(out, candIDs[c])
	}
	return out, nil
}

// Spread scatters product ids (splitmix64's finaliser): the order the Label screen shows products no
// classifier has ranked in, and the one FillQueue takes a style's likely products in, unrelated to
// the catalog's (a catalog imported folder by folder lists one style's products together).
func Spread(id int64) uint64 { return splitmix.Mix(uint64(id)) }
