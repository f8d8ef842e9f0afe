package gan

import (
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"stylestudio/engine/imaging"
	"stylestudio/engine/nn"
)

// Model is a trained generator loaded from a checkpoint, ready to restyle images. It is read-only
// after loading, so one Model may serve several goroutines.
type Model struct {
	cfg    Config
	styles []string
	p      Params
	step   int
	latest int // the latest checkpoint's step where a run folder was loaded, else step
	path   string
}

// LoadModel loads the generator from a checkpoint: a weights file (.safetensors), its sidecar (.json),
// or a run folder (its ServingCheckpoint: the best validated one, else the latest). The weights file
// alone is enough: it carries the config and the style list in its metadata.
func LoadModel(path string) (*Model, error) {
	latestStep := 0
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		side, latest, err := ServingCheckpoint(path)
		if err != nil {
			return nil, err
		}
		path, latestStep = side.WeightsPath(), latest
	} else if strings.HasSuffix(path, ".json") {
		side, err := readSidecar(path)
		if err != nil {
			return nil, err
		}
		path = side.WeightsPath()
	}
	m, err := readModel(path, false)
	if err != nil {
		return nil, err
	}
	m.latest = max(m.step, latestStep)
	return m, nil
}

// readModel reads a weights file: a whole checkpoint, or with generatorOnly one that holds only the
// generator's tensors (as the GPU script sends back a run too large to fetch whole).
func readModel(path string, generatorOnly bool) (*Model, error) {
	tensors, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if meta["format"] != checkpointFormat {
		return nil, fmt.Errorf("%w: %s is not a Style Studio GAN checkpoint (format %q); pick a file from a run's folder",
			ErrCheckpoint, path, meta["format"])
	}
	m := &Model{path: path}
	if err := json.Unmarshal([]byte(meta["config"]), &m.cfg); err != nil {
		return nil, fmt.Errorf("%w: %s: config: %v", ErrCheckpoint, path, err)
	}
	if err := json.Unmarshal([]byte(meta["styles"]), &m.styles); err != nil || len(m.styles) < 2 {
		return nil, fmt.Errorf("%w: %s: style list is missing or has fewer than 2 styles", ErrCheckpoint, path)
	}
	m.cfg = m.cfg.WithDefaults()
	if err := m.cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCheckpoint, path, err)
	}
	fmt.Sscan(meta["step"], &m.step)
	m.latest = m.step
	m.p = Params{}
	for name, t := range tensors {
		if !strings.HasPrefix(name, "adam.") {
			m.p[name] = t
		}
	}
	check := m.p.check
	if generatorOnly {
		check = m.p.checkGenerator
	}
	if err := check(m.cfg, len(m.styles)); err != nil {
		return nil, fmt.Errorf("%w: %s does not match its own config: %v", ErrCheckpoint, path, err)
	}
	for name := range m.p { // inference needs the generator only
		if strings.HasPrefix(name, "d.") {
			delete(m.p, name)
		}
	}
	return m, nil
}

// Styles lists the styles the model can produce, in its own order.
func (m *Model) Styles() []string { return append([]string(nil), m.styles...) }

// Size is the model's image size.
func (m *Model) Size() int { return m.cfg.Size }

// Config is the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Step is the training step the checkpoint was written at.
func (m *Model) Step() int { return m.step }

// LatestStep is the step of the run's latest checkpoint where the model was loaded from a run folder
// (then Step is earlier where a validated checkpoint scored higher than the later ones), else Step.
func (m *Model) LatestStep() int { return m.latest }

// Path is the weights file the model was loaded from.
func (m *Model) Path() string { return filepath.Clean(m.path) }

// StyleIndex returns the index of a style name (exact match first, then case-insensitive).
func (m *Model) StyleIndex(name string) (int, error) {
	for i, s := range m.styles {
		if s == name {
			return i, nil
		}
	}
	for i, s := range m.styles {
		if strings.EqualFold(s, name) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("this model has no style %q; it knows %s", name, strings.Join(m.styles, ", "))
}

// PreviewBatch restyles imgs[i] into styles[i] at the model's size: the generator's output after the
// backdrop step (imaging.SettleBackdrop), as the full-resolution result has it: on a flat backdrop no
// glow around the product or frame along the edge, a gradient, textured or transparent one kept as
// the source has it.
func (m *Model) PreviewBatch(imgs []image.Image, styles []int) ([]*image.NRGBA, error) {
	squares, raw, err := m.run(imgs, styles)
	if err != nil {
		return nil, err
	}
	return m.settle(imgs, squares, raw)
}

// run squares each image (composited on white and padded, imaging.Square, exactly as in training)
// and runs the generator on the batch; it returns the squares it fed and the generator's own outputs,
// before any clean-up (the evaluation measures those too).
func (m *Model) run(imgs []image.Image, styles []int) (squares, raw []*image.NRGBA, err error) {
	if len(imgs) != len(styles) {
		return nil, nil, fmt.Errorf("stylize: %d images but %d styles", len(imgs), len(styles))
	}
	n := m.cfg.Size
	plane := 3 * n * n
	x := make([]float32, len(imgs)*plane)
	squares = make([]*image.NRGBA, len(imgs))
	for i, img := range imgs {
		if img == nil || img.Bounds().Empty() {
			return nil, nil, fmt.Errorf("stylize: image %d is empty", i)
		}
		if styles[i] < 0 || styles[i] >= len(m.styles) {
			return nil, nil, fmt.Errorf("stylize: style index %d out of range (0 to %d)", styles[i], len(m.styles)-1)
		}
		squares[i] = imaging.Square(img, n)
		toTensor(x[i*plane:(i+1)*plane], squares[i])
	}
	y := generate(m.cfg, len(m.styles), m.p, x, len(imgs), styles)
	raw = make([]*image.NRGBA, len(imgs))
	for i := range raw {
		raw[i] = toImage(y[i*plane:(i+1)*plane], n)
	}
	return squares, raw, nil
}

// settle applies imaging.SettleBackdrop to the generator's outputs raw for imgs, whose squares it saw.
func (m *Model) settle(imgs []image.Image, squares, raw []*image.NRGBA) ([]*image.NRGBA, error) {
	n := m.cfg.Size
	out := make([]*image.NRGBA, len(raw))
	for i, img := range imgs {
		b := img.Bounds()
		var err error
		if out[i], err = imaging.SettleBackdrop(img, squares[i], raw[i], imaging.SquareContent(b.Dx(), b.Dy(), n)); err != nil {
			return nil, fmt.Errorf("stylize: %w", err)
		}
	}
	return out, nil
}

// Preview restyles one image into a style (by name) at the model's size.
func (m *Model) Preview(img image.Image, style string) (*image.NRGBA, error) {
	k, err := m.StyleIndex(style)
	if err != nil {
		return nil, err
	}
	out, err := m.PreviewBatch([]image.Image{img}, []int{k})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// FullRes restyles img at its own resolution: the generator runs at training size and only its change
// is carried to the original's pixels (imaging.TransferFullRes), so edges and text keep the
// original's sharpness and a white or transparent background stays clean.
func (m *Model) FullRes(img image.Image, style string) (*image.NRGBA, error) {
	k, err := m.StyleIndex(style)
	if err != nil {
		return nil, err
	}
	imgs := []image.Image{img}
	squares, raw, err := m.run(imgs, []int{k})
	if err != nil {
		return nil, err
	}
	low, err := m.settle(imgs, squares, raw)
	if err != nil {
		return nil, err
	}
	return imaging.TransferFullRes(img, squares[0], low[0])
}
