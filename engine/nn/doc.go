// Package nn will hold the neural-network building blocks on gorgonia shared by the style classifier and
// the style-transfer GAN (layers, weight init, safetensors, BLAS selection). For now it only pins and checks
// the toolchain: gorgonia v0.9.18 with a go4.org/unsafe/assume-no-moving-gc new enough for Go 1.26.
package nn
