package nn

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// plainOp is what every op here shares: it computes a new value in Go, overwriting none of its inputs,
// into an output buffer it keeps from run to run. A training step runs each op once, and its value
// is read (or copied) before the next step runs it again; allocating afresh every time made the
// default GAN step spend about a fifth of its time in the kernel, faulting in and zeroing the pages
// the garbage collector had just returned.
type plainOp struct{ buf []float32 }

func (*plainOp) ReturnsPtr() bool     { return false }
func (*plainOp) CallsExtern() bool    { return false }
func (*plainOp) OverwritesInput() int { return -1 }

// outAll returns the op's output buffer of n values, not zeroed: for ops that write every value.
// Clearing it first cost about 3% of a GAN training step.
func (p *plainOp) outAll(n int) []float32 {
	if cap(p.buf) < n {
		p.buf = make([]float32, n)
	}
	p.buf = p.buf[:n]
	return p.buf
}

// out returns the op's output buffer of n values, zeroed (as make would give it).
func (p *plainOp) out(n int) []float32 {
	b := p.outAll(n)
	clear(b)
	return b
}

// arityOp is an op that says how many inputs it takes.
type arityOp interface {
	fmt.Stringer
	Arity() int
}

// firstInput checks that op got its number of inputs and returns the first one's data and a copy of
// its shape.
func firstInput(op arityOp, inputs []gorgonia.Value) ([]float32, tensor.Shape, error) {
	if len(inputs) != op.Arity() {
		return nil, nil, fmt.Errorf("%s: expected %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	x, err := float32s(op, inputs[0])
	if err != nil {
		return nil, nil, err
	}
	return x, inputs[0].Shape().Clone(), nil
}
