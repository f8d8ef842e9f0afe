package tasks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"stylestudio/engine/dataset"
	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/store"
)

// StylizeRequest is a batch restyle of catalog products with one run's model.
type StylizeRequest struct {
	Run        store.Run
	Model      *gan.Model
	Style      string
	SKUs       []string // these products; with ProductIDs also empty, every product with an image
	ProductIDs []int64
	FullRes    bool // the product's own resolution (else the model's size)
	OutDir     string
	Format     string                                     // "png" (default) or "jpeg"
	Quality    int                                        // JPEG quality 1–100 (default 90)
	SideBySide bool                                       // also write <name>-compare.<ext>: original | stylized
	Adjust     func(orig, styled image.Image) image.Image // optional post-processing (Preview's adjustments)
	Workers    int
	Progress   func(done, total int)
}

// StylizeResult is one product's outcome; Err is that product's failure (the batch goes on).
type StylizeResult struct {
	SKU       string
	ProductID int64
	Path      string
	Err       error
}

// StylizeProducts restyles the requested products, stores each result as a catalog variant (product,
// style, run) so the Feed can show it, and, when OutDir is set, writes one file per product named after
// its original file (or its SKU), made safe and unique. It returns per-product results; the error is
// for problems that stop the whole batch (unknown SKU, cancellation, an unwritable output folder).
func StylizeProducts(ctx context.Context, db *store.DB, req StylizeRequest) ([]StylizeResult, error) {
	if req.Model == nil {
		return nil, fmt.Errorf("stylize: no model loaded")
	}
	if _, err := req.Model.StyleIndex(req.Style); err != nil {
		return nil, err
	}
	st, err := db.StyleByName(ctx, req.Style)
	if err != nil {
		return nil, fmt.Errorf("style %q is not in the catalog: %w", req.Style, err)
	}
	all, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		return nil, err
	}
	var rows []store.ProductRow
	switch {
	case len(req.SKUs) > 0:
		bySKU := map[string]store.ProductRow{}
		for _, p := range all {
			bySKU[p.SKU] = p
		}
		var missing []string
		for _, s := range req.SKUs {
			if p, ok := bySKU[s]; ok {
				rows = append(rows, p)
			} else {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("no product with SKU %s in the catalog; check the SKUs with `stylestudio catalog`", strings.Join(missing, ", "))
		}
	case len(req.ProductIDs) > 0:
		if rows, err = db.ProductsByID(ctx, req.ProductIDs); err != nil {
			return nil, err
		}
	default:
		for _, p := range all {
			if p.ImageHash != "" {
				rows = append(rows, p)
			}
		}
	}
	if req.OutDir != "" {
		if err := os.MkdirAll(req.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("create the output folder %s: %w", req.OutDir, err)
		}
		removeStaleTemps(req.OutDir) // of an earlier stylize into this folder that was killed
	}
	ext := ".png"
	if req.Format == "jpeg" || req.Format == "jpg" {
		ext = ".jpg"
	}
	names := uniqueNames(ctx, db, rows, ext)
	results := make([]StylizeResult, len(rows))
	workers := max(1, min(req.Workers, len(rows)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	var fault error // a full or read-only disk: no later product could be saved either
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := rows[i]
				r := StylizeResult{SKU: p.SKU, ProductID: p.ID}
				r.Path, r.Err = stylizeOne(ctx, db, req, p, st.ID, names[i])
				results[i] = r
				mu.Lock()
				if fault == nil && isStorageFault(r.Err) {
					fault = r.Err
				}
				done++
				if req.Progress != nil {
					req.Progress(done, len(rows))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range rows {
		mu.Lock()
		stop := fault != nil
		mu.Unlock()
		if ctx.Err() != nil || stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return results, err
	}
	if fault != nil {
		what, todo := "the disk is full", "free some space"
		if errors.Is(fault, syscall.EROFS) || errors.Is(fault, store.ErrReadOnly) {
			what, todo = "a folder became read-only", "make it writable or choose another folder"
		}
		saved := 0
		for _, r := range results {
			if r.Err == nil && r.SKU != "" {
				saved++
			}
		}
		return results, fmt.Errorf("stylize stopped: %s (%w); %d of %d products were saved before; %s and run it again",
			what, fault, saved, len(rows), todo)
	}
	return results, nil
}

// isStorageFault reports whether err means a disk is full or read-only, which no product escapes.
func isStorageFault(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EROFS) ||
		errors.Is(err, store.ErrDiskFull)
}

func stylizeOne(ctx context.Context, db *store.DB, req StylizeRequest, p store.ProductRow, styleID int64, name string) (string, error) {
	if p.ImageHash == "" {
		return "", errors.New("the product has no image")
	}
	data, err := db.ReadObject(p.ImageHash)
	if err != nil {
		return "", fmt.Errorf("read its image: %w", err)
	}
	orig, _, err := imaging.Decode(data, imaging.DefaultMaxPixels)
	if err != nil {
		return "", err
	}
	var out image.Image
	if req.FullRes {
		out, err = req.Model.FullRes(orig, req.Style)
	} else {
		out, err = req.Model.Preview(orig, req.Style)
	}
	if err != nil {
		return "", err
	}
	if req.Adjust != nil {
		out = req.Adjust(orig, out)
	}
	pngBytes, err := imaging.EncodePNG(out)
	if err != nil {
		return "", err
	}
	if _, err := db.PutVariantImage(context.WithoutCancel(ctx), p.ID, styleID, req.Run.ID, pngBytes); err != nil {
		return "", fmt.Errorf("save the variant: %w", err)
	}
	if req.OutDir == "" {
		return "", nil
	}
	path := filepath.Join(req.OutDir, name)
	if err := writeImage(path, out, pngBytes, req); err != nil {
		return "", err
	}
	if req.SideBySide {
		cmp := sideBySide(imaging.Flatten(orig), out)
		cmpPath := strings.TrimSuffix(path, filepath.Ext(path)) + "-compare" + filepath.Ext(path)
		var enc []byte
		if filepath.Ext(path) == ".png" {
			if enc, err = imaging.EncodePNG(cmp); err != nil {
				return "", err
			}
		}
		if err := writeImage(cmpPath, cmp, enc, req); err != nil {
			return "", err
		}
	}
	return path, nil
}

func writeImage(path string, img image.Image, pngBytes []byte, req StylizeRequest) error {
	data := pngBytes
	if filepath.Ext(path) == ".jpg" {
		q := req.Quality
		if q < 1 || q > 100 {
			q = 90
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, imaging.Flatten(img), &jpeg.Options{Quality: q}); err != nil {
			return fmt.Errorf("encode %s: %w", path, err)
		}
		data = buf.Bytes()
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("write %s: %w (check the folder is writable and the disk has space)", path, err)
	}
	return os.Chmod(path, 0o644) // exported pictures are for sharing, unlike the temp file's 0600

}

// sideBySide puts the original and the stylized image next to each other at the stylized height.
func sideBySide(orig, styled image.Image) *image.NRGBA {
	sb, ob := styled.Bounds(), orig.Bounds()
	left := orig
	if ob.Dy() != sb.Dy() {
		left = imaging.Square(orig, sb.Dy())
	}
	lb := left.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, lb.Dx()+sb.Dx(), max(lb.Dy(), sb.Dy())))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	drawAt(out, left, image.Pt(0, 0))
	drawAt(out, styled, image.Pt(lb.Dx(), 0))
	return out
}

func drawAt(dst *image.NRGBA, src image.Image, at image.Point) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(at.X+x-b.Min.X, at.Y+y-b.Min.Y, src.At(x, y))
		}
	}
}

// uniqueNames picks an output file name per product: its original file's base name (or SKU), made safe
// for every filesystem by dataset.SafeName, with -2, -3… added on collisions.
func uniqueNames(ctx context.Context, db *store.DB, rows []store.ProductRow, ext string) []string {
	used := map[string]bool{}
	out := make([]string, len(rows))
	for i, p := range rows {
		base := p.SKU
		if d, err := db.Product(ctx, p.ID); err == nil && d.SourcePath != "" {
			base = strings.TrimSuffix(filepath.Base(d.SourcePath), filepath.Ext(d.SourcePath))
		}
		base = dataset.SafeName(base)
		if base == "" {
			base = fmt.Sprintf("product-%d", p.ID)
		}
		name := base + ext
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}
