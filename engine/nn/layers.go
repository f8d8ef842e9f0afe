package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// HeNormal returns n values drawn from N(0, 2/fanIn), the He et al. initialisation for layers
// followed by a ReLU. Every draw comes from rng, so the same seed gives the same weights.
func HeNormal(rng *rand.Rand, fanIn, n int) []float32 {
	std := math.Sqrt(2 / float64(max(fanIn, 1)))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64() * std)
	}
	return out
}

// Fill returns n copies of v (for batch-norm scales and biases).
func Fill(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// Param adds a learnable float32 node named name to g. Its value shares t.Data (no copy), so a solver
// step on the graph updates t in place.
func Param(g *gorgonia.ExprGraph, name string, t Tensor) *gorgonia.Node {
	v := tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(t.Data))
	return gorgonia.NewTensor(g, tensor.Float32, len(t.Shape), gorgonia.WithShape(t.Shape...),
		gorgonia.WithName(name), gorgonia.WithValue(v))
}

// Input adds a float32 input node of the given shape to g, backed by a new zeroed slice that the
// caller fills before each run (the returned slice).
func Input(g *gorgonia.ExprGraph, name string, shape ...int) (*gorgonia.Node, []float32) {
	data := make([]float32, shapeSize(shape))
	v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	n := gorgonia.NewTensor(g, tensor.Float32, len(shape), gorgonia.WithShape(shape...),
		gorgonia.WithName(name), gorgonia.WithValue(v))
	return n, data
}

// ConvBNReLU is a k×k convolution without bias (padding k/2, the given stride; the same convolution op
// as the GAN's, so oneDNN where built with it), a batch normalisation
// with a per-channel scale and shift, and a ReLU, in a gorgonia graph (NCHW, float32). Weight has shape
// (out, in, k, k); Gamma and Beta (1, out, 1, 1).
type ConvBNReLU struct {
	Weight, Gamma, Beta *gorgonia.Node
	Stride              int
	// Data says the block's input is data (images): no gradient is computed for it.
	Data bool
}

// BNEpsilon is the batch-norm epsilon used in training graphs and pure-Go inference alike.
const BNEpsilon = 1e-5

// Apply adds the block to x's graph and returns its output.
func (b *ConvBNReLU) Apply(x *gorgonia.Node) (*gorgonia.Node, error) {
	ws := b.Weight.Shape()
	k := ws[2]
	conv, err := conv2d(x, b.Weight, b.Stride, k/2, b.Data, convLayout{})
	if err != nil {
		return nil, fmt.Errorf("conv %s: %w", b.Weight.Name(), err)
	}
	return BatchNormReLU(conv, b.Gamma, b.Beta)
}
