package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/store"
)

type exportResult struct {
	Out      string `json:"out"`
	Format   string `json:"format"`
	Written  int    `json:"written"`
	PerSplit struct {
		Train int `json:"train"`
		Val   int `json:"val"`
		Test  int `json:"test"`
	} `json:"per_split"`
	Classes []string `json:"classes"`
	Failed  []struct {
		SKU    string `json:"sku"`
		Reason string `json:"reason"`
	} `json:"failed"`
}

func labeledCount(t *testing.T, lib string) int {
	t.Helper()
	counts, _ := catalogCounts(t, lib)
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func TestExportImageFolder(t *testing.T) {
	lib := demoLib(t)
	labeled := labeledCount(t, lib)
	out := filepath.Join(t.TempDir(), "dataset")
	code, stdout, stderr := runCLI(t, "export", "--library", lib, "--format", "imagefolder", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("export exited %d: %s", code, stderr)
	}
	var res exportResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("export --json: %v\n%s", err, stdout)
	}
	ps := res.PerSplit
	if res.Written != labeled || ps.Train+ps.Val+ps.Test != labeled || ps.Val == 0 || ps.Test == 0 || ps.Train <= ps.Val {
		t.Fatalf("written %d, per split %+v; want %d labeled products split about 80/10/10", res.Written, ps, labeled)
	}
	if res.Format != "imagefolder" || res.Out != out || len(res.Classes) != 6 || res.Failed == nil || len(res.Failed) != 0 {
		t.Fatalf("unexpected summary %+v", res)
	}
	// OUT/<split>/<class>/*.png, with the reported counts.
	want := map[string]int{"train": ps.Train, "val": ps.Val, "test": ps.Test}
	for split, n := range want {
		files, _ := filepath.Glob(filepath.Join(out, split, "*", "*.png"))
		if len(files) != n {
			t.Errorf("%s: %d PNG files, want %d", split, len(files), n)
		}
		for _, f := range files {
			class := filepath.Base(filepath.Dir(f))
			if !strings.Contains(strings.Join(res.Classes, "\x00")+"\x00", class+"\x00") {
				t.Errorf("%s is in class folder %q, not one of %v", f, class, res.Classes)
			}
		}
	}
	all, _ := filepath.Glob(filepath.Join(out, "*", "*", "*"))
	if len(all) != labeled {
		t.Errorf("%d files under OUT/*/*/, want %d", len(all), labeled)
	}

	// The folder is not empty now: refused without --force (exit 1, says what to do), accepted with it.
	code, _, stderr = runCLI(t, "export", "--library", lib, "--format", "imagefolder", "--out", out)
	if code != 1 || !strings.Contains(stderr, "--force") || !strings.Contains(stderr, "empty folder") {
		t.Errorf("non-empty out without --force: code %d, stderr %q", code, stderr)
	}
	code, stdout, stderr = runCLI(t, "export", "--library", lib, "--format", "imagefolder", "--out", out, "--force", "--seed", "7", "--split", "70,15,15")
	if code != 0 || !strings.Contains(stdout, "Exported") || !strings.Contains(stdout, "train") {
		t.Errorf("with --force: code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestExportCSV(t *testing.T) {
	lib := demoLib(t)
	labeled := labeledCount(t, lib)
	out := filepath.Join(t.TempDir(), "csvds")
	code, stdout, stderr := runCLI(t, "export", "--library", lib, "--format", "csv", "--out", out, "--split", "60,20,20", "--json")
	if code != 0 {
		t.Fatalf("export exited %d: %s", code, stderr)
	}
	var res exportResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.Written != labeled || len(res.Classes) != 6 {
		t.Fatalf("export --json: %v\n%s", err, stdout)
	}
	f, err := os.Open(filepath.Join(out, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != labeled+1 || strings.Join(recs[0], ",") != "split,sku,title,category,price,style,file" {
		t.Fatalf("manifest has %d rows (want header + %d), header %v", len(recs), labeled, recs[0])
	}
	splits := map[string]int{}
	for _, r := range recs[1:] {
		splits[r[0]]++
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(r[6]))); err != nil {
			t.Errorf("manifest row %v: %v", r, err)
		}
	}
	if splits["train"] != res.PerSplit.Train || splits["val"] != res.PerSplit.Val || splits["test"] != res.PerSplit.Test {
		t.Errorf("manifest splits %v vs summary %+v", splits, res.PerSplit)
	}
}

func TestExportErrors(t *testing.T) {
	lib := emptyLibrary(t)
	out := filepath.Join(t.TempDir(), "o")
	for _, split := range []string{"80,10", "50,30,30", "a,b,c", "80,10,10,0", "-10,60,50"} {
		code, _, stderr := runCLI(t, "export", "--library", lib, "--format", "csv", "--out", out, "--split", split)
		if code != 2 || !strings.Contains(stderr, "-split") || !strings.Contains(stderr, "Usage: stylestudio export") {
			t.Errorf("--split %s: code %d, stderr %q", split, code, stderr)
		}
	}
	for _, args := range [][]string{
		{"--out", out},                        // no format
		{"--format", "parquet", "--out", out}, // unknown format
		{"--format", "csv"},                   // no out
	} {
		code, _, stderr := runCLI(t, append([]string{"export", "--library", lib}, args...)...)
		if code != 2 || !strings.Contains(stderr, "Usage: stylestudio export") {
			t.Errorf("%v: code %d, stderr %q", args, code, stderr)
		}
	}
	// An empty library has nothing to export.
	if code, _, stderr := runCLI(t, "export", "--library", lib, "--format", "csv", "--out", out); code != 1 || !strings.Contains(stderr, "nothing to export") {
		t.Errorf("empty library: code %d, stderr %q", code, stderr)
	}
	// A file as the output folder.
	file := filepath.Join(t.TempDir(), "file.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	if code, _, stderr := runCLI(t, "export", "--library", lib, "--format", "csv", "--out", file); code != 1 || !strings.Contains(stderr, "not a folder") {
		t.Errorf("file as out: code %d, stderr %q", code, stderr)
	}
}

// librarySplits reads the library's frozen splits.
func librarySplits(t *testing.T, lib string) map[int64]string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.Splits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An export with another seed or other percentages writes its split into the export only: the
// library's splits, which its models trained and are evaluated on, never move.
func TestExportSeedLeavesTheLibrarySplits(t *testing.T) {
	lib := demoLib(t)
	out := filepath.Join(t.TempDir(), "a")
	if code, _, stderr := runCLI(t, "export", "--library", lib, "--format", "csv", "--out", out, "--json"); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	before := librarySplits(t, lib)
	if len(before) != labeledCount(t, lib) {
		t.Fatalf("%d of %d labeled products have a split after export", len(before), labeledCount(t, lib))
	}
	other := filepath.Join(t.TempDir(), "b")
	code, stdout, stderr := runCLI(t, "export", "--library", lib, "--format", "csv", "--out", other, "--seed", "7", "--split", "50,25,25", "--json")
	if code != 0 {
		t.Fatalf("export --seed 7: %s", stderr)
	}
	var res struct {
		PerSplit struct{ Train, Val, Test int } `json:"per_split"`
		Source   string                         `json:"split_source"`
		Seed     uint64                         `json:"seed"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.Source != "export" || res.Seed != 7 || res.PerSplit.Val < res.PerSplit.Train/3 {
		t.Fatalf("export --seed 7 --split 50,25,25: %v %s", err, stdout)
	}
	if after := librarySplits(t, lib); !maps.Equal(after, before) {
		t.Error("export --seed 7 moved the library's splits")
	}
}
