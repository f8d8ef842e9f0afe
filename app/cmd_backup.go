package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"stylestudio/engine/ingest"
	"stylestudio/store"
	"stylestudio/store/backup"
)

// backupJSON is the `backup --json` and `restore --json` object (documented in the README).
type backupJSON struct {
	Archive       string           `json:"archive"`
	Library       string           `json:"library"`
	Bytes         int64            `json:"bytes"`
	SchemaVersion int              `json:"schema_version"`
	Counts        backup.Counts    `json:"counts"`
	Files         int              `json:"files"`
	Missing       []backup.Problem `json:"missing"`
	External      []string         `json:"external"`
	Replaced      bool             `json:"replaced"`
	Relocated     int64            `json:"relocated_checkpoints"`
	Seconds       float64          `json:"seconds"`
}

// libraryDir is dir, or the default library folder when dir is empty.
func libraryDir(dir string) (string, error) {
	if strings.TrimSpace(dir) != "" {
		return dir, nil
	}
	def, err := store.DefaultLibraryDir()
	if err != nil {
		return "", fmt.Errorf("find the default library folder: %w (pass --library DIR)", err)
	}
	return def, nil
}

func printBackupResult(env *cliEnv, res backup.Result, start time.Time, asJSON bool, verb string) error {
	m := res.Manifest
	out := backupJSON{Archive: res.Archive, Library: res.Library, Bytes: res.Bytes, SchemaVersion: m.SchemaVersion,
		Counts: m.Counts, Files: len(m.Files), Missing: m.Missing, External: m.External, Replaced: res.Replaced,
		Relocated: res.Relocated, Seconds: time.Since(start).Round(time.Millisecond).Seconds()}
	if out.Missing == nil {
		out.Missing = []backup.Problem{}
	}
	if out.External == nil {
		out.External = []string{}
	}
	for _, p := range out.Missing {
		fmt.Fprintf(env.stderr, "warning: %s: %s\n", p.Path, p.Reason)
	}
	for _, p := range out.External {
		fmt.Fprintf(env.stderr, "warning: checkpoint %s is outside the library and not in the backup\n", p)
	}
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	c := m.Counts
	switch verb {
	case "backup":
		fmt.Fprintf(env.stdout, "Backed up %s to %s (%s)\n", res.Library, res.Archive, ingest.ByteWords(res.Bytes))
	default:
		fmt.Fprintf(env.stdout, "Restored %s from %s (backup of %s, taken %s)\n", res.Library, res.Archive, m.Library, m.CreatedAt)
		if res.Replaced {
			fmt.Fprintln(env.stdout, "  the library that was there has been replaced")
		}
	}
	fmt.Fprintf(env.stdout, "  %s, %s, %s, %s, %s, %s\n", countNoun(c.Products, "product", "products"),
		countNoun(c.Labels, "label", "labels"), countNoun(c.Objects, "image object", "image objects"),
		countNoun(c.Variants, "stylized variant", "stylized variants"), countNoun(c.Checkpoints, "checkpoint", "checkpoints"),
		countNoun(c.ModelFiles, "model file", "model files"))
	if n := len(out.Missing); n > 0 {
		fmt.Fprintf(env.stdout, "  %s the catalog references could not be backed up (listed above): the library was already missing them\n",
			countNoun(n, "file", "files"))
	}
	return nil
}

func runBackup(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "backup", "--library DIR --out FILE [--force] [--json]",
		"Write the whole library into one zip file: a consistent copy of the catalog (taken while the app\n"+
			"may keep running), every image object it references, and the models/ and runs/ folders\n"+
			"(classifier, ranker, training checkpoints), with a manifest of SHA-256 hashes.\n"+
			"Restore it with `stylestudio restore --library DIR --from FILE`.")
	lib := libraryFlag(fs)
	out := fs.String("out", "", "the backup file to write, e.g. studio-2025-01-31.zip (required)")
	force := fs.Bool("force", false, "replace the backup file if it exists")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cliUsageError(env, fs, fmt.Sprintf("unexpected argument %q (give the backup file with --out FILE)", fs.Arg(0)))
	}
	if strings.TrimSpace(*out) == "" {
		return cliUsageError(env, fs, "no backup file given: pass --out FILE")
	}
	dir, err := libraryDir(*lib)
	if err != nil {
		return err
	}
	start := time.Now()
	bar := newProgressBar(env.stderr, "Backing up")
	res, err := backup.Backup(ctx, dir, *out, backup.Options{Force: *force,
		Progress: func(done, total int) { bar.update(ingest.Progress{Done: done, Total: total}) }})
	bar.finish()
	if err != nil {
		return err
	}
	return printBackupResult(env, res, start, *asJSON, "backup")
}

func runRestore(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "restore", "--library DIR --from FILE [--force] [--json]",
		"Restore a library from a file written by `stylestudio backup`. Every file is checked against the\n"+
			"backup's SHA-256 manifest and the catalog's integrity before the library folder changes; the\n"+
			"restore is written beside it and renamed into place, so a damaged backup or an interruption leaves\n"+
			"the folder as it was. A folder that is not empty is refused unless --force, which replaces the\n"+
			"library in it. Close the app on that library first.")
	lib := libraryFlag(fs)
	from := fs.String("from", "", "the backup file to restore (required)")
	force := fs.Bool("force", false, "replace the library in a folder that is not empty")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cliUsageError(env, fs, fmt.Sprintf("unexpected argument %q (give the backup file with --from FILE)", fs.Arg(0)))
	}
	if strings.TrimSpace(*from) == "" {
		return cliUsageError(env, fs, "no backup file given: pass --from FILE")
	}
	dir, err := libraryDir(*lib)
	if err != nil {
		return err
	}
	start := time.Now()
	bar := newProgressBar(env.stderr, "Restoring")
	res, err := backup.Restore(ctx, *from, dir, backup.Options{Force: *force,
		Progress: func(done, total int) { bar.update(ingest.Progress{Done: done, Total: total}) }})
	bar.finish()
	if err != nil {
		return err
	}
	return printBackupResult(env, res, start, *asJSON, "restore")
}
