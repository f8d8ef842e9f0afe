package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"stylestudio/engine/dataset"
	"stylestudio/store"
)

// labelJSON is the stable `label --json` contract.
type labelJSON struct {
	Applied       int             `json:"applied"`
	Unchanged     int             `json:"unchanged"`
	UnknownStyles []lineValueJSON `json:"unknown_styles"`
	UnknownSKUs   []lineValueJSON `json:"unknown_skus"`
	// Superseded rows were overridden by a later row for the same product (the last one wins).
	Superseded []lineValueJSON `json:"superseded"`
}

type lineValueJSON struct {
	Line  int    `json:"line"`
	Value string `json:"value"`
}

func lineValuesJSON(vs []store.LineValue) []lineValueJSON {
	out := make([]lineValueJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, lineValueJSON{Line: v.Line, Value: v.Value})
	}
	return out
}

// errRowsRejected reports a label import where some rows were skipped; they were listed already.
type errRowsRejected struct{ rejected, applied int }

func (e errRowsRejected) Error() string {
	return fmt.Sprintf("%s not applied (listed above); %s labeled",
		countNoun(e.rejected, "row was", "rows were"), countNoun(e.applied, "product", "products"))
}

func runLabel(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "label", "--library DIR --csv FILE [--json]",
		"Label products from a CSV with the header sku,style (any order and case; other columns are ignored),\n"+
			"as one step that Undo in the app reverts. Styles must exist already (see `stylestudio styles`) and match\n"+
			"case-insensitively. Rows with an unknown style or SKU are listed with their line and skipped; the rest\n"+
			"are applied (exit status 1 when any row was skipped). When a SKU appears twice, the last row wins.")
	lib := libraryFlag(fs)
	csvPath := fs.String("csv", "", "label CSV with the columns sku,style")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cliUsageError(env, fs, fmt.Sprintf("unexpected argument %q (give the CSV with --csv FILE)", fs.Arg(0)))
	}
	if *csvPath == "" {
		return cliUsageError(env, fs, "no CSV given: pass --csv FILE (header sku,style)")
	}
	f, err := os.Open(*csvPath)
	if err != nil {
		return fmt.Errorf("open label CSV: %w", err)
	}
	rows, err := dataset.ParseLabelCSV(f, filepath.Base(*csvPath))
	f.Close()
	if err != nil {
		return err
	}

	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	styles, err := db.Styles(ctx)
	if err != nil {
		return err
	}
	if len(styles) == 0 {
		return fmt.Errorf("no styles defined in %s; add some with `stylestudio styles add NAME`", db.Dir())
	}
	res, err := db.ImportLabels(ctx, rows, "csv")
	if err != nil {
		return err
	}

	if *asJSON {
		out := labelJSON{Applied: res.Applied, Unchanged: res.Unchanged, UnknownStyles: lineValuesJSON(res.UnknownStyles),
			UnknownSKUs: lineValuesJSON(res.UnknownSKUs), Superseded: lineValuesJSON(res.Superseded)}
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.stdout, "Labeled %s from %s into %s; %s already had that style.\n",
			countNoun(res.Applied, "product", "products"), *csvPath, db.Dir(), countNoun(res.Unchanged, "product", "products"))
		if n := len(res.Superseded); n > 0 {
			fmt.Fprintf(env.stdout, "%s overridden by a later row for the same SKU (the last one wins).\n", countNoun(n, "row was", "rows were"))
		}
	}

	// List the rejected rows in line order on stderr (a row may have both an unknown style and SKU).
	reasons := map[int][]string{}
	for _, v := range res.UnknownStyles {
		r := fmt.Sprintf("unknown style %q", v.Value)
		if v.Value == "" {
			r = "no style given"
		}
		reasons[v.Line] = append(reasons[v.Line], r)
	}
	for _, v := range res.UnknownSKUs {
		r := fmt.Sprintf("unknown SKU %q", v.Value)
		if v.Value == "" {
			r = "no SKU given"
		}
		reasons[v.Line] = append(reasons[v.Line], r)
	}
	if len(reasons) == 0 {
		return nil
	}
	lines := make([]int, 0, len(reasons))
	for l := range reasons {
		lines = append(lines, l)
	}
	sort.Ints(lines)
	name := filepath.Base(*csvPath)
	for _, l := range lines {
		for _, r := range reasons[l] {
			fmt.Fprintf(env.stderr, "  %s:%d: %s\n", name, l, r)
		}
	}
	if len(res.UnknownStyles) > 0 {
		fmt.Fprintf(env.stderr, "  (the styles are: %s; add one with `stylestudio styles add NAME`)\n", styleNames(styles))
	}
	return errRowsRejected{rejected: len(lines), applied: res.Applied}
}
