package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// rawSafetensors builds a file from a header string and data bytes, as a hostile writer could.
func rawSafetensors(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func sameTensors(a, b map[string]Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for name, x := range a {
		y, ok := b[name]
		if !ok || len(x.Shape) != len(y.Shape) || len(x.Data) != len(y.Data) {
			return false
		}
		for i := range x.Shape {
			if x.Shape[i] != y.Shape[i] {
				return false
			}
		}
		for i := range x.Data { // bit for bit: NaN payloads and -0 survive
			if math.Float32bits(x.Data[i]) != math.Float32bits(y.Data[i]) {
				return false
			}
		}
	}
	return true
}

// scratchDir is a temp folder on tmpfs when there is one: WriteSafetensors fsyncs, and on a busy
// disk one fsync can take seconds, which stalls the fuzzer (measured here: minutes per few execs).
func scratchDir(t *testing.T) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "stylestudio-fuzz-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// FuzzReadSafetensors reads arbitrary bytes as a safetensors file. Invariants: no panic and no huge
// allocation; a refused file's error wraps ErrCorrupt; an accepted file's tensors each hold exactly
// as many values as their shape says, all inside the file; and writing what was read and reading it
// back gives the same tensors and metadata, bit for bit (the writer refuses only the reserved name "").
func FuzzReadSafetensors(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := WriteSafetensors(good, map[string]Tensor{
		"w":      {Shape: []int{2, 2}, Data: []float32{1, -2, float32(math.NaN()), float32(math.Inf(1))}},
		"b":      {Shape: []int{2}, Data: []float32{0.5, 0}},
		"scalar": {Shape: []int{}, Data: []float32{3}},
		"empty":  {Shape: []int{0, 4}, Data: []float32{}},
	}, map[string]string{"config": `{"ch":32}`, "styles": "neon,minimal"}); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)-3])
	f.Add(rawSafetensors(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{0, 0, 128, 63}))
	f.Add(rawSafetensors(`{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, []byte{0, 0, 128, 63}))
	f.Add(rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}`, make([]byte, 8)))
	f.Add(rawSafetensors(`{"__metadata__":{"k":1}}`, nil))
	f.Add(rawSafetensors(`{"x":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}`, nil))
	f.Add(rawSafetensors(`{"":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'})

	f.Fuzz(func(t *testing.T, data []byte) {
		dir := scratchDir(t)
		p := filepath.Join(dir, "in.safetensors")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tensors, meta, err := ReadSafetensors(p)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			if tensors != nil || meta != nil {
				t.Fatalf("error %v with results", err)
			}
			return
		}
		if meta == nil {
			t.Fatal("nil metadata map")
		}
		var values int64
		for name, tn := range tensors {
			n := int64(1)
			for _, d := range tn.Shape {
				if d < 0 {
					t.Fatalf("tensor %q has shape %v", name, tn.Shape)
				}
				n *= int64(d)
			}
			if tn.Size() != len(tn.Data) || n != int64(len(tn.Data)) {
				t.Fatalf("tensor %q: shape %v (%d values) but %d values read", name, tn.Shape, n, len(tn.Data))
			}
			values += int64(len(tn.Data))
		}
		if 4*values > int64(len(data)) {
			t.Fatalf("%d values read from a %d-byte file", values, len(data))
		}

		// Round trip through the writer.
		out := filepath.Join(dir, "out.safetensors")
		werr := WriteSafetensors(out, tensors, meta)
		if _, reserved := tensors[""]; reserved {
			if werr == nil {
				t.Fatal("writer accepted the reserved empty tensor name")
			}
			return
		}
		if werr != nil {
			t.Fatalf("writing back what was read: %v", werr)
		}
		t2, m2, err := ReadSafetensors(out)
		if err != nil {
			t.Fatalf("reading back what was written: %v", err)
		}
		if !sameTensors(tensors, t2) {
			t.Fatalf("round trip changed the tensors:\n%v\n%v", tensors, t2)
		}
		if len(meta) != len(m2) {
			t.Fatalf("round trip changed the metadata: %v, %v", meta, m2)
		}
		for k, v := range meta {
			if m2[k] != v {
				t.Fatalf("round trip changed metadata %q: %q, %q", k, v, m2[k])
			}
		}
	})
}

// TestSafetensorsShapeOverflow: a shape whose byte count overflows int64 (4 x 2^62 wraps to 0) was
// accepted with empty data_offsets, giving a tensor whose shape promised 2^62 values but held none.
func TestSafetensorsShapeOverflow(t *testing.T) {
	for _, shape := range []string{"[4611686018427387904]", "[2147483648,2147483648]", "[3,3074457345618258603]"} {
		p := filepath.Join(t.TempDir(), "x.safetensors")
		hdr := `{"x":{"dtype":"F32","shape":` + shape + `,"data_offsets":[0,0]}}`
		if err := os.WriteFile(p, rawSafetensors(hdr, nil), 0o644); err != nil {
			t.Fatal(err)
		}
		if tensors, _, err := ReadSafetensors(p); !errors.Is(err, ErrCorrupt) {
			t.Errorf("shape %s: got %v, %v; want ErrCorrupt", shape, tensors, err)
		}
	}
}
