package gan

import (
	"context"
	"math/rand/v2"
	"time"
)

// convMACs is the multiply-adds of one convolution on one image whose input is size×size.
func convMACs(s convSpec, size int) (macs float64, outSize int) {
	out := (size+2*s.pad-s.k)/s.stride + 1
	return float64(out*out) * float64(s.out) * float64(s.in*s.k*s.k), out
}

// forwardMACs returns the multiply-adds of one generator and one discriminator forward pass on a
// single image.
func forwardMACs(c Config, styles int) (gen, disc float64) {
	specs := genSpecs(c, styles)
	size := c.Size
	for i, s := range specs {
		if i >= 3+2*c.ResBlocks && i < len(specs)-1 {
			size *= 2 // nearest upsample before each decoder conv
		}
		m, out := convMACs(s, size)
		gen += m
		size = out
	}
	size = c.Size
	d := discSpecs(c, styles)
	for _, s := range d[:len(d)-2] {
		m, out := convMACs(s, size)
		disc += m
		size = out
	}
	for _, s := range d[len(d)-2:] {
		m, _ := convMACs(s, size)
		disc += m
	}
	return gen, disc
}

// TrainMACsPerImage is the convolution multiply-adds one training step spends per image: the
// generator step runs G twice and D once forward, and backward costs about twice a forward pass
// (input and weight gradients); the discriminator step runs D twice. So 3·(2G + D) + 3·2D.
func TrainMACsPerImage(c Config, styles int) float64 {
	g, d := forwardMACs(c.WithDefaults(), styles)
	return 3*(2*g+d) + 3*2*d
}

// BenchResult is one timing of the trainer.
type BenchResult struct {
	SecondsPerStep float64
	ImagesPerS     float64
	GMACPerS       float64
}

// BenchTrain times steps full training steps (after warmup untimed ones) of cfg's model on random
// data with the given number of styles.
func BenchTrain(ctx context.Context, cfg Config, styles, steps, warmup int) (BenchResult, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return BenchResult{}, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xbe4c))
	st, err := newStepper(cfg, styles, cfg.BatchSize, newParams(cfg, styles, rng))
	if err != nil {
		return BenchResult{}, err
	}
	defer st.close()
	x := make([]float32, cfg.BatchSize*3*cfg.Size*cfg.Size)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	org, trg := make([]int, cfg.BatchSize), make([]int, cfg.BatchSize)
	for i := range org {
		org[i], trg[i] = rng.IntN(styles), rng.IntN(styles)
	}
	var start time.Time
	for i := 0; i < warmup+steps; i++ {
		if i == warmup {
			start = time.Now()
		}
		if err := ctx.Err(); err != nil {
			return BenchResult{}, err
		}
		if _, err := st.step(x, org, trg, cfg.LR, rng); err != nil {
			return BenchResult{}, err
		}
	}
	sec := time.Since(start).Seconds() / float64(steps)
	ips := float64(cfg.BatchSize) / sec
	return BenchResult{SecondsPerStep: sec, ImagesPerS: ips, GMACPerS: ips * TrainMACsPerImage(cfg, styles) / 1e9}, nil
}
