package crashtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"stylestudio/internal/treecopy"
	"stylestudio/store"
)

// The CLI has no undo (undo and redo live in the app's Label screen, through store.DB), so the
// label-undo scenario drives store.DB's SetLabels, Undo and Redo from this test binary, re-executed as
// a helper process with CRASHTEST_HELPER=labels. It prints "ack K DIGEST" after operation K commits,
// DIGEST being labelDigest of the catalog at that moment: what a person saw happen on screen.

// helperMain runs a helper mode and returns the exit status.
func helperMain(mode string) int {
	if mode != "labels" {
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", mode)
		return 2
	}
	lib := os.Getenv("CRASHTEST_LIB")
	seed, _ := strconv.ParseUint(os.Getenv("CRASHTEST_OPSEED"), 10, 64)
	from, _ := strconv.Atoi(os.Getenv("CRASHTEST_FROM"))
	ops, _ := strconv.Atoi(os.Getenv("CRASHTEST_OPS"))
	if err := labelOps(lib, seed, from, ops); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

// helperT lets the helper use openRaw outside a test.
type helperT struct{ testing.TB }

func (helperT) Helper()                           {}
func (helperT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (helperT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// labelOps performs operations from..ops-1. Operation k draws from its own generator (seed, k), and
// which of undo/redo/label it is depends only on those draws and the undo state, so replaying from
// any committed state performs the same operations as an uninterrupted run.
func labelOps(lib string, seed uint64, from, ops int) error {
	ctx := context.Background()
	db, err := store.Open(ctx, lib)
	if err != nil {
		return err
	}
	defer db.Close()
	products, err := db.ProductIDs(ctx, store.ProductFilter{})
	if err != nil {
		return err
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		return err
	}
	slices.Sort(products)
	raw := openRaw(helperT{}, lib)
	defer raw.Close()
	out := bufio.NewWriter(os.Stdout)
	for k := from; k < ops; k++ {
		r := rand.New(rand.NewPCG(seed, uint64(k)))
		x := r.IntN(100)
		ids := make([]int64, 1+r.IntN(8))
		for i := range ids {
			ids[i] = products[r.IntN(len(products))]
		}
		var style int64
		if r.IntN(10) > 0 {
			style = styles[r.IntN(len(styles))].ID
		}
		canUndo, err := db.CanUndo(ctx)
		if err != nil {
			return err
		}
		canRedo, err := db.CanRedo(ctx)
		if err != nil {
			return err
		}
		switch {
		case x < 30 && canUndo:
			_, err = db.Undo(ctx)
		case x < 45 && canRedo:
			_, err = db.Redo(ctx)
		default:
			_, err = db.SetLabels(ctx, ids, style, "crashtest")
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("operation %d: %w", k, err)
		}
		d, err := labelDigest(raw)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "ack %d %s\n", k, d)
		out.Flush()
	}
	return nil
}

// acks parses a helper's output: the last acknowledged operation (-1: none).
func acks(out string) (last int) {
	last = -1
	for _, line := range strings.Split(out, "\n") {
		var k int
		var d string
		if n, _ := fmt.Sscanf(line, "ack %d %s", &k, &d); n == 2 {
			last = k
		}
	}
	return last
}

func scenarioLabelUndo(h *harness, t *testing.T, sc *stats) {
	rng := h.rng("label-undo")
	ops := 400
	env := func(lib string, from int) []string {
		return []string{helperEnv + "=labels", "CRASHTEST_LIB=" + lib, "CRASHTEST_OPSEED=" + strconv.FormatUint(h.seed, 10),
			"CRASHTEST_FROM=" + strconv.Itoa(from), "CRASHTEST_OPS=" + strconv.Itoa(ops)}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	base := h.demoLibrary(t)
	// The uninterrupted sequence: digests[k] is the state after k operations.
	clean := h.dir(t, "undo-clean")
	if err := treecopy.Copy(base, clean); err != nil {
		t.Fatal(err)
	}
	db := openRaw(t, clean)
	d0, err := labelDigest(db)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := h.start(-1, env(clean, 0), self, "-test.run=^$")
	if r.code != 0 {
		t.Fatalf("helper: %v", r)
	}
	digests := []string{d0}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		digests = append(digests, strings.Fields(line)[2])
	}
	if len(digests) != ops+1 {
		t.Fatalf("helper acknowledged %d of %d operations", len(digests)-1, ops)
	}
	span := r.took
	sc.note("%d label/undo/redo operations through store.DB in a helper process: %.1f s; kill moments in [0, %.1f s)", ops, span.Seconds(), span.Seconds())

	inFlight := 0 // kills after an operation committed but before its acknowledgement was printed
	defer func() { sc.note("%d kills fell between an operation's commit and its acknowledgement", inFlight) }()
	for chain := 0; sc.kills < sc.want && chain < 4*sc.want; chain++ {
		lib := h.dir(t, "undo")
		if err := treecopy.Copy(base, lib); err != nil {
			t.Fatal(err)
		}
		next := 0 // the first operation not yet in the catalog
		for sc.kills < sc.want && next < ops {
			d := delay(rng, span)
			r := h.start(d, env(lib, next), self, "-test.run=^$")
			last := acks(r.stdout)
			if !r.killed {
				if r.code != 0 {
					t.Fatalf("helper from %d: %v", next, r)
				}
				sc.finished++
				next = ops
				break
			}
			sc.kills++
			checkLibrary(t, lib)
			db := openRaw(t, lib)
			got, err := labelDigest(db)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			// Acknowledged operations are all there; the one in flight is all there or not at all.
			acked := max(last+1, next)
			switch {
			case acked+1 <= ops && got == digests[acked+1]:
				next = acked + 1
				inFlight++
			case got == digests[acked]:
				next = acked
			default:
				t.Errorf("after operation %d was acknowledged the catalog is in none of the states an uninterrupted run passes (%s)", last, got)
			}
			failAt(t, "label-undo", sc.kills, d)
		}
		r := h.start(-1, env(lib, next), self, "-test.run=^$")
		if r.code != 0 {
			t.Fatalf("helper re-run from %d: %v", next, r)
		}
		db := openRaw(t, lib)
		got, _ := labelDigest(db)
		db.Close()
		if got != digests[ops] {
			t.Errorf("after kills and re-runs the labels and undo history differ from an uninterrupted run")
		}
		failAt(t, "label-undo re-run", sc.kills, 0)
	}
}
