//go:build onednn

// The per-sample instance-norm kernels for nChw16c activations (norm_blocked.go has the same loops in
// Go, and says what each computes), and the (leaky) ReLU's select (ops_pointwise.go's leaky). Sixteen channels lie side by side, so the compiler turns each
// pixel's inner loop into vector instructions; on AVX-512 CPUs (the ones whose oneDNN kernels take
// nChw16c) one register holds a pixel's 16 values. Compiled without contraction (no fused
// multiply-add), so the results are the Go loops' bit for bit.

#pragma GCC optimize("fp-contract=off")

#include <math.h>
#include <stddef.h>

#include "veckernels.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SST_CLONES __attribute__((target_clones("avx512f", "default")))
#else
#define SST_CLONES
#endif

enum { B = 16 };

SST_CLONES void sst_blk_stats(const float *x, int blocks, int hw, float *mean, float *inv) {
	for (int k = 0; k < blocks; k++) {
		const float *p = x + (size_t)k * B * hw;
		double s[B] = {0}, q[B] = {0};
		for (int j = 0; j < hw; j++)
			for (int l = 0; l < B; l++) s[l] += (double)p[j * B + l];
		for (int l = 0; l < B; l++) s[l] /= (double)hw;
		for (int j = 0; j < hw; j++)
			for (int l = 0; l < B; l++) {
				double d = (double)p[j * B + l] - s[l];
				q[l] += d * d;
			}
		for (int l = 0; l < B; l++) {
			mean[k * B + l] = (float)s[l];
			inv[k * B + l] = (float)(1 / sqrt(q[l] / (double)hw + 1e-5));
		}
	}
}

SST_CLONES void sst_blk_apply(float *y, const float *x, int blocks, int hw, const float *sc, const float *sh,
		int relu) {
	for (int k = 0; k < blocks; k++) {
		const float *p = x + (size_t)k * B * hw, *a = sc + k * B, *c = sh + k * B;
		float *o = y + (size_t)k * B * hw;
		if (relu) {
			for (int j = 0; j < hw; j++)
				for (int l = 0; l < B; l++) {
					float z = p[j * B + l] * a[l] + c[l];
					o[j * B + l] = z > 0 ? z : z * 0.0f;
				}
			continue;
		}
		for (int j = 0; j < hw; j++)
			for (int l = 0; l < B; l++) o[j * B + l] = p[j * B + l] * a[l] + c[l];
	}
}

SST_CLONES void sst_blk_sums(const float *x, const float *dy, int blocks, int hw, const float *mean,
		const float *inv, double *sd, double *sdx) {
	for (int k = 0; k < blocks; k++) {
		const float *p = x + (size_t)k * B * hw, *g = dy + (size_t)k * B * hw, *m = mean + k * B, *iv = inv + k * B;
		double s[B] = {0}, t[B] = {0};
		for (int j = 0; j < hw; j++)
			for (int l = 0; l < B; l++) {
				float d = g[j * B + l];
				s[l] += (double)d;
				t[l] += (double)d * (double)((p[j * B + l] - m[l]) * iv[l]);
			}
		for (int l = 0; l < B; l++) {
			sd[k * B + l] = s[l];
			sdx[k * B + l] = t[l];
		}
	}
}

SST_CLONES void sst_blk_input_grad(float *dx, const float *x, const float *dy, int blocks, int hw, const float *k1,
		const float *k2, const float *m, const float *iv, const float *gc) {
	for (int k = 0; k < blocks; k++) {
		const float *p = x + (size_t)k * B * hw, *g = dy + (size_t)k * B * hw;
		const float *a = k1 + k * B, *b = k2 + k * B, *mm = m + k * B, *ii = iv + k * B, *gg = gc + k * B;
		float *o = dx + (size_t)k * B * hw;
		for (int j = 0; j < hw; j++)
			for (int l = 0; l < B; l++)
				o[j * B + l] = gg[l] * (g[j * B + l] - a[l] - (p[j * B + l] - mm[l]) * ii[l] * b[l]);
	}
}

SST_CLONES void sst_leaky(float *out, const float *v, const float *g, size_t n, float slope) {
	for (size_t i = 0; i < n; i++) out[i] = v[i] > 0 ? g[i] : g[i] * slope;
}
