package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"stylestudio/internal/unprivileged"
)

// testImage encodes a small solid image of colour seed in format ("png", "jpeg", "gif"; "webp" gives
// a WebP header only, enough for the layout).
func testImage(t testing.TB, format string, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	c := color.RGBA{uint8(seed * 40), uint8(255 - seed*30), uint8(seed * 7), 255}
	for y := 0; y < 6; y++ {
		for x := 0; x < 8; x++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "webp":
		buf.WriteString("RIFF\x24\x00\x00\x00WEBPVP8 ")
		buf.WriteByte(byte(seed))
	default:
		t.Fatalf("format %q", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func item(t testing.TB, sku, style, split, format string, seed int) ExportItem {
	data := testImage(t, format, seed)
	sum := sha256.Sum256(data)
	return ExportItem{
		SKU: sku, Title: "Title of " + sku, Category: "dress", PriceCents: int64(1000 + seed),
		Style: style, Split: split, Format: format, Hash: hex.EncodeToString(sum[:]), SourcePath: "/src/" + sku,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

// tree lists the regular files under dir (slash paths) and fails on anything else but folders.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.IsDir():
		case d.Type().IsRegular():
			out = append(out, filepath.ToSlash(rel))
		default:
			t.Errorf("%s is neither a file nor a folder", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func sampleItems(t testing.TB) []ExportItem {
	return []ExportItem{
		item(t, "N-1", "Neon", Train, "png", 1),
		item(t, "N-2", "Neon", Train, "jpeg", 2),
		item(t, "N-3", "Neon", Val, "png", 3),
		item(t, "N-4", "Neon", Test, "gif", 4),
		item(t, "B-1", "Boho", Train, "webp", 5),
		item(t, "B-2", "Boho", Val, "png", 6),
		item(t, "B-3", "Boho", Test, "jpeg", 7),
		item(t, "M-1", "Mid Century", Train, "png", 8),
	}
}

func TestExportImageFolderLayout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "new", "ds") // created, parents included
	items := sampleItems(t)
	var calls [][2]int
	sum, err := Export(context.Background(), items, ExportOptions{Format: FormatImageFolder, Out: out},
		func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"test/Boho/B-3.jpg",
		"test/Neon/N-4.png", // GIF re-encoded: ImageFolder does not read .gif
		"train/Boho/B-1.webp",
		"train/Mid Century/M-1.png",
		"train/Neon/N-1.png",
		"train/Neon/N-2.jpg",
		"val/Boho/B-2.png",
		"val/Neon/N-3.png",
	}
	if got := tree(t, out); !slices.Equal(got, want) {
		t.Errorf("tree =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Bytes are copied unchanged, except the GIF, which decodes to the same picture.
	for _, c := range []struct {
		file string
		item int
	}{{"train/Neon/N-1.png", 0}, {"train/Neon/N-2.jpg", 1}, {"train/Boho/B-1.webp", 4}} {
		got, _ := os.ReadFile(filepath.Join(out, c.file))
		rc, _ := items[c.item].Open()
		orig, _ := io.ReadAll(rc)
		if !bytes.Equal(got, orig) {
			t.Errorf("%s differs from the original", c.file)
		}
	}
	f, err := os.Open(filepath.Join(out, "test/Neon/N-4.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 8 || img.Bounds().Dy() != 6 {
		t.Errorf("transcoded GIF: %v %v", img, err)
	}

	if sum.Written != 8 || sum.Total != 8 || sum.Transcoded != 1 || sum.Leftover != 0 || len(sum.Failed) != 0 {
		t.Errorf("summary %+v", sum)
	}
	if sum.PerSplit[Train] != 4 || sum.PerSplit[Val] != 2 || sum.PerSplit[Test] != 2 {
		t.Errorf("per split %v", sum.PerSplit)
	}
	if !slices.Equal(sum.Classes, []string{"Boho", "Mid Century", "Neon"}) {
		t.Errorf("classes %v", sum.Classes)
	}
	if m := sum.MissingClasses; len(m) != 2 || !slices.Equal(m[Val], []string{"Mid Century"}) ||
		!slices.Equal(m[Test], []string{"Mid Century"}) {
		t.Errorf("missing classes %v", m)
	}
	if abs, _ := filepath.Abs(out); sum.Out != abs {
		t.Errorf("Out = %q", sum.Out)
	}
	if len(calls) != 9 || calls[0] != [2]int{0, 8} || calls[8] != [2]int{8, 8} {
		t.Errorf("progress calls %v", calls)
	}
}

func TestExportCSV(t *testing.T) {
	out := t.TempDir()
	items := sampleItems(t)[:3]
	items[0].Title = "Dress, \"quoted\"\nwith a line break\x00"
	items[1].PriceCents = 5
	sum, err := Export(context.Background(), items, ExportOptions{Format: FormatCSV, Out: out}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tree(t, out), []string{"images/N-1.png", "images/N-2.jpg", "images/N-3.png", "manifest.csv"}; !slices.Equal(got, want) {
		t.Errorf("tree %v, want %v", got, want)
	}
	f, err := os.Open(filepath.Join(out, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"split", "sku", "title", "category", "price", "style", "file"},
		{"train", "N-1", "Dress, \"quoted\" with a line break ", "dress", "10.01", "Neon", "images/N-1.png"},
		{"train", "N-2", "Title of N-2", "dress", "0.05", "Neon", "images/N-2.jpg"},
		{"val", "N-3", "Title of N-3", "dress", "10.03", "Neon", "images/N-3.png"},
	}
	if !slicesEqual2(recs, want) {
		t.Errorf("manifest =\n%q\nwant\n%q", recs, want)
	}
	if sum.Written != 3 || sum.Classes != nil {
		t.Errorf("summary %+v", sum)
	}
}

func slicesEqual2(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

func TestExportRefusesNonEmptyFileAndBadFormat(t *testing.T) {
	ctx := context.Background()
	items := sampleItems(t)

	out := t.TempDir()
	stale := filepath.Join(out, "train", "Neon", "N-1.png")
	os.MkdirAll(filepath.Dir(stale), 0o755)
	os.WriteFile(stale, []byte("old"), 0o644)
	os.WriteFile(filepath.Join(out, "train", "Neon", "OLD-9.png"), []byte("old"), 0o644)
	_, err := Export(ctx, items, ExportOptions{Format: FormatImageFolder, Out: out}, nil)
	if !errors.Is(err, ErrOutNotEmpty) || !strings.Contains(err.Error(), out) {
		t.Fatalf("non-empty out: %v", err)
	}
	if got := tree(t, out); !slices.Equal(got, []string{"train/Neon/N-1.png", "train/Neon/OLD-9.png"}) {
		t.Errorf("refused export touched the folder: %v", got)
	}
	// Force writes into it, replacing same names and reporting files it did not write.
	sum, err := Export(ctx, items, ExportOptions{Format: FormatImageFolder, Out: out, Force: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(stale); string(b) == "old" {
		t.Error("Force did not overwrite a file of the same name")
	}
	if sum.Written != 8 || sum.Leftover != 1 || len(tree(t, out)) != 9 {
		t.Errorf("forced export: %+v, tree %v", sum, tree(t, out))
	}

	// Desktop litter does not count as content.
	litter := t.TempDir()
	os.WriteFile(filepath.Join(litter, ".DS_Store"), nil, 0o644)
	if _, err := Export(ctx, items, ExportOptions{Format: FormatCSV, Out: litter}, nil); err != nil {
		t.Errorf("folder with only .DS_Store: %v", err)
	}

	file := filepath.Join(t.TempDir(), "file.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, force := range []bool{false, true} {
		_, err := Export(ctx, items, ExportOptions{Format: FormatImageFolder, Out: file, Force: force}, nil)
		if !errors.Is(err, ErrOutNotDir) || !strings.Contains(err.Error(), "is a file") {
			t.Errorf("out is a file (force %v): %v", force, err)
		}
		if _, err := Export(ctx, items, ExportOptions{Format: FormatImageFolder, Out: filepath.Join(file, "sub"), Force: force}, nil); !errors.Is(err, ErrOutNotDir) {
			t.Errorf("out below a file (force %v): %v", force, err)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Error("the file was changed")
	}
	if _, err := Export(ctx, items, ExportOptions{Format: "tfrecord", Out: t.TempDir()}, nil); err == nil ||
		!strings.Contains(err.Error(), "unknown format") {
		t.Errorf("bad format: %v", err)
	}
	if _, err := Export(ctx, items, ExportOptions{Format: FormatCSV, Out: " "}, nil); err == nil {
		t.Error("empty out accepted")
	}
}

func TestExportRefusesUnwritable(t *testing.T) {
	// Permissions do not stop root's writes: as root the test runs as nobody.
	if unprivileged.Nobody(t) {
		return
	}
	parent := t.TempDir()
	ro := filepath.Join(parent, "ro")
	os.Mkdir(ro, 0o555)
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	for _, out := range []string{ro, filepath.Join(ro, "sub")} {
		_, err := Export(context.Background(), sampleItems(t), ExportOptions{Format: FormatCSV, Out: out, Force: true}, nil)
		if !errors.Is(err, ErrOutNotWritable) {
			t.Errorf("%s: %v", out, err)
		}
	}
}

func TestExportRequiresSplits(t *testing.T) {
	items := sampleItems(t)
	items[2].Split = ""
	items[5].Split = "validation"
	out := filepath.Join(t.TempDir(), "out")
	sum, err := Export(context.Background(), items, ExportOptions{Format: FormatImageFolder, Out: out}, nil)
	if !errors.Is(err, ErrMissingSplit) {
		t.Fatalf("err = %v", err)
	}
	want := []ExportProblem{{"N-3", "no split assigned"}, {"B-2", `unknown split "validation"`}}
	if !slices.Equal(sum.Unsplit, want) {
		t.Errorf("unsplit %v, want %v", sum.Unsplit, want)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("out was created: %v", err)
	}
}

func TestExportBadItemsAreListedOthersWritten(t *testing.T) {
	items := sampleItems(t)
	items[1].Hash = strings.Repeat("ab", 32) // wrong hash: damaged object
	items[3].Open = func() (io.ReadCloser, error) { return nil, fs.ErrNotExist }
	items[4].Open = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("not an image")), nil }
	items[4].Format = ""
	items[6].SKU = items[0].SKU // duplicate SKU
	out := t.TempDir()
	sum, err := Export(context.Background(), items, ExportOptions{Format: FormatImageFolder, Out: out}, nil)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err = %v", err)
	}
	var failed []string
	for _, p := range sum.Failed {
		failed = append(failed, p.SKU)
	}
	if !slices.Equal(failed, []string{"N-2", "N-4", "B-1", "N-1"}) || !strings.Contains(sum.Failed[0].Reason, "damaged") {
		t.Errorf("failed %+v", sum.Failed)
	}
	// No temp files left behind; the good items are there.
	want := []string{"train/Mid Century/M-1.png", "train/Neon/N-1.png", "val/Boho/B-2.png", "val/Neon/N-3.png"}
	if got := tree(t, out); !slices.Equal(got, want) {
		t.Errorf("tree %v, want %v", got, want)
	}
	if sum.Written != 4 {
		t.Errorf("written %d", sum.Written)
	}
}

func TestExportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	items := sampleItems(t)
	_, err := Export(ctx, items, ExportOptions{Format: FormatCSV, Out: t.TempDir()}, func(done, total int) {
		if done == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestExportHostileNames(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	var items []ExportItem
	for i, s := range hostile {
		split := Splits[i%3]
		items = append(items, item(t, s, hostile[(i*7+3)%len(hostile)], split, "png", i))
	}
	// Style names that differ only in case or after sanitizing must not share a folder.
	items = append(items, item(t, "case-1", "NEON", Train, "png", 1), item(t, "case-2", "neon", Train, "png", 2),
		item(t, "slash-1", "a/b", Train, "png", 3), item(t, "slash-2", `a\b`, Train, "png", 4))
	for _, format := range []string{FormatImageFolder, FormatCSV} {
		t.Run(format, func(t *testing.T) {
			os.RemoveAll(out)
			sum, err := Export(context.Background(), items, ExportOptions{Format: format, Out: out}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Written != len(items) {
				t.Errorf("wrote %d of %d", sum.Written, len(items))
			}
			// Nothing escaped: the parent holds only out.
			if ents, _ := os.ReadDir(parent); len(ents) != 1 || ents[0].Name() != "out" {
				t.Errorf("parent folder holds %v", ents)
			}
			files := tree(t, out)
			images := 0
			seenFold := map[string]bool{}
			for _, f := range files {
				if f == ManifestFile {
					continue
				}
				images++
				parts := strings.Split(f, "/")
				depth := 3
				if format == FormatCSV {
					depth = 2
				}
				if len(parts) != depth {
					t.Errorf("%q is not at depth %d", f, depth)
					continue
				}
				if format == FormatImageFolder && !validSplit(parts[0]) || format == FormatCSV && parts[0] != ImagesDir {
					t.Errorf("%q is not under a split folder", f)
				}
				for _, p := range parts[1:] {
					base, _, _ := strings.Cut(strings.TrimSuffix(p, ".png"), "~")
					checkSafe(t, p, base)
				}
				if seenFold[strings.ToLower(f)] {
					t.Errorf("%q clashes with another file on a case-insensitive file system", f)
				}
				seenFold[strings.ToLower(f)] = true
			}
			if images != len(items) {
				t.Errorf("%d image files for %d items: %v", images, len(items), files)
			}
			if format == FormatImageFolder {
				classes := map[string]bool{}
				for _, f := range files {
					classes[strings.Split(f, "/")[1]] = true
				}
				if len(sum.ClassOf) != len(classes) || len(sum.Classes) != len(classes) {
					t.Errorf("%d styles, %d class folders, Classes %d", len(sum.ClassOf), len(classes), len(sum.Classes))
				}
				if sum.ClassOf["NEON"] == sum.ClassOf["neon"] || sum.ClassOf["a/b"] == sum.ClassOf[`a\b`] {
					t.Errorf("colliding styles share a folder: %v", sum.ClassOf)
				}
			}
		})
	}
}

func TestExportDoesNotFollowSymlinksOut(t *testing.T) {
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside")
	os.Mkdir(outside, 0o755)
	out := filepath.Join(parent, "out")
	os.Mkdir(out, 0o755)
	// A planted link where the export will write (absolute, and relative escaping upwards).
	if err := os.Symlink(outside, filepath.Join(out, "train")); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	os.Symlink("../outside", filepath.Join(out, "images"))
	for _, format := range []string{FormatImageFolder, FormatCSV} {
		_, err := Export(context.Background(), sampleItems(t), ExportOptions{Format: format, Out: out, Force: true}, nil)
		if !errors.Is(err, ErrIncomplete) {
			t.Errorf("%s: err = %v", format, err)
		}
		if ents, _ := os.ReadDir(outside); len(ents) != 0 {
			t.Fatalf("%s: files escaped through a symlink: %v", format, ents)
		}
	}
}

// TestExportTorchvisionImageFolder loads an exported tree with torchvision's own ImageFolder.
func TestExportTorchvisionImageFolder(t *testing.T) {
	const py = "/usr/bin/python3"
	if testing.Short() {
		t.Skip("short mode")
	}
	if err := exec.Command(py, "-c", "import torchvision").Run(); err != nil {
		t.Skipf("torchvision is not installed for %s (%v); install python3-torchvision to run this check", py, err)
	}
	var items []ExportItem
	styles := []string{"Neon", "Boho", "Mid Century", "../evil", "Café"}
	for i := 0; i < 30; i++ {
		format := []string{"png", "jpeg", "gif"}[i%3]
		items = append(items, item(t, fmt.Sprintf("SKU/%02d", i), styles[i%len(styles)], Splits[i%3], format, i%6))
	}
	out := t.TempDir()
	sum, err := Export(context.Background(), items, ExportOptions{Format: FormatImageFolder, Out: out}, nil)
	if err != nil {
		t.Fatal(err)
	}
	script := `
import sys, json
from torchvision.datasets import ImageFolder
res = {}
for split in ("train", "val", "test"):
    ds = ImageFolder(sys.argv[1] + "/" + split)
    for i in range(len(ds)):
        img, label = ds[i]
        assert img.size == (8, 6), img.size
    res[split] = {"classes": ds.classes, "samples": len(ds)}
print(json.dumps(res, ensure_ascii=False))
`
	cmd := exec.Command(py, "-c", script, out)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ImageFolder: %v\n%s", err, res)
	}
	var want strings.Builder
	want.WriteString("{")
	for i, sp := range Splits {
		if i > 0 {
			want.WriteString(", ")
		}
		fmt.Fprintf(&want, "%q: {\"classes\": [", sp)
		var cls []string
		for _, c := range sum.Classes {
			if !slices.Contains(sum.MissingClasses[sp], c) {
				cls = append(cls, fmt.Sprintf("%q", c))
			}
		}
		fmt.Fprintf(&want, "%s], \"samples\": %d}", strings.Join(cls, ", "), sum.PerSplit[sp])
	}
	want.WriteString("}")
	if got := strings.TrimSpace(string(res)); got != want.String() {
		t.Errorf("torchvision saw\n%s\nwant\n%s", got, want.String())
	}
	if len(sum.Classes) != 5 || sum.PerSplit[Train] != 10 {
		t.Errorf("summary %+v", sum)
	}
}

// An export that was killed leaves its temp files behind; the next export into that folder (--force)
// removes them instead of reporting them as files of an earlier export. Other hidden files stay.
func TestExportRemovesTempFilesOfAnInterruptedExport(t *testing.T) {
	items := sampleItems(t)
	out := t.TempDir()
	// .write-probe-…: the folder's write test, left when the kill came between its create and remove
	// (the crash test's export scenario caught one).
	for _, p := range []string{"train/Neon/.export-0123456789abcdef.tmp", ".export-fedcba9876543210.tmp", ".write-probe-00112233aabbccdd", "keep/.export-notours.tmp"} {
		os.MkdirAll(filepath.Join(out, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(out, p), []byte("half"), 0o644)
	}
	sum, err := Export(context.Background(), items, ExportOptions{Format: FormatImageFolder, Out: out, Force: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"train/Neon/.export-0123456789abcdef.tmp", ".export-fedcba9876543210.tmp", ".write-probe-00112233aabbccdd"} {
		if _, err := os.Stat(filepath.Join(out, p)); err == nil {
			t.Errorf("%s was left behind", p)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "keep/.export-notours.tmp")); err != nil || sum.Leftover != 1 {
		t.Errorf("a file that is not an export temp file: %v; leftover %d, want 1", err, sum.Leftover)
	}
}
