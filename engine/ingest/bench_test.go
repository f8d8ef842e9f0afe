package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fsSink mimics the store: it hashes the bytes again and writes them content-addressed through a
// temp file, fsync and rename; thumbnails stay in memory (the store keeps them in SQLite).
type fsSink struct {
	dir     string
	mu      sync.Mutex
	hashes  map[string]bool
	thumbs  int
	addWall time.Duration // time spent in AddRecord, fsync included
}

func (s *fsSink) HasImage(_ context.Context, hash string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hashes[hash], nil
}

func (s *fsSink) AddRecord(ctx context.Context, r Record) (bool, error) {
	t0 := time.Now()
	defer func() {
		s.mu.Lock()
		s.addWall += time.Since(t0)
		s.mu.Unlock()
	}()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	sum := sha256.Sum256(r.Image.Bytes)
	hash := hex.EncodeToString(sum[:])
	if hash != r.Image.Hash {
		return false, fmt.Errorf("hash mismatch for %s", r.Image.Source)
	}
	s.mu.Lock()
	seen := s.hashes[hash]
	s.mu.Unlock()
	if seen {
		return false, nil
	}
	final := filepath.Join(s.dir, hash[:2], hash[2:])
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return false, err
	}
	f, err := os.CreateTemp(s.dir, "tmp-*")
	if err != nil {
		return false, err
	}
	if _, err := f.Write(r.Image.Bytes); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return false, err
	}
	s.mu.Lock()
	s.hashes[hash] = true
	s.thumbs += len(r.Thumb)
	s.mu.Unlock()
	return true, nil
}

// productLike draws a 256x256 picture with the statistics of a product photo: smooth gradients, a
// few soft shapes and sensor-like noise, so PNG files land around 60-100 KB.
func productLike(rng *rand.Rand) *image.RGBA {
	const n = 256
	m := image.NewRGBA(image.Rect(0, 0, n, n))
	base := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	grad := [3]float64{rng.Float64()*2 - 1, rng.Float64()*2 - 1, rng.Float64()*2 - 1}
	cx, cy, r := 64+rng.Float64()*128, 64+rng.Float64()*128, 30+rng.Float64()*60
	shape := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	freq := 0.02 + rng.Float64()*0.08
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			inside := 1 / (1 + math.Exp((d-r)/3)) // soft edge
			stripe := 12 * math.Sin(float64(x+y)*freq)
			var px [3]uint8
			for c := range 3 {
				v := base[c] + grad[c]*float64(x+y)*0.4
				v = v*(1-inside) + (shape[c]+stripe)*inside
				v += rng.NormFloat64() * 3.5
				px[c] = uint8(max(0, min(255, v)))
			}
			i := m.PixOffset(x, y)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = px[0], px[1], px[2], 255
		}
	}
	return m
}

// writeProductPNGs writes count productLike PNGs into dir/style<k>/item_<i>.png, on all CPUs.
// Picture i depends only on i.
func writeProductPNGs(dir string, count int) error {
	var wg sync.WaitGroup
	errs := make([]error, count)
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := filepath.Join(dir, fmt.Sprintf("style%d", i%5), fmt.Sprintf("item_%04d.png", i))
				if _, err := os.Stat(p); err == nil {
					continue
				}
				errs[i] = writePNG(p, productLike(rand.New(rand.NewPCG(uint64(i), 2))))
			}
		}()
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// BenchmarkRun imports 1,000 generated 256x256 PNGs per iteration into a store-like sink and
// reports images/s. Run with: go test ./engine/ingest -run '^$' -bench BenchmarkRun -benchtime 3x
// (the pattern also runs BenchmarkRunPhotos: 24- and 100-megapixel JPEGs).
func BenchmarkRun(b *testing.B) {
	const count = 1000
	src := b.TempDir()
	if err := writeProductPNGs(src, count); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d PNGs, mean %.1f KB", count, float64(folderBytes(b, src))/count/1024)
	benchImport(b, src, count)
}

// folderBytes is the size of the files under dir.
func folderBytes(b *testing.B, dir string) int64 {
	var bytes int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			bytes += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return bytes
}

// benchImport plans and imports the count files under src into a fresh store-like sink per
// iteration and reports images/s, CPU and AddRecord time per image.
func benchImport(b *testing.B, src string, count int) {
	ctx := context.Background()
	opts := Options{LabelsFromFolders: true}
	iters := 0
	var addWall time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		sink := &fsSink{dir: b.TempDir(), hashes: map[string]bool{}}
		jobs, failures, err := Plan(ctx, []string{src}, opts)
		if err != nil || len(failures) != 0 || len(jobs) != count {
			b.Fatalf("plan: %v %v %d", err, failures, len(jobs))
		}
		sum, err := Run(ctx, sink, jobs, opts, func(Progress) {})
		if err != nil || sum.Imported != count {
			b.Fatalf("run: %v %+v", err, sum)
		}
		iters++
		addWall += sink.addWall
	}
	b.ReportMetric(float64(count*iters)/b.Elapsed().Seconds(), "images/s")
	if cpu := cpuTime(); cpu >= 0 {
		b.ReportMetric(float64(cpu-cpu0)/1e6/float64(count*iters), "cpu-ms/img")
	}
	b.ReportMetric(float64(addWall)/1e6/float64(count*iters), "add-ms/img")
}
