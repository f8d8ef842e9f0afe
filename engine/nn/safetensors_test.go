package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleTensors() map[string]Tensor {
	return map[string]Tensor{
		"conv.weight": {Shape: []int{2, 1, 2, 2}, Data: []float32{1, -2, 3.5, 4, 0, float32(math.Inf(1)), -0.25, 8}},
		"fc.bias":     {Shape: []int{3}, Data: []float32{0.5, 1e-7, -3e8}},
		"scalar":      {Shape: []int{}, Data: []float32{42}},
		"empty":       {Shape: []int{0, 4}, Data: []float32{}},
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	want := sampleTensors()
	meta := map[string]string{"config": `{"width":16}`, "styles": "a,b"}
	if err := WriteSafetensors(path, want, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("metadata = %v, want %v", gotMeta, meta)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Fatalf("tensor %q missing", name)
		}
		if !reflect.DeepEqual(g.Shape, w.Shape) {
			t.Errorf("%s shape = %v, want %v", name, g.Shape, w.Shape)
		}
		if len(g.Data) != len(w.Data) {
			t.Fatalf("%s has %d values, want %d", name, len(g.Data), len(w.Data))
		}
		for i := range w.Data {
			if math.Float32bits(g.Data[i]) != math.Float32bits(w.Data[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, g.Data[i], w.Data[i])
			}
		}
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after write, want 1", len(entries))
	}
}

// TestSafetensorsLayout checks the bytes against the format other readers (PyTorch's safetensors) expect.
func TestSafetensorsLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteSafetensors(path, map[string]Tensor{
		"b": {Shape: []int{2}, Data: []float32{1, 2}},
		"a": {Shape: []int{1, 1}, Data: []float32{-1}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	if n%8 != 0 {
		t.Errorf("header length %d is not 8-byte aligned", n)
	}
	hdr := raw[8 : 8+n]
	if hdr[0] != '{' {
		t.Errorf("header starts with %q, want '{'", hdr[0])
	}
	var h map[string]struct {
		Dtype       string `json:"dtype"`
		Shape       []int  `json:"shape"`
		DataOffsets []int  `json:"data_offsets"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	if _, ok := h["__metadata__"]; ok {
		t.Error("empty metadata should be omitted")
	}
	if h["a"].Dtype != "F32" || !reflect.DeepEqual(h["a"].DataOffsets, []int{0, 4}) || !reflect.DeepEqual(h["b"].DataOffsets, []int{4, 12}) {
		t.Errorf("header = %+v", h)
	}
	data := raw[8+n:]
	// The reference reader (safetensors' Rust core, used by PyTorch) requires the tensors, taken in
	// offset order, to tile the data section exactly: no gap, no overlap, nothing after the end.
	if h["a"].DataOffsets[0] != 0 || h["a"].DataOffsets[1] != h["b"].DataOffsets[0] || h["b"].DataOffsets[1] != len(data) {
		t.Errorf("offsets %v %v do not tile the %d data bytes", h["a"].DataOffsets, h["b"].DataOffsets, len(data))
	}
	if len(data) != 12 {
		t.Fatalf("data section is %d bytes, want 12", len(data))
	}
	if v := math.Float32frombits(binary.LittleEndian.Uint32(data[4:])); v != 1 {
		t.Errorf("b[0] = %v, want 1 (little-endian)", v)
	}
}

func writeRaw(t *testing.T, header string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	buf = append(buf, header...)
	buf = append(buf, data...)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func expectCorrupt(t *testing.T, path, mention string) {
	t.Helper()
	_, _, err := ReadSafetensors(path)
	if err == nil {
		t.Fatal("read succeeded, want an error")
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("error %v does not wrap ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
	if !strings.Contains(err.Error(), mention) {
		t.Errorf("error %q does not mention %q", err, mention)
	}
}

func TestSafetensorsTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteSafetensors(path, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, cut := range []int{0, 5, 8, 20, len(raw) - 1} {
		if err := os.WriteFile(path, raw[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := ReadSafetensors(path)
		if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Errorf("cut at %d: err = %v, want a corrupt-file error naming the file", cut, err)
		}
	}
}

func TestSafetensorsBadHeader(t *testing.T) {
	expectCorrupt(t, writeRaw(t, "not json", nil), "JSON")
	expectCorrupt(t, writeRaw(t, `{"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, make([]byte, 2)), "F16")
	expectCorrupt(t, writeRaw(t, `{"__metadata__":{"a":1}}`, nil), "__metadata__")

	// A header length larger than the file.
	path := filepath.Join(t.TempDir(), "huge.safetensors")
	buf := binary.LittleEndian.AppendUint64(nil, 1<<40)
	buf = append(buf, "{}"...)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	expectCorrupt(t, path, "header length")
}

func TestSafetensorsWrongOffsets(t *testing.T) {
	data := make([]byte, 16)
	expectCorrupt(t, writeRaw(t, `{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}`, data), "span")
	expectCorrupt(t, writeRaw(t, `{"x":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}`, data), "outside")
	expectCorrupt(t, writeRaw(t, `{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,4]}}`, data), "outside")
	expectCorrupt(t, writeRaw(t,
		`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, data),
		"overlap")
}

func TestSafetensorsWriteRejectsBadTensor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	err := WriteSafetensors(path, map[string]Tensor{"x": {Shape: []int{2, 2}, Data: []float32{1}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("err = %v, want a shape mismatch naming the tensor", err)
	}
	if _, statErr := os.Stat(path); !os.IsNotExist(statErr) {
		t.Error("a failed write left a file behind")
	}
	if err := WriteSafetensors(filepath.Join(t.TempDir(), "missing", "m.safetensors"), sampleTensors(), nil); err == nil {
		t.Error("write into a missing folder succeeded")
	}
}
