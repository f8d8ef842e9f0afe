package nn

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
)

// Adam is the Adam optimiser (Kingma & Ba) with decoupled weight decay (AdamW) and a learning rate
// chosen per step, for parameters living in gorgonia nodes. gorgonia's own AdamSolver fixes its rate at
// construction and allocates several tensors per parameter and step; this one allocates its moment
// buffers once and lets the trainer follow a schedule (warm-up, cosine decay).
type Adam struct {
	Beta1, Beta2, Eps float64
	WeightDecay       float64 // decoupled decay per unit of learning rate, applied where Decay is true

	params []*gorgonia.Node
	decay  []bool
	m, v   [][]float32
	t      int
}

// NewAdam returns an optimiser for params with the usual betas (0.9, 0.999) and eps 1e-8. decay[i]
// says whether params[i] gets weight decay (convolution and linear weights usually do, batch-norm
// parameters and biases do not); a nil decay means none do.
func NewAdam(params []*gorgonia.Node, decay []bool, weightDecay float64) *Adam {
	a := &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, params: params, decay: decay}
	for _, p := range params {
		n := p.Shape().TotalSize()
		a.m = append(a.m, make([]float32, n))
		a.v = append(a.v, make([]float32, n))
	}
	return a
}

// Steps is the number of updates applied so far.
func (a *Adam) Steps() int { return a.t }

// Step applies one update with learning rate lr from the gradients the last backward pass left in the
// nodes, updating the nodes' values in place.
func (a *Adam) Step(lr float64) error {
	a.t++
	c1 := 1 - math.Pow(a.Beta1, float64(a.t))
	c2 := 1 - math.Pow(a.Beta2, float64(a.t))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	stepSize := float32(lr * math.Sqrt(c2) / c1)
	eps := float32(a.Eps * math.Sqrt(c2))
	for i, p := range a.params {
		gv, err := p.Grad()
		if err != nil {
			return fmt.Errorf("adam: no gradient for %s: %w", p.Name(), err)
		}
		g, ok := gv.Data().([]float32)
		w, ok2 := p.Value().Data().([]float32)
		if !ok || !ok2 || len(g) != len(w) {
			return fmt.Errorf("adam: parameter %s is not a float32 tensor matching its gradient", p.Name())
		}
		m, v := a.m[i], a.v[i]
		shrink := float32(1)
		if a.decay != nil && a.decay[i] {
			shrink = float32(1 - lr*a.WeightDecay)
		}
		for j, gj := range g {
			mj := b1*m[j] + (1-b1)*gj
			vj := b2*v[j] + (1-b2)*gj*gj
			m[j], v[j] = mj, vj
			w[j] = w[j]*shrink - stepSize*mj/(float32(math.Sqrt(float64(vj)))+eps)
		}
		clear(g) // as gorgonia's solvers do: a gradient is consumed by the step that applies it
	}
	return nil
}

// CosineLR is a learning-rate schedule: a linear warm-up over the first warmup steps, then a cosine
// decay from base to base*floor at step total.
func CosineLR(base float64, step, warmup, total int, floor float64) float64 {
	if step < warmup {
		return base * float64(step+1) / float64(warmup)
	}
	if total <= warmup {
		return base
	}
	p := math.Min(1, float64(step-warmup)/float64(total-warmup))
	return base * (floor + (1-floor)*0.5*(1+math.Cos(math.Pi*p)))
}

// AdamState is an optimiser's resumable state: the step count and the first and second moments of
// every parameter, in the order the optimiser was built with.
type AdamState struct {
	T    int
	M, V [][]float32
}

// State returns a copy of the optimiser's state (for checkpoints).
func (a *Adam) State() AdamState {
	s := AdamState{T: a.t}
	for i := range a.m {
		s.M = append(s.M, append([]float32(nil), a.m[i]...))
		s.V = append(s.V, append([]float32(nil), a.v[i]...))
	}
	return s
}

// SetState restores a state saved by State; its moment shapes must match the parameters.
func (a *Adam) SetState(s AdamState) error {
	if len(s.M) != len(a.m) || len(s.V) != len(a.v) {
		return fmt.Errorf("adam: state has moments for %d parameters, the model has %d", len(s.M), len(a.m))
	}
	for i := range a.m {
		if len(s.M[i]) != len(a.m[i]) || len(s.V[i]) != len(a.v[i]) {
			return fmt.Errorf("adam: moments of %s have %d values, the parameter has %d",
				a.params[i].Name(), len(s.M[i]), len(a.m[i]))
		}
	}
	a.t = s.T
	for i := range a.m {
		copy(a.m[i], s.M[i])
		copy(a.v[i], s.V[i])
	}
	return nil
}
