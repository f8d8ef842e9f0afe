package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConcatChannels adds the concatenation of a (B, Ca, H, W) and b (B, Cb, H, W) along the channels,
// (B, Ca+Cb, H, W) in NCHW, to their graph: the generator's input, an image and its target style's
// planes. gorgonia's Concat and the slices of its gradient copy element by element through an iterator
// (5% of a GAN training step); this op and its gradient copy each sample's planes as one block.
func ConcatChannels(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	as, bs := a.Shape(), b.Shape()
	if len(as) != 4 || len(bs) != 4 || as[0] != bs[0] || as[2] != bs[2] || as[3] != bs[3] {
		return nil, fmt.Errorf("concat: %v and %v are not (B, C, H, W) with the same B, H and W", as, bs)
	}
	return gorgonia.ApplyOp(&concatOp{ca: as[1], cb: bs[1]}, a, b)
}

// concatOp joins two NCHW tensors along the channels, or (with part 1 or 2) takes the gradient of
// its first or second input out of the joined gradient.
type concatOp struct {
	plainOp
	ca, cb int
	part   int // 0: the concatenation; 1, 2: channels [0, ca) or [ca, ca+cb) of its input
}

func (op *concatOp) Arity() int {
	if op.part == 0 {
		return 2
	}
	return 1
}

func (op *concatOp) Type() hm.Type {
	t := gorgonia.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	if op.part == 0 {
		return hm.NewFnType(t, t, t)
	}
	return hm.NewFnType(t, t)
}

func (op *concatOp) InferShape(inputs ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := inputs[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: expected a shape, got %T", op, inputs[0])
	}
	s = s.Clone()
	s[1] = [...]int{op.ca + op.cb, op.ca, op.cb}[op.part]
	return s, nil
}

func (op *concatOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	x, shape, err := firstInput(op, inputs)
	if err != nil {
		return nil, err
	}
	batch, hw := shape[0], shape[2]*shape[3]
	ca, cb := op.ca*hw, op.cb*hw // values per sample
	switch op.part {
	case 0:
		y, err := float32s(op, inputs[1])
		if err != nil {
			return nil, err
		}
		out := op.outAll(batch * (ca + cb))
		for i := 0; i < batch; i++ {
			copy(out[i*(ca+cb):][:ca], x[i*ca:][:ca])
			copy(out[i*(ca+cb)+ca:][:cb], y[i*cb:][:cb])
		}
		shape[1] = op.ca + op.cb
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
	default:
		off, n := 0, ca
		if op.part == 2 {
			off, n = ca, cb
		}
		out := op.outAll(batch * n)
		for i := 0; i < batch; i++ {
			copy(out[i*n:][:n], x[i*(ca+cb)+off:][:n])
		}
		shape[1] = n / hw
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
	}
}

func (op *concatOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s", op) }
func (op *concatOp) Hashcode() uint32      { return hashOf(op) }
func (op *concatOp) String() string {
	return fmt.Sprintf("ConcatChannels%d{%d,%d}", op.part, op.ca, op.cb)
}

func (op *concatOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = op.part == 0
	}
	return out
}

func (op *concatOp) SymDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.part != 0 {
		return nil, fmt.Errorf("%s: second derivatives are not implemented", op)
	}
	da, err := gorgonia.ApplyOp(&concatOp{ca: op.ca, cb: op.cb, part: 1}, grad)
	if err != nil {
		return nil, err
	}
	db, err := gorgonia.ApplyOp(&concatOp{ca: op.ca, cb: op.cb, part: 2}, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{da, db}, nil
}
