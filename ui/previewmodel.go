package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"github.com/disintegration/gift"

	"stylestudio/engine/dataset"
	"stylestudio/engine/gan"
	"stylestudio/engine/imaging"
	"stylestudio/engine/ingest"
	"stylestudio/store"
)

// This file holds the Preview screen's work that needs no widgets: adjustments after stylization and
// the batch export.

// adjustments are applied after stylization. Strength blends the stylized image with the original
// (1 = fully stylized); the others are gift's percentages; Sharpen 0..1 scales an unsharp mask.
type adjustments struct {
	Strength   float64 `json:"strength"`
	Brightness float64 `json:"brightness"`
	Contrast   float64 `json:"contrast"`
	Saturation float64 `json:"saturation"`
	Sharpen    float64 `json:"sharpen"`
}

func defaultAdjustments() adjustments { return adjustments{Strength: 1} }

func (a adjustments) isDefault() bool { return a == defaultAdjustments() }

// adjustPrefKey is the preference holding a style's adjustments.
func adjustPrefKey(style string) string { return "preview.adjust." + style }

// loadAdjustments reads a style's remembered adjustments (defaults when none or unreadable).
func loadAdjustments(p fyne.Preferences, style string) adjustments {
	a := defaultAdjustments()
	if p == nil {
		return a
	}
	if s := p.String(adjustPrefKey(style)); s != "" {
		_ = json.Unmarshal([]byte(s), &a)
	}
	return a.clamped()
}

// saveAdjustments remembers a style's adjustments.
func saveAdjustments(p fyne.Preferences, style string, a adjustments) {
	if p == nil {
		return
	}
	if a.isDefault() {
		p.RemoveValue(adjustPrefKey(style))
		return
	}
	data, _ := json.Marshal(a)
	p.SetString(adjustPrefKey(style), string(data))
}

func (a adjustments) clamped() adjustments {
	c := func(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }
	return adjustments{Strength: c(a.Strength, 0, 1), Brightness: c(a.Brightness, -100, 100), Contrast: c(a.Contrast, -100, 100),
		Saturation: c(a.Saturation, -100, 100), Sharpen: c(a.Sharpen, 0, 1)}
}

// toNRGBAImage converts (or returns) img as NRGBA at the origin.
func toNRGBAImage(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// applyAdjustments returns stylized with a applied; original is the image it was made from (any size:
// it is resized to the stylized image's size for the strength blend). Default adjustments return
// stylized itself.
func applyAdjustments(original, stylized image.Image, a adjustments) *image.NRGBA {
	st := toNRGBAImage(stylized)
	if a.isDefault() {
		return st
	}
	out := st
	if a.Strength < 1 && original != nil {
		orig := toNRGBAImage(original)
		if orig.Rect.Size() != st.Rect.Size() {
			g := gift.New(gift.Resize(st.Rect.Dx(), st.Rect.Dy(), gift.LinearResampling))
			r := image.NewNRGBA(st.Rect)
			g.Draw(r, orig)
			orig = r
		}
		out = image.NewNRGBA(st.Rect)
		t := a.Strength
		for i := range out.Pix {
			out.Pix[i] = uint8(float64(orig.Pix[i])*(1-t) + float64(st.Pix[i])*t + 0.5)
		}
	}
	var filters []gift.Filter
	if a.Brightness != 0 {
		filters = append(filters, gift.Brightness(float32(a.Brightness)))
	}
	if a.Contrast != 0 {
		filters = append(filters, gift.Contrast(float32(a.Contrast)))
	}
	if a.Saturation != 0 {
		filters = append(filters, gift.Saturation(float32(a.Saturation)))
	}
	if a.Sharpen > 0 {
		filters = append(filters, gift.UnsharpMask(1, float32(2*a.Sharpen), 0))
	}
	if len(filters) == 0 {
		return out
	}
	g := gift.New(filters...)
	res := image.NewNRGBA(g.Bounds(out.Rect))
	g.Draw(res, out)
	return res
}

// squareContent is where Square(img, size) put the picture inside its size×size square.
func squareContent(w, h, size int) image.Rectangle {
	fw, fh := size, size
	if w > h {
		fh = max(1, int((int64(h)*int64(size)+int64(w)/2)/int64(w)))
	} else if h > w {
		fw = max(1, int((int64(w)*int64(size)+int64(h)/2)/int64(h)))
	}
	at := image.Pt((size-fw)/2, (size-fh)/2)
	return image.Rectangle{Min: at, Max: at.Add(image.Pt(fw, fh))}
}

// cropPreview cuts the padding off a preview-size result so it has the original's shape.
func cropPreview(preview *image.NRGBA, origW, origH int) *image.NRGBA {
	r := squareContent(origW, origH, preview.Rect.Dx())
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Rect, preview, r.Min, draw.Src)
	return out
}

// sideBySide puts two images next to each other on white, both scaled to the taller one's height.
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

// exportOptions say what a batch export writes.
type exportOptions struct {
	Dir          string
	Style        string
	Format       string // "png" or "jpeg"
	Quality      int    // JPEG quality 1..100
	SideBySide   bool   // also write NAME-compare.EXT: original | stylized
	SaveVariants bool   // store each result as a variant in the catalog (the Feed shows them)
	Adjust       adjustments
	RunID        int64
}

func (o exportOptions) ext() string {
	if o.Format == "jpeg" {
		return ".jpg"
	}
	return ".png"
}

// exportBaseName is a product's output name without extension: its original file's name where it has
// one (so files keep their names), else its SKU; made safe for any file system.
func exportBaseName(sourcePath, sku string) string {
	base := ""
	if sourcePath != "" && !strings.HasPrefix(sourcePath, "demo:") {
		base = filepath.Base(strings.ReplaceAll(sourcePath, `\`, "/"))
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if strings.TrimSpace(base) == "" || base == "." || base == "/" {
		base = sku
	}
	return dataset.SafeName(base)
}

// exportNamer hands out unique names (case-insensitively) within one export.
type exportNamer struct{ taken map[string]bool }

func (n *exportNamer) name(base, sku string) string {
	if n.taken == nil {
		n.taken = map[string]bool{}
	}
	cand := base
	if n.taken[strings.ToLower(cand)] {
		cand = dataset.SafeName(base + "-" + sku)
	}
	for i := 2; n.taken[strings.ToLower(cand)]; i++ {
		cand = dataset.SafeName(fmt.Sprintf("%s-%s-%d", base, sku, i))
	}
	n.taken[strings.ToLower(cand)] = true
	return cand
}

// encodeImage writes img as PNG or JPEG.
func encodeImage(img image.Image, format string, quality int) ([]byte, error) {
	if format == "jpeg" {
		var buf bytes.Buffer
		// JPEG has no alpha: flatten on white first.
		flat := image.NewRGBA(img.Bounds())
		draw.Draw(flat, flat.Rect, &image.Uniform{color.White}, image.Point{}, draw.Src)
		draw.Draw(flat, flat.Rect, img, img.Bounds().Min, draw.Over)
		if err := jpeg.Encode(&buf, flat, &jpeg.Options{Quality: max(1, min(100, quality))}); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return imaging.EncodePNG(img)
}

// writeFileAtomic writes data to a temporary file beside path, syncs and closes it, then renames it.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// errNoStyleInCatalog: the model's style was renamed or deleted in the catalog since training.
var errNoStyleInCatalog = errors.New("style is not in the catalog")

// runExport stylizes rows at full resolution into opt.Dir, one product after another, and (with
// SaveVariants) stores each result as a variant. A product that fails is recorded with its reason and
// the export goes on; cancelling ctx stops before the next product. before, when not nil, runs before
// each product (tests use it to cancel at a known point).
func runExport(ctx context.Context, db *store.DB, m *gan.Model, rows []store.ProductRow, opt exportOptions,
	progress func(ingest.Progress), before func(i int)) (ingest.Summary, error) {
	sum := ingest.Summary{Total: len(rows)}
	if _, err := m.StyleIndex(opt.Style); err != nil {
		return sum, err
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return sum, fmt.Errorf("create the output folder %s: %w", opt.Dir, err)
	}
	var styleID int64
	if opt.SaveVariants {
		st, err := db.StyleByName(ctx, opt.Style)
		if err != nil {
			return sum, fmt.Errorf("%w: %q (renamed or deleted since the model was trained); export without saving variants, or train again: %v",
				errNoStyleInCatalog, opt.Style, err)
		}
		styleID = st.ID
	}
	var names exportNamer
	report := func(i int, current string) {
		if progress != nil {
			progress(ingest.Progress{Done: i, Total: len(rows), Imported: sum.Imported, Failed: len(sum.Failures), Current: current})
		}
	}
	for i, row := range rows {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if before != nil {
			before(i)
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := exportOne(ctx, db, m, row, opt, styleID, &names); err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			sum.Failures = append(sum.Failures, ingest.Failure{Path: row.SKU + " (" + row.Title + ")", Reason: err.Error()})
		} else {
			sum.Imported++
		}
		report(i+1, row.SKU)
	}
	return sum, nil
}

func exportOne(ctx context.Context, db *store.DB, m *gan.Model, row store.ProductRow, opt exportOptions, styleID int64, names *exportNamer) error {
	if row.ImageHash == "" {
		return errors.New("the product has no image")
	}
	detail, err := db.Product(ctx, row.ID)
	if err != nil {
		return err
	}
	data, err := db.ReadObject(row.ImageHash)
	if err != nil {
		return fmt.Errorf("read its image: %w", err)
	}
	orig, _, err := imaging.Decode(data, 0)
	if err != nil {
		return fmt.Errorf("decode its image: %w", err)
	}
	styl, err := m.FullRes(orig, opt.Style)
	if err != nil {
		return err
	}
	out := applyAdjustments(orig, styl, opt.Adjust)
	name := names.name(exportBaseName(detail.SourcePath, row.SKU), dataset.SafeName(row.SKU))
	enc, err := encodeImage(out, opt.Format, opt.Quality)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(opt.Dir, name+opt.ext()), enc); err != nil {
		return fmt.Errorf("write %s: %w", name+opt.ext(), err)
	}
	if opt.SideBySide {
		cmp, err := encodeImage(sideBySide(orig, out), opt.Format, opt.Quality)
		if err == nil {
			err = writeFileAtomic(filepath.Join(opt.Dir, name+"-compare"+opt.ext()), cmp)
		}
		if err != nil {
			return fmt.Errorf("write the comparison of %s: %w", name, err)
		}
	}
	if opt.SaveVariants {
		pngData := enc
		if opt.Format != "png" {
			if pngData, err = imaging.EncodePNG(out); err != nil {
				return err
			}
		}
		if _, err := db.PutVariantImage(ctx, row.ID, styleID, opt.RunID, pngData); err != nil {
			return fmt.Errorf("save the variant: %w", err)
		}
	}
	return nil
}
