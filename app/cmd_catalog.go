package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
)

// catalogJSON is the stable `catalog --json` contract (documented in the README).
type catalogJSON struct {
	Products  int              `json:"products"`
	Images    int              `json:"images"`
	Labeled   int              `json:"labeled"`
	Unlabeled int              `json:"unlabeled"`
	Styles    []styleCountJSON `json:"styles"`
}

type styleCountJSON struct {
	Name    string `json:"name"`
	Labeled int    `json:"labeled"`
}

func runCatalog(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "catalog", "--library DIR [--json]", "Print the catalog's counts: products, images, labeled per style, unlabeled.")
	lib := libraryFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
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
	out := catalogJSON{Products: st.Products, Images: st.Images, Unlabeled: st.Unlabeled, Labeled: st.Products - st.Unlabeled, Styles: []styleCountJSON{}}
	for _, s := range st.Styles {
		out.Styles = append(out.Styles, styleCountJSON{Name: s.Name, Labeled: s.Labeled})
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Library\t%s\n", db.Dir())
	fmt.Fprintf(tw, "Products\t%d\n", out.Products)
	fmt.Fprintf(tw, "Images\t%d\n", out.Images)
	fmt.Fprintf(tw, "Labeled\t%d\n", out.Labeled)
	fmt.Fprintf(tw, "Unlabeled\t%d\n", out.Unlabeled)
	for _, s := range out.Styles {
		fmt.Fprintf(tw, "  %s\t%d\n", s.Name, s.Labeled)
	}
	return tw.Flush()
}
