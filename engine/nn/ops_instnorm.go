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
// InstanceNorm2d(affine=True) in one op; its three gradients recompute the plane statistics, which
// costs far less than the convolutions around them and keeps no state between calls.
func InstanceNorm(x, gamma, beta *gorgonia.Node) (*gorgonia.Node, error) {
	xs := x.Shape()
	if len(xs) != 4 || gamma.Shape().TotalSize() != xs[1] || beta.Shape().TotalSize() != xs[1] {
		return nil, fmt.Errorf("instance norm %s: input %v needs scale and shift of %d values, got %v and %v",
			gamma.Name(), xs, xs[1], gamma.Shape(), beta.Shape())
	}
	return gorgonia.ApplyOp(&instNormOp{kind: inFwd}, x, gamma, beta)
}

type inKind int

const (
	inFwd    inKind = iota // (x, gamma, beta) → y
	inDInput               // (x, gamma, dy) → dx
	inDGamma               // (x, dy) → dgamma
	inDBeta                // (dy) → dbeta
)

type instNormOp struct{ kind inKind }

// planeStats returns the mean and 1/sqrt(var+eps) of one plane.
func planeStats(p []float32) (mean, inv float32) {
	m := sum(p) / float64(len(p))
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
	v := (q[0] + q[1]) + (q[2] + q[3])
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

// InstanceNormForward is the op's forward pass on raw slices (x and y are B×C×HW).
func InstanceNormForward(y, x, gamma, beta []float32, batch, channels int) {
	hw := len(x) / (batch * channels)
	ForEachSample(batch, func(_, b int) {
		for c := 0; c < channels; c++ {
			off := (b*channels + c) * hw
			p := x[off : off+hw]
			m, inv := planeStats(p)
			sc, sh := inv*gamma[c], beta[c]-m*inv*gamma[c]
			out := y[off : off+hw]
			for i, v := range p {
				out[i] = v*sc + sh
			}
		}
	})
}

func (op *instNormOp) Arity() int {
	switch op.kind {
	case inDGamma:
		return 2
	case inDBeta:
		return 1
	}
	return 3
}

func (op *instNormOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4 := gorgonia.TensorType{Dims: 4, Of: a}
	t1 := gorgonia.TensorType{Dims: 1, Of: a}
	switch op.kind {
	case inFwd:
		return hm.NewFnType(t4, t1, t1, t4)
	case inDInput:
		return hm.NewFnType(t4, t1, t4, t4)
	case inDGamma:
		return hm.NewFnType(t4, t4, t1)
	default:
		return hm.NewFnType(t4, t1)
	}
}

func (op *instNormOp) InferShape(inputs ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := inputs[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("instance norm: expected a shape, got %T", inputs[0])
	}
	if op.kind == inDGamma || op.kind == inDBeta {
		return tensor.Shape{s[1]}, nil
	}
	return s.Clone(), nil
}

func (op *instNormOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
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
		y := make([]float32, len(in[0]))
		InstanceNormForward(y, in[0], in[1], in[2], batch, channels)
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(y)), nil
	case inDInput:
		x, gamma, dy := in[0], in[1], in[2]
		dx := make([]float32, len(x))
		ForEachSample(batch, func(_, b int) {
			for c := 0; c < channels; c++ {
				off := (b*channels + c) * hw
				p, g, d := x[off:off+hw], dy[off:off+hw], dx[off:off+hw]
				m, inv := planeStats(p)
				// dx = inv/N·(N·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)) with dx̂ = dy·gamma.
				sd, sdx := sum(g), normDot(p, g, m, inv)
				n := float32(hw)
				k1 := float32(sd) / n
				k2 := float32(sdx) / n
				gc := gamma[c] * inv
				for i, v := range p {
					d[i] = gc * (g[i] - k1 - (v-m)*inv*k2)
				}
			}
		})
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(dx)), nil
	case inDGamma:
		x, dy := in[0], in[1]
		dg := make([]float32, channels)
		perSample := make([]float64, batch*channels)
		ForEachSample(batch, func(_, b int) {
			for c := 0; c < channels; c++ {
				off := (b*channels + c) * hw
				p, g := x[off:off+hw], dy[off:off+hw]
				m, inv := planeStats(p)
				perSample[b*channels+c] = normDot(p, g, m, inv)
			}
		})
		sumOverBatch(dg, perSample, batch, channels)
		return tensor.New(tensor.WithShape(channels), tensor.WithBacking(dg)), nil
	default:
		dy := in[0]
		db := make([]float32, channels)
		perSample := make([]float64, batch*channels)
		for i := range perSample {
			perSample[i] = sum(dy[i*hw : (i+1)*hw])
		}
		sumOverBatch(db, perSample, batch, channels)
		return tensor.New(tensor.WithShape(channels), tensor.WithBacking(db)), nil
	}
}

// sumOverBatch adds per-(sample, channel) sums into one value per channel, in sample order.
func sumOverBatch(dst []float32, perSample []float64, batch, channels int) {
	for c := 0; c < channels; c++ {
		var s float64
		for b := 0; b < batch; b++ {
			s += perSample[b*channels+c]
		}
		dst[c] = float32(s)
	}
}

func (op *instNormOp) ReturnsPtr() bool      { return false }
func (op *instNormOp) CallsExtern() bool     { return false }
func (op *instNormOp) OverwritesInput() int  { return -1 }
func (op *instNormOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s", op) }
func (op *instNormOp) Hashcode() uint32      { return hashOf(op) }
func (op *instNormOp) String() string        { return fmt.Sprintf("InstanceNorm%d", op.kind) }

func (op *instNormOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = op.kind == inFwd
	}
	return out
}

func (op *instNormOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.kind != inFwd {
		return nil, fmt.Errorf("instance norm: second derivatives are not implemented")
	}
	x, gamma := inputs[0], inputs[1]
	dx, err := gorgonia.ApplyOp(&instNormOp{kind: inDInput}, x, gamma, grad)
	if err != nil {
		return nil, err
	}
	dg, err := gorgonia.ApplyOp(&instNormOp{kind: inDGamma}, x, grad)
	if err != nil {
		return nil, err
	}
	db, err := gorgonia.ApplyOp(&instNormOp{kind: inDBeta}, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dg, db}, nil
}
