// Instance-norm kernels for nChw16c activations, one sample at a time (see normblk.c).
#ifndef SSTUDIO_NORMBLK_H
#define SSTUDIO_NORMBLK_H

void sst_blk_stats(const float *x, int blocks, int hw, float *mean, float *inv);
void sst_blk_apply(float *y, const float *x, int blocks, int hw, const float *sc, const float *sh, int relu);
void sst_blk_sums(const float *x, const float *dy, int blocks, int hw, const float *mean, const float *inv,
		double *sd, double *sdx);
void sst_blk_input_grad(float *dx, const float *x, const float *dy, int blocks, int hw, const float *k1,
		const float *k2, const float *m, const float *iv, const float *gc);

#endif
