package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2d adds a 2-D convolution without bias to x's graph: x is (B, C, H, W), w is (O, C, k, k), the
// result (B, O, OH, OW) with OH = (H + 2·pad − k)/stride + 1. It replaces gorgonia.Conv2d, whose
// im2col → matmul → transpose chain allocates and copies the whole batch several times per call:
// this op does im2col and one GEMM per sample straight into NCHW, on every core, and its gradients are
// two more ops of the same kind (conv2dInputGrad, conv2dWeightGrad).
func Conv2d(x, w *gorgonia.Node, stride, pad int) (*gorgonia.Node, error) {
	return conv2d(x, w, stride, pad, false, convLayout{})
}

// Conv2dOfData is Conv2d for an input that is data (images, constant planes): no gradient is built for
// x. gorgonia builds and runs an op's gradient for every input it calls differentiable, wanted or not;
// for a network's first layer on real images that gradient is a large GEMM and col2im thrown away.
func Conv2dOfData(x, w *gorgonia.Node, stride, pad int) (*gorgonia.Node, error) {
	return conv2d(x, w, stride, pad, true, convLayout{})
}

// Conv2dLayout is Conv2d (or with data Conv2dOfData) for an input in layout in, giving its output in
// layout out (see Layout); the gradients come back in the same layouts.
func Conv2dLayout(x, w *gorgonia.Node, stride, pad int, data bool, in, out Layout) (*gorgonia.Node, error) {
	return conv2d(x, w, stride, pad, data, convLayout{in: in, out: out})
}

func conv2d(x, w *gorgonia.Node, stride, pad int, data bool, lay convLayout) (*gorgonia.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 4 || len(ws) != 4 || ws[2] != ws[3] || xs[1] != ws[1] {
		return nil, fmt.Errorf("conv2d %s: input %v and weight %v do not fit (want (B,C,H,W) and (O,C,k,k))",
			w.Name(), xs, ws)
	}
	if !lay.in.fits(xs[1]) || !lay.out.fits(ws[0]) {
		return nil, fmt.Errorf("conv2d %s: %d input and %d output channels cannot be in layouts %v and %v",
			w.Name(), xs[1], ws[0], lay.in, lay.out)
	}
	g := convGeom{c: xs[1], h: xs[2], w: xs[3], o: ws[0], k: ws[2], stride: stride, pad: pad}
	if g.outH() < 1 || g.outW() < 1 || stride < 1 || pad < 0 {
		return nil, fmt.Errorf("conv2d %s: a %d×%d kernel with stride %d and pad %d does not fit a %d×%d input",
			w.Name(), g.k, g.k, stride, pad, g.h, g.w)
	}
	return gorgonia.ApplyOp(&conv2dOp{geom: g, data: data, lay: lay}, x, w)
}

// convGeom is one convolution's shape: input channels and size, output channels, kernel, stride, pad.
type convGeom struct{ c, h, w, o, k, stride, pad int }

func (g convGeom) outH() int   { return (g.h+2*g.pad-g.k)/g.stride + 1 }
func (g convGeom) outW() int   { return (g.w+2*g.pad-g.k)/g.stride + 1 }
func (g convGeom) rows() int   { return g.c * g.k * g.k }
func (g convGeom) cols() int   { return g.outH() * g.outW() }
func (g convGeom) inSize() int { return g.c * g.h * g.w }
func (g convGeom) String() string {
	return fmt.Sprintf("c%d h%d w%d o%d k%d s%d p%d", g.c, g.h, g.w, g.o, g.k, g.stride, g.pad)
}

// validRange returns the output columns [lo, hi) whose input column x·stride − pad + kj lies inside
// [0, w), so the inner loops below run without bounds tests.
func (g convGeom) validRange(kj, ow int) (lo, hi int) {
	off := g.pad - kj // input column of output x is x·stride − off
	lo = max(0, (off+g.stride-1)/g.stride)
	if off < 0 {
		lo = 0
	}
	if g.w-1+off < 0 { // every tap of this column falls left of the input
		return 0, 0
	}
	hi = min(ow, (g.w-1+off)/g.stride+1)
	return lo, max(hi, lo)
}

// im2col writes the (C·k·k) × (OH·OW) patch matrix of one CHW sample into col.
func (g convGeom) im2col(col, x []float32) {
	oh, ow := g.outH(), g.outW()
	n := oh * ow
	for c := 0; c < g.c; c++ {
		plane := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[((c*g.k+ki)*g.k+kj)*n:][:n]
				lo, hi := g.validRange(kj, ow)
				for y := 0; y < oh; y++ {
					iy := y*g.stride - g.pad + ki
					dst := row[y*ow : (y+1)*ow]
					if iy < 0 || iy >= g.h {
						clear(dst)
						continue
					}
					src := plane[iy*g.w : (iy+1)*g.w]
					clear(dst[:lo])
					clear(dst[hi:])
					start := lo*g.stride - g.pad + kj
					if g.stride == 1 {
						copy(dst[lo:hi], src[start:start+hi-lo])
						continue
					}
					d := dst[lo:hi]
					for i := range d {
						d[i] = src[start+i*g.stride]
					}
				}
			}
		}
	}
}

// col2im adds the patch-matrix gradient col back into the CHW gradient dx (the adjoint of im2col).
func (g convGeom) col2im(dx, col []float32) {
	oh, ow := g.outH(), g.outW()
	n := oh * ow
	for c := 0; c < g.c; c++ {
		plane := dx[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[((c*g.k+ki)*g.k+kj)*n:][:n]
				lo, hi := g.validRange(kj, ow)
				if hi <= lo {
					continue
				}
				for y := 0; y < oh; y++ {
					iy := y*g.stride - g.pad + ki
					if iy < 0 || iy >= g.h {
						continue
					}
					start := lo*g.stride - g.pad + kj
					src := row[y*ow+lo : y*ow+hi]
					if g.stride == 1 {
						dst := plane[iy*g.w+start : iy*g.w+start+len(src)]
						for i, v := range src {
							dst[i] += v
						}
						continue
					}
					dst := plane[iy*g.w : (iy+1)*g.w]
					for i, v := range src {
						dst[start+i*g.stride] += v
					}
				}
			}
		}
	}
}

// convForward computes y (B, O, OH, OW) = conv(x (B, C, H, W), w (O, C, k, k)) with im2col and one
// GEMM per sample: the OpenBLAS and pure-Go backends, and the oneDNN build's fallback (runConv).
func convForward(g convGeom, batch int, y, x, w []float32) {
	cols := make([][]float32, Workers())
	outSize := g.o * g.cols()
	ForEachSample(batch, func(worker, i int) {
		if cols[worker] == nil {
			cols[worker] = make([]float32, g.rows()*g.cols())
		}
		col := cols[worker]
		g.im2col(col, x[i*g.inSize():(i+1)*g.inSize()])
		Gemm(false, false, g.o, g.cols(), g.rows(), 1, w, g.rows(), col, g.cols(), 0, y[i*outSize:(i+1)*outSize], g.cols())
	})
}

// convInputGrad computes dx from w and dy.
func convInputGrad(g convGeom, batch int, dx, w, dy []float32) {
	cols := make([][]float32, Workers())
	outSize := g.o * g.cols()
	ForEachSample(batch, func(worker, i int) {
		if cols[worker] == nil {
			cols[worker] = make([]float32, g.rows()*g.cols())
		}
		col := cols[worker]
		Gemm(true, false, g.rows(), g.cols(), g.o, 1, w, g.rows(), dy[i*outSize:(i+1)*outSize], g.cols(), 0, col, g.cols())
		d := dx[i*g.inSize() : (i+1)*g.inSize()]
		clear(d)
		g.col2im(d, col)
	})
}

// convWeightGrad computes dw from x and dy, summing per-worker partial gradients in worker order.
func convWeightGrad(g convGeom, batch int, dw, x, dy []float32) {
	workers := min(Workers(), batch)
	cols := make([][]float32, workers)
	parts := make([][]float32, workers)
	outSize := g.o * g.cols()
	ForEachSample(batch, func(worker, i int) {
		if cols[worker] == nil {
			cols[worker] = make([]float32, g.rows()*g.cols())
			parts[worker] = make([]float32, len(dw))
		}
		col := cols[worker]
		g.im2col(col, x[i*g.inSize():(i+1)*g.inSize()])
		Gemm(false, true, g.o, g.rows(), g.cols(), 1, dy[i*outSize:(i+1)*outSize], g.cols(), col, g.cols(), 1, parts[worker], g.rows())
	})
	copy(dw, parts[0])
	for _, p := range parts[1:] {
		for j, v := range p {
			dw[j] += v
		}
	}
}

// gemmConv runs one of the three computations with the im2col + GEMM kernels above.
func gemmConv(kind convKind, g convGeom, batch int, out, a, b []float32) {
	switch kind {
	case convFwd:
		convForward(g, batch, out, a, b)
	case convDInput:
		convInputGrad(g, batch, out, a, b)
	default:
		convWeightGrad(g, batch, out, a, b)
	}
}

// ---- gorgonia ops ----

// convKind says which of the three computations an op performs.
type convKind int

const (
	convFwd     convKind = iota // (x, w) → y
	convDInput                  // (w, dy) → dx
	convDWeight                 // (x, dy) → dw
)

type conv2dOp struct {
	plainOp
	geom convGeom
	kind convKind
	data bool       // the input is data: no gradient for it (Conv2dOfData)
	lay  convLayout // the activations' layouts
}

func (op *conv2dOp) Arity() int { return 2 }

func (op *conv2dOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := gorgonia.TensorType{Dims: 4, Of: a}
	return hm.NewFnType(t, t, t)
}

func (op *conv2dOp) InferShape(inputs ...gorgonia.DimSizer) (tensor.Shape, error) {
	first, ok := inputs[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("conv2d: expected a shape, got %T", inputs[0])
	}
	g := op.geom
	switch op.kind {
	case convFwd:
		return tensor.Shape{first[0], g.o, g.outH(), g.outW()}, nil
	case convDInput:
		second := inputs[1].(tensor.Shape)
		return tensor.Shape{second[0], g.c, g.h, g.w}, nil
	default:
		return tensor.Shape{g.o, g.c, g.k, g.k}, nil
	}
}

func (op *conv2dOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	a, b, err := twoFloat32(op, inputs)
	if err != nil {
		return nil, err
	}
	g := op.geom
	switch op.kind {
	case convFwd:
		batch := inputs[0].Shape()[0]
		y := op.outAll(batch * g.o * g.cols())
		runConv(convFwd, g, op.lay, batch, y, a, b)
		return tensor.New(tensor.WithShape(batch, g.o, g.outH(), g.outW()), tensor.WithBacking(y)), nil
	case convDInput:
		batch := inputs[1].Shape()[0]
		dx := op.outAll(batch * g.inSize())
		runConv(convDInput, g, op.lay, batch, dx, a, b)
		return tensor.New(tensor.WithShape(batch, g.c, g.h, g.w), tensor.WithBacking(dx)), nil
	default:
		batch := inputs[0].Shape()[0]
		dw := op.outAll(g.o * g.rows())
		runConv(convDWeight, g, op.lay, batch, dw, a, b)
		return tensor.New(tensor.WithShape(g.o, g.c, g.k, g.k), tensor.WithBacking(dw)), nil
	}
}

// conv2dOp's CallsExtern (plainOp's) is false although OpenBLAS and oneDNN are cgo calls: true tells
// gorgonia to batch and preallocate for its own BLAS wrappers, which this op does not use.
func (op *conv2dOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s", op) }
func (op *conv2dOp) Hashcode() uint32      { return hashOf(op) }
func (op *conv2dOp) String() string {
	return fmt.Sprintf("Conv2d%d{%v data=%v%v}", op.kind, op.geom, op.data, op.lay)
}

func (op *conv2dOp) DiffWRT(int) []bool { return []bool{!op.data, true} }

func (op *conv2dOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.kind != convFwd {
		return nil, fmt.Errorf("conv2d: second derivatives are not implemented")
	}
	x, w := inputs[0], inputs[1]
	var dx *gorgonia.Node
	if !op.data {
		var err error
		if dx, err = gorgonia.ApplyOp(&conv2dOp{geom: op.geom, kind: convDInput, lay: op.lay}, w, grad); err != nil {
			return nil, err
		}
	}
	dw, err := gorgonia.ApplyOp(&conv2dOp{geom: op.geom, kind: convDWeight, lay: op.lay}, x, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw}, nil
}

// twoFloat32 returns the backing slices of an op's two float32 tensor inputs.
func twoFloat32(op fmt.Stringer, inputs []gorgonia.Value) (a, b []float32, err error) {
	if len(inputs) != 2 {
		return nil, nil, fmt.Errorf("%s: expected 2 inputs, got %d", op, len(inputs))
	}
	a, err = float32s(op, inputs[0])
	if err != nil {
		return nil, nil, err
	}
	b, err = float32s(op, inputs[1])
	return a, b, err
}

func float32s(op fmt.Stringer, v gorgonia.Value) ([]float32, error) {
	t, ok := v.(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("%s: expected a tensor input, got %T", op, v)
	}
	if !t.IsNativelyAccessible() || t.RequiresIterator() {
		if d, ok := t.(*tensor.Dense); ok {
			m := d.Materialize()
			t = m
		}
	}
	data, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("%s: expected float32 data, got %T", op, t.Data())
	}
	return data, nil
}

func hashOf(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s", op)
	return h.Sum32()
}

// ConvForward convolves a batch x (batch, c, h, w) with weight (O, c, k, k) at the given stride and
// padding and returns y (batch, O, oh, ow): the graph op's forward pass, for inference without a graph.
func ConvForward(x []float32, batch, c, h, w int, weight Tensor, stride, pad int) (y []float32, oh, ow int) {
	g := convGeom{c: c, h: h, w: w, o: weight.Shape[0], k: weight.Shape[2], stride: stride, pad: pad}
	y = make([]float32, batch*g.o*g.cols())
	runConv(convFwd, g, convLayout{}, batch, y, x, weight.Data)
	return y, g.outH(), g.outW()
}
