//go:build onednn

package nn

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "onednn.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// convBackend names the convolution implementation: oneDNN (Debian's libdnnl, the library PyTorch
// itself calls on CPU), with the im2col + GEMM kernels as the fallback for any shape oneDNN has no jit
// kernel for, and for everything where libdnnl.so.2 cannot be opened (then it is the BLAS's name).
func convBackend() string {
	if onednn.loadErr() != nil {
		return blasName
	}
	return "onednn"
}

// maxPrims bounds the primitive cache: inference at many batch sizes would otherwise grow it forever.
const maxPrims = 256

type primKey struct {
	g     convGeom
	lay   convLayout
	batch int
	kind  convKind
}

// prim is one cached oneDNN primitive; cv is nil where oneDNN offered only a reference kernel (or
// none), and the GEMM kernels run instead.
type prim struct {
	cv   *C.sst_conv
	impl string
	// padC > 0: a weight gradient computed as if the input had padC channels, the extra ones zero
	// (see padded); xPad and dwPad are its buffers, reused from call to call.
	padC        int
	xPad, dwPad []float32
}

// executor owns oneDNN's state for the process: the primitives, cached per shape, and the shared
// scratch buffers in onednn.c. Every call runs on one locked OS thread, one at a time: OpenMP keeps a
// thread pool per calling thread, and the scratch buffers are shared by all primitives.
type executor struct {
	start sync.Once
	calls chan func()
	prims map[primKey]*prim // touched only on the executor's thread
	err   error             // libdnnl could not be opened
	// blocked16: the CPU's convolution kernels take nChw16c activations, so a graph that keeps its
	// activations in that layout saves a reorder on each side of every convolution.
	blocked16 bool
	impls     sync.Map // shape → implementation, for ConvImpls
}

var onednn executor

// do runs f on the executor's thread; false where libdnnl could not be opened.
func (e *executor) do(f func()) bool {
	e.start.Do(func() {
		var msg [256]C.char
		if C.sst_load(&msg[0], C.size_t(len(msg))) != 0 {
			e.err = fmt.Errorf("oneDNN: %s", C.GoString(&msg[0]))
			return
		}
		e.calls = make(chan func())
		e.prims = map[primKey]*prim{}
		e.blocked16 = C.sst_prefers_blocked16() != 0
		go func() {
			runtime.LockOSThread() // never unlocked: this goroutine is oneDNN's thread for good
			for f := range e.calls {
				f()
			}
		}()
	})
	if e.err != nil {
		return false
	}
	done := make(chan struct{})
	e.calls <- func() { f(); close(done) }
	<-done
	return true
}

// loadErr opens libdnnl if that has not been tried yet and says why it failed.
func (e *executor) loadErr() error {
	e.do(func() {})
	return e.err
}

// get returns the primitive for key, creating it on first use (on the executor's thread).
func (e *executor) get(key primKey) *prim {
	if p, ok := e.prims[key]; ok {
		return p
	}
	if len(e.prims) >= maxPrims {
		for k, p := range e.prims {
			if p.cv != nil {
				C.sst_conv_destroy(p.cv)
			}
			delete(e.prims, k)
		}
	}
	p := e.create(key)
	if q := e.padded(key, p); q != nil {
		if p.cv != nil {
			C.sst_conv_destroy(p.cv)
		}
		p = q
	}
	e.prims[key] = p
	e.impls.Store(fmt.Sprintf("%s %v%v b%d", [...]string{"fwd", "bwd-data", "bwd-weights"}[key.kind], key.g, key.lay, key.batch), p.impl)
	return p
}

// create builds the primitive for key (cv nil where oneDNN has no jit kernel for it).
func (e *executor) create(key primKey) *prim {
	g := key.g
	var msg [256]C.char
	p := &prim{}
	cv := C.sst_conv_create(C.int(key.kind), C.int(key.batch), C.int(g.c), C.int(g.h), C.int(g.w), C.int(g.o),
		C.int(g.k), C.int(g.stride), C.int(g.pad), C.int(g.outH()), C.int(g.outW()), cflag(key.lay.in == NChw16c),
		cflag(key.lay.out == NChw16c), &msg[0], C.size_t(len(msg)))
	if cv == nil {
		p.impl = "gemm (oneDNN: " + C.GoString(&msg[0]) + ")"
		return p
	}
	p.impl = C.GoString(C.sst_conv_impl(cv))
	// A reference kernel is hundreds of times slower than the GEMM path: never run one.
	if strings.HasPrefix(p.impl, "ref") {
		C.sst_conv_destroy(cv)
		p.impl = "gemm (oneDNN offered only " + p.impl + ")"
		return p
	}
	p.cv = cv
	if n := int(C.sst_conv_reorders(cv)); n > 0 {
		p.impl += fmt.Sprintf(" (%d reorders)", n)
	}
	return p
}

// padded returns a weight-gradient primitive for an input padded with zero channels to a multiple of
// 16, where that gets an AVX-512 kernel and the exact channel count does not (nil otherwise). The
// generator's first layer (3 colour channels and one plane per style: 9 with 6 styles) is such a
// case: oneDNN 2.6 computes its weight gradient on the AVX2 kernel at 10.4 ms (batch 16, 64 px),
// against 6.2 ms on the AVX-512 one with 16 channels, of which the extra 7 are thrown away.
func (e *executor) padded(key primKey, p *prim) *prim {
	const wide = "jit:avx512"
	if key.kind != convDWeight || !e.blocked16 || key.lay.in != NCHW || key.g.c%Blk == 0 || key.g.c <= 3 ||
		strings.HasPrefix(p.impl, wide) {
		return nil
	}
	wider := key
	wider.g.c = (key.g.c + Blk - 1) / Blk * Blk
	q := e.create(wider)
	if q.cv == nil || !strings.HasPrefix(q.impl, wide) {
		if q.cv != nil {
			C.sst_conv_destroy(q.cv)
		}
		return nil
	}
	q.padC = wider.g.c
	q.impl += fmt.Sprintf(" (input padded to %d channels)", q.padC)
	return q
}

func cflag(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// blockedLayout says whether graphs should keep activations whose channel count is a multiple of 16
// in nChw16c: true where oneDNN is loaded and its kernels on this CPU work in that layout.
func blockedLayout() bool {
	return onednn.loadErr() == nil && onednn.blocked16
}

// runConv runs one convolution computation (see convKind for the order of a and b) on activations in
// the layouts lay names.
func runConv(kind convKind, g convGeom, lay convLayout, batch int, out, a, b []float32) {
	var p *prim
	var status C.int
	ok := onednn.do(func() {
		if p = onednn.get(primKey{g: g, lay: lay, batch: batch, kind: kind}); p.cv == nil {
			return
		}
		x, y, o := a, b, out
		if kind == convDInput { // the graph op takes (w, dy); oneDNN's backward-data (dy, w)
			x, y = b, a
		}
		if p.padC > 0 {
			x, o = p.padInput(g, batch, x), p.dwPad
		}
		status = C.sst_conv_run(p.cv, (*C.float)(unsafe.Pointer(&x[0])), (*C.float)(unsafe.Pointer(&y[0])),
			(*C.float)(unsafe.Pointer(&o[0])))
		if p.padC > 0 && status == 0 {
			p.unpadWeights(g, out)
		}
	})
	if !ok || p.cv == nil {
		gemmConvLayout(kind, g, lay, batch, out, a, b)
		return
	}
	if status != 0 {
		// Execution fails only on exhausted memory; the graph op has no error path, and a panic
		// here would be a stack trace for the user, so compute the same result the slow way.
		gemmConvLayout(kind, g, lay, batch, out, a, b)
	}
}

// ConvImpls lists the kernel oneDNN chose for each convolution shape run so far ("jit:avx512_core",
// "gemm:jit", or "gemm (…)" where the GEMM kernels ran instead), for tests and diagnostics.
func ConvImpls() map[string]string {
	out := map[string]string{}
	onednn.impls.Range(func(k, v any) bool {
		out[k.(string)] = v.(string)
		return true
	})
	return out
}

// padInput copies x (batch × g.c × h × w) into p's padded input, whose channels past g.c stay zero.
func (p *prim) padInput(g convGeom, batch int, x []float32) []float32 {
	hw := g.h * g.w
	if p.xPad == nil {
		p.xPad = make([]float32, batch*p.padC*hw)
		p.dwPad = make([]float32, g.o*p.padC*g.k*g.k)
	}
	for b := 0; b < batch; b++ {
		copy(p.xPad[b*p.padC*hw:][:g.c*hw], x[b*g.c*hw:][:g.c*hw])
	}
	return p.xPad
}

// unpadWeights copies the weight gradient of the real input channels from p's padded one into dw.
func (p *prim) unpadWeights(g convGeom, dw []float32) {
	kk := g.k * g.k
	for o := 0; o < g.o; o++ {
		copy(dw[o*g.c*kk:][:g.c*kk], p.dwPad[o*p.padC*kk:][:g.c*kk])
	}
}
