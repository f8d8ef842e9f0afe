package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"stylestudio/app/studio"
	"stylestudio/engine/dataset"
	"stylestudio/engine/ingest"
	"stylestudio/internal/clutter"
)

// exportJSON is the stable `export --json` contract (seed, split and leftover are extras).
type exportJSON struct {
	Out      string              `json:"out"`
	Format   string              `json:"format"`
	Written  int                 `json:"written"`
	PerSplit perSplitJSON        `json:"per_split"`
	Classes  []string            `json:"classes"`
	Failed   []exportFailureJSON `json:"failed"`
	Seed     uint64              `json:"seed"`
	Split    [3]int              `json:"split"`
	Leftover int                 `json:"leftover"`
	// SplitSource is "library" when the export uses the library's frozen splits (the default) and
	// "export" when --seed or --split asked for others, which were computed for this export only.
	SplitSource string `json:"split_source"`
}

type perSplitJSON struct {
	Train int `json:"train"`
	Val   int `json:"val"`
	Test  int `json:"test"`
}

type exportFailureJSON struct {
	SKU    string `json:"sku"`
	Reason string `json:"reason"`
}

// splitPercentages is the --split flag: three whole percentages (train, val, test) summing to 100.
type splitPercentages [3]int

func (p *splitPercentages) String() string { return fmt.Sprintf("%d,%d,%d", p[0], p[1], p[2]) }

func (p *splitPercentages) Set(v string) error {
	parts := strings.Split(strings.ReplaceAll(v, "/", ","), ",")
	bad := fmt.Errorf("%q is not three whole percentages for train,val,test that sum to 100 (e.g. 80,10,10)", v)
	if len(parts) != 3 {
		return bad
	}
	var pct [3]int
	for i, s := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")))
		if err != nil {
			return bad
		}
		pct[i] = n
	}
	if err := dataset.ValidatePercentages(pct); err != nil {
		return fmt.Errorf("%w (e.g. 80,10,10)", err)
	}
	*p = pct
	return nil
}

func runExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "export", "--library DIR --format imagefolder|csv --out DIR [--split 80,10,10] [--seed S] [--force] [--json]",
		"Export the labeled products as a training dataset, in the library's frozen splits (each product keeps the\n"+
			"split it was given the first time one was needed). --seed or --split other than the library's compute\n"+
			"another split (stratified by style, deterministic in the seed) for this export only; the library's stay. Then:\n"+
			"  imagefolder  OUT/{train,val,test}/<style>/<sku>.<ext> (torchvision's ImageFolder layout)\n"+
			"  csv          OUT/manifest.csv (split,sku,title,category,price,style,file) and OUT/images/\n"+
			"OUT must be missing or empty unless --force. Exit status 1 when any product could not be exported.")
	lib := libraryFlag(fs)
	format := fs.String("format", "", "dataset layout: imagefolder or csv (required)")
	out := fs.String("out", "", "output folder (created when missing; must be empty unless --force)")
	split := splitPercentages{80, 10, 10}
	fs.Var(&split, "split", "`TRAIN,VAL,TEST` percentages, whole numbers summing to 100")
	seed := fs.Uint64("seed", studio.DefaultSplitSeed, "split seed for an export-only split (default: the library's frozen splits)")
	force := fs.Bool("force", false, "write into a non-empty output folder, replacing files of the same names")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cliUsageError(env, fs, fmt.Sprintf("unexpected argument %q (give the output folder with --out DIR)", fs.Arg(0)))
	}
	*format = strings.ToLower(strings.TrimSpace(*format))
	switch *format {
	case dataset.FormatImageFolder, dataset.FormatCSV:
	case "":
		return cliUsageError(env, fs, "no format given: pass --format imagefolder or --format csv")
	default:
		return cliUsageError(env, fs, fmt.Sprintf("unknown format %q: want imagefolder or csv", *format))
	}
	if strings.TrimSpace(*out) == "" {
		return cliUsageError(env, fs, "no output folder given: pass --out DIR")
	}
	// Refuse a used output folder before touching the library.
	if err := checkExportOut(*out, *force); err != nil {
		return err
	}

	db, err := openExistingLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Stats(ctx)
	if err != nil {
		return err
	}
	if st.Products-st.Unlabeled == 0 {
		return fmt.Errorf("nothing to export: no product in %s is labeled; label some with `stylestudio label --csv FILE` or in the app", db.Dir())
	}
	// The library's splits are frozen: products without one get theirs, none moves. Another seed or
	// other percentages give an export-only split, never written to the library.
	if _, err := db.EnsureSplits(ctx, studio.DefaultSplit()); err != nil {
		return err
	}
	active, err := db.ActiveSplit(ctx)
	if err != nil {
		return err
	}
	asked := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { asked[f.Name] = true })
	library := splitPercentages{active.Train, active.Val, active.Test}
	if !asked["seed"] {
		*seed = active.Seed
	}
	if !asked["split"] {
		split = library
	}
	source := "library"
	if *seed != active.Seed || split != library {
		source = "export"
	}
	items, err := db.ExportItems(ctx)
	if err != nil {
		return err
	}
	if source == "export" {
		keys := make([]dataset.SplitItem, len(items))
		for i, it := range items {
			keys[i] = dataset.SplitItem{Key: it.SKU, Class: it.Style, Group: it.Group}
		}
		for i, sp := range dataset.StratifiedSplit(keys, *seed, [3]int(split)) {
			items[i].Split = sp
		}
	}
	bar := newProgressBar(env.stderr, "Exporting")
	sum, err := dataset.Export(ctx, items, dataset.ExportOptions{Format: *format, Out: *out, Force: *force},
		func(done, total int) { bar.update(ingest.Progress{Done: done, Total: total}) })
	bar.finish()
	if err != nil && !errors.Is(err, dataset.ErrIncomplete) {
		if errors.Is(err, dataset.ErrOutNotEmpty) {
			return &rewordedError{err: err, msg: err.Error() + " (pass --force to write into it anyway, or choose an empty folder)"}
		}
		return err
	}

	res := exportJSON{Out: sum.Out, Format: sum.Format, Written: sum.Written, Classes: sum.Classes,
		Failed: []exportFailureJSON{}, Seed: *seed, Split: split, Leftover: sum.Leftover, SplitSource: source,
		PerSplit: perSplitJSON{Train: sum.PerSplit[dataset.Train], Val: sum.PerSplit[dataset.Val], Test: sum.PerSplit[dataset.Test]}}
	if res.Classes == nil { // csv: the manifest's style column holds the style names
		res.Classes = []string{}
		for name := range sum.ClassOf {
			res.Classes = append(res.Classes, name)
		}
		sort.Strings(res.Classes)
	}
	for _, f := range sum.Failed {
		res.Failed = append(res.Failed, exportFailureJSON{SKU: f.SKU, Reason: f.Reason})
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		w := env.stdout
		which := "the library's frozen split"
		if source == "export" {
			which = "an export-only split"
		}
		fmt.Fprintf(w, "Exported %s to %s (%s; %s %d/%d/%d, seed %d)\n", countNoun(res.Written, "image", "images"),
			res.Out, res.Format, which, split[0], split[1], split[2], *seed)
		fmt.Fprintf(w, "  train  %d\n  val    %d\n  test   %d\n", res.PerSplit.Train, res.PerSplit.Val, res.PerSplit.Test)
		what := "Classes"
		if res.Format == dataset.FormatImageFolder {
			what = "Classes (in ImageFolder index order)"
		}
		fmt.Fprintf(w, "%s: %s\n", what, strings.Join(res.Classes, ", "))
	}
	for _, sp := range dataset.Splits {
		if missing := sum.MissingClasses[sp]; len(missing) > 0 {
			fmt.Fprintf(env.stderr, "note: %s has no images of %s; ImageFolder over %s alone finds fewer classes (map them with the class list above)\n",
				sp, strings.Join(missing, ", "), sp)
		}
	}
	if sum.Leftover > 0 {
		fmt.Fprintf(env.stderr, "warning: %s in %s not written by this export (an earlier export?); clear the folder so stale images do not leak between splits\n",
			countNoun(sum.Leftover, "file is", "files are"), res.Out)
	}
	if len(sum.Failed) == 0 {
		return nil
	}
	for _, f := range sum.Failed {
		fmt.Fprintf(env.stderr, "  %s: %s\n", f.SKU, f.Reason)
	}
	return fmt.Errorf("%d of %d products were not exported (listed above); %d were written: %w",
		len(sum.Failed), sum.Total, sum.Written, dataset.ErrIncomplete)
}

// checkExportOut refuses an output path that is a file, or a folder with files in it unless force.
// Other problems (permissions, …) are left to dataset.Export, which reports them precisely.
func checkExportOut(out string, force bool) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil
	}
	if !fi.IsDir() {
		return &rewordedError{err: dataset.ErrOutNotDir, msg: fmt.Sprintf("export to %s: it is a file, not a folder; choose a folder", abs)}
	}
	if force {
		return nil
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return &rewordedError{err: dataset.ErrOutNotWritable, msg: fmt.Sprintf("export to %s: %v; choose a folder you can write", abs, err)}
		}
		return nil
	}
	var used []string
	for _, e := range entries {
		if !clutter.Is(e.Name()) {
			used = append(used, e.Name())
		}
	}
	if len(used) > 0 {
		return &rewordedError{err: dataset.ErrOutNotEmpty, msg: fmt.Sprintf(
			"export to %s: the folder is not empty (%s, e.g. %q); pass --force to write into it anyway (files of the same names are replaced), or choose an empty folder",
			abs, countNoun(len(used), "item", "items"), used[0])}
	}
	return nil
}
