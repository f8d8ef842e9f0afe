package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/store"
)

// productsOf lists a library's products (with their current style) straight from the store.
func productsOf(t *testing.T, lib string) []store.ProductRow {
	t.Helper()
	db, err := store.Open(context.Background(), lib)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Products(context.Background(), store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestLabelFromCSV(t *testing.T) {
	lib := demoLib(t)
	styles := listStyles(t, lib)
	var unlabeled, labeled []store.ProductRow
	for _, p := range productsOf(t, lib) {
		if p.StyleID == 0 {
			unlabeled = append(unlabeled, p)
		} else {
			labeled = append(labeled, p)
		}
	}
	if len(unlabeled) < 2 || len(labeled) < 2 {
		t.Fatalf("demo library: %d unlabeled, %d labeled", len(unlabeled), len(labeled))
	}
	// A different style than the product's current one.
	other := styles[0].Name
	if labeled[0].Style == other {
		other = styles[1].Name
	}
	csvText := "sku,Style,note\n" +
		fmt.Sprintf("%s,%s,new label (style in another case)\n", unlabeled[0].SKU, strings.ToUpper(styles[2].Name)) + // line 2: applied
		fmt.Sprintf("%s,%s,relabel\n", labeled[0].SKU, other) + // line 3: applied
		fmt.Sprintf("%s,retro,unknown style\n", unlabeled[1].SKU) + // line 4: unknown style
		fmt.Sprintf("NO-SUCH-SKU,%s,unknown sku\n", styles[0].Name) + // line 5: unknown SKU
		fmt.Sprintf("%s,%s,already so\n", labeled[1].SKU, labeled[1].Style) // line 6: unchanged
	csvPath := filepath.Join(t.TempDir(), "labels.csv")
	if err := os.WriteFile(csvPath, []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "label", "--library", lib, "--csv", csvPath, "--json")
	if code != 1 {
		t.Fatalf("label with rejected rows should exit 1, got %d (stderr %s)", code, stderr)
	}
	var got struct {
		Applied       int `json:"applied"`
		Unchanged     int `json:"unchanged"`
		UnknownStyles []struct {
			Line  int    `json:"line"`
			Value string `json:"value"`
		} `json:"unknown_styles"`
		UnknownSKUs []struct {
			Line  int    `json:"line"`
			Value string `json:"value"`
		} `json:"unknown_skus"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("label --json: %v\n%s", err, stdout)
	}
	if got.Applied != 2 || got.Unchanged != 1 {
		t.Errorf("applied %d, unchanged %d; want 2 and 1", got.Applied, got.Unchanged)
	}
	if len(got.UnknownStyles) != 1 || got.UnknownStyles[0].Line != 4 || got.UnknownStyles[0].Value != "retro" {
		t.Errorf("unknown styles %+v, want line 4 retro", got.UnknownStyles)
	}
	if len(got.UnknownSKUs) != 1 || got.UnknownSKUs[0].Line != 5 || got.UnknownSKUs[0].Value != "NO-SUCH-SKU" {
		t.Errorf("unknown SKUs %+v, want line 5 NO-SUCH-SKU", got.UnknownSKUs)
	}
	for _, want := range []string{"labels.csv:4", "retro", "labels.csv:5", "NO-SUCH-SKU", "stylestudio label: 2 rows were not applied"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// The labels are in the store; the rejected rows changed nothing.
	now := map[string]string{}
	for _, p := range productsOf(t, lib) {
		now[p.SKU] = p.Style
	}
	if now[unlabeled[0].SKU] != styles[2].Name || now[labeled[0].SKU] != other || now[unlabeled[1].SKU] != "" {
		t.Errorf("after label: %s=%q, %s=%q, %s=%q", unlabeled[0].SKU, now[unlabeled[0].SKU],
			labeled[0].SKU, now[labeled[0].SKU], unlabeled[1].SKU, now[unlabeled[1].SKU])
	}

	// Text output; the same file again changes nothing (all good rows unchanged) and still exits 1.
	code, stdout, _ = runCLI(t, "label", "--library", lib, "--csv", csvPath)
	if code != 1 || !strings.Contains(stdout, "Labeled 0 products") || !strings.Contains(stdout, "3 products already") {
		t.Errorf("second label: code %d, stdout %q", code, stdout)
	}
	// Only good rows: exit 0.
	good := filepath.Join(t.TempDir(), "good.csv")
	os.WriteFile(good, []byte("style,sku\n"+styles[3].Name+","+unlabeled[1].SKU+"\n"), 0o644)
	if code, stdout, stderr := runCLI(t, "label", "--csv", good, "--library", lib); code != 0 || !strings.Contains(stdout, "Labeled 1 product ") {
		t.Errorf("good CSV: code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestLabelErrors(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "labels.csv")
	os.WriteFile(csvPath, []byte("sku,style\nA-1,Boho\n"), 0o644)
	// A library without styles.
	code, _, stderr := runCLI(t, "label", "--library", filepath.Join(dir, "lib"), "--csv", csvPath)
	if code != 1 || !strings.Contains(stderr, "no styles defined") || !strings.Contains(stderr, "stylestudio styles add NAME") {
		t.Errorf("no styles: code %d, stderr %q", code, stderr)
	}
	// A CSV without the columns.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("product,label\nA-1,Boho\n"), 0o644)
	if code, _, stderr := runCLI(t, "label", "--library", filepath.Join(dir, "lib"), "--csv", bad); code != 1 || !strings.Contains(stderr, "bad.csv:1") {
		t.Errorf("bad header: code %d, stderr %q", code, stderr)
	}
	// A missing file, and no --csv at all.
	if code, _, stderr := runCLI(t, "label", "--library", filepath.Join(dir, "lib"), "--csv", filepath.Join(dir, "nope.csv")); code != 1 || !strings.Contains(stderr, "nope.csv") {
		t.Errorf("missing file: code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "label", "--library", filepath.Join(dir, "lib")); code != 2 || !strings.Contains(stderr, "--csv FILE") {
		t.Errorf("no --csv: code %d, stderr %q", code, stderr)
	}
}
