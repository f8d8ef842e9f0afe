//go:build vips

package imaging

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"testing"
)

// TestPNGHasICC: small PNGs skip libvips only when they carry no ICC profile to convert.
func TestPNGHasICC(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	if pngHasICC(plain) {
		t.Fatal("a PNG without iCCP reported one")
	}
	// An iCCP chunk right after IHDR (8-byte signature + 25-byte IHDR chunk).
	body := append([]byte("iCCP"), []byte("profile\x00\x00")...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(body)-4))
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	withICC := append(append(append([]byte{}, plain[:33]...), chunk...), plain[33:]...)
	if !pngHasICC(withICC) {
		t.Fatal("the iCCP chunk was not found")
	}
	for n := range len(withICC) { // cut anywhere: no panic
		pngHasICC(withICC[:n])
	}
}
