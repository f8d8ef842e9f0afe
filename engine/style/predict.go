package style

import (
	"image"
	"math"

	"stylestudio/engine/nn"
)

// input turns an image into the network's input: composited on white, padded square, resized.
func (m *Model) input(img image.Image) []float32 {
	x := make([]float32, 3*m.cfg.Size*m.cfg.Size)
	toCHW(x, squareOnWhite(img, m.cfg.Size))
	return x
}

// Predict returns the probabilities of img belonging to each of m.Styles(); they sum to 1. A nil or
// empty image is treated as a blank white picture.
func (m *Model) Predict(img image.Image) []float64 {
	return m.PredictBatch([]image.Image{img})[0]
}

// PredictBatch is Predict for many images, spread over the available cores.
func (m *Model) PredictBatch(imgs []image.Image) [][]float64 {
	probs, _ := m.PredictAll(imgs)
	return probs
}

// Features returns the penultimate-layer vector of every image, each FeatureLen() long: the channel
// means followed by the channel maxima of the last conv block's output (after its ReLU), which is
// what the linear head reads. Images of the same style lie close together.
func (m *Model) Features(imgs []image.Image) [][]float32 {
	out := make([][]float32, len(imgs))
	parallel(len(imgs), func(i int, s *scratch) {
		out[i] = make([]float32, m.net.featureLen())
		m.net.features(s, out[i], m.input(imgs[i]))
	})
	return out
}

// PredictAll returns the probabilities (as PredictBatch) and the features (as Features) of every image in
// one forward pass, for callers that need both (suggestions and the labeling queue). The probabilities
// join the CNN and the style statistics (statsHead); the features are the CNN's.
func (m *Model) PredictAll(imgs []image.Image) (probs [][]float64, feats [][]float32) {
	return m.PredictAllCached(imgs, nil, nil)
}

// PredictAllCached is PredictAll with each picture's style statistics read from, or added to, cache
// under keys[i] (a content hash; "" or a nil cache: computed). It gives the same results.
func (m *Model) PredictAllCached(imgs []image.Image, keys []string, cache *StatsCache) (probs [][]float64, feats [][]float32) {
	probs = make([][]float64, len(imgs))
	feats = make([][]float32, len(imgs))
	k := len(m.styles)
	parallel(len(imgs), func(i int, s *scratch) {
		feats[i] = make([]float32, m.net.featureLen())
		logits := make([]float32, k)
		m.net.logits(s, logits, feats[i], m.input(imgs[i]))
		probs[i] = make([]float64, k)
		nn.Softmax(probs[i], logits)
		if m.stats != nil {
			f := cache.features(imgs[i], keyAt(keys, i))
			row := make([]float64, len(f))
			for j, v := range f {
				row[j] = float64(v)
			}
			m.stats.combine(probs[i], probs[i], row)
		}
	})
	return probs, feats
}

// Accuracy is the share of examples whose most probable style is their labeled one (NaN for none).
func Accuracy(m *Model, examples []Example) float64 {
	if len(examples) == 0 {
		return math.NaN()
	}
	imgs := make([]image.Image, len(examples))
	for i, e := range examples {
		imgs[i] = e.Image
	}
	probs := m.PredictBatch(imgs)
	correct := 0
	for i, p := range probs {
		if argmax64(p) == examples[i].Style {
			correct++
		}
	}
	return float64(correct) / float64(len(examples))
}

func argmax64(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Classify names each image's most probable style and returns the CNN's feature vectors beside: the
// judge gan.Evaluate scores generated images with (style accuracy, and Fréchet distances in this
// feature space).
func (m *Model) Classify(imgs []image.Image) (styles []string, features [][]float64, err error) {
	probs, feats := m.PredictAll(imgs)
	styles, features = make([]string, len(imgs)), make([][]float64, len(imgs))
	for i, p := range probs {
		styles[i] = m.styles[argmax64(p)]
		features[i] = make([]float64, len(feats[i]))
		for k, v := range feats[i] {
			features[i][k] = float64(v)
		}
	}
	return styles, features, nil
}
