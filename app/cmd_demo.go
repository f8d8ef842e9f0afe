package main

import (
	"context"
	"encoding/json"
	"fmt"

	"stylestudio/engine/demo"
)

func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "demo", "--library DIR [--products N] [--seed S] [--json]",
		"Seed a library with the built-in demo catalog: product shots in several styles, about 60% labeled.\n"+
			"Seeding the same products again is a no-op (images are stored by content).")
	lib := libraryFlag(fs)
	n := fs.Int("products", 400, "number of demo products")
	seed := fs.Uint64("seed", 1, "generator seed (same seed, same catalog)")
	asJSON := fs.Bool("json", false, "print the import summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if *n < 1 || *n > 100000 {
		return fmt.Errorf("%w: --products must be between 1 and 100000, got %d", errUsage, *n)
	}
	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	bar := newProgressBar(env.stderr, "Rendering demo catalog")
	sum, err := demo.Seed(ctx, db, demo.Catalog(*n, *seed), bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(summaryJSON(sum))
	}
	fmt.Fprintf(env.stdout, "Demo catalog in %s: %d products added, %d already there.\n", db.Dir(), sum.Imported, sum.Duplicates)
	return failuresError(env, sum)
}
