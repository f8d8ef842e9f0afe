//go:build onednn

// Convolution forward, backward-data and backward-weights through oneDNN's C API. Every primitive is
// created with `any` layouts, so oneDNN picks the layouts its fastest (jit) kernel wants; the caller's
// tensors (NCHW or nChw16c activations, OIHW weights) are reordered into those layouts and back where
// they differ. The GAN keeps its activations in nChw16c where the AVX-512 kernels take it, so in the
// steady state only the weights and the 3-channel images are reordered. The reordered copies and the
// primitives' scratchpads live in a few buffers shared by every primitive, grown to the largest need:
// the Go side runs one call at a time, from one OS thread.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>
#include <dnnl_debug.h>

#include <dlfcn.h>

#include "onednn.h"

// libdnnl is opened at run time rather than linked: its OpenMP runtime (libgomp) reads
// OMP_WAIT_POLICY once, when it is loaded, and the default (spin after every parallel region) makes
// the idle OpenMP thread fight the Go goroutines that run between convolutions for the two cores:
// 3–4× slower steps on a busy machine. So sst_load sets PASSIVE first (unless the user chose), then
// opens the library. A binary built with the tag also runs, on the GEMM kernels, where libdnnl is
// missing.
#define SST_DNNL_FUNCS(X) \
	X(dnnl_convolution_backward_data_desc_init) \
	X(dnnl_convolution_backward_weights_desc_init) \
	X(dnnl_convolution_forward_desc_init) \
	X(dnnl_engine_create) \
	X(dnnl_memory_create) \
	X(dnnl_memory_desc_equal) \
	X(dnnl_memory_desc_get_size) \
	X(dnnl_memory_desc_init_by_tag) \
	X(dnnl_memory_destroy) \
	X(dnnl_memory_set_data_handle) \
	X(dnnl_primitive_attr_create) \
	X(dnnl_primitive_attr_destroy) \
	X(dnnl_primitive_attr_set_scratchpad_mode) \
	X(dnnl_primitive_create) \
	X(dnnl_primitive_desc_create) \
	X(dnnl_primitive_desc_destroy) \
	X(dnnl_primitive_desc_query) \
	X(dnnl_primitive_desc_query_md) \
	X(dnnl_primitive_destroy) \
	X(dnnl_primitive_execute) \
	X(dnnl_reorder_primitive_desc_create) \
	X(dnnl_status2str) \
	X(dnnl_stream_create) \
	X(dnnl_stream_wait)
#define SST_DECLARE(f) static __typeof__(&f) p_##f;
SST_DNNL_FUNCS(SST_DECLARE)
#define dnnl_convolution_backward_data_desc_init p_dnnl_convolution_backward_data_desc_init
#define dnnl_convolution_backward_weights_desc_init p_dnnl_convolution_backward_weights_desc_init
#define dnnl_convolution_forward_desc_init p_dnnl_convolution_forward_desc_init
#define dnnl_engine_create p_dnnl_engine_create
#define dnnl_memory_create p_dnnl_memory_create
#define dnnl_memory_desc_equal p_dnnl_memory_desc_equal
#define dnnl_memory_desc_get_size p_dnnl_memory_desc_get_size
#define dnnl_memory_desc_init_by_tag p_dnnl_memory_desc_init_by_tag
#define dnnl_memory_destroy p_dnnl_memory_destroy
#define dnnl_memory_set_data_handle p_dnnl_memory_set_data_handle
#define dnnl_primitive_attr_create p_dnnl_primitive_attr_create
#define dnnl_primitive_attr_destroy p_dnnl_primitive_attr_destroy
#define dnnl_primitive_attr_set_scratchpad_mode p_dnnl_primitive_attr_set_scratchpad_mode
#define dnnl_primitive_create p_dnnl_primitive_create
#define dnnl_primitive_desc_create p_dnnl_primitive_desc_create
#define dnnl_primitive_desc_destroy p_dnnl_primitive_desc_destroy
#define dnnl_primitive_desc_query p_dnnl_primitive_desc_query
#define dnnl_primitive_desc_query_md p_dnnl_primitive_desc_query_md
#define dnnl_primitive_destroy p_dnnl_primitive_destroy
#define dnnl_primitive_execute p_dnnl_primitive_execute
#define dnnl_reorder_primitive_desc_create p_dnnl_reorder_primitive_desc_create
#define dnnl_status2str p_dnnl_status2str
#define dnnl_stream_create p_dnnl_stream_create
#define dnnl_stream_wait p_dnnl_stream_wait

static void (*omp_set_num_threads_)(int);
static int threads = 1;

int sst_load(char *err, size_t errlen) {
	static int loaded;
	if (loaded) return 0;
	setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
	void *lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
#define SST_LOOKUP(f)                                                             \
	if (!(p_##f = (__typeof__(p_##f))dlsym(lib, #f))) {                            \
		snprintf(err, errlen, "libdnnl.so.2 has no %s", #f);                      \
		return -1;                                                                \
	}
	SST_DNNL_FUNCS(SST_LOOKUP)
	// libgomp, loaded with libdnnl: for running small reorders on the calling thread alone.
	omp_set_num_threads_ = (void (*)(int))dlsym(lib, "omp_set_num_threads");
	int (*omp_get_max_threads_)(void) = (int (*)(void))dlsym(lib, "omp_get_max_threads");
	if (omp_get_max_threads_) threads = omp_get_max_threads_();
	loaded = 1;
	return 0;
}

static dnnl_engine_t eng;
static dnnl_stream_t strm;

// Shared buffers: one per argument position (0..2) and one for the scratchpad (3).
enum { NBUF = 4 };
static void *bufs[NBUF];
static size_t bufcap[NBUF];

static void *arena(int i, size_t n) {
	if (n <= bufcap[i]) return bufs[i];
	free(bufs[i]);
	size_t rounded = (n + 63) / 64 * 64;
	bufs[i] = aligned_alloc(64, rounded);
	bufcap[i] = bufs[i] ? rounded : 0;
	return bufs[i];
}

size_t sst_scratch_bytes(void) {
	size_t s = 0;
	for (int i = 0; i < NBUF; i++) s += bufcap[i];
	return s;
}

typedef struct {
	int arg;        // DNNL_ARG_*
	int output;     // written by the primitive
	int reorder;    // the primitive's layout differs from the caller's
	size_t bytes;   // size in the primitive's layout
	dnnl_memory_t user, prim;
	dnnl_primitive_t reo; // user → prim for inputs, prim → user for outputs
} sst_arg;

struct sst_conv {
	dnnl_primitive_t prim;
	char *impl;
	sst_arg args[3];
	dnnl_memory_t scratch;
	size_t scratch_bytes;
};

#define CHECK(call)                                                                     \
	do {                                                                                \
		dnnl_status_t st_ = (call);                                                     \
		if (st_ != dnnl_success) {                                                      \
			snprintf(err, errlen, "%s: %s", #call, dnnl_status2str(st_));               \
			goto fail;                                                                  \
		}                                                                               \
	} while (0)

static int init_engine(char *err, size_t errlen) {
	if (eng) return 0;
	CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
	CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
	return 0;
fail:
	return -1;
}

// setup_arg prepares argument a of pd: the caller's layout is user_md.
static int setup_arg(sst_arg *a, const_dnnl_primitive_desc_t pd, int arg, int output,
		const dnnl_memory_desc_t *user_md, char *err, size_t errlen) {
	const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
	dnnl_primitive_desc_t rpd = NULL;
	a->arg = arg;
	a->output = output;
	a->bytes = dnnl_memory_desc_get_size(md);
	a->reorder = !dnnl_memory_desc_equal(md, user_md);
	CHECK(dnnl_memory_create(&a->prim, md, eng, DNNL_MEMORY_NONE));
	if (!a->reorder) return 0;
	CHECK(dnnl_memory_create(&a->user, user_md, eng, DNNL_MEMORY_NONE));
	if (output) {
		CHECK(dnnl_reorder_primitive_desc_create(&rpd, md, eng, user_md, eng, NULL));
	} else {
		CHECK(dnnl_reorder_primitive_desc_create(&rpd, user_md, eng, md, eng, NULL));
	}
	CHECK(dnnl_primitive_create(&a->reo, rpd));
	dnnl_primitive_desc_destroy(rpd);
	return 0;
fail:
	if (rpd) dnnl_primitive_desc_destroy(rpd);
	return -1;
}

void sst_conv_destroy(sst_conv *cv) {
	for (int i = 0; i < 3; i++) {
		sst_arg *a = &cv->args[i];
		if (a->reo) dnnl_primitive_destroy(a->reo);
		if (a->user) dnnl_memory_destroy(a->user);
		if (a->prim) dnnl_memory_destroy(a->prim);
	}
	if (cv->scratch) dnnl_memory_destroy(cv->scratch);
	if (cv->prim) dnnl_primitive_destroy(cv->prim);
	if (cv->impl) free(cv->impl);
	free(cv);
}

sst_conv *sst_conv_create(int kind, int n, int c, int h, int w, int o, int k, int stride, int pad, int oh,
		int ow, int src_blk, int dst_blk, char *err, size_t errlen) {
	sst_conv *cv = calloc(1, sizeof *cv);
	dnnl_primitive_desc_t fpd = NULL, pd = NULL;
	dnnl_primitive_attr_t attr = NULL;
	if (!cv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (init_engine(err, errlen)) goto fail;

	dnnl_dims_t sdims = {n, c, h, w}, wdims = {o, c, k, k}, ddims = {n, o, oh, ow};
	dnnl_dims_t strides = {stride, stride}, padl = {pad, pad};
	// The right/bottom padding that makes the output exactly oh×ow (less than pad when the last input
	// rows are not reached).
	dnnl_dims_t padr = {(oh - 1) * stride + k - h - pad, (ow - 1) * stride + k - w - pad};
	dnnl_memory_desc_t s_user, w_user, d_user, s_any, w_any, d_any;
	CHECK(dnnl_memory_desc_init_by_tag(&s_user, 4, sdims, dnnl_f32, src_blk ? dnnl_aBcd16b : dnnl_nchw));
	CHECK(dnnl_memory_desc_init_by_tag(&w_user, 4, wdims, dnnl_f32, dnnl_oihw));
	CHECK(dnnl_memory_desc_init_by_tag(&d_user, 4, ddims, dnnl_f32, dst_blk ? dnnl_aBcd16b : dnnl_nchw));
	CHECK(dnnl_memory_desc_init_by_tag(&s_any, 4, sdims, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&w_any, 4, wdims, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&d_any, 4, ddims, dnnl_f32, dnnl_format_tag_any));

	// The scratchpad is ours (one shared buffer) rather than one per primitive.
	CHECK(dnnl_primitive_attr_create(&attr));
	CHECK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));

	dnnl_convolution_desc_t fd;
	CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &s_any,
			&w_any, NULL, &d_any, strides, padl, padr));
	CHECK(dnnl_primitive_desc_create(&fpd, &fd, attr, eng, NULL));
	switch (kind) {
	case SST_FWD:
		pd = fpd;
		fpd = NULL;
		if (setup_arg(&cv->args[0], pd, DNNL_ARG_SRC, 0, &s_user, err, errlen)) goto fail;
		if (setup_arg(&cv->args[1], pd, DNNL_ARG_WEIGHTS, 0, &w_user, err, errlen)) goto fail;
		if (setup_arg(&cv->args[2], pd, DNNL_ARG_DST, 1, &d_user, err, errlen)) goto fail;
		break;
	case SST_BWD_DATA: {
		dnnl_convolution_desc_t bd;
		CHECK(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &s_any, &w_any, &d_any,
				strides, padl, padr));
		CHECK(dnnl_primitive_desc_create(&pd, &bd, attr, eng, fpd));
		if (setup_arg(&cv->args[0], pd, DNNL_ARG_DIFF_DST, 0, &d_user, err, errlen)) goto fail;
		if (setup_arg(&cv->args[1], pd, DNNL_ARG_WEIGHTS, 0, &w_user, err, errlen)) goto fail;
		if (setup_arg(&cv->args[2], pd, DNNL_ARG_DIFF_SRC, 1, &s_user, err, errlen)) goto fail;
		break;
	}
	case SST_BWD_WEIGHTS: {
		dnnl_convolution_desc_t bd;
		CHECK(dnnl_convolution_backward_weights_desc_init(&bd, dnnl_convolution_direct, &s_any, &w_any, NULL,
				&d_any, strides, padl, padr));
		CHECK(dnnl_primitive_desc_create(&pd, &bd, attr, eng, fpd));
		if (setup_arg(&cv->args[0], pd, DNNL_ARG_SRC, 0, &s_user, err, errlen)) goto fail;
		if (setup_arg(&cv->args[1], pd, DNNL_ARG_DIFF_DST, 0, &d_user, err, errlen)) goto fail;
		if (setup_arg(&cv->args[2], pd, DNNL_ARG_DIFF_WEIGHTS, 1, &w_user, err, errlen)) goto fail;
		break;
	}
	default:
		snprintf(err, errlen, "unknown convolution kind %d", kind);
		goto fail;
	}
	const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	cv->scratch_bytes = smd ? dnnl_memory_desc_get_size(smd) : 0;
	if (cv->scratch_bytes) CHECK(dnnl_memory_create(&cv->scratch, smd, eng, DNNL_MEMORY_NONE));
	const char *impl = NULL;
	CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
	cv->impl = strdup(impl ? impl : "unknown");
	CHECK(dnnl_primitive_create(&cv->prim, pd));
	dnnl_primitive_desc_destroy(pd);
	dnnl_primitive_attr_destroy(attr);
	if (fpd) dnnl_primitive_desc_destroy(fpd);
	return cv;
fail:
	if (pd) dnnl_primitive_desc_destroy(pd);
	if (fpd) dnnl_primitive_desc_destroy(fpd);
	if (attr) dnnl_primitive_attr_destroy(attr);
	sst_conv_destroy(cv);
	return NULL;
}

const char *sst_conv_impl(const sst_conv *cv) { return cv->impl; }

int sst_prefers_blocked16(void) {
	char err[256];
	size_t errlen = sizeof err;
	if (init_engine(err, errlen)) return 0;
	// A convolution like the GAN's residual blocks: which source layout does the fastest kernel take?
	dnnl_dims_t sdims = {2, 64, 16, 16}, wdims = {64, 64, 3, 3}, strides = {1, 1}, pad = {1, 1};
	dnnl_memory_desc_t s_any, w_any, d_any, blk;
	dnnl_primitive_desc_t pd = NULL;
	int yes = 0;
	CHECK(dnnl_memory_desc_init_by_tag(&s_any, 4, sdims, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&w_any, 4, wdims, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&d_any, 4, sdims, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&blk, 4, sdims, dnnl_f32, dnnl_aBcd16b));
	dnnl_convolution_desc_t fd;
	CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &s_any,
			&w_any, NULL, &d_any, strides, pad, pad));
	CHECK(dnnl_primitive_desc_create(&pd, &fd, NULL, eng, NULL));
	yes = dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), &blk) &&
			dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), &blk);
fail:
	if (pd) dnnl_primitive_desc_destroy(pd);
	return yes;
}

int sst_conv_reorders(const sst_conv *cv) {
	int r = 0;
	for (int i = 0; i < 3; i++) r += cv->args[i].reorder;
	return r;
}

// Reorders below this size run on the calling thread alone: waking the other OpenMP thread costs
// more than it saves on the weights and the discriminator's small activations (and on a busy
// machine a sleeping thread can take a scheduler tick to wake).
enum { SMALL_REORDER = 256 << 10 };

static int reorder(sst_arg *a) {
	dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a->output ? a->prim : a->user},
			{DNNL_ARG_TO, a->output ? a->user : a->prim}};
	int alone = omp_set_num_threads_ && threads > 1 && a->bytes < SMALL_REORDER;
	if (alone) omp_set_num_threads_(1);
	int st = dnnl_primitive_execute(a->reo, strm, 2, args);
	if (alone) omp_set_num_threads_(threads);
	return st;
}

int sst_conv_run(sst_conv *cv, const float *a, const float *b, float *out) {
	float *user[3] = {(float *)a, (float *)b, out};
	dnnl_exec_arg_t args[4];
	int nargs = 0;
	dnnl_status_t st;
	for (int i = 0; i < 3; i++) {
		sst_arg *x = &cv->args[i];
		void *handle = user[i];
		if (x->reorder) {
			handle = arena(i, x->bytes);
			if (!handle) return dnnl_out_of_memory;
			if ((st = dnnl_memory_set_data_handle(x->user, user[i])) != dnnl_success) return st;
		}
		if ((st = dnnl_memory_set_data_handle(x->prim, handle)) != dnnl_success) return st;
		if (x->reorder && !x->output && (st = reorder(x)) != dnnl_success) return st;
		args[nargs++] = (dnnl_exec_arg_t){x->arg, x->prim};
	}
	if (cv->scratch) {
		void *pad = arena(3, cv->scratch_bytes);
		if (!pad) return dnnl_out_of_memory;
		if ((st = dnnl_memory_set_data_handle(cv->scratch, pad)) != dnnl_success) return st;
		args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, cv->scratch};
	}
	if ((st = dnnl_primitive_execute(cv->prim, strm, nargs, args)) != dnnl_success) return st;
	sst_arg *o = &cv->args[2];
	if (o->reorder && (st = reorder(o)) != dnnl_success) return st;
	return dnnl_stream_wait(strm);
}
