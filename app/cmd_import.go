package main

import (
	"context"
	"encoding/json"
	"fmt"

	"stylestudio/app/studio"
	"stylestudio/engine/imaging"
	"stylestudio/engine/ingest"
)

// importJSON is the stable `import --json` / `demo --json` contract.
type importJSON struct {
	Total      int `json:"total"`
	Imported   int `json:"imported"`
	Duplicates int `json:"duplicates"`
	// LabeledExisting: duplicates that had no label and took their folder's (or manifest row's) style.
	LabeledExisting int           `json:"labeled_existing"`
	Failed          int           `json:"failed"`
	Failures        []failureJSON `json:"failures"`
}

type failureJSON struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

func summaryJSON(s ingest.Summary) importJSON {
	out := importJSON{Total: s.Total, Imported: s.Imported, Duplicates: s.Duplicates, LabeledExisting: s.Labeled, Failed: len(s.Failures), Failures: []failureJSON{}}
	for _, f := range s.Failures {
		out.Failures = append(out.Failures, failureJSON{Path: f.Path, Reason: f.Reason})
	}
	return out
}

// errPartial reports a run where some files failed; they were listed already, the rest were imported.
type errPartial struct{ failed, imported int }

func (e errPartial) Error() string {
	were := "were"
	if e.imported == 1 {
		were = "was"
	}
	return fmt.Sprintf("%d file%s could not be imported (listed above); %d %s imported", e.failed, studio.Plural(e.failed), e.imported, were)
}

// failuresError lists per-file failures on stderr and turns them into a non-zero exit.
func failuresError(env *cliEnv, s ingest.Summary) error {
	if len(s.Failures) == 0 {
		return nil
	}
	for _, f := range s.Failures {
		fmt.Fprintf(env.stderr, "  %s: %s\n", f.Path, f.Reason)
	}
	return errPartial{failed: len(s.Failures), imported: s.Imported}
}

func runImport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "import", "--library DIR [--labels-from-folders [--groups-from-names]] [--csv FILE] [--json] PATH...",
		"Import product images: files and folders (recursively; PNG, JPEG, GIF, WebP, and with libvips TIFF,\n"+
			"HEIC, AVIF; "+imaging.Backend()+" decoder in this build) or a CSV manifest with\n"+
			"columns sku,title,category,price,image[,style][,group]. Re-importing the same bytes is a no-op. Files that fail\n"+
			"are listed with the reason; the rest still import (exit status 1 when any failed).")
	lib := libraryFlag(fs)
	fromFolders := fs.Bool("labels-from-folders", false, "treat ROOT/<style>/<image> as a style label (ImageFolder layout)")
	groupsFromNames := fs.Bool("groups-from-names", false, "with --labels-from-folders: the same path below two style folders is the same item drawn in two styles (its group)")
	csvPath := fs.String("csv", "", "CSV manifest: sku,title,category,price,image[,style][,group]; image paths relative to the CSV")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 && *csvPath == "" {
		fs.Usage()
		return fmt.Errorf("%w: nothing to import: give one or more files or folders, or --csv FILE", errUsage)
	}
	opts := ingest.Options{LabelsFromFolders: *fromFolders, GroupsFromNames: *groupsFromNames, CSVPath: *csvPath}
	plan, err := studio.PlanImport(ctx, fs.Args(), opts)
	if err != nil {
		return err
	}
	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	bar := newProgressBar(env.stderr, "Importing")
	sum, err := plan.Run(ctx, db, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(env.stdout).Encode(summaryJSON(sum)); err != nil {
			return err
		}
	} else {
		labeled := ""
		if sum.Labeled > 0 {
			labeled = fmt.Sprintf(" (%d of them unlabeled until now, labeled from their folders or the manifest)", sum.Labeled)
		}
		fmt.Fprintf(env.stdout, "Imported %d, already in the catalog %d%s, failed %d (of %d files) into %s\n",
			sum.Imported, sum.Duplicates, labeled, len(sum.Failures), sum.Total, db.Dir())
	}
	return failuresError(env, sum)
}
