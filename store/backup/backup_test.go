package backup

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"stylestudio/engine/ingest"
	"stylestudio/internal/testkit"
	"stylestudio/store"
)

var ctx = context.Background()

// record makes a product whose image is n pseudo-random bytes from seed.
func record(seed uint64, n int, sku, style string) ingest.Record {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	sum := sha256.Sum256(b)
	return ingest.Record{SKU: sku, Title: "Title " + sku, Category: "Tees", PriceCents: int64(seed) * 100,
		Image: ingest.Image{Hash: hex.EncodeToString(sum[:]), Bytes: b, Format: "png", Width: 64, Height: 64, Source: "/src/" + sku},
		Thumb: []byte("thumb-" + sku), Style: style, LabelSource: "folder"}
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixture is a library with products (most labeled), a stylized variant, model files, a training run
// with a checkpoint row, a half-written temp file and an object nothing references.
type fixture struct {
	lib      string
	products int
	ckpt     string // the checkpoint's absolute path
	orphan   string // an unreferenced object's hash
	variant  string // the variant's object hash
}

func newFixture(t *testing.T, products int) fixture {
	t.Helper()
	fx := fixture{lib: filepath.Join(t.TempDir(), "lib"), products: products}
	db, err := store.Open(ctx, fx.lib)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	styles := []string{"neon", "minimal", "boho"}
	for i := 0; i < products; i++ {
		style := styles[i%len(styles)]
		if i%4 == 3 {
			style = ""
		}
		if _, err := db.AddRecord(ctx, record(uint64(i+1), 300+i, fmt.Sprintf("SKU-%03d", i), style)); err != nil {
			t.Fatal(err)
		}
	}
	fx.orphan, err = db.PutObject([]byte("an object nothing references"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.CreateRun(ctx, "first run", `{"steps":100}`)
	if err != nil {
		t.Fatal(err)
	}
	fx.ckpt = filepath.Join(fx.lib, "runs", fmt.Sprintf("run-%d", run.ID), "step-000100.safetensors")
	writeFile(t, fx.ckpt, bytes.Repeat([]byte("weights "), 500))
	writeFile(t, filepath.Join(filepath.Dir(fx.ckpt), "samples", "grid-000100.png"), []byte("\x89PNG fake grid"))
	writeFile(t, filepath.Join(filepath.Dir(fx.ckpt), ".step-000200.safetensors.tmp-123"), []byte("half-written"))
	if _, err := db.AddCheckpoint(ctx, run.ID, 100, fx.ckpt, `{"g":1}`, true); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(fx.lib, "models", "style-classifier.safetensors"), bytes.Repeat([]byte{1, 2, 3}, 1000))
	writeFile(t, filepath.Join(fx.lib, "models", "style-classifier.json"), []byte(`{"styles":["neon"]}`))
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.StyleByName(ctx, "neon")
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.PutVariantImage(ctx, rows[0].ID, st.ID, run.ID, []byte("a stylized picture"))
	if err != nil {
		t.Fatal(err)
	}
	fx.variant = v.ImageHash
	return fx
}

// catalogState is what a user would check after a restore: every product with its label.
func catalogState(t *testing.T, lib string) []string {
	t.Helper()
	db, err := store.Open(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s|%s|%s|%d|%s", r.SKU, r.Title, r.ImageHash, r.PriceCents, r.Style))
	}
	return out
}

func sameTree(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d files, then %d", what, len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s: %s changed or vanished", what, k)
		}
	}
}

// noLeftovers checks that a folder holds exactly the names given (no temp folders left behind).
func noLeftovers(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	fx := newFixture(t, 12)
	before := catalogState(t, fx.lib)
	out := filepath.Join(t.TempDir(), "backups", "lib.zip")
	var calls int
	res, err := Backup(ctx, fx.lib, out, Options{Progress: func(done, total int) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	want := Counts{Products: 12, Images: 12, Labels: 9, Variants: 1, Checkpoints: 1, Objects: 13, ModelFiles: 4}
	if m.Counts != want || m.SchemaVersion < 2 || m.Format != FormatName || m.Version != FormatVersion {
		t.Errorf("manifest %+v, want counts %+v", m, want)
	}
	if len(m.Missing) != 0 || len(m.External) != 0 || calls == 0 || res.Bytes <= 0 {
		t.Errorf("missing %v, external %v, progress calls %d, bytes %d", m.Missing, m.External, calls, res.Bytes)
	}
	// The archive holds exactly the manifest's files plus the manifest, and no temp file or orphan.
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	zr.Close()
	if len(names) != len(m.Files)+1 || !names[ManifestName] || !names[store.DBFile] {
		t.Errorf("archive holds %v", names)
	}
	for n := range names {
		if strings.Contains(n, ".tmp-") || strings.Contains(n, fx.orphan[2:]) {
			t.Errorf("archive holds %s", n)
		}
	}
	noLeftovers(t, filepath.Dir(out), "lib.zip")

	// Restore into a new folder.
	dst := filepath.Join(t.TempDir(), "restored")
	rres, err := Restore(ctx, out, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rres.Replaced || rres.Relocated != 1 || rres.Manifest.Counts != want {
		t.Errorf("restore result %+v", rres)
	}
	got := testkit.Tree(t, dst, sqliteSidecar)
	src := testkit.Tree(t, fx.lib, sqliteSidecar)
	for _, f := range m.Files {
		if f.Path == store.DBFile {
			continue
		}
		if got[f.Path] != f.SHA256 || src[f.Path] != f.SHA256 {
			t.Errorf("%s: restored %q, source %q, manifest %q", f.Path, got[f.Path], src[f.Path], f.SHA256)
		}
	}
	if after := catalogState(t, dst); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("catalog differs after restore:\n%v\n%v", before, after)
	}
	db, err := store.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.Runs(ctx)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	cps, err := db.Checkpoints(ctx, runs[0].ID)
	if err != nil || len(cps) != 1 {
		t.Fatalf("checkpoints %v, %v", cps, err)
	}
	if wantPath := filepath.Join(dst, "runs", filepath.Base(filepath.Dir(fx.ckpt)), filepath.Base(fx.ckpt)); cps[0].Path != wantPath {
		t.Errorf("checkpoint path %s, want it moved to %s", cps[0].Path, wantPath)
	}
	if _, err := os.Stat(cps[0].Path); err != nil {
		t.Error(err)
	}
	rows, _ := db.Products(ctx, store.ProductFilter{})
	if th, err := db.Thumb(ctx, rows[0].ImageHash); err != nil || string(th) != "thumb-SKU-000" {
		t.Errorf("thumbnail %q, %v", th, err)
	}
	if b, err := db.ReadObject(fx.variant); err != nil || string(b) != "a stylized picture" {
		t.Errorf("variant object %q, %v", b, err)
	}
	if _, err := db.ReadObject(fx.orphan); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the unreferenced object came along: %v", err)
	}
	noLeftovers(t, filepath.Dir(dst), "restored")
}

// TestBackupWhileTheAppWrites takes a backup while another connection (the running app) keeps
// labeling. The restored catalog must be the live one as of one moment: exactly the state after some
// prefix of the label changes, at least all that were acknowledged before the backup began.
func TestBackupWhileTheAppWrites(t *testing.T) {
	fx := newFixture(t, 12)
	app, err := store.Open(ctx, fx.lib)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rows, err := app.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	styles, err := app.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Change k (0-based) labels product k%n with style k%len(styles); state(k) is the labels after k changes.
	initial := map[string]string{}
	for _, r := range rows {
		initial[r.SKU] = r.Style
	}
	state := func(k int) map[string]string {
		s := map[string]string{}
		for sku, st := range initial {
			s[sku] = st
		}
		for i := 0; i < k; i++ {
			s[rows[i%len(rows)].SKU] = styles[i%len(styles)].Name
		}
		return s
	}
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := app.SetLabel(ctx, rows[i%len(rows)].ID, styles[i%len(styles)].ID, "test"); err != nil {
				werr = err
				return
			}
			acked.Store(int64(i + 1))
		}
	}()
	for acked.Load() < 20 { // the writer is under way
		if werr != nil {
			break
		}
		runtime.Gosched()
	}
	start := acked.Load()
	out := filepath.Join(t.TempDir(), "live.zip")
	_, berr := Backup(ctx, fx.lib, out, Options{})
	end := acked.Load()
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatalf("the app's writes failed during the backup: %v", werr)
	}
	if berr != nil {
		t.Fatal(berr)
	}
	total := acked.Load()
	t.Logf("labels acknowledged: %d before the backup, %d after it, %d in all", start, end, total)

	dst := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, out, dst, Options{}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Products(ctx, store.ProductFilter{})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	restored := map[string]string{}
	for _, r := range got {
		restored[r.SKU] = r.Style
	}
	match := -1
	for k := int(start); k <= int(end)+1 && match < 0; k++ {
		s := state(k)
		same := len(s) == len(restored)
		for sku, st := range s {
			same = same && restored[sku] == st
		}
		if same {
			match = k
		}
	}
	if match < 0 {
		t.Fatalf("the restored labels are not the catalog after any number of changes between %d and %d:\n%v", start, end, restored)
	}
	t.Logf("the backup holds the catalog after %d label changes", match)
	if info, err := store.InspectSnapshot(ctx, filepath.Join(dst, store.DBFile), true); err != nil || info.Products != 12 {
		t.Errorf("restored catalog: %+v, %v", info, err)
	}
}

// rewriteZip copies the archive src to dst through edit, which may change an entry's bytes or drop it
// (keep false); extra entries are appended.
func rewriteZip(t *testing.T, src, dst string, edit func(name string, data []byte) ([]byte, bool), extra map[string][]byte) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name string, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if data, keep := edit(f.Name, data); keep {
			put(f.Name, data)
		}
	}
	names := make([]string, 0, len(extra))
	for n := range extra {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		put(n, extra[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, buf.Bytes())
}

// editManifest returns an edit that rewrites manifest.json through fn.
func editManifest(t *testing.T, fn func(m *Manifest)) func(string, []byte) ([]byte, bool) {
	return func(name string, data []byte) ([]byte, bool) {
		if name != ManifestName {
			return data, true
		}
		var m Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		fn(&m)
		out, _ := json.Marshal(m)
		return out, true
	}
}

func fileOf(m *Manifest, prefix string) *File {
	for i := range m.Files {
		if strings.HasPrefix(m.Files[i].Path, prefix) {
			return &m.Files[i]
		}
	}
	return nil
}

// TestRestoreRefusesDamagedArchives: every kind of damaged, foreign or tampered archive fails with
// ErrBadArchive and a message naming the problem, leaving the library (restored over with --force)
// exactly as it was and no temporary folder behind.
func TestRestoreRefusesDamagedArchives(t *testing.T) {
	fx := newFixture(t, 6)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.zip")
	res, err := Backup(ctx, fx.lib, good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// An object's bytes, stored as they are: flip one in the middle of the archive's copy.
	obj := fileOf(&res.Manifest, "objects/")
	objBytes, err := os.ReadFile(filepath.Join(fx.lib, filepath.FromSlash(obj.Path)))
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(raw, objBytes)
	if at < 0 {
		t.Fatal("object bytes not found stored in the archive")
	}
	flipped := bytes.Clone(raw)
	flipped[at+len(objBytes)/2] ^= 0x40

	otherHash := strings.Repeat("ab", 32)
	cases := []struct {
		name    string
		make    func(p string)
		mention string
	}{
		{"byte flipped in an object", func(p string) { writeFile(t, p, flipped) }, obj.Path},
		{"cut in half", func(p string) { writeFile(t, p, raw[:len(raw)/2]) }, "cut short"},
		{"cut by one byte", func(p string) { writeFile(t, p, raw[:len(raw)-1]) }, "cut short"},
		{"empty file", func(p string) { writeFile(t, p, nil) }, "not a Style Studio backup"},
		{"not a zip", func(p string) { writeFile(t, p, []byte("sku,style\nA,neon\n")) }, "not a Style Studio backup"},
		{"no manifest", func(p string) {
			rewriteZip(t, good, p, func(n string, d []byte) ([]byte, bool) { return d, n != ManifestName }, nil)
		}, "no manifest.json"},
		{"manifest not JSON", func(p string) {
			rewriteZip(t, good, p, func(n string, d []byte) ([]byte, bool) {
				if n == ManifestName {
					return d[:len(d)/2], true
				}
				return d, true
			}, nil)
		}, "not valid JSON"},
		{"foreign format", func(p string) {
			rewriteZip(t, good, p, editManifest(t, func(m *Manifest) { m.Format = "something-else" }), nil)
		}, "format"},
		{"future format version", func(p string) {
			rewriteZip(t, good, p, editManifest(t, func(m *Manifest) { m.Version = FormatVersion + 1 }), nil)
		}, "upgrade"},
		{"hash of a model file changed in the manifest", func(p string) {
			rewriteZip(t, good, p, editManifest(t, func(m *Manifest) { fileOf(m, "models/").SHA256 = otherHash }), nil)
		}, "models/"},
		{"size changed in the manifest", func(p string) {
			rewriteZip(t, good, p, editManifest(t, func(m *Manifest) { fileOf(m, "runs/").Size++ }), nil)
		}, "runs/"},
		{"object under another name", func(p string) {
			rewriteZip(t, good, p, editManifest(t, func(m *Manifest) { fileOf(m, "objects/").SHA256 = otherHash }), nil)
		}, "own SHA-256"},
		{"listed file missing", func(p string) {
			rewriteZip(t, good, p, func(n string, d []byte) ([]byte, bool) { return d, n != obj.Path }, nil)
		}, "missing from it"},
		{"catalog missing", func(p string) {
			rewriteZip(t, good, p, editManifest(t, func(m *Manifest) {
				var keep []File
				for _, f := range m.Files {
					if f.Path != store.DBFile {
						keep = append(keep, f)
					}
				}
				m.Files = keep
			}), nil)
		}, "catalog.db"},
		{"unlisted extra file", func(p string) {
			rewriteZip(t, good, p, func(n string, d []byte) ([]byte, bool) { return d, true }, map[string][]byte{"models/evil.sh": []byte("rm -rf ~")})
		}, "does not list"},
		{"path escaping the library", func(p string) {
			evil := []byte("pwned")
			sum := sha256.Sum256(evil)
			rewriteZip(t, good, p, editManifest(t, func(m *Manifest) {
				m.Files = append(m.Files, File{Path: "../escaped.txt", Size: int64(len(evil)), SHA256: hex.EncodeToString(sum[:])})
			}), map[string][]byte{"../escaped.txt": evil})
		}, "unsafe path"},
		{"absolute path", func(p string) {
			evil := []byte("pwned")
			sum := sha256.Sum256(evil)
			rewriteZip(t, good, p, editManifest(t, func(m *Manifest) {
				m.Files = append(m.Files, File{Path: "/tmp/escaped.txt", Size: int64(len(evil)), SHA256: hex.EncodeToString(sum[:])})
			}), map[string][]byte{"/tmp/escaped.txt": evil})
		}, "unsafe path"},
		{"catalog replaced by garbage", func(p string) {
			junk := bytes.Repeat([]byte("not a database "), 100)
			sum := sha256.Sum256(junk)
			rewriteZip(t, good, p, func(n string, d []byte) ([]byte, bool) {
				if n == store.DBFile {
					return junk, true
				}
				if n == ManifestName {
					var m Manifest
					json.Unmarshal(d, &m)
					f := fileOf(&m, store.DBFile)
					f.Size, f.SHA256 = int64(len(junk)), hex.EncodeToString(sum[:])
					d, _ = json.Marshal(m)
				}
				return d, true
			}, nil)
		}, "catalog in it is damaged"},
	}

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			arc := filepath.Join(dir, fmt.Sprintf("bad-%d.zip", i))
			c.make(arc)
			// A library that exists, restored over with --force: it must come out untouched.
			parent := t.TempDir()
			lib := filepath.Join(parent, "lib")
			db, err := store.Open(ctx, lib)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddRecord(ctx, record(99, 100, "KEEP-ME", "neon")); err != nil {
				t.Fatal(err)
			}
			db.Close()
			before := testkit.Tree(t, lib, sqliteSidecar)
			_, err = Restore(ctx, arc, lib, Options{Force: true})
			t.Log(err)
			if !errors.Is(err, ErrBadArchive) || !strings.Contains(err.Error(), c.mention) || !strings.Contains(err.Error(), "not changed") {
				t.Fatalf("err = %v; want ErrBadArchive mentioning %q and that the library was not changed", err, c.mention)
			}
			sameTree(t, "library after a failed restore", before, testkit.Tree(t, lib, sqliteSidecar))
			noLeftovers(t, parent, "lib")
			if _, err := os.Stat(filepath.Join(dir, "escaped.txt")); err == nil {
				t.Fatal("a file escaped the library")
			}
			// And into a new folder: nothing is created.
			fresh := filepath.Join(parent, "new")
			if _, err := Restore(ctx, arc, fresh, Options{}); !errors.Is(err, ErrBadArchive) {
				t.Fatalf("into a new folder: %v", err)
			}
			noLeftovers(t, parent, "lib")
		})
	}
	if _, err := os.Stat("/tmp/escaped.txt"); err == nil {
		t.Error("/tmp/escaped.txt exists")
	}
}

func TestRestoreRefusesANonEmptyLibraryWithoutForce(t *testing.T) {
	fx := newFixture(t, 4)
	arc := filepath.Join(t.TempDir(), "b.zip")
	if _, err := Backup(ctx, fx.lib, arc, Options{}); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	lib := filepath.Join(parent, "lib")
	db, err := store.Open(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddRecord(ctx, record(77, 100, "OTHER", "")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := testkit.Tree(t, lib, sqliteSidecar)
	_, err = Restore(ctx, arc, lib, Options{})
	if !errors.Is(err, ErrLibraryNotEmpty) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v, want ErrLibraryNotEmpty suggesting --force", err)
	}
	sameTree(t, "refused library", before, testkit.Tree(t, lib, sqliteSidecar))

	// An empty folder (or one with only desktop litter) is fine without --force.
	empty := filepath.Join(parent, "empty")
	writeFile(t, filepath.Join(empty, ".DS_Store"), []byte("x"))
	if res, err := Restore(ctx, arc, empty, Options{}); err != nil || res.Replaced {
		t.Fatalf("into an empty folder: %+v, %v", res, err)
	}
	// --force replaces the library; the old one is gone, nothing left beside it.
	res, err := Restore(ctx, arc, lib, Options{Force: true})
	if err != nil || !res.Replaced {
		t.Fatalf("with --force: %+v, %v", res, err)
	}
	got := catalogState(t, lib)
	if len(got) != 4 || strings.Contains(strings.Join(got, ","), "OTHER") {
		t.Errorf("after --force the library holds %v", got)
	}
	noLeftovers(t, parent, "empty", "lib")
}

func TestBackupRefusals(t *testing.T) {
	fx := newFixture(t, 2)
	dir := t.TempDir()
	out := filepath.Join(dir, "b.zip")
	writeFile(t, out, []byte("an older backup"))
	if _, err := Backup(ctx, fx.lib, out, Options{}); !errors.Is(err, ErrOutExists) {
		t.Errorf("existing file: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "an older backup" {
		t.Error("the existing file was changed")
	}
	if _, err := Backup(ctx, fx.lib, out, Options{Force: true}); err != nil {
		t.Errorf("with Force: %v", err)
	}
	if _, err := Backup(ctx, fx.lib, filepath.Join(fx.lib, "models", "b.zip"), Options{}); err == nil || !strings.Contains(err.Error(), "inside the library") {
		t.Errorf("archive inside the library: %v", err)
	}
	if _, err := Backup(ctx, t.TempDir(), filepath.Join(dir, "c.zip"), Options{}); !errors.Is(err, store.ErrNotLibrary) {
		t.Errorf("not a library: %v", err)
	}
	if _, err := Backup(ctx, filepath.Join(dir, "nowhere"), filepath.Join(dir, "d.zip"), Options{}); !errors.Is(err, store.ErrNotLibrary) {
		t.Errorf("missing folder: %v", err)
	}
	noLeftovers(t, dir, "b.zip")
}

// TestBackupListsMissingAndDamagedObjects: a library that lost an object (or has a damaged one) still
// backs up, listing them; the restore accepts that known damage and carries the rest.
func TestBackupListsMissingAndDamagedObjects(t *testing.T) {
	fx := newFixture(t, 4)
	state := catalogState(t, fx.lib)
	gone := strings.Split(state[0], "|")[2]
	bad := strings.Split(state[1], "|")[2]
	if err := os.Remove(filepath.Join(fx.lib, store.ObjectRelPath(gone))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(fx.lib, store.ObjectRelPath(bad)), []byte("bit rot"))
	arc := filepath.Join(t.TempDir(), "b.zip")
	res, err := Backup(ctx, fx.lib, arc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manifest.Missing) != 2 || res.Manifest.Counts.Objects != 3 {
		t.Fatalf("missing %+v, objects %d", res.Manifest.Missing, res.Manifest.Counts.Objects)
	}
	reasons := res.Manifest.Missing[0].Reason + res.Manifest.Missing[1].Reason
	if !strings.Contains(reasons, "missing") || !strings.Contains(reasons, "damaged") {
		t.Errorf("reasons %q", reasons)
	}
	dst := filepath.Join(t.TempDir(), "r")
	if _, err := Restore(ctx, arc, dst, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := catalogState(t, dst); len(got) != 4 {
		t.Errorf("restored %v", got)
	}
}

func TestRestoreRefusesANewerSchema(t *testing.T) {
	fx := newFixture(t, 2)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.zip")
	if _, err := Backup(ctx, fx.lib, good, Options{}); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.zip")
	rewriteZip(t, good, newer, editManifest(t, func(m *Manifest) { m.SchemaVersion = 999 }), nil)
	_, err := Restore(ctx, newer, filepath.Join(dir, "lib"), Options{})
	if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("err = %v, want ErrNewerSchema saying to upgrade", err)
	}
	noLeftovers(t, dir, "good.zip", "newer.zip")
}

// sqliteSidecar is SQLite's -wal and -shm files, which come and go with connections.
func sqliteSidecar(name string) bool {
	return strings.HasSuffix(name, "-wal") || strings.HasSuffix(name, "-shm")
}
