package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"stylestudio/app/studio"
	"stylestudio/engine/style"
	"stylestudio/store/library"
)

// classifyJSON is the stable `classify --json` contract: accuracy is on the held-out split, 0–1.
type classifyJSON struct {
	Accuracy      float64            `json:"accuracy"`
	PerStyle      map[string]float64 `json:"per_style"`
	Styles        []string           `json:"styles"`
	Skipped       []string           `json:"skipped"`
	TrainImages   int                `json:"train_images"`
	HeldOutImages int                `json:"held_out_images"`
	Seconds       float64            `json:"seconds"`
	Model         string             `json:"model"`
	// Added with the style statistics (issue 14): the held-out expected calibration error, the
	// reliability diagram's bins and how the CNN and the statistics were joined.
	ECE         *float64               `json:"ece,omitempty"`
	Reliability []style.ReliabilityBin `json:"reliability,omitempty"`
	Ensemble    style.EnsembleInfo     `json:"ensemble"`
}

func runClassify(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "classify", "--library DIR [--epochs N] [--seed S] [--json]",
		"Train the style classifier on the labeled products' train split, print its accuracy on the held-out\n"+
			"(val+test) split and save it into the library, where the label screen and suggest use it.")
	lib := libraryFlag(fs)
	cfg := style.DefaultConfig()
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed for weights, shuffling and augmentation")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if cfg.Epochs < 1 {
		// 0 trained anyway and replaced the saved classifier.
		return fmt.Errorf("%w: --epochs must be at least 1, got %d", errUsage, cfg.Epochs)
	}
	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	checking := false // the last line written is the transparency check's
	progress := func(ev studio.TrainProgress) {
		switch {
		case *asJSON:
		case ev.Checking:
			// An older catalog's first training reads each picture's transparency once.
			fmt.Fprintf(env.stderr, "\rreading the transparency of older pictures: %d/%d   ", ev.Checked, ev.ToCheck)
			checking = true
		default:
			if checking {
				fmt.Fprintln(env.stderr) // the epochs start on a line of their own
				checking = false
			}
			fmt.Fprintf(env.stderr, "\repoch %d/%d  loss %.3f  train accuracy %.0f%%   ", ev.Epoch, ev.Epochs, ev.Loss, 100*ev.TrainAcc)
		}
	}
	m, info, err := studio.TrainClassifier(ctx, db, cfg, progress)
	if !*asJSON {
		fmt.Fprintln(env.stderr)
	}
	if err != nil {
		return err
	}
	out := classifyJSON{Accuracy: info.Accuracy, PerStyle: info.PerStyle, Styles: info.Styles, Skipped: nonNil(info.Skipped),
		TrainImages: info.TrainImages, HeldOutImages: info.HeldOutImages, Seconds: info.Seconds, Model: library.ClassifierPath(db.Dir()),
		ECE: info.ECE, Reliability: info.Reliability, Ensemble: m.Ensemble()}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(out)
	}
	fmt.Fprintf(env.stdout, "Held-out accuracy %.1f%% on %d products (trained on %d in %.1f s)\n",
		100*out.Accuracy, out.HeldOutImages, out.TrainImages, out.Seconds)
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	for _, s := range out.Styles {
		fmt.Fprintf(tw, "  %s\t%.1f%%\n", s, 100*out.PerStyle[s])
	}
	tw.Flush()
	printReliability(env, out)
	if len(out.Skipped) > 0 {
		fmt.Fprintf(env.stdout, "Left out (need at least %d labeled training images each): %v\n", style.MinPerStyle, out.Skipped)
	}
	fmt.Fprintf(env.stdout, "Saved to %s\n", out.Model)
	return nil
}

// suggestJSON is the `suggest --json` output: the next products to label, most useful first.
type suggestJSON struct {
	Items []studio.Suggestion `json:"items"`
}

func runSuggest(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "suggest", "--library DIR [--n 20] [--json]",
		"List the next products to label, most useful first (while a style has too few training labels for\n"+
			"the classifier, the products most like it; then the classifier's least certain, with some diversity),\n"+
			"with the suggested style and its probability. Trains the classifier if the library has none.")
	lib := libraryFlag(fs)
	n := fs.Int("n", 20, "how many products to list")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if *n < 1 {
		return fmt.Errorf("%w: --n must be at least 1, got %d", errUsage, *n)
	}
	db, err := openExistingLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	m, _, err := studio.LoadClassifier(db.Dir())
	if errors.Is(err, studio.ErrNoClassifier) {
		msg := "No classifier yet: training one first…"
		if errors.Is(err, style.ErrOutdated) {
			msg = "The saved classifier was made by another version of Style Studio: training a new one first…"
		}
		fmt.Fprintln(env.stderr, msg)
		m, _, err = studio.TrainClassifier(ctx, db, style.DefaultConfig(), nil)
	}
	if err != nil {
		return err
	}
	sugg, queue, err := studio.Suggest(ctx, db, m, 1)
	if err != nil {
		return err
	}
	out := suggestJSON{Items: []studio.Suggestion{}}
	for _, id := range queue {
		if len(out.Items) == *n {
			break
		}
		out.Items = append(out.Items, sugg[id])
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(out)
	}
	if len(out.Items) == 0 {
		fmt.Fprintln(env.stdout, "Every product is labeled.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SKU\tSUGGESTED\tCONFIDENCE\tUNCERTAINTY\tTITLE")
	for _, s := range out.Items {
		fmt.Fprintf(tw, "%s\t%s\t%.0f%%\t%.2f\t%s\n", s.SKU, s.Style, 100*s.Confidence, s.Uncertainty, s.Title)
	}
	return tw.Flush()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// printReliability prints the held-out reliability diagram as a table: confidence bins, how many
// predictions fell in each, their mean confidence and their accuracy.
func printReliability(env *cliEnv, out classifyJSON) {
	if out.ECE == nil {
		return
	}
	fmt.Fprintf(env.stdout, "Calibration on the held-out products: ECE %.3f (CNN weight %.2f, statistics weight %.2f, scale %.2f)\n",
		*out.ECE, out.Ensemble.CNNWeight, out.Ensemble.StatsWeight, out.Ensemble.Scale)
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CONFIDENCE\tIMAGES\tMEAN CONFIDENCE\tACCURACY")
	for _, b := range out.Reliability {
		if b.Count == 0 {
			continue
		}
		fmt.Fprintf(tw, "  %.2f–%.2f\t%d\t%.2f\t%.2f\n", b.Lo, b.Hi, b.Count, b.Confidence, b.Accuracy)
	}
	tw.Flush()
}
