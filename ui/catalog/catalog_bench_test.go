package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"stylestudio/engine/imaging"
	"stylestudio/engine/ingest"
	"stylestudio/store"
	"stylestudio/ui/kit"
)

// BenchmarkOpenLargeCatalog measures opening a 10,000-product library to the first painted grid: open the
// database, build the shell, run the first query, decode the visible thumbnails and render the window.
// Goal: under 1 s. Run: go test ./ui -run xxx -bench OpenLargeCatalog -benchtime 3x
func BenchmarkOpenLargeCatalog(b *testing.B) {
	const products = 10000
	dir := b.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	thumb := image.NewNRGBA(image.Rect(0, 0, ingest.ThumbSize, ingest.ThumbSize))
	for i := range thumb.Pix {
		thumb.Pix[i] = uint8(i * 7)
	}
	thumbPNG, err := imaging.EncodePNG(thumb)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < products; i++ {
		img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
		img.Set(0, 0, color.NRGBA{R: uint8(i), G: uint8(i >> 8), B: 1, A: 255})
		data, _ := imaging.EncodePNG(img)
		sum := sha256.Sum256(data)
		rec := ingest.Record{SKU: fmt.Sprintf("SKU-%05d", i), Title: fmt.Sprintf("Product %d", i), Category: []string{"Tops", "Bags", "Lighting"}[i%3],
			Image: ingest.Image{Hash: hex.EncodeToString(sum[:]), Bytes: data, Format: "png", Width: 4, Height: 4, Source: "bench"},
			Thumb: thumbPNG}
		if i%2 == 0 {
			rec.Style, rec.LabelSource = []string{"minimal", "neon", "vintage"}[i%3], "bench"
		}
		if _, err := db.AddRecord(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	test.NewTempApp(b)

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		db, err := store.Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		w := test.NewTempWindow(b, nil)
		runCtx, cancel := context.WithCancel(ctx)
		sh := newTestShell(kit.Deps{Ctx: runCtx, DB: db, Window: w, Headless: true})
		w.SetContent(sh.Object())
		w.Resize(fyne.NewSize(1280, 800))
		loaded := make(chan int, 1)
		sh.Screen.OnLoaded(func(n int) { loaded <- n })
		sh.Start()
		if n := <-loaded; n != products {
			b.Fatalf("grid shows %d products", n)
		}
		sh.OnUI(func() {
			sh.Screen.PreloadFirst(runCtx, 30)
			w.Canvas().Capture()
		})
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-first-paint")
		cancel()
		db.Close()
	}
}
