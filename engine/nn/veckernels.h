// Vectorised kernels of the oneDNN build (see veckernels.c): the instance norm on nChw16c activations,
// one sample at a time, and the (leaky) ReLU and its gradient.
#ifndef SSTUDIO_VECKERNELS_H
#define SSTUDIO_VECKERNELS_H

#include <stddef.h>

void sst_blk_stats(const float *x, int blocks, int hw, float *mean, float *inv);
void sst_blk_apply(float *y, const float *x, int blocks, int hw, const float *sc, const float *sh, int relu);
void sst_blk_sums(const float *x, const float *dy, int blocks, int hw, const float *mean, const float *inv,
		double *sd, double *sdx);
void sst_blk_input_grad(float *dx, const float *x, const float *dy, int blocks, int hw, const float *k1,
		const float *k2, const float *m, const float *iv, const float *gc);

// sst_leaky writes out[i] = g[i] where v[i] > 0, else g[i]·slope: the ReLU (g = v, slope 0), the leaky
// ReLU, and their gradients (g = dy).
void sst_leaky(float *out, const float *v, const float *g, size_t n, float slope);

#endif
