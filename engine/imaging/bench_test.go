package imaging

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// noisy is a 256-level gradient with sensor-like noise, n x n.
func noisy(n int) *image.RGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	m := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			i := m.PixOffset(x, y)
			m.Pix[i] = uint8(x + rng.IntN(8))
			m.Pix[i+1] = uint8(y + rng.IntN(8))
			m.Pix[i+2] = uint8(x + y + rng.IntN(8))
			m.Pix[i+3] = 255
		}
	}
	return m
}

func BenchmarkDecodePNG256(b *testing.B) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, noisy(256)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Decode(buf.Bytes(), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSquare256To160(b *testing.B) {
	img := noisy(256)
	for b.Loop() {
		SquareSerial(img, 160)
	}
}

// BenchmarkThumbPNG compares image/png at BestSpeed with PNGEncoder on a 160x160 thumbnail.
func BenchmarkThumbPNG(b *testing.B) {
	img := SquareSerial(noisy(256), 160)
	b.Run("image-png-bestspeed", func(b *testing.B) {
		var n int
		for b.Loop() {
			var buf bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
				b.Fatal(err)
			}
			n = buf.Len()
		}
		b.ReportMetric(float64(n), "bytes")
	})
	b.Run("PNGEncoder", func(b *testing.B) {
		var e PNGEncoder
		var n int
		for b.Loop() {
			out, err := e.Encode(img)
			if err != nil {
				b.Fatal(err)
			}
			n = len(out)
		}
		b.ReportMetric(float64(n), "bytes")
	})
}

// BenchmarkSquarePhoto12MP is a camera JPEG's worth of pixels (4000x3000 YCbCr 4:2:0).
func BenchmarkSquarePhoto12MP(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i)
	}
	for b.Loop() {
		Square(img, 160)
	}
}
