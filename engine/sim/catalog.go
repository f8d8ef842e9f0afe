package sim

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Item is a product of the catalog as the simulator and the ranker see it.
type Item struct {
	ID         int64
	Category   string
	PriceCents int64
	// Variants of the product's image: index 0 is the original; others are stylized variants.
	Variants []Variant
}

// Variant is one image of a product.
type Variant struct {
	ID        int64     // 0 for the original
	Style     string    // its labeled or target style, informational
	Perceived []float64 // style probabilities the shopper perceives: the classifier's output on this image, over the styles
	Features  []float32 // image feature vector for the ranker; the same length for every image of a catalog
}

// Choice is one slot of a slate: the product (index into the items) and which of its images to show.
type Choice struct {
	Item, Variant int
}

// Errors returned by NewCatalog and Run; test with errors.Is.
var (
	ErrEmptyCatalog = errors.New("the catalog has no products")
	ErrBadCatalog   = errors.New("the catalog is not usable for a simulation")
	ErrNoUsers      = errors.New("a simulation needs at least one shopper")
	ErrTooManyUsers = errors.New("too many shoppers for one simulation")
	ErrBadConfig    = errors.New("invalid simulation settings")
)

// Catalog is a validated, indexed list of items: every (item, variant) pair is a candidate with a
// dense index, which the per-candidate statistics and the ranker use. A Catalog is read-only after
// NewCatalog and safe for concurrent use.
type Catalog struct {
	Items      []Item
	Styles     []string
	Categories []string // sorted distinct categories of the items (the vocabulary of Profile.Category)
	// Candidates lists every (item, variant) pair, items in order and each item's variants in order.
	Candidates []Choice

	offsets     []int     // offsets[i] is the candidate index of item i's variant 0; offsets[len] = len(Candidates)
	itemCat     []int     // category index of each item
	logPrice    []float64 // ln(price) of each item
	refLogPrice float64   // ln of the median price
	topStyle    []int     // argmax of Perceived, per candidate
	featureDim  int
}

// Categories returns the sorted distinct categories of items: the category vocabulary of a Profile.
func Categories(items []Item) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range items {
		if !seen[it.Category] {
			seen[it.Category] = true
			out = append(out, it.Category)
		}
	}
	sort.Strings(out)
	return out
}

// NewCatalog validates items against the style list and indexes them. Items are not copied; do not
// change them while the Catalog is in use.
func NewCatalog(items []Item, styles []string) (*Catalog, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("sim: %w; import or create products first", ErrEmptyCatalog)
	}
	if len(styles) == 0 {
		return nil, fmt.Errorf("sim: %w: the style list is empty; define at least one style", ErrBadCatalog)
	}
	seenStyle := map[string]bool{}
	for _, s := range styles {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("sim: %w: a style name is empty; name every style", ErrBadCatalog)
		}
		if seenStyle[s] {
			return nil, fmt.Errorf("sim: %w: style %q is listed twice", ErrBadCatalog, s)
		}
		seenStyle[s] = true
	}
	c := &Catalog{Items: items, Styles: styles, Categories: Categories(items), featureDim: -1}
	catIndex := make(map[string]int, len(c.Categories))
	for i, name := range c.Categories {
		catIndex[name] = i
	}
	c.offsets = make([]int, len(items)+1)
	c.itemCat = make([]int, len(items))
	c.logPrice = make([]float64, len(items))
	for i := range items {
		it := &items[i]
		what := fmt.Sprintf("product %d (ID %d)", i, it.ID)
		if strings.TrimSpace(it.Category) == "" {
			return nil, fmt.Errorf("sim: %w: %s has no category; give it one (e.g. \"uncategorized\")", ErrBadCatalog, what)
		}
		if it.PriceCents <= 0 {
			return nil, fmt.Errorf("sim: %w: %s has price %d cents; prices must be positive", ErrBadCatalog, what, it.PriceCents)
		}
		if len(it.Variants) == 0 {
			return nil, fmt.Errorf("sim: %w: %s has no image; variant 0 must be its original image", ErrBadCatalog, what)
		}
		for v := range it.Variants {
			va := &it.Variants[v]
			if len(va.Perceived) != len(styles) {
				return nil, fmt.Errorf("sim: %w: %s variant %d has %d perceived style probabilities but there are %d styles; classify it again with the current styles",
					ErrBadCatalog, what, v, len(va.Perceived), len(styles))
			}
			for s, p := range va.Perceived {
				if p < 0 || math.IsNaN(p) || math.IsInf(p, 0) {
					return nil, fmt.Errorf("sim: %w: %s variant %d has perceived probability %v for style %q",
						ErrBadCatalog, what, v, p, styles[s])
				}
			}
			if c.featureDim < 0 {
				c.featureDim = len(va.Features)
			} else if len(va.Features) != c.featureDim {
				return nil, fmt.Errorf("sim: %w: %s variant %d has %d image features but other images have %d; compute features with one classifier",
					ErrBadCatalog, what, v, len(va.Features), c.featureDim)
			}
			for _, f := range va.Features {
				if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
					return nil, fmt.Errorf("sim: %w: %s variant %d has a non-finite image feature", ErrBadCatalog, what, v)
				}
			}
			c.Candidates = append(c.Candidates, Choice{Item: i, Variant: v})
			c.topStyle = append(c.topStyle, argmax(va.Perceived))
		}
		c.offsets[i+1] = len(c.Candidates)
		c.itemCat[i] = catIndex[it.Category]
		c.logPrice[i] = math.Log(float64(it.PriceCents))
	}
	sorted := append([]float64(nil), c.logPrice...)
	sort.Float64s(sorted)
	n := len(sorted)
	if n%2 == 1 {
		c.refLogPrice = sorted[n/2]
	} else {
		c.refLogPrice = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return c, nil
}

// Candidate returns the candidate index of (item, variant).
func (c *Catalog) Candidate(item, variant int) int { return c.offsets[item] + variant }

// NumVariants is the number of images of item.
func (c *Catalog) NumVariants(item int) int { return c.offsets[item+1] - c.offsets[item] }

// CategoryIndex is the index of item's category in Categories.
func (c *Catalog) CategoryIndex(item int) int { return c.itemCat[item] }

// TopStyle is the style index a shopper most perceives in candidate cand (argmax of Perceived).
func (c *Catalog) TopStyle(cand int) int { return c.topStyle[cand] }

// FeatureDim is the length of every image's feature vector.
func (c *Catalog) FeatureDim() int { return c.featureDim }

// RelativeLogPrice is ln(price / median price) of item.
func (c *Catalog) RelativeLogPrice(item int) float64 { return c.logPrice[item] - c.refLogPrice }

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
