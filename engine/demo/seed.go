package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"stylestudio/engine/ingest"
)

// Sink is where seeded items go: the catalog, which also needs the demo's styles with their colours and keys.
type Sink interface {
	ingest.Sink
	// EnsureStyle creates the style if no style of that name exists; an existing one is left unchanged.
	EnsureStyle(ctx context.Context, name, color, key string) error
}

// Seed renders items on all cores and adds them to sink in item order (so product ids are reproducible),
// reporting progress at most ~30 times a second and once at the end. Items whose image is already stored
// are counted as duplicates, so seeding twice is a no-op.
func Seed(ctx context.Context, sink Sink, items []Item, progress func(ingest.Progress)) (ingest.Summary, error) {
	for _, s := range Styles() {
		if err := sink.EnsureStyle(ctx, s.Name, s.Color, s.Key); err != nil {
			return ingest.Summary{}, fmt.Errorf("create demo style %q: %w", s.Name, err)
		}
	}
	sum := ingest.Summary{Total: len(items)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		index int
		rec   ingest.Record
		err   error
		sku   string
	}
	type job struct {
		index int
		item  Item
	}
	jobs := make(chan job)
	results := make(chan result)
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				rec, err := record(j.item)
				select {
				case results <- result{index: j.index, rec: rec, err: err, sku: j.item.SKU}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i, it := range items {
			select {
			case jobs <- job{index: i, item: it}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var last time.Time
	done := 0
	report := func(final bool) {
		if progress == nil || (!final && time.Since(last) < 33*time.Millisecond) {
			return
		}
		last = time.Now()
		progress(ingest.Progress{Done: done, Total: len(items), Imported: sum.Imported, Duplicates: sum.Duplicates, Failed: len(sum.Failures)})
	}
	// Results arrive in any order; hold early ones until their turn.
	waiting := map[int]result{}
	next := 0
	add := func(r result) {
		done++
		if r.err == nil {
			var created bool
			created, r.err = sink.AddRecord(ctx, r.rec)
			if r.err == nil && created {
				sum.Imported++
			} else if r.err == nil {
				sum.Duplicates++
			}
		}
		if r.err != nil && ctx.Err() == nil {
			sum.Failures = append(sum.Failures, ingest.Failure{Path: "demo:" + r.sku, Reason: r.err.Error()})
		}
		report(false)
	}
	for r := range results {
		if ctx.Err() != nil {
			break
		}
		waiting[r.index] = r
		for {
			r, ok := waiting[next]
			if !ok {
				break
			}
			delete(waiting, next)
			next++
			add(r)
		}
	}
	report(true)
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	return sum, nil
}

// record renders one item and wraps it as a catalog record; the demo's ground truth travels with it.
func record(it Item) (ingest.Record, error) {
	img, err := Render(it.Params, it.Style, DefaultSize)
	if err != nil {
		return ingest.Record{}, err
	}
	job := ingest.Job{SKU: it.SKU, Title: it.Title, Category: it.Category, PriceCents: it.PriceCents}
	if it.Labeled {
		job.Style, job.LabelSource = it.Style, "demo"
	}
	rec, err := ingest.RecordFromImage(img, job)
	if err != nil {
		return ingest.Record{}, err
	}
	rec.Image.Source = "demo:" + it.SKU
	if rec.DemoParams, err = json.Marshal(it.Params); err != nil {
		return ingest.Record{}, err
	}
	rec.DemoStyle = it.Style
	return rec, nil
}
