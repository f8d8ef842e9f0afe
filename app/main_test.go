package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"stylestudio/store"
	"testing"

	"stylestudio/engine/ingest"
)

// runCLI runs the binary's entry point in-process and returns its exit code and streams.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDemoThenCatalogJSON(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib); code != 0 {
		t.Fatalf("demo exited %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "catalog", "--library", lib, "--json")
	if code != 0 {
		t.Fatalf("catalog exited %d: %s", code, stderr)
	}
	var got struct {
		Products  int `json:"products"`
		Images    int `json:"images"`
		Unlabeled int `json:"unlabeled"`
		Styles    []struct {
			Name    string `json:"name"`
			Labeled int    `json:"labeled"`
		} `json:"styles"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("catalog --json is not JSON: %v\n%s", err, stdout)
	}
	if got.Products != 400 || got.Images != 400 {
		t.Fatalf("want 400 products and images, got %+v", got)
	}
	if len(got.Styles) < 5 {
		t.Fatalf("want at least 5 styles, got %d", len(got.Styles))
	}
	labeled := 0
	for _, s := range got.Styles {
		if s.Labeled == 0 {
			t.Errorf("style %q has no labels", s.Name)
		}
		labeled += s.Labeled
	}
	if labeled+got.Unlabeled != got.Products {
		t.Errorf("labeled %d + unlabeled %d != products %d", labeled, got.Unlabeled, got.Products)
	}
	if frac := float64(labeled) / float64(got.Products); frac < 0.55 || frac > 0.65 {
		t.Errorf("labeled fraction %.2f, want about 0.6", frac)
	}

	// Seeding again is a no-op.
	if code, _, stderr := runCLI(t, "demo", "--library", lib); code != 0 {
		t.Fatalf("second demo exited %d: %s", code, stderr)
	}
	_, stdout2, _ := runCLI(t, "catalog", "--library", lib, "--json")
	if stdout2 != stdout {
		t.Errorf("second demo changed the catalog:\n%s\nvs\n%s", stdout, stdout2)
	}
}

func TestImportReportsFailuresAndImportsTheRest(t *testing.T) {
	lib, src := t.TempDir(), t.TempDir()
	// Two good images from the demo library, one file that only pretends to be an image.
	demoLib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", demoLib, "--products", "2"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	var n int
	filepath.Walk(filepath.Join(demoLib, "objects"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			n++
			os.WriteFile(filepath.Join(src, "good"+string(rune('0'+n))+".png"), data, 0o644)
		}
		return nil
	})
	os.WriteFile(filepath.Join(src, "fake.png"), []byte("this is not a picture"), 0o644)

	code, stdout, stderr := runCLI(t, "import", "--library", lib, "--json", src)
	if code != 1 {
		t.Fatalf("import with one bad file should exit 1, got %d (stderr %s)", code, stderr)
	}
	var sum importJSON
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("import --json: %v\n%s", err, stdout)
	}
	if sum.Imported != 2 || sum.Failed != 1 || !strings.Contains(sum.Failures[0].Path, "fake.png") {
		t.Fatalf("unexpected summary %+v", sum)
	}
	if !strings.Contains(stderr, "fake.png") {
		t.Errorf("stderr should name the bad file: %s", stderr)
	}
	// Re-importing the same bytes is a no-op.
	_, stdout, _ = runCLI(t, "import", "--library", lib, "--json", src)
	json.Unmarshal([]byte(stdout), &sum)
	if sum.Imported != 0 || sum.Duplicates != 2 {
		t.Fatalf("re-import should find 2 duplicates, got %+v", sum)
	}
}

// A folder imported without labels, then imported again with --labels-from-folders: the products that
// have no label take their folder's style; one a person labeled keeps its label.
func TestReimportWithFolderLabelsLabelsTheUnlabeled(t *testing.T) {
	lib, src := t.TempDir(), t.TempDir()
	demoLib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", demoLib, "--products", "3"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	if err := os.MkdirAll(filepath.Join(src, "retro"), 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	var first []byte
	filepath.Walk(filepath.Join(demoLib, "objects"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			if first == nil {
				first = data
			}
			n++
			os.WriteFile(filepath.Join(src, "retro", fmt.Sprintf("item%d.png", n)), data, 0o644)
		}
		return nil
	})
	if code, _, stderr := runCLI(t, "import", "--library", lib, src); code != 0 {
		t.Fatalf("first import: %s", stderr)
	}
	// A person labels one product with a style of their own.
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "add", "mine"); code != 0 {
		t.Fatalf("styles add: %s", stderr)
	}
	labels := filepath.Join(t.TempDir(), "labels.csv")
	os.WriteFile(labels, []byte("sku,style\n"+ingest.DefaultSKU(fmt.Sprintf("%x", sha256.Sum256(first)))+",mine\n"), 0o644)
	if code, _, stderr := runCLI(t, "label", "--library", lib, "--csv", labels); code != 0 {
		t.Fatalf("label: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "import", "--library", lib, "--labels-from-folders", "--json", src)
	if code != 0 {
		t.Fatalf("re-import with folder labels exited %d: %s", code, stderr)
	}
	var sum importJSON
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("import --json: %v\n%s", err, stdout)
	}
	if sum.Imported != 0 || sum.Duplicates != n || sum.LabeledExisting != n-1 {
		t.Fatalf("re-import with folder labels: %+v, want %d duplicates, %d of them labeled", sum, n, n-1)
	}
	_, stdout, _ = runCLI(t, "styles", "list", "--library", lib, "--json")
	var list stylesListJSON
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("styles list --json: %v\n%s", err, stdout)
	}
	if got := fmt.Sprint(list.Styles); got != fmt.Sprintf("[{mine 1 1 %s} {retro 2 %d %s}]", list.Styles[0].Color, n-1, list.Styles[len(list.Styles)-1].Color) {
		t.Errorf("styles after the re-import: %s; want mine 1 (the person's label kept) and retro %d", got, n-1)
	}
}

func TestUnknownCommandAndHelp(t *testing.T) {
	if code, _, stderr := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: code %d, stderr %q", code, stderr)
	}
	for _, cmd := range []string{"demo", "import", "catalog", "screenshot"} {
		code, _, stderr := runCLI(t, cmd, "--help")
		if code != 0 || !strings.Contains(stderr, "Usage: stylestudio "+cmd) {
			t.Errorf("%s --help: code %d, output %q", cmd, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "import", "--library", t.TempDir()); code == 0 || !strings.Contains(stderr, "nothing to import") {
		t.Errorf("import without paths: code %d, stderr %q", code, stderr)
	}
}

func TestScreenshotRendersCatalog(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "30"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	out := filepath.Join(t.TempDir(), "catalog.png")
	if code, _, stderr := runCLI(t, "screenshot", "--library", lib, "--screen", "catalog", "--out", out, "--size", "1024x700"); code != 0 {
		t.Fatalf("screenshot exited %d: %s", code, stderr)
	}
	img := readPNG(t, out)
	if b := img.Bounds(); b.Dx() != 1024 || b.Dy() != 700 {
		t.Fatalf("screenshot is %v, want 1024x700", b)
	}
	// A rendered catalog shows product thumbnails: many distinct colours, unlike an empty frame.
	colours := map[[3]uint32]bool{}
	for y := 0; y < 700; y += 2 {
		for x := 0; x < 1024; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
		}
	}
	if len(colours) < 500 {
		t.Fatalf("screenshot has only %d colours: thumbnails did not render", len(colours))
	}
}

// A usage error of our own (not flag's) is explained, not just an exit status 2.
func TestUsageErrorsSayWhatIsMissing(t *testing.T) {
	lib := emptyLibrary(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--library", lib}, "stylestudio train: --run NAME is required (see stylestudio train --help)"},
		{[]string{"stylize", "--library", lib, "--run", "r"}, "--run, --style and --out are required"},
		{[]string{"runs", "--library", lib, "frobnicate"}, "runs takes list, rename OLD NEW"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// Flags after the runs verb work too.
	if code, stdout, stderr := runCLI(t, "runs", "list", "--library", lib, "--json"); code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("runs list --library DIR --json: exit %d, %q, %q", code, stdout, stderr)
	}
}

// A stray word among the flags is refused (exit 2), and flags after a positional argument are read:
// Go's flag package stopped at the first non-flag, so `catalog extra --library L` read the default
// library and `runs rename A B --library L` refused flags the README allows after the verb.
func TestFlagsAnywhereAndStrayArgumentsRefused(t *testing.T) {
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "12"); code != 0 {
		t.Fatalf("demo exited %d: %s", code, stderr)
	}
	for _, args := range [][]string{
		{"catalog", "extra", "--library", lib},
		{"demo", "junk", "--products", "5", "--library", lib},
		{"suggest", "junk", "--n", "1", "--library", lib},
		{"simulate", "--library", lib, "--policy", "random,", "popular", "--users", "5", "--steps", "2", "--json"},
		{"train", "--library", lib, "--run", "x", "oops", "--steps", "5"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, "unexpected argument") {
			t.Errorf("%v: exit %d, want 2 with 'unexpected argument':\n%s%s", args, code, stdout, stderr)
		}
	}
	// Flags after the positional arguments are read, not taken for paths.
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "import", dir, "--library", lib, "--json")
	if code == 2 || !strings.HasPrefix(strings.TrimSpace(stdout), "{") || strings.Contains(stdout+stderr, "--library") {
		t.Errorf("import DIR --library L --json: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "styles", "add", "retro", "--library", lib); code != 0 {
		t.Errorf("styles add NAME --library L: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runCLI(t, "styles", "list", "--library", lib, "--json"); code != 0 || !strings.Contains(stdout, `"retro"`) {
		t.Errorf("styles list --library L --json: exit %d: %s%s", code, stdout, stderr)
	}
}

// emptyLibrary makes a library with nothing in it (a catalog.db and no products).
func emptyLibrary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A command that reads a library refuses a folder that is not one, saying how to make one: a mistyped
// path made an empty library there and reported zeros from it.
func TestReadingCommandsRefuseAFolderThatIsNoLibrary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{
		{"catalog", "--library", dir},
		{"runs", "--library", dir, "--json"},
		{"suggest", "--library", dir},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, "is not a Style Studio library") || !strings.Contains(stderr, "stylestudio demo --library") {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading a library that is not there made %s (%v)", dir, err)
	}
}

// A command an error suggests carries the --library the failed command was given: copied as printed,
// it acted on the default library.
func TestHintsNameTheLibrary(t *testing.T) {
	lib := emptyLibrary(t)
	code, _, stderr := runCLI(t, "eval", "--run", "nosuch", "--library", lib)
	if code != 1 || !strings.Contains(stderr, "`stylestudio runs --library "+lib+"`") {
		t.Errorf("eval of a missing run: exit %d, %q", code, stderr)
	}
	if got := withLibrary("use `stylestudio runs --help` or `stylestudio x --library B`", "/a b"); got != "use `stylestudio runs --help` or `stylestudio x --library B`" {
		t.Errorf("withLibrary changed commands that need nothing: %q", got)
	}
	if got := withLibrary("try `stylestudio demo`", "/my lib"); got != "try `stylestudio demo --library '/my lib'`" {
		t.Errorf("withLibrary quoted a path with a space as %q", got)
	}
}
