package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestFeedVariantsNewestRunPerStyle(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustAdd(t, db, testRecord(1, 64, "A", "a", "tops", "boho"))
	mustAdd(t, db, testRecord(2, 64, "B", "b", "tops", "luxe"))
	if vs, err := db.FeedVariants(ctx); err != nil || len(vs) != 0 {
		t.Fatalf("empty catalog: variants %v, %v", vs, err)
	}
	ids, err := db.ProductIDs(ctx, ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	boho, _ := db.StyleByName(ctx, "boho")
	luxe, _ := db.StyleByName(ctx, "luxe")
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.sql.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO training_runs (id, name, created_at) VALUES (1, 'r1', 'x'), (2, 'r2', 'x')`)
	hash := func(c byte) string { return fmt.Sprintf("%064x", c) }
	exec(`INSERT INTO variants (id, product_id, style_id, run_id, image_hash, created_at) VALUES
		(10, ?, ?, 1, ?, 'x'), (11, ?, ?, 2, ?, 'x'), (12, ?, ?, 1, ?, 'x')`,
		ids[0], luxe.ID, hash(1), ids[0], luxe.ID, hash(2), ids[1], boho.ID, hash(3))
	vs, err := db.FeedVariants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []FeedVariant{
		{ID: 11, ProductID: ids[0], StyleID: luxe.ID, Style: "luxe", RunID: 2, ImageHash: hash(2)},
		{ID: 12, ProductID: ids[1], StyleID: boho.ID, Style: "boho", RunID: 1, ImageHash: hash(3)},
	}
	if fmt.Sprint(vs) != fmt.Sprint(want) {
		t.Fatalf("variants\n got %+v\nwant %+v", vs, want)
	}
	// The active run wins over a newer one where it made a variant.
	if err := db.SetActiveRun(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if vs, err = db.FeedVariants(ctx); err != nil || len(vs) != 2 || vs[0].RunID != 1 || vs[0].ImageHash != hash(1) {
		t.Fatalf("with run 1 active: %+v, %v", vs, err)
	}
}

func TestSimUsersAndInteractionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustAdd(t, db, testRecord(1, 64, "A", "a", "tops", ""))
	ids, err := db.ProductIDs(ctx, ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSimUsers(ctx, 0, 1, nil); err == nil {
		t.Fatal("AddSimUsers(0) succeeded")
	}
	first, err := db.AddSimUsers(ctx, 3, 7, func(i int) string { return fmt.Sprintf(`{"index":%d}`, i) })
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.AddSimUsers(ctx, 2, ^uint64(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if second != first+3 {
		t.Fatalf("second run starts at %d, want %d (consecutive ids)", second, first+3)
	}
	rows := []Interaction{
		{UserID: second + 1, ProductID: ids[0], Step: 0, Position: 1, Policy: "ranker"},
		{UserID: first, ProductID: ids[0], Step: 1, Position: 0, Clicked: true, Policy: "random"},
		{UserID: first, ProductID: ids[0], Step: 0, Position: 0, Policy: "random"},
		{UserID: first, ProductID: ids[0], Step: 0, Position: 0, Policy: "oracle", Clicked: true},
	}
	if err := db.AddInteractions(ctx, rows); err != nil {
		t.Fatal(err)
	}
	c, err := db.CountInteractions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The oracle's impression (older catalogs logged them) is no data for a ranker: not counted, not read.
	if c != (InteractionCounts{Impressions: 3, Clicks: 1, Users: 2}) {
		t.Fatalf("counts %+v", c)
	}
	var got []Interaction
	collect := func(r Interaction) error { got = append(got, r); return nil }
	if err := db.Interactions(ctx, 0, collect); err != nil {
		t.Fatal(err)
	}
	want := []Interaction{rows[2], rows[1], rows[0]} // by user, policy, step, position; not the oracle's
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("interactions\n got %+v\nwant %+v", got, want)
	}
	got = nil
	if err := db.Interactions(ctx, 1, collect); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != rows[0] {
		t.Fatalf("limit 1 (newest shopper): %+v", got)
	}
	// A missing product fails the whole batch; nothing of it is stored.
	bad := []Interaction{{UserID: first, ProductID: ids[0]}, {UserID: first, ProductID: 9999}}
	if err := db.AddInteractions(ctx, bad); err == nil {
		t.Fatal("interaction of a missing product was stored")
	}
	if c2, _ := db.CountInteractions(ctx); c2 != c {
		t.Fatalf("a failed batch changed the counts: %+v", c2)
	}
	stop := errors.New("stop")
	if err := db.Interactions(ctx, 0, func(Interaction) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error not returned: %v", err)
	}
	n, err := db.DeleteInteractions(ctx)
	if err != nil || n != 4 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	if c, _ := db.CountInteractions(ctx); c != (InteractionCounts{}) {
		t.Fatalf("after delete: %+v", c)
	}
}

// A logged simulation run repeated with the same seed replaces its impressions under its policies;
// other seeds, other policies and people's own rows stay.
func TestDeleteSimLogsReplacesOnlyThatSeedAndPolicy(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustAdd(t, db, testRecord(1, 64, "A", "a", "tops", ""))
	ids, err := db.ProductIDs(ctx, ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	logRun := func(seed uint64, users int, policies ...string) {
		t.Helper()
		first, err := db.AddSimUsers(ctx, users, seed, func(i int) string { return fmt.Sprintf(`{"run_seed":%d,"index":%d}`, seed, i) })
		if err != nil {
			t.Fatal(err)
		}
		var rows []Interaction
		for u := range users {
			for _, p := range policies {
				rows = append(rows, Interaction{UserID: first + int64(u), ProductID: ids[0], Policy: p})
			}
		}
		if err := db.AddInteractions(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	human, err := db.AddSimUsers(ctx, 1, 7, func(int) string { return `{"human":true}` })
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddInteractions(ctx, []Interaction{{UserID: human, ProductID: ids[0], Policy: "ranker"}}); err != nil {
		t.Fatal(err)
	}
	logRun(7, 3, "random", "oracle")
	logRun(7, 3, "popular")
	logRun(8, 2, "random")
	n, err := db.DeleteSimLogs(ctx, 7, []string{"random", "oracle"})
	if err != nil || n != 6 {
		t.Fatalf("deleted %d, %v; want the 6 impressions of seed 7 under random and oracle", n, err)
	}
	c, err := db.CountInteractions(ctx)
	if err != nil || c.Impressions != 1+3+2 {
		t.Fatalf("left %+v, %v; want the person's, seed 7 popular and seed 8", c, err)
	}
	var users int
	db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sim_users`).Scan(&users)
	if users != 1+3+2 {
		t.Fatalf("%d shoppers left; the first seed-7 run's (now without impressions) should be gone", users)
	}
	if n, err := db.DeleteSimLogs(ctx, 9, []string{"random"}); err != nil || n != 0 {
		t.Fatalf("unknown seed: %d, %v", n, err)
	}
}
