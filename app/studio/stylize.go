package studio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/disintegration/gift"

	"stylestudio/engine/dataset"
	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/internal/par"
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
	// SkipVariants writes files only; by default every result is also stored as a catalog variant.
	SkipVariants bool
	Workers      int
	// Progress is called after each product with its result (from a worker goroutine, one call at a time).
	Progress func(done, total int, last StylizeResult)
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
// its original file (or its SKU), made safe and unique. It returns per-product results (in request
// order; a product never started because the batch stopped has an empty SKU); the error is for problems
// that stop the whole batch (unknown SKU, cancellation, a full or read-only disk). The CLI's `stylize`
// and the Preview screen's batch export both run it.
func StylizeProducts(ctx context.Context, db *store.DB, req StylizeRequest) ([]StylizeResult, error) {
	if req.Model == nil {
		return nil, fmt.Errorf("stylize: no model loaded")
	}
	if _, err := req.Model.StyleIndex(req.Style); err != nil {
		return nil, err
	}
	var styleID int64
	if !req.SkipVariants {
		st, err := db.StyleByName(ctx, req.Style)
		if err != nil {
			return nil, fmt.Errorf("style %q is not in the catalog (renamed or deleted since the model was trained); export without saving variants, or train again: %w", req.Style, err)
		}
		styleID = st.ID
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
			return nil, fmt.Errorf("no product with SKU %s in the catalog; check the SKUs in the catalog", strings.Join(missing, ", "))
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
	names := outputNames(ctx, db, rows, ext)
	results := make([]StylizeResult, len(rows))
	workers := max(1, min(req.Workers, len(rows)))
	var mu sync.Mutex
	done := 0
	var fault error // a full or read-only disk: no later product could be saved either
	par.ForN(len(rows), workers, func(_, i int) {
		mu.Lock()
		stop := fault != nil
		mu.Unlock()
		if ctx.Err() != nil || stop {
			return // cancelled, or the disk failed, while this product waited: it is not started
		}
		p := rows[i]
		r := StylizeResult{SKU: p.SKU, ProductID: p.ID}
		r.Path, r.Err = stylizeOne(ctx, db, req, p, styleID, names[i])
		results[i] = r
		mu.Lock()
		defer mu.Unlock()
		if fault == nil && isStorageFault(r.Err) {
			fault = r.Err
		}
		done++
		if req.Progress != nil {
			req.Progress(done, len(rows), r)
		}
	})
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
	if !req.SkipVariants {
		if _, err := db.PutVariantImage(context.WithoutCancel(ctx), p.ID, styleID, req.Run.ID, pngBytes); err != nil {
			return "", fmt.Errorf("save the variant: %w", err)
		}
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
	return nil
}

// sideBySide puts two images next to each other on white, both scaled to the taller one's height, with
// a small gap so the two read as separate pictures.
func sideBySide(left, right image.Image) *image.NRGBA {
	lb, rb := left.Bounds(), right.Bounds()
	h := max(lb.Dy(), rb.Dy())
	scale := func(img image.Image) image.Image {
		b := img.Bounds()
		if b.Dy() == h {
			return img
		}
		g := gift.New(gift.Resize(0, h, gift.LinearResampling))
		out := image.NewNRGBA(g.Bounds(b))
		g.Draw(out, img)
		return out
	}
	l, r := scale(left), scale(right)
	gap := max(8, h/32)
	out := image.NewNRGBA(image.Rect(0, 0, l.Bounds().Dx()+gap+r.Bounds().Dx(), h))
	draw.Draw(out, out.Rect, &image.Uniform{color.White}, image.Point{}, draw.Src)
	draw.Draw(out, l.Bounds().Sub(l.Bounds().Min), l, l.Bounds().Min, draw.Over)
	off := image.Pt(l.Bounds().Dx()+gap, 0)
	draw.Draw(out, r.Bounds().Sub(r.Bounds().Min).Add(off), r, r.Bounds().Min, draw.Over)
	return out
}

// outputNames picks an output file name per product (see OutputNamer), with ext appended.
func outputNames(ctx context.Context, db *store.DB, rows []store.ProductRow, ext string) []string {
	var n OutputNamer
	out := make([]string, len(rows))
	for i, p := range rows {
		source := ""
		if d, err := db.Product(ctx, p.ID); err == nil {
			source = d.SourcePath
		}
		out[i] = n.Name(source, p.SKU) + ext
	}
	return out
}

// OutputNamer hands out one export's file names: a product's original file name without its extension
// where it has one (so files keep their names), else its SKU; made safe for any file system by
// dataset.SafeName; unique case-insensitively (a clash gets "-SKU", then "-SKU-2", …).
type OutputNamer struct{ taken map[string]bool }

// Name returns the next product's name, without extension.
func (n *OutputNamer) Name(sourcePath, sku string) string {
	if n.taken == nil {
		n.taken = map[string]bool{}
	}
	base := ""
	if sourcePath != "" && !strings.HasPrefix(sourcePath, "demo:") {
		base = filepath.Base(strings.ReplaceAll(sourcePath, `\`, "/"))
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if strings.TrimSpace(base) == "" || base == "." || base == "/" {
		base = sku
	}
	base = dataset.SafeName(base)
	safeSKU := dataset.SafeName(sku)
	cand := base
	if n.taken[strings.ToLower(cand)] {
		cand = dataset.SafeName(base + "-" + safeSKU)
	}
	for i := 2; n.taken[strings.ToLower(cand)]; i++ {
		cand = dataset.SafeName(fmt.Sprintf("%s-%s-%d", base, safeSKU, i))
	}
	n.taken[strings.ToLower(cand)] = true
	return cand
}
