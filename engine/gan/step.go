package gan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/gorgonia"

	"stylestudio/engine/nn"
)

// Losses are one training step's loss terms (see the package documentation).
type Losses struct {
	GAdv  float64 `json:"g_adv"`
	GCls  float64 `json:"g_cls"`
	GRec  float64 `json:"g_rec"`
	G     float64 `json:"g"`
	DReal float64 `json:"d_real"`
	DFake float64 `json:"d_fake"`
	DCls  float64 `json:"d_cls"`
	D     float64 `json:"d"`
}

func (l Losses) finite() bool {
	for _, v := range []float64{l.G, l.D, l.GAdv, l.GCls, l.GRec, l.DReal, l.DFake, l.DCls} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// stepper runs training steps on a fixed batch size: the two graphs, their machines and optimisers.
type stepper struct {
	cfg          Config
	styles       int
	batch        int
	p            Params
	gs           *genStep
	ds           *discStep
	gvm, dvm     gorgonia.VM
	gopt, dopt   *nn.Adam
	runsSinceNew int
}

// vmRefresh re-creates the tape machines this often so no per-run state can build up.
const vmRefresh = 500

func newStepper(cfg Config, styles, batch int, p Params) (*stepper, error) {
	gs, err := newGenStep(cfg, styles, batch, p)
	if err != nil {
		return nil, err
	}
	ds, err := newDiscStep(cfg, styles, batch, p)
	if err != nil {
		return nil, err
	}
	st := &stepper{cfg: cfg, styles: styles, batch: batch, p: p, gs: gs, ds: ds}
	st.gopt = nn.NewAdam(gs.params, nil, 0)
	st.dopt = nn.NewAdam(ds.params, nil, 0)
	for _, o := range []*nn.Adam{st.gopt, st.dopt} {
		o.Beta1, o.Beta2 = cfg.Beta1, cfg.Beta2
	}
	st.newMachines()
	return st, nil
}

func (st *stepper) newMachines() {
	st.close()
	st.gvm = gorgonia.NewTapeMachine(st.gs.g)
	st.dvm = gorgonia.NewTapeMachine(st.ds.g)
	st.runsSinceNew = 0
}

func (st *stepper) close() {
	if st.gvm != nil {
		_ = st.gvm.Close()
	}
	if st.dvm != nil {
		_ = st.dvm.Close()
	}
}

// fillInputs writes a batch's images (B×3×N×N in [-1, 1]) and style codes into both graphs.
func (st *stepper) fillInputs(x []float32, org, trg []int) {
	n := st.cfg.Size * st.cfg.Size
	copy(st.gs.x, x)
	copy(st.ds.x, x)
	clear(st.gs.trgPlanes)
	clear(st.gs.orgPlanes)
	clear(st.gs.trgScaled)
	clear(st.ds.orgScaled)
	inv := float32(1) / float32(st.batch)
	for b := 0; b < st.batch; b++ {
		fillPlane(st.gs.trgPlanes[(b*st.styles+trg[b])*n:][:n])
		fillPlane(st.gs.orgPlanes[(b*st.styles+org[b])*n:][:n])
		st.gs.trgScaled[b*st.styles+trg[b]] = inv
		st.ds.orgScaled[b*st.styles+org[b]] = inv
	}
}

// setPairs writes the paired loss's inputs (Config.LambdaPair): y holds each sample's counterpart in
// its target style (B×3×N×N), where paired[b] says it has one. Without the loss it does nothing.
func (st *stepper) setPairs(y []float32, paired []bool) {
	if st.gs.pair == nil {
		return
	}
	copy(st.gs.pair, y)
	clear(st.gs.pairWeight)
	count := 0
	for _, p := range paired {
		if p {
			count++
		}
	}
	if count == 0 {
		return
	}
	per := 3 * st.cfg.Size * st.cfg.Size
	w := 1 / float32(count*per)
	for b, p := range paired {
		if p {
			seg := st.gs.pairWeight[b*per : (b+1)*per]
			for i := range seg {
				seg[i] = w
			}
		}
	}
}

func fillPlane(p []float32) {
	for i := range p {
		p[i] = 1
	}
}

// step runs one training step (generator, then discriminator on the same fakes) and applies both
// optimiser updates with learning rate lr. fake, when not nil, receives the generated images.
// With DiffAugment on, its draws come from rng, in the order: the generator step's fakes, the
// discriminator step's real images, its fakes.
func (st *stepper) step(x []float32, org, trg []int, lr float64, rng *rand.Rand) (Losses, error) {
	if st.gs.aug != nil {
		if rng == nil {
			return Losses{}, fmt.Errorf("gan: DiffAugment needs a random generator for its draws")
		}
		for _, a := range []*nn.AugDraws{st.gs.aug, st.ds.augReal, st.ds.augFake} {
			a.Draw(rng, st.cfg.Size)
		}
	}
	if st.runsSinceNew >= vmRefresh {
		st.newMachines()
	}
	st.runsSinceNew++
	st.fillInputs(x, org, trg)
	if err := st.gvm.RunAll(); err != nil {
		return Losses{}, fmt.Errorf("gan: generator step: %w", err)
	}
	var l Losses
	l.GAdv, l.GCls, l.GRec, l.G = st.gs.losses[0].Scalar(), st.gs.losses[1].Scalar(), st.gs.losses[2].Scalar(), st.gs.losses[3].Scalar()
	copy(st.ds.fake, st.gs.fake.Data)
	if err := st.dvm.RunAll(); err != nil {
		return Losses{}, fmt.Errorf("gan: discriminator step: %w", err)
	}
	l.DReal, l.DFake, l.DCls, l.D = st.ds.losses[0].Scalar(), st.ds.losses[1].Scalar(), st.ds.losses[2].Scalar(), st.ds.losses[3].Scalar()
	if !l.finite() {
		st.gvm.Reset()
		st.dvm.Reset()
		return l, ErrNaN
	}
	if err := st.gopt.Step(lr); err != nil {
		return l, err
	}
	if err := st.dopt.Step(lr); err != nil {
		return l, err
	}
	st.gvm.Reset()
	st.dvm.Reset()
	return l, nil
}

// ErrNaN means a loss became NaN or infinite; the weights were not updated by that step.
var ErrNaN = fmt.Errorf("gan: a loss became NaN or infinite")

// optimiserState returns both optimisers' moments by parameter name ("adam.m.<name>", "adam.v.<name>")
// and their step count.
func (st *stepper) optimiserState() (map[string]nn.Tensor, int) {
	out := map[string]nn.Tensor{}
	add := func(o *nn.Adam, nodes []*gorgonia.Node) {
		s := o.State()
		for i, n := range nodes {
			shape := append([]int(nil), st.p[n.Name()].Shape...)
			out["adam.m."+n.Name()] = nn.Tensor{Shape: shape, Data: s.M[i]}
			out["adam.v."+n.Name()] = nn.Tensor{Shape: shape, Data: s.V[i]}
		}
	}
	add(st.gopt, st.gs.params)
	add(st.dopt, st.ds.params)
	return out, st.gopt.Steps()
}

// setOptimiserState restores moments saved by optimiserState.
func (st *stepper) setOptimiserState(t map[string]nn.Tensor, steps int) error {
	set := func(o *nn.Adam, nodes []*gorgonia.Node) error {
		s := nn.AdamState{T: steps}
		for _, n := range nodes {
			m, ok1 := t["adam.m."+n.Name()]
			v, ok2 := t["adam.v."+n.Name()]
			if !ok1 || !ok2 {
				return fmt.Errorf("optimiser moments of %s are missing", n.Name())
			}
			s.M = append(s.M, m.Data)
			s.V = append(s.V, v.Data)
		}
		return o.SetState(s)
	}
	if err := set(st.gopt, st.gs.params); err != nil {
		return err
	}
	return set(st.dopt, st.ds.params)
}
