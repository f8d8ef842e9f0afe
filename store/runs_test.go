package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

// tickClock makes db.now advance one second per call, so stored times are distinct and ordered.
func tickClock(db *DB) {
	t := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	db.now = func() time.Time { t = t.Add(time.Second); return t }
}

func mustRun(t testing.TB, db *DB, name string) Run {
	t.Helper()
	r, err := db.CreateRun(context.Background(), name, `{"steps":100}`)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCreateRenameAndListRuns(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	tickClock(db)

	a, err := db.CreateRun(ctx, "  alpha ", `{"lr":0.0002}`)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.Name != "alpha" || a.ConfigJSON != `{"lr":0.0002}` || a.Status != RunPending ||
		a.CreatedAt.IsZero() || !a.UpdatedAt.Equal(a.CreatedAt) || !a.StartedAt.IsZero() || !a.FinishedAt.IsZero() ||
		a.MetricsJSON != "" || a.StepsDone != 0 || a.Duration != 0 || a.Active {
		t.Fatalf("new run %+v", a)
	}
	if _, err := db.CreateRun(ctx, "alpha", ""); !errors.Is(err, ErrRunExists) || !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate name: %v, want ErrRunExists (and ErrDuplicate)", err)
	}
	if _, err := db.CreateRun(ctx, "  ", ""); err == nil {
		t.Fatal("empty name accepted")
	}
	if _, err := db.CreateRun(ctx, "bad", "{nope"); err == nil {
		t.Fatal("invalid config JSON accepted")
	}
	b, err := db.CreateRun(ctx, "beta", "")
	if err != nil || b.ConfigJSON != "{}" {
		t.Fatalf("empty config: %+v, %v", b, err)
	}
	c := mustRun(t, db, "gamma")

	runs, err := db.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range runs {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"gamma", "beta", "alpha"}) {
		t.Fatalf("runs newest first: %v", names)
	}
	if got, err := db.RunByName(ctx, " beta"); err != nil || got != b {
		t.Fatalf("RunByName: %+v, %v; want %+v", got, err, b)
	}
	if _, err := db.RunByName(ctx, "Beta"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RunByName is exact: %v", err)
	}
	if got, err := db.Run(ctx, c.ID); err != nil || got != c {
		t.Fatalf("Run: %+v, %v", got, err)
	}
	if _, err := db.Run(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown run: %v", err)
	}

	if err := db.RenameRun(ctx, a.ID, "beta"); !errors.Is(err, ErrRunExists) {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	if err := db.RenameRun(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename unknown: %v", err)
	}
	if err := db.RenameRun(ctx, a.ID, ""); err == nil {
		t.Fatal("rename to empty accepted")
	}
	if err := db.RenameRun(ctx, a.ID, "alpha"); err != nil { // its own name
		t.Fatal(err)
	}
	if err := db.RenameRun(ctx, a.ID, "delta"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunNotes(ctx, a.ID, "lower lr"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunNotes(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("notes of unknown run: %v", err)
	}
	got, err := db.RunByName(ctx, "delta")
	if err != nil || got.ID != a.ID || got.Notes != "lower lr" || !got.UpdatedAt.After(a.UpdatedAt) ||
		!got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("renamed run %+v, %v", got, err)
	}
	if _, err := db.RunByName(ctx, "alpha"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name still found: %v", err)
	}
	if _, err := db.CreateRun(ctx, "alpha", ""); err != nil { // the old name is free again
		t.Fatal(err)
	}
}

func TestRunStatusTimesAndMetrics(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	tickClock(db)
	r := mustRun(t, db, "r")
	get := func() Run {
		t.Helper()
		got, err := db.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	if err := db.SetRunStatus(ctx, r.ID, "exploded"); err == nil {
		t.Fatal("unknown status accepted")
	}
	if err := db.SetRunStatus(ctx, 999, RunRunning); !errors.Is(err, ErrNotFound) {
		t.Fatalf("status of unknown run: %v", err)
	}
	if err := db.SetRunStatus(ctx, r.ID, RunRunning); err != nil {
		t.Fatal(err)
	}
	started := get().StartedAt
	if started.IsZero() || get().Status != RunRunning {
		t.Fatalf("running: %+v", get())
	}
	if err := db.SetRunProgress(ctx, r.ID, 40, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunProgress(ctx, r.ID, -1, 0); err == nil {
		t.Fatal("negative steps accepted")
	}
	if err := db.SetRunStatus(ctx, r.ID, RunPaused); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunStatus(ctx, r.ID, RunRunning); err != nil {
		t.Fatal(err)
	}
	if g := get(); !g.StartedAt.Equal(started) || g.StepsDone != 40 || g.Duration != 90*time.Second || !g.FinishedAt.IsZero() {
		t.Fatalf("resumed: %+v (started %v)", g, started)
	}

	if err := db.FinishRun(ctx, r.ID, RunPaused, ""); err == nil {
		t.Fatal("FinishRun with a non-terminal status accepted")
	}
	if err := db.FinishRun(ctx, r.ID, RunFinished, "{bad"); err == nil {
		t.Fatal("FinishRun with invalid JSON accepted")
	}
	if err := db.FinishRun(ctx, r.ID, RunFinished, `{"fid":31.5}`); err != nil {
		t.Fatal(err)
	}
	g := get()
	if g.Status != RunFinished || g.FinishedAt.IsZero() || g.MetricsJSON != `{"fid":31.5}` || !g.FinishedAt.After(started) {
		t.Fatalf("finished: %+v", g)
	}
	// Finishing again without metrics keeps them.
	if err := db.FinishRun(ctx, r.ID, RunCancelled, ""); err != nil {
		t.Fatal(err)
	}
	if g := get(); g.Status != RunCancelled || g.MetricsJSON != `{"fid":31.5}` {
		t.Fatalf("cancelled: %+v", g)
	}
	// A failed run resumed is running again, with no finish time.
	if err := db.SetRunStatus(ctx, r.ID, RunFailed); err != nil {
		t.Fatal(err)
	}
	if g := get(); g.FinishedAt.IsZero() {
		t.Fatalf("failed without a finish time: %+v", g)
	}
	if err := db.SetRunStatus(ctx, r.ID, RunRunning); err != nil {
		t.Fatal(err)
	}
	if g := get(); !g.FinishedAt.IsZero() || !g.StartedAt.Equal(started) {
		t.Fatalf("resumed after failure: %+v", g)
	}

	if err := db.SetRunMetrics(ctx, r.ID, `[1,`); err == nil {
		t.Fatal("invalid metrics JSON accepted")
	}
	if err := db.SetRunMetrics(ctx, r.ID, `{"fid":20}`); err != nil {
		t.Fatal(err)
	}
	if g := get(); g.MetricsJSON != `{"fid":20}` {
		t.Fatalf("metrics %q", g.MetricsJSON)
	}
	if err := db.SetRunMetrics(ctx, r.ID, ""); err != nil {
		t.Fatal(err)
	}
	if g := get(); g.MetricsJSON != "" {
		t.Fatalf("cleared metrics %q", g.MetricsJSON)
	}
	if err := db.SetRunMetrics(ctx, 999, "{}"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("metrics of unknown run: %v", err)
	}
}

// sameMetrics compares metric rows treating NaN as equal to NaN.
func sameMetrics(a, b []MetricRow) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestRunMetricsOrderUpsertAndTrim(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := mustRun(t, db, "r")
	other := mustRun(t, db, "other")

	if err := db.AddRunMetrics(ctx, 999, []MetricRow{{Step: 1}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("metrics of unknown run: %v", err)
	}
	if err := db.AddRunMetrics(ctx, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	// 250 rows given newest first: two full statements and a remainder.
	var rows []MetricRow
	for i := 250; i >= 1; i-- {
		rows = append(rows, MetricRow{Step: i * 10, GAdv: float64(i), GCls: 0.5, GRec: 0.25, DAdv: -1, DCls: 2, ImagesPerS: 12.5})
	}
	rows[0].DCls = math.NaN()
	rows[1].GAdv = math.Inf(1)
	if err := db.AddRunMetrics(ctx, r.ID, rows); err != nil {
		t.Fatal(err)
	}
	if err := db.AddRunMetrics(ctx, other.ID, []MetricRow{{Step: 5, GAdv: 9}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.RunMetrics(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(rows)
	slices.Reverse(want)
	if !sameMetrics(got, want) {
		t.Fatalf("metrics not in step order or changed:\n got %v…\nwant %v…", got[len(got)-2:], want[len(want)-2:])
	}
	if !math.IsNaN(got[249].DCls) || !math.IsInf(got[248].GAdv, 1) {
		t.Fatalf("NaN/Inf: %+v %+v", got[248], got[249])
	}

	// A resumed run logs a step again: the row is replaced.
	if err := db.AddRunMetrics(ctx, r.ID, []MetricRow{{Step: 20, GAdv: 7}, {Step: 2505, GAdv: 8}}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.RunMetrics(ctx, r.ID)
	if len(got) != 251 || got[1] != (MetricRow{Step: 20, GAdv: 7}) || got[250].Step != 2505 {
		t.Fatalf("after upsert: %d rows, %+v, last %+v", len(got), got[1], got[250])
	}
	after, err := db.RunMetricsAfter(ctx, r.ID, 2490)
	if err != nil || len(after) != 2 || after[0].Step != 2500 || after[1].Step != 2505 {
		t.Fatalf("after 2490: %+v, %v", after, err)
	}
	n, err := db.TrimRunMetrics(ctx, r.ID, 100)
	if err != nil || n != 241 {
		t.Fatalf("trim: %d, %v", n, err)
	}
	if got, _ := db.RunMetrics(ctx, r.ID); len(got) != 10 || got[9].Step != 100 {
		t.Fatalf("after trim: %d rows", len(got))
	}
	if got, _ := db.RunMetrics(ctx, other.ID); len(got) != 1 || got[0].GAdv != 9 {
		t.Fatalf("other run's metrics: %+v", got)
	}
	if got, err := db.RunMetrics(ctx, 999); err != nil || len(got) != 0 {
		t.Fatalf("unknown run: %v, %v", got, err)
	}
}

func TestCheckpointsBestIsExclusive(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := mustRun(t, db, "r")
	other := mustRun(t, db, "other")
	best := func(runID int64) []int {
		t.Helper()
		cs, err := db.Checkpoints(ctx, runID)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, c := range cs {
			if c.IsBest {
				out = append(out, c.Step)
			}
		}
		return out
	}

	if _, err := db.AddCheckpoint(ctx, 999, 1, "x", "", false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("checkpoint of unknown run: %v", err)
	}
	if _, err := db.AddCheckpoint(ctx, r.ID, 1, "", "", false); err == nil {
		t.Fatal("empty path accepted")
	}
	if _, err := db.AddCheckpoint(ctx, r.ID, 1, "x", "{", false); err == nil {
		t.Fatal("invalid metrics JSON accepted")
	}
	if _, err := db.BestCheckpoint(ctx, r.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("best of a run without checkpoints: %v", err)
	}
	c, err := db.AddCheckpoint(ctx, r.ID, 200, "ck/200", `{"g":1}`, true)
	if err != nil || c.RunID != r.ID || c.Step != 200 || c.Path != "ck/200" || c.MetricsJSON != `{"g":1}` || !c.IsBest || c.CreatedAt.IsZero() {
		t.Fatalf("added %+v, %v", c, err)
	}
	if _, err := db.AddCheckpoint(ctx, other.ID, 50, "o/50", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddCheckpoint(ctx, r.ID, 100, "ck/100", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddCheckpoint(ctx, r.ID, 300, "ck/300", "", true); err != nil {
		t.Fatal(err)
	}
	if b := best(r.ID); !slices.Equal(b, []int{300}) {
		t.Fatalf("best steps %v, want [300]", b)
	}
	// Re-saving step 200 as best moves the flag back; the row is replaced, not duplicated.
	if _, err := db.AddCheckpoint(ctx, r.ID, 200, "ck/200b", "", true); err != nil {
		t.Fatal(err)
	}
	cs, err := db.Checkpoints(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, c := range cs {
		steps = append(steps, c.Step)
	}
	if !slices.Equal(steps, []int{100, 200, 300}) || cs[1].Path != "ck/200b" || cs[1].MetricsJSON != "" {
		t.Fatalf("checkpoints %+v", cs)
	}
	if b := best(r.ID); !slices.Equal(b, []int{200}) {
		t.Fatalf("best steps %v, want [200]", b)
	}
	if b, err := db.BestCheckpoint(ctx, r.ID); err != nil || b.Step != 200 {
		t.Fatalf("BestCheckpoint %+v, %v", b, err)
	}
	if b := best(other.ID); !slices.Equal(b, []int{50}) {
		t.Fatalf("another run's best changed: %v", b)
	}
	// The schema itself refuses a second best.
	if _, err := db.sql.ExecContext(ctx, `UPDATE checkpoints SET is_best = 1 WHERE run_id = ? AND step = 100`, r.ID); !isUnique(err) {
		t.Fatalf("second best row: %v, want a unique violation", err)
	}

	p, err := db.RemoveCheckpoint(ctx, r.ID, 200)
	if err != nil || p != "ck/200b" {
		t.Fatalf("remove: %q, %v", p, err)
	}
	if _, err := db.RemoveCheckpoint(ctx, r.ID, 200); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove again: %v", err)
	}
	if _, err := db.BestCheckpoint(ctx, r.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("best after removing it: %v", err)
	}
	if cs, _ := db.Checkpoints(ctx, r.ID); len(cs) != 2 {
		t.Fatalf("%d checkpoints left, want 2", len(cs))
	}
}

func TestActiveRunSwitching(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.ActiveRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("active run of an empty catalog: %v", err)
	}
	a := mustRun(t, db, "a")
	b := mustRun(t, db, "b")
	if _, err := db.ActiveRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("active run before any is set: %v", err)
	}
	if err := db.SetActiveRun(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ActiveRun(ctx); err != nil || got.ID != a.ID || !got.Active {
		t.Fatalf("active %+v, %v; want a", got, err)
	}
	if err := db.SetActiveRun(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SetActiveRun(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("activate unknown run: %v", err)
	}
	if got, err := db.ActiveRun(ctx); err != nil || got.ID != b.ID {
		t.Fatalf("active %+v, %v; want b", got, err)
	}
	runs, err := db.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Active != (r.ID == b.ID) {
			t.Errorf("run %s Active=%v", r.Name, r.Active)
		}
	}
	if got, _ := db.Run(ctx, a.ID); got.Active {
		t.Error("a still active")
	}
	if err := db.ClearActiveRun(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActiveRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after clear: %v", err)
	}
	if err := db.SetActiveRun(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteRun(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActiveRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after deleting the active run: %v", err)
	}
}

// hashOf stores data as an object and returns its hash.
func hashOf(t testing.TB, db *DB, data string) string {
	t.Helper()
	h, err := db.PutObject([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestVariantsUpsertAndLists(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustAdd(t, db, testRecord(1, 64, "A", "a", "tops", "boho"))
	mustAdd(t, db, testRecord(2, 64, "B", "b", "tops", "luxe"))
	ids, err := db.ProductIDs(ctx, ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := ids[0], ids[1]
	boho, _ := db.StyleByName(ctx, "boho")
	luxe, _ := db.StyleByName(ctx, "luxe")
	r1 := mustRun(t, db, "r1")
	r2 := mustRun(t, db, "r2")
	h1, h2 := hashOf(t, db, "one"), hashOf(t, db, "two")

	missing := fmt.Sprintf("%064x", 7)
	if _, err := db.PutVariant(ctx, p1, boho.ID, r1.ID, missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("variant of a missing object: %v", err)
	}
	if _, err := db.PutVariant(ctx, p1, boho.ID, r1.ID, "../etc"); err == nil {
		t.Fatal("invalid hash accepted")
	}
	for _, bad := range [][3]int64{{999, boho.ID, r1.ID}, {p1, 999, r1.ID}, {p1, boho.ID, 999}} {
		if _, err := db.PutVariant(ctx, bad[0], bad[1], bad[2], h1); !errors.Is(err, ErrNotFound) {
			t.Fatalf("variant %v: %v, want ErrNotFound", bad, err)
		}
	}
	if _, err := db.Variant(ctx, p1, boho.ID, r1.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no variant yet: %v", err)
	}

	v, err := db.PutVariant(ctx, p1, luxe.ID, r1.ID, h1)
	if err != nil || v.ID == 0 || v.ProductID != p1 || v.StyleID != luxe.ID || v.Style != "luxe" || v.RunID != r1.ID ||
		v.ImageHash != h1 || v.CreatedAt.IsZero() {
		t.Fatalf("put %+v, %v", v, err)
	}
	// An interaction that showed the variant keeps referring to it through the upsert.
	user, err := db.AddSimUsers(ctx, 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddInteractions(ctx, []Interaction{{UserID: user, ProductID: p1, VariantID: v.ID, Policy: "ranker"}}); err != nil {
		t.Fatal(err)
	}
	v2, err := db.PutVariant(ctx, p1, luxe.ID, r1.ID, h2)
	if err != nil || v2.ID != v.ID || v2.ImageHash != h2 {
		t.Fatalf("upsert %+v, %v; want id %d with the new hash", v2, err, v.ID)
	}
	if got, err := db.Variant(ctx, p1, luxe.ID, r1.ID); err != nil || got != v2 {
		t.Fatalf("Variant %+v, %v", got, err)
	}
	if n := count(t, db, `SELECT count(*) FROM variants`); n != 1 {
		t.Fatalf("%d variant rows after upsert, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM interactions WHERE variant_id = ?`, v.ID); n != 1 {
		t.Fatal("the upsert detached the interaction from its variant")
	}

	v3, err := db.PutVariantImage(ctx, p1, boho.ID, r1.ID, []byte("three"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := db.ReadObject(v3.ImageHash); err != nil || string(b) != "three" {
		t.Fatalf("variant image object %q, %v", b, err)
	}
	v4, err := db.PutVariant(ctx, p2, boho.ID, r1.ID, h1)
	if err != nil {
		t.Fatal(err)
	}
	v5, err := db.PutVariant(ctx, p1, boho.ID, r2.ID, h2)
	if err != nil {
		t.Fatal(err)
	}

	// Style display order: boho (added first) before luxe.
	if got, err := db.VariantsForRun(ctx, r1.ID); err != nil || !slices.Equal(got, []Variant{v3, v2, v4}) {
		t.Fatalf("VariantsForRun(r1)\n got %+v, %v\nwant %+v", got, err, []Variant{v3, v2, v4})
	}
	if got, err := db.VariantsForProduct(ctx, p1); err != nil || !slices.Equal(got, []Variant{v5, v3, v2}) {
		t.Fatalf("VariantsForProduct(p1)\n got %+v, %v\nwant %+v", got, err, []Variant{v5, v3, v2})
	}
	if v5.RunName != r2.Name || v3.RunName != r1.Name {
		t.Fatalf("variants name their runs %q and %q, want %q and %q", v5.RunName, v3.RunName, r2.Name, r1.Name)
	}
	if got, err := db.VariantsForRun(ctx, 999); err != nil || len(got) != 0 {
		t.Fatalf("unknown run: %v, %v", got, err)
	}
	if fv, err := db.FeedVariants(ctx); err != nil || len(fv) != 3 {
		t.Fatalf("the feed sees %d variants, %v; want 3", len(fv), err)
	}
}

func TestDeleteRunCascades(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustAdd(t, db, testRecord(1, 64, "A", "a", "tops", "boho"))
	ids, _ := db.ProductIDs(ctx, ProductFilter{})
	boho, _ := db.StyleByName(ctx, "boho")
	gone := mustRun(t, db, "gone")
	kept := mustRun(t, db, "kept")
	for _, r := range []Run{gone, kept} {
		if err := db.AddRunMetrics(ctx, r.ID, []MetricRow{{Step: 10}, {Step: 20}}); err != nil {
			t.Fatal(err)
		}
		for _, step := range []int{300, 100} {
			if _, err := db.AddCheckpoint(ctx, r.ID, step, fmt.Sprintf("%s/%d.safetensors", r.Name, step), "", step == 100); err != nil {
				t.Fatal(err)
			}
		}
	}
	v, err := db.PutVariantImage(ctx, ids[0], boho.ID, gone.ID, []byte("g"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutVariantImage(ctx, ids[0], boho.ID, kept.ID, []byte("k")); err != nil {
		t.Fatal(err)
	}
	user, _ := db.AddSimUsers(ctx, 1, 1, nil)
	if err := db.AddInteractions(ctx, []Interaction{{UserID: user, ProductID: ids[0], VariantID: v.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetActiveRun(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}

	paths, err := db.DeleteRun(ctx, gone.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(paths, []string{"gone/100.safetensors", "gone/300.safetensors"}) {
		t.Fatalf("paths %v", paths)
	}
	for _, table := range []string{"run_metrics", "checkpoints", "variants"} {
		if n := count(t, db, `SELECT count(*) FROM `+table+` WHERE run_id = ?`, gone.ID); n != 0 {
			t.Errorf("%s keeps %d rows of the deleted run", table, n)
		}
		if n := count(t, db, `SELECT count(*) FROM `+table+` WHERE run_id = ?`, kept.ID); n == 0 {
			t.Errorf("%s lost the other run's rows", table)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM interactions WHERE variant_id IS NULL`); n != 1 {
		t.Error("the interaction of a deleted variant was not kept without its variant")
	}
	if _, err := db.ActiveRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("active run after deleting it: %v", err)
	}
	if _, err := db.Run(ctx, gone.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted run still found: %v", err)
	}
	if _, err := db.DeleteRun(ctx, gone.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
	if p, err := db.DeleteRun(ctx, mustRun(t, db, "bare").ID); err != nil || len(p) != 0 {
		t.Errorf("run without checkpoints: %v, %v", p, err)
	}
}

func TestMigrationFromVersion2KeepsRuns(t *testing.T) {
	ctx := context.Background()
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	h := fmt.Sprintf("%064x", 1)
	dir := oldCatalog(t, 2,
		`INSERT INTO products (id, sku, created_at) VALUES (1, 'OLD-1', '2024-01-01T00:00:00.000000Z')`,
		`INSERT INTO styles (id, name, created_at) VALUES (1, 'Neon', '2024-01-01T00:00:00.000000Z')`,
		`INSERT INTO training_runs (id, name, config_json, status, created_at, notes, metrics_json)
			VALUES (1, 'old', '{"a":1}', 'finished', '2024-02-03T04:05:06.000000Z', 'n', '{"fid":3}')`,
		`INSERT INTO checkpoints (run_id, step, path, created_at, is_best) VALUES
			(1, 100, 'p100', 'x', 1), (1, 300, 'p300', 'x', 1), (1, 200, 'p200', 'x', 0)`,
		`INSERT INTO variants (product_id, style_id, run_id, image_hash, created_at) VALUES (1, 1, 1, '`+h+`', 'x')`)

	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := schemaVersion(ctx, db.sql); v != len(migs) || len(migs) < 3 {
		t.Errorf("schema version %d, want %d", v, len(migs))
	}
	r, err := db.RunByName(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	if r.ID != 1 || r.ConfigJSON != `{"a":1}` || r.Status != RunFinished || r.Notes != "n" || r.MetricsJSON != `{"fid":3}` ||
		!r.CreatedAt.Equal(created) || !r.UpdatedAt.Equal(created) || !r.StartedAt.IsZero() || !r.FinishedAt.IsZero() ||
		r.StepsDone != 0 || r.Active {
		t.Fatalf("migrated run %+v", r)
	}
	cs, err := db.Checkpoints(ctx, 1)
	if err != nil || len(cs) != 3 {
		t.Fatalf("checkpoints %+v, %v", cs, err)
	}
	if b, err := db.BestCheckpoint(ctx, 1); err != nil || b.Step != 300 || b.Path != "p300" {
		t.Fatalf("best after migration %+v, %v; want the latest best (300)", b, err)
	}
	vs, err := db.VariantsForRun(ctx, 1)
	if err != nil || len(vs) != 1 || vs[0].ImageHash != h || vs[0].Style != "Neon" {
		t.Fatalf("variants %+v, %v", vs, err)
	}
	if _, err := db.ActiveRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("active run after migration: %v", err)
	}
	// The migrated run takes the new features.
	if err := db.AddRunMetrics(ctx, 1, []MetricRow{{Step: 10, GAdv: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetActiveRun(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateRun(ctx, "old", ""); !errors.Is(err, ErrRunExists) {
		t.Fatalf("name of a migrated run: %v", err)
	}
}

// RestoreRun puts back a run's status, finish time, steps and training time from a snapshot.
func TestRestoreRunPutsTheSnapshotBack(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	r := mustRun(t, db, "r")
	if err := db.SetRunProgress(ctx, r.ID, 40, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, r.ID, RunFinished, ""); err != nil {
		t.Fatal(err)
	}
	before, err := db.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunStatus(ctx, r.ID, RunRunning); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunProgress(ctx, r.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.RestoreRun(ctx, before); err != nil {
		t.Fatal(err)
	}
	after, err := db.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != RunFinished || after.StepsDone != 40 || after.Duration != 90*time.Second || !after.FinishedAt.Equal(before.FinishedAt) {
		t.Fatalf("restored %+v, want %+v", after, before)
	}
	if err := db.RestoreRun(ctx, Run{ID: r.ID, Status: "bogus"}); err == nil {
		t.Error("an invalid snapshot was restored")
	}
}
