package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// Tensor is a dense float32 tensor in row-major (C) order, the unit safetensors files hold.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Size is the number of elements the shape describes (1 for a scalar, empty shape).
func (t Tensor) Size() int { return shapeSize(t.Shape) }

func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// MaxHeaderBytes bounds the JSON header a reader accepts (the safetensors reference uses the same limit).
const MaxHeaderBytes = 100 << 20

// metadataKey is the reserved header entry holding free-form string metadata.
const metadataKey = "__metadata__"

type tensorEntry struct {
	Dtype       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes tensors (all F32) and string metadata to path in the safetensors format:
// an 8-byte little-endian header length, a JSON header {"name": {"dtype":"F32","shape":[..],
// "data_offsets":[begin,end]}, "__metadata__": {..}} padded with spaces to a multiple of 8 bytes, then
// the raw little-endian data, tensors laid out in name order. The file is written to a temporary file
// in the same folder, fsynced and renamed over path, so a crash never leaves a half-written file.
func WriteSafetensors(path string, tensors map[string]Tensor, meta map[string]string) error {
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		if name == "" || name == metadataKey {
			return fmt.Errorf("write %s: tensor name %q is reserved; rename the tensor", path, name)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("write %s: tensor %q has negative dimension in shape %v", path, name, t.Shape)
			}
		}
		if t.Size() != len(t.Data) {
			return fmt.Errorf("write %s: tensor %q has shape %v (%d values) but %d values of data",
				path, name, t.Shape, t.Size(), len(t.Data))
		}
		names = append(names, name)
	}
	sort.Strings(names)

	header := make(map[string]any, len(tensors)+1)
	var offset int64
	for _, name := range names {
		t := tensors[name]
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		end := offset + 4*int64(len(t.Data))
		header[name] = tensorEntry{Dtype: "F32", Shape: shape, DataOffsets: [2]int64{offset, end}}
		offset = end
	}
	if len(meta) > 0 {
		header[metadataKey] = meta
	}
	hdr, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("write %s: encode header: %w", path, err)
	}
	for len(hdr)%8 != 0 { // the format allows trailing spaces; aligned data helps mmap readers
		hdr = append(hdr, ' ')
	}

	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w (check that the folder exists and is writable)", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()

	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	if _, err := f.Write(lenBuf[:]); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(hdr); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	buf := make([]byte, 0, 1<<16)
	for _, name := range names {
		for _, v := range tensors[name].Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				if _, err := f.Write(buf); err != nil {
					return fmt.Errorf("write %s: %w (is the disk full?)", path, err)
				}
				buf = buf[:0]
			}
		}
	}
	if _, err := f.Write(buf); err != nil {
		return fmt.Errorf("write %s: %w (is the disk full?)", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	// Make the rename itself durable; failure here does not lose data already renamed.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// ErrCorrupt marks a file that is not a valid F32 safetensors file; errors from ReadSafetensors that
// concern the file's content wrap it (test with errors.Is).
var ErrCorrupt = errors.New("not a valid safetensors file")

// ReadSafetensors reads a safetensors file written by WriteSafetensors or by another safetensors
// writer, as long as every tensor is F32. It validates the header length, that every tensor's byte
// range lies inside the data section, matches its shape and does not overlap another, and returns the
// tensors and the "__metadata__" strings (an empty map when there are none).
func ReadSafetensors(path string) (map[string]Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	size := st.Size()
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("read %s: %w: %s; the file is damaged or not a checkpoint, save or train it again",
			path, ErrCorrupt, fmt.Sprintf(format, args...))
	}
	if size < 8 {
		return nil, nil, corrupt("file is %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen == 0 || hlen > MaxHeaderBytes || hlen > uint64(size-8) {
		return nil, nil, corrupt("header length %d is impossible for a %d-byte file", hlen, size)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return nil, nil, fmt.Errorf("read %s: header: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, nil, corrupt("header is not a JSON object (%v)", err)
	}
	meta := map[string]string{}
	if m, ok := raw[metadataKey]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, corrupt("__metadata__ is not a map of strings (%v)", err)
		}
		delete(raw, metadataKey)
	}
	dataLen := size - 8 - int64(hlen)

	type span struct {
		name       string
		begin, end int64
	}
	entries := make(map[string]tensorEntry, len(raw))
	spans := make([]span, 0, len(raw))
	for name, msg := range raw {
		var e tensorEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, corrupt("entry %q is malformed (%v)", name, err)
		}
		if e.Dtype != "F32" {
			return nil, nil, corrupt("tensor %q has dtype %q; only F32 is supported", name, e.Dtype)
		}
		// The element count; refused before 4 bytes per element could overflow int64 (a shape like
		// [2^62] must not wrap around to a small byte count that matches its data_offsets).
		n := int64(1)
		if slices.Contains(e.Shape, 0) {
			n = 0
		}
		for _, d := range e.Shape {
			if d < 0 || (n > 0 && int64(d) > math.MaxInt64/4/n) {
				return nil, nil, corrupt("tensor %q has impossible shape %v", name, e.Shape)
			}
			n *= int64(d)
		}
		b, en := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || en < b || en > dataLen {
			return nil, nil, corrupt("tensor %q has data_offsets [%d, %d] outside the %d data bytes", name, b, en, dataLen)
		}
		if en-b != 4*n {
			return nil, nil, corrupt("tensor %q has shape %v (%d bytes) but data_offsets [%d, %d] span %d bytes",
				name, e.Shape, 4*n, b, en, en-b)
		}
		entries[name] = e
		spans = append(spans, span{name, b, en})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].name < spans[j].name
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return nil, nil, corrupt("tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}

	data := make([]byte, dataLen)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("read %s: data: %w", path, err)
	}
	out := make(map[string]Tensor, len(entries))
	for name, e := range entries {
		raw := data[e.DataOffsets[0]:e.DataOffsets[1]]
		vals := make([]float32, len(raw)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		shape := append([]int{}, e.Shape...)
		out[name] = Tensor{Shape: shape, Data: vals}
	}
	return out, meta, nil
}
