package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// hostileNames are SKUs and style names that try to escape the export folder or break file names.
var hostileNames = []struct{ sku, style string }{
	{"../../etc/passwd", "../up"},
	{"..", "."},
	{"/abs/sku", "/"},
	{`..\..\win`, `a\b`},
	{"nul\x00byte", "nul\x00style"},
	{"bad\xff\xfeutf8", "\xff\xfe"},
	{strings.Repeat("S", 10<<10), strings.Repeat("é", 5<<10)}, // 10 KB each
	{"CON", "CON"},
	{".hidden", ".hidden-style"},
	{"line\nbreak", "tab\tstyle"},
	{"\u202eevil\u200b", "a/b"},
	{strings.Repeat("../", 3000), strings.Repeat("x/", 5000)},
}

func tinyPNG(t *testing.T, seed int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, 6, 6))
	for i := range m.Pix {
		m.Pix[i] = uint8(seed*37 + i)
	}
	m.SetNRGBA(0, 0, color.NRGBA{uint8(seed), 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExportHostileSKUsAndStyleNames imports products whose SKUs and styles are hostile (through a CSV
// manifest, as a supplier's file would bring them), then exports both formats: every product is
// written, every file lies inside the export folder under a short, valid UTF-8 name, and nothing
// appears beside it.
func TestExportHostileSKUsAndStyleNames(t *testing.T) {
	src := t.TempDir()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"sku", "title", "category", "price", "image", "style"})
	for i, h := range hostileNames {
		name := fmt.Sprintf("img-%d.png", i)
		if err := os.WriteFile(filepath.Join(src, name), tinyPNG(t, i), 0o644); err != nil {
			t.Fatal(err)
		}
		w.Write([]string{h.sku, "t", "c", "1", name, h.style})
	}
	w.Flush()
	manifest := filepath.Join(src, "products.csv")
	if err := os.WriteFile(manifest, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := t.TempDir()
	code, stdout, stderr := runCLI(t, "import", "--library", lib, "--csv", manifest, "--json")
	if code != 0 {
		t.Fatalf("import exited %d: %s\n%s", code, stderr, stdout)
	}
	counts, _ := catalogCounts(t, lib)
	labeled := 0
	for _, n := range counts {
		labeled += n
	}
	if labeled != len(hostileNames) {
		t.Fatalf("%d products labeled after import, want %d (styles %v)", labeled, len(hostileNames), counts)
	}

	for _, format := range []string{"imagefolder", "csv"} {
		t.Run(format, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			code, stdout, stderr := runCLI(t, "export", "--library", lib, "--format", format, "--out", out, "--json")
			if code != 0 {
				t.Fatalf("export exited %d: %s", code, stderr)
			}
			var res exportResult
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatal(err)
			}
			if res.Written != len(hostileNames) || len(res.Failed) != 0 {
				t.Errorf("written %d, failed %v", res.Written, res.Failed)
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 1 || ents[0].Name() != "out" {
				t.Errorf("beside the export folder: %v", ents)
			}
			images := 0
			filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					t.Error(err)
					return nil
				}
				rel, _ := filepath.Rel(out, p)
				if !filepath.IsLocal(rel) && p != out {
					t.Errorf("%s is outside the export folder", p)
				}
				if d.Type()&fs.ModeSymlink != 0 {
					t.Errorf("%s is a link", p)
				}
				if n := d.Name(); p != out && (len(n) > 120 || !utf8.ValidString(n) || strings.HasPrefix(n, ".") ||
					strings.ContainsAny(n, "\x00\n\t\\/:")) {
					t.Errorf("bad name %q", n)
				}
				if d.Type().IsRegular() && d.Name() != "manifest.csv" {
					images++
				}
				return nil
			})
			if images != len(hostileNames) {
				t.Errorf("%d image files, want %d", images, len(hostileNames))
			}
			if format == "csv" {
				f, err := os.Open(filepath.Join(out, "manifest.csv"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				recs, err := csv.NewReader(f).ReadAll()
				if err != nil || len(recs) != len(hostileNames)+1 {
					t.Fatalf("manifest.csv: %d records, %v", len(recs), err)
				}
				for _, r := range recs[1:] {
					if file := r[len(r)-1]; !filepath.IsLocal(file) {
						t.Errorf("manifest row points outside: %q", file)
					} else if _, err := os.Stat(filepath.Join(out, file)); err != nil {
						t.Errorf("manifest row's file: %v", err)
					}
				}
			}
		})
	}
}

// TestImportSkipsTenGigabyteFile: a 10 GB file (sparse: no disk used) named like a picture in an
// imported folder is refused at once with a message naming it; the other picture imports.
func TestImportSkipsTenGigabyteFile(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "small.png"), tinyPNG(t, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(src, "huge.png")
	if err := os.WriteFile(huge, []byte("\x89PNG\r\n\x1a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 10<<30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	lib := t.TempDir()
	start := time.Now()
	code, stdout, stderr := runCLI(t, "import", "--library", lib, "--json", src)
	took := time.Since(start)
	t.Logf("import took %v", took)
	var res struct {
		Imported int `json:"imported"`
		Failures []struct {
			Path   string `json:"path"`
			Reason string `json:"reason"`
		} `json:"failures"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if code != 1 || res.Imported != 1 || len(res.Failures) != 1 || res.Failures[0].Path != huge ||
		!strings.Contains(res.Failures[0].Reason, "10.0 GB") || !strings.Contains(stderr, huge) {
		t.Errorf("exit %d, %+v, stderr %s", code, res, stderr)
	}
	if took > time.Minute {
		t.Errorf("import took %v: the 10 GB file must be refused from its size, not read", took)
	}
}
