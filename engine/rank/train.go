package rank

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gorgonia.org/gorgonia"

	"stylestudio/engine/nn"
	"stylestudio/engine/sim"
)

// Example is one logged impression: the shopper's profile when the slate was chosen, the image shown
// and whether it was clicked. Slate groups the impressions of one slate (for NDCG and HR); User is
// the shopper (for splitting train and test by shopper).
type Example struct {
	Profile *sim.Profile // shared by the impressions of a slate; read-only
	Item    *sim.Item
	Variant int
	Clicked bool
	Slate   int64
	User    int
	// Probability is the simulator's true click probability, when known (diagnostics only).
	Probability float64
}

// ExampleFromImpression turns a logged sim.Impression into an Example; items must be the slice the
// simulation ran on. Slate ids are unique per (policy index, shopper, slate) for up to 2^20 slates
// per session.
func ExampleFromImpression(imp sim.Impression, policyIndex int, items []sim.Item) Example {
	return Example{Profile: imp.Profile, Item: &items[imp.Item], Variant: imp.Variant, Clicked: imp.Clicked,
		Slate: int64(policyIndex)<<52 | int64(imp.User)<<20 | int64(imp.Step), User: imp.User,
		Probability: imp.Probability}
}

// Config sets up training. Zero fields take DefaultConfig's values; Spec is required.
type Config struct {
	Spec        Spec
	Epochs      int
	BatchSize   int
	LR          float64 // Adam learning rate (cosine decay to 5% of it)
	WeightDecay float64 // decoupled, per unit of learning rate
	Seed        uint64  // shuffles the batches
}

// DefaultConfig is the training schedule TrainDefault uses.
func DefaultConfig() Config {
	return Config{Epochs: 8, BatchSize: 256, LR: 0.01, WeightDecay: 1e-3, Seed: 1}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Epochs == 0 {
		c.Epochs = d.Epochs
	}
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	if c.LR == 0 {
		c.LR = d.LR
	}
	if c.WeightDecay == 0 {
		c.WeightDecay = d.WeightDecay
	}
	return c
}

// Event reports the end of a training epoch.
type Event struct {
	Epoch, Epochs int
	Loss          float64 // mean binary cross-entropy over the epoch's batches
	Elapsed       time.Duration
}

// vmRefreshSteps: re-create the tape machine this often so no state builds up over long runs.
const vmRefreshSteps = 2000

// Train fits a model to examples by minibatch binary cross-entropy in gorgonia. It checks ctx between
// batches (returning ctx.Err()) and calls report, when set, after every epoch.
func Train(ctx context.Context, cfg Config, examples []Example, report func(Event)) (*Model, error) {
	start := time.Now()
	cfg = cfg.withDefaults()
	if err := cfg.Spec.validate(); err != nil {
		return nil, err
	}
	switch {
	case cfg.Epochs < 0 || cfg.BatchSize < 0:
		return nil, fmt.Errorf("rank: Epochs and BatchSize must be positive (got %d, %d)", cfg.Epochs, cfg.BatchSize)
	case !(cfg.LR > 0) || math.IsInf(cfg.LR, 0) || cfg.WeightDecay < 0:
		return nil, fmt.Errorf("rank: learning rate %g must be positive and weight decay %g not negative", cfg.LR, cfg.WeightDecay)
	}
	spec := cfg.Spec
	if err := checkExamples(spec, examples); err != nil {
		return nil, err
	}
	lay := spec.layout()
	nP, nX := spec.ProfileDim(), lay.nX
	proto := newModel(spec, make([]float64, nP*nX), make([]float64, nX), ones(nX))

	// standardisation of the dense item columns, from the training examples
	mean, std := make([]float64, nX), ones(nX)
	dense := make([]bool, nX)
	for j := lay.pi; j < lay.cat; j++ {
		dense[j] = true
	}
	dense[lay.price], dense[lay.clarity], dense[lay.share] = true, true, true
	x := make([]float64, nX)
	sum, sq := make([]float64, nX), make([]float64, nX)
	var clicks float64
	for i := range examples {
		e := &examples[i]
		proto.itemVector(x, e.Profile, e.Item, &e.Item.Variants[e.Variant])
		for j, v := range x {
			sum[j] += v
			sq[j] += v * v
		}
		if e.Clicked {
			clicks++
		}
	}
	n := float64(len(examples))
	for j := range mean {
		if !dense[j] {
			continue
		}
		mean[j] = sum[j] / n
		if v := sq[j]/n - mean[j]*mean[j]; v > 1e-12 {
			std[j] = math.Sqrt(v)
		}
	}
	proto.mean, proto.std = mean, std

	// W starts at zero but for the bias, the log-odds of the click rate
	w := make([]float32, nP*nX)
	rate := min(max(clicks/n, 1e-4), 1-1e-4)
	w[0] = float32(math.Log(rate / (1 - rate)))

	batch := min(cfg.BatchSize, len(examples))
	g := gorgonia.NewGraph()
	qIn, qData := nn.Input(g, "q", batch, nP)
	xIn, xData := nn.Input(g, "x", batch, nX)
	yIn, yData := nn.Input(g, "y", batch)
	wNode := nn.Param(g, "rank.weight", nn.Tensor{Shape: []int{nP, nX}, Data: w})
	var lossVal gorgonia.Value
	if err := buildLoss(qIn, xIn, yIn, wNode, &lossVal); err != nil {
		return nil, err
	}
	opt := nn.NewAdam([]*gorgonia.Node{wNode}, []bool{true}, cfg.WeightDecay)
	vm := gorgonia.NewTapeMachine(g)
	defer func() { _ = vm.Close() }()

	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7a4c))
	perEpoch := len(examples) / batch
	total := cfg.Epochs * perEpoch
	warmup := max(1, total/20)
	q := make([]float64, nP)
	step := 0
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		perm := rng.Perm(len(examples))
		var lossSum float64
		for b := 0; b < perEpoch; b++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for r, idx := range perm[b*batch : (b+1)*batch] {
				e := &examples[idx]
				profileVector(q, e.Profile, lay.s)
				for i, v := range q {
					qData[r*nP+i] = float32(v)
				}
				proto.itemVector(x, e.Profile, e.Item, &e.Item.Variants[e.Variant])
				for j, v := range x {
					xData[r*nX+j] = float32((v - mean[j]) / std[j])
				}
				yData[r] = 0
				if e.Clicked {
					yData[r] = 1
				}
			}
			if step > 0 && step%vmRefreshSteps == 0 {
				if err := vm.Close(); err != nil {
					return nil, fmt.Errorf("rank: training machine: %w", err)
				}
				vm = gorgonia.NewTapeMachine(g)
			}
			if err := vm.RunAll(); err != nil {
				return nil, fmt.Errorf("rank: training step %d: %w", step, err)
			}
			loss := float64(lossVal.Data().(float32))
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return nil, fmt.Errorf("rank: training diverged at step %d (loss %v); lower Config.LR", step, loss)
			}
			lossSum += loss
			if err := opt.Step(nn.CosineLR(cfg.LR, step, warmup, total, 0.05)); err != nil {
				return nil, fmt.Errorf("rank: training step %d: %w", step, err)
			}
			vm.Reset()
			step++
		}
		if report != nil {
			report(Event{Epoch: epoch + 1, Epochs: cfg.Epochs, Loss: lossSum / float64(max(perEpoch, 1)), Elapsed: time.Since(start)})
		}
	}
	wf := make([]float64, len(w))
	for i, v := range w {
		wf[i] = float64(v)
	}
	return newModel(spec, wf, mean, std), nil
}

// buildLoss adds mean(softplus(z) − y·z), z = rowsum((q·W) ⊙ x), to the graph with its gradient.
func buildLoss(q, x, y, w *gorgonia.Node, lossVal *gorgonia.Value) error {
	wrap := func(err error) error { return fmt.Errorf("rank: build training graph: %w", err) }
	qw, err := gorgonia.Mul(q, w)
	if err != nil {
		return wrap(err)
	}
	h, err := gorgonia.HadamardProd(qw, x)
	if err != nil {
		return wrap(err)
	}
	z, err := gorgonia.Sum(h, 1)
	if err != nil {
		return wrap(err)
	}
	sp, err := gorgonia.Softplus(z)
	if err != nil {
		return wrap(err)
	}
	yz, err := gorgonia.HadamardProd(y, z)
	if err != nil {
		return wrap(err)
	}
	l, err := gorgonia.Sub(sp, yz)
	if err != nil {
		return wrap(err)
	}
	loss, err := gorgonia.Mean(l)
	if err != nil {
		return wrap(err)
	}
	if _, err := gorgonia.Grad(loss, w); err != nil {
		return wrap(err)
	}
	gorgonia.Read(loss, lossVal)
	return nil
}

func checkExamples(spec Spec, examples []Example) error {
	if len(examples) == 0 {
		return fmt.Errorf("rank: %w: no examples; simulate or log some impressions first", ErrBadExamples)
	}
	var pos int
	for i := range examples {
		e := &examples[i]
		switch {
		case e.Item == nil:
			return fmt.Errorf("rank: %w: example %d has no item", ErrBadExamples, i)
		case e.Profile == nil:
			return fmt.Errorf("rank: %w: example %d has no profile", ErrBadExamples, i)
		case e.Variant < 0 || e.Variant >= len(e.Item.Variants):
			return fmt.Errorf("rank: %w: example %d shows image %d of product %d, which has %d", ErrBadExamples, i, e.Variant, e.Item.ID, len(e.Item.Variants))
		case len(e.Item.Variants[e.Variant].Perceived) != len(spec.Styles):
			return fmt.Errorf("rank: %w: example %d's image has %d perceived style probabilities, the model %d styles", ErrBadExamples, i, len(e.Item.Variants[e.Variant].Perceived), len(spec.Styles))
		case len(e.Item.Variants[e.Variant].Features) != spec.FeatureDim:
			return fmt.Errorf("rank: %w: example %d's image has %d features, the model %d", ErrBadExamples, i, len(e.Item.Variants[e.Variant].Features), spec.FeatureDim)
		case len(e.Profile.Style) != len(spec.Styles):
			return fmt.Errorf("rank: %w: example %d's profile has %d styles, the model %d", ErrBadExamples, i, len(e.Profile.Style), len(spec.Styles))
		}
		if e.Clicked {
			pos++
		}
	}
	if pos == 0 || pos == len(examples) {
		return fmt.Errorf("rank: %w: all %d examples are %s; training needs both clicked and skipped impressions",
			ErrBadExamples, len(examples), map[bool]string{true: "clicks", false: "skips"}[pos > 0])
	}
	return nil
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}
