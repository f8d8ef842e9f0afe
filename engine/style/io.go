package style

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	"stylestudio/engine/nn"
)

// Checkpoint metadata keys. A checkpoint holds the weights (tensor names in net.go) and, in its
// safetensors metadata, everything needed to use them: the architecture tag, the Config as JSON
// and the style list as a JSON array of names.
const (
	metaFormat = "format"
	metaArch   = "arch"
	metaConfig = "config"
	metaStyles = "styles"

	metaStats = "stats" // the statistics version (statsVersion), absent for a CNN alone

	formatName = "stylestudio.style-classifier"
	// statsVersion changes whenever statsFeatures changes, so a file whose statistics would be
	// computed differently is refused rather than misread.
	statsVersion = "style-stats-v3"
	// archName changes whenever blockSpecs or the tensor layout changes, so an old file is refused
	// with a clear message instead of being misread.
	archName = "cnn3-v1"
)

// Save writes the model to path as safetensors (written to a temporary file, fsynced and renamed).
func (m *Model) Save(path string) error {
	cfg, err := json.Marshal(m.cfg)
	if err != nil {
		return fmt.Errorf("save style model %s: %w", path, err)
	}
	styles, err := json.Marshal(m.styles)
	if err != nil {
		return fmt.Errorf("save style model %s: %w", path, err)
	}
	meta := map[string]string{
		metaFormat: formatName,
		metaArch:   archName,
		metaConfig: string(cfg),
		metaStyles: string(styles),
	}
	tensors := m.net.tensors()
	if m.stats != nil {
		meta[metaStats] = statsVersion
		for name, t := range m.stats.tensors() {
			tensors[name] = t
		}
	}
	if err := nn.WriteSafetensors(path, tensors, meta); err != nil {
		return fmt.Errorf("save style model: %w", err)
	}
	return nil
}

// ErrOutdated: a style classifier file written by another version of Style Studio, whose network or
// style statistics this version computes differently. Retraining replaces it.
var ErrOutdated = errors.New("the style classifier was made by another version of Style Studio")

// Load reads a model written by Save. A file of another kind, architecture or shape is refused
// with an error that says what does not match; one from another version's network or statistics
// is refused with an error that wraps ErrOutdated.
func Load(path string) (*Model, error) {
	tensors, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return nil, fmt.Errorf("load style model: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("load style model %s: %s; retrain the style classifier to replace it",
			path, fmt.Sprintf(format, args...))
	}
	if f := meta[metaFormat]; f != formatName {
		if f == "" {
			return nil, bad("the file is not a style classifier checkpoint (no %q metadata)", metaFormat)
		}
		return nil, bad("the file is a %q checkpoint, not a style classifier", f)
	}
	outdated := func(format string, args ...any) error {
		return fmt.Errorf("load style model %s: %w: %s; retrain the style classifier to replace it",
			path, ErrOutdated, fmt.Sprintf(format, args...))
	}
	if a := meta[metaArch]; a != archName {
		return nil, outdated("the checkpoint has architecture %q but this version uses %q", a, archName)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(meta[metaConfig]), &cfg); err != nil {
		return nil, bad("its config metadata is unreadable (%v)", err)
	}
	if err := cfg.validate(); err != nil {
		return nil, bad("its config is invalid (%v)", err)
	}
	var styles []string
	if err := json.Unmarshal([]byte(meta[metaStyles]), &styles); err != nil {
		return nil, bad("its style list is unreadable (%v)", err)
	}
	if err := checkData(styles, nil, 0); err != nil {
		return nil, bad("its style list is invalid (%v)", err)
	}

	// Build the expected skeleton and fill it, checking every name and shape.
	n := newNet(cfg.Size, cfg.Width, len(styles), rand.New(rand.NewPCG(0, 0)))
	want := n.tensors()
	var head *statsHead
	switch v := meta[metaStats]; v {
	case "": // a CNN alone, as written before the style statistics were added
	case statsVersion:
		head = newStatsHead(len(styles))
		for name, t := range head.tensors() {
			want[name] = t
		}
	default:
		return nil, outdated("its style statistics are version %q but this version computes %q", v, statsVersion)
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, ok := tensors[name]
		if !ok {
			return nil, bad("tensor %q is missing (a checkpoint of another architecture?)", name)
		}
		if !slices.Equal(got.Shape, want[name].Shape) {
			return nil, bad("tensor %q has shape %v but width %d with %d styles (and %d style statistics) needs %v",
				name, got.Shape, cfg.Width, len(styles), statsLen, want[name].Shape)
		}
		copy(want[name].Data, got.Data)
	}
	for name := range tensors {
		if _, ok := want[name]; !ok {
			return nil, bad("unexpected tensor %q (a checkpoint of another architecture?)", name)
		}
	}
	n.fold()
	if head != nil {
		if err := head.load(); err != nil {
			return nil, bad("%v", err)
		}
	}
	return &Model{cfg: cfg, styles: styles, net: n, stats: head}, nil
}
