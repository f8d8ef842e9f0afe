package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"stylestudio/engine/imaging"
)

// Label sources a Job or Record can carry.
const (
	LabelFromFolder = "folder"
	LabelFromCSV    = "csv"
)

// DefaultCategory is the category of images imported with LabelsFromFolders (the folder names are
// styles there, not categories).
const DefaultCategory = "Imported"

// Options configure Plan and Run.
type Options struct {
	// LabelsFromFolders: for root/<style>/<image> (any depth below <style>), the first folder under
	// the given root becomes the style label (LabelSource "folder"). Images directly in the root get
	// no label. The category is then DefaultCategory.
	LabelsFromFolders bool
	// GroupsFromNames, with LabelsFromFolders, makes the path below the style folder (without its
	// extension) the product's group: root/boho/ace.png and root/minimal/ace.png are the same item
	// drawn in two styles (Record.Group). Off by default: numbered files (boho/0001.jpg,
	// minimal/0001.jpg) are usually different products.
	GroupsFromNames bool
	// CSVPath, when set, makes Plan read the manifest (see ParseCSV) instead of walking paths.
	CSVPath string
	// Workers is how many files are read, decoded and thumbnailed at once; 0 means runtime.NumCPU().
	Workers int
	// MaxPixels and MaxFileBytes limit what is decoded; 0 means imaging.DefaultMaxPixels and
	// imaging.DefaultMaxFileBytes.
	MaxPixels    int
	MaxFileBytes int64
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.NumCPU()
}

func (o Options) maxFileBytes() int64 {
	if o.MaxFileBytes > 0 {
		return o.MaxFileBytes
	}
	return imaging.DefaultMaxFileBytes
}

// Failure is one file (or folder, or manifest row) that could not be imported, with the reason in
// plain words.
type Failure struct {
	Path   string
	Reason string
}

// Job is one file to import, with the product metadata known before reading it.
type Job struct {
	Path       string
	SKU        string // empty: Run assigns "IMG-" + the first 12 hex digits of the content hash
	Title      string
	Category   string
	PriceCents int64
	Style      string
	// LabelSource says where Style came from: "" (no label), "folder" or "csv".
	LabelSource string
	// Group names the item the picture draws (Record.Group).
	Group string
}

// IsImageName reports whether a file name has one of the extensions the importer picks up when
// walking folders: .png .jpg .jpeg .gif .webp .tif .tiff .heic .heif .avif, in any letter case.
// TIFF, HEIC and AVIF are picked up in every build: without libvips each fails with a reason
// saying what to install, rather than being skipped without a word.
func IsImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif":
		return true
	}
	return false
}

// Plan lists the files to import. It walks the given paths (files and folders, recursively),
// follows symbolic links but never a folder it has already visited (so links that loop terminate),
// skips hidden files and folders (names starting with ".") and files without an image extension
// (see IsImageName). A file given explicitly is taken whatever its extension
// (decoding decides). A folder that cannot be read, a broken link and a file over MaxFileBytes are
// Failures (the big file is not read); the walk goes on. Jobs come in walk order (names sorted).
//
// With opts.CSVPath set, the plan comes from the manifest rows instead and paths is ignored; a
// manifest that cannot be used at all (unreadable, missing columns) is the returned error.
// The error is otherwise only ctx.Err() when ctx is cancelled.
func Plan(ctx context.Context, paths []string, opts Options) ([]Job, []Failure, error) {
	if opts.CSVPath != "" {
		jobs, failures, err := ParseCSV(opts.CSVPath)
		if err != nil {
			return nil, nil, err
		}
		kept := jobs[:0]
		for _, j := range jobs {
			if fi, err := os.Stat(j.Path); err == nil && fi.Size() > opts.maxFileBytes() {
				failures = append(failures, Failure{Path: j.Path, Reason: tooBigReason(fi.Size(), opts.maxFileBytes())})
				continue
			}
			kept = append(kept, j)
		}
		return kept, failures, ctx.Err()
	}
	w := walker{ctx: ctx, opts: opts, visited: map[string]bool{}, seenFiles: map[string]bool{}}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return w.jobs, w.failures, err
		}
		w.root(p)
	}
	return w.jobs, w.failures, ctx.Err()
}

type walker struct {
	ctx       context.Context
	opts      Options
	visited   map[string]bool // real (symlink-free, absolute) paths of folders already walked
	seenFiles map[string]bool // real paths of files already planned
	jobs      []Job
	failures  []Failure
}

func (w *walker) root(p string) {
	fi, err := os.Stat(p) // follows links
	if err != nil {
		w.fail(p, statReason(err))
		return
	}
	if fi.IsDir() {
		w.dir(p, p)
		return
	}
	w.file(p, "", "", fi, true)
}

// dir walks folder d, found under root.
func (w *walker) dir(root, d string) {
	if w.ctx.Err() != nil {
		return
	}
	rp, err := realPath(d)
	if err != nil {
		w.fail(d, statReason(err))
		return
	}
	if w.visited[rp] {
		return // a link back to a folder already walked
	}
	w.visited[rp] = true
	entries, err := os.ReadDir(d)
	if err != nil {
		w.fail(d, folderReason(err))
		// ReadDir returns what it read before the error; keep going with those.
	}
	for _, e := range entries {
		if w.ctx.Err() != nil {
			return
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(d, name)
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err != nil {
				if IsImageName(name) {
					w.fail(p, linkReason(err))
				}
				continue
			}
			if fi.IsDir() {
				w.dir(root, p)
			} else if IsImageName(name) {
				w.file(p, root, "", fi, false)
			}
			continue
		}
		if e.IsDir() {
			w.dir(root, p)
			continue
		}
		if !e.Type().IsRegular() || !IsImageName(name) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			w.fail(p, statReason(err))
			continue
		}
		w.file(p, root, filepath.Join(rp, name), fi, false)
	}
}

// file plans one file; root is the folder argument it was found under ("" for a file argument),
// realp its symlink-free absolute path when known ("" to work it out).
func (w *walker) file(p, root, realp string, fi fs.FileInfo, explicit bool) {
	if !fi.Mode().IsRegular() {
		if explicit {
			w.fail(p, "this is not a regular file (a device or pipe?) — pick a picture file")
		}
		return
	}
	if realp == "" {
		realp, _ = realPath(p)
	}
	if realp != "" {
		if w.seenFiles[realp] {
			return // the same file reached again through a link
		}
		w.seenFiles[realp] = true
	}
	if limit := w.opts.maxFileBytes(); fi.Size() > limit {
		w.fail(p, tooBigReason(fi.Size(), limit))
		return
	}
	w.jobs = append(w.jobs, w.jobFor(p, root))
}

func (w *walker) jobFor(p, root string) Job {
	j := Job{Path: p, Title: Humanize(stem(p))}
	if w.opts.LabelsFromFolders {
		j.Category = DefaultCategory
		if root != "" {
			if style := firstFolderUnder(root, p); style != "" {
				j.Style = style
				j.LabelSource = LabelFromFolder
				if w.opts.GroupsFromNames {
					j.Group = groupUnder(root, p)
				}
			}
		}
	} else {
		j.Category = Humanize(filepath.Base(filepath.Dir(absOr(p))))
	}
	return j
}

func (w *walker) fail(p, reason string) {
	w.failures = append(w.failures, Failure{Path: p, Reason: reason})
}

// groupUnder is the group of a picture root/<style>/<rest>: rest without its last extension, with
// forward slashes, so root/a/x/ace.png and root/b/x/ace.jpg draw the same item "x/ace" (and
// root/c/x/ace.svg.png the item "x/ace.svg").
func groupUnder(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return ""
	}
	_, rest, ok := strings.Cut(filepath.ToSlash(rel), "/")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(rest, path.Ext(rest))
}

// firstFolderUnder returns the first path element of p below root, when p is deeper than root's
// direct children.
func firstFolderUnder(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return ""
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) < 2 || parts[0] == ".." {
		return ""
	}
	return strings.TrimSpace(parts[0])
}

func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

func absOr(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func stem(p string) string {
	base := filepath.Base(p)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// Humanize turns a file or folder name into words: "blue_summer-dress" → "Blue Summer Dress".
// Underscores, hyphens and dots become spaces, runs of spaces collapse, and each word starts with a
// capital letter (the rest of the word is kept: "IMG_0042" → "IMG 0042").
func Humanize(s string) string {
	words := strings.FieldsFunc(s, func(r rune) bool {
		return r == '_' || r == '-' || r == '.' || unicode.IsSpace(r)
	})
	for i, word := range words {
		r, n := utf8.DecodeRuneInString(word)
		words[i] = string(unicode.ToUpper(r)) + word[n:]
	}
	return strings.Join(words, " ")
}

func tooBigReason(size, limit int64) string {
	return fmt.Sprintf("the file is %s; the limit is %s — export a smaller version (for example as JPEG) before importing",
		ByteWords(size), ByteWords(limit))
}

// ByteWords is a size as people say it: "812 bytes", "3.4 MB".
func ByteWords(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// linkReason says why a symbolic link found in a folder cannot be followed.
func linkReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "this is a shortcut (link) to a file that no longer exists — remove it or point it at the picture"
	case errors.Is(err, syscall.ELOOP):
		return "this is a shortcut (link) that leads back to itself in a loop — remove it or point it at the picture"
	default:
		return "this is a shortcut (link) that " + statReason(err)
	}
}

func folderReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "this folder cannot be opened (permission denied) — check that your account may read it"
	case errors.Is(err, fs.ErrNotExist):
		return "this folder no longer exists — it may have been moved or deleted during the import"
	default:
		return fmt.Sprintf("this folder cannot be read (%v)", unwrapPathError(err))
	}
}

func statReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "not found — it may have been moved, renamed or deleted"
	case errors.Is(err, fs.ErrPermission):
		return "cannot be opened (permission denied) — check that your account may read it"
	default:
		return fmt.Sprintf("cannot be opened (%v)", unwrapPathError(err))
	}
}

// unwrapPathError drops the path from *fs.PathError messages (the Failure already names the path).
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
