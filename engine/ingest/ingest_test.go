package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"stylestudio/engine/imaging"
	"stylestudio/internal/unprivileged"
)

// memSink is an in-memory Sink, safe for concurrent use.
type memSink struct {
	mu      sync.Mutex
	records []Record
	hashes  map[string]bool
	// onAdd, when set, runs at the start of AddRecord with the number of records added so far.
	onAdd func(n int)
}

func newMemSink() *memSink { return &memSink{hashes: map[string]bool{}} }

func (s *memSink) HasImage(ctx context.Context, hash string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hashes[hash], nil
}

func (s *memSink) AddRecord(ctx context.Context, r Record) (bool, error) {
	s.mu.Lock()
	n, hook := len(s.records), s.onAdd
	s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hashes[r.Image.Hash] {
		return false, nil
	}
	s.hashes[r.Image.Hash] = true
	s.records = append(s.records, r)
	return true, nil
}

// pattern makes a w x h picture that differs with seed.
func pattern(w, h, seed int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x*7 + seed), uint8(y*5 + seed*3), uint8(seed * 11), 255})
		}
	}
	return m
}

func write(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func encPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encGIF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func webpBytes(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("../imaging/testdata/alpha-lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// pngBomb is a PNG whose header (valid CRC) claims w x h pixels.
func pngBomb(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], 13)
	buf.Write(n[:])
	body := append([]byte("IHDR"), ihdr...)
	buf.Write(body)
	binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(body))
	buf.Write(n[:])
	return buf.Bytes()
}

func plan(t *testing.T, opts Options, paths ...string) ([]Job, []Failure) {
	t.Helper()
	jobs, failures, err := Plan(context.Background(), paths, opts)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return jobs, failures
}

func run(t *testing.T, sink Sink, jobs []Job, opts Options) Summary {
	t.Helper()
	sum, err := Run(context.Background(), sink, jobs, opts, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum
}

func hashOf(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func TestFolderImportRecursiveMixedFormats(t *testing.T) {
	root := t.TempDir()
	files := map[string][]byte{
		"dresses/red_summer-dress.png":    encPNG(t, pattern(40, 30, 1)),
		"dresses/long/blue-maxi.JPG":      encJPEG(t, pattern(30, 60, 2)),
		"shirts/plain_tee.gif":            encGIF(t, pattern(20, 20, 3)),
		"shirts/alpha.webp":               webpBytes(t),
		"shirts/.hidden.png":              encPNG(t, pattern(10, 10, 4)),
		"shirts/notes.txt":                []byte("not an image"),
		".thumbnails/cached.png":          encPNG(t, pattern(10, 10, 5)),
		"shirts/README":                   []byte("readme"),
		"dresses/long/deeper/tiny_x.jpeg": encJPEG(t, pattern(8, 8, 6)),
	}
	for name, data := range files {
		write(t, filepath.Join(root, name), data)
	}

	opts := Options{Workers: 2}
	jobs, failures := plan(t, opts, root)
	if len(failures) != 0 {
		t.Fatalf("failures: %v", failures)
	}
	var got []string
	for _, j := range jobs {
		rel, _ := filepath.Rel(root, j.Path)
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"dresses/long/blue-maxi.JPG", "dresses/long/deeper/tiny_x.jpeg", "dresses/red_summer-dress.png", "shirts/alpha.webp", "shirts/plain_tee.gif"}
	if !slices.Equal(got, want) {
		t.Fatalf("planned %v, want %v", got, want)
	}

	sink := newMemSink()
	sum := run(t, sink, jobs, opts)
	if sum.Imported != 5 || sum.Duplicates != 0 || len(sum.Failures) != 0 || sum.Total != 5 {
		t.Fatalf("summary %+v", sum)
	}
	byTitle := map[string]Record{}
	for i, r := range sink.records {
		if r.Image.Source != jobs[i].Path {
			t.Errorf("record %d is %s, want job order (%s)", i, r.Image.Source, jobs[i].Path)
		}
		byTitle[r.Title] = r
		data, _ := os.ReadFile(r.Image.Source)
		if !bytes.Equal(r.Image.Bytes, data) || r.Image.Hash != hashOf(data) {
			t.Errorf("%s: bytes or hash do not match the file", r.Image.Source)
		}
		if r.SKU != "IMG-"+r.Image.Hash[:12] {
			t.Errorf("%s: SKU %q", r.Image.Source, r.SKU)
		}
		thumb, err := png.Decode(bytes.NewReader(r.Thumb))
		if err != nil || thumb.Bounds() != image.Rect(0, 0, ThumbSize, ThumbSize) {
			t.Errorf("%s: thumbnail %v %v", r.Image.Source, err, thumb)
		}
		if r.Style != "" || r.LabelSource != "" {
			t.Errorf("%s: unexpected label %q/%q", r.Image.Source, r.Style, r.LabelSource)
		}
	}
	checks := []struct {
		title, category, format string
		w, h                    int
	}{
		{"Red Summer Dress", "Dresses", "png", 40, 30},
		{"Blue Maxi", "Long", "jpeg", 30, 60},
		{"Plain Tee", "Shirts", "gif", 20, 20},
		{"Alpha", "Shirts", "webp", 8, 6},
		{"Tiny X", "Deeper", "jpeg", 8, 8},
	}
	for _, c := range checks {
		r, ok := byTitle[c.title]
		if !ok {
			t.Errorf("no record titled %q", c.title)
			continue
		}
		if r.Category != c.category || r.Image.Format != c.format || r.Image.Width != c.w || r.Image.Height != c.h || r.PriceCents != 0 {
			t.Errorf("%q: category %q format %q %dx%d price %d", c.title, r.Category, r.Image.Format, r.Image.Width, r.Image.Height, r.PriceCents)
		}
	}
}

func TestLabelsFromFolders(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "boho", "a.png"), encPNG(t, pattern(10, 10, 1)))
	write(t, filepath.Join(root, "minimal", "sub", "b.png"), encPNG(t, pattern(10, 10, 2)))
	write(t, filepath.Join(root, "loose.png"), encPNG(t, pattern(10, 10, 3)))
	opts := Options{LabelsFromFolders: true}
	jobs, _ := plan(t, opts, root)
	sink := newMemSink()
	run(t, sink, jobs, opts)
	got := map[string][2]string{}
	for _, r := range sink.records {
		got[filepath.Base(r.Image.Source)] = [2]string{r.Style, r.LabelSource}
		if r.Category != "Imported" {
			t.Errorf("%s: category %q, want Imported", r.Image.Source, r.Category)
		}
	}
	want := map[string][2]string{"a.png": {"boho", "folder"}, "b.png": {"minimal", "folder"}, "loose.png": {"", ""}}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: style/source %v, want %v", k, got[k], v)
		}
	}
}

// With labels from folders and groups from names, the path below the style folder names the item the
// picture draws, so the same file name in two style folders is the same item drawn in two styles.
func TestLabelsFromFoldersGroupTheSameItem(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "boho", "ace.png"), encPNG(t, pattern(10, 10, 1)))
	write(t, filepath.Join(root, "minimal", "ace.png"), encPNG(t, pattern(10, 10, 2)))
	write(t, filepath.Join(root, "minimal", "cards", "king.svg.png"), encPNG(t, pattern(10, 10, 3)))
	write(t, filepath.Join(root, "loose.png"), encPNG(t, pattern(10, 10, 4)))
	opts := Options{LabelsFromFolders: true, GroupsFromNames: true}
	jobs, _ := plan(t, opts, root)
	sink := newMemSink()
	run(t, sink, jobs, opts)
	got := map[string]string{}
	for _, r := range sink.records {
		rel, _ := filepath.Rel(root, r.Image.Source)
		got[filepath.ToSlash(rel)] = r.Group
	}
	want := map[string]string{"boho/ace.png": "ace", "minimal/ace.png": "ace", "minimal/cards/king.svg.png": "cards/king.svg", "loose.png": ""}
	if !maps.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	// Without being asked (numbered files are usually different products), or without labels from
	// folders, nothing is known about counterparts.
	for _, o := range []Options{{LabelsFromFolders: true}, {GroupsFromNames: true}} {
		jobs, _ = plan(t, o, root)
		for _, j := range jobs {
			if j.Group != "" {
				t.Errorf("%+v: %s: group %q", o, j.Path, j.Group)
			}
		}
	}
}

func TestReimportIsAllDuplicates(t *testing.T) {
	root := t.TempDir()
	for i := range 6 {
		write(t, filepath.Join(root, "p", string(rune('a'+i))+".png"), encPNG(t, pattern(16, 16, i)))
	}
	// The same bytes under another name in the same import: the first in plan order wins.
	data, _ := os.ReadFile(filepath.Join(root, "p", "c.png"))
	write(t, filepath.Join(root, "q", "copy-of-c.png"), data)

	sink := newMemSink()
	jobs, _ := plan(t, Options{}, root)
	first := run(t, sink, jobs, Options{Workers: 3})
	if first.Imported != 6 || first.Duplicates != 1 || len(first.Failures) != 0 {
		t.Fatalf("first import %+v", first)
	}
	for _, r := range sink.records {
		if strings.Contains(r.Image.Source, "copy-of") {
			t.Errorf("the later copy was imported instead of the original")
		}
	}
	skus := map[string]bool{}
	for _, r := range sink.records {
		skus[r.SKU] = true
	}

	jobs, _ = plan(t, Options{}, root)
	again := run(t, sink, jobs, Options{Workers: 3})
	if again.Imported != 0 || again.Duplicates != 7 || len(again.Failures) != 0 {
		t.Fatalf("re-import %+v", again)
	}
	if len(sink.records) != 6 {
		t.Fatalf("sink has %d records", len(sink.records))
	}
	// Re-importing the same bytes with a fresh sink maps to the same SKUs.
	fresh := newMemSink()
	run(t, fresh, jobs, Options{})
	for _, r := range fresh.records {
		if !skus[r.SKU] {
			t.Errorf("SKU %s is new on re-import", r.SKU)
		}
	}
}

func TestBadFilesAreReportedOthersImport(t *testing.T) {
	root := t.TempDir()
	good := encPNG(t, pattern(32, 32, 9))
	write(t, filepath.Join(root, "good.png"), good)
	write(t, filepath.Join(root, "good2.jpg"), encJPEG(t, pattern(32, 32, 10)))
	write(t, filepath.Join(root, "corrupt.png"), good[:len(good)/2])
	write(t, filepath.Join(root, "notes.png"), []byte("sku,title\nthis is a text file\n"))
	write(t, filepath.Join(root, "bomb.png"), pngBomb(50000, 50000))
	write(t, filepath.Join(root, "photo.heic.jpg"), []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"))
	// A sparse 2 GB file: Plan must refuse it from its size alone.
	huge, err := os.Create(filepath.Join(root, "huge.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := huge.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	}
	if err := huge.Close(); err != nil {
		t.Fatal(err)
	}

	jobs, failures := plan(t, Options{}, root)
	for _, f := range failures {
		t.Logf("%s: %s", filepath.Base(f.Path), f.Reason)
	}
	if len(failures) != 1 || filepath.Base(failures[0].Path) != "huge.png" || !strings.Contains(failures[0].Reason, "2.0 GB") || !strings.Contains(failures[0].Reason, "limit is "+ByteWords(imaging.DefaultMaxFileBytes)) {
		t.Fatalf("plan failures %+v", failures)
	}
	sink := newMemSink()
	sum := run(t, sink, jobs, Options{})
	if sum.Imported != 2 || len(sum.Failures) != 4 {
		t.Fatalf("summary %+v", sum)
	}
	want := map[string]string{
		"corrupt.png":    "cut short",
		"notes.png":      "not a picture",
		"bomb.png":       "50000x50000 pixels (2.5 gigapixels); the limit is ",
		"photo.heic.jpg": "HEIC",
	}
	for _, f := range sum.Failures {
		t.Logf("%s: %s", filepath.Base(f.Path), f.Reason)
		frag, ok := want[filepath.Base(f.Path)]
		if !ok {
			t.Errorf("unexpected failure %+v", f)
			continue
		}
		if !filepath.IsAbs(f.Path) || !strings.Contains(f.Reason, frag) {
			t.Errorf("failure %+v; want the full path and a reason with %q", f, frag)
		}
	}

	// Run enforces the size limit itself for jobs that did not come from Plan.
	sum = run(t, newMemSink(), []Job{{Path: filepath.Join(root, "good.png")}}, Options{MaxFileBytes: 100})
	if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Reason, "limit is 100 bytes") {
		t.Errorf("small MaxFileBytes: %+v", sum)
	}
	sum = run(t, newMemSink(), []Job{{Path: filepath.Join(root, "good.png")}}, Options{MaxPixels: 100})
	if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Reason, "32x32") {
		t.Errorf("small MaxPixels: %+v", sum)
	}
	sum = run(t, newMemSink(), []Job{{Path: filepath.Join(root, "gone.png")}}, Options{})
	if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Reason, "not found") {
		t.Errorf("missing file: %+v", sum)
	}
}

func TestUnreadableFolderIsAFailureWalkGoesOn(t *testing.T) {
	// Root reads a chmod 000 folder anyway: as root the test runs as nobody.
	if unprivileged.Nobody(t) {
		return
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "ok", "a.png"), encPNG(t, pattern(8, 8, 1)))
	locked := filepath.Join(root, "locked")
	write(t, filepath.Join(locked, "b.png"), encPNG(t, pattern(8, 8, 2)))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
	jobs, failures := plan(t, Options{}, root)
	if len(jobs) != 1 || filepath.Base(jobs[0].Path) != "a.png" {
		t.Errorf("jobs %+v", jobs)
	}
	if len(failures) != 1 || failures[0].Path != locked || !strings.Contains(failures[0].Reason, "permission denied") {
		t.Errorf("failures %+v", failures)
	}
}

func TestSymlinkLoopTerminates(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a", "x.png"), encPNG(t, pattern(8, 8, 1)))
	links := map[string]string{
		filepath.Join(root, "a", "up"):         root,                              // loop to an ancestor
		filepath.Join(root, "a", "self"):       ".",                               // loop to itself
		filepath.Join(root, "b"):               filepath.Join(root, "a"),          // second way to a
		filepath.Join(root, "a", "y-link.png"): filepath.Join(root, "a", "x.png"), // same file twice
		filepath.Join(root, "dangling.png"):    filepath.Join(root, "nowhere.png"),
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Skipf("symlinks not available: %v", err)
		}
	}
	jobs, failures := plan(t, Options{}, root)
	if len(jobs) != 1 || jobs[0].Path != filepath.Join(root, "a", "x.png") {
		t.Errorf("jobs %+v, want only a/x.png", jobs)
	}
	if len(failures) != 1 || filepath.Base(failures[0].Path) != "dangling.png" {
		t.Errorf("failures %+v, want the dangling link", failures)
	}
}

func TestPlanExplicitFilesAndMissingPaths(t *testing.T) {
	root := t.TempDir()
	f := write(t, filepath.Join(root, "My Photo.PNG"), encPNG(t, pattern(8, 8, 1)))
	jobs, failures := plan(t, Options{}, f, filepath.Join(root, "missing"))
	if len(jobs) != 1 || jobs[0].Title != "My Photo" {
		t.Errorf("jobs %+v", jobs)
	}
	if len(failures) != 1 || !strings.Contains(failures[0].Reason, "not found") {
		t.Errorf("failures %+v", failures)
	}
}

func TestCSVMissingColumns(t *testing.T) {
	dir := t.TempDir()
	path := write(t, filepath.Join(dir, "products.csv"), []byte("SKU,Title,Category\nA1,Dress,Dresses\n"))
	_, _, err := ParseCSV(path)
	if !errors.Is(err, ErrBadManifest) {
		t.Fatalf("err = %v, want ErrBadManifest", err)
	}
	for _, want := range []string{path, "columns price, image"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// Plan passes the manifest error through.
	if _, _, err := Plan(context.Background(), nil, Options{CSVPath: path}); !errors.Is(err, ErrBadManifest) {
		t.Errorf("Plan err = %v", err)
	}
	empty := write(t, filepath.Join(dir, "empty.csv"), nil)
	if _, _, err := ParseCSV(empty); !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty manifest: %v", err)
	}
	if _, _, err := ParseCSV(filepath.Join(dir, "nope.csv")); !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), "nope.csv") {
		t.Errorf("missing manifest: %v", err)
	}
}

func TestCSVRowsAndImport(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "img", "a.png"), encPNG(t, pattern(20, 10, 1)))
	write(t, filepath.Join(dir, "img", "b.jpg"), encJPEG(t, pattern(20, 10, 2)))
	write(t, filepath.Join(dir, "img", "c.png"), encPNG(t, pattern(20, 10, 3)))
	write(t, filepath.Join(dir, "img", "d.png"), encPNG(t, pattern(20, 10, 4)))
	manifest := "\ufeffImage, Price ,sku,TITLE,category,Style,notes\n" +
		"img/a.png,19.99,A1,Summer Dress,Dresses,boho,x\n" + // line 2 ok
		"img/b.jpg,abc,B1,Shirt,Shirts,,\n" + // line 3 bad price
		"img/c.png,-5,C1,Coat,Coats,,\n" + // line 4 negative
		"img/d.png,$7,A1,Again,Dresses,,\n" + // line 5 duplicate SKU
		"img/missing.png,3,E1,Gone,Misc,,\n" + // line 6 missing image
		",,,,,,\n" + // line 7 blank, skipped silently
		"img/c.png,\"1,299.00\",F1,Comma,Misc,,\n" + // line 8 comma
		"img/d.png,5,,No SKU,Misc,,\n" + // line 9 empty SKU
		"img/b.jpg,€ 12.5,G1,,,minimal,\n" // line 10 ok, defaults
	path := write(t, filepath.Join(dir, "products.csv"), []byte(manifest))

	jobs, failures, err := ParseCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	wantFail := []string{
		`products.csv line 3: price "abc" is not a number`,
		`products.csv line 4: price "-5" is negative`,
		`products.csv line 5: SKU "A1" is already used on line 2`,
		`products.csv line 6: image file "img/missing.png" not found`,
		`products.csv line 8: price "1,299.00" has a comma`,
		`products.csv line 9: the SKU is empty`,
	}
	if len(failures) != len(wantFail) {
		t.Fatalf("failures %+v", failures)
	}
	for i, f := range failures {
		t.Log(f.Reason)
		if f.Path != path || !strings.HasPrefix(f.Reason, wantFail[i]) {
			t.Errorf("failure %d = %+v, want prefix %q", i, f, wantFail[i])
		}
	}
	want := []Job{
		{Path: filepath.Join(dir, "img", "a.png"), SKU: "A1", Title: "Summer Dress", Category: "Dresses", PriceCents: 1999, Style: "boho", LabelSource: "csv"},
		{Path: filepath.Join(dir, "img", "b.jpg"), SKU: "G1", Title: "B", Category: "Imported", PriceCents: 1250, Style: "minimal", LabelSource: "csv"},
	}
	if !slices.Equal(jobs, want) {
		t.Fatalf("jobs\n got %+v\nwant %+v", jobs, want)
	}

	pjobs, pfail, err := Plan(context.Background(), nil, Options{CSVPath: path})
	if err != nil || !slices.Equal(pjobs, want) || len(pfail) != len(wantFail) {
		t.Fatalf("Plan with CSV: %v %+v %+v", err, pjobs, pfail)
	}
	sink := newMemSink()
	run(t, sink, pjobs, Options{})
	if len(sink.records) != 2 || sink.records[0].SKU != "A1" || sink.records[0].PriceCents != 1999 || sink.records[0].Style != "boho" || sink.records[0].LabelSource != "csv" {
		t.Errorf("records %+v", sink.records)
	}
}

// A CSV's optional group column names the item each picture draws.
func TestCSVGroupColumn(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.png"), encPNG(t, pattern(20, 10, 1)))
	write(t, filepath.Join(dir, "b.png"), encPNG(t, pattern(20, 10, 2)))
	path := write(t, filepath.Join(dir, "products.csv"), []byte("sku,title,category,price,image,style,Group\n"+
		"A1,Ace,Cards,1,a.png,boho, ace of spades \n"+
		"B1,Ace,Cards,1,b.png,minimal,\n"))
	jobs, failures, err := ParseCSV(path)
	if err != nil || len(failures) != 0 {
		t.Fatal(err, failures)
	}
	if len(jobs) != 2 || jobs[0].Group != "ace of spades" || jobs[1].Group != "" {
		t.Fatalf("jobs %+v", jobs)
	}
	sink := newMemSink()
	run(t, sink, jobs, Options{})
	if len(sink.records) != 2 || sink.records[0].Group != "ace of spades" {
		t.Errorf("records %+v", sink.records)
	}
}

func TestCSVSemicolons(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.png"), encPNG(t, pattern(8, 8, 1)))
	path := write(t, filepath.Join(dir, "m.csv"), []byte("sku;title;category;price;image\nS1;T;C;4.5;a.png\n"))
	jobs, failures, err := ParseCSV(path)
	if err != nil || len(failures) != 0 || len(jobs) != 1 || jobs[0].PriceCents != 450 {
		t.Fatalf("%v %+v %+v", err, failures, jobs)
	}
}

func TestParsePrice(t *testing.T) {
	ok := map[string]int64{"19.99": 1999, "19": 1900, "19.9": 1990, "$19.99": 1999, "19.99 €": 1999, "£0.5": 50, "0": 0, ".5": 50, "7.": 700, " 12.00 ": 1200}
	for in, want := range ok {
		got, err := ParsePrice(in)
		if err != nil || got != want {
			t.Errorf("ParsePrice(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"abc", "-1", "19,99", "1,299.00", "1.999", "", "$", ".", "1e3", "12.3.4", "9999999999999"} {
		if _, err := ParsePrice(in); err == nil {
			t.Errorf("ParsePrice(%q) accepted", in)
		}
	}
}

func TestCancelMidRunStopsPromptly(t *testing.T) {
	root := t.TempDir()
	var jobs []Job
	for i := range 300 {
		p := write(t, filepath.Join(root, "f", "img"+strings.Repeat("x", i%7)+string(rune('A'+i%26))+hex.EncodeToString([]byte{byte(i), byte(i >> 8)})+".png"), encPNG(t, pattern(24, 24, i)))
		jobs = append(jobs, Job{Path: p})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := newMemSink()
	sink.onAdd = func(n int) {
		if n == 5 {
			cancel()
		}
	}
	var last Progress
	sum, err := Run(ctx, sink, jobs, Options{Workers: 2}, func(p Progress) { last = p })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// At most the jobs already in flight (2 per worker) finish after the cancel.
	if sum.Imported != 5 || sum.Total != 300 || last.Done > 10 || last.Done != sum.Imported+sum.Duplicates+len(sum.Failures) {
		t.Errorf("summary %+v, last progress %+v", sum, last)
	}

	// Already cancelled: nothing is done.
	sum, err = Run(ctx, newMemSink(), jobs, Options{}, nil)
	if !errors.Is(err, context.Canceled) || sum.Imported != 0 {
		t.Errorf("pre-cancelled: %+v %v", sum, err)
	}
}

func TestProgressEndsWithDoneEqualTotal(t *testing.T) {
	root := t.TempDir()
	for i := range 40 {
		write(t, filepath.Join(root, hex.EncodeToString([]byte{byte(i)})+".png"), encPNG(t, pattern(24, 24, i)))
	}
	write(t, filepath.Join(root, "zz-broken.png"), []byte("nope"))
	jobs, _ := plan(t, Options{}, root)
	var calls []Progress
	sum, err := Run(context.Background(), newMemSink(), jobs, Options{}, func(p Progress) { calls = append(calls, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 {
		t.Fatal("no progress")
	}
	last := calls[len(calls)-1]
	if last.Done != last.Total || last.Total != 41 || last.Imported != 40 || last.Failed != 1 || sum.Imported != 40 {
		t.Errorf("last progress %+v, summary %+v", last, sum)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Done < calls[i-1].Done {
			t.Errorf("progress went backwards: %+v then %+v", calls[i-1], calls[i])
		}
	}
	// Empty runs still report once.
	calls = nil
	if _, err := Run(context.Background(), newMemSink(), nil, Options{}, func(p Progress) { calls = append(calls, p) }); err != nil || len(calls) == 0 || calls[len(calls)-1] != (Progress{}) {
		t.Errorf("empty run: %v %+v", err, calls)
	}
}

func TestRecordFromImage(t *testing.T) {
	img := pattern(64, 32, 5)
	rec, err := RecordFromImage(img, Job{SKU: "DEMO-1", Title: "Demo Dress", Category: "Dresses", PriceCents: 4999, Style: "boho", LabelSource: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Image.Hash != hashOf(rec.Image.Bytes) || rec.Image.Format != "png" || rec.Image.Width != 64 || rec.Image.Height != 32 || rec.Image.Source != "demo:DEMO-1" {
		t.Errorf("image %+v", rec.Image)
	}
	back, err := png.Decode(bytes.NewReader(rec.Image.Bytes))
	if err != nil || back.Bounds() != img.Bounds() {
		t.Errorf("stored bytes: %v", err)
	}
	thumb, err := png.Decode(bytes.NewReader(rec.Thumb))
	if err != nil || thumb.Bounds().Dx() != ThumbSize || thumb.Bounds().Dy() != ThumbSize {
		t.Errorf("thumb: %v", err)
	}
	if rec.SKU != "DEMO-1" || rec.Title != "Demo Dress" || rec.PriceCents != 4999 || rec.Style != "boho" || rec.LabelSource != "demo" {
		t.Errorf("record %+v", rec)
	}
	anon, err := RecordFromImage(img, Job{})
	if err != nil || anon.SKU != "IMG-"+anon.Image.Hash[:12] || anon.Title != anon.SKU || anon.Category != "Imported" {
		t.Errorf("defaults: %v %+v", err, anon)
	}
}

func TestHumanize(t *testing.T) {
	cases := map[string]string{
		"blue_summer-dress": "Blue Summer Dress",
		"IMG_0042":          "IMG 0042",
		"  spaced   out ":   "Spaced Out",
		"élan-vital":        "Élan Vital",
		"":                  "",
	}
	for in, want := range cases {
		if got := Humanize(in); got != want {
			t.Errorf("Humanize(%q) = %q, want %q", in, got, want)
		}
	}
}
