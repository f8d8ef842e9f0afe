package demo

import (
	"context"
	"errors"
	"sync"
	"testing"

	"stylestudio/engine/ingest"
)

// memorySink records what Seed adds, in order.
type memorySink struct {
	mu     sync.Mutex
	styles []string
	skus   []string
	hashes map[string]bool
	labels map[string]string
	truth  map[string]string
}

func newMemorySink() *memorySink {
	return &memorySink{hashes: map[string]bool{}, labels: map[string]string{}, truth: map[string]string{}}
}

func (m *memorySink) EnsureStyle(_ context.Context, name, _, _ string) error {
	m.styles = append(m.styles, name)
	return nil
}

func (m *memorySink) HasImage(_ context.Context, hash string) (bool, error) {
	return m.hashes[hash], nil
}

func (m *memorySink) AddRecord(_ context.Context, r ingest.Record) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hashes[r.Image.Hash] {
		return false, nil
	}
	m.hashes[r.Image.Hash] = true
	m.skus = append(m.skus, r.SKU)
	m.labels[r.SKU] = r.Style
	m.truth[r.SKU] = r.DemoStyle
	return true, nil
}

func TestSeedAddsItemsInOrderWithLabelsAndTruth(t *testing.T) {
	items := Catalog(30, 3)
	sink := newMemorySink()
	var last ingest.Progress
	sum, err := Seed(context.Background(), sink, items, func(p ingest.Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 30 || len(sum.Failures) != 0 || last.Done != 30 || last.Total != 30 {
		t.Fatalf("summary %+v, last progress %+v", sum, last)
	}
	if len(sink.styles) != len(Styles()) {
		t.Errorf("styles created: %v", sink.styles)
	}
	for i, it := range items {
		if sink.skus[i] != it.SKU {
			t.Fatalf("item %d added as %s, want %s (order must follow the catalog)", i, sink.skus[i], it.SKU)
		}
		if sink.truth[it.SKU] != it.Style {
			t.Errorf("%s: ground truth %q, want %q", it.SKU, sink.truth[it.SKU], it.Style)
		}
		wantLabel := ""
		if it.Labeled {
			wantLabel = it.Style
		}
		if sink.labels[it.SKU] != wantLabel {
			t.Errorf("%s: label %q, want %q (unlabeled items must not leak their style)", it.SKU, sink.labels[it.SKU], wantLabel)
		}
	}
	// Seeding again adds nothing.
	sum, err = Seed(context.Background(), sink, items, nil)
	if err != nil || sum.Imported != 0 || sum.Duplicates != 30 {
		t.Fatalf("second seed: %+v, %v", sum, err)
	}
}

func TestSeedStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Seed(ctx, newMemorySink(), Catalog(50, 1), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}
