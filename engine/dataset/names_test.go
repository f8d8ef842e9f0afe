package dataset

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// hostile are SKUs and style names that try to escape a folder or break a file system.
var hostile = []string{
	"../../etc/passwd", "..", ".", "", "/", "/abs/path", `a\b`, `..\..\win`, "a/../b", "C:evil", `C:\x`,
	"nul\x00byte", "ctl\x01\x1f\x7fchars", "tab\there", "line\nbreak", "\xff\xfe\xfd", "ok\xc3(bad",
	strings.Repeat("x", 500), strings.Repeat("é", 300), "   ", "...", ". .", " lead", "trail. ", ".hidden",
	"CON", "con.png", "Lpt1", "COM9.tar.gz", "a:b*c?d\"e<f>g|h", "\u202eevil\u200b", "東京", "Café-01",
}

func checkSafe(t *testing.T, in, name string) {
	t.Helper()
	switch {
	case name == "" || name == "." || name == "..":
		t.Errorf("SafeName(%q) = %q", in, name)
	case !utf8.ValidString(name):
		t.Errorf("SafeName(%q) = %q is not UTF-8", in, name)
	case len(name) > maxNameBytes:
		t.Errorf("SafeName(%q) is %d bytes", in, len(name))
	case strings.ContainsAny(name, `/\:*?"<>|~`) || strings.ContainsFunc(name, unicode.IsControl):
		t.Errorf("SafeName(%q) = %q has a forbidden character", in, name)
	case name[0] == '.' || name[0] == ' ' || strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		t.Errorf("SafeName(%q) = %q starts with a dot or space or ends with one", in, name)
	case !filepath.IsLocal(name) || filepath.Base(name) != name:
		t.Errorf("SafeName(%q) = %q is not a single local path element", in, name)
	case reservedOnWindows(name):
		t.Errorf("SafeName(%q) = %q is a Windows device name", in, name)
	}
}

func TestSafeNameHostile(t *testing.T) {
	for _, in := range hostile {
		checkSafe(t, in, SafeName(in))
	}
	// Random bytes, many times.
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		b := make([]byte, r.IntN(300))
		for j := range b {
			b[j] = byte(r.IntN(256))
		}
		checkSafe(t, string(b), SafeName(string(b)))
	}
}

func TestSafeNameKeepsReadableText(t *testing.T) {
	cases := map[string]string{
		"SKU-001":          "SKU-001",
		"Mid Century":      "Mid Century",
		"Café (2024)":      "Café (2024)",
		"東京":               "東京",
		"../../etc/passwd": "___.._etc_passwd",
		"..":               "_",
		"":                 "_",
		"a/b":              "a_b",
		`a\b`:              "a_b",
		"nul\x00byte":      "nul_byte",
		"\xff\xfe":         "__",
		".hidden":          "_hidden",
		"trail. ":          "trail",
		"CON":              "_CON",
		"con.png":          "_con.png",
		"CONSOLE":          "CONSOLE",
	}
	for in, want := range cases {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SafeName(strings.Repeat("é", 300)); got != strings.Repeat("é", 50) {
		t.Errorf("long name cut to %d bytes, not on a character boundary or not at 100: %q", len(got), got)
	}
}

func TestUniqueNames(t *testing.T) {
	raws := []string{"a/b", `a\b`, "a_b", "SKU1", "sku1", "plain", "plain"}
	got := uniqueNames(raws)
	if len(got) != 6 {
		t.Fatalf("%d names for 6 distinct inputs: %v", len(got), got)
	}
	if got["plain"] != "plain" {
		t.Errorf("a name without collision changed: %q", got["plain"])
	}
	seen := map[string]string{}
	for raw, n := range got {
		checkSafeUnique(t, raw, n)
		if other, dup := seen[strings.ToLower(n)]; dup {
			t.Errorf("%q and %q both named %q (ignoring case)", raw, other, n)
		}
		seen[strings.ToLower(n)] = raw
	}
	for _, raw := range []string{"a/b", `a\b`, "a_b", "SKU1", "sku1"} {
		if !strings.Contains(got[raw], "~") || !strings.HasPrefix(got[raw], SafeName(raw)+"~") {
			t.Errorf("colliding %q named %q, want %q plus a hash suffix", raw, got[raw], SafeName(raw))
		}
	}
	// The same names whatever the order.
	rev := []string{"plain", "sku1", "SKU1", "a_b", `a\b`, "a/b"}
	for raw, n := range uniqueNames(rev) {
		if got[raw] != n {
			t.Errorf("order changed the name of %q: %q vs %q", raw, n, got[raw])
		}
	}
	// Long names that agree on their first 100 bytes collide too.
	long1, long2 := strings.Repeat("y", 150)+"1", strings.Repeat("y", 150)+"2"
	l := uniqueNames([]string{long1, long2})
	if l[long1] == l[long2] || len(l[long1]) > maxNameBytes+9 {
		t.Errorf("long names: %q %q", l[long1], l[long2])
	}
}

func checkSafeUnique(t *testing.T, raw, n string) {
	t.Helper()
	base, _, _ := strings.Cut(n, "~")
	checkSafe(t, raw, base)
	if !filepath.IsLocal(n) || strings.ContainsAny(n, `/\`) {
		t.Errorf("%q → %q is not a local name", raw, n)
	}
}
