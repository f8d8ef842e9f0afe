// Package nn holds the neural-network building blocks shared by the style classifier and the
// style-transfer GAN:
//
//   - safetensors.go: WriteSafetensors / ReadSafetensors, F32 checkpoints in the format PyTorch's
//     safetensors reads (8-byte little-endian header length, JSON header, raw little-endian data),
//     written atomically (temp file, fsync, rename) and validated on read.
//
//   - layers.go: graph helpers on gorgonia (NCHW, float32): parameters that share their backing
//     array with a Tensor, inputs, a conv + batch-norm + ReLU block, He initialisation from an
//     explicit *rand.Rand.
//
//   - adam.go: Adam with decoupled weight decay and a per-step learning rate (CosineLR), for
//     parameters living in gorgonia nodes.
//
//   - infer.go: pure-Go inference kernels (convolution via im2col + gonum sgemm, folded batch
//     norm + ReLU, pooling, linear, softmax, batch-norm statistics) that compute what the graph
//     blocks compute, so trained weights can be served without a graph and from many goroutines.
//
//   - ops_conv.go, conv_onednn.go, conv_gemm.go, onednn.c: the convolution op of both training graphs
//     (GAN and style classifier) and its two gradients. Backends, chosen by build tags: oneDNN
//     (`onednn`, libdnnl: primitives cached per shape, layouts chosen by oneDNN, reorders from and to
//     NCHW around each call, never a reference kernel), else im2col + GEMM on OpenBLAS (`openblas`)
//     or gonum (no tags, pure Go). ConvBackend names the one built in.
//
// It pins and checks the toolchain too: gorgonia v0.9.18 with a go4.org/unsafe/assume-no-moving-gc
// new enough for Go 1.26 (gorgonia_test.go). The package keeps no mutable global state except, in the
// oneDNN build, the executor that owns the library's primitives and scratch buffers (conv_onednn.go).
package nn
