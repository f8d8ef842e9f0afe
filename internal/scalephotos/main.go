// Command scalephotos writes a folder of large, distinct JPEG product photos for the 10,000-product
// scale measurement (scripts/scale-window): each is a crop of one of the real pictures Debian's
// gnome-backgrounds package ships (4096 x 4096 WebP images of wood, tiles, glass and such), at a random
// place, mirrored or not, with its own brightness, re-encoded as a JPEG, so every file has its own
// content, hash and decoding cost, like a camera's.
//
//	go run ./internal/scalephotos [--count 10000] [--width 1600] [--height 1200] [--quality 85] [--seed 1] OUT
//
// The output depends only on the source pictures and the flags.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"golang.org/x/image/webp"

	"stylestudio/internal/par"
)

const sourceDir = "/usr/share/backgrounds/gnome"

func main() {
	count := flag.Int("count", 10000, "how many photos")
	width := flag.Int("width", 1600, "width in pixels")
	height := flag.Int("height", 1200, "height in pixels")
	quality := flag.Int("quality", 85, "JPEG quality")
	seed := flag.Uint64("seed", 1, "seed of the crops")
	flag.Parse()
	if flag.NArg() != 1 || *count < 1 || *width < 16 || *height < 16 {
		fmt.Fprintln(os.Stderr, "usage: scalephotos [--count N] [--width W] [--height H] [--quality Q] [--seed S] OUT")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *count, *width, *height, *quality, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "scalephotos:", err)
		os.Exit(1)
	}
}

func run(out string, count, w, h, quality int, seed uint64) error {
	paths, _ := filepath.Glob(filepath.Join(sourceDir, "*.webp"))
	sort.Strings(paths)
	var srcs []*image.RGBA
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		img, err := webp.Decode(bufio.NewReader(f))
		f.Close()
		if err != nil || img.Bounds().Dx() < w || img.Bounds().Dy() < h {
			continue // the tiny placeholders (vnc-*.webp), or a picture this decoder cannot read
		}
		rgba := image.NewRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
		srcs = append(srcs, rgba)
	}
	if len(srcs) == 0 {
		return fmt.Errorf("no WebP picture of at least %dx%d in %s: install Debian's gnome-backgrounds", w, h, sourceDir)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	errs := make([]error, count)
	par.ForN(count, runtime.GOMAXPROCS(0), func(_, i int) {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		src := srcs[i%len(srcs)]
		b := src.Bounds()
		x0 := b.Min.X + rng.IntN(b.Dx()-w+1)
		y0 := b.Min.Y + rng.IntN(b.Dy()-h+1)
		mirror := rng.IntN(2) == 1
		gain := 0.75 + 0.5*rng.Float64()
		var lut [256]uint8
		for v := range lut {
			lut[v] = uint8(min(255, float64(v)*gain))
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				sx := x0 + x
				if mirror {
					sx = x0 + w - 1 - x
				}
				s := src.PixOffset(sx, y0+y)
				o := dst.PixOffset(x, y)
				dst.Pix[o+0] = lut[src.Pix[s+0]]
				dst.Pix[o+1] = lut[src.Pix[s+1]]
				dst.Pix[o+2] = lut[src.Pix[s+2]]
				dst.Pix[o+3] = 255
			}
		}
		f, err := os.Create(filepath.Join(out, fmt.Sprintf("photo_%05d.jpg", i)))
		if err != nil {
			errs[i] = err
			return
		}
		bw := bufio.NewWriter(f)
		err = jpeg.Encode(bw, dst, &jpeg.Options{Quality: quality})
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		errs[i] = err
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	fmt.Printf("scalephotos: %d JPEGs of %dx%d from %d source pictures in %s\n", count, w, h, len(srcs), out)
	return nil
}
