package crashtest

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stylestudio/engine/demo"
	"stylestudio/engine/gan"
	"stylestudio/internal/treecopy"
)

// failAt stops the scenario with where the kill was, after the checks have reported what broke.
func failAt(t *testing.T, what string, kill int, d time.Duration) {
	t.Helper()
	if t.Failed() {
		t.Fatalf("%s: the checks above failed after kill %d (delay %v)", what, kill, d)
	}
}

// ---- (a) import of 500 images ----

// importSource renders 500 distinct demo products as 64 px PNGs in ROOT/<style>/<sku>.png.
func (h *harness) importSource(t *testing.T) string {
	root := filepath.Join(h.work, "import-src")
	if _, err := os.Stat(root); err == nil {
		return root
	}
	for _, it := range demo.Catalog(500, 7) {
		img, err := demo.Render(it.Params, it.Style, 64)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, it.Style)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, it.SKU+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

type importJSON struct {
	Total, Imported, Duplicates, Failed int
}

func scenarioImport(h *harness, t *testing.T, sc *stats) {
	rng := h.rng("import")
	src := h.importSource(t)
	args := func(lib string) []string {
		return []string{"import", "--library", lib, "--labels-from-folders", "--json", src}
	}
	clean := h.dir(t, "import-clean")
	r := h.mustCLI(t, args(clean)...)
	ref := checkLibrary(t, clean)
	if ref.products != 500 || len(ref.labels) != 500 {
		t.Fatalf("a clean import of 500 images gave %d products, %d labeled", ref.products, len(ref.labels))
	}
	span := r.took
	sc.note("clean import of 500 images: %.1f s; kill moments drawn in [0, %.1f s)", span.Seconds(), span.Seconds())
	for chain := 0; sc.kills < sc.want && chain < 4*sc.want; chain++ {
		lib := h.dir(t, "import")
		for sc.kills < sc.want {
			d := delay(rng, span)
			r := h.cli(d, args(lib)...)
			if !r.killed {
				if r.code != 0 {
					t.Fatalf("import after %d kills: %v", sc.kills, r)
				}
				sc.finished++
				break
			}
			sc.kills++
			info := checkLibrary(t, lib)
			if info.tmpObjects > 0 {
				sc.leftovers++
			}
			// A product, its image and its label are one transaction: never one without the others.
			if info.images != info.products || len(info.labels) != info.products {
				t.Errorf("%d products, %d images, %d labels: a record was half stored", info.products, info.images, len(info.labels))
			}
			for sku, style := range info.labels {
				if ref.labels[sku] != style {
					t.Errorf("product %s labeled %q, its folder says %q", sku, style, ref.labels[sku])
				}
			}
			failAt(t, "import", sc.kills, d)
		}
		// Re-running the interrupted import completes it, without duplicates.
		r := h.mustCLI(t, args(lib)...)
		var sum importJSON
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Failed != 0 || sum.Imported+sum.Duplicates != 500 {
			t.Fatalf("re-run: %q (%v)", r.stdout, err)
		}
		info := checkLibrary(t, lib)
		if info.products != ref.products || info.images != ref.images || info.history != ref.history {
			t.Errorf("after the re-run: %d products, %d images, %d history rows; a clean import has %d, %d, %d",
				info.products, info.images, info.history, ref.products, ref.images, ref.history)
		}
		if d := sameMap(info.labels, ref.labels); d != "" {
			t.Errorf("labels after the re-run differ from a clean import: %s", d)
		}
		failAt(t, "import re-run", sc.kills, 0)
	}
}

// ---- (b) labeling: `label --csv` and `styles add` bursts ----

func catalogStyles(t *testing.T, lib string) []string {
	db := openRaw(t, lib)
	defer db.Close()
	return queryStrings(t, db, `SELECT name FROM styles ORDER BY id`)
}

func catalogSKUs(t *testing.T, lib string) []string {
	db := openRaw(t, lib)
	defer db.Close()
	return queryStrings(t, db, `SELECT sku FROM products ORDER BY id`)
}

// labelStep is one command of a labeling burst and the labels and styles after it.
type labelStep struct {
	args   []string // without --library
	addsTo string   // styles add: the new style
	labels map[string]string
	styles map[string]bool
}

func scenarioLabelCSV(h *harness, t *testing.T, sc *stats) {
	rng := h.rng("label-csv")
	base := h.demoLibrary(t)
	skus := catalogSKUs(t, base)
	styles := catalogStyles(t, base)
	labels := checkLibrary(t, base).labels
	have := map[string]bool{}
	for _, s := range styles {
		have[s] = true
	}
	csvDir := h.dir(t, "label-csv")
	n := 4 * sc.want
	steps := make([]labelStep, n)
	for i := range steps {
		next := map[string]string{}
		for k, v := range labels {
			next[k] = v
		}
		nextStyles := map[string]bool{}
		for k := range have {
			nextStyles[k] = true
		}
		if rng.IntN(5) == 0 {
			name := fmt.Sprintf("crash-%d", i)
			steps[i].args = []string{"styles", "add", name, "--json"}
			steps[i].addsTo = name
			styles = append(styles, name)
			nextStyles[name] = true
		} else {
			path := filepath.Join(csvDir, fmt.Sprintf("labels-%03d.csv", i))
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			w := csv.NewWriter(f)
			w.Write([]string{"sku", "style"})
			for range 1 + rng.IntN(120) {
				sku, style := skus[rng.IntN(len(skus))], styles[rng.IntN(len(styles))]
				w.Write([]string{sku, style})
				next[sku] = style // the last row for a SKU wins
			}
			w.Flush()
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			steps[i].args = []string{"label", "--csv", path, "--json"}
		}
		steps[i].labels, steps[i].styles = next, nextStyles
		labels, have = next, nextStyles
	}
	withLib := func(args []string, lib string) []string {
		if args[0] == "styles" {
			return append([]string{"styles", "--library", lib, "--json"}, args[1:len(args)-1]...)
		}
		return append([]string{args[0], "--library", lib}, args[1:]...)
	}

	// The uninterrupted burst, for the final comparison and the command's typical duration.
	clean := h.dir(t, "label-clean")
	if err := treecopy.Copy(base, clean); err != nil {
		t.Fatal(err)
	}
	var took []time.Duration
	for _, s := range steps {
		took = append(took, h.mustCLI(t, withLib(s.args, clean)...).took)
	}
	span := median(took)
	ref := checkLibrary(t, clean)
	if d := sameMap(ref.labels, steps[n-1].labels); d != "" {
		t.Fatalf("a clean burst does not give the modelled labels: %s", d)
	}
	sc.note("%d commands (label --csv, styles add); median %.0f ms each; kill moments in [0, %.0f ms)", n, ms(span), ms(span))

	lib := h.dir(t, "label")
	if err := treecopy.Copy(base, lib); err != nil {
		t.Fatal(err)
	}
	prev := checkLibrary(t, lib).labels
	committed := 0 // kills that came after the command's transaction committed
	defer func() {
		sc.note("%d of the killed commands had committed before the kill, the others had not", committed)
	}()
	for i, s := range steps {
		args := withLib(s.args, lib)
		if sc.kills >= sc.want {
			h.mustCLI(t, args...)
			prev = s.labels
			continue
		}
		d := delay(rng, span)
		r := h.cli(d, args...)
		if !r.killed {
			if r.code != 0 {
				t.Fatalf("step %d %v: %v", i, s.args, r)
			}
			sc.finished++
			info := checkLibrary(t, lib)
			if diff := sameMap(info.labels, s.labels); diff != "" {
				t.Fatalf("step %d acknowledged, but the labels differ: %s", i, diff)
			}
			prev = s.labels
			continue
		}
		sc.kills++
		info := checkLibrary(t, lib)
		// Everything acknowledged before is there; the killed command applied all or nothing.
		before, after := sameMap(info.labels, prev), sameMap(info.labels, s.labels)
		if after == "" && before != "" {
			committed++
		}
		if before != "" && after != "" {
			t.Errorf("killed %v: labels match neither the state before (%s) nor after (%s)", s.args, before, after)
		}
		stylesNow := map[string]bool{}
		for _, name := range catalogStyles(t, lib) {
			stylesNow[name] = true
		}
		for name := range steps[max(i-1, 0)].styles {
			if i > 0 && !stylesNow[name] {
				t.Errorf("acknowledged style %q is missing", name)
			}
		}
		failAt(t, "label burst", sc.kills, d)
		// Re-run the interrupted command. A style that was added before the kill is reported as there.
		r = h.cli(-1, args...)
		if r.code != 0 && !(s.addsTo != "" && stylesNow[s.addsTo] && strings.Contains(r.stderr, "already")) {
			t.Fatalf("re-run of step %d %v: %v", i, s.args, r)
		}
		if diff := sameMap(checkLibrary(t, lib).labels, s.labels); diff != "" {
			t.Fatalf("after re-running step %d: %s", i, diff)
		}
		prev = s.labels
	}
	final := checkLibrary(t, lib)
	if final.history != ref.history || final.batches != ref.batches {
		t.Errorf("after the burst with kills: %d history rows, %d undo steps; without kills %d, %d (duplicates?)",
			final.history, final.batches, ref.history, ref.batches)
	}
	if d := sameMap(final.labels, ref.labels); d != "" {
		t.Errorf("final labels differ from the uninterrupted burst: %s", d)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ---- (c) training with a checkpoint every step ----

var tinyTrain = []string{"--steps", "24", "--size", "32", "--gen-width", "4", "--disc-width", "4", "--res-blocks", "1",
	"--batch", "4", "--checkpoint-every", "1", "--sample-every", "1", "--json"}

type trainEvent struct {
	Event      string `json:"event"`
	Step       int    `json:"step"`
	Checkpoint string `json:"checkpoint"`
	Status     string `json:"status"`
}

func trainEvents(out string) []trainEvent {
	var evs []trainEvent
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var e trainEvent
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			evs = append(evs, e)
		}
	}
	return evs
}

func fileSHA(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// runFolder is the run's folder, or "" while the catalog has no run yet.
func runFolder(t *testing.T, lib string) string {
	db := openRaw(t, lib)
	defer db.Close()
	var id int64
	if err := db.QueryRow(`SELECT id FROM training_runs WHERE name = 'r'`).Scan(&id); err != nil {
		return ""
	}
	return filepath.Join(lib, "runs", fmt.Sprintf("run-%d", id))
}

// trainedLibrary is the demo library after an uninterrupted tiny training run "r"; it also returns
// the final weights' SHA-256 and the clean run's duration.
func (h *harness) trainedLibrary(t *testing.T) (lib string) {
	return h.fixture(t, "trained", func(dir string) {
		if err := treecopy.Copy(strings.TrimSuffix(h.demoLibrary(t), "/"), dir); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		r := h.mustCLI(t, append([]string{"train", "--library", dir, "--run", "r"}, tinyTrain...)...)
		evs := trainEvents(r.stdout)
		if len(evs) == 0 || evs[len(evs)-1].Event != "done" {
			t.Fatalf("train printed no done line: %s", r.stdout)
		}
		h.mu.Lock()
		h.fixtures["trained.sha"] = fileSHA(t, evs[len(evs)-1].Checkpoint)
		h.fixtures["trained.took"] = time.Since(began).String()
		h.mu.Unlock()
	})
}

// runLeftovers lists what killed saves left in a run folder: hidden temp files, and checkpoint
// weights without their sidecar.
func runLeftovers(dir string) []string {
	var left []string
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	grids, _ := filepath.Glob(filepath.Join(dir, "samples", ".*"))
	for _, p := range append(hidden, grids...) {
		if filepath.Base(p) != ".lock" { // the run's lock file (it stays)
			left = append(left, p)
		}
	}
	weights, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.safetensors"))
	for _, w := range weights {
		if _, err := os.Stat(strings.TrimSuffix(w, ".safetensors") + ".json"); err != nil {
			left = append(left, w)
		}
	}
	for i := range left {
		left[i] = filepath.Base(left[i])
	}
	return left
}

func checkpointRows(t *testing.T, lib string) []string {
	db := openRaw(t, lib)
	defer db.Close()
	return queryStrings(t, db, `SELECT path FROM checkpoints`)
}

// lossCurve maps the run's logged steps to their losses (as text, exactly).
func lossCurve(t *testing.T, lib string) map[int]string {
	db := openRaw(t, lib)
	defer db.Close()
	rows, err := db.Query(`SELECT step, quote(g_adv) || ' ' || quote(g_cls) || ' ' || quote(g_rec) || ' ' || quote(d_adv) || ' ' || quote(d_cls) FROM run_metrics`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var step int
		var l string
		rows.Scan(&step, &l)
		out[step] = l
	}
	return out
}

func scenarioTrain(h *harness, t *testing.T, sc *stats) {
	rng := h.rng("train")
	cleanLib := h.trainedLibrary(t)
	ref := checkLibrary(t, cleanLib)
	h.mu.Lock()
	wantSHA := h.fixtures["trained.sha"]
	span, _ := time.ParseDuration(h.fixtures["trained.took"])
	h.mu.Unlock()
	sc.note("clean run of 24 steps (checkpoint and sample grid every step): %.1f s; kill moments in [0, %.1f s)", span.Seconds(), span.Seconds())
	for chain := 0; sc.kills < sc.want && chain < 4*sc.want; chain++ {
		lib := h.demoLibrary(t)
		resumeFrom := -1 // the step the next --resume must continue from (-1: unknown)
		resumedAt := map[int]bool{}
		for sc.kills < sc.want {
			args := []string{"train", "--library", lib, "--run", "r"}
			if runFolder(t, lib) != "" {
				args = append(args, "--resume")
			}
			d := delay(rng, span)
			r := h.cli(d, append(args, tinyTrain...)...)
			evs := trainEvents(r.stdout)
			resumedAt[max(resumeFrom, 0)] = true
			for _, e := range evs {
				if e.Event == "step" {
					if resumeFrom >= 0 && e.Step != resumeFrom+1 {
						t.Errorf("--resume continued at step %d, the latest complete checkpoint is step %d", e.Step, resumeFrom)
					}
					break
				}
			}
			if !r.killed {
				if r.code != 0 {
					t.Fatalf("train after %d kills: %v", sc.kills, r)
				}
				sc.finished++
				break
			}
			sc.kills++
			checkLibrary(t, lib)
			dir := runFolder(t, lib)
			resumeFrom = -1
			if dir != "" {
				resumeFrom = 0
				side, damaged, err := gan.LatestCheckpoint(dir)
				if len(damaged) > 0 {
					t.Errorf("a kill left a damaged checkpoint: %v", damaged)
				}
				if err == nil {
					if _, err := gan.LoadModel(dir); err != nil {
						t.Errorf("the latest complete checkpoint (step %d) does not load: %v", side.Step, err)
					}
					resumeFrom = side.Step
				}
				if len(runLeftovers(dir)) > 0 {
					sc.leftovers++
				}
			}
			failAt(t, "train", sc.kills, d)
		}
		resumedAt[max(resumeFrom, 0)] = true
		r := h.mustCLI(t, append([]string{"train", "--library", lib, "--run", "r", "--resume"}, tinyTrain...)...)
		evs := trainEvents(r.stdout)
		last := evs[len(evs)-1]
		if last.Event != "done" || last.Step != 24 {
			t.Fatalf("the resumed run ended with %+v", last)
		}
		if got := fileSHA(t, last.Checkpoint); got != wantSHA {
			t.Errorf("after kills and resumes the final weights differ from an uninterrupted run (%s vs %s)", got[:12], wantSHA[:12])
		}
		info := checkLibrary(t, lib)
		if info.runs != 1 || info.checkpoints != ref.checkpoints {
			t.Errorf("after kills: %d runs, %d checkpoint rows; uninterrupted: %d, %d", info.runs, info.checkpoints, ref.runs, ref.checkpoints)
		}
		if left := runLeftovers(runFolder(t, lib)); len(left) > 0 {
			t.Errorf("the finished run's folder still holds leftovers of killed saves: %v", left)
		}
		for _, path := range checkpointRows(t, lib) {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the catalog lists checkpoint %s, which is gone", filepath.Base(path))
			}
		}
		// The loss curve has every point of the uninterrupted run's, with the same values (resume is
		// exact), plus the first step of each resume, which is always logged.
		got, want := lossCurve(t, lib), lossCurve(t, cleanLib)
		for step, l := range want {
			if got[step] != l {
				t.Errorf("loss curve at step %d: %q after kills, %q uninterrupted", step, got[step], l)
			}
		}
		for step := range got {
			if _, ok := want[step]; !ok && !resumedAt[step-1] {
				t.Errorf("loss curve has an extra point at step %d", step)
			}
		}
		failAt(t, "train re-run", sc.kills, 0)
	}
}

// ---- (d) batch export: `export` and `stylize --out` ----

func scenarioExport(h *harness, t *testing.T, sc *stats) {
	rng := h.rng("export")
	lib := h.demoLibrary(t)
	formats := []string{"imagefolder", "csv"}
	args := func(format, out string) []string {
		return []string{"export", "--library", lib, "--format", format, "--out", out, "--force", "--json"}
	}
	ref := map[string]map[string]string{}
	var span time.Duration
	for _, f := range formats {
		out := h.dir(t, "export-clean")
		r := h.mustCLI(t, args(f, out)...)
		span = max(span, r.took)
		ref[f], _ = hashTree(t, out)
	}
	objects := checkLibrary(t, lib).objects
	sc.note("clean export: %.1f s (%d files imagefolder, %d csv); kill moments in [0, %.1f s)",
		span.Seconds(), len(ref["imagefolder"]), len(ref["csv"]), span.Seconds())
	for chain := 0; sc.kills < sc.want && chain < 4*sc.want; chain++ {
		format := formats[chain%2]
		out := h.dir(t, "export")
		for sc.kills < sc.want {
			d := delay(rng, span)
			r := h.cli(d, args(format, out)...)
			if !r.killed {
				if r.code != 0 {
					t.Fatalf("export: %v", r)
				}
				sc.finished++
				break
			}
			sc.kills++
			checkLibrary(t, lib)
			files, temps := hashTree(t, out)
			if len(temps) > 0 {
				sc.leftovers++
			}
			for rel, sum := range files {
				if want, ok := ref[format][rel]; !ok || (want != sum && !objects[sum]) {
					t.Errorf("export/%s after a kill: not a complete file of the export", rel)
				}
			}
			failAt(t, "export "+format, sc.kills, d)
		}
		r := h.mustCLI(t, args(format, out)...)
		var res struct{ Leftover int }
		json.Unmarshal([]byte(r.stdout), &res)
		files, temps := hashTree(t, out)
		if d := sameMap(files, ref[format]); d != "" {
			t.Errorf("the re-run export differs from a clean one: %s", d)
		}
		if len(temps) > 0 || res.Leftover > 0 {
			t.Errorf("the re-run export left %d stray files (reported leftover %d): %v", len(temps), res.Leftover, temps)
		}
		failAt(t, "export re-run "+format, sc.kills, 0)
	}
}

func scenarioStylize(h *harness, t *testing.T, sc *stats) {
	rng := h.rng("stylize")
	args := func(lib, out string) []string {
		return []string{"stylize", "--library", lib, "--run", "r", "--style", "neon", "--out", out, "--json"}
	}
	cleanLib := h.trainedLibrary(t)
	cleanOut := h.dir(t, "stylize-clean")
	r := h.mustCLI(t, args(cleanLib, cleanOut)...)
	span := r.took
	ref := checkLibrary(t, cleanLib)
	refFiles, _ := hashTree(t, cleanOut)
	if ref.variants == 0 || len(refFiles) != ref.variants {
		t.Fatalf("clean stylize: %d variants, %d files", ref.variants, len(refFiles))
	}
	sc.note("clean stylize of %d products: %.1f s; kill moments in [0, %.1f s)", ref.variants, span.Seconds(), span.Seconds())
	for chain := 0; sc.kills < sc.want && chain < 4*sc.want; chain++ {
		lib := h.trainedLibrary(t)
		out := h.dir(t, "stylize")
		for sc.kills < sc.want {
			d := delay(rng, span)
			r := h.cli(d, args(lib, out)...)
			if !r.killed {
				if r.code != 0 {
					t.Fatalf("stylize: %v", r)
				}
				sc.finished++
				break
			}
			sc.kills++
			info := checkLibrary(t, lib)
			files, temps := hashTree(t, out)
			if len(temps) > 0 || info.tmpObjects > 0 {
				sc.leftovers++
			}
			for rel, sum := range files {
				if refFiles[rel] != sum {
					t.Errorf("stylize/%s after a kill: not the complete picture", rel)
				}
			}
			failAt(t, "stylize", sc.kills, d)
		}
		h.mustCLI(t, args(lib, out)...)
		info := checkLibrary(t, lib)
		files, temps := hashTree(t, out)
		if d := sameMap(files, refFiles); d != "" || info.variants != ref.variants {
			t.Errorf("the re-run stylize differs from a clean one: %d variants (want %d); files: %s", info.variants, ref.variants, d)
		}
		if len(temps) > 0 {
			t.Errorf("stray temp files after the re-run: %v", temps)
		}
		failAt(t, "stylize re-run", sc.kills, 0)
	}
}

// ---- (e) simulation logging ----

func scenarioSimulate(h *harness, t *testing.T, sc *stats) {
	rng := h.rng("simulate")
	args := func(lib string) []string {
		return []string{"simulate", "--library", lib, "--users", "2000", "--steps", "20", "--policy", "random", "--seed", "3", "--log", "--json"}
	}
	clean := h.demoLibrary(t)
	r := h.mustCLI(t, args(clean)...)
	span := r.took
	ref := checkLibrary(t, clean)
	if ref.interactions == 0 {
		t.Fatalf("simulate --log stored nothing")
	}
	sc.note("clean simulate --log: %d impressions of %d shoppers in %.1f s; kill moments in [0, %.1f s)",
		ref.interactions, ref.simUsers, span.Seconds(), span.Seconds())
	for chain := 0; sc.kills < sc.want && chain < 4*sc.want; chain++ {
		lib := h.demoLibrary(t)
		for sc.kills < sc.want {
			d := delay(rng, span)
			r := h.cli(d, args(lib)...)
			if !r.killed {
				if r.code != 0 {
					t.Fatalf("simulate: %v", r)
				}
				sc.finished++
				break
			}
			sc.kills++
			info := checkLibrary(t, lib)
			if info.interactions > ref.interactions {
				t.Errorf("%d impressions stored after a kill; a whole run stores %d", info.interactions, ref.interactions)
			}
			failAt(t, "simulate --log", sc.kills, d)
		}
		h.mustCLI(t, args(lib)...)
		info := checkLibrary(t, lib)
		if info.interactions != ref.interactions || info.simUsers != ref.simUsers {
			t.Errorf("after kills and a re-run: %d impressions of %d shoppers stored; a clean run stores %d of %d",
				info.interactions, info.simUsers, ref.interactions, ref.simUsers)
		}
		failAt(t, "simulate re-run", sc.kills, 0)
	}
}
