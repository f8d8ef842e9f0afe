package rank

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"stylestudio/engine/nn"
)

// File format identifiers (safetensors metadata).
const (
	FormatName    = "stylestudio.rank"
	FormatVersion = 1
)

// Tensor names in a saved model.
const (
	tensorWeight = "rank.weight"
	tensorMean   = "rank.item_mean"
	tensorStd    = "rank.item_std"
)

// Save writes the model to path as safetensors (see the package documentation), atomically.
func (m *Model) Save(path string) error {
	f32 := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	styles, err := json.Marshal(m.spec.Styles)
	if err != nil {
		return fmt.Errorf("rank: save %s: %w", path, err)
	}
	cats, err := json.Marshal(m.spec.Categories)
	if err != nil {
		return fmt.Errorf("rank: save %s: %w", path, err)
	}
	nX := m.lay.nX
	tensors := map[string]nn.Tensor{
		tensorWeight: {Shape: m.spec.Shape(), Data: f32(m.w)},
		tensorMean:   {Shape: []int{nX}, Data: f32(m.mean)},
		tensorStd:    {Shape: []int{nX}, Data: f32(m.std)},
	}
	meta := map[string]string{
		"format": FormatName, "version": strconv.Itoa(FormatVersion),
		"styles": string(styles), "categories": string(cats), "feature_dim": strconv.Itoa(m.spec.FeatureDim),
	}
	if err := nn.WriteSafetensors(path, tensors, meta); err != nil {
		return fmt.Errorf("rank: save model: %w", err)
	}
	return nil
}

// Load reads a model saved by Save. When want has styles (a zero Spec expects nothing), the file must
// be a model for exactly that spec; otherwise Load refuses with ErrShapeMismatch, naming the shape
// the catalog needs and the shape found.
func Load(path string, want Spec) (*Model, error) {
	tensors, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return nil, fmt.Errorf("rank: load model: %w", err)
	}
	if meta["format"] != FormatName {
		return nil, fmt.Errorf("rank: load %s: not a ranking model (format %q, want %q); pick a file saved by the ranker", path, meta["format"], FormatName)
	}
	if v, _ := strconv.Atoi(meta["version"]); v != FormatVersion {
		return nil, fmt.Errorf("rank: load %s: model file version %q, this program reads version %d; retrain the ranker", path, meta["version"], FormatVersion)
	}
	var got Spec
	if err := json.Unmarshal([]byte(meta["styles"]), &got.Styles); err != nil {
		return nil, fmt.Errorf("rank: load %s: styles metadata is damaged (%v); retrain the ranker", path, err)
	}
	if err := json.Unmarshal([]byte(meta["categories"]), &got.Categories); err != nil {
		return nil, fmt.Errorf("rank: load %s: categories metadata is damaged (%v); retrain the ranker", path, err)
	}
	if got.FeatureDim, err = strconv.Atoi(meta["feature_dim"]); err != nil {
		return nil, fmt.Errorf("rank: load %s: feature_dim metadata is damaged (%v); retrain the ranker", path, err)
	}
	if err := got.validate(); err != nil {
		return nil, fmt.Errorf("rank: load %s: %w", path, err)
	}
	w, ok := tensors[tensorWeight]
	if !ok {
		return nil, fmt.Errorf("rank: load %s: no tensor %q; the file is not a ranking model", path, tensorWeight)
	}
	if !slices.Equal(w.Shape, got.Shape()) {
		return nil, fmt.Errorf("rank: load %s: %w: weights have shape %v but the file's own spec needs %s; the file is damaged, retrain the ranker",
			path, ErrShapeMismatch, w.Shape, got)
	}
	if len(want.Styles) > 0 && !want.equal(got) {
		return nil, fmt.Errorf("rank: load %s: %w: this catalog needs weights of shape %s, the file has shape %s%s; retrain the ranker for this catalog",
			path, ErrShapeMismatch, want, got, specDiff(want, got))
	}
	nX := got.ItemDim()
	mean, std := tensors[tensorMean], tensors[tensorStd]
	if !slices.Equal(mean.Shape, []int{nX}) || !slices.Equal(std.Shape, []int{nX}) {
		return nil, fmt.Errorf("rank: load %s: %w: standardisation tensors have shapes %v and %v, want [%d]; the file is damaged, retrain the ranker",
			path, ErrShapeMismatch, mean.Shape, std.Shape, nX)
	}
	f64 := func(v []float32) ([]float64, bool) {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
			if math.IsNaN(out[i]) || math.IsInf(out[i], 0) {
				return nil, false
			}
		}
		return out, true
	}
	wv, ok1 := f64(w.Data)
	mv, ok2 := f64(mean.Data)
	sv, ok3 := f64(std.Data)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("rank: load %s: the weights contain NaN or infinity; retrain the ranker", path)
	}
	for _, s := range sv {
		if s <= 0 {
			return nil, fmt.Errorf("rank: load %s: a standard deviation is not positive; the file is damaged, retrain the ranker", path)
		}
	}
	return newModel(got, wv, mv, sv), nil
}

// specDiff says in words how two specs of possibly equal shape differ.
func specDiff(want, got Spec) string {
	switch {
	case !slices.Equal(want.Styles, got.Styles):
		return fmt.Sprintf(" (styles %q, file %q)", want.Styles, got.Styles)
	case !slices.Equal(want.Categories, got.Categories):
		return fmt.Sprintf(" (categories %q, file %q)", want.Categories, got.Categories)
	}
	return ""
}
