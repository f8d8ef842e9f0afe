package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/engine/nn"
	"stylestudio/store"
	"stylestudio/store/library"
)

func runEval(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "eval", "--library DIR --run NAME [--json]",
		"Measure a run's model (its best checkpoint on validation, else its latest) on the held-out labeled\n"+
			"products: target-style accuracy judged by the library's style classifier (trained first if missing),\n"+
			"content SSIM/L1 and silhouette IoU against the source, paired SSIM against the real counterpart in the\n"+
			"target style (the demo catalog's true rendering, or the same item drawn in that style, from the\n"+
			"product's group, that the run never trained on; with the identity baseline), and the Fréchet distance\n"+
			"per style in the classifier's feature space.\n"+
			"A translation into a style whose counterpart the run trained on is skipped. A second, matched judge\n"+
			"(trained on the same products, each read as a translation is: at the model's size, as itself and as a\n"+
			"translation of a product of another style, through the backdrop step and in its cut-out) grades the\n"+
			"same translations too. The report is stored with the run.")
	lib := libraryFlag(fs)
	name := fs.String("run", "", "run name (required)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return fmt.Errorf("%w: --run NAME is required", errUsage)
	}
	db, err := openExistingLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := studio.EvaluateRun(ctx, db, *name)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(rep)
	}
	fmt.Fprintf(env.stdout, "Run %q at step %d: %d held-out products (seen by neither the run nor the judge), %d translations\n",
		*name, rep.Step, rep.HeldOutProducts, rep.Translations)
	if !rep.TrainRecorded {
		fmt.Fprintln(env.stdout, "  (this run did not record the products it trained on; only its train split is left out)")
	}
	if rep.SkippedTranslations > 0 {
		fmt.Fprintf(env.stdout, "  (%d more translations not made: the run trained on the same item in that style, so they would flatter it)\n",
			rep.SkippedTranslations)
	}
	fmt.Fprintf(env.stdout, "  target-style accuracy  %.1f%%\n  content SSIM           %.3f (L1 %.3f)\n  silhouette IoU         %.3f (generator; %.3f after the backdrop step)\n",
		100*rep.StyleAccuracy, rep.ContentSSIM, rep.ContentL1, rep.GeneratorSilhouetteIoU, rep.SilhouetteIoU)
	m := func(v *float64) string { return gan.FormatMetric("%.3f", v) }
	fmt.Fprintf(env.stdout, "  paired SSIM            %s (identity baseline %s; L1 %s vs %s; %d pairs)\n",
		m(rep.PairedSSIM), m(rep.IdentityPairedSSIM), m(rep.PairedL1), m(rep.IdentityPairedL1), rep.Pairs)
	if rep.CounterpartStyleAccuracy != nil {
		fmt.Fprintf(env.stdout, "  the real drawings, judged as translations (same size, backdrop step, the source's cut-out): %.1f%%: what a translation identical to the real drawing scores with this judge\n",
			100**rep.CounterpartStyleAccuracy)
	}
	if rep.CounterpartOwnCutoutStyleAccuracy != nil {
		fmt.Fprintf(env.stdout, "  the real drawings at the same size in their own cut-out: %.1f%%\n", 100**rep.CounterpartOwnCutoutStyleAccuracy)
	}
	if mj := rep.MatchedJudge; mj != nil {
		fmt.Fprintf(env.stdout, "  the matched judge (trained on the same products read as translations are, at %d px): target-style accuracy %.1f%%; the real drawings %s\n",
			mj.Size, 100*mj.StyleAccuracy, gan.FormatPercent("%.1f%%", mj.CounterpartStyleAccuracy))
		fmt.Fprintf(env.stdout, "    it names the held-out products' style %s in the cut-out of another style, %s in their own\n",
			gan.FormatPercent("%.1f%%", mj.HeldOutAccuracy), gan.FormatPercent("%.1f%%", mj.HeldOutOwnCutoutAccuracy))
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  style\taccuracy\tmatched judge\tcontent SSIM\tIoU (generator)\tFréchet (real floor, n each)")
	for _, name := range rep.StyleNames() {
		s := rep.PerStyle[name]
		matched := "—"
		if mj := rep.MatchedJudge; mj != nil {
			if ms, ok := mj.PerStyle[name]; ok {
				matched = fmt.Sprintf("%.1f%%", 100*ms.Accuracy)
			}
		}
		fmt.Fprintf(tw, "  %s\t%.1f%%\t%s\t%.3f\t%.3f\t%s (%s, %d)\n", name, 100*s.Accuracy, matched, s.ContentSSIM, s.GeneratorSilhouetteIoU,
			gan.FormatMetric("%.1f", s.Frechet), gan.FormatMetric("%.1f", s.RealFrechet), s.FrechetN)
	}
	return tw.Flush()
}

// stylizeJSON is `stylize --json`: what was written and what failed.
type stylizeJSON struct {
	Run      string         `json:"run"`
	Style    string         `json:"style"`
	Written  []string       `json:"written"`
	Failed   []stylizeError `json:"failed"`
	FullRes  bool           `json:"full_res"`
	Variants int            `json:"variants"`
	Seconds  float64        `json:"seconds"`
	Step     int            `json:"step"` // the checkpoint used: the run's best validated one, else its latest
}

type stylizeError struct {
	SKU   string `json:"sku"`
	Error string `json:"error"`
}

func runStylize(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "stylize", "--library DIR --run NAME --style STYLE --out DIR [--full-res] [--json] [SKU...]",
		"Restyle products (all of them when no SKU is given) with a run's latest checkpoint and write one PNG per\n"+
			"product into --out, named after the SKU. The images are also stored in the catalog as variants, which\n"+
			"the Feed shows. --full-res keeps each product's own resolution; otherwise the model's size is used.")
	lib := libraryFlag(fs)
	name := fs.String("run", "", "run name (required)")
	styleName := fs.String("style", "", "target style (required)")
	outDir := fs.String("out", "", "output folder (required)")
	fullRes := fs.Bool("full-res", false, "full resolution instead of the model's size")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" || strings.TrimSpace(*styleName) == "" || strings.TrimSpace(*outDir) == "" {
		return fmt.Errorf("%w: --run, --style and --out are required", errUsage)
	}
	db, err := openExistingLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	run, m, err := studio.LoadRunModel(ctx, db, *name)
	if err != nil {
		return err
	}
	if _, err := m.StyleIndex(*styleName); err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("create the output folder: %w", err)
	}
	// Before any product: a folder that cannot be written failed every product, after restyling them all.
	if probe, err := os.CreateTemp(*outDir, ".stylestudio-write-check-*"); err != nil {
		return fmt.Errorf("the output folder %s cannot be written (%w); choose another --out", *outDir, err)
	} else {
		probe.Close()
		os.Remove(probe.Name())
	}
	start := time.Now()
	out := stylizeJSON{Run: run.Name, Style: *styleName, FullRes: *fullRes, Written: []string{}, Failed: []stylizeError{}, Step: m.Step()}
	res, err := studio.StylizeProducts(ctx, db, studio.StylizeRequest{Run: run, Model: m, Style: *styleName, SKUs: fs.Args(),
		FullRes: *fullRes, OutDir: *outDir, Workers: runtime.GOMAXPROCS(0)})
	for _, r := range res {
		if r.Err != nil {
			out.Failed = append(out.Failed, stylizeError{SKU: r.SKU, Error: r.Err.Error()})
		} else {
			out.Written = append(out.Written, r.Path)
			out.Variants++
		}
	}
	out.Seconds = time.Since(start).Seconds()
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(env.stdout).Encode(out); err != nil {
			return err
		}
		if len(out.Failed) > 0 {
			// The same exit status as without --json: a script must see that products failed.
			return fmt.Errorf("%d of %d products could not be stylized (listed in \"failed\")", len(out.Failed), len(res))
		}
		return nil
	}
	fmt.Fprintf(env.stdout, "Wrote %d images to %s in %.1f s (the checkpoint of step %d)", len(out.Written), *outDir, out.Seconds, out.Step)
	if len(out.Failed) > 0 {
		fmt.Fprintf(env.stdout, "; %d failed:\n", len(out.Failed))
		for _, f := range out.Failed {
			fmt.Fprintf(env.stdout, "  %s: %s\n", f.SKU, f.Error)
		}
		return fmt.Errorf("%d of %d products could not be stylized", len(out.Failed), len(res))
	}
	fmt.Fprintln(env.stdout)
	return nil
}

func runRuns(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "runs", "--library DIR [--json] [list | rename OLD NEW | note NAME TEXT | delete NAME | use NAME | import DIR [--name NAME]]",
		"List the training runs with their status, steps and evaluation (the default), rename one, set its note,\n"+
			"delete it with its checkpoints and grids, mark it as the run Preview and the Feed use, or import a\n"+
			"bundle's results (see `stylestudio bundle`) as a run.")
	lib := libraryFlag(fs)
	importName := fs.String("name", "", "import: the run's name (default: the bundle's)")
	asJSON := fs.Bool("json", false, "print JSON (list: an array; other verbs: {\"ok\": true})")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	verb := "list"
	if len(rest) > 0 {
		// Flags may also follow the verb (`runs list --library DIR`).
		verb = rest[0]
		if err := parseFlags(fs, rest[1:]); err != nil {
			return err
		}
		rest = fs.Args()
	}
	want := map[string]int{"list": 0, "rename": 2, "note": 2, "delete": 1, "use": 1, "import": 1}
	n, ok := want[verb]
	if !ok || len(rest) != n {
		return fmt.Errorf("%w: runs takes list, rename OLD NEW, note NAME TEXT, delete NAME, use NAME or import DIR", errUsage)
	}
	db, err := openExistingLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	switch verb {
	case "list":
		return listRuns(ctx, env, db, *asJSON)
	case "import":
		return importRun(ctx, env, db, rest[0], *importName, *asJSON)
	}
	run, err := db.RunByName(ctx, rest[0])
	if err != nil {
		return fmt.Errorf("run %q: %w (list runs with `stylestudio runs`)", rest[0], err)
	}
	switch verb {
	case "rename":
		err = db.RenameRun(ctx, run.ID, rest[1])
	case "note":
		err = db.SetRunNotes(ctx, run.ID, rest[1])
	case "use":
		// Preview and the Feed need a model: a run with no complete checkpoint was marked active and
		// they silently used another.
		if _, _, lerr := studio.LoadRunModel(ctx, db, run.Name); lerr != nil {
			return fmt.Errorf("run %q cannot be used for Preview and the Feed: %w", run.Name, lerr)
		}
		err = db.SetActiveRun(ctx, run.ID)
	case "delete":
		err = studio.DeleteRun(ctx, db, run)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(map[string]bool{"ok": true})
	}
	fmt.Fprintf(env.stdout, "%s: done\n", verb)
	return nil
}

// checkpointJSON is one checkpoint in `runs --json`.
type checkpointJSON struct {
	Step int             `json:"step"`
	Best bool            `json:"best"`
	Val  *gan.Validation `json:"val"` // null when it was not validated
}

func listRuns(ctx context.Context, env *cliEnv, db *store.DB, asJSON bool) error {
	runs, err := db.Runs(ctx)
	if err != nil {
		return err
	}
	type runJSON struct {
		Name    string          `json:"name"`
		Status  string          `json:"status"`
		Steps   int             `json:"steps"`
		Seconds float64         `json:"seconds"`
		Active  bool            `json:"active"`
		Notes   string          `json:"notes"`
		Folder  string          `json:"folder"`
		Metrics json.RawMessage `json:"metrics"` // null until the run is evaluated (the key is always there)
		// BestStep is the best checkpoint's step (0: none); Checkpoints are those kept on disk, each with
		// its validation measurement when it had one (val: style_accuracy, content_ssim, score, products).
		BestStep    int              `json:"best_step"`
		Checkpoints []checkpointJSON `json:"checkpoints"`
	}
	list := []runJSON{}
	for _, r := range runs {
		j := runJSON{Name: r.Name, Status: string(r.Status), Steps: r.StepsDone, Seconds: r.Duration.Seconds(), Active: r.Active,
			Notes: r.Notes, Folder: library.RunDir(db.Dir(), r.ID), Checkpoints: []checkpointJSON{}}
		if r.Status == store.RunRunning && !studio.RunBusy(db.Dir(), r) {
			// Marked running, but no process holds its run lock (the OS frees it when the trainer dies):
			// interrupted, as the Train screen shows it, not running forever.
			j.Status = string(store.RunInterrupted)
		}
		j.Metrics = json.RawMessage("null")
		if r.MetricsJSON != "" {
			j.Metrics = json.RawMessage(r.MetricsJSON)
		}
		cks, err := db.Checkpoints(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, c := range cks {
			var m studio.CheckpointMetrics
			_ = json.Unmarshal([]byte(c.MetricsJSON), &m) // older rows: losses only, or nothing
			j.Checkpoints = append(j.Checkpoints, checkpointJSON{Step: c.Step, Best: c.IsBest, Val: m.Val})
			if c.IsBest {
				j.BestStep = c.Step
			}
		}
		list = append(list, j)
	}
	if asJSON {
		return json.NewEncoder(env.stdout).Encode(list)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tSTEPS\tTIME\tACTIVE\tNOTES")
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%v\t%s\n", r.Name, r.Status, r.Steps, (time.Duration(r.Seconds) * time.Second).Round(time.Second), r.Active, r.Notes)
	}
	return tw.Flush()
}

// benchTrainJSON is the stable `bench train --json` contract.
type benchTrainJSON struct {
	ImagesPerS      float64 `json:"images_per_s"`
	GMACPerS        float64 `json:"gmac_per_s"`
	SecondsPerStep  float64 `json:"seconds_per_step"`
	PeerImagesPerS  float64 `json:"peer_images_per_s,omitempty"`
	PeerSecPerStep  float64 `json:"peer_seconds_per_step,omitempty"`
	Ratio           float64 `json:"ratio,omitempty"` // Go time / PyTorch time for the same steps
	BLAS            string  `json:"blas"`
	Backend         string  `json:"backend"` // convolutions: "onednn", "openblas" or "gonum"
	Threads         int     `json:"threads"`
	Size            int     `json:"size"`
	Batch           int     `json:"batch"`
	Steps           int     `json:"steps"`
	MACsPerImageRun float64 `json:"gmac_per_image"`
}

// benchBatch is bench train's default batch size (training's default is smaller).
const benchBatch = 16

func benchTrain(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "bench train", "[--size 64] [--batch 16] [--steps 10] [--peer] [--json]",
		"Time full GAN training steps of the default model on random data (6 styles) and print images/s and the\n"+
			"effective GMAC/s. --peer also runs the PyTorch reference (engine/gan/testdata/ref.py, /usr/bin/python3,\n"+
			"2 threads) on the same machine and prints ratio = Go time / PyTorch time.")
	cfg := gan.DefaultConfig()
	cfg.BatchSize = benchBatch // the batch the PyTorch comparison has always been measured at
	fs.IntVar(&cfg.Size, "size", cfg.Size, "image size")
	fs.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "batch size")
	steps := fs.Int("steps", 10, "timed steps (after 2 warm-up steps)")
	peer := fs.Bool("peer", false, "also time the PyTorch reference")
	script := fs.String("peer-script", "engine/gan/testdata/ref.py", "path of the PyTorch reference script")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	const styles = 6
	res, err := gan.BenchTrain(ctx, cfg, styles, *steps, 2)
	if err != nil {
		return err
	}
	out := benchTrainJSON{ImagesPerS: res.ImagesPerS, GMACPerS: res.GMACPerS, SecondsPerStep: res.SecondsPerStep,
		BLAS: nn.BLASName(), Backend: nn.ConvBackend(), Threads: runtime.GOMAXPROCS(0), Size: cfg.Size, Batch: cfg.BatchSize, Steps: *steps,
		MACsPerImageRun: gan.TrainMACsPerImage(cfg, styles) / 1e9}
	if *peer {
		c := cfg.WithDefaults()
		cmd := exec.CommandContext(ctx, "/usr/bin/python3", *script, "bench", "--size", fmt.Sprint(c.Size), "--batch", fmt.Sprint(c.BatchSize),
			"--steps", fmt.Sprint(*steps), "--styles", fmt.Sprint(styles), "--gen-width", fmt.Sprint(c.GenWidth),
			"--disc-width", fmt.Sprint(c.DiscWidth), "--res-blocks", fmt.Sprint(c.ResBlocks), "--threads", "2", "--warmup", "2",
			"--lr", fmt.Sprint(c.LR))
		cmd.Stderr = env.stderr
		cmd.Env = peerEnv()
		if _, err := os.Stat(*script); err != nil {
			return fmt.Errorf("the PyTorch peer script %s is not here: run bench train --peer from the repository's root folder, or give --peer-script", *script)
		}
		raw, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("the PyTorch peer (%s) failed: %w; it needs /usr/bin/python3 with python3-torch (apt-get install python3-torch)", *script, err)
		}
		var p struct {
			ImagesPerS     float64 `json:"images_per_s"`
			SecondsPerStep float64 `json:"seconds_per_step"`
		}
		if err := json.Unmarshal(raw, &p); err != nil || p.ImagesPerS <= 0 {
			return fmt.Errorf("the PyTorch peer printed %q, not its JSON result", strings.TrimSpace(string(raw)))
		}
		out.PeerImagesPerS, out.PeerSecPerStep = p.ImagesPerS, p.SecondsPerStep
		out.Ratio = out.SecondsPerStep / p.SecondsPerStep
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(out)
	}
	fmt.Fprintf(env.stdout, "Go trainer (%s, %d threads): %.2f s/step, %.1f images/s, %.1f GMAC/s\n",
		out.Backend, out.Threads, out.SecondsPerStep, out.ImagesPerS, out.GMACPerS)
	if *peer {
		fmt.Fprintf(env.stdout, "PyTorch reference (2 threads): %.2f s/step, %.1f images/s; ratio Go/PyTorch %.2f\n",
			out.PeerSecPerStep, out.PeerImagesPerS, out.Ratio)
	}
	return nil
}
