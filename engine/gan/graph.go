package gan

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"stylestudio/engine/nn"
)

// netBuilder adds the generator and discriminator to one gorgonia graph, over parameter nodes that
// share their backing arrays with a Params map (so an optimiser step on the nodes updates the map).
type netBuilder struct {
	g      *gorgonia.ExprGraph
	cfg    Config
	styles int
	nodes  map[string]*gorgonia.Node
	// data are the inputs that are data (real images, detached fakes, and the generator's input built
	// from them): convolutions of them get no input gradient (nn.Conv2dOfData).
	data map[*gorgonia.Node]bool
	// blocked: keep activations in nn.NChw16c where their channel count allows (nn.BlockedLayout);
	// lay records each such node's layout (absent: NCHW).
	blocked bool
	lay     map[*gorgonia.Node]nn.Layout
}

func newNetBuilder(g *gorgonia.ExprGraph, cfg Config, styles int, p Params) *netBuilder {
	b := &netBuilder{g: g, cfg: cfg, styles: styles, nodes: map[string]*gorgonia.Node{}, data: map[*gorgonia.Node]bool{},
		blocked: nn.BlockedLayout(), lay: map[*gorgonia.Node]nn.Layout{}}
	for name, t := range p {
		b.nodes[name] = nn.Param(g, name, t)
	}
	return b
}

// params returns the nodes whose names start with prefix, sorted by name.
func (b *netBuilder) params(p Params, prefix string) []*gorgonia.Node {
	var out []*gorgonia.Node
	for _, n := range p.names(prefix) {
		out = append(out, b.nodes[n])
	}
	return out
}

func (b *netBuilder) conv(x *gorgonia.Node, s convSpec) (*gorgonia.Node, error) {
	return b.convTo(x, s, nn.LayoutFor(s.out, b.blocked))
}

// convTo is conv with its output in layout out: NCHW for the outputs the graph reads as plain tensors
// (the generator's image, the discriminator's scores and style logits).
func (b *netBuilder) convTo(x *gorgonia.Node, s convSpec, out nn.Layout) (*gorgonia.Node, error) {
	y, err := nn.Conv2dLayout(x, b.nodes[s.name], s.stride, s.pad, b.data[x], b.lay[x], out)
	if err != nil {
		return nil, err
	}
	b.lay[y] = out
	return y, nil
}

// same returns a function that records an op's result y as being in x's layout (for the ops that
// keep it: norms, ReLUs, Add, upsampling) and passes it on: b.same(x)(op(x)).
func (b *netBuilder) same(x *gorgonia.Node) func(*gorgonia.Node, error) (*gorgonia.Node, error) {
	return func(y *gorgonia.Node, err error) (*gorgonia.Node, error) {
		if err != nil {
			return nil, err
		}
		b.lay[y] = b.lay[x]
		return y, nil
	}
}

// convNorm is conv → instance norm (→ ReLU when act).
func (b *netBuilder) convNorm(x *gorgonia.Node, s convSpec, act bool) (*gorgonia.Node, error) {
	y, err := b.conv(x, s)
	if err != nil {
		return nil, err
	}
	return b.same(y)(nn.InstanceNormIn(y, b.nodes[s.norm+".weight"], b.nodes[s.norm+".bias"], b.lay[y], act))
}

// generator adds G(x, planes) for x (B,3,H,W) and the target style planes (B,S,H,W).
func (b *netBuilder) generator(x, planes *gorgonia.Node) (*gorgonia.Node, error) {
	h, err := nn.ConcatChannels(x, planes)
	if err != nil {
		return nil, fmt.Errorf("generator input: %w", err)
	}
	b.data[h] = b.data[x] // the style planes are always data
	specs := genSpecs(b.cfg, b.styles)
	for _, s := range specs[:3] {
		if h, err = b.convNorm(h, s, true); err != nil {
			return nil, err
		}
	}
	res := specs[3 : 3+2*b.cfg.ResBlocks]
	for i := 0; i < len(res); i += 2 {
		r, err := b.convNorm(h, res[i], true)
		if err != nil {
			return nil, err
		}
		if r, err = b.convNorm(r, res[i+1], false); err != nil {
			return nil, err
		}
		if b.lay[h] != b.lay[r] {
			return nil, fmt.Errorf("generator: residual block %d adds %v to %v", i/2, b.lay[r], b.lay[h])
		}
		if h, err = b.same(h)(gorgonia.Add(h, r)); err != nil {
			return nil, err
		}
	}
	for _, s := range specs[3+2*b.cfg.ResBlocks : len(specs)-1] {
		if h, err = b.same(h)(nn.Upsample2xIn(h, b.lay[h])); err != nil {
			return nil, err
		}
		if h, err = b.convNorm(h, s, true); err != nil {
			return nil, err
		}
	}
	if h, err = b.convTo(h, specs[len(specs)-1], nn.NCHW); err != nil {
		return nil, err
	}
	return gorgonia.Tanh(h)
}

// discriminator adds D(x): the patch scores (B,1,4,4) and the style logits (B,S).
func (b *netBuilder) discriminator(x *gorgonia.Node) (src, cls *gorgonia.Node, err error) {
	specs := discSpecs(b.cfg, b.styles)
	h := x
	for _, s := range specs[:len(specs)-2] {
		if h, err = b.conv(h, s); err != nil {
			return nil, nil, err
		}
		if h, err = b.same(h)(nn.LeakyReLU(h, 0.01)); err != nil {
			return nil, nil, err
		}
	}
	if src, err = b.convTo(h, specs[len(specs)-2], nn.NCHW); err != nil {
		return nil, nil, err
	}
	if cls, err = b.convTo(h, specs[len(specs)-1], nn.NCHW); err != nil {
		return nil, nil, err
	}
	bs := x.Shape()[0]
	if cls, err = gorgonia.Reshape(cls, tensor.Shape{bs, b.styles}); err != nil {
		return nil, nil, err
	}
	return src, cls, nil
}

// lsgan adds mean((x − target)²).
func lsgan(x *gorgonia.Node, target float32) (*gorgonia.Node, error) {
	d := x
	var err error
	if target != 0 {
		if d, err = gorgonia.Sub(x, gorgonia.NewConstant(target)); err != nil {
			return nil, err
		}
	}
	sq, err := gorgonia.Square(d)
	if err != nil {
		return nil, err
	}
	return gorgonia.Mean(sq)
}

// crossEntropy adds the mean softmax cross-entropy of logits (B,S) against targetScaled, the one-hot
// targets already divided by B.
func crossEntropy(logits, targetScaled *gorgonia.Node) (*gorgonia.Node, error) {
	logp, err := gorgonia.LogSoftMax(logits)
	if err != nil {
		return nil, err
	}
	prod, err := gorgonia.HadamardProd(targetScaled, logp)
	if err != nil {
		return nil, err
	}
	sum, err := gorgonia.Sum(prod)
	if err != nil {
		return nil, err
	}
	return gorgonia.Neg(sum)
}

// weighted adds Σ wᵢ·termᵢ.
func weighted(terms []*gorgonia.Node, weights []float64) (*gorgonia.Node, error) {
	var total *gorgonia.Node
	for i, t := range terms {
		term := t
		var err error
		if weights[i] != 1 {
			if term, err = gorgonia.Mul(t, gorgonia.NewConstant(float32(weights[i]))); err != nil {
				return nil, err
			}
		}
		if total == nil {
			total = term
		} else if total, err = gorgonia.Add(total, term); err != nil {
			return nil, err
		}
	}
	return total, nil
}

// meanAbsDiff is mean |a − b|, the L1 loss of the cycle and content terms.
func meanAbsDiff(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	abs, err := absNodeDiff(a, b)
	if err != nil {
		return nil, err
	}
	return gorgonia.Mean(abs)
}

// weightedAbsDiff is Σ w·|a − b|, the paired loss with its per-value weights.
func weightedAbsDiff(a, b, w *gorgonia.Node) (*gorgonia.Node, error) {
	abs, err := absNodeDiff(a, b)
	if err != nil {
		return nil, err
	}
	prod, err := gorgonia.HadamardProd(abs, w)
	if err != nil {
		return nil, err
	}
	return gorgonia.Sum(prod)
}

// absNodeDiff is |a − b|, element by element.
func absNodeDiff(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	diff, err := gorgonia.Sub(a, b)
	if err != nil {
		return nil, err
	}
	return gorgonia.Abs(diff)
}

// blockSums sums an NCHW batch of 3-channel n×n images over k×k blocks: (batch·3·n/k) × (n/k). k ≤ 1
// returns img itself.
func blockSums(img *gorgonia.Node, batch, n, k int) (*gorgonia.Node, error) {
	if k <= 1 {
		return img, nil
	}
	r, err := gorgonia.Reshape(img, []int{batch * 3 * n / k, k, n / k, k})
	if err != nil {
		return nil, err
	}
	return gorgonia.Sum(r, 1, 3)
}

// genStep is the graph of the generator's half of a training step.
type genStep struct {
	g                                  *gorgonia.ExprGraph
	params                             []*gorgonia.Node // G parameters, sorted by name
	x, trgPlanes, orgPlanes, trgScaled []float32        // inputs, filled before each run
	// With Config.LambdaPair: each sample's counterpart in its target style, and the weights of the
	// paired loss (1/(paired samples·3·N·N) over a paired sample's values, 0 elsewhere).
	pair, pairWeight []float32
	// Values copied as the graph runs: fake, rec, D's outputs on the fakes, and the losses adv,
	// cls, rec, total.
	fake, rec, srcFake, clsFake *nn.Tapped
	losses                      [4]*nn.Tapped
	aug                         *nn.AugDraws // the fakes' augmentation before D (nil: none)
}

func newGenStep(cfg Config, styles, batch int, p Params) (*genStep, error) {
	s := &genStep{g: gorgonia.NewGraph()}
	b := newNetBuilder(s.g, cfg, styles, p)
	n := cfg.Size
	var x, tp, op, ts *gorgonia.Node
	x, s.x = nn.Input(s.g, "x", batch, 3, n, n)
	b.data[x] = true
	tp, s.trgPlanes = nn.Input(s.g, "trg_planes", batch, styles, n, n)
	op, s.orgPlanes = nn.Input(s.g, "org_planes", batch, styles, n, n)
	ts, s.trgScaled = nn.Input(s.g, "trg_scaled", batch, styles)
	wrap := func(e error) error { return fmt.Errorf("gan: build generator step: %w", e) }
	fake, err := b.generator(x, tp)
	if err != nil {
		return nil, wrap(err)
	}
	if fake, s.fake, err = nn.Tap(fake); err != nil {
		return nil, wrap(err)
	}
	rec, err := b.generator(fake, op)
	if err != nil {
		return nil, wrap(err)
	}
	if rec, s.rec, err = nn.Tap(rec); err != nil {
		return nil, wrap(err)
	}
	seen := fake
	if cfg.DiffAugment {
		s.aug = nn.NewAugDraws(batch, n)
		if seen, err = nn.DiffAugment(fake, s.aug); err != nil {
			return nil, wrap(err)
		}
	}
	src, cls, err := b.discriminator(seen)
	if err != nil {
		return nil, wrap(err)
	}
	if src, s.srcFake, err = nn.Tap(src); err != nil {
		return nil, wrap(err)
	}
	if cls, s.clsFake, err = nn.Tap(cls); err != nil {
		return nil, wrap(err)
	}
	adv, err := lsgan(src, 1)
	if err != nil {
		return nil, wrap(err)
	}
	clsLoss, err := crossEntropy(cls, ts)
	if err != nil {
		return nil, wrap(err)
	}
	recLoss, err := meanAbsDiff(x, rec)
	if err != nil {
		return nil, wrap(err)
	}
	terms, err := tapAll(&s.losses, adv, clsLoss, recLoss)
	if err != nil {
		return nil, wrap(err)
	}
	weights := []float64{1, cfg.LambdaCls, cfg.LambdaRec}
	if cfg.LambdaContent > 0 { // the content loss, mean |fake − x|: in the total only
		// With ContentPool k, on k×k block sums; the weight's 1/k² makes them block means.
		pf, err := blockSums(fake, batch, n, cfg.ContentPool)
		if err != nil {
			return nil, wrap(err)
		}
		px, err := blockSums(x, batch, n, cfg.ContentPool)
		if err != nil {
			return nil, wrap(err)
		}
		content, err := meanAbsDiff(pf, px)
		if err != nil {
			return nil, wrap(err)
		}
		k := float64(max(1, cfg.ContentPool))
		terms, weights = append(terms, content), append(weights, cfg.LambdaContent/(k*k))
	}
	if cfg.LambdaPair > 0 { // the paired loss, mean |fake − y| over the paired samples: in the total only
		var y, w *gorgonia.Node
		y, s.pair = nn.Input(s.g, "pair", batch, 3, n, n)
		w, s.pairWeight = nn.Input(s.g, "pair_weight", batch, 3, n, n)
		paired, err := weightedAbsDiff(fake, y, w)
		if err != nil {
			return nil, wrap(err)
		}
		terms, weights = append(terms, paired), append(weights, cfg.LambdaPair)
	}
	total, err := weighted(terms, weights)
	if err != nil {
		return nil, wrap(err)
	}
	if total, s.losses[3], err = nn.Tap(total); err != nil {
		return nil, wrap(err)
	}
	s.params = b.params(p, "g.")
	if _, err := gorgonia.Grad(total, s.params...); err != nil {
		return nil, wrap(err)
	}
	return s, nil
}

// discStep is the graph of the discriminator's half of a training step.
type discStep struct {
	g                  *gorgonia.ExprGraph
	params             []*gorgonia.Node // D parameters, sorted by name
	x, fake, orgScaled []float32
	losses             [4]*nn.Tapped // real, fake, cls, total
	srcReal, clsReal   *nn.Tapped
	srcFake            *nn.Tapped
	augReal, augFake   *nn.AugDraws // the augmentations before D (nil: none)
}

func newDiscStep(cfg Config, styles, batch int, p Params) (*discStep, error) {
	s := &discStep{g: gorgonia.NewGraph()}
	dp := Params{}
	for _, name := range p.names("d.") {
		dp[name] = p[name]
	}
	b := newNetBuilder(s.g, cfg, styles, dp)
	n := cfg.Size
	var x, f, os *gorgonia.Node
	x, s.x = nn.Input(s.g, "x", batch, 3, n, n)
	f, s.fake = nn.Input(s.g, "fake", batch, 3, n, n)
	b.data[x], b.data[f] = true, true // the discriminator's step leaves the generator's fakes alone
	os, s.orgScaled = nn.Input(s.g, "org_scaled", batch, styles)
	wrap := func(e error) error { return fmt.Errorf("gan: build discriminator step: %w", e) }
	if cfg.DiffAugment {
		s.augReal, s.augFake = nn.NewAugDraws(batch, n), nn.NewAugDraws(batch, n)
		var err error
		if x, err = nn.DiffAugment(x, s.augReal); err != nil {
			return nil, wrap(err)
		}
		if f, err = nn.DiffAugment(f, s.augFake); err != nil {
			return nil, wrap(err)
		}
		b.data[x], b.data[f] = true, true
	}
	srcR, clsR, err := b.discriminator(x)
	if err != nil {
		return nil, wrap(err)
	}
	if srcR, s.srcReal, err = nn.Tap(srcR); err != nil {
		return nil, wrap(err)
	}
	if clsR, s.clsReal, err = nn.Tap(clsR); err != nil {
		return nil, wrap(err)
	}
	srcF, _, err := b.discriminator(f)
	if err != nil {
		return nil, wrap(err)
	}
	if srcF, s.srcFake, err = nn.Tap(srcF); err != nil {
		return nil, wrap(err)
	}
	real, err := lsgan(srcR, 1)
	if err != nil {
		return nil, wrap(err)
	}
	fake, err := lsgan(srcF, 0)
	if err != nil {
		return nil, wrap(err)
	}
	cls, err := crossEntropy(clsR, os)
	if err != nil {
		return nil, wrap(err)
	}
	terms, err := tapAll(&s.losses, real, fake, cls)
	if err != nil {
		return nil, wrap(err)
	}
	total, err := weighted(terms, []float64{1, 1, cfg.LambdaCls})
	if err != nil {
		return nil, wrap(err)
	}
	if total, s.losses[3], err = nn.Tap(total); err != nil {
		return nil, wrap(err)
	}
	s.params = b.params(dp, "d.")
	if _, err := gorgonia.Grad(total, s.params...); err != nil {
		return nil, wrap(err)
	}
	return s, nil
}

// tapAll taps each node into taps[i] and returns the tapped nodes.
func tapAll(taps *[4]*nn.Tapped, nodes ...*gorgonia.Node) ([]*gorgonia.Node, error) {
	out := make([]*gorgonia.Node, len(nodes))
	for i, n := range nodes {
		var err error
		if out[i], taps[i], err = nn.Tap(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scalar reads a scalar node's value after a run.
func scalar(n *gorgonia.Node) float64 {
	switch v := n.Value().Data().(type) {
	case float32:
		return float64(v)
	case []float32:
		if len(v) > 0 {
			return float64(v[0])
		}
	}
	return 0
}

// values returns a node's float32 data after a run.
func values(n *gorgonia.Node) []float32 {
	if d, ok := n.Value().Data().([]float32); ok {
		return d
	}
	return nil
}
