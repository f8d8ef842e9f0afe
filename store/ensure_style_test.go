package store

import (
	"context"
	"testing"
)

func TestEnsureStyleKeepsExistingAndAvoidsTakenKeys(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddStyle(ctx, "Retro", "#112233", "1"); err != nil {
		t.Fatal(err)
	}
	// Same name, other case: unchanged.
	if err := db.EnsureStyle(ctx, "retro", "#ffffff", "5"); err != nil {
		t.Fatal(err)
	}
	// Key 1 is taken by Retro: the new style gets a free key instead of failing.
	if err := db.EnsureStyle(ctx, "neon", "#ff00ff", "1"); err != nil {
		t.Fatal(err)
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(styles) != 2 {
		t.Fatalf("want 2 styles, got %+v", styles)
	}
	if styles[0].Color != "#112233" || styles[0].Key != "1" {
		t.Errorf("existing style changed: %+v", styles[0])
	}
	if styles[1].Name != "neon" || styles[1].Key == "1" || styles[1].Key == "" || styles[1].Color != "#ff00ff" {
		t.Errorf("new style: %+v", styles[1])
	}
}
