package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// demoLib seeds a small demo library (40 products, 6 styles, about 60% labeled) in a temp folder.
func demoLib(t *testing.T) string {
	t.Helper()
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", "40"); code != 0 {
		t.Fatalf("demo exited %d: %s", code, stderr)
	}
	return lib
}

type listedStyle struct {
	Name    string `json:"name"`
	Key     string `json:"key"`
	Labeled int    `json:"labeled"`
	Color   string `json:"color"`
}

// listStyles runs `styles list --json` (flags before the verb) and decodes it strictly.
func listStyles(t *testing.T, lib string) []listedStyle {
	t.Helper()
	code, stdout, stderr := runCLI(t, "styles", "--library", lib, "--json", "list")
	if code != 0 {
		t.Fatalf("styles list exited %d: %s", code, stderr)
	}
	var got struct {
		Styles []listedStyle `json:"styles"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("styles list --json: %v\n%s", err, stdout)
	}
	if got.Styles == nil {
		t.Fatalf("styles list --json has no styles array:\n%s", stdout)
	}
	return got.Styles
}

// catalogCounts returns `catalog --json`'s labeled count per style and the unlabeled count.
func catalogCounts(t *testing.T, lib string) (map[string]int, int) {
	t.Helper()
	code, stdout, stderr := runCLI(t, "catalog", "--library", lib, "--json")
	if code != 0 {
		t.Fatalf("catalog exited %d: %s", code, stderr)
	}
	var cat catalogJSON
	if err := json.Unmarshal([]byte(stdout), &cat); err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, s := range cat.Styles {
		m[s.Name] = s.Labeled
	}
	return m, cat.Unlabeled
}

func styleNamesOf(styles []listedStyle) []string {
	var out []string
	for _, s := range styles {
		out = append(out, s.Name)
	}
	return out
}

func findListed(t *testing.T, styles []listedStyle, name string) listedStyle {
	t.Helper()
	for _, s := range styles {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("style %q not listed in %v", name, styleNamesOf(styles))
	return listedStyle{}
}

func TestStylesListMatchesCatalog(t *testing.T) {
	lib := demoLib(t)
	styles := listStyles(t, lib)
	if len(styles) != 6 {
		t.Fatalf("want the 6 demo styles, got %d: %+v", len(styles), styles)
	}
	counts, _ := catalogCounts(t, lib)
	keys := map[string]bool{}
	for _, s := range styles {
		if s.Labeled != counts[s.Name] || s.Labeled == 0 {
			t.Errorf("style %q: list says %d labeled, catalog %d", s.Name, s.Labeled, counts[s.Name])
		}
		if s.Key == "" || keys[s.Key] {
			t.Errorf("style %q: key %q missing or repeated", s.Name, s.Key)
		}
		keys[s.Key] = true
		if len(s.Color) != 7 || s.Color[0] != '#' {
			t.Errorf("style %q: colour %q is not #rrggbb", s.Name, s.Color)
		}
	}
	// The same list with the flags after the verb, and as a table.
	code, stdout, stderr := runCLI(t, "styles", "list", "--library", lib, "--json")
	if code != 0 {
		t.Fatalf("styles list with flags after the verb exited %d: %s", code, stderr)
	}
	var again stylesListJSON
	if err := json.Unmarshal([]byte(stdout), &again); err != nil || len(again.Styles) != 6 || again.Styles[0].Name != styles[0].Name {
		t.Fatalf("flags after the verb: %v\n%s", err, stdout)
	}
	code, stdout, _ = runCLI(t, "styles", "list", "--library", lib)
	if code != 0 || !strings.Contains(stdout, "KEY") || !strings.Contains(stdout, styles[0].Name) || !strings.Contains(stdout, styles[0].Color) {
		t.Errorf("styles list table: code %d\n%s", code, stdout)
	}
}

func TestStylesEditVerbs(t *testing.T) {
	lib := demoLib(t)
	before := listStyles(t, lib)
	first, second := before[0], before[1]

	// add: at the end, labeled 0, with a free key and a palette colour.
	code, stdout, stderr := runCLI(t, "styles", "add", "Retro Wave", "--library", lib, "--json")
	if code != 0 {
		t.Fatalf("add exited %d: %s", code, stderr)
	}
	var added struct {
		OK   bool   `json:"ok"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(stdout), &added); err != nil || !added.OK || added.Name != "Retro Wave" {
		t.Fatalf("add --json: %v %s", err, stdout)
	}
	styles := listStyles(t, lib)
	if len(styles) != 7 || styles[6].Name != "Retro Wave" || styles[6].Labeled != 0 {
		t.Fatalf("after add: %+v", styles)
	}
	// Adding it again (any case) is refused.
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "add", "retro wave"); code != 1 || !strings.Contains(stderr, "stylestudio styles:") {
		t.Errorf("duplicate add: code %d, stderr %q", code, stderr)
	}

	// rename (case-insensitive lookup): labels follow.
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "rename", strings.ToUpper(first.Name), "Quiet"); code != 0 {
		t.Fatalf("rename exited %d: %s", code, stderr)
	}
	styles = listStyles(t, lib)
	if styles[0].Name != "Quiet" || styles[0].Labeled != first.Labeled || styles[0].Key != first.Key {
		t.Fatalf("after rename: %+v (was %+v)", styles[0], first)
	}

	// recolor, with and without the # (the shell eats an unquoted one).
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "recolor", "Quiet", "#A1B2C3"); code != 0 {
		t.Fatalf("recolor exited %d: %s", code, stderr)
	}
	if got := findListed(t, listStyles(t, lib), "Quiet").Color; got != "#a1b2c3" {
		t.Errorf("after recolor: colour %q", got)
	}
	if code, _, _ := runCLI(t, "styles", "--library", lib, "recolor", "Quiet", "00ff00"); code != 0 {
		t.Errorf("recolor without #: code %d", code)
	}
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "recolor", "Quiet", "red"); code != 1 || !strings.Contains(stderr, "#rrggbb") {
		t.Errorf("bad colour: code %d, stderr %q", code, stderr)
	}

	// key: set, refuse one taken, clear.
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "key", "Retro Wave", "r"); code != 0 {
		t.Fatalf("key exited %d: %s", code, stderr)
	}
	if got := findListed(t, listStyles(t, lib), "Retro Wave").Key; got != "r" {
		t.Errorf("after key: %q", got)
	}
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "key", "Quiet", "r"); code != 1 || !strings.Contains(stderr, "Retro Wave") {
		t.Errorf("taken key: code %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "styles", "--library", lib, "key", "Retro Wave", "none"); code != 0 {
		t.Errorf("clear key: code %d", code)
	}
	if got := findListed(t, listStyles(t, lib), "Retro Wave").Key; got != "" {
		t.Errorf("after clearing the key: %q", got)
	}

	// reorder: the named styles first, the rest in their order.
	code, stdout, stderr = runCLI(t, "styles", "--library", lib, "reorder", "retro wave", second.Name, "--json")
	if code != 0 {
		t.Fatalf("reorder exited %d: %s", code, stderr)
	}
	var reordered struct {
		OK    bool     `json:"ok"`
		Order []string `json:"order"`
	}
	json.Unmarshal([]byte(stdout), &reordered)
	names := styleNamesOf(listStyles(t, lib))
	want := []string{"Retro Wave", second.Name, "Quiet", before[2].Name, before[3].Name, before[4].Name, before[5].Name}
	if strings.Join(names, "|") != strings.Join(want, "|") || strings.Join(reordered.Order, "|") != strings.Join(want, "|") {
		t.Errorf("after reorder: %v (json %v), want %v", names, reordered.Order, want)
	}
	if code, _, _ := runCLI(t, "styles", "--library", lib, "reorder", "Quiet", "quiet"); code != 1 {
		t.Errorf("reorder listing a style twice: code %d", code)
	}
}

func TestStylesMergeAndRemove(t *testing.T) {
	lib := demoLib(t)
	styles := listStyles(t, lib)
	a, b, c, d := styles[0], styles[1], styles[2], styles[3]
	_, unlabeled := catalogCounts(t, lib)

	// merge moves every label of a into b.
	code, stdout, stderr := runCLI(t, "styles", "--library", lib, "--json", "merge", a.Name, b.Name)
	if code != 0 {
		t.Fatalf("merge exited %d: %s", code, stderr)
	}
	var merged struct {
		OK    bool `json:"ok"`
		Moved int  `json:"moved"`
	}
	if err := json.Unmarshal([]byte(stdout), &merged); err != nil || !merged.OK || merged.Moved != a.Labeled {
		t.Fatalf("merge --json: %v %s (want moved %d)", err, stdout, a.Labeled)
	}
	after := listStyles(t, lib)
	if len(after) != 5 || findListed(t, after, b.Name).Labeled != a.Labeled+b.Labeled {
		t.Fatalf("after merge: %+v", after)
	}

	// remove is refused while products carry the style, and nothing changes.
	code, _, stderr = runCLI(t, "styles", "--library", lib, "remove", c.Name)
	if code != 1 || !strings.Contains(stderr, "--move-to") || !strings.Contains(stderr, c.Name) || !strings.Contains(stderr, "is used by") {
		t.Fatalf("remove in use: code %d, stderr %q", code, stderr)
	}
	if again := listStyles(t, lib); len(again) != 5 || findListed(t, again, c.Name).Labeled != c.Labeled {
		t.Fatalf("a refused remove changed the styles: %+v", again)
	}

	// remove --move-to (after the verb and its argument) moves the labels, then deletes.
	code, stdout, stderr = runCLI(t, "styles", "--library", lib, "remove", c.Name, "--move-to", d.Name, "--json")
	if code != 0 {
		t.Fatalf("remove --move-to exited %d: %s", code, stderr)
	}
	var removed struct {
		OK    bool `json:"ok"`
		Moved int  `json:"moved"`
	}
	if err := json.Unmarshal([]byte(stdout), &removed); err != nil || !removed.OK || removed.Moved != c.Labeled {
		t.Fatalf("remove --json: %v %s", err, stdout)
	}
	after = listStyles(t, lib)
	if len(after) != 4 || findListed(t, after, d.Name).Labeled != c.Labeled+d.Labeled {
		t.Fatalf("after remove --move-to: %+v", after)
	}
	// Every labeled product is still labeled.
	counts, unlabeledAfter := catalogCounts(t, lib)
	total := 0
	for _, s := range styles {
		total += s.Labeled
	}
	sum := 0
	for _, n := range counts {
		sum += n
	}
	if sum != total || unlabeledAfter != unlabeled {
		t.Errorf("labels: %d labeled and %d unlabeled after, want %d and %d", sum, unlabeledAfter, total, unlabeled)
	}

	// An unused style is removed without --move-to.
	runCLI(t, "styles", "--library", lib, "add", "Spare")
	if code, stdout, stderr := runCLI(t, "styles", "--library", lib, "remove", "spare"); code != 0 || !strings.Contains(stdout, "Removed") {
		t.Fatalf("remove unused: code %d, stderr %q", code, stderr)
	}
	if len(listStyles(t, lib)) != 4 {
		t.Errorf("Spare was not removed")
	}
}

func TestStylesErrors(t *testing.T) {
	lib := t.TempDir()
	// No styles yet: an unknown name says so.
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "rename", "Boho", "Bohemian"); code != 1 || !strings.Contains(stderr, "no styles yet") {
		t.Errorf("rename in an empty library: code %d, stderr %q", code, stderr)
	}
	for _, n := range []string{"Minimal", "Boho"} {
		if code, _, stderr := runCLI(t, "styles", "--library", lib, "add", n); code != 0 {
			t.Fatalf("add %s: %s", n, stderr)
		}
	}
	code, _, stderr := runCLI(t, "styles", "--library", lib, "merge", "Retro", "Boho")
	if code != 1 || !strings.Contains(stderr, `"Retro"`) || !strings.Contains(stderr, "Minimal, Boho") || !strings.HasPrefix(stderr, "stylestudio styles: ") {
		t.Errorf("unknown style: code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "remove", "Minimal", "--move-to", "Nope"); code != 1 || !strings.Contains(stderr, `"Nope"`) {
		t.Errorf("unknown --move-to: code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "rename", "Minimal", "boho"); code != 1 || !strings.Contains(stderr, "exists") {
		t.Errorf("rename onto an existing name: code %d, stderr %q", code, stderr)
	}
	// Usage errors exit 2.
	for _, args := range [][]string{
		{"styles", "--library", lib},
		{"styles", "--library", lib, "frob"},
		{"styles", "--library", lib, "rename", "Minimal"},
		{"styles", "--library", lib, "list", "extra"},
		{"styles", "--library", lib, "merge", "Minimal", "Boho", "--move-to", "Boho"},
		{"styles", "--library", lib, "list", "--bogus"},
	} {
		if code, _, stderr := runCLI(t, args...); code != 2 || !strings.Contains(stderr, "Usage: stylestudio styles") {
			t.Errorf("%v: code %d, stderr %q", args[3:], code, stderr)
		}
	}
	// Nothing above changed the styles.
	if names := styleNamesOf(listStyles(t, lib)); strings.Join(names, ",") != "Minimal,Boho" {
		t.Errorf("styles changed by failed commands: %v", names)
	}
	// "--" ends the flags: a style name may start with a dash.
	if code, _, stderr := runCLI(t, "styles", "--library", lib, "add", "--", "-dash-"); code != 0 {
		t.Errorf("add after --: code %d, stderr %q", code, stderr)
	}
}

func TestNewCommandsHelp(t *testing.T) {
	for _, cmd := range []string{"styles", "label", "export"} {
		code, _, stderr := runCLI(t, cmd, "--help")
		if code != 0 || !strings.Contains(stderr, "Usage: stylestudio "+cmd+" ") {
			t.Errorf("%s --help: code %d, output %q", cmd, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "styles", "list", "--help"); code != 0 || !strings.Contains(stderr, "Usage: stylestudio styles") {
		t.Errorf("styles list --help: code %d, output %q", code, stderr)
	}
	var out strings.Builder
	printUsage(&out)
	for _, cmd := range []string{"styles", "label", "export"} {
		if !strings.Contains(out.String(), "  "+cmd+" ") {
			t.Errorf("top-level usage does not list %s:\n%s", cmd, out.String())
		}
	}
}
