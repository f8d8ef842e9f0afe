package nn

import "fmt"

// Layout is how a 4-D activation tensor (B, C, H, W) lies in memory. Its gorgonia shape is (B, C, H, W)
// either way: only the ops that read it by channel (convolutions, norms, upsampling) need to know,
// and elementwise ops (ReLU, Add) do not care.
type Layout uint8

const (
	// NCHW is plain row-major order: sample, channel, row, column.
	NCHW Layout = iota
	// NChw16c is oneDNN's aBcd16b: the channels in blocks of 16, the 16 values of a pixel's block
	// next to each other (sample, channel block, row, column, channel within the block). It needs a
	// channel count that is a multiple of 16. oneDNN's AVX-512 convolution kernels read and write
	// activations in it, so a network that keeps them so saves a reorder on each side of every
	// convolution; PyTorch 1.13 reorders at every operator.
	NChw16c
)

// Blk is the channel block of NChw16c.
const Blk = 16

func (l Layout) String() string {
	if l == NChw16c {
		return "nChw16c"
	}
	return "nchw"
}

// fits says whether a tensor of c channels can be in layout l.
func (l Layout) fits(c int) bool { return l == NCHW || c%Blk == 0 }

// BlockedLayout says whether networks should keep their activations in NChw16c where the channel
// count allows: true where the convolutions run on oneDNN and its kernels on this CPU take that layout
// (AVX-512). Elsewhere NCHW is what every kernel reads.
func BlockedLayout() bool { return blockedLayout() }

// LayoutFor is the layout a network keeps a c-channel activation in: NChw16c where BlockedLayout and
// c is a multiple of 16, NCHW otherwise.
func LayoutFor(c int, blocked bool) Layout {
	if blocked && c%Blk == 0 {
		return NChw16c
	}
	return NCHW
}

// ToBlocked writes src (batch × c × hw, NCHW) into dst in NChw16c; c must be a multiple of 16.
func ToBlocked(dst, src []float32, batch, c, hw int) {
	ForEachSample(batch, func(_, b int) {
		for k := 0; k < c/Blk; k++ {
			blk := dst[(b*c+k*Blk)*hw:][:hw*Blk]
			for l := 0; l < Blk; l++ {
				plane := src[(b*c+k*Blk+l)*hw:][:hw]
				for j, v := range plane {
					blk[j*Blk+l] = v
				}
			}
		}
	})
}

// ToPlain writes src (NChw16c) into dst in NCHW: the inverse of ToBlocked.
func ToPlain(dst, src []float32, batch, c, hw int) {
	ForEachSample(batch, func(_, b int) {
		for k := 0; k < c/Blk; k++ {
			blk := src[(b*c+k*Blk)*hw:][:hw*Blk]
			for l := 0; l < Blk; l++ {
				plane := dst[(b*c+k*Blk+l)*hw:][:hw]
				for j := range plane {
					plane[j] = blk[j*Blk+l]
				}
			}
		}
	})
}

// convLayout is the layouts of a convolution's activations: its input (and input gradient) and its
// output (and output gradient). Weights are always OIHW.
type convLayout struct{ in, out Layout }

func (l convLayout) String() string {
	if l == (convLayout{}) {
		return ""
	}
	return fmt.Sprintf(" %v→%v", l.in, l.out)
}

// gemmConvLayout runs gemmConv on NCHW copies of whatever is blocked: the GEMM kernels read NCHW.
func gemmConvLayout(kind convKind, g convGeom, lay convLayout, batch int, out, a, b []float32) {
	if lay == (convLayout{}) {
		gemmConv(kind, g, batch, out, a, b)
		return
	}
	inHW, outHW := g.h*g.w, g.cols()
	switch kind {
	case convFwd: // (x, w) → y
		y := make([]float32, len(out))
		gemmConv(kind, g, batch, y, asNCHW(a, batch, g.c, inHW, lay.in), b)
		place(out, y, batch, g.o, outHW, lay.out)
	case convDInput: // (w, dy) → dx
		dx := make([]float32, len(out))
		gemmConv(kind, g, batch, dx, a, asNCHW(b, batch, g.o, outHW, lay.out))
		place(out, dx, batch, g.c, inHW, lay.in)
	default: // (x, dy) → dw
		gemmConv(kind, g, batch, out, asNCHW(a, batch, g.c, inHW, lay.in), asNCHW(b, batch, g.o, outHW, lay.out))
	}
}

// asNCHW returns t (batch × c × hw in layout l) in NCHW: t itself when it is, else a converted copy.
func asNCHW(t []float32, batch, c, hw int, l Layout) []float32 {
	if l == NCHW {
		return t
	}
	p := make([]float32, len(t))
	ToPlain(p, t, batch, c, hw)
	return p
}

// place writes the NCHW tensor t into out in layout l.
func place(out, t []float32, batch, c, hw int, l Layout) {
	if l == NCHW {
		copy(out, t)
		return
	}
	ToBlocked(out, t, batch, c, hw)
}
