package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Tapped holds a copy of a node's value taken when the graph ran past it.
type Tapped struct{ Data []float32 }

// Tap inserts an identity op after x that copies x's value into the returned Tapped on every run and
// passes a copy on. Reading a node's Value after a run is not reliable in gorgonia: the tape machine
// lets later ops (and gradient ops) overwrite values in place once nothing else needs them, which
// silently turned read-back outputs into (output − 1) or tanh′ values. Consumers must use the
// returned node instead of x.
func Tap(x *gorgonia.Node) (*gorgonia.Node, *Tapped, error) {
	t := &Tapped{}
	n, err := gorgonia.ApplyOp(&tapOp{out: t}, x)
	if err != nil {
		return nil, nil, fmt.Errorf("tap %s: %w", x.Name(), err)
	}
	return n, t, nil
}

// Scalar returns the first tapped value (for scalar losses).
func (t *Tapped) Scalar() float64 {
	if len(t.Data) == 0 {
		return 0
	}
	return float64(t.Data[0])
}

type tapOp struct {
	plainOp
	out *Tapped
}

func (op *tapOp) Arity() int { return 1 }
func (op *tapOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op *tapOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("tap: expected a shape, got %T", in[0])
	}
	return s.Clone(), nil
}

func (op *tapOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("tap: expected 1 input, got %d", len(inputs))
	}
	v := inputs[0]
	switch d := v.Data().(type) {
	case float32: // a scalar
		op.out.Data = append(op.out.Data[:0], d)
		return gorgonia.NewF32(d), nil
	case []float32:
		op.out.Data = append(op.out.Data[:0], d...)
		return tensor.New(tensor.WithShape(v.Shape().Clone()...), tensor.WithBacking(append([]float32(nil), d...))), nil
	default:
		return nil, fmt.Errorf("tap: expected float32 data, got %T", d)
	}
}

func (op *tapOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "Tap%p", op.out) }
func (op *tapOp) Hashcode() uint32      { return hashOf(op) }
func (op *tapOp) String() string        { return fmt.Sprintf("Tap%p", op.out) }
func (op *tapOp) DiffWRT(int) []bool    { return []bool{true} }

func (op *tapOp) SymDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	return gorgonia.Nodes{grad}, nil
}
