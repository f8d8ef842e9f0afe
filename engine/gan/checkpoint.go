package gan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"stylestudio/engine/nn"
	"stylestudio/internal/atomicfile"
)

// A checkpoint is two files in the run's folder, written in this order, each to a temporary file that
// is fsynced and renamed into place:
//
//	ckpt-0000250.safetensors  every model tensor (names in the package documentation), the optimiser
//	                          moments "adam.m.<name>" / "adam.v.<name>", and metadata: format, config
//	                          (JSON), styles (JSON list), step
//	ckpt-0000250.json         the sidecar: format, step, config, styles, the weights file's name, size and
//	                          SHA-256, the PCG random-generator state, the optimiser step count, the
//	                          losses at that step and the best-checkpoint score
//
// A checkpoint counts only when its sidecar parses and the weights file matches the recorded size and
// hash, so a crash or a full disk during a save leaves the previous checkpoint as the latest one.
const checkpointFormat = "stylestudio-gan-1"

// ErrCheckpoint marks a checkpoint that cannot be used (corrupt, truncated, another model).
var ErrCheckpoint = errors.New("unusable checkpoint")

// ErrNoCheckpoint means a run folder has no complete checkpoint.
var ErrNoCheckpoint = errors.New("no complete checkpoint")

// Sidecar is a checkpoint's JSON description.
type Sidecar struct {
	Format  string   `json:"format"`
	Step    int      `json:"step"`
	Config  Config   `json:"config"`
	Styles  []string `json:"styles"`
	Weights string   `json:"weights"`
	Bytes   int64    `json:"bytes"`
	SHA256  string   `json:"sha256"`
	RNG     string   `json:"rng"` // hex of the PCG state
	AdamT   int      `json:"adam_steps"`
	Losses  Losses   `json:"losses"`
	Score   float64  `json:"score"`   // smoothed G cls + rec loss; the best checkpoint's when none is validated
	ScoreN  int      `json:"score_n"` // steps folded into Score
	// Val is the checkpoint's measurement on the validation split (Options.Validate); nil when it was
	// not measured.
	Val     *Validation `json:"val,omitempty"`
	Created time.Time   `json:"created"`
	Path    string      `json:"-"` // the sidecar's own path
}

// WeightsPath is the weights file of a sidecar.
func (s Sidecar) WeightsPath() string { return filepath.Join(filepath.Dir(s.Path), s.Weights) }

func checkpointBase(step int) string { return fmt.Sprintf("ckpt-%07d", step) }

// saveCheckpoint writes the tensors and then the sidecar (see above) and returns the sidecar.
func saveCheckpoint(dir string, side Sidecar, tensors map[string]nn.Tensor) (Sidecar, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return side, fmt.Errorf("save checkpoint: create %s: %w", dir, err)
	}
	base := checkpointBase(side.Step)
	side.Format = checkpointFormat
	side.Weights = base + ".safetensors"
	side.Created = time.Now().UTC()
	cfgJSON, _ := json.Marshal(side.Config)
	stylesJSON, _ := json.Marshal(side.Styles)
	meta := map[string]string{"format": checkpointFormat, "config": string(cfgJSON), "styles": string(stylesJSON),
		"step": strconv.Itoa(side.Step)}
	weights := filepath.Join(dir, side.Weights)
	if err := nn.WriteSafetensors(weights, tensors, meta); err != nil {
		return side, fmt.Errorf("save checkpoint at step %d: %w (the previous checkpoint is kept; %s and resume)", side.Step, err, saveHint(err))
	}
	size, sum, err := hashFile(weights)
	if err != nil {
		return side, fmt.Errorf("save checkpoint at step %d: %w", side.Step, err)
	}
	side.Bytes, side.SHA256 = size, sum
	data, err := json.MarshalIndent(side, "", "  ")
	if err != nil {
		return side, err
	}
	side.Path = filepath.Join(dir, base+".json")
	if err := writeFileAtomic(side.Path, data); err != nil {
		_ = os.Remove(weights)
		return side, fmt.Errorf("save checkpoint at step %d: %w (the previous checkpoint is kept; %s and resume)", side.Step, err, saveHint(err))
	}
	return side, nil
}

// saveHint says what to do about a failed save.
func saveHint(err error) string {
	switch {
	case errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission):
		return "make the run folder writable"
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		return "free disk space"
	}
	return "fix the problem above"
}

// removeStaleTemps removes the temp files of checkpoint saves that never finished (the process was
// killed mid-save): hidden ".ckpt-*.tmp-*" files as big as a checkpoint, which nothing else would
// ever remove. A run is trained by one process at a time, so none of them is still being written.
func removeStaleTemps(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, ".ckpt-*.tmp-*"))
	for _, p := range stale {
		_ = os.Remove(p)
	}
}

func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// writeFileAtomic writes data whole or not at all; its temp file is named after path so that
// cleanup can tell a killed save's leftovers.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, "."+filepath.Base(path)+".tmp-*", 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readSidecar parses and verifies one sidecar and its weights file (size and hash).
func readSidecar(path string) (Sidecar, error) {
	var s Sidecar
	data, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("%w: read %s: %v", ErrCheckpoint, path, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%w: %s is not a checkpoint description (%v)", ErrCheckpoint, path, err)
	}
	s.Path = path
	if s.Format != checkpointFormat {
		return s, fmt.Errorf("%w: %s has format %q, this build reads %q", ErrCheckpoint, path, s.Format, checkpointFormat)
	}
	if strings.ContainsAny(s.Weights, `/\`) || s.Weights == "" {
		return s, fmt.Errorf("%w: %s names weights file %q outside its folder", ErrCheckpoint, path, s.Weights)
	}
	size, sum, err := hashFile(s.WeightsPath())
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if size != s.Bytes || sum != s.SHA256 {
		return s, fmt.Errorf("%w: %s is truncated or changed (%d bytes, expected %d)", ErrCheckpoint, s.WeightsPath(), size, s.Bytes)
	}
	return s, nil
}

// listCheckpoints returns the run folder's complete checkpoints, oldest first, and a message for each
// one that is damaged.
func listCheckpoints(dir string) (good []Sidecar, damaged []string, err error) {
	matches, err := filepath.Glob(filepath.Join(dir, "ckpt-*.json"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(matches)
	for _, m := range matches {
		s, err := readSidecar(m)
		if err != nil {
			damaged = append(damaged, err.Error())
			continue
		}
		good = append(good, s)
	}
	return good, damaged, nil
}

// Checkpoints lists the complete checkpoints in dir, oldest first, with a message for each damaged one.
func Checkpoints(dir string) ([]Sidecar, []string, error) { return listCheckpoints(dir) }

// LatestCheckpoint returns the newest complete checkpoint in dir, with messages about damaged newer
// ones that were passed over.
func LatestCheckpoint(dir string) (Sidecar, []string, error) {
	good, damaged, err := listCheckpoints(dir)
	if err != nil {
		return Sidecar{}, damaged, err
	}
	if len(good) == 0 {
		return Sidecar{}, damaged, fmt.Errorf("%w in %s", ErrNoCheckpoint, dir)
	}
	return good[len(good)-1], damaged, nil
}

// ServingCheckpoint is the checkpoint a run's model is used from (Preview, stylize, eval, the Feed's
// variants): the best of those measured on the validation split, or the latest where none was. The
// training-loss score that ranks unvalidated checkpoints only decides which ones pruning keeps: it
// favours checkpoints that barely change their input, so it does not choose the model a person sees.
// latest is the latest complete checkpoint's step.
func ServingCheckpoint(dir string) (serve Sidecar, latest int, err error) {
	good, _, err := listCheckpoints(dir)
	if err != nil {
		return Sidecar{}, 0, err
	}
	if len(good) == 0 {
		return Sidecar{}, 0, fmt.Errorf("%w in %s", ErrNoCheckpoint, dir)
	}
	latest = good[len(good)-1].Step
	if best := bestValidated(good); best != nil {
		return *best, latest, nil
	}
	return good[len(good)-1], latest, nil
}

// bestValidated is the checkpoint of good (oldest first) with the highest validation score, the latest
// winning ties; nil when none was validated.
func bestValidated(good []Sidecar) *Sidecar {
	var best *Sidecar
	for i := range good {
		if s := &good[i]; s.Val != nil && (best == nil || s.Val.Score >= best.Val.Score) {
			best = s
		}
	}
	return best
}

// BestCheckpoint returns the best complete checkpoint: of those measured on the validation split
// (Sidecar.Val), the one with the highest validation score; when none was, the one with the lowest
// training-loss score. The latest wins ties.
func BestCheckpoint(dir string) (Sidecar, error) {
	good, _, err := listCheckpoints(dir)
	if err != nil {
		return Sidecar{}, err
	}
	if len(good) == 0 {
		return Sidecar{}, fmt.Errorf("%w in %s", ErrNoCheckpoint, dir)
	}
	return bestOf(good), nil
}

// bestOf is BestCheckpoint's choice among good (oldest first, not empty).
func bestOf(good []Sidecar) Sidecar {
	if best := bestValidated(good); best != nil {
		return *best
	}
	best := &good[0]
	for i := range good[1:] {
		if s := &good[i+1]; s.Score <= best.Score {
			best = s
		}
	}
	return *best
}

// pruneCheckpoints deletes complete checkpoints other than the last keep and the best one, and the
// leftovers of damaged ones older than the latest good checkpoint.
func pruneCheckpoints(dir string, keep int) error {
	return pruneCheckpointsThrough(dir, keep, math.MaxInt)
}

// pruneCheckpointsThrough prunes as pruneCheckpoints among the checkpoints up to step through only. The
// PyTorch trainer can run ahead of the studio's validation: its newer checkpoints are neither deleted
// nor counted until their own turn comes, or one could be pruned before it is measured.
func pruneCheckpointsThrough(dir string, keep, through int) error {
	all, _, err := listCheckpoints(dir)
	if err != nil {
		return err
	}
	var good []Sidecar
	for _, s := range all {
		if s.Step <= through {
			good = append(good, s)
		}
	}
	if len(good) == 0 {
		return nil
	}
	best := bestOf(good)
	for i, s := range good {
		if i >= len(good)-keep || s.Step == best.Step {
			continue
		}
		if err := os.Remove(s.Path); err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := os.Remove(s.WeightsPath()); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	// Weights without a sidecar are no checkpoint: a prune killed between its two removals, or a save
	// killed before its sidecar. Older than the latest checkpoint, nothing will ever rewrite them.
	latest := good[len(good)-1].Step
	weights, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.safetensors"))
	for _, w := range weights {
		base := strings.TrimSuffix(filepath.Base(w), ".safetensors")
		step, err := strconv.Atoi(strings.TrimPrefix(base, "ckpt-"))
		if err != nil || step >= latest {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, base+".json")); os.IsNotExist(err) {
			if err := os.Remove(w); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}

// readCheckpointTensors loads a verified checkpoint's tensors and checks them against its config and
// style list.
func readCheckpointTensors(s Sidecar) (Params, map[string]nn.Tensor, error) {
	tensors, _, err := nn.ReadSafetensors(s.WeightsPath())
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	p, opt := Params{}, map[string]nn.Tensor{}
	for name, t := range tensors {
		if strings.HasPrefix(name, "adam.") {
			opt[name] = t
		} else {
			p[name] = t
		}
	}
	if err := p.check(s.Config.WithDefaults(), len(s.Styles)); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrCheckpoint, s.WeightsPath(), err)
	}
	return p, opt, nil
}
