package sim

import "sort"

// Profile is what the storefront knows about a shopper, built only from what it showed them and what
// they clicked. The simulator keeps one per session, the ranker scores with it, and logged impressions
// carry a snapshot of it, so training and serving see the same features.
type Profile struct {
	Style      []float64 // style distribution over the catalog's styles; sums to 1
	Categories []string  // sorted category vocabulary Category is indexed by (shared, read-only)
	Category   []float64 // category distribution over Categories; sums to 1
	Clicks     int       // clicks so far
	// Impressions is the number of images shown so far.
	Impressions int
}

// Profile update rates (see UpdateProfile).
const (
	// ProfileClickFloor is the smallest weight a click gets: the k-th click moves the profile by
	// max(ProfileClickFloor, 1/(k+1)) toward the clicked image, so early clicks count most and later
	// ones keep it following the shopper's drift.
	ProfileClickFloor = 0.25
	// ProfileSkipRate is how much a skipped image lowers the weight of what it showed.
	ProfileSkipRate = 0.05
)

// NewProfile returns the profile of a shopper nobody knows yet: uniform over numStyles styles and
// over categories, which must be sorted (as Categories returns them) and is kept, not copied.
func NewProfile(numStyles int, categories []string) Profile {
	p := Profile{Style: make([]float64, numStyles), Categories: categories, Category: make([]float64, len(categories))}
	p.reset()
	return p
}

func (p *Profile) reset() {
	fill(p.Style, 1/float64(max(len(p.Style), 1)))
	fill(p.Category, 1/float64(max(len(p.Category), 1)))
	p.Clicks, p.Impressions = 0, 0
}

// Clone returns a deep copy of p (Categories, being read-only, is shared).
func (p Profile) Clone() Profile {
	p.Style = append([]float64(nil), p.Style...)
	p.Category = append([]float64(nil), p.Category...)
	return p
}

// CategoryIndex returns the index of category in p.Categories, or -1.
func (p *Profile) CategoryIndex(category string) int {
	i := sort.SearchStrings(p.Categories, category)
	if i < len(p.Categories) && p.Categories[i] == category {
		return i
	}
	return -1
}

// CategoryShare is the weight of category in the profile (0 when it is not in the vocabulary).
func (p *Profile) CategoryShare(category string) float64 {
	if i := p.CategoryIndex(category); i >= 0 {
		return p.Category[i]
	}
	return 0
}

// UpdateProfile records that the image v of item was shown and clicked or skipped. With π = v.Perceived
// (normalised) and c the item's category:
//
//	click (the k-th):  η = max(ProfileClickFloor, 1/(k+1));  Style ← (1-η)·Style + η·π;  Category ← (1-η)·Category + η·e_c
//	skip:              Style_s ← Style_s·(1 − ProfileSkipRate·π_s),  Category_c ← Category_c·(1 − ProfileSkipRate), then both renormalised
//
// A perceived vector of the wrong length is ignored for the style part.
func UpdateProfile(p *Profile, clicked bool, v *Variant, item *Item) {
	p.Impressions++
	ci := p.CategoryIndex(item.Category)
	okStyle := len(v.Perceived) == len(p.Style) && len(p.Style) > 0
	var sum float64
	if okStyle {
		for _, x := range v.Perceived {
			sum += x
		}
		if sum <= 0 {
			okStyle = false
		}
	}
	if clicked {
		p.Clicks++
		eta := max(ProfileClickFloor, 1/float64(p.Clicks+1))
		if okStyle {
			for s := range p.Style {
				p.Style[s] = (1-eta)*p.Style[s] + eta*v.Perceived[s]/sum
			}
		}
		if ci >= 0 {
			for c := range p.Category {
				p.Category[c] *= 1 - eta
			}
			p.Category[ci] += eta
		}
		return
	}
	if okStyle {
		for s := range p.Style {
			p.Style[s] *= 1 - ProfileSkipRate*v.Perceived[s]/sum
		}
		normalize(p.Style)
	}
	if ci >= 0 {
		p.Category[ci] *= 1 - ProfileSkipRate
		normalize(p.Category)
	}
}

func fill(v []float64, x float64) {
	for i := range v {
		v[i] = x
	}
}

func normalize(v []float64) {
	var s float64
	for _, x := range v {
		s += x
	}
	if s <= 0 {
		fill(v, 1/float64(max(len(v), 1)))
		return
	}
	for i := range v {
		v[i] /= s
	}
}
