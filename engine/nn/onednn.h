// Convolutions through oneDNN's C API (built with the `onednn` tag; see conv_onednn.go and onednn.c).
#ifndef SSTUDIO_ONEDNN_H
#define SSTUDIO_ONEDNN_H

#include <stddef.h>

// The three computations of one convolution shape.
enum { SST_FWD = 0, SST_BWD_DATA = 1, SST_BWD_WEIGHTS = 2 };

// One primitive for one (batch, geometry, layouts, kind), with its reorders between the caller's layouts
// (NCHW or nChw16c activations, OIHW weights) and the layouts the primitive chose. Opaque to Go.
typedef struct sst_conv sst_conv;

// sst_load opens libdnnl (once); on failure it returns -1 and writes a message into err.
int sst_load(char *err, size_t errlen);
// sst_conv_create builds the primitive; on failure it returns NULL and writes a message into err.
// The caller's activations (source and destination, or their gradients) are NCHW, or with src_blk /
// dst_blk set nChw16c (oneDNN's aBcd16b: channels in blocks of 16, the block innermost).
sst_conv *sst_conv_create(int kind, int n, int c, int h, int w, int o, int k, int stride, int pad, int oh,
		int ow, int src_blk, int dst_blk, char *err, size_t errlen);
// sst_prefers_blocked16 says whether this CPU's fastest convolution kernels take and give nChw16c
// activations (AVX-512: yes; AVX2 kernels block by 8).
int sst_prefers_blocked16(void);
// sst_conv_destroy frees it.
void sst_conv_destroy(sst_conv *cv);
// sst_conv_impl is the implementation oneDNN picked ("jit:avx512_core", "gemm:jit", "ref:any", …).
const char *sst_conv_impl(const sst_conv *cv);
// sst_conv_reorders counts the arguments that are reordered on every call (0 to 3).
int sst_conv_reorders(const sst_conv *cv);
// sst_conv_run runs it: FWD (a = x, b = w, out = y), BWD_DATA (a = dy, b = w, out = dx),
// BWD_WEIGHTS (a = x, b = dy, out = dw). Returns 0 or a dnnl_status_t.
int sst_conv_run(sst_conv *cv, const float *a, const float *b, float *out);
// sst_scratch_bytes is the size of the scratch buffers shared by every primitive.
size_t sst_scratch_bytes(void);

#endif
