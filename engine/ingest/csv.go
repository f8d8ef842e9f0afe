package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrBadManifest is wrapped by ParseCSV's error when a manifest cannot be used at all
// (unreadable, empty, or missing required columns). Row problems are Failures instead.
var ErrBadManifest = errors.New("manifest cannot be used")

type manifestError struct{ msg string }

func (e *manifestError) Error() string { return e.msg }
func (e *manifestError) Unwrap() error { return ErrBadManifest }

// requiredColumns are the manifest columns ParseCSV insists on, in the order messages name them.
func requiredColumns() []string { return []string{"sku", "title", "category", "price", "image"} }

// ParseCSV reads a product manifest.
//
// The first row is the header. It must name the columns sku, title, category, price and image, in
// any order and any letter case; a style column is optional, and so is a group column (the item the
// picture draws, shared by its counterparts in other styles: Record.Group); other columns are ignored. A
// manifest whose header has no comma but semicolons (or tabs) is read with that separator, as
// spreadsheet programs in many locales write it. A leading UTF-8 byte-order mark is ignored.
//
// Each row becomes a Job: the image path is relative to the manifest's folder (absolute paths are
// kept); an empty title becomes the image's file name in words, an empty category DefaultCategory;
// a non-empty style is a label with LabelSource "csv". Blank rows are skipped silently.
//
// Prices are written with a dot for decimals and at most two decimals, optionally with a currency
// symbol ($ € £ ¥) before or after: "19.99", "19", "19.5", "$19.99", "19.99 €". Commas are refused
// ("19,99" and "1,299.00" are ambiguous), as are negative and empty prices.
//
// A row with a problem (bad price, empty SKU, a SKU already used by an earlier row, an image file
// that does not exist) is skipped and reported as a Failure whose Path is the manifest and whose
// Reason starts with "<file>.csv line N: ". The error is for a manifest that cannot be used at all;
// it wraps ErrBadManifest and names the file.
func ParseCSV(path string) ([]Job, []Failure, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &manifestError{fmt.Sprintf("cannot open the manifest %s: %s", path, openReason(err))}
	}
	defer f.Close() // read-only: a Close error cannot lose data

	br := bufio.NewReader(f)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	r.Comma = sniffSeparator(br)

	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, &manifestError{fmt.Sprintf("the manifest %s is empty — it needs a header row naming the columns %s", path, strings.Join(requiredColumns(), ", "))}
	}
	if err != nil {
		return nil, nil, &manifestError{fmt.Sprintf("cannot read the header row of the manifest %s: %v", path, err)}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if _, dup := col[h]; dup {
			return nil, nil, &manifestError{fmt.Sprintf("the manifest %s names the column %q twice — keep one of them", path, h)}
		}
		col[h] = i
	}
	var missing []string
	for _, c := range requiredColumns() {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		what := "column"
		if len(missing) > 1 {
			what = "columns"
		}
		return nil, nil, &manifestError{fmt.Sprintf("the manifest %s lacks the %s %s — its header row must name sku, title, category, price and image (style is optional)",
			path, what, strings.Join(missing, ", "))}
	}
	styleCol, hasStyle := col["style"]

	dir := filepath.Dir(path)
	var (
		jobs     []Job
		failures []Failure
		skuLine  = map[string]int{}
	)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			failures = append(failures, Failure{Path: path, Reason: fmt.Sprintf("%s line %d: this row cannot be read (%v) — check its quotes and commas", name, pe.StartLine, pe.Err)})
			continue
		}
		if err != nil {
			return jobs, failures, &manifestError{fmt.Sprintf("reading the manifest %s stopped: %v", path, err)}
		}
		line, _ := r.FieldPos(0)
		field := func(c string) string {
			i := col[c]
			if i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		if blank(rec) {
			continue
		}

		var problems []string
		job := Job{SKU: field("sku"), Title: field("title"), Category: field("category")}
		if job.SKU == "" {
			problems = append(problems, "the SKU is empty")
		} else if first, dup := skuLine[job.SKU]; dup {
			problems = append(problems, fmt.Sprintf("SKU %q is already used on line %d", job.SKU, first))
		}
		if cents, err := ParsePrice(field("price")); err != nil {
			problems = append(problems, err.Error())
		} else {
			job.PriceCents = cents
		}
		img := field("image")
		if img == "" {
			problems = append(problems, "the image column is empty")
		} else {
			job.Path = filepath.FromSlash(img)
			if !filepath.IsAbs(job.Path) {
				job.Path = filepath.Join(dir, job.Path)
			}
			if p := imageFileProblem(img, job.Path); p != "" {
				problems = append(problems, p)
			}
		}
		if _, ok := col["group"]; ok {
			job.Group = field("group")
		}
		if hasStyle && styleCol < len(rec) {
			if s := strings.TrimSpace(rec[styleCol]); s != "" {
				job.Style, job.LabelSource = s, LabelFromCSV
			}
		}
		if len(problems) > 0 {
			failures = append(failures, Failure{Path: path, Reason: fmt.Sprintf("%s line %d: %s — row skipped", name, line, strings.Join(problems, "; "))})
			continue
		}
		skuLine[job.SKU] = line
		if job.Title == "" {
			job.Title = Humanize(stem(job.Path))
		}
		if job.Category == "" {
			job.Category = DefaultCategory
		}
		jobs = append(jobs, job)
	}
	return jobs, failures, nil
}

// sniffSeparator picks ',' unless the header line has none but has ';' or a tab.
func sniffSeparator(br *bufio.Reader) rune {
	// Peek up to 4 KB (or the whole file when shorter) and look at the first line only.
	buf, _ := br.Peek(4096)
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i]
	}
	switch {
	case bytes.IndexByte(buf, ',') >= 0:
		return ','
	case bytes.IndexByte(buf, ';') >= 0:
		return ';'
	case bytes.IndexByte(buf, '\t') >= 0:
		return '\t'
	}
	return ','
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func imageFileProblem(written, full string) string {
	fi, err := os.Stat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("image file %q not found (looked for %s)", written, full)
	case err != nil:
		return fmt.Sprintf("image file %q %s", written, openReason(err))
	case fi.IsDir():
		return fmt.Sprintf("image %q is a folder, not a picture file", written)
	}
	return ""
}

func openReason(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "not found — it may have been moved, renamed or deleted"
	}
	return statReason(err)
}

// ParsePrice converts a manifest price to cents. See ParseCSV for the accepted forms.
func ParsePrice(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("the price is empty (write 0 for no price)")
	}
	for _, sym := range []string{"$", "€", "£", "¥"} {
		if t, ok := strings.CutPrefix(s, sym); ok {
			s = strings.TrimSpace(t)
			break
		}
		if t, ok := strings.CutSuffix(s, sym); ok {
			s = strings.TrimSpace(t)
			break
		}
	}
	bad := func(why string) (int64, error) {
		return 0, fmt.Errorf("price %q %s", orig, why)
	}
	if strings.HasPrefix(s, "-") {
		return bad("is negative")
	}
	if strings.Contains(s, ",") {
		return bad("has a comma — write prices with a dot for decimals and no thousands separator, like 1299.99")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return bad("is not a number (write it like 19.99)")
	}
	if !digits(whole) || !digits(frac) {
		return bad("is not a number (write it like 19.99)")
	}
	if len(frac) > 2 {
		return bad("has more than two decimals")
	}
	if len(strings.TrimLeft(whole, "0")) > 12 {
		return bad("is too large")
	}
	var cents int64
	for _, c := range whole {
		cents = cents*10 + int64(c-'0')
	}
	frac += "00"[:2-len(frac)]
	cents = cents*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	return cents, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
