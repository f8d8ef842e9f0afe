package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// INEpsilon is the instance-norm epsilon, PyTorch's InstanceNorm2d default.
const INEpsilon = 1e-5

// InstanceNorm adds instance normalisation with a learnable per-channel scale and shift to x's graph:
// every (sample, channel) plane of x (B, C, H, W) is normalised by its own mean and biased variance,
// then y = x̂·gamma[c] + beta[c] (gamma and beta have shape (C)). This is PyTorch's
// InstanceNorm2d(affine=True) in one op; its three gradient ops take the plane statistics and the
// gradient sums from the forward run (normRun).
func InstanceNorm(x, gamma, beta *gorgonia.Node) (*gorgonia.Node, error) {
	return InstanceNormIn(x, gamma, beta, NCHW, false)
}

// InstanceNormIn is InstanceNorm (with relu InstanceNormReLU) of x in layout lay; its output and
// gradients are in the same layout.
func InstanceNormIn(x, gamma, beta *gorgonia.Node, lay Layout, relu bool) (*gorgonia.Node, error) {
	xs := x.Shape()
	if len(xs) != 4 || gamma.Shape().TotalSize() != xs[1] || beta.Shape().TotalSize() != xs[1] {
		return nil, fmt.Errorf("instance norm %s: input %v needs scale and shift of %d values, got %v and %v",
			gamma.Name(), xs, xs[1], gamma.Shape(), beta.Shape())
	}
	if !lay.fits(xs[1]) {
		return nil, fmt.Errorf("instance norm %s: %d channels cannot be in layout %v", gamma.Name(), xs[1], lay)
	}
	return gorgonia.ApplyOp(&normOp{kind: inFwd, param: tensor.Shape{xs[1]}, relu: relu, lay: lay, run: &normRun{}}, x, gamma, beta)
}

// InstanceNormReLU is InstanceNorm followed by a ReLU in one op: the same values bit for bit, one pass
// over the activations less each forward run (the ReLU reads and writes them again otherwise) and one
// activation-sized buffer less. Its gradient masks dy where the output is 0, as the ReLU's does.
func InstanceNormReLU(x, gamma, beta *gorgonia.Node) (*gorgonia.Node, error) {
	return InstanceNormIn(x, gamma, beta, NCHW, true)
}

// BatchNorm adds training-mode batch normalisation with a learnable per-channel scale and shift to x's
// graph: every channel of x (B, C, H, W) is normalised by the mean and biased variance of that channel
// over the whole batch, then y = x̂·gamma[c] + beta[c]. gamma and beta hold C values in any one shape
// (the classifier keeps them as (1, C, 1, 1)); their gradients come back in that shape.
//
// It replaced gorgonia's BatchNorm in the classifier's training graph: gorgonia's keeps running
// statistics the classifier never reads (it sets population statistics after training) and spent
// about an eighth of `classify`'s CPU time updating them element by element.
func BatchNorm(x, gamma, beta *gorgonia.Node) (*gorgonia.Node, error) {
	return batchNorm(x, gamma, beta, false)
}

// BatchNormReLU is BatchNorm followed by a ReLU in one op (see InstanceNormReLU).
func BatchNormReLU(x, gamma, beta *gorgonia.Node) (*gorgonia.Node, error) {
	return batchNorm(x, gamma, beta, true)
}

func batchNorm(x, gamma, beta *gorgonia.Node, relu bool) (*gorgonia.Node, error) {
	xs := x.Shape()
	if len(xs) != 4 || gamma.Shape().TotalSize() != xs[1] || !gamma.Shape().Eq(beta.Shape()) {
		return nil, fmt.Errorf("batch norm %s: input %v needs scale and shift of %d values in one shape, got %v and %v",
			gamma.Name(), xs, xs[1], gamma.Shape(), beta.Shape())
	}
	return gorgonia.ApplyOp(&normOp{kind: inFwd, batch: true, param: gamma.Shape().Clone(), relu: relu, run: &normRun{}}, x, gamma, beta)
}

type inKind int

const (
	inFwd    inKind = iota // (x, gamma, beta) → y
	inDInput               // (x, gamma, dy) → dx
	inDGamma               // (x, dy) → dgamma
	inDBeta                // (dy) → dbeta
)

// normOp is instance normalisation, or batch normalisation when batch is set: the statistics of a
// (sample, channel) plane are its own, or its channel's over the whole batch. The three gradient ops
// take them, and the gradient sums, from the forward op's normRun (both constructors set run).
type normOp struct {
	plainOp
	kind  inKind
	batch bool
	param tensor.Shape // the shape of gamma, beta and their gradients
	relu  bool         // the forward op's output goes through a ReLU (InstanceNormReLU, BatchNormReLU)
	lay   Layout       // the activations' layout (NChw16c: instance norm only)
	run   *normRun     // shared by the forward op and its three gradient ops
}

// normRun carries a forward run's statistics to its gradient ops, and the gradient sums from the first
// gradient op that needs them to the others: each recomputing them took 13 passes over the activations
// a training step instead of 6. Every gradient op of a run sees the x and dy the forward and the first
// gradient op saw (they are the same nodes), and the tape machine runs the forward first.
type normRun struct {
	gen       int // forward runs so far
	mean, inv []float32
	sumsOf    int       // the forward run sd and sdx belong to (0: none yet)
	sd, sdx   []float64 // per plane, before any per-channel total
}

// haveSums says whether sd and sdx are of the current forward run.
func (r *normRun) haveSums() bool { return r.gen > 0 && r.sumsOf == r.gen }

// stats returns the statistics the forward run computed.
func (op *normOp) stats(x []float32, batch, channels int) (mean, inv []float32) {
	if op.run.gen == 0 {
		return op.computeStats(x, batch, channels)
	}
	return op.run.mean, op.run.inv
}

// computeStats computes the statistics of x in the op's layout.
func (op *normOp) computeStats(x []float32, batch, channels int) (mean, inv []float32) {
	if op.lay == NChw16c {
		return blkStats(x, batch, channels)
	}
	return normStats(x, batch, channels, op.batch)
}

// sums returns Σdy and Σdy·x̂ per plane (not totalled over the batch), computed once a run.
func (op *normOp) sums(x, dy []float32, batch, channels int) (sd, sdx []float64) {
	r := op.run
	if r.haveSums() {
		return r.sd, r.sdx
	}
	mean, inv := op.stats(x, batch, channels)
	if op.lay == NChw16c {
		sd, sdx = blkSums(x, dy, mean, inv, batch, channels)
	} else {
		sd, sdx = normSums(x, dy, mean, inv, batch, channels)
	}
	if r.gen > 0 {
		r.sd, r.sdx, r.sumsOf = sd, sdx, r.gen
	}
	return sd, sdx
}

// planeStats returns the mean and 1/sqrt(var+eps) of one plane.
func planeStats(p []float32) (mean, inv float32) {
	m := sum(p) / float64(len(p))
	v := sqDev(p, m)
	return float32(m), float32(1 / math.Sqrt(v/float64(len(p))+INEpsilon))
}

// sum adds p in float64 with four running sums: one chain of dependent additions would leave the
// core waiting on each add's latency.
func sum(p []float32) float64 {
	var s [4]float64
	i := 0
	for ; i+4 <= len(p); i += 4 {
		s[0] += float64(p[i])
		s[1] += float64(p[i+1])
		s[2] += float64(p[i+2])
		s[3] += float64(p[i+3])
	}
	for ; i < len(p); i++ {
		s[0] += float64(p[i])
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// sqDev returns Σ (p[i] − m)² in float64 (four running sums, as in sum).
func sqDev(p []float32, m float64) float64 {
	var q [4]float64
	i := 0
	for ; i+4 <= len(p); i += 4 {
		d0, d1, d2, d3 := float64(p[i])-m, float64(p[i+1])-m, float64(p[i+2])-m, float64(p[i+3])-m
		q[0] += d0 * d0
		q[1] += d1 * d1
		q[2] += d2 * d2
		q[3] += d3 * d3
	}
	for ; i < len(p); i++ {
		d := float64(p[i]) - m
		q[0] += d * d
	}
	return (q[0] + q[1]) + (q[2] + q[3])
}

// normDot returns Σ g[i]·(p[i] − m)·inv in float64 (four running sums, as in sum).
func normDot(p, g []float32, m, inv float32) float64 {
	var s [4]float64
	g = g[:len(p)]
	i := 0
	for ; i+4 <= len(p); i += 4 {
		s[0] += float64(g[i]) * float64((p[i]-m)*inv)
		s[1] += float64(g[i+1]) * float64((p[i+1]-m)*inv)
		s[2] += float64(g[i+2]) * float64((p[i+2]-m)*inv)
		s[3] += float64(g[i+3]) * float64((p[i+3]-m)*inv)
	}
	for ; i < len(p); i++ {
		s[0] += float64(g[i]) * float64((p[i]-m)*inv)
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// InstanceNormForward is the instance-norm op's forward pass on raw slices (x and y are B×C×HW).
func InstanceNormForward(y, x, gamma, beta []float32, batch, channels int) {
	mean, inv := normStats(x, batch, channels, false)
	normApply(y, x, gamma, beta, mean, inv, batch, channels, false)
}

// normStats returns the mean and 1/sqrt(var+eps) of every (sample, channel) plane of x (B×C×HW), index
// b·C+c: the plane's own, or with batch its channel's over all samples (batch norm), from per-plane
// sums added in sample order, so the result does not depend on scheduling.
func normStats(x []float32, batch, channels int, perChannel bool) (mean, inv []float32) {
	planes := batch * channels
	hw := len(x) / planes
	mean, inv = make([]float32, planes), make([]float32, planes)
	if !perChannel {
		ForEachSample(batch, func(_, b int) {
			for i := b * channels; i < (b+1)*channels; i++ {
				mean[i], inv[i] = planeStats(x[i*hw : (i+1)*hw])
			}
		})
		return mean, inv
	}
	n := float64(batch * hw)
	part := make([]float64, planes)
	ForEachSample(batch, func(_, b int) {
		for i := b * channels; i < (b+1)*channels; i++ {
			part[i] = sum(x[i*hw : (i+1)*hw])
		}
	})
	m64 := channelTotals(part, batch, channels)
	for c := range m64 {
		m64[c] /= n
	}
	ForEachSample(batch, func(_, b int) {
		for c := 0; c < channels; c++ {
			i := b*channels + c
			part[i] = sqDev(x[i*hw:(i+1)*hw], m64[c])
		}
	})
	v := channelTotals(part, batch, channels)
	for i := range mean {
		c := i % channels
		mean[i] = float32(m64[c])
		inv[i] = float32(1 / math.Sqrt(v[c]/n+BNEpsilon))
	}
	return mean, inv
}

// channelTotals adds per-(sample, channel) values into one per channel, in sample order.
func channelTotals(perPlane []float64, batch, channels int) []float64 {
	out := make([]float64, channels)
	for c := range out {
		for b := 0; b < batch; b++ {
			out[c] += perPlane[b*channels+c]
		}
	}
	return out
}

// normApply writes y = (x − mean)·inv·gamma[c] + beta[c] plane by plane (then max(y, 0) with relu, as
// the ReLU op computes it).
func normApply(y, x, gamma, beta, mean, inv []float32, batch, channels int, relu bool) {
	hw := len(x) / (batch * channels)
	ForEachSample(batch, func(_, b int) {
		for c := 0; c < channels; c++ {
			i := b*channels + c
			sc := inv[i] * gamma[c]
			sh := beta[c] - mean[i]*sc
			out := y[i*hw : (i+1)*hw]
			if relu {
				for j, v := range x[i*hw : (i+1)*hw] {
					z := v*sc + sh
					out[j] = leaky(z, z, 0)
				}
				continue
			}
			for j, v := range x[i*hw : (i+1)*hw] {
				out[j] = v*sc + sh
			}
		}
	})
}

// normSums returns, per (sample, channel) plane, Σdy and Σdy·x̂ (x̂ with the plane's statistics).
func normSums(x, dy, mean, inv []float32, batch, channels int) (sd, sdx []float64) {
	planes := batch * channels
	hw := len(x) / planes
	sd, sdx = make([]float64, planes), make([]float64, planes)
	ForEachSample(batch, func(_, b int) {
		for i := b * channels; i < (b+1)*channels; i++ {
			p, g := x[i*hw:(i+1)*hw], dy[i*hw:(i+1)*hw]
			sd[i] = sum(g)
			sdx[i] = normDot(p, g, mean[i], inv[i])
		}
	})
	return sd, sdx
}

func (op *normOp) Arity() int {
	switch op.kind {
	case inDGamma:
		return 2
	case inDBeta:
		return 1
	}
	return 3
}

func (op *normOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4 := gorgonia.TensorType{Dims: 4, Of: a}
	tp := gorgonia.TensorType{Dims: len(op.param), Of: a}
	switch op.kind {
	case inFwd:
		return hm.NewFnType(t4, tp, tp, t4)
	case inDInput:
		return hm.NewFnType(t4, tp, t4, t4)
	case inDGamma:
		return hm.NewFnType(t4, t4, tp)
	default:
		return hm.NewFnType(t4, tp)
	}
}

func (op *normOp) InferShape(inputs ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := inputs[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: expected a shape, got %T", op, inputs[0])
	}
	if op.kind == inDGamma || op.kind == inDBeta {
		return op.param.Clone(), nil
	}
	return s.Clone(), nil
}

func (op *normOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%s: expected %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	in := make([][]float32, len(inputs))
	for i, v := range inputs {
		d, err := float32s(op, v)
		if err != nil {
			return nil, err
		}
		in[i] = d
	}
	shape := inputs[0].Shape()
	batch, channels := shape[0], shape[1]
	hw := shape.TotalSize() / (batch * channels)
	switch op.kind {
	case inFwd:
		x := in[0]
		mean, inv := op.computeStats(x, batch, channels)
		op.run.gen++
		op.run.mean, op.run.inv = mean, inv
		y := op.outAll(len(x))
		if op.lay == NChw16c {
			blkApply(y, x, in[1], in[2], mean, inv, batch, channels, op.relu)
		} else {
			normApply(y, x, in[1], in[2], mean, inv, batch, channels, op.relu)
		}
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(y)), nil
	case inDInput:
		x, gamma, dy := in[0], in[1], in[2]
		mean, inv := op.stats(x, batch, channels)
		sd, sdx := op.sums(x, dy, batch, channels)
		n := float32(hw)
		if op.batch {
			n *= float32(batch)
			td, tdx := channelTotals(sd, batch, channels), channelTotals(sdx, batch, channels)
			sd, sdx = make([]float64, len(sd)), make([]float64, len(sdx))
			for i := range sd {
				sd[i], sdx[i] = td[i%channels], tdx[i%channels]
			}
		}
		dx := op.outAll(len(x))
		if op.lay == NChw16c {
			blkInputGrad(dx, x, gamma, dy, mean, inv, sd, sdx, batch, channels)
			return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(dx)), nil
		}
		ForEachSample(batch, func(_, b int) {
			for c := 0; c < channels; c++ {
				i := b*channels + c
				// dx = inv/N·(N·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)) with dx̂ = dy·gamma, the sums over the group.
				k1, k2 := float32(sd[i])/n, float32(sdx[i])/n
				m, iv := mean[i], inv[i]
				gc := gamma[c] * iv
				p, g, d := x[i*hw:(i+1)*hw], dy[i*hw:(i+1)*hw], dx[i*hw:(i+1)*hw]
				for j, v := range p {
					d[j] = gc * (g[j] - k1 - (v-m)*iv*k2)
				}
			}
		})
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(dx)), nil
	case inDGamma:
		_, sdx := op.sums(in[0], in[1], batch, channels)
		return op.perChannel(sdx, batch, channels), nil
	default:
		if op.run.haveSums() {
			return op.perChannel(op.run.sd, batch, channels), nil
		}
		dy := in[0]
		if op.lay == NChw16c {
			return op.perChannel(blkPlaneSums(dy, batch, channels), batch, channels), nil
		}
		perPlane := make([]float64, batch*channels)
		for i := range perPlane {
			perPlane[i] = sum(dy[i*hw : (i+1)*hw])
		}
		return op.perChannel(perPlane, batch, channels), nil
	}
}

// perChannel adds per-plane values over the batch into a tensor of gamma's shape.
func (op *normOp) perChannel(perPlane []float64, batch, channels int) tensor.Tensor {
	t := channelTotals(perPlane, batch, channels)
	out := make([]float32, channels)
	for c, v := range t {
		out[c] = float32(v)
	}
	return tensor.New(tensor.WithShape(op.param.Clone()...), tensor.WithBacking(out))
}

func (op *normOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s", op) }
func (op *normOp) Hashcode() uint32      { return hashOf(op) }
func (op *normOp) String() string {
	relu := ""
	if op.relu {
		relu = "ReLU"
	}
	if op.batch {
		return fmt.Sprintf("BatchNorm%s%d%v", relu, op.kind, op.param)
	}
	if op.lay == NChw16c {
		return fmt.Sprintf("InstanceNorm%s%d{%v}", relu, op.kind, op.lay)
	}
	return fmt.Sprintf("InstanceNorm%s%d", relu, op.kind)
}

func (op *normOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = op.kind == inFwd
	}
	return out
}

func (op *normOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.kind != inFwd {
		return nil, fmt.Errorf("%s: second derivatives are not implemented", op)
	}
	x, gamma := inputs[0], inputs[1]
	if op.relu {
		// The ReLU's gradient from the fused output: it is > 0 exactly where the norm's output was.
		var err error
		if grad, err = gorgonia.ApplyOp(&pointOp{kind: reluGrad}, output, grad); err != nil {
			return nil, err
		}
	}
	with := func(k inKind) *normOp {
		return &normOp{kind: k, batch: op.batch, param: op.param, lay: op.lay, run: op.run}
	}
	dx, err := gorgonia.ApplyOp(with(inDInput), x, gamma, grad)
	if err != nil {
		return nil, err
	}
	dg, err := gorgonia.ApplyOp(with(inDGamma), x, grad)
	if err != nil {
		return nil, err
	}
	db, err := gorgonia.ApplyOp(with(inDBeta), grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dg, db}, nil
}
