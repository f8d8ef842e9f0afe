package crashtest

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"stylestudio/internal/treecopy"
	"stylestudio/store"
)

// helperEnv selects a helper mode when the test binary re-executes itself (see helper_test.go).
const helperEnv = "CRASHTEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	os.Exit(m.Run())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envUint(name string, def uint64) uint64 {
	if v, err := strconv.ParseUint(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

// scenario is one kind of work that gets killed; weight is its share of the kill points.
type scenario struct {
	name   string
	weight int
	run    func(h *harness, t *testing.T, sc *stats)
}

// stats is what a scenario reports for the summary.
type stats struct {
	want, kills, finished int // kill points asked, processes actually killed, attempts that finished first
	leftovers             int // kills that left a temp file behind (the kill landed inside a file write)
	elapsed               time.Duration
	notes                 []string
}

func (s *stats) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

var scenarios = []scenario{
	{"import", 12, scenarioImport},
	{"label-csv", 8, scenarioLabelCSV},
	{"label-undo", 10, scenarioLabelUndo},
	{"train", 10, scenarioTrain},
	{"export", 7, scenarioExport},
	{"stylize", 6, scenarioStylize},
	{"simulate-log", 7, scenarioSimulate},
}

// TestCrash is the harness. It is skipped unless STYLESTUDIO_CRASHTEST=1 (see the package doc).
func TestCrash(t *testing.T) {
	if os.Getenv("STYLESTUDIO_CRASHTEST") == "" {
		t.Skip("crash-safety harness: set STYLESTUDIO_CRASHTEST=1 (or run `make crash`) to run it")
	}
	start := time.Now()
	h := newHarness(t)
	total := envInt("CRASHTEST_KILLS", 60)
	weights := 0
	for _, sc := range scenarios {
		weights += sc.weight
	}
	all := make([]*stats, len(scenarios))
	for i, sc := range scenarios {
		st := &stats{want: max(1, (total*sc.weight+weights/2)/weights)}
		all[i] = st
		t.Run(sc.name, func(t *testing.T) {
			began := time.Now()
			sc.run(h, t, st)
			st.elapsed = time.Since(began)
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "crash harness, seed %d, %d kill points asked:\n", h.seed, total)
	fmt.Fprintf(&b, "  %-13s %6s %6s %9s %10s %8s\n", "scenario", "asked", "kills", "finished", "mid-write", "seconds")
	kills := 0
	for i, sc := range scenarios {
		st := all[i]
		kills += st.kills
		fmt.Fprintf(&b, "  %-13s %6d %6d %9d %10d %8.1f\n", sc.name, st.want, st.kills, st.finished, st.leftovers, st.elapsed.Seconds())
		for _, n := range st.notes {
			fmt.Fprintf(&b, "      %s\n", n)
		}
	}
	fmt.Fprintf(&b, "  %d processes killed in all; %.1f s with setup", kills, time.Since(start).Seconds())
	t.Log(b.String())
	// A kill that never landed tests nothing: every scenario must have been killed as often as asked.
	for i, sc := range scenarios {
		if st := all[i]; st.kills < st.want {
			t.Errorf("scenario %s: %d of the %d kills asked for landed (%d attempts finished first)", sc.name, st.kills, st.want, st.finished)
		}
	}
}

// harness holds the built binary and shared fixtures.
type harness struct {
	bin  string
	work string
	seed uint64
	env  []string

	mu       sync.Mutex
	fixtures map[string]string
}

func newHarness(t *testing.T) *harness {
	h := &harness{seed: envUint("CRASHTEST_SEED", 1), fixtures: map[string]string{}}
	h.work = t.TempDir()
	if d := os.Getenv("CRASHTEST_DIR"); d != "" {
		w, err := os.MkdirTemp(d, "crashtest-")
		if err != nil {
			t.Fatalf("CRASHTEST_DIR: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(w) })
		h.work = w
	}
	tmp := filepath.Join(h.work, "tmp")
	os.MkdirAll(tmp, 0o755)
	// The children never touch the user's own library or data folder, and Fyne stays quiet.
	h.env = append(os.Environ(), "LANG=C.UTF-8", "LANGUAGE=en", "TMPDIR="+tmp, "XDG_DATA_HOME="+filepath.Join(h.work, "xdg"))
	h.bin = os.Getenv("STYLESTUDIO_BIN")
	if h.bin == "" {
		h.bin = filepath.Join(h.work, "stylestudio")
		args := []string{"build", "-o", h.bin}
		if tags := os.Getenv("CRASHTEST_TAGS"); tags != "" {
			args = append(args, "-tags", tags)
		}
		began := time.Now()
		out, err := exec.Command("go", append(args, "stylestudio/app")...).CombinedOutput()
		if err != nil {
			t.Fatalf("go build the binary: %v\n%s", err, out)
		}
		t.Logf("built %s in %.1f s", h.bin, time.Since(began).Seconds())
	} else if abs, err := filepath.Abs(h.bin); err == nil {
		h.bin = abs
	}
	return h
}

// rng is a scenario's own seeded generator, so one scenario replays alone (-run TestCrash/NAME).
func (h *harness) rng(name string) *rand.Rand {
	f := fnv.New64a()
	f.Write([]byte(name))
	return rand.New(rand.NewPCG(h.seed, f.Sum64()))
}

// dir makes a fresh folder under the work folder.
func (h *harness) dir(t *testing.T, name string) string {
	d, err := os.MkdirTemp(h.work, name+"-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// result is one run of a command.
type result struct {
	code           int
	killed         bool
	stdout, stderr string
	took           time.Duration
}

func (r result) String() string {
	if r.killed {
		return fmt.Sprintf("killed after %v", r.took.Round(time.Millisecond))
	}
	return fmt.Sprintf("exit %d after %v; stderr: %s", r.code, r.took.Round(time.Millisecond), strings.TrimSpace(r.stderr))
}

// start runs path with args and env, killing it with SIGKILL after delay (delay < 0: never).
func (h *harness) start(delay time.Duration, env []string, path string, args ...string) result {
	cmd := exec.Command(path, args...)
	cmd.Env = append(append([]string{}, h.env...), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return result{code: -1, stderr: err.Error()}
	}
	var timer *time.Timer
	if delay >= 0 {
		timer = time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	}
	err := cmd.Wait()
	if timer != nil {
		timer.Stop()
	}
	r := result{stdout: out.String(), stderr: errOut.String(), took: time.Since(began)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			r.killed = true
		}
	default:
		r.code, r.stderr = -1, err.Error()
	}
	return r
}

// cli runs the stylestudio binary (delay < 0: to completion).
func (h *harness) cli(delay time.Duration, args ...string) result {
	return h.start(delay, nil, h.bin, args...)
}

// mustCLI runs a command to completion and fails the test unless it exits 0.
func (h *harness) mustCLI(t *testing.T, args ...string) result {
	t.Helper()
	r := h.cli(-1, args...)
	if r.code != 0 || r.killed {
		t.Fatalf("stylestudio %s: %v\n%s", strings.Join(args, " "), r, r.stdout)
	}
	return r
}

// delay draws a kill moment uniformly in [0, span).
func delay(rng *rand.Rand, span time.Duration) time.Duration {
	if span <= 0 {
		return 0
	}
	return time.Duration(rng.Int64N(int64(span)))
}

// fixture builds a named library once (build makes it in the given folder) and returns a fresh copy.
func (h *harness) fixture(t *testing.T, name string, build func(dir string)) string {
	t.Helper()
	h.mu.Lock()
	src, ok := h.fixtures[name]
	h.mu.Unlock()
	if !ok {
		src = filepath.Join(h.work, "fixture-"+name)
		build(src)
		if t.Failed() {
			t.FailNow()
		}
		h.mu.Lock()
		h.fixtures[name] = src
		h.mu.Unlock()
	}
	dst := h.dir(t, name)
	if err := treecopy.Copy(src, dst); err != nil {
		t.Fatalf("copy fixture %s: %v", name, err)
	}
	return dst
}

// demoLibrary is a demo catalog of 160 products (6 styles, ~16 labeled each).
func (h *harness) demoLibrary(t *testing.T) string {
	return h.fixture(t, "demo160", func(dir string) {
		h.mustCLI(t, "demo", "--library", dir, "--products", "160", "--json")
	})
}

// openRaw opens a catalog directly through database/sql (not store.Open, which would migrate it).
// queryStrings runs a one-column query and returns its values in order.
func queryStrings(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func openRaw(t testing.TB, lib string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(lib, "catalog.db")+"?_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// libInfo is what checkLibrary found.
type libInfo struct {
	hasDB                                              bool
	products, images, variants, history, batches       int
	interactions, simUsers, checkpoints, metrics, runs int
	labels                                             map[string]string // SKU → style
	objects                                            map[string]bool   // hashes of object files
	tmpObjects                                         int               // hidden temp files in objects/
}

// checkLibrary checks a library as a restarted app would find it, failing t on any damage:
// PRAGMA integrity_check and foreign_key_check, every object file's SHA-256 equal to its name, every
// hash the images and variants tables reference present. It returns counts for further checks.
func checkLibrary(t testing.TB, lib string) libInfo {
	t.Helper()
	info := libInfo{labels: map[string]string{}, objects: map[string]bool{}}
	objDir := filepath.Join(lib, "objects")
	err := filepath.WalkDir(objDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == objDir {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(objDir, p)
		dir, base := filepath.Split(rel)
		if strings.HasPrefix(base, ".tmp-") {
			info.tmpObjects++
			return nil
		}
		name := strings.TrimSuffix(dir, string(filepath.Separator)) + base
		if !d.Type().IsRegular() || len(name) != 64 || len(dir) != 3 {
			t.Errorf("objects/%s: not a content-addressed object file", rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != name {
			t.Errorf("objects/%s: half-written or damaged: %d bytes whose SHA-256 is %x", rel, len(data), sum)
		}
		info.objects[name] = true
		return nil
	})
	if err != nil {
		t.Errorf("walk objects: %v", err)
	}
	if _, err := os.Stat(filepath.Join(lib, "catalog.db")); err != nil {
		if len(info.objects) > 0 {
			t.Errorf("%d objects but no catalog.db", len(info.objects))
		}
		return info
	}
	info.hasDB = true
	db := openRaw(t, lib)
	defer db.Close()
	if res := queryStrings(t, db, `PRAGMA integrity_check`); len(res) != 1 || res[0] != "ok" {
		t.Errorf("PRAGMA integrity_check: %v", res)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk int
		rows.Scan(&table, &rowid, &parent, &fk)
		t.Errorf("PRAGMA foreign_key_check: %s row %v refers to a missing %s row", table, rowid.Int64, parent)
	}
	rows.Close()
	// Killed while a new library's schema was being created: each migration is one transaction, so
	// the catalog holds an older but whole schema, and the next start runs the rest. (This once looked
	// for the second migration's table only, and a kill between the third and fourth failed the counts.)
	known, err := store.KnownSchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	var applied sql.NullInt64
	var hasTable int
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&hasTable)
	if hasTable > 0 {
		db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&applied)
	}
	if int(applied.Int64) < known {
		return info
	}
	count := func(dst *int, q string) {
		if err := db.QueryRow(q).Scan(dst); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	count(&info.products, `SELECT count(*) FROM products`)
	count(&info.images, `SELECT count(*) FROM images`)
	count(&info.variants, `SELECT count(*) FROM variants`)
	count(&info.history, `SELECT count(*) FROM label_history`)
	count(&info.batches, `SELECT count(*) FROM label_batches`)
	count(&info.interactions, `SELECT count(*) FROM interactions`)
	count(&info.simUsers, `SELECT count(*) FROM sim_users`)
	count(&info.checkpoints, `SELECT count(*) FROM checkpoints`)
	count(&info.metrics, `SELECT count(*) FROM run_metrics`)
	count(&info.runs, `SELECT count(*) FROM training_runs`)
	for _, h := range queryStrings(t, db, `SELECT hash FROM images UNION SELECT image_hash FROM variants`) {
		if !info.objects[h] {
			t.Errorf("the catalog refers to object %s, which is missing", h)
		}
	}
	rows, err = db.Query(`SELECT p.sku, s.name FROM labels l JOIN products p ON p.id = l.product_id JOIN styles s ON s.id = l.style_id`)
	if err != nil {
		t.Fatalf("labels: %v", err)
	}
	for rows.Next() {
		var sku, style string
		rows.Scan(&sku, &style)
		info.labels[sku] = style
	}
	rows.Close()
	return info
}

// labelDigest summarises the labels, the label history and the undo stack (everything but times), so
// two libraries with the same labeling state and undo/redo history have the same digest.
func labelDigest(db *sql.DB) (string, error) {
	h := sha256.New()
	for _, q := range []string{
		`SELECT product_id, style_id, 0, 0, 0, 0 FROM labels ORDER BY product_id`,
		`SELECT id, product_id, COALESCE(old_style_id, 0), COALESCE(new_style_id, 0), COALESCE(batch_id, 0), undone FROM label_history ORDER BY id`,
		`SELECT id, undoable, 0, 0, 0, state = 'done' FROM label_batches WHERE state <> 'discarded' ORDER BY id`,
		`SELECT id, 0, 0, 0, 0, 0 FROM label_batches WHERE state = 'discarded' ORDER BY id`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			return "", err
		}
		for rows.Next() {
			var v [6]int64
			if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
				rows.Close()
				return "", err
			}
			fmt.Fprintln(h, v)
		}
		rows.Close()
		fmt.Fprintln(h, "--")
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// hashTree maps every regular file under dir (slash paths) to its SHA-256; hidden temp files are
// returned separately.
func hashTree(t testing.TB, dir string) (files map[string]string, temps []string) {
	t.Helper()
	files = map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(d.Name(), ".") {
			temps = append(temps, rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
			return nil
		}
		sum := sha256.Sum256(data)
		files[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	sort.Strings(temps)
	return files, temps
}

// sameMap reports the first difference between two string maps ("" when equal).
func sameMap(got, want map[string]string) string {
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	diffs := 0
	var first string
	for _, k := range sorted {
		if got[k] != want[k] {
			if diffs == 0 {
				first = fmt.Sprintf("%q: got %q, want %q", k, got[k], want[k])
			}
			diffs++
		}
	}
	if diffs == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d entries differ (first %s)", diffs, len(sorted), first)
}
