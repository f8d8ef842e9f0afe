package backup

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"stylestudio/internal/atomicfile"
	"stylestudio/internal/clutter"
	"stylestudio/store"
)

// maxManifestBytes bounds manifest.json (a million files take about 150 MB; far beyond any library).
const maxManifestBytes = 256 << 20

// Restore replaces the library in lib with the one in the archive. Nothing in lib changes unless the
// whole archive checks out: the manifest is read and validated, every file is extracted into a
// temporary folder beside lib and checked against its size and SHA-256, the catalog's integrity is
// checked, and only then is the folder renamed into place (the old library, if any, is moved aside
// first and deleted after). A lib that holds files is refused unless opts.Force. Close the app on lib
// first: a running app keeps writing into the library that was replaced.
func Restore(ctx context.Context, archive, lib string, opts Options) (Result, error) {
	var res Result
	libAbs, err := filepath.Abs(lib)
	if err != nil {
		return res, fmt.Errorf("restore into %s: %w", lib, err)
	}
	arcAbs, err := filepath.Abs(archive)
	if err != nil {
		return res, fmt.Errorf("restore from %s: %w", archive, err)
	}
	res.Library, res.Archive = libAbs, arcAbs
	if within(libAbs, arcAbs) {
		return res, fmt.Errorf("restore from %s: the backup is inside the library folder it would replace; move it elsewhere first", arcAbs)
	}

	// The target: missing, an empty folder, or (with Force) a folder with files.
	exists := false
	if fi, err := os.Stat(libAbs); err == nil {
		if !fi.IsDir() {
			return res, fmt.Errorf("restore into %s: it is a file, not a folder; choose a folder", libAbs)
		}
		exists = true
		used, err := usedEntries(libAbs)
		if err != nil {
			return res, fmt.Errorf("restore into %s: %w", libAbs, err)
		}
		if len(used) > 0 {
			if !opts.Force {
				return res, fmt.Errorf("restore into %s: the folder is not empty (it holds %q%s); restore into an empty or new folder, or replace this library (--force): %w",
					libAbs, used[0], moreSuffix(len(used)-1), ErrLibraryNotEmpty)
			}
			res.Replaced = true
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("restore into %s: %w", libAbs, err)
	}

	bad := func(format string, args ...any) error {
		return fmt.Errorf("restore from %s: %s; the library was not changed: %w", arcAbs, fmt.Sprintf(format, args...), ErrBadArchive)
	}
	zr, err := zip.OpenReader(arcAbs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return res, fmt.Errorf("restore from %s: %w", arcAbs, err)
		}
		return res, bad("it is not a Style Studio backup, or it is damaged or cut short (%v)", err)
	}
	defer zr.Close() // read-only

	m, entries, err := readManifest(zr)
	if err != nil {
		return res, bad("%v", err)
	}
	res.Manifest = m
	known, err := store.KnownSchemaVersion()
	if err != nil {
		return res, err
	}
	if m.SchemaVersion > known {
		return res, fmt.Errorf("restore from %s: the backup's catalog is schema %d, this Style Studio knows up to %d; upgrade the app first: %w",
			arcAbs, m.SchemaVersion, known, store.ErrNewerSchema)
	}

	// Extract into a temporary folder beside the target (the same file system, so the rename is atomic).
	parent := filepath.Dir(libAbs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return res, fmt.Errorf("restore into %s: %w", libAbs, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(libAbs)+".restore-*")
	if err != nil {
		return res, fmt.Errorf("restore into %s: %w", libAbs, err)
	}
	placed := false
	defer func() {
		if !placed {
			os.RemoveAll(tmp)
		}
	}()
	if err := extract(ctx, m, entries, tmp, opts.Progress); err != nil {
		var ae *archiveError
		if errors.As(err, &ae) {
			return res, bad("%s", ae.msg)
		}
		return res, fmt.Errorf("restore into %s: %w; the library was not changed", libAbs, err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, store.ObjectsDir), 0o755); err != nil {
		return res, fmt.Errorf("restore into %s: %w", libAbs, err)
	}

	// The restored catalog must be sound and find its objects (except those already missing at backup).
	dbPath := filepath.Join(tmp, store.DBFile)
	info, err := store.InspectSnapshot(ctx, dbPath, true)
	if err != nil {
		return res, bad("the catalog in it is damaged (%v)", err)
	}
	if info.SchemaVersion != m.SchemaVersion {
		return res, bad("the manifest says schema %d, the catalog is schema %d", m.SchemaVersion, info.SchemaVersion)
	}
	knownMissing := map[string]bool{}
	for _, p := range m.Missing {
		knownMissing[p.Path] = true
	}
	for _, h := range info.ObjectHashes {
		rel := filepath.ToSlash(store.ObjectRelPath(h))
		if _, err := os.Stat(filepath.Join(tmp, filepath.FromSlash(rel))); err != nil && !knownMissing[rel] {
			return res, bad("the catalog references %s, which the backup does not hold", rel)
		}
	}
	if m.Library != "" && filepath.IsAbs(m.Library) {
		n, err := store.RelocateCheckpoints(ctx, dbPath, m.Library, libAbs)
		if err != nil {
			return res, fmt.Errorf("restore into %s: %w; the library was not changed", libAbs, err)
		}
		res.Relocated = n
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	// Swap it into place.
	if err := atomicfile.SyncDir(tmp); err != nil {
		return res, fmt.Errorf("restore into %s: %w; the library was not changed", libAbs, err)
	}
	if exists {
		old := filepath.Join(parent, "."+filepath.Base(libAbs)+".old-"+randomSuffix())
		if err := os.Rename(libAbs, old); err != nil {
			return res, fmt.Errorf("restore into %s: move the current library aside: %w (is it open in the app, or on another disk?); the library was not changed", libAbs, err)
		}
		if err := os.Rename(tmp, libAbs); err != nil {
			if rerr := os.Rename(old, libAbs); rerr != nil {
				return res, fmt.Errorf("restore into %s: %w; and putting the old library back failed (%v): it is at %s, the restored one at %s",
					libAbs, err, rerr, old, tmp)
			}
			return res, fmt.Errorf("restore into %s: %w; the library was not changed", libAbs, err)
		}
		placed = true
		_ = atomicfile.SyncDir(parent)
		if err := os.RemoveAll(old); err != nil {
			return res, fmt.Errorf("restored %s, but the replaced library could not be deleted from %s (%v); delete it yourself", libAbs, old, err)
		}
	} else {
		if err := os.Rename(tmp, libAbs); err != nil {
			return res, fmt.Errorf("restore into %s: %w; the library was not changed", libAbs, err)
		}
		placed = true
	}
	_ = atomicfile.SyncDir(parent)
	if st, err := os.Stat(arcAbs); err == nil {
		res.Bytes = st.Size()
	}
	return res, nil
}

func moreSuffix(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" and %d more", n)
}

// usedEntries lists the names in dir other than the files desktops drop there.
func usedEntries(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var used []string
	for _, e := range ents {
		if !clutter.Is(e.Name()) {
			used = append(used, e.Name())
		}
	}
	return used, nil
}

// readManifest reads and validates manifest.json, and maps each listed path to its zip entry.
func readManifest(zr *zip.ReadCloser) (Manifest, map[string]*zip.File, error) {
	var m Manifest
	byName := map[string]*zip.File{}
	var mf *zip.File
	for _, f := range zr.File {
		if f.Name == ManifestName {
			if mf != nil {
				return m, nil, errors.New("it holds two manifests")
			}
			mf = f
			continue
		}
		if strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 == 0 {
			continue // a folder entry
		}
		if byName[f.Name] != nil {
			return m, nil, fmt.Errorf("it holds %q twice", f.Name)
		}
		byName[f.Name] = f
	}
	if mf == nil {
		return m, nil, fmt.Errorf("it has no %s", ManifestName)
	}
	if mf.UncompressedSize64 > maxManifestBytes {
		return m, nil, fmt.Errorf("its %s is %d bytes, too large", ManifestName, mf.UncompressedSize64)
	}
	rc, err := mf.Open()
	if err != nil {
		return m, nil, fmt.Errorf("read %s: %v", ManifestName, err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxManifestBytes+1))
	rc.Close()
	if err != nil {
		return m, nil, fmt.Errorf("read %s: %v", ManifestName, err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, nil, fmt.Errorf("its %s is not valid JSON (%v)", ManifestName, err)
	}
	if m.Format != FormatName {
		return m, nil, fmt.Errorf("its %s says format %q, not %q", ManifestName, m.Format, FormatName)
	}
	if m.Version < 1 || m.Version > FormatVersion {
		return m, nil, fmt.Errorf("it is backup format version %d; this Style Studio reads version %d (upgrade the app)", m.Version, FormatVersion)
	}
	if m.SchemaVersion < 1 {
		return m, nil, fmt.Errorf("its %s gives no catalog schema version", ManifestName)
	}
	entries := map[string]*zip.File{}
	hasDB := false
	for _, f := range m.Files {
		if err := checkPath(f.Path); err != nil {
			return m, nil, err
		}
		if entries[f.Path] != nil {
			return m, nil, fmt.Errorf("its %s lists %q twice", ManifestName, f.Path)
		}
		if f.Size < 0 || !isHex64(f.SHA256) {
			return m, nil, fmt.Errorf("its %s has a bad size or SHA-256 for %q", ManifestName, f.Path)
		}
		if rest, ok := strings.CutPrefix(f.Path, store.ObjectsDir+"/"); ok {
			if h := strings.Replace(rest, "/", "", 1); h != f.SHA256 || filepath.ToSlash(store.ObjectRelPath(h)) != f.Path {
				return m, nil, fmt.Errorf("object %q is not stored under its own SHA-256", f.Path)
			}
		}
		zf := byName[f.Path]
		if zf == nil {
			return m, nil, fmt.Errorf("%q is listed in its %s but missing from it (an incomplete backup?)", f.Path, ManifestName)
		}
		if zf.UncompressedSize64 != uint64(f.Size) {
			return m, nil, fmt.Errorf("%q is %d bytes in the archive but %d in its %s", f.Path, zf.UncompressedSize64, f.Size, ManifestName)
		}
		entries[f.Path] = zf
		if f.Path == store.DBFile {
			hasDB = true
		}
	}
	if !hasDB {
		return m, nil, fmt.Errorf("it holds no %s", store.DBFile)
	}
	for name := range byName {
		if entries[name] == nil {
			return m, nil, fmt.Errorf("it holds %q, which its %s does not list (a tampered or foreign archive?)", name, ManifestName)
		}
	}
	return m, entries, nil
}

// checkPath accepts a clean, relative slash path that stays inside the library and names no hidden
// file or folder.
func checkPath(p string) error {
	if p == "" || strings.ContainsAny(p, "\\\x00:") || path.Clean(p) != p || path.IsAbs(p) ||
		!filepath.IsLocal(filepath.FromSlash(p)) || p == ManifestName {
		return fmt.Errorf("it lists the unsafe path %q", p)
	}
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") {
			return fmt.Errorf("it lists the unsafe path %q", p)
		}
	}
	return nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// extract writes every listed file under dir (through an os.Root, so nothing lands outside it),
// checking each one's size and SHA-256; a mismatch is an ErrBadArchive naming the file.
func extract(ctx context.Context, m Manifest, entries map[string]*zip.File, dir string, progress func(done, total int)) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	made := map[string]bool{}
	for i, f := range m.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if progress != nil {
			progress(i, len(m.Files))
		}
		rel := filepath.FromSlash(f.Path)
		if d := filepath.Dir(rel); d != "." && !made[d] {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
			made[d] = true
		}
		if err := extractOne(root, rel, entries[f.Path], f); err != nil {
			return err
		}
	}
	if progress != nil {
		progress(len(m.Files), len(m.Files))
	}
	for d := range made {
		if df, err := root.Open(d); err == nil {
			df.Sync()
			df.Close()
		}
	}
	return nil
}

// archiveError is a damaged or lying archive entry, as opposed to a failure to write the library.
type archiveError struct{ msg string }

func (e *archiveError) Error() string { return e.msg }

func damaged(format string, args ...any) error {
	return &archiveError{msg: fmt.Sprintf(format, args...)}
}

func extractOne(root *os.Root, rel string, zf *zip.File, f File) (err error) {
	rc, err := zf.Open()
	if err != nil {
		return damaged("%s cannot be read (%v)", f.Path, err)
	}
	defer rc.Close()
	out, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	hw := &hashingWriter{w: out, h: sha256.New()}
	// At most one byte more than promised, so a lying entry cannot fill the disk.
	if _, err := io.Copy(hw, io.LimitReader(rc, f.Size+1)); err != nil {
		if hw.err != nil {
			return fmt.Errorf("write %s: %w", f.Path, hw.err)
		}
		return damaged("%s is damaged (%v)", f.Path, err)
	}
	if hw.n != f.Size {
		return damaged("%s is %d bytes, the manifest says %d", f.Path, hw.n, f.Size)
	}
	if got := hex.EncodeToString(hw.h.Sum(nil)); got != f.SHA256 {
		return damaged("%s does not match its SHA-256 in the manifest (damaged)", f.Path)
	}
	return out.Sync()
}
