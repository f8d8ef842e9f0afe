package nn

import (
	"fmt"
	"hash"
	"math/rand/v2"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AugDraws are one batch's differentiable-augmentation draws (DiffAugment, Zhao et al. 2020, policy
// "color,translation,cutout"), one entry per sample. A DiffAugment op reads them each time it runs, so
// the trainer draws new ones before every run.
type AugDraws struct {
	Bright, Sat, Contrast []float32 // added; saturation and contrast factors
	TX, TY                []int     // translation in pixels (the vacated border is 0)
	CX, CY                []int     // cutout square's top-left corner (may start outside the image)
	Cut                   int       // cutout square's side
}

// NewAugDraws allocates draws for batch samples of size×size images.
func NewAugDraws(batch, size int) *AugDraws {
	return &AugDraws{Bright: make([]float32, batch), Sat: make([]float32, batch), Contrast: make([]float32, batch),
		TX: make([]int, batch), TY: make([]int, batch), CX: make([]int, batch), CY: make([]int, batch),
		Cut: (size + 1) / 2}
}

// Draw fills the draws from rng, sample by sample, in a fixed order (so a run that saves and restores
// rng's state continues exactly): brightness in [−0.5, 0.5), saturation in [0, 2), contrast in
// [0.5, 1.5), a shift of up to an eighth of the side each way, and a cutout of half the side at a
// uniform position (clipped by the border), DiffAugment's ranges for images in [−1, 1].
func (a *AugDraws) Draw(rng *rand.Rand, size int) {
	shift := (size + 4) / 8
	for b := range a.Bright {
		a.Bright[b] = float32(rng.Float64() - 0.5)
		a.Sat[b] = float32(rng.Float64() * 2)
		a.Contrast[b] = float32(rng.Float64() + 0.5)
		a.TX[b] = rng.IntN(2*shift+1) - shift
		a.TY[b] = rng.IntN(2*shift+1) - shift
		a.CX[b] = rng.IntN(size+a.Cut-1) - (a.Cut - 1)
		a.CY[b] = rng.IntN(size+a.Cut-1) - (a.Cut - 1)
	}
}

// DiffAugment adds T(x) to x's graph for x (B, C, H, W): per sample, brightness, saturation and
// contrast, a translation and a cutout, with the parameters in draws. T is affine in x, so its gradient
// is its linear part's transpose, which the backward op applies with the same draws: the generator
// learns through the augmentation, and the discriminator never sees an unaugmented image, which keeps
// it from memorising a small style set.
func DiffAugment(x *gorgonia.Node, draws *AugDraws) (*gorgonia.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[0] != len(draws.Bright) {
		return nil, fmt.Errorf("diff augment: input %v is not (B, C, H, W) with B = %d", s, len(draws.Bright))
	}
	return gorgonia.ApplyOp(&augOp{draws: draws}, x)
}

type augOp struct {
	plainOp
	draws *AugDraws
	back  bool // the transpose, applied to the gradient
}

// AugmentForward writes T(x) into y (both B×C×H×W, may not alias).
func (a *AugDraws) AugmentForward(y, x []float32, batch, c, h, w int) {
	n := c * h * w
	ForEachSample(batch, func(_, b int) {
		xs, ys := x[b*n:(b+1)*n], y[b*n:(b+1)*n]
		tmp := make([]float32, n)
		copy(tmp, xs)
		// brightness, then saturation around each pixel's channel mean, then contrast around the mean.
		for i := range tmp {
			tmp[i] += a.Bright[b]
		}
		mixMeans(tmp, c, h*w, a.Sat[b], true)
		mixMeans(tmp, c, h*w, a.Contrast[b], false)
		a.shiftCut(ys, tmp, b, c, h, w, false)
	})
}

// AugmentBackward writes Tᵀ(dy) into dx: the transposes in reverse order (brightness adds a constant,
// whose transpose is the identity).
func (a *AugDraws) AugmentBackward(dx, dy []float32, batch, c, h, w int) {
	n := c * h * w
	ForEachSample(batch, func(_, b int) {
		ds := dx[b*n : (b+1)*n]
		a.shiftCut(ds, dy[b*n:(b+1)*n], b, c, h, w, true)
		mixMeans(ds, c, h*w, a.Contrast[b], false)
		mixMeans(ds, c, h*w, a.Sat[b], true)
	})
}

// mixMeans replaces v by f·v + (1−f)·mean, where the mean is over the channels at each pixel
// (perPixel) or over the whole sample. Both averages are symmetric, so this map is its own transpose.
func mixMeans(v []float32, c, hw int, f float32, perPixel bool) {
	if !perPixel {
		m := float32(sum(v) / float64(len(v)))
		for i := range v {
			v[i] = f*v[i] + (1-f)*m
		}
		return
	}
	for p := 0; p < hw; p++ {
		var m float32
		for ch := 0; ch < c; ch++ {
			m += v[ch*hw+p]
		}
		m /= float32(c)
		for ch := 0; ch < c; ch++ {
			v[ch*hw+p] = f*v[ch*hw+p] + (1-f)*m
		}
	}
}

// shiftCut writes src shifted by (TX, TY) with the cutout square zeroed into dst (forward), or the
// transpose: the cutout zeroed in src, then shifted back (back).
func (a *AugDraws) shiftCut(dst, src []float32, b, c, h, w int, back bool) {
	tx, ty := a.TX[b], a.TY[b]
	if back {
		tx, ty = -tx, -ty
	}
	cut := func(i, j int) bool {
		return i >= a.CY[b] && i < a.CY[b]+a.Cut && j >= a.CX[b] && j < a.CX[b]+a.Cut
	}
	for ch := 0; ch < c; ch++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				si, sj := i-ty, j-tx
				var v float32
				if si >= 0 && si < h && sj >= 0 && sj < w {
					v = src[(ch*h+si)*w+sj]
				}
				// Forward, the cutout applies to the output pixel; backward, to the gradient's source.
				if (!back && cut(i, j)) || (back && cut(si, sj)) {
					v = 0
				}
				dst[(ch*h+i)*w+j] = v
			}
		}
	}
}

func (op *augOp) Arity() int { return 1 }

func (op *augOp) Type() hm.Type {
	t4 := gorgonia.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t4, t4)
}

func (op *augOp) InferShape(inputs ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := inputs[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: expected a shape, got %T", op, inputs[0])
	}
	return s.Clone(), nil
}

func (op *augOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%s: expected 1 input, got %d", op, len(inputs))
	}
	in, err := float32s(op, inputs[0])
	if err != nil {
		return nil, err
	}
	s := inputs[0].Shape()
	out := op.out(len(in))
	if op.back {
		op.draws.AugmentBackward(out, in, s[0], s[1], s[2], s[3])
	} else {
		op.draws.AugmentForward(out, in, s[0], s[1], s[2], s[3])
	}
	return tensor.New(tensor.WithShape(s.Clone()...), tensor.WithBacking(out)), nil
}

// The draws' address is part of the op's identity: two augmentations of one node with different draws
// (the discriminator's real and fake batches) must not be merged into one.
func (op *augOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s", op) }
func (op *augOp) Hashcode() uint32      { return hashOf(op) }
func (op *augOp) String() string        { return fmt.Sprintf("DiffAugment(%p,%v)", op.draws, op.back) }

func (op *augOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = !op.back
	}
	return out
}

func (op *augOp) SymDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.back {
		return nil, fmt.Errorf("%s: second derivatives are not implemented", op)
	}
	d, err := gorgonia.ApplyOp(&augOp{draws: op.draws, back: true}, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{d}, nil
}
