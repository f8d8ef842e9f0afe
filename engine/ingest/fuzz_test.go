package ingest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// maxPriceCents is what ParsePrice can return at most: 12 integer digits and 2 decimals.
const maxPriceCents = 1e14 - 1

// fuzzManifestDir is a folder with a few images (and a folder named like one) that fuzzed manifests
// can point at; it is made once per fuzz worker.
func fuzzManifestDir(f *testing.F) string {
	dir := f.TempDir()
	// tmpfs when there is one: every iteration rewrites the manifest, and a busy disk stalls writes.
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "stylestudio-fuzz-"); err == nil {
			f.Cleanup(func() { os.RemoveAll(d) })
			dir = d
		}
	}
	write(f, filepath.Join(dir, "a.png"), encPNG(f, pattern(4, 4, 1)))
	write(f, filepath.Join(dir, "b.jpg"), encJPEG(f, pattern(4, 4, 2)))
	write(f, filepath.Join(dir, "sub", "c d.png"), encPNG(f, pattern(4, 4, 3)))
	if err := os.Mkdir(filepath.Join(dir, "folder.png"), 0o755); err != nil {
		f.Fatal(err)
	}
	return dir
}

var failureReason = regexp.MustCompile(`^products\.csv line [1-9][0-9]*: .`)

// FuzzParseCSV parses arbitrary bytes as a product manifest. Invariants: no panic; a manifest that
// cannot be used at all fails with ErrBadManifest naming the file; every row failure names the
// manifest and a line; every job has a trimmed, non-empty SKU used by no other job, a price within
// ParsePrice's range, an existing image file, a category, and a "csv" label exactly when it has a
// style; and writing the jobs back as a manifest and parsing it again gives the same jobs (up to
// encoding/csv's "\r\n" → "\n" in quoted fields).
func FuzzParseCSV(f *testing.F) {
	dir := fuzzManifestDir(f)
	for _, s := range []string{
		"sku,title,category,price,image,style\nA1,Dress,Dresses,19.99,a.png,boho\nB1,,,$5,b.jpg,\n",
		"\ufeffImage, Price ,sku,TITLE,category,Style,notes\na.png,19.99,A1,Summer Dress,Dresses,boho,x\nb.jpg,abc,B1,Shirt,Shirts,,\n" +
			"a.png,-5,C1,Coat,Coats,,\nb.jpg,$7,A1,Again,Dresses,,\nmissing.png,3,E1,Gone,Misc,,\n,,,,,,\na.png,\"1,299.00\",F1,Comma,Misc,,\n",
		"sku;title;category;price;image\nS1;T;C;4.5;sub/c d.png\n",
		"sku\ttitle\tcategory\tprice\timage\nS1\tT\tC\t4\tfolder.png\n",
		"sku,title,category,price,image\n\"A\"\"1\",\"multi\nline\",x,0,a.png\nA2,t,c,1.234,../a.png\n",
		"sku,title,category\nA1,Dress,Dresses\n",
		"sku,title,category,price,image,image\n",
		"sku,title,category,price,image\n\xff\xfe,\x00,\x01,9,/a.png\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "products.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		jobs, failures, err := ParseCSV(path)
		if err != nil {
			if !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not wrap ErrBadManifest or name the manifest", err)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, fl := range failures {
			if fl.Path != path || !failureReason.MatchString(fl.Reason) {
				t.Fatalf("failure %+v does not name the manifest and a line", fl)
			}
			var n int
			fmt.Sscanf(strings.TrimPrefix(fl.Reason, "products.csv line "), "%d", &n)
			if n > lines {
				t.Fatalf("failure %+v names line %d of a %d-line file", fl, n, lines)
			}
		}
		checkJobs(t, jobs)

		// Round trip: the jobs written as a manifest (absolute image paths, plain prices) parse the same.
		// encoding/csv reads a quoted "\r\n" as "\n" (its writer keeps it): expect that, and leave out
		// a job whose SKU only that normalisation makes equal to an earlier one.
		crlf := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		var want []Job
		taken := map[string]bool{}
		for _, j := range jobs {
			j.SKU, j.Title, j.Category, j.Style = crlf(j.SKU), crlf(j.Title), crlf(j.Category), crlf(j.Style)
			if !taken[j.SKU] {
				taken[j.SKU] = true
				want = append(want, j)
			}
		}
		jobs = want
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"sku", "title", "category", "price", "image", "style"})
		for _, j := range jobs {
			w.Write([]string{j.SKU, j.Title, j.Category, fmt.Sprintf("%d.%02d", j.PriceCents/100, j.PriceCents%100), j.Path, j.Style})
		}
		w.Flush()
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		again, fails, err := ParseCSV(path)
		if err != nil || len(fails) != 0 {
			t.Fatalf("re-reading the written jobs: %v %+v\n%s", err, fails, buf.Bytes())
		}
		if len(again) != len(jobs) {
			t.Fatalf("round trip: %d jobs, then %d", len(jobs), len(again))
		}
		for i := range jobs {
			if again[i] != jobs[i] {
				t.Fatalf("round trip changed job %d:\n%+v\n%+v", i, jobs[i], again[i])
			}
		}
	})
}

func checkJobs(t *testing.T, jobs []Job) {
	t.Helper()
	seen := map[string]bool{}
	for _, j := range jobs {
		if j.SKU == "" || strings.TrimSpace(j.SKU) != j.SKU || seen[j.SKU] {
			t.Fatalf("job %+v: empty, untrimmed or repeated SKU", j)
		}
		seen[j.SKU] = true
		if j.PriceCents < 0 || j.PriceCents > maxPriceCents {
			t.Fatalf("job %+v: price out of range", j)
		}
		if fi, err := os.Stat(j.Path); err != nil || fi.IsDir() {
			t.Fatalf("job %+v: image is not an existing file (%v)", j, err)
		}
		if j.Category == "" || strings.TrimSpace(j.Style) != j.Style || (j.Style != "") != (j.LabelSource == LabelFromCSV) {
			t.Fatalf("job %+v: category, style or label source", j)
		}
	}
}

// FuzzParsePrice: an accepted price is between 0 and 999,999,999,999.99, and the amount written back
// plainly parses to the same cents; a refused one names what was written.
func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"19.99", "19", ".5", "7.", "$19.99", "19.99 €", "£0.5", " 12.00 ", "abc", "-5",
		"1,299.00", "1.234", "999999999999.99", "0000000000000001", "", "$", "€€1", "1e3", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, err := ParsePrice(s)
		if err != nil {
			if cents != 0 || !strings.Contains(err.Error(), "price") {
				t.Fatalf("ParsePrice(%q) = %d, %v", s, cents, err)
			}
			return
		}
		if cents < 0 || cents > maxPriceCents {
			t.Fatalf("ParsePrice(%q) = %d, out of range", s, cents)
		}
		plain := fmt.Sprintf("%d.%02d", cents/100, cents%100)
		if again, err := ParsePrice(plain); err != nil || again != cents {
			t.Fatalf("ParsePrice(%q) = %d, but %q gives %d, %v", s, cents, plain, again, err)
		}
	})
}
