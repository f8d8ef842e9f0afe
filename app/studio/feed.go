package studio

// The simulated storefront feed: turning the catalog into simulator inputs (FeedItems), the ranking
// model that orders the feed (DefaultRanker, LoadRanker, TrainRanker, TrainLibraryRanker, EvalRanker)
// and simulation runs whose impressions can be stored in the catalog (Simulate, SimulateFeed).
//
// What a shopper perceives and what the ranker sees are deliberately different things:
//
//   - Variant.Perceived is the style classifier's probability vector on the image (mapped onto the
//     library's style list). Without a classifier (a fresh library) it falls back to the product's label
//     (LabelPeak on the label, the rest spread evenly) or, for unlabeled products and variant images, a
//     nearest-centroid guess from colour histograms, the centroids being those of the labeled products.
//   - Variant.Features is a fixed colour histogram of the thumbnail (ColorHistogram: 12 bins for each
//     of R, G and B, 36 numbers summing to 1), NOT the classifier's penultimate features. The classifier is retrained
//     whenever people label more products, and its feature space changes every time; a ranker trained on
//     those features would silently become garbage, and the built-in ranker could never match a library's
//     own classifier. A fixed histogram keeps the ranker's input stable, so the embedded default weights
//     (trained on the demo catalog before any classifier exists) stay valid after the user trains one.

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"stylestudio/assets"
	"stylestudio/engine/imaging"
	"stylestudio/engine/ingest"
	"stylestudio/engine/rank"
	"stylestudio/engine/sim"
	"stylestudio/engine/style"
	"stylestudio/internal/par"
	"stylestudio/store"
	"stylestudio/store/library"
)

// Colour histogram features (see the file comment for why the ranker does not use classifier features).
const (
	// HistogramBins is the number of bins of each RGB channel's histogram.
	HistogramBins = 12
	// FeatureDim is the length of Variant.Features: one histogram per channel.
	FeatureDim = 3 * HistogramBins
	// LabelPeak is the perceived probability of a labeled product's own style when there is no
	// classifier; the rest (1 − LabelPeak) is spread evenly over the other styles. Guesses from colour
	// histograms are mixed with the uniform vector in the same proportion.
	LabelPeak = 0.85
	// feedBatch is how many thumbnails are decoded at once (bounds memory on large catalogs).
	feedBatch = 256
	// UncategorizedCategory replaces an empty product category in the feed.
	UncategorizedCategory = "uncategorized"
	// fallbackPriceCents is the price of unpriced products when no product has a price.
	fallbackPriceCents = 2000
)

// FeatureSource says where the feed's perceived styles came from, and what was left out.
type FeatureSource struct {
	Classifier bool   // Perceived is the library's style classifier's output
	Note       string // one line for people
	Products   int    // products in the feed
	Skipped    int    // products left out: no image, or a thumbnail that could not be read
	Variants   int    // stylized variant images in the feed
	Labeled    int    // without a classifier: products perceived as their label
	Guessed    int    // without a classifier: images perceived by the colour-histogram guess
	Unpriced   int    // products without a price, given the median price
}

// FeedOptions adjusts FeedItemsWith.
type FeedOptions struct {
	// IgnoreClassifier uses the no-classifier fallback even when the library has a classifier (how the
	// built-in ranker's training data is made, so it matches a fresh library).
	IgnoreClassifier bool
}

// ErrNoStyles: the library defines no style yet.
var ErrNoStyles = errors.New("the feed needs at least one style")

// ErrEmptyFeed: the catalog has no product the feed can show.
var ErrEmptyFeed = errors.New("the catalog has no products with an image to show in the feed")

// FeedItems turns the catalog into simulator items (see FeedItemsWith).
func FeedItems(ctx context.Context, db *store.DB) ([]sim.Item, []string, FeatureSource, error) {
	return FeedItemsWith(ctx, db, FeedOptions{})
}

// FeedItemsWith turns the catalog into the simulator's items, in product id order: one Item per product
// with an image (ID = product id, Category, PriceCents), variant 0 its original thumbnail and further
// variants the stylized images of the variants table (newest run per style). styles is the library's
// style list in display order; every Perceived vector is over it. Products without an image are left
// out; an empty category becomes UncategorizedCategory and a missing price the median price (counted
// in source). It fails with ErrEmptyFeed when nothing is left, and checks ctx between batches.
func FeedItemsWith(ctx context.Context, db *store.DB, opts FeedOptions) ([]sim.Item, []string, FeatureSource, error) {
	var src FeatureSource
	styleRows, err := db.Styles(ctx)
	if err != nil {
		return nil, nil, src, err
	}
	styles := make([]string, len(styleRows))
	styleIndex := map[string]int{}
	for i, s := range styleRows {
		styles[i] = s.Name
		styleIndex[strings.ToLower(s.Name)] = i
	}
	if len(styles) == 0 {
		return nil, nil, src, fmt.Errorf("%w; define styles, or start from the demo catalog", ErrNoStyles)
	}
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		return nil, nil, src, err
	}
	if len(rows) == 0 {
		return nil, nil, src, fmt.Errorf("%w: the catalog is empty; import products, or start from the demo catalog", ErrEmptyFeed)
	}

	var clf *style.Model
	if !opts.IgnoreClassifier {
		m, _, err := LoadClassifier(db.Dir())
		switch {
		case err == nil:
			clf = m
		case errors.Is(err, ErrNoClassifier):
		default:
			return nil, nil, src, err
		}
	}
	var clfMap []int // classifier output k → library style index, -1 when the library has no such style
	if clf != nil {
		known := 0
		for _, name := range clf.Styles() {
			i, ok := styleIndex[strings.ToLower(name)]
			if !ok {
				i = -1
			} else {
				known++
			}
			clfMap = append(clfMap, i)
		}
		if known == 0 {
			clf = nil // trained on styles that no longer exist: as good as none
		}
	}

	// Originals: thumbnails in batches (histogram and, with a classifier, its probabilities).
	type original struct {
		row   store.ProductRow
		feat  []float32
		prob  []float64 // classifier output over the library's styles; nil without one
		alpha []byte    // the transparency kept for its picture (encoded; with a classifier only)
	}
	var origs []original
	for lo := 0; lo < len(rows); lo += feedBatch {
		if err := ctx.Err(); err != nil {
			return nil, nil, src, err
		}
		batch := rows[lo:min(lo+feedBatch, len(rows))]
		imgs := make([]image.Image, len(batch))
		alphas := make([][]byte, len(batch))
		seen := make([]image.Image, len(batch)) // as the classifier reads them (with their transparency)
		par.For(len(batch), func(i int) {
			if batch[i].ImageHash == "" {
				return
			}
			img, alpha, err := thumbAndAlpha(ctx, db, batch[i].ImageHash)
			if err != nil {
				return
			}
			imgs[i] = img
			if clf != nil {
				alphas[i] = alpha
				seen[i] = imaging.WithAlpha(img, decodeAlpha(alpha))
			}
		})
		var kept []image.Image
		for i, img := range imgs {
			if img == nil {
				src.Skipped++
				continue
			}
			origs = append(origs, original{row: batch[i], feat: ColorHistogram(img), alpha: alphas[i]})
			if clf != nil {
				kept = append(kept, seen[i])
			}
		}
		if clf != nil && len(kept) > 0 {
			probs := clf.PredictBatch(kept)
			base := len(origs) - len(kept)
			for j, p := range probs {
				origs[base+j].prob = mapProbs(p, clfMap, len(styles))
			}
		}
	}
	if len(origs) == 0 {
		return nil, nil, src, fmt.Errorf("%w: none of the %d products has a readable image; import images for them", ErrEmptyFeed, len(rows))
	}

	// Variants: the stylized images, decoded from their objects and thumbnailed like the originals.
	byProduct := map[int64]int{}
	for i, o := range origs {
		byProduct[o.row.ID] = i
	}
	type variantImage struct {
		v    store.FeedVariant
		feat []float32
		prob []float64
	}
	variants := map[int64][]variantImage{} // by product id
	vrows, err := db.FeedVariants(ctx)
	if err != nil {
		return nil, nil, src, err
	}
	var vskipped int
	for lo := 0; lo < len(vrows); lo += feedBatch {
		if err := ctx.Err(); err != nil {
			return nil, nil, src, err
		}
		batch := vrows[lo:min(lo+feedBatch, len(vrows))]
		imgs := make([]image.Image, len(batch))
		seen := make([]image.Image, len(batch))
		par.For(len(batch), func(i int) {
			o, ok := byProduct[batch[i].ProductID]
			if !ok {
				return
			}
			if img, err := VariantThumbnail(db, batch[i].ImageHash); err == nil {
				imgs[i] = img
				// A variant keeps its product's outline, so the classifier reads it with the product's
				// transparency, as it reads the product.
				if clf != nil {
					seen[i] = imaging.WithAlpha(img, decodeAlpha(origs[o].alpha))
				}
			}
		})
		var kept, keptSeen []image.Image
		var keptIdx []int
		for i, img := range imgs {
			if img == nil {
				vskipped++
				continue
			}
			kept, keptSeen = append(kept, img), append(keptSeen, seen[i])
			keptIdx = append(keptIdx, i)
		}
		var probs [][]float64
		if clf != nil && len(kept) > 0 {
			probs = clf.PredictBatch(keptSeen)
		}
		for j, i := range keptIdx {
			vi := variantImage{v: batch[i], feat: ColorHistogram(kept[j])}
			if probs != nil {
				vi.prob = mapProbs(probs[j], clfMap, len(styles))
			}
			variants[batch[i].ProductID] = append(variants[batch[i].ProductID], vi)
		}
	}

	// Perceived without a classifier: labels, and nearest-centroid guesses for the rest.
	var guess *centroidGuesser
	if clf == nil {
		guess = newCentroidGuesser(len(styles))
		for _, o := range origs {
			if i, ok := styleIndex[strings.ToLower(o.row.Style)]; ok && o.row.Style != "" {
				guess.add(i, o.feat)
			}
		}
		guess.finish()
	}
	perceive := func(prob []float64, feat []float32, label string) []float64 {
		if prob != nil {
			return prob
		}
		if i, ok := styleIndex[strings.ToLower(label)]; ok && label != "" {
			src.Labeled++
			return peaked(len(styles), i)
		}
		src.Guessed++
		return guess.perceive(feat)
	}

	prices := make([]int64, 0, len(origs))
	for _, o := range origs {
		if o.row.PriceCents > 0 {
			prices = append(prices, o.row.PriceCents)
		}
	}
	defaultPrice := int64(fallbackPriceCents)
	if len(prices) > 0 {
		slices.Sort(prices)
		defaultPrice = prices[len(prices)/2]
	}

	items := make([]sim.Item, 0, len(origs))
	for _, o := range origs {
		it := sim.Item{ID: o.row.ID, Category: strings.TrimSpace(o.row.Category), PriceCents: o.row.PriceCents}
		if it.Category == "" {
			it.Category = UncategorizedCategory
		}
		if it.PriceCents <= 0 {
			it.PriceCents = defaultPrice
			src.Unpriced++
		}
		it.Variants = append(it.Variants, sim.Variant{Style: o.row.Style, Perceived: perceive(o.prob, o.feat, o.row.Style), Features: o.feat})
		for _, v := range variants[o.row.ID] {
			// A variant's target style is what the GAN aimed at, not what it achieved: without a
			// classifier it is perceived by its colours, like an unlabeled product.
			it.Variants = append(it.Variants, sim.Variant{ID: v.v.ID, Style: v.v.Style, Perceived: perceive(v.prob, v.feat, ""), Features: v.feat})
			src.Variants++
		}
		items = append(items, it)
	}
	src.Products = len(items)
	src.Classifier = clf != nil
	src.Note = feedNote(src, vskipped)
	return items, styles, src, nil
}

func feedNote(src FeatureSource, vskipped int) string {
	var b strings.Builder
	if src.Classifier {
		b.WriteString("perceived styles come from the style classifier")
	} else {
		b.WriteString("no classifier trained yet: perceived styles come from labels and colour histograms")
	}
	fmt.Fprintf(&b, "; %d products", src.Products)
	if src.Variants > 0 {
		fmt.Fprintf(&b, ", %d stylized variants", src.Variants)
	} else {
		b.WriteString(", no stylized variants yet")
	}
	if src.Skipped > 0 {
		fmt.Fprintf(&b, "; %d products without a readable image left out", src.Skipped)
	}
	if vskipped > 0 {
		fmt.Fprintf(&b, "; %d variant images could not be read", vskipped)
	}
	if src.Unpriced > 0 {
		fmt.Fprintf(&b, "; %d unpriced products shown at the median price", src.Unpriced)
	}
	return b.String()
}

// mapProbs maps a classifier's probabilities onto the library's styles (dropping styles the library no
// longer has and renormalising); an all-zero result is uniform.
func mapProbs(p []float64, to []int, n int) []float64 {
	out := make([]float64, n)
	var sum float64
	for k, x := range p {
		if k < len(to) && to[k] >= 0 {
			out[to[k]] += x
			sum += x
		}
	}
	if sum <= 0 {
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// peaked is LabelPeak on style i and the rest spread evenly (1 for a single style).
func peaked(n, i int) []float64 {
	out := make([]float64, n)
	if n == 1 {
		out[0] = 1
		return out
	}
	for k := range out {
		out[k] = (1 - LabelPeak) / float64(n-1)
	}
	out[i] = LabelPeak
	return out
}

// centroidGuesser perceives an image by the colour-histogram centroids of the labeled products:
// q_k ∝ exp(−d_k²/(2τ²)) over the styles with labels (d_k the distance to style k's centroid, τ the
// root-mean-square distance of labeled products to their own centroid), mixed with the uniform vector
// as labels are (LabelPeak·q + (1−LabelPeak)/S). Without any label it is uniform.
type centroidGuesser struct {
	n     int
	sum   [][]float64
	count []int
	feats [][]float32 // labeled features, kept until finish to measure the spread
	label []int
	tau2  float64
}

func newCentroidGuesser(n int) *centroidGuesser {
	g := &centroidGuesser{n: n, sum: make([][]float64, n), count: make([]int, n)}
	return g
}

func (g *centroidGuesser) add(style int, f []float32) {
	if g.sum[style] == nil {
		g.sum[style] = make([]float64, len(f))
	}
	for d, x := range f {
		g.sum[style][d] += float64(x)
	}
	g.count[style]++
	g.feats = append(g.feats, f)
	g.label = append(g.label, style)
}

func (g *centroidGuesser) finish() {
	for k := range g.sum {
		if g.count[k] > 0 {
			for d := range g.sum[k] {
				g.sum[k][d] /= float64(g.count[k])
			}
		}
	}
	var ss float64
	for i, f := range g.feats {
		ss += dist2(g.sum[g.label[i]], f)
	}
	if len(g.feats) > 0 {
		g.tau2 = ss / float64(len(g.feats))
	}
	g.tau2 = max(g.tau2, 1e-6)
	g.feats, g.label = nil, nil
}

func (g *centroidGuesser) perceive(f []float32) []float64 {
	out := make([]float64, g.n)
	uniform := 1 / float64(g.n)
	logits := make([]float64, g.n)
	best := math.Inf(-1)
	any := false
	for k := range out {
		if g.count[k] == 0 {
			continue
		}
		any = true
		logits[k] = -dist2(g.sum[k], f) / (2 * g.tau2)
		best = max(best, logits[k])
	}
	if !any {
		for k := range out {
			out[k] = uniform
		}
		return out
	}
	var z float64
	for k := range out {
		if g.count[k] > 0 {
			out[k] = math.Exp(logits[k] - best)
			z += out[k]
		}
	}
	for k := range out {
		out[k] = LabelPeak*out[k]/z + (1-LabelPeak)*uniform
	}
	return out
}

func dist2(c []float64, f []float32) float64 {
	var s float64
	for d, x := range f {
		e := float64(x) - c[d]
		s += e * e
	}
	return s
}

// VariantThumbnail decodes a stylized variant's image (its object) into a thumbnail like a product's:
// at most ingest.ThumbSize, padded to a square. Variants have no stored thumbnail; the feed makes them.
func VariantThumbnail(db *store.DB, hash string) (image.Image, error) {
	data, err := db.ReadObject(hash)
	if err != nil {
		return nil, err
	}
	img, _, err := imaging.DecodeFit(data, 0, ingest.ThumbSize)
	if err != nil {
		return nil, fmt.Errorf("variant image %s: %w", hash, err)
	}
	return imaging.SquareSerial(img, ingest.ThumbSize), nil
}

// ColorHistogram is the feed's image feature vector: for each of R, G and B, the share of pixels whose
// channel value falls in each of HistogramBins equal bins (bin of a value v is v·HistogramBins/256;
// index channel·HistogramBins + bin), after compositing translucent pixels on white, divided by 3 so
// the whole vector sums to 1 (an empty image gives all zeros).
//
// Per-channel (marginal) histograms with 12 bins were chosen over a joint 3x3x3 RGB histogram after
// measuring on the default demo catalog: nearest-centroid style guesses from the labeled products were
// right for 91% of the unlabeled ones with these 36 numbers, 70% with the joint 27 (3 bins cannot tell
// vintage's cream paper from white) and 91% with a joint 6x6x6 (216 numbers, 6x the scoring cost).
func ColorHistogram(img image.Image) []float32 {
	const B = HistogramBins
	var counts [FeatureDim]int
	b := img.Bounds()
	bin := func(v uint32) int { return int(v) * B / 256 }
	add := func(r, g, bl uint32) {
		counts[bin(r)]++
		counts[B+bin(g)]++
		counts[2*B+bin(bl)]++
	}
	switch m := img.(type) {
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]
			for i := 0; i+3 < len(row); i += 4 {
				r, g, bl, a := uint32(row[i]), uint32(row[i+1]), uint32(row[i+2]), uint32(row[i+3])
				if a != 255 { // on white
					r = (r*a + 255*(255-a) + 127) / 255
					g = (g*a + 255*(255-a) + 127) / 255
					bl = (bl*a + 255*(255-a) + 127) / 255
				}
				add(r, g, bl)
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, a := img.At(x, y).RGBA() // premultiplied, 16-bit
				w := 0xffff - a
				add((r+w)>>8, (g+w)>>8, (bl+w)>>8)
			}
		}
	}
	out := make([]float32, FeatureDim)
	n := b.Dx() * b.Dy()
	if n <= 0 {
		return out
	}
	for i, c := range counts {
		out[i] = float32(float64(c) / float64(3*n))
	}
	return out
}

// ---- ranking model ----

// Ranker sources (RankerInfo.Source).
const (
	RankerFromLibrary = "library" // the library's own models/ranker.safetensors
	RankerBuiltIn     = "default" // the weights embedded in the program (trained on the demo catalog)
	RankerTrained     = "trained" // trained just now for this library (and saved into it)
)

// RankerInfo says which ranking model is in use.
type RankerInfo struct {
	Source string // RankerFromLibrary, RankerBuiltIn or RankerTrained
	Path   string // the library file, when there is one
	Note   string // one line for people
}

// Errors of the ranker functions; test with errors.Is.
var (
	// ErrNoRanker: neither the library's ranker nor the built-in one fits this catalog; train one.
	ErrNoRanker = errors.New("no ranking model fits this library yet")
	// ErrNoBuiltInRanker: this build carries no embedded ranker weights.
	ErrNoBuiltInRanker = errors.New("this build has no built-in ranking model")
)

// RankerFits checks that a model can rank a catalog of spec: the same styles in the same order, the
// same feature length, and every category of the catalog known to the model (a model may know more
// categories: a small demo library lacks some). It returns an error matching rank.ErrShapeMismatch
// that names what differs.
func RankerFits(m *rank.Model, want rank.Spec) error {
	got := m.Spec()
	var why []string
	if !slices.Equal(got.Styles, want.Styles) {
		why = append(why, fmt.Sprintf("styles %q, the library has %q", got.Styles, want.Styles))
	}
	if got.FeatureDim != want.FeatureDim {
		why = append(why, fmt.Sprintf("%d image features, the feed has %d", got.FeatureDim, want.FeatureDim))
	}
	var unknown []string
	for _, c := range want.Categories {
		if _, found := slices.BinarySearch(got.Categories, c); !found {
			unknown = append(unknown, c)
		}
	}
	if len(unknown) > 0 {
		why = append(why, fmt.Sprintf("it does not know the categories %q", unknown))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the model was trained for %s; train a ranker for this library",
		rank.ErrShapeMismatch, strings.Join(why, "; "))
}

// DefaultRanker returns the ranking model built into the program (assets/ranker/default.safetensors,
// trained on simulated logs of the default demo catalog with the no-classifier features), or an error
// matching rank.ErrShapeMismatch when it does not fit spec (a library with other styles or categories:
// train one with TrainRanker).
func DefaultRanker(spec rank.Spec) (*rank.Model, error) {
	data := assets.DefaultRanker()
	if len(data) == 0 {
		return nil, ErrNoBuiltInRanker
	}
	m, err := loadRankerBytes(data)
	if err != nil {
		return nil, fmt.Errorf("the built-in ranking model is damaged (%w); reinstall Style Studio, or train a ranker for this library", err)
	}
	if err := RankerFits(m, spec); err != nil {
		return nil, fmt.Errorf("the built-in ranking model was made for the demo catalog: %w", err)
	}
	return m, nil
}

// loadRankerBytes reads a safetensors ranking model from memory (through a temporary file, which is
// what rank.Load reads).
func loadRankerBytes(data []byte) (*rank.Model, error) {
	f, err := os.CreateTemp("", "stylestudio-ranker-*.safetensors")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Close()); err != nil {
		return nil, err
	}
	return rank.Load(f.Name(), rank.Spec{})
}

// LoadRanker returns the ranking model for a catalog of spec: the library's own (RankerPath) when it
// fits, else the built-in one when that fits, else an error matching ErrNoRanker that says why each
// was refused. A library model that is damaged or of another shape is reported in the note, not fatal.
func LoadRanker(db *store.DB, spec rank.Spec) (*rank.Model, RankerInfo, error) {
	path := library.RankerPath(db.Dir())
	var why []string
	if _, err := os.Stat(path); err == nil {
		m, err := rank.Load(path, rank.Spec{})
		if err == nil {
			err = RankerFits(m, spec)
		}
		if err == nil {
			return m, RankerInfo{Source: RankerFromLibrary, Path: path, Note: "the library's own ranker (" + path + ")"}, nil
		}
		why = append(why, "the library's ranker "+path+" cannot be used: "+err.Error())
	}
	m, err := DefaultRanker(spec)
	if err == nil {
		note := "the built-in ranker (trained on the demo catalog)"
		if len(why) > 0 {
			note += "; " + why[0]
		}
		return m, RankerInfo{Source: RankerBuiltIn, Note: note}, nil
	}
	why = append(why, err.Error())
	return nil, RankerInfo{}, fmt.Errorf("%w: %s", ErrNoRanker, strings.Join(why, "; "))
}

// SaveRanker writes m as the library's ranking model (RankerPath), atomically.
func SaveRanker(db *store.DB, m *rank.Model) error {
	path := library.RankerPath(db.Dir())
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save the ranker: %w", err)
	}
	return m.Save(path)
}

// TrainRanker trains a ranking model for items on freshly simulated logs (rank.TrainDefault: shoppers
// browsing under the random and popular policies, every fifth held out) and returns it with its
// held-out metrics against the random and popularity baselines. About 15 s on two cores for 400 products.
func TrainRanker(ctx context.Context, items []sim.Item, styles []string, seed uint64) (*rank.Model, rank.Metrics, error) {
	return rank.TrainDefault(ctx, items, styles, seed)
}

// Sources of training and evaluation logs (RankerReport.Logs).
const (
	LogsStored    = "stored"    // the interactions stored in the catalog (simulate --log)
	LogsSimulated = "simulated" // freshly simulated random and popular sessions
)

// Stored logs are used when at least this many impressions (and clicks) are stored.
const (
	MinStoredImpressions = 20_000
	MinStoredClicks      = 500
	// MaxStoredImpressions bounds how many stored impressions (the newest shoppers') are read.
	MaxStoredImpressions = 2_000_000
	holdOutMod           = rank.DefaultHoldOutMod
)

// RankerReport describes a training or evaluation of a ranking model.
type RankerReport struct {
	Logs    string       // LogsStored or LogsSimulated
	Note    string       // why those logs, in words
	Metrics rank.Metrics // held-out metrics of the ranker and the baselines
	Ranker  RankerInfo   // the model evaluated (EvalRanker) or saved (TrainLibraryRanker)
	// Extra is how many stored impressions trained beside simulated logs (when Logs is LogsSimulated).
	Extra int
}

// logChoice decides between stored and simulated logs.
func logChoice(ctx context.Context, db *store.DB, forceSimulated bool) (stored bool, note string, err error) {
	if forceSimulated {
		return false, "simulated logs (as asked)", nil
	}
	c, err := db.CountInteractions(ctx)
	if err != nil {
		return false, "", err
	}
	if c.Impressions >= MinStoredImpressions && c.Clicks >= MinStoredClicks {
		n := min(c.Impressions, MaxStoredImpressions)
		return true, fmt.Sprintf("%d of the %d stored impressions (newest shoppers)", n, c.Impressions), nil
	}
	return false, fmt.Sprintf("simulated logs: only %d stored impressions with %d clicks (need %d and %d; run simulate --log to store more)",
		c.Impressions, c.Clicks, MinStoredImpressions, MinStoredClicks), nil
}

// TrainRankerFor trains a ranking model for the library's feed items on its stored interactions when
// enough are stored (and simulated is false), else on freshly simulated logs (TrainRanker). It does not
// save the model (see TrainLibraryRanker). report, when set, receives training epochs (stored logs only).
func TrainRankerFor(ctx context.Context, db *store.DB, items []sim.Item, styles []string, seed uint64, simulated bool, report func(rank.Event)) (*rank.Model, RankerReport, error) {
	stored, note, err := logChoice(ctx, db, simulated)
	if err != nil {
		return nil, RankerReport{}, err
	}
	rep := RankerReport{Logs: LogsSimulated, Note: note, Ranker: RankerInfo{Source: RankerTrained}}
	if !stored {
		// The few stored impressions (a person's clicks in the Feed screen, a short simulate --log)
		// train beside the simulated logs; the held-out shoppers stay simulated.
		var extra []rank.Example
		if !simulated {
			if c, err := db.CountInteractions(ctx); err != nil {
				return nil, RankerReport{}, err
			} else if c.Impressions > 0 {
				if extra, _, err = storedExamples(ctx, db, items, styles, false); err != nil {
					return nil, RankerReport{}, err
				}
				if len(extra) > 0 {
					rep.Note += fmt.Sprintf("; plus %d stored impressions (Be the shopper clicks and logged simulations) for training", len(extra))
				}
			}
		}
		m, met, err := rank.TrainDefaultWith(ctx, items, styles, seed, extra)
		if err != nil {
			return nil, RankerReport{}, err
		}
		rep.Metrics = met
		rep.Extra = len(extra)
		return m, rep, nil
	}
	rep.Logs = LogsStored
	train, test, err := StoredExamples(ctx, db, items, styles)
	if err != nil {
		return nil, RankerReport{}, err
	}
	spec, err := rank.SpecFor(items, styles)
	if err != nil {
		return nil, RankerReport{}, err
	}
	cfg := rank.DefaultConfig()
	cfg.Spec, cfg.Seed = spec, seed
	m, err := rank.Train(ctx, cfg, train, report)
	if err != nil {
		return nil, RankerReport{}, err
	}
	if rep.Metrics, err = rank.Compare(ctx, m, train, test, items, rank.EvalConfig{Seed: seed}); err != nil {
		return nil, RankerReport{}, err
	}
	return m, rep, nil
}

// TrainLibraryRanker is TrainRankerFor followed by SaveRanker: the model becomes the library's ranker.
func TrainLibraryRanker(ctx context.Context, db *store.DB, items []sim.Item, styles []string, seed uint64, simulated bool, report func(rank.Event)) (*rank.Model, RankerReport, error) {
	m, rep, err := TrainRankerFor(ctx, db, items, styles, seed, simulated, report)
	if err != nil {
		return nil, RankerReport{}, err
	}
	if err := SaveRanker(db, m); err != nil {
		return nil, RankerReport{}, err
	}
	rep.Ranker.Path = library.RankerPath(db.Dir())
	rep.Ranker.Note = "trained on " + rep.Logs + " logs and saved to " + rep.Ranker.Path
	return m, rep, nil
}

// RankerRetrainAfterClicks is how many of a person's clicks in the Feed screen's "Be the shopper" make
// the screen retrain the library's ranker on its own (with them among the training logs).
const RankerRetrainAfterClicks = 20

// RetrainFeedRanker retrains the ranker for the feed as it is now (TrainLibraryRanker over f's items,
// stylized variants included, so it learns how shoppers meet variants; stored impressions train beside
// simulated logs, or alone when there are enough), saves it into the library and returns f ranked by
// it (the saved float32 weights, as a later start would load them).
func RetrainFeedRanker(ctx context.Context, db *store.DB, f Feed, seed uint64) (Feed, RankerReport, error) {
	m, rep, err := TrainLibraryRanker(ctx, db, f.Items, f.Styles, seed, false, nil)
	if err != nil {
		return f, rep, err
	}
	f.Model = savedOr(db, m)
	f.Ranker = RankerInfo{Source: RankerFromLibrary, Path: rep.Ranker.Path, Note: rep.Ranker.Note}
	return f, rep, nil
}

// EvalRanker measures m (the library's ranker, see LoadRanker) on held-out shoppers of the stored
// interactions when enough are stored (and simulated is false), else of freshly simulated logs (seed;
// use another seed than the ranker was trained with for shoppers it never saw), against random scores
// and the popularity of each image in the other shoppers' logs. users is the number of simulated
// shoppers (0: rank.DefaultLogUsers).
func EvalRanker(ctx context.Context, db *store.DB, m *rank.Model, items []sim.Item, styles []string, seed uint64, simulated bool, users int) (RankerReport, error) {
	stored, note, err := logChoice(ctx, db, simulated)
	if err != nil {
		return RankerReport{}, err
	}
	rep := RankerReport{Logs: LogsSimulated, Note: note}
	var train, test []rank.Example
	if stored {
		rep.Logs = LogsStored
		train, test, err = StoredExamples(ctx, db, items, styles)
	} else {
		if users <= 0 {
			users = rank.DefaultLogUsers
		}
		train, test, err = SimulatedExamples(ctx, items, styles, users, seed)
	}
	if err != nil {
		return RankerReport{}, err
	}
	rep.Metrics, err = rank.Compare(ctx, m, train, test, items, rank.EvalConfig{Seed: seed})
	return rep, err
}

// SimulatedExamples logs users simulated shoppers (seed), each browsing once under the random and once
// under the popular policy, as rank.TrainDefault does, and splits them into training and held-out
// (every rank.DefaultHoldOutMod-th shopper) examples.
func SimulatedExamples(ctx context.Context, items []sim.Item, styles []string, users int, seed uint64) (train, test []rank.Example, err error) {
	cat, err := sim.NewCatalog(items, styles)
	if err != nil {
		return nil, nil, err
	}
	logging := []sim.Policy{sim.NewRandom(), sim.NewPopular()}
	index := map[string]int{}
	for i, p := range logging {
		index[p.Name()] = i
	}
	cfg := sim.RunConfig{Users: users, Seed: seed, Logger: func(imp sim.Impression) {
		e := rank.ExampleFromImpression(imp, index[imp.Policy], items)
		if imp.User%holdOutMod == 0 {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}}
	if _, err := sim.RunCatalog(ctx, cfg, cat, logging, nil); err != nil {
		return nil, nil, fmt.Errorf("simulate logs: %w", err)
	}
	return train, test, nil
}

// StoredExamples turns the stored interactions (at most about MaxStoredImpressions, of the newest
// shoppers) into ranking examples over items. Profiles are not stored: they are rebuilt by replaying
// each session (shopper and policy) in order with sim.UpdateProfile, which is exactly how the simulator
// built them, since a profile depends only on what was shown and clicked. Impressions of products or
// variants no longer in the feed are left out. Shoppers whose id is ≡ 0 (mod rank.DefaultHoldOutMod)
// are held out.
func StoredExamples(ctx context.Context, db *store.DB, items []sim.Item, styles []string) (train, test []rank.Example, err error) {
	return storedExamples(ctx, db, items, styles, true)
}

// storedExamples is StoredExamples; without holdOut every example is a training one and none is an error.
func storedExamples(ctx context.Context, db *store.DB, items []sim.Item, styles []string, holdOut bool) (train, test []rank.Example, err error) {
	cats := sim.Categories(items)
	type ref struct{ item, variant int }
	byProduct := make(map[int64]int, len(items))
	byVariant := map[int64]ref{}
	for i := range items {
		byProduct[items[i].ID] = i
		for v := 1; v < len(items[i].Variants); v++ {
			byVariant[items[i].Variants[v].ID] = ref{i, v}
		}
	}
	var (
		profile   sim.Profile
		curUser   int64 = -1
		curPolicy string
		curStep   = -1
		slateID   int64
		slate     []rank.Example
		rows      int
	)
	flush := func() {
		for i := range slate {
			e := &slate[i]
			if holdOut && int64(e.User)%holdOutMod == 0 {
				test = append(test, *e)
			} else {
				train = append(train, *e)
			}
		}
		for i := range slate {
			e := &slate[i]
			sim.UpdateProfile(&profile, e.Clicked, &e.Item.Variants[e.Variant], e.Item)
		}
		slate = slate[:0]
	}
	err = db.Interactions(ctx, MaxStoredImpressions, func(r store.Interaction) error {
		rows++
		if rows%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if r.UserID != curUser || r.Policy != curPolicy {
			flush()
			profile = sim.NewProfile(len(styles), cats)
			curUser, curPolicy, curStep = r.UserID, r.Policy, -1
		}
		if r.Step != curStep {
			flush()
			curStep = r.Step
			slateID++
		}
		var at ref
		if r.VariantID != 0 {
			var ok bool
			if at, ok = byVariant[r.VariantID]; !ok {
				return nil
			}
		} else {
			i, ok := byProduct[r.ProductID]
			if !ok {
				return nil
			}
			at = ref{i, 0}
		}
		var snap *sim.Profile
		if len(slate) > 0 {
			snap = slate[0].Profile
		} else {
			c := profile.Clone()
			snap = &c
		}
		slate = append(slate, rank.Example{Profile: snap, Item: &items[at.item], Variant: at.variant, Clicked: r.Clicked,
			Slate: slateID, User: int(r.UserID)})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	flush()
	if holdOut && (len(train) == 0 || len(test) == 0) {
		return nil, nil, fmt.Errorf("%w: the stored interactions give %d training and %d held-out impressions of products still in the feed; simulate more shoppers and keep their interactions",
			rank.ErrBadExamples, len(train), len(test))
	}
	return train, test, nil
}

// ---- simulation ----

// PolicyNames lists the policies Simulate understands, in their usual display order.
func PolicyNames() []string {
	return []string{"random", "popular", "ranker", "ranker-originals", "oracle"}
}

// SimulateConfig sets up Simulate.
type SimulateConfig struct {
	Users    int      // shoppers; above sim.MaxUsers they are capped (SimulateResult.Capped); with Log at most MaxLogUsers
	Steps    int      // slates per session; 0 is sim.DefaultSteps
	Policies []string // from PolicyNames(), each at most once, compared on the same shoppers
	Seed     uint64
	// Log stores every impression in the catalog (interactions, with the shoppers in sim_users),
	// except the oracle's (store.OraclePolicy), which knows the shoppers' hidden tastes,
	// written in batches of LogBatch as the run goes. It first removes the impressions an earlier
	// run with the same seed logged under the same policies (store.DB.DeleteSimLogs): the same seed
	// replays the same shoppers, so a repeated or interrupted-and-repeated run is not stored twice.
	Log bool
	// Prepared, when set, is the feed to simulate (SimulateResult.Feed of an earlier run on the same
	// catalog, as for several seeds), instead of preparing it again from the catalog.
	Prepared *Feed
}

// LogBatch is how many impressions Simulate writes per transaction when logging.
const LogBatch = 20_000

// MaxLogUsers bounds a logged run (SimulateConfig.Log): each shopper stores about 60 impressions per
// policy (some 90 bytes each in the catalog), so 50,000 shoppers under five policies are about 1.5 GB.
const MaxLogUsers = 50_000

// SimulateResult is what SimulateFeed reports besides the simulator's results.
type SimulateResult struct {
	sim.Results
	Source FeatureSource
	Ranker RankerInfo // which ranker ranked (zero when no ranker policy ran)
	Capped bool       // the asked Users was above sim.MaxUsers and was lowered to it
	Logged int64      // impressions stored (Log)
	Notes  []string   // things people should know about this run
	Feed   Feed       // the feed as prepared (SimulateConfig.Prepared for another seed)
}

// Simulate runs the feed simulation (see SimulateFeed) and returns the simulator's results.
func Simulate(ctx context.Context, db *store.DB, cfg SimulateConfig, report func(sim.Progress)) (sim.Results, error) {
	r, err := SimulateFeed(ctx, db, cfg, report)
	return r.Results, err
}

// Feed is the catalog prepared for the simulator, with the ranker that fits it (when one was asked for).
type Feed struct {
	Items  []sim.Item
	Styles []string
	Source FeatureSource
	Model  *rank.Model
	Ranker RankerInfo
}

// PrepareFeed builds the simulator's items from the catalog (FeedItems) and, withRanker, the ranker: the
// library's own or the built-in one (LoadRanker), and when none fits this library one is trained with
// TrainRanker and saved into it. The notes say what people should know (features, which ranker).
func PrepareFeed(ctx context.Context, db *store.DB, withRanker bool, seed uint64) (Feed, []string, error) {
	var f Feed
	var notes []string
	var err error
	f.Items, f.Styles, f.Source, err = FeedItems(ctx, db)
	if err != nil {
		return f, nil, err
	}
	notes = f.notes(false)
	if !withRanker {
		return f, notes, nil
	}
	spec, err := rank.SpecFor(f.Items, f.Styles)
	if err != nil {
		return f, notes, err
	}
	f.Model, f.Ranker, err = LoadRanker(db, spec)
	if errors.Is(err, ErrNoRanker) {
		m, _, terr := TrainRanker(ctx, f.Items, f.Styles, seed)
		if terr != nil {
			return f, notes, fmt.Errorf("%v; training one failed: %w", err, terr)
		}
		f.Model, f.Ranker = m, RankerInfo{Source: RankerTrained, Note: "no ranker fitted this library, so one was trained on simulated logs"}
		if serr := SaveRanker(db, m); serr == nil {
			f.Model = savedOr(db, m)
			f.Ranker.Path = library.RankerPath(db.Dir())
			f.Ranker.Note += " and saved to " + f.Ranker.Path
		} else {
			f.Ranker.Note += " (it could not be saved: " + serr.Error() + ")"
		}
	} else if err != nil {
		return f, notes, err
	}
	return f, f.notes(true), nil
}

// notes are what PrepareFeed tells people about f: where its perceived styles come from and, when it
// has one, which ranker ranks it.
func (f Feed) notes(withRanker bool) []string {
	notes := []string{f.Source.Note}
	if withRanker {
		notes = append(notes, "ranker: "+f.Ranker.Note)
	}
	return notes
}

// savedOr is the library's saved ranker, just written from m: the float32 weights a later start loads,
// so this run ranks as later ones will; m when it cannot be read back.
func savedOr(db *store.DB, m *rank.Model) *rank.Model {
	if saved, err := rank.Load(library.RankerPath(db.Dir()), rank.Spec{}); err == nil {
		return saved
	}
	return m
}

// Policies builds the named policies (PolicyNames) over this feed's ranker.
func (f Feed) Policies(names []string) []sim.Policy {
	policies := make([]sim.Policy, len(names))
	for i, name := range names {
		switch name {
		case "random":
			policies[i] = sim.NewRandom()
		case "popular":
			policies[i] = sim.NewPopular()
		case "ranker":
			policies[i] = sim.NewRanker(f.Model)
		case "ranker-originals":
			policies[i] = sim.NewRankerOriginals(f.Model)
		case "oracle":
			policies[i] = sim.NewOracle()
		}
	}
	return policies
}

// SimulateFeed builds the feed from the catalog (FeedItems), the policies by name (random, popular,
// ranker, ranker-originals, oracle; the rankers use LoadRanker's model, and when none fits this library
// one is trained with TrainRanker and saved into it), and plays them against the same cfg.Users shoppers.
// With cfg.Log every impression is stored in the catalog as it goes, in batches, so memory stays
// bounded. report is called from the simulation's goroutine after each chunk of shoppers.
func SimulateFeed(ctx context.Context, db *store.DB, cfg SimulateConfig, report func(sim.Progress)) (SimulateResult, error) {
	var res SimulateResult
	if cfg.Users <= 0 {
		return res, fmt.Errorf("%w: asked for %d shoppers; simulate at least 1", sim.ErrNoUsers, cfg.Users)
	}
	if cfg.Users > sim.MaxUsers {
		res.Notes = append(res.Notes, fmt.Sprintf("%d shoppers asked; a run simulates at most %d, so it was capped (run again with other seeds for more)", cfg.Users, sim.MaxUsers))
		cfg.Users, res.Capped = sim.MaxUsers, true
	}
	if cfg.Steps < 0 || cfg.Steps > sim.MaxSteps {
		return res, fmt.Errorf("%w: %d slates per session; use 1 to %d", sim.ErrBadConfig, cfg.Steps, sim.MaxSteps)
	}
	if cfg.Log && cfg.Users > MaxLogUsers {
		return res, fmt.Errorf("%w: storing the impressions of %d shoppers would fill the catalog; log at most %d shoppers per run (or simulate without logging)",
			sim.ErrTooManyUsers, cfg.Users, MaxLogUsers)
	}
	if len(cfg.Policies) == 0 {
		return res, fmt.Errorf("%w: no policy to simulate; pick from %s", sim.ErrBadConfig, strings.Join(PolicyNames(), ", "))
	}
	seen := map[string]bool{}
	needRanker := false
	for _, p := range cfg.Policies {
		if !slices.Contains(PolicyNames(), p) {
			return res, fmt.Errorf("%w: unknown policy %q; pick from %s", sim.ErrBadConfig, p, strings.Join(PolicyNames(), ", "))
		}
		if seen[p] {
			return res, fmt.Errorf("%w: policy %q is listed twice", sim.ErrBadConfig, p)
		}
		seen[p] = true
		needRanker = needRanker || strings.HasPrefix(p, "ranker")
	}
	var feed Feed
	var notes []string
	var err error
	if cfg.Prepared != nil && (!needRanker || cfg.Prepared.Model != nil) {
		feed, notes = *cfg.Prepared, cfg.Prepared.notes(needRanker)
	} else if feed, notes, err = PrepareFeed(ctx, db, needRanker, cfg.Seed); err != nil {
		return res, err
	}
	res.Feed = feed
	res.Source, res.Ranker = feed.Source, feed.Ranker
	res.Notes = append(res.Notes, notes...)
	items, styles := feed.Items, feed.Styles
	policies := feed.Policies(cfg.Policies)
	runCfg := sim.RunConfig{Users: cfg.Users, Steps: cfg.Steps, Seed: cfg.Seed}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var logErr error
	var flush func() error
	if cfg.Log {
		// The same seed replays the same shoppers: replace what an earlier run of this seed logged under
		// these policies (all of it, or the part an interrupted run got to) rather than store it twice.
		replaced, err := db.DeleteSimLogs(ctx, cfg.Seed, cfg.Policies)
		if err != nil {
			return res, err
		}
		if replaced > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("replaced %d impressions an earlier run with seed %d had logged under these policies", replaced, cfg.Seed))
		}
		first, err := db.AddSimUsers(ctx, cfg.Users, cfg.Seed, func(i int) string {
			return fmt.Sprintf(`{"run_seed":%d,"index":%d}`, cfg.Seed, i)
		})
		if err != nil {
			return res, err
		}
		buf := make([]store.Interaction, 0, LogBatch)
		flush = func() error {
			if len(buf) == 0 {
				return nil
			}
			if err := db.AddInteractions(ctx, buf); err != nil {
				return err
			}
			res.Logged += int64(len(buf))
			buf = buf[:0]
			return nil
		}
		if slices.Contains(cfg.Policies, store.OraclePolicy) {
			res.Notes = append(res.Notes, "the oracle's impressions are not logged: it ranks with the shoppers' hidden tastes, so they are no training data")
		}
		runCfg.Logger = func(imp sim.Impression) {
			// The oracle sees what no ranker may: its slates would leak the hidden tastes into training.
			if logErr != nil || imp.Policy == store.OraclePolicy {
				return
			}
			buf = append(buf, store.Interaction{UserID: first + int64(imp.User), ProductID: imp.ItemID, VariantID: imp.VariantID,
				Step: imp.Step, Position: imp.Position, Clicked: imp.Clicked, Policy: imp.Policy})
			if len(buf) >= LogBatch {
				if logErr = flush(); logErr != nil {
					cancel(logErr)
				}
			}
		}
	}
	res.Results, err = sim.Run(ctx, runCfg, items, styles, policies, report)
	if logErr != nil {
		return res, fmt.Errorf("store the simulated impressions: %w", logErr)
	}
	if err != nil {
		return res, err
	}
	if flush != nil {
		if err := flush(); err != nil {
			return res, fmt.Errorf("store the simulated impressions: %w", err)
		}
		res.Notes = append(res.Notes, fmt.Sprintf("%d impressions stored in the catalog", res.Logged))
	}
	return res, nil
}
