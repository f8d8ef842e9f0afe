package dataset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"image/gif"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	"stylestudio/engine/imaging"
	"stylestudio/internal/clutter"
)

// Export formats.
const (
	// FormatImageFolder is torchvision's ImageFolder layout: OUT/<split>/<style>/<sku>.<ext>.
	FormatImageFolder = "imagefolder"
	// FormatCSV is OUT/manifest.csv (split,sku,title,category,price,style,file) and OUT/images/<sku>.<ext>.
	FormatCSV = "csv"
)

// ManifestFile and ImagesDir are the CSV format's manifest and image folder inside OUT.
const (
	ManifestFile = "manifest.csv"
	ImagesDir    = "images"
)

// Sentinel errors of Export; test with errors.Is.
var (
	// ErrOutNotEmpty: the output folder has files in it and Force is off.
	ErrOutNotEmpty = errors.New("output folder is not empty")
	// ErrOutNotDir: the output path is a file (or something else that is not a folder).
	ErrOutNotDir = errors.New("output path is not a folder")
	// ErrOutNotWritable: the output folder cannot be created or written.
	ErrOutNotWritable = errors.New("output folder is not writable")
	// ErrMissingSplit: some items have no (valid) split; nothing was written.
	ErrMissingSplit = errors.New("items without a split")
	// ErrIncomplete: the export finished, but some items could not be read or written (see the summary).
	ErrIncomplete = errors.New("export incomplete")
	// ErrDiskFull: the output folder's disk ran out of space; the export stopped there.
	ErrDiskFull = errors.New("disk full")
)

// diskError turns a write error that no other item could escape (the disk is full, the file system
// went read-only) into the error that stops the export, or returns nil for a per-item problem (an
// unreadable or damaged image).
func diskError(out string, err error, written, total int) error {
	switch {
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("export to %s: the disk is full (%v); %d of %d images were written; free some space or choose another folder, then export again: %w",
			out, err, written, total, ErrDiskFull)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("export to %s: the folder cannot be written (%v); %d of %d images were written; choose a folder you can write: %w",
			out, err, written, total, ErrOutNotWritable)
	}
	return nil
}

// ExportItem is one labelled product to export. Open returns the image's bytes (the original object).
// Hash, when it is a SHA-256 hex, is checked against the bytes read. Format ("png", "jpeg", "gif",
// "webp") is a fallback for the file extension when the bytes are not recognised.
type ExportItem struct {
	SKU, Title, Category string
	PriceCents           int64
	Style                string // the label (class)
	Split                string // "train", "val" or "test"
	Format               string // the image's format as ingested
	Hash                 string // SHA-256 hex of the image bytes, checked when set
	SourcePath           string // where the image was ingested from (informational)
	Group                string // the item the product draws, shared with its counterparts ("" when none)
	Open                 func() (io.ReadCloser, error)
}

// ExportOptions says what to write where. Out is created when missing; an existing Out must be an empty
// folder unless Force, which writes into it and replaces files of the same names.
type ExportOptions struct {
	Format string // FormatImageFolder or FormatCSV
	Out    string
	Force  bool
}

// ExportProblem is an item that was not exported, and why.
type ExportProblem struct {
	SKU    string
	Reason string
}

// ExportSummary reports an export.
type ExportSummary struct {
	Out     string // the output folder, absolute
	Format  string
	Total   int // items given
	Written int // image files written
	// PerSplit counts written images per split ("train", "val", "test").
	PerSplit map[string]int
	// Classes are the class folder names (sanitized style names), sorted as torchvision sorts them, so a
	// class's index in an ImageFolder is its index here (imagefolder format only).
	Classes []string
	// ClassOf maps each style name to its class folder name.
	ClassOf map[string]string
	// MissingClasses lists, per split, the classes with no image in that split; ImageFolder over such a
	// split finds fewer classes (with other indices) than over train, so use Classes to map them.
	MissingClasses map[string][]string
	// Transcoded counts images re-encoded as PNG: GIF (ImageFolder does not read .gif files) and
	// TIFF, HEIC and AVIF (always: few training tools read them).
	Transcoded int
	// Unsplit lists the SKUs whose Split is empty or unknown: the export was refused, nothing written.
	Unsplit []ExportProblem
	// Failed lists items that could not be read or written (the others were exported).
	Failed []ExportProblem
	// Leftover counts files in Out that this export did not write (a previous export, with Force):
	// stale images of another split assignment would leak between splits; clear Out to be safe.
	Leftover int
}

// Export writes items to opts.Out in opts.Format, calling progress (when not nil) with the number of
// items handled so far. Every item needs a split (train, val or test): otherwise nothing is written and
// the error is ErrMissingSplit, with the items listed in the summary's Unsplit.
//
// Style names and SKUs become file names through SafeName (collisions, including ones that differ only
// in case, get a short hash suffix), and every file is opened through an os.Root at Out, so no name or
// symbolic link can make a file land outside Out. Each file is written to a temp file beside it and
// renamed into place. Items whose image cannot be read are listed in Failed and the error is
// ErrIncomplete; the rest are still written. A full disk (ErrDiskFull) or a file system that went
// read-only (ErrOutNotWritable) stops the export at once: no later item could be written either.
func Export(ctx context.Context, items []ExportItem, opts ExportOptions, progress func(done, total int)) (ExportSummary, error) {
	sum := ExportSummary{Format: opts.Format, Total: len(items), PerSplit: map[string]int{}}
	if opts.Format != FormatImageFolder && opts.Format != FormatCSV {
		return sum, fmt.Errorf("export: unknown format %q (want %q or %q)", opts.Format, FormatImageFolder, FormatCSV)
	}
	for _, it := range items {
		if !validSplit(it.Split) {
			reason := "no split assigned"
			if it.Split != "" {
				reason = fmt.Sprintf("unknown split %q", it.Split)
			}
			sum.Unsplit = append(sum.Unsplit, ExportProblem{SKU: it.SKU, Reason: reason})
		}
	}
	if n := len(sum.Unsplit); n > 0 {
		return sum, fmt.Errorf("export: %d of %d items have no split (first: %q); assign splits first: %w",
			n, len(items), sum.Unsplit[0].SKU, ErrMissingSplit)
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	out, root, err := prepareOut(opts.Out, opts.Force)
	sum.Out = out
	if err != nil {
		return sum, err
	}
	defer root.Close()

	// Names: one class folder per style, one base name per SKU (unique across the whole export).
	styles := make([]string, 0, len(items))
	skus := make([]string, 0, len(items))
	for _, it := range items {
		styles = append(styles, it.Style)
		skus = append(skus, it.SKU)
	}
	sum.ClassOf = uniqueNames(styles)
	base := uniqueNames(skus)
	if opts.Format == FormatImageFolder {
		classSet := map[string]bool{}
		for _, c := range sum.ClassOf {
			classSet[c] = true
		}
		for c := range classSet {
			sum.Classes = append(sum.Classes, c)
		}
		sort.Strings(sum.Classes) // Python's sorted() on str: code point order, as UTF-8 byte order
	}

	w := &writer{root: root, written: map[string]bool{}, dirs: map[string]bool{}}
	var manifest [][]string
	seenSKU := map[string]bool{}
	present := map[string]map[string]bool{} // split -> class -> has an image
	report := func(done int) {
		if progress != nil {
			progress(done, len(items))
		}
	}
	report(0)
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if seenSKU[it.SKU] {
			sum.Failed = append(sum.Failed, ExportProblem{SKU: it.SKU, Reason: "the SKU appears more than once; exported once"})
			report(i + 1)
			continue
		}
		seenSKU[it.SKU] = true
		dir := ImagesDir
		if opts.Format == FormatImageFolder {
			dir = path.Join(it.Split, sum.ClassOf[it.Style])
		}
		rel, transcoded, err := w.writeImage(it, dir, base[it.SKU], opts.Format == FormatImageFolder)
		if derr := diskError(out, err, sum.Written, len(items)); derr != nil {
			return sum, derr
		}
		if err != nil {
			sum.Failed = append(sum.Failed, ExportProblem{SKU: it.SKU, Reason: err.Error()})
			report(i + 1)
			continue
		}
		sum.Written++
		sum.PerSplit[it.Split]++
		if transcoded {
			sum.Transcoded++
		}
		if present[it.Split] == nil {
			present[it.Split] = map[string]bool{}
		}
		present[it.Split][sum.ClassOf[it.Style]] = true
		if opts.Format == FormatCSV {
			manifest = append(manifest, []string{it.Split, cleanText(it.SKU), cleanText(it.Title),
				cleanText(it.Category), formatPrice(it.PriceCents), cleanText(it.Style), rel})
		}
		report(i + 1)
	}

	if opts.Format == FormatCSV {
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		cw.Write([]string{"split", "sku", "title", "category", "price", "style", "file"})
		cw.WriteAll(manifest)
		if err := cw.Error(); err != nil {
			return sum, fmt.Errorf("export: write %s: %w", ManifestFile, err)
		}
		if err := w.writeFile(".", ManifestFile, &buf, nil); err != nil {
			if derr := diskError(out, err, sum.Written, len(items)); derr != nil {
				return sum, derr
			}
			return sum, fmt.Errorf("export: write %s: %w", filepath.Join(out, ManifestFile), err)
		}
	}
	if opts.Format == FormatImageFolder && sum.Written > 0 {
		for _, sp := range Splits {
			if sum.PerSplit[sp] == 0 {
				continue
			}
			for _, c := range sum.Classes {
				if !present[sp][c] {
					if sum.MissingClasses == nil {
						sum.MissingClasses = map[string][]string{}
					}
					sum.MissingClasses[sp] = append(sum.MissingClasses[sp], c)
				}
			}
		}
	}
	if err := w.syncDirs(); err != nil {
		return sum, fmt.Errorf("export to %s: %w", out, err)
	}
	sum.Leftover = w.countLeftover()
	if n := len(sum.Failed); n > 0 {
		return sum, fmt.Errorf("export to %s: %d of %d items were not exported (first: %q: %s): %w",
			out, n, len(items), sum.Failed[0].SKU, sum.Failed[0].Reason, ErrIncomplete)
	}
	return sum, nil
}

func validSplit(s string) bool { return s == Train || s == Val || s == Test }

// prepareOut checks and creates the output folder and opens it as a root.
func prepareOut(out string, force bool) (string, *os.Root, error) {
	if strings.TrimSpace(out) == "" {
		return "", nil, errors.New("export: no output folder given")
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return out, nil, fmt.Errorf("export to %s: %w", out, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return abs, nil, outError(abs, err)
		}
	case err != nil:
		return abs, nil, outError(abs, err)
	case !fi.IsDir():
		return abs, nil, fmt.Errorf("export to %s: it is a file, not a folder; choose a folder: %w", abs, ErrOutNotDir)
	default:
		entries, err := os.ReadDir(abs)
		if err != nil {
			return abs, nil, outError(abs, err)
		}
		var used []string
		for _, e := range entries {
			if !clutter.Is(e.Name()) {
				used = append(used, e.Name())
			}
		}
		if len(used) > 0 && !force {
			return abs, nil, fmt.Errorf("export to %s: the folder already holds %d item(s) (e.g. %q); choose an empty folder or allow overwriting: %w",
				abs, len(used), used[0], ErrOutNotEmpty)
		}
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return abs, nil, outError(abs, err)
	}
	// Prove it can be written before touching anything.
	probe := fmt.Sprintf("%s%016x", writeProbePrefix, rand.Uint64())
	f, err := root.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		root.Close()
		return abs, nil, outError(abs, err)
	}
	f.Close()
	root.Remove(probe)
	return abs, root, nil
}

func outError(abs string, err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("export to %s: %v; choose a folder you can write: %w", abs, err, ErrOutNotWritable)
	}
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("export to %s: a part of the path is a file: %w", abs, ErrOutNotDir)
	}
	return fmt.Errorf("export to %s: %w", abs, err)
}

// writer writes files under a root, atomically, and remembers what it wrote.
type writer struct {
	root    *os.Root
	written map[string]bool // slash paths relative to the root
	dirs    map[string]bool
}

// writeImage copies the item's image to dir/base.<ext> and returns the file's slash path relative to
// the root, and whether a GIF was re-encoded as PNG (when noGIF).
func (w *writer) writeImage(it ExportItem, dir, base string, noGIF bool) (string, bool, error) {
	if it.Open == nil {
		return "", false, errors.New("no image")
	}
	rc, err := it.Open()
	if err != nil {
		return "", false, fmt.Errorf("open image: %w", err)
	}
	defer rc.Close()
	var h hash.Hash
	src := io.Reader(rc)
	if _, err := hex.DecodeString(it.Hash); err == nil && len(it.Hash) == 2*sha256.Size {
		h = sha256.New()
		src = io.TeeReader(rc, h)
	}
	br := bufio.NewReaderSize(src, 64<<10)
	head, _ := br.Peek(16)
	ext := sniffExt(head)
	if ext == "" {
		ext = formatExt(it.Format)
	}
	camera := false // TIFF, HEIC, AVIF: few training tools read them; they are written as PNG
	if f, err := imaging.Sniff(head); ext == "" && err == nil {
		camera = f == imaging.FormatTIFF || f == imaging.FormatHEIC || f == imaging.FormatAVIF
	}
	if ext == "" && !camera {
		return "", false, fmt.Errorf("not a PNG, JPEG, GIF, WebP, TIFF, HEIC or AVIF image (format %q)", it.Format)
	}
	var body io.Reader = br
	transcode := noGIF && ext == ".gif" || camera
	switch {
	case camera:
		data, err := io.ReadAll(br)
		if err != nil {
			return "", false, err
		}
		img, _, err := imaging.Decode(data, 0) // the right way up
		if err != nil {
			return "", false, err
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return "", false, fmt.Errorf("re-encode as PNG: %w", err)
		}
		body, ext = &buf, ".png"
	case transcode:
		img, err := gif.Decode(br)
		if err != nil {
			return "", false, fmt.Errorf("decode GIF: %w", err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return "", false, fmt.Errorf("re-encode GIF as PNG: %w", err)
		}
		io.Copy(io.Discard, br) // the rest, for the hash check
		body, ext = &buf, ".png"
	}
	name := base + ext
	check := func() error {
		if h == nil {
			return nil
		}
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, it.Hash) {
			return fmt.Errorf("image bytes do not match their hash %s (got %s): the stored object is damaged", it.Hash, got)
		}
		return nil
	}
	if err := w.writeFile(dir, name, body, check); err != nil {
		return "", false, err
	}
	return path.Join(dir, name), transcode, nil
}

// writeFile writes r to dir/name (slash path under the root) through a temp file in dir, which is
// synced and renamed into place once check (when not nil) accepts what was read.
func (w *writer) writeFile(dir, name string, r io.Reader, check func() error) (err error) {
	rel := path.Join(dir, name)
	// Names come from SafeName, and the root refuses escapes anyway; this is the belt to those braces.
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fmt.Errorf("refusing to write %q outside the output folder", rel)
	}
	if !w.dirs[dir] {
		if err := w.root.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
			return fmt.Errorf("create folder %s: %w", dir, err)
		}
		w.dirs[dir] = true
	}
	var f *os.File
	var tmp string
	for i := 0; ; i++ {
		tmp = path.Join(dir, fmt.Sprintf(".export-%016x.tmp", rand.Uint64()))
		f, err = w.root.OpenFile(filepath.FromSlash(tmp), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil || !errors.Is(err, fs.ErrExist) || i >= 9 {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("create temp file in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			w.root.Remove(filepath.FromSlash(tmp))
		}
	}()
	if _, err = io.Copy(f, r); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if check != nil {
		if err = check(); err != nil {
			return err
		}
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", rel, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", rel, err)
	}
	if err = w.root.Rename(filepath.FromSlash(tmp), filepath.FromSlash(rel)); err != nil {
		return fmt.Errorf("rename into %s: %w", rel, err)
	}
	w.written[rel] = true
	return nil
}

// syncDirs makes the renames durable (not possible, nor needed, on Windows).
func (w *writer) syncDirs() error {
	if runtime.GOOS == "windows" {
		return nil
	}
	dirs := []string{"."}
	for d := range w.dirs {
		for ; d != "." && d != "/"; d = path.Dir(d) {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	var prev string
	for _, d := range dirs {
		if d == prev {
			continue
		}
		prev = d
		f, err := w.root.Open(filepath.FromSlash(d))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("sync folder %s: %w", d, err)
		}
	}
	return nil
}

// countLeftover counts the regular files under the root that this export did not write. Temp files
// of an earlier export that was interrupted (killed, or the machine stopped) are removed, not counted:
// by now every temp file of this export has been renamed into place or removed.
func (w *writer) countLeftover() int {
	n := 0
	fs.WalkDir(w.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() && isExportTemp(d.Name()) && w.root.Remove(filepath.FromSlash(p)) == nil {
			return nil
		}
		if d.Type().IsRegular() && !w.written[p] && !clutter.Is(d.Name()) {
			n++
		}
		return nil
	})
	return n
}

// writeProbePrefix names the empty file an export creates and removes to prove the folder writable
// (.write-probe-<16 hex>); a kill between the two leaves it behind.
const writeProbePrefix = ".write-probe-"

// isExportTemp reports whether name is one of an export's own temp file names: writeFile's
// (.export-<16 hex>.tmp) or the write probe's (.write-probe-<16 hex>).
func isExportTemp(name string) bool {
	var hexPart string
	switch {
	case strings.HasPrefix(name, ".export-") && strings.HasSuffix(name, ".tmp"):
		hexPart = strings.TrimSuffix(strings.TrimPrefix(name, ".export-"), ".tmp")
	case strings.HasPrefix(name, writeProbePrefix):
		hexPart = strings.TrimPrefix(name, writeProbePrefix)
	default:
		return false
	}
	if len(hexPart) != 16 {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}

// sniffExt recognises the image formats by their first bytes.
func sniffExt(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return ".png"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return ".jpg"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return ".gif"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return ".webp"
	}
	return ""
}

func formatExt(format string) string {
	switch strings.ToLower(strings.TrimPrefix(strings.TrimSpace(format), ".")) {
	case "png":
		return ".png"
	case "jpeg", "jpg":
		return ".jpg"
	case "gif":
		return ".gif"
	case "webp":
		return ".webp"
	}
	return ""
}

// cleanText makes a manifest field safe for any CSV reader: valid UTF-8, no control characters.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// formatPrice writes cents as a decimal amount: 1234 → "12.34", -5 → "-0.05".
func formatPrice(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-cents)
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + fmt.Sprintf("%02d", u%100)
}
