// Package gan is the conditional style-transfer GAN: one generator that restyles a product image into
// any of the catalog's labeled styles (StarGAN, Choi et al. 2018, slimmed for a 2-core CPU), its
// trainer with exact-resume checkpoints, and the stylizer that applies a checkpoint at preview size or
// at the product's full resolution.
//
// # Architecture (NCHW, float32; S styles, W = Config.GenWidth, Wd = Config.DiscWidth)
//
// No convolution has a bias. "IN" is instance normalisation (per sample and channel over H×W, biased
// variance, eps 1e-5) followed by a learnable per-channel scale and shift, as PyTorch's
// InstanceNorm2d(affine=True, track_running_stats=False).
//
// Generator: input = the image in [-1, 1] (3 channels) concatenated with S constant planes holding the
// target style's one-hot code (3+S channels).
//
//	g.enc0: conv 7×7 stride 1 pad 3, 3+S → W,   IN, ReLU
//	g.enc1: conv 4×4 stride 2 pad 1, W   → 2W,  IN, ReLU           (size/2)
//	g.enc2: conv 4×4 stride 2 pad 1, 2W  → 4W,  IN, ReLU           (size/4)
//	g.res{i}, i < Config.ResBlocks: x + IN(conv3×3(ReLU(IN(conv3×3(x)))))   4W → 4W, pad 1
//	g.dec0: nearest upsample ×2, conv 3×3 pad 1, 4W → 2W, IN, ReLU (size/2)
//	g.dec1: nearest upsample ×2, conv 3×3 pad 1, 2W → W,  IN, ReLU (size)
//	g.out:  conv 7×7 pad 3, W → 3, tanh
//
// Discriminator (PatchGAN with two heads), L = log2(size) − 2 layers so the last map is 4×4:
//
//	d.layer{i}: conv 4×4 stride 2 pad 1, (3 | Wd·2^(i−1)) → Wd·2^i, LeakyReLU(0.01)
//	d.src: conv 3×3 stride 1 pad 1 → 1 channel (real/fake score per 4×4 patch)
//	d.cls: conv 4×4 stride 1 pad 0 → S channels, 1×1 (style logits)
//
// # Losses (one training step; x real images, c their styles, c' random target styles)
//
//	fake = G(x, c'), rec = G(fake, c)
//	G loss = mean((D_src(fake) − 1)²) + λcls·CE(D_cls(fake), c') + λrec·mean|x − rec|
//	D loss = mean((D_src(x) − 1)²) + mean(D_src(fake)²) + λcls·CE(D_cls(x), c)
//
// Each step first updates G against the current D, then updates D on the same real batch and on the
// fakes G produced in that step (before its update, detached). Computing the fakes once for both
// halves saves a generator forward pass per step. Both use Adam (betas Config.Beta1/Beta2, eps 1e-8,
// no weight decay) with the same learning rate. CE is the mean softmax cross-entropy over the batch.
//
// # Checkpoint tensor names
//
// "g.enc0.conv.weight" (W, 3+S, 7, 7), "g.enc0.in.weight" (W), "g.enc0.in.bias" (W); likewise
// g.enc1, g.enc2, g.dec0, g.dec1; "g.res{i}.conv1.weight", "g.res{i}.in1.weight", "g.res{i}.in1.bias",
// "g.res{i}.conv2.weight", "g.res{i}.in2.weight", "g.res{i}.in2.bias"; "g.out.conv.weight" (3, W, 7, 7);
// "d.layer{i}.conv.weight", "d.src.weight" (1, C, 3, 3), "d.cls.weight" (S, C, 4, 4). Optimiser
// moments are stored beside them as "adam.m.<name>" and "adam.v.<name>".
package gan
