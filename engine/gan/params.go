package gan

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"stylestudio/engine/nn"
)

// Params are a model's weights by checkpoint name (see the package documentation).
type Params map[string]nn.Tensor

// convSpec is one convolution of the architecture.
type convSpec struct {
	name        string // weight tensor name
	in, out, k  int
	stride, pad int
	norm        string // instance-norm prefix ("" for none)
}

// genSpecs lists the generator's convolutions in order (residual blocks as conv1, conv2 pairs).
func genSpecs(c Config, styles int) []convSpec {
	w := c.GenWidth
	s := []convSpec{
		{"g.enc0.conv.weight", 3 + styles, w, 7, 1, 3, "g.enc0.in"},
		{"g.enc1.conv.weight", w, 2 * w, 4, 2, 1, "g.enc1.in"},
		{"g.enc2.conv.weight", 2 * w, 4 * w, 4, 2, 1, "g.enc2.in"},
	}
	for i := 0; i < c.ResBlocks; i++ {
		p := fmt.Sprintf("g.res%d.", i)
		s = append(s,
			convSpec{p + "conv1.weight", 4 * w, 4 * w, 3, 1, 1, p + "in1"},
			convSpec{p + "conv2.weight", 4 * w, 4 * w, 3, 1, 1, p + "in2"})
	}
	return append(s,
		convSpec{"g.dec0.conv.weight", 4 * w, 2 * w, 3, 1, 1, "g.dec0.in"},
		convSpec{"g.dec1.conv.weight", 2 * w, w, 3, 1, 1, "g.dec1.in"},
		convSpec{"g.out.conv.weight", w, 3, 7, 1, 3, ""})
}

// discSpecs lists the discriminator's convolutions: the L strided layers, then the src and cls heads.
func discSpecs(c Config, styles int) []convSpec {
	var s []convSpec
	in, out := 3, c.DiscWidth
	for i := 0; i < c.discLayers(); i++ {
		s = append(s, convSpec{fmt.Sprintf("d.layer%d.conv.weight", i), in, out, 4, 2, 1, ""})
		in, out = out, out*2
	}
	return append(s,
		convSpec{"d.src.weight", in, 1, 3, 1, 1, ""},
		convSpec{"d.cls.weight", in, styles, 4, 1, 0, ""})
}

// newParams draws a fresh model: convolution weights from He initialisation (N(0, 2/fan-in), which
// keeps activations near unit scale through the ReLUs), instance-norm scales 1 and shifts 0.
func newParams(c Config, styles int, rng *rand.Rand) Params {
	p := Params{}
	for _, s := range append(genSpecs(c, styles), discSpecs(c, styles)...) {
		fan := s.in * s.k * s.k
		p[s.name] = nn.Tensor{Shape: []int{s.out, s.in, s.k, s.k}, Data: nn.HeNormal(rng, fan, s.out*fan)}
		if s.norm != "" {
			p[s.norm+".weight"] = nn.Tensor{Shape: []int{s.out}, Data: nn.Fill(s.out, 1)}
			p[s.norm+".bias"] = nn.Tensor{Shape: []int{s.out}, Data: nn.Fill(s.out, 0)}
		}
	}
	return p
}

// names returns the parameter names with the given prefix ("g." or "d."), sorted.
func (p Params) names(prefix string) []string {
	var out []string
	for n := range p {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// check reports whether p has exactly the tensors of the architecture c with the given styles.
func (p Params) check(c Config, styles int) error {
	return p.checkShapes(specShapes(append(genSpecs(c, styles), discSpecs(c, styles)...)))
}

// checkGenerator is check for a file that holds the generator's tensors alone (all inference needs).
func (p Params) checkGenerator(c Config, styles int) error {
	return p.checkShapes(specShapes(genSpecs(c, styles)))
}

// checkShapes reports the first tensor of want that p lacks or has in another shape, or the first
// tensor of p that want does not name.
func (p Params) checkShapes(want map[string][]int) error {
	for name, shape := range want {
		t, ok := p[name]
		if !ok {
			return fmt.Errorf("tensor %q is missing", name)
		}
		if fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
			return fmt.Errorf("tensor %q has shape %v, the model needs %v", name, t.Shape, shape)
		}
	}
	for name := range p {
		if _, ok := want[name]; !ok {
			return fmt.Errorf("tensor %q does not belong to this model", name)
		}
	}
	return nil
}

// specShapes is the shape of every tensor specs' layers have.
func specShapes(specs []convSpec) map[string][]int {
	out := map[string][]int{}
	for _, s := range specs {
		out[s.name] = []int{s.out, s.in, s.k, s.k}
		if s.norm != "" {
			out[s.norm+".weight"] = []int{s.out}
			out[s.norm+".bias"] = []int{s.out}
		}
	}
	return out
}

// clone deep-copies p.
func (p Params) clone() Params {
	c := Params{}
	for n, t := range p {
		c[n] = nn.Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
	}
	return c
}
