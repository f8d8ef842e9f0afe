// Package backup writes a whole Style Studio library into one archive and restores it.
//
// An archive is a zip file holding:
//
//	catalog.db            a consistent snapshot of the catalog (SQLite VACUUM INTO; see store.SnapshotLibrary)
//	objects/ab/cdef…      every image object the snapshot references (product images, stylized variants)
//	models/…, runs/…      the library's model files (classifier, ranker) and training runs (checkpoints,
//	                      sample grids), plus any checkpoint file the catalog names inside the library
//	manifest.json         what is in it: format, schema version, counts, and each file's size and SHA-256
//
// Images are stored as they are (they are compressed already); the catalog and model files are deflated.
// Thumbnails live in catalog.db, so they come with it. Objects nothing references are left out.
//
// Restore checks everything before the library changes: the manifest, that every file in the archive
// is listed and every listed file is there with its size and SHA-256, and the restored catalog's
// integrity. It writes into a temporary folder beside the library and renames it into place, so a
// failed or interrupted restore leaves the library as it was. It refuses to replace a library that is
// not empty unless told to (Force). This package speaks no SQL; store does that part.
package backup

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"stylestudio/internal/atomicfile"
	"stylestudio/store"
	"stylestudio/store/library"
)

// Archive format.
const (
	// FormatName is manifest.json's "format".
	FormatName = "stylestudio-backup"
	// FormatVersion is manifest.json's "version": the layout described in the package comment.
	FormatVersion = 1
	// ManifestName is the manifest's name inside the archive.
	ManifestName = "manifest.json"
)

// Folders of a library that are copied whole (when present).
var modelDirs = library.Folders()

// Sentinel errors; test with errors.Is.
var (
	// ErrOutExists: the archive file already exists and Force is off.
	ErrOutExists = errors.New("backup file already exists")
	// ErrBadArchive: the file is not a Style Studio backup, or it is damaged or incomplete.
	ErrBadArchive = errors.New("not a valid Style Studio backup")
	// ErrLibraryNotEmpty: the restore target already holds a library (or other files) and Force is off.
	ErrLibraryNotEmpty = errors.New("library folder is not empty")
)

// Manifest is manifest.json.
type Manifest struct {
	Format        string `json:"format"`
	Version       int    `json:"version"`
	SchemaVersion int    `json:"schema_version"`
	CreatedAt     string `json:"created_at"`
	// Library is the folder the backup was taken from (absolute).
	Library string    `json:"library"`
	Counts  Counts    `json:"counts"`
	Files   []File    `json:"files"`
	Missing []Problem `json:"missing"`
	// External are checkpoint paths the catalog names outside the library; they are not in the archive.
	External []string `json:"external"`
}

// Counts are what the archive holds.
type Counts struct {
	Products    int `json:"products"`
	Images      int `json:"images"`
	Labels      int `json:"labels"`
	Variants    int `json:"variants"`
	Checkpoints int `json:"checkpoints"`
	Objects     int `json:"objects"`
	ModelFiles  int `json:"model_files"`
}

// File is one archived file: its slash path relative to the library, size and SHA-256 (hex).
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Problem is something the catalog references that could not be archived, and why.
type Problem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Options of Backup and Restore.
type Options struct {
	// Force: Backup replaces an existing archive file; Restore replaces a library that is not empty.
	Force bool
	// Progress, when not nil, is called with the files done and the total (for a progress bar).
	Progress func(done, total int)
}

// Result reports a backup or restore.
type Result struct {
	Manifest Manifest
	// Archive is the archive's path (absolute) and Bytes its size.
	Archive string
	Bytes   int64
	// Library is the library folder (absolute).
	Library string
	// Replaced: Restore replaced a library that held files (with Force).
	Replaced bool
	// Relocated counts checkpoint paths Restore rewrote from the backed-up folder to the new one.
	Relocated int64
}

// Backup archives the library in lib into the zip file out (created through a temporary file in its
// folder, synced, then renamed; an existing out is refused unless opts.Force). The app may keep
// running and writing: the catalog is copied as of one moment and the files it references exist by
// then (objects are written before the rows that name them, and never changed). Objects the catalog
// references but that are missing or damaged are listed in Manifest.Missing (the rest is still
// archived): the library was damaged before the backup.
func Backup(ctx context.Context, lib, out string, opts Options) (Result, error) {
	var res Result
	libAbs, err := filepath.Abs(lib)
	if err != nil {
		return res, fmt.Errorf("backup %s: %w", lib, err)
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return res, fmt.Errorf("backup to %s: %w", out, err)
	}
	res.Library, res.Archive = libAbs, outAbs
	if within(libAbs, outAbs) {
		return res, fmt.Errorf("backup to %s: the file is inside the library it backs up; choose a file outside %s", outAbs, libAbs)
	}
	if fi, err := os.Stat(outAbs); err == nil {
		if fi.IsDir() {
			return res, fmt.Errorf("backup to %s: it is a folder; give a file name such as %s", outAbs, filepath.Join(outAbs, "stylestudio-backup.zip"))
		}
		if !opts.Force {
			return res, fmt.Errorf("backup to %s: the file already exists; choose another name or replace it (--force): %w", outAbs, ErrOutExists)
		}
	}
	outDir := filepath.Dir(outAbs)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return res, fmt.Errorf("backup to %s: %w", outAbs, err)
	}

	// The catalog snapshot, in a scratch folder beside the archive (the same disk it is bound for).
	scratch, err := os.MkdirTemp(outDir, ".stylestudio-backup-*")
	if err != nil {
		return res, fmt.Errorf("backup to %s: %w", outAbs, err)
	}
	defer os.RemoveAll(scratch)
	snap := filepath.Join(scratch, store.DBFile)
	if err := store.SnapshotLibrary(ctx, libAbs, snap); err != nil {
		return res, fmt.Errorf("backup %s: %w", libAbs, err)
	}
	info, err := store.InspectSnapshot(ctx, snap, true)
	if err != nil {
		return res, fmt.Errorf("backup %s: the catalog copy is not sound: %w", libAbs, err)
	}

	m := Manifest{Format: FormatName, Version: FormatVersion, SchemaVersion: info.SchemaVersion,
		CreatedAt: time.Now().UTC().Format(time.RFC3339), Library: libAbs,
		Counts: Counts{Products: info.Products, Images: info.Images, Labels: info.Labels,
			Variants: info.Variants, Checkpoints: info.Checkpoints},
		Files: []File{}, Missing: []Problem{}, External: []string{}}

	// What goes in, besides the catalog: referenced objects, then the model folders and checkpoints.
	type source struct {
		rel     string // slash path in the archive and the library
		abs     string
		object  string // the content hash to verify, for objects
		deflate bool
	}
	var sources []source
	for _, h := range info.ObjectHashes {
		rel := filepath.ToSlash(store.ObjectRelPath(h))
		sources = append(sources, source{rel: rel, abs: filepath.Join(libAbs, filepath.FromSlash(rel)), object: h})
	}
	seen := map[string]bool{}
	var modelFiles []source
	for _, d := range modelDirs {
		files, problems := listFiles(libAbs, d)
		m.Missing = append(m.Missing, problems...)
		for _, rel := range files {
			seen[rel] = true
			modelFiles = append(modelFiles, source{rel: rel, abs: filepath.Join(libAbs, filepath.FromSlash(rel)), deflate: !isImage(rel)})
		}
	}
	for _, p := range info.CheckpointPaths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(libAbs, abs)
		}
		abs = filepath.Clean(abs)
		if !within(libAbs, abs) {
			m.External = append(m.External, p)
			continue
		}
		rel, err := filepath.Rel(libAbs, abs)
		if err != nil {
			m.External = append(m.External, p)
			continue
		}
		rel = filepath.ToSlash(rel)
		if seen[rel] {
			continue
		}
		if fi, err := os.Stat(abs); err != nil || !fi.Mode().IsRegular() {
			m.Missing = append(m.Missing, Problem{Path: rel, Reason: "the catalog names this checkpoint, but it is not a file in the library"})
			continue
		}
		seen[rel] = true
		modelFiles = append(modelFiles, source{rel: rel, abs: abs, deflate: true})
	}
	sources = append(sources, modelFiles...)

	tmp, err := os.CreateTemp(outDir, "."+filepath.Base(outAbs)+".tmp-*")
	if err != nil {
		return res, fmt.Errorf("backup to %s: %w", outAbs, err)
	}
	tmpName := tmp.Name()
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	zw := zip.NewWriter(tmp)
	total := 1 + len(sources)
	report := func(n int) {
		if opts.Progress != nil {
			opts.Progress(n, total)
		}
	}
	report(0)

	f, err := addFile(zw, store.DBFile, snap, true, "")
	if err != nil {
		return res, fmt.Errorf("backup %s: %w", libAbs, err)
	}
	m.Files = append(m.Files, f)
	report(1)
	for i, s := range sources {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		f, err := addFile(zw, s.rel, s.abs, s.deflate, s.object)
		switch {
		case err == nil:
			m.Files = append(m.Files, f)
			if s.object != "" {
				m.Counts.Objects++
			} else {
				m.Counts.ModelFiles++
			}
		case errors.Is(err, errSkip):
			m.Missing = append(m.Missing, Problem{Path: s.rel, Reason: strings.TrimPrefix(err.Error(), errSkip.Error()+": ")})
		default:
			return res, fmt.Errorf("backup %s: %w", libAbs, err)
		}
		report(2 + i)
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return res, err
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: time.Now()})
	if err != nil {
		return res, writeErr(outAbs, err)
	}
	if _, err := w.Write(append(mj, '\n')); err != nil {
		return res, writeErr(outAbs, err)
	}
	if err := zw.Close(); err != nil {
		return res, writeErr(outAbs, err)
	}
	if err := tmp.Sync(); err != nil {
		return res, writeErr(outAbs, err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return res, writeErr(outAbs, err)
	}
	if err := tmp.Close(); err != nil {
		return res, writeErr(outAbs, err)
	}
	if err := os.Rename(tmpName, outAbs); err != nil {
		return res, writeErr(outAbs, err)
	}
	done = true
	_ = atomicfile.SyncDir(outDir)
	res.Manifest, res.Bytes = m, st.Size()
	return res, nil
}

func writeErr(out string, err error) error {
	return fmt.Errorf("write the backup %s: %w (is the disk full?)", out, err)
}

// errSkip marks a referenced file that cannot be archived (missing, damaged): listed, not fatal.
var errSkip = errors.New("skip")

// addFile copies the file at abs into the archive as name, returning its manifest entry. With object
// set, the bytes must hash to it (a damaged object is skipped, not archived).
func addFile(zw *zip.Writer, name, abs string, deflate bool, object string) (File, error) {
	src, err := os.Open(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return File{}, fmt.Errorf("%w: the catalog references it, but the file is missing from the library", errSkip)
		}
		return File{}, fmt.Errorf("read %s: %w", abs, err)
	}
	defer src.Close() // read-only
	fi, err := src.Stat()
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", abs, err)
	}
	if object != "" {
		// Check the object before archiving it: a damaged object must not go in under its name.
		h := sha256.New()
		if _, err := io.Copy(h, src); err != nil {
			return File{}, fmt.Errorf("read %s: %w", abs, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != object {
			return File{}, fmt.Errorf("%w: the object is damaged (its bytes hash to %s)", errSkip, got)
		}
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			return File{}, fmt.Errorf("read %s: %w", abs, err)
		}
	}
	method := zip.Store
	if deflate {
		method = zip.Deflate
	}
	hdr := &zip.FileHeader{Name: name, Method: method, Modified: fi.ModTime()}
	hdr.SetMode(0o644)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), src)
	if err != nil {
		return File{}, fmt.Errorf("copy %s into the backup: %w", abs, err)
	}
	return File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// listFiles lists the regular files under lib/dir as slash paths relative to lib, sorted. Hidden names
// (temp files of an atomic write in progress) and symbolic links are left out.
func listFiles(lib, dir string) ([]string, []Problem) {
	var files []string
	var problems []Problem
	root := filepath.Join(lib, dir)
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(lib, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			problems = append(problems, Problem{Path: rel, Reason: fmt.Sprintf("cannot be read (%v)", err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files, problems
}

func isImage(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp":
		return true
	}
	return false
}

// within reports whether p is dir or inside it (both absolute and clean).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// randomSuffix names temporary folders.
func randomSuffix() string { return fmt.Sprintf("%016x", rand.Uint64()) }

// hashingWriter counts and hashes what is written through it, and keeps its own write error (to tell
// a full disk from a damaged source).
type hashingWriter struct {
	w   io.Writer
	h   hash.Hash
	n   int64
	err error
}

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	if err != nil {
		hw.err = err
	}
	return n, err
}
