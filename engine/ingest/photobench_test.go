package ingest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"stylestudio/engine/imaging"
)

// photoJPEGs writes count distinct w x h JPEGs into dir: one camera-like picture (smooth shading,
// a few shapes and sensor-like noise, so the file is about as big as a camera's: ~7 MB at 24 MP),
// then copies that differ only by a comment block, so each has its own hash and is imported at the
// same decoding cost. The picture is built as 4:2:0 YCbCr planes and encoded by image/jpeg, without
// ever holding it as RGBA.
func photoJPEGs(b *testing.B, dir string, w, h, count int) {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	var x uint64 = 0x9e3779b97f4a7c15
	for y := 0; y < h; y++ {
		row := m.Y[y*m.YStride : y*m.YStride+w]
		for i := range row {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			v := 60 + 120*(i+y)/(w+h) + int(x&15) - 8
			if (i/(w/6)+y/(h/4))%3 == 0 {
				v += 50
			}
			row[i] = uint8(max(0, min(255, v)))
		}
	}
	for y := 0; y < (h+1)/2; y++ {
		for i := 0; i < (w+1)/2; i++ {
			m.Cb[y*m.CStride+i] = uint8(100 + 60*i/w)
			m.Cr[y*m.CStride+i] = uint8(150 - 60*y/h)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for i := range count {
		com := fmt.Appendf(nil, "copy %d", i)
		out := append([]byte{0xff, 0xd8, 0xff, 0xfe, 0, byte(len(com) + 2)}, com...)
		out = append(out, data[2:]...)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("photo_%03d.jpg", i)), out, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d JPEGs of %dx%d (%.0f MP), %.1f MB each; decoder %s", count, w, h, float64(w*h)/1e6, float64(len(data))/(1<<20), imaging.Backend())
}

// BenchmarkRunPhotos imports folders of camera-sized JPEGs end to end (read, hash, decode at
// thumbnail size, thumbnail, store): 24 megapixels for speed (goal: at least 5 images/s), and
// 100 megapixels for memory (goal: peak RSS under 600 MB; it needs libvips, Go's decoders stop at
// 40 MP). Run with:
//
//	go test -tags vips ./engine/ingest -run '^$' -bench 'BenchmarkRun' -benchtime 1x
func BenchmarkRunPhotos(b *testing.B) {
	b.Run("24MP", func(b *testing.B) {
		src := b.TempDir()
		const count = 16
		photoJPEGs(b, src, 6000, 4000, count)
		benchImport(b, src, count)
	})
	b.Run("100MP", func(b *testing.B) {
		if imaging.DefaultMaxPixels < 100_000_000 {
			b.Skipf("the %s decoder's limit is %d pixels: build with -tags vips", imaging.Backend(), imaging.DefaultMaxPixels)
		}
		src := b.TempDir()
		const count = 8
		photoJPEGs(b, src, 12000, 8400, count)
		runtime.GC()
		debug.FreeOSMemory()
		if !resetPeakRSS() {
			b.Log("peak RSS cannot be reset here; it includes what ran before")
		}
		benchImport(b, src, count)
		if rss := peakRSS(); rss > 0 {
			b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		}
	})
}
