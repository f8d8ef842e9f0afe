package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Upsample2x adds a nearest-neighbour ×2 upsampling of x (B, C, H, W) → (B, C, 2H, 2W) to its graph,
// PyTorch's Upsample(scale_factor=2, mode='nearest'). gorgonia's Upsample2D does the same through
// per-element interface calls, which cost more than the convolution that follows it.
func Upsample2x(x *gorgonia.Node) (*gorgonia.Node, error) {
	return Upsample2xIn(x, NCHW)
}

// Upsample2xIn is Upsample2x of x in layout lay; its output and gradient are in the same layout.
func Upsample2xIn(x *gorgonia.Node, lay Layout) (*gorgonia.Node, error) {
	if x.Shape().Dims() != 4 {
		return nil, fmt.Errorf("upsample: input %v is not (B, C, H, W)", x.Shape())
	}
	if !lay.fits(x.Shape()[1]) {
		return nil, fmt.Errorf("upsample: %d channels cannot be in layout %v", x.Shape()[1], lay)
	}
	return gorgonia.ApplyOp(&pointOp{kind: upsample, lay: lay}, x)
}

// ReLU adds max(x, 0) to x's graph.
func ReLU(x *gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(&pointOp{kind: relu}, x)
}

// LeakyReLU adds x for x > 0 and slope·x otherwise to x's graph.
func LeakyReLU(x *gorgonia.Node, slope float32) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(&pointOp{kind: relu, slope: slope}, x)
}

type pointKind int

const (
	relu         pointKind = iota // (x) → y; slope 0 is a ReLU
	reluGrad                      // (x, dy) → dx
	upsample                      // (x) → y
	upsampleGrad                  // (dy) → dx, summing each 2×2 block
)

type pointOp struct {
	plainOp
	kind  pointKind
	slope float32
	lay   Layout // upsampling's: NChw16c moves a pixel's 16 channels as one
}

func (op *pointOp) Arity() int {
	if op.kind == reluGrad {
		return 2
	}
	return 1
}

func (op *pointOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	if op.kind == reluGrad {
		return hm.NewFnType(a, a, a)
	}
	return hm.NewFnType(a, a)
}

func (op *pointOp) InferShape(inputs ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := inputs[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: expected a shape, got %T", op, inputs[0])
	}
	s = s.Clone()
	switch op.kind {
	case upsample:
		s[2], s[3] = s[2]*2, s[3]*2
	case upsampleGrad:
		s[2], s[3] = s[2]/2, s[3]/2
	}
	return s, nil
}

func (op *pointOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	x, shape, err := firstInput(op, inputs)
	if err != nil {
		return nil, err
	}
	// Each sample of the batch is done on its own core: these ops ran on one core while the other
	// waited, about a tenth of a training step.
	batch := 1
	if len(shape) == 4 {
		batch = max(1, shape[0])
	}
	switch op.kind {
	case relu:
		y := op.outAll(len(x))
		per := len(x) / batch
		ForEachSample(batch, func(_, b int) {
			lo, hi := b*per, (b+1)*per
			leakyInto(y[lo:hi], x[lo:hi], x[lo:hi], op.slope)
		})
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(y)), nil
	case reluGrad:
		dy, err := float32s(op, inputs[1])
		if err != nil {
			return nil, err
		}
		dx := op.outAll(len(x))
		per := len(x) / batch
		ForEachSample(batch, func(_, b int) {
			lo, hi := b*per, (b+1)*per
			leakyInto(dx[lo:hi], x[lo:hi], dy[lo:hi], op.slope)
		})
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dx)), nil
	case upsample:
		h, w := shape[2], shape[3]
		channels := shape[1]
		y := op.outAll(len(x) * 4)
		shape[2], shape[3] = 2*h, 2*w
		if op.lay == NChw16c {
			upsampleBlocked(y, x, batch, channels/Blk, h, w)
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(y)), nil
		}
		ForEachSample(batch, func(_, b int) {
			for p := b * channels; p < (b+1)*channels; p++ {
				src, dst := x[p*h*w:(p+1)*h*w], y[p*4*h*w:(p+1)*4*h*w]
				for i := 0; i < h; i++ {
					row := dst[2*i*2*w : (2*i+1)*2*w]
					for j, v := range src[i*w : (i+1)*w] {
						row[2*j], row[2*j+1] = v, v
					}
					copy(dst[(2*i+1)*2*w:(2*i+2)*2*w], row)
				}
			}
		})
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(y)), nil
	default:
		h, w := shape[2]/2, shape[3]/2
		channels := shape[1]
		dx := op.outAll(len(x) / 4)
		shape[2], shape[3] = h, w
		if op.lay == NChw16c {
			upsampleGradBlocked(dx, x, batch, channels/Blk, h, w)
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dx)), nil
		}
		ForEachSample(batch, func(_, b int) {
			for p := b * channels; p < (b+1)*channels; p++ {
				src, dst := x[p*4*h*w:(p+1)*4*h*w], dx[p*h*w:(p+1)*h*w]
				for i := 0; i < h; i++ {
					r0, r1 := src[2*i*2*w:(2*i+1)*2*w], src[(2*i+1)*2*w:(2*i+2)*2*w]
					for j := 0; j < w; j++ {
						dst[i*w+j] = r0[2*j] + r0[2*j+1] + r1[2*j] + r1[2*j+1]
					}
				}
			}
		})
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dx)), nil
	}
}

// leaky returns g where v > 0 and g·slope elsewhere, without a branch: the sign of an activation is
// a coin toss, and a mispredicted branch per element made ReLU and its gradient cost more than the
// memory they touch. The comparison sets an integer mask, which the compiler turns into a CMOV.
func leaky(v, g, slope float32) float32 {
	var m uint32
	if v > 0 {
		m = ^uint32(0)
	}
	return math.Float32frombits(math.Float32bits(g)&m | math.Float32bits(g*slope)&^m)
}

// goLeakyInto writes leaky(v[i], g[i], slope) into out[i] (the oneDNN build's leakyInto does it in C).
func goLeakyInto(out, v, g []float32, slope float32) {
	g = g[:len(v)]
	out = out[:len(v)]
	for i, x := range v {
		out[i] = leaky(x, g[i], slope)
	}
}

func (op *pointOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s", op) }
func (op *pointOp) Hashcode() uint32      { return hashOf(op) }
func (op *pointOp) String() string {
	if op.lay == NChw16c {
		return fmt.Sprintf("Point%d(%g){%v}", op.kind, op.slope, op.lay)
	}
	return fmt.Sprintf("Point%d(%g)", op.kind, op.slope)
}

func (op *pointOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = op.kind == relu || op.kind == upsample
	}
	return out
}

func (op *pointOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	var d *gorgonia.Node
	var err error
	switch op.kind {
	case relu:
		d, err = gorgonia.ApplyOp(&pointOp{kind: reluGrad, slope: op.slope}, inputs[0], grad)
	case upsample:
		d, err = gorgonia.ApplyOp(&pointOp{kind: upsampleGrad, lay: op.lay}, grad)
	default:
		return nil, fmt.Errorf("%s: second derivatives are not implemented", op)
	}
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{d}, nil
}

// upsampleBlocked is the ×2 nearest-neighbour upsampling of x in NChw16c (blocks channel blocks a
// sample): each pixel's 16 values are copied to the four pixels it becomes.
func upsampleBlocked(y, x []float32, batch, blocks, h, w int) {
	ForEachSample(batch, func(_, b int) {
		for p := b * blocks; p < (b+1)*blocks; p++ {
			src, dst := x[p*h*w*Blk:][:h*w*Blk], y[p*4*h*w*Blk:][:4*h*w*Blk]
			row := 2 * w * Blk // one output row
			for i := 0; i < h; i++ {
				out := dst[2*i*row:][:row]
				for j := 0; j < w; j++ {
					v := src[(i*w+j)*Blk:][:Blk]
					copy(out[2*j*Blk:][:Blk], v)
					copy(out[(2*j+1)*Blk:][:Blk], v)
				}
				copy(dst[(2*i+1)*row:][:row], out)
			}
		}
	})
}

// upsampleGradBlocked sums each 2×2 block of dy (NChw16c) into dx, pixel by pixel.
func upsampleGradBlocked(dx, dy []float32, batch, blocks, h, w int) {
	ForEachSample(batch, func(_, b int) {
		for p := b * blocks; p < (b+1)*blocks; p++ {
			src, dst := dy[p*4*h*w*Blk:][:4*h*w*Blk], dx[p*h*w*Blk:][:h*w*Blk]
			row := 2 * w * Blk
			for i := 0; i < h; i++ {
				r0, r1 := src[2*i*row:][:row], src[(2*i+1)*row:][:row]
				for j := 0; j < w; j++ {
					a, c := r0[2*j*Blk:][:2*Blk:2*Blk], r1[2*j*Blk:][:2*Blk:2*Blk]
					o := dst[(i*w+j)*Blk:][:Blk:Blk]
					for l := range o {
						o[l] = a[l] + a[Blk+l] + c[l] + c[Blk+l]
					}
				}
			}
		}
	})
}
