package rank

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"stylestudio/engine/sim"
)

// Spec is what a model's shape depends on: the style list, the category vocabulary and the length
// of the image feature vectors.
type Spec struct {
	Styles     []string
	Categories []string // sorted, as sim.Categories returns them
	FeatureDim int
}

// SpecFor returns the Spec of a catalog.
func SpecFor(items []sim.Item, styles []string) (Spec, error) {
	cat, err := sim.NewCatalog(items, styles)
	if err != nil {
		return Spec{}, err
	}
	return specOf(cat), nil
}

func specOf(cat *sim.Catalog) Spec {
	return Spec{Styles: append([]string(nil), cat.Styles...), Categories: append([]string(nil), cat.Categories...),
		FeatureDim: cat.FeatureDim()}
}

// ProfileDim and ItemDim are the lengths of q and x (see the package documentation).
func (s Spec) ProfileDim() int { return len(s.Styles) + 3 }

// ItemDim is the length of the item vector x.
func (s Spec) ItemDim() int { return 1 + len(s.Styles) + s.FeatureDim + len(s.Categories) + 3 }

// Shape is the shape of the weight matrix W.
func (s Spec) Shape() []int { return []int{s.ProfileDim(), s.ItemDim()} }

func (s Spec) String() string {
	return fmt.Sprintf("%v (%d styles, %d categories, %d image features)", s.Shape(), len(s.Styles), len(s.Categories), s.FeatureDim)
}

func (s Spec) validate() error {
	if len(s.Styles) == 0 {
		return fmt.Errorf("rank: %w: no styles", ErrBadSpec)
	}
	if s.FeatureDim < 0 {
		return fmt.Errorf("rank: %w: feature length %d", ErrBadSpec, s.FeatureDim)
	}
	if !slices.IsSorted(s.Categories) {
		return fmt.Errorf("rank: %w: categories must be sorted (use sim.Categories)", ErrBadSpec)
	}
	return nil
}

// equal reports whether two specs describe the same inputs.
func (s Spec) equal(o Spec) bool {
	return slices.Equal(s.Styles, o.Styles) && slices.Equal(s.Categories, o.Categories) && s.FeatureDim == o.FeatureDim
}

// Errors; test with errors.Is.
var (
	ErrBadSpec       = errors.New("invalid model spec")
	ErrShapeMismatch = errors.New("ranking weights do not fit this catalog")
	ErrBadExamples   = errors.New("unusable training examples")
)

// column offsets in x
type layout struct {
	s, f, c        int
	pi, feat, cat  int
	price, clarity int
	share, nX      int
}

func (s Spec) layout() layout {
	l := layout{s: len(s.Styles), f: s.FeatureDim, c: len(s.Categories)}
	l.pi = 1
	l.feat = l.pi + l.s
	l.cat = l.feat + l.f
	l.price = l.cat + l.c
	l.clarity = l.price + 1
	l.share = l.clarity + 1
	l.nX = l.share + 1
	return l
}

// Model is a trained ranking model. It is read-only after Train or Load and safe for concurrent use.
type Model struct {
	spec      Spec
	lay       layout
	w         []float64 // nP × nX, row-major
	mean, std []float64 // nX
	catIndex  map[string]int
}

func newModel(spec Spec, w, mean, std []float64) *Model {
	m := &Model{spec: spec, lay: spec.layout(), w: w, mean: mean, std: std, catIndex: map[string]int{}}
	for i, c := range spec.Categories {
		m.catIndex[c] = i
	}
	return m
}

// Spec returns the model's spec (a copy).
func (m *Model) Spec() Spec {
	return Spec{Styles: slices.Clone(m.spec.Styles), Categories: slices.Clone(m.spec.Categories), FeatureDim: m.spec.FeatureDim}
}

// profileVector fills q.
func profileVector(q []float64, p *sim.Profile, nS int) {
	q[0] = 1
	for k := 0; k < nS; k++ {
		if k < len(p.Style) {
			q[1+k] = p.Style[k]
		} else {
			q[1+k] = 0
		}
	}
	q[1+nS] = math.Log1p(float64(p.Clicks))
	q[2+nS] = math.Log1p(float64(p.Impressions))
}

// itemVector fills the raw (unstandardised) x; it returns the one-hot column set (or -1).
func (m *Model) itemVector(x []float64, p *sim.Profile, it *sim.Item, v *sim.Variant) {
	l := m.lay
	clear(x)
	x[0] = 1
	for k := 0; k < l.s && k < len(v.Perceived); k++ {
		x[l.pi+k] = v.Perceived[k]
		x[l.clarity] += v.Perceived[k] * v.Perceived[k]
	}
	for d := 0; d < l.f && d < len(v.Features); d++ {
		x[l.feat+d] = float64(v.Features[d])
	}
	if c, ok := m.catIndex[it.Category]; ok {
		x[l.cat+c] = 1
	}
	x[l.price] = math.Log(float64(max(it.PriceCents, 1)))
	x[l.share] = p.CategoryShare(it.Category)
}

// Score is the probability that a shopper with profile p clicks image variant of item. A variant
// index out of range scores 0.
func (m *Model) Score(p *sim.Profile, it *sim.Item, variant int) float64 {
	if variant < 0 || variant >= len(it.Variants) {
		return 0
	}
	return sigmoid(m.logit(p, it, &it.Variants[variant]))
}

// logit computes qᵀ W x̂ directly, touching only the non-zero columns of x̂.
func (m *Model) logit(p *sim.Profile, it *sim.Item, v *sim.Variant) float64 {
	l := m.lay
	nP := m.spec.ProfileDim()
	var qBuf [32]float64
	var xBuf [128]float64
	q, x := qBuf[:0], xBuf[:0]
	if nP <= len(qBuf) {
		q = qBuf[:nP]
	} else {
		q = make([]float64, nP)
	}
	if l.nX <= len(xBuf) {
		x = xBuf[:l.nX]
	} else {
		x = make([]float64, l.nX)
	}
	profileVector(q, p, l.s)
	m.itemVector(x, p, it, v)
	for j := range x {
		x[j] = (x[j] - m.mean[j]) / m.std[j]
	}
	var z float64
	for i, qi := range q {
		if qi == 0 {
			continue
		}
		row := m.w[i*l.nX : (i+1)*l.nX]
		var r float64
		for j, xj := range x {
			r += row[j] * xj
		}
		z += qi * r
	}
	return z
}

// prepared is a model folded with one profile: logit = c0 + Σ π·wPi + Σ f·wF + wPrice·ln price + catTerm[cat].
type prepared struct {
	c0, wPrice, wShare, wClarity float64
	wPi, wF, catTerm             []float64
}

func (m *Model) prepare(p *sim.Profile) *prepared {
	l := m.lay
	nP := m.spec.ProfileDim()
	q := make([]float64, nP)
	profileVector(q, p, l.s)
	u := make([]float64, l.nX)
	for i, qi := range q {
		if qi == 0 {
			continue
		}
		row := m.w[i*l.nX : (i+1)*l.nX]
		for j := range u {
			u[j] += qi * row[j]
		}
	}
	pr := &prepared{wPi: make([]float64, l.s), wF: make([]float64, l.f), catTerm: make([]float64, l.c)}
	// x̂_j = (x_j − μ_j)/σ_j: weight u_j/σ_j on the raw value, constant −u_j μ_j/σ_j
	pr.c0 = u[0]
	for j := 1; j < l.nX; j++ {
		pr.c0 -= u[j] * m.mean[j] / m.std[j]
	}
	for k := range pr.wPi {
		pr.wPi[k] = u[l.pi+k] / m.std[l.pi+k]
	}
	for d := range pr.wF {
		pr.wF[d] = u[l.feat+d] / m.std[l.feat+d]
	}
	pr.wPrice = u[l.price] / m.std[l.price]
	pr.wShare = u[l.share] / m.std[l.share]
	pr.wClarity = u[l.clarity] / m.std[l.clarity]
	for c, name := range m.spec.Categories {
		pr.catTerm[c] = u[l.cat+c]/m.std[l.cat+c] + pr.wShare*p.CategoryShare(name)
	}
	return pr
}

// ScoreCandidates writes the click probability of each candidate for profile p into out; it folds
// the profile into the weights once, so it is much faster than calling Score per candidate. It makes
// *Model a sim.Scorer.
func (m *Model) ScoreCandidates(p *sim.Profile, items []sim.Item, cands []sim.Choice, out []float64) {
	pr := m.prepare(p)
	lastItem, catTerm, logPrice := -1, 0.0, 0.0
	for j, c := range cands {
		it := &items[c.Item]
		if c.Item != lastItem {
			lastItem = c.Item
			if ci, ok := m.catIndex[it.Category]; ok {
				catTerm = pr.catTerm[ci]
			} else {
				catTerm = pr.wShare * p.CategoryShare(it.Category)
			}
			logPrice = math.Log(float64(max(it.PriceCents, 1)))
		}
		if c.Variant < 0 || c.Variant >= len(it.Variants) {
			out[j] = 0
			continue
		}
		v := &it.Variants[c.Variant]
		z := pr.c0 + catTerm + pr.wPrice*logPrice
		pi := v.Perceived
		if len(pi) > len(pr.wPi) {
			pi = pi[:len(pr.wPi)]
		}
		wPi := pr.wPi[:len(pi)]
		var clarity float64
		for k, x := range pi {
			z += wPi[k] * x
			clarity += x * x
		}
		z += pr.wClarity * clarity
		f := v.Features
		if len(f) > len(pr.wF) {
			f = f[:len(pr.wF)]
		}
		wF := pr.wF[:len(f)]
		for d, x := range f {
			z += wF[d] * float64(x)
		}
		out[j] = sigmoid(z)
	}
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Contribution is one term of a score's logit.
type Contribution struct {
	Feature string
	Value   float64
}

// ExplainTop is how many terms Explain lists before summing the rest into one.
const ExplainTop = 10

// Explain breaks the logit of Score(p, it, variant) into the terms q_i·W_ij·x̂_j (a profile part
// times an image part; "bias" for the constant of either side), merges them to the ExplainTop largest
// by magnitude, most important first, and adds one "other (N terms)" entry for the rest, so the
// values sum to the logit.
func (m *Model) Explain(p *sim.Profile, it *sim.Item, variant int) []Contribution {
	if variant < 0 || variant >= len(it.Variants) {
		return nil
	}
	l := m.lay
	nP := m.spec.ProfileDim()
	q := make([]float64, nP)
	x := make([]float64, l.nX)
	profileVector(q, p, l.s)
	m.itemVector(x, p, it, &it.Variants[variant])
	for j := range x {
		x[j] = (x[j] - m.mean[j]) / m.std[j]
	}
	pNames := make([]string, nP)
	pNames[0] = "bias"
	for k, s := range m.spec.Styles {
		pNames[1+k] = "shopper likes " + s
	}
	pNames[1+l.s] = "shopper clicks"
	pNames[2+l.s] = "shopper impressions"
	xName := func(j int) string {
		switch {
		case j == 0:
			return "bias"
		case j < l.feat:
			return "image looks " + m.spec.Styles[j-l.pi]
		case j < l.cat:
			return fmt.Sprintf("image feature %d", j-l.feat)
		case j < l.price:
			return "category " + m.spec.Categories[j-l.cat]
		case j == l.price:
			return "price"
		case j == l.clarity:
			return "image style clarity"
		}
		return "shopper's share of this category"
	}
	var terms []Contribution
	for i, qi := range q {
		if qi == 0 {
			continue
		}
		for j, xj := range x {
			v := qi * m.w[i*l.nX+j] * xj
			if v == 0 {
				continue
			}
			var name string
			switch {
			case i == 0:
				name = xName(j)
			case j == 0:
				name = pNames[i]
			default:
				name = pNames[i] + " × " + xName(j)
			}
			terms = append(terms, Contribution{Feature: name, Value: v})
		}
	}
	slices.SortStableFunc(terms, func(a, b Contribution) int {
		switch da, db := math.Abs(a.Value), math.Abs(b.Value); {
		case da > db:
			return -1
		case da < db:
			return 1
		}
		return strings.Compare(a.Feature, b.Feature)
	})
	if len(terms) <= ExplainTop {
		return terms
	}
	var rest float64
	for _, t := range terms[ExplainTop:] {
		rest += t.Value
	}
	out := append([]Contribution(nil), terms[:ExplainTop]...)
	return append(out, Contribution{Feature: fmt.Sprintf("other (%d terms)", len(terms)-ExplainTop), Value: rest})
}

// *Model ranks candidates for sim.Ranker.
var _ sim.Scorer = (*Model)(nil)
