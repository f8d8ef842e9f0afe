package studio

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"stylestudio/engine/dataset"
	"stylestudio/engine/gan"
	"stylestudio/engine/ingest"
	"stylestudio/store"
)

// groupLibrary imports root/<style>/item-<k>.png: the same items drawn in three styles.
func groupLibrary(t *testing.T, items int) *store.DB {
	t.Helper()
	root := groupFolders(t, items)
	return importFolders(t, openLibrary(t), root, true)
}

func openLibrary(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func importFolders(t *testing.T, db *store.DB, root string, fromFolders bool) *store.DB {
	t.Helper()
	ctx := context.Background()
	opts := ingest.Options{LabelsFromFolders: fromFolders, GroupsFromNames: fromFolders}
	jobs, _, err := ingest.Plan(ctx, []string{root}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, db, jobs, opts, nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func groupFolders(t *testing.T, items int) string {
	t.Helper()
	root := t.TempDir()
	styles := map[string]color.NRGBA{"red": {200, 30, 30, 255}, "green": {30, 160, 40, 255}, "blue": {30, 40, 200, 255}}
	for name, c := range styles {
		for k := range items {
			img := image.NewNRGBA(image.Rect(0, 0, 40, 40))
			for y := range 40 {
				for x := range 40 {
					v := c
					if (x/(2+k%5)+y/(2+k/5))%2 == 0 { // each item its own pattern
						v = color.NRGBA{255, 255, 255, 255}
					}
					img.SetNRGBA(x, y, v)
				}
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, name, fmt.Sprintf("item-%d.png", k))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// A catalog imported without groups gains them when the same folders are imported again with their
// labels from the folder names.
func TestReimportGivesTheGroups(t *testing.T) {
	ctx := context.Background()
	root := groupFolders(t, 4)
	db := importFolders(t, openLibrary(t), root, false)
	if rows, _ := db.LabeledProducts(ctx); len(rows) != 0 {
		t.Fatalf("%d labeled products before the second import", len(rows))
	}
	importFolders(t, db, root, true)
	rows, err := db.LabeledProducts(ctx)
	if err != nil || len(rows) != 12 {
		t.Fatalf("%d labeled products, %v; want 12", len(rows), err)
	}
	for _, p := range rows {
		if p.Group == "" {
			t.Errorf("%s (%s) has no group after the re-import", p.SKU, p.SourcePath)
		}
	}
}

// The GAN's training examples carry their group, so the paired loss finds their counterparts.
func TestGANDataKnowsTheItemsGroups(t *testing.T) {
	ctx := context.Background()
	db := groupLibrary(t, 15)
	data, _, err := GANData(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Train) == 0 {
		t.Fatal("no training examples")
	}
	groups := map[string]int{}
	for _, e := range data.Train {
		if e.Object == "" {
			t.Fatalf("a training example without its group")
		}
		groups[e.Object]++
	}
	// The library splits by item, so a training item brings all three of its drawings and a held-out
	// item none.
	labeled, err := db.LabeledProducts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	trainGroups := map[string]bool{}
	for _, p := range labeled {
		if p.Split == dataset.Train {
			trainGroups[p.Group] = true
		}
	}
	if len(groups) != len(trainGroups) || len(groups) < 10 || len(groups) == 15 {
		t.Errorf("%d groups among the training examples, want the %d training items of 15", len(groups), len(trainGroups))
	}
	for g, n := range groups {
		if n != 3 || !trainGroups[g] {
			t.Errorf("item %s: %d training examples (a training item: %v), want its 3 styles", g, n, trainGroups[g])
		}
	}
	kept, err := FilterGANStyles(data, []string{"red", "blue"})
	if err != nil || kept.Train[0].Object == "" {
		t.Errorf("the style filter dropped the groups: %v", err)
	}
}

// eval compares a held-out product's translation with its real counterpart only where the run never
// trained on that counterpart, and does not translate it at all into a style whose counterpart the run
// trained on.
func TestEvalCounterpartsAreOnlyWhatTheRunNeverSaw(t *testing.T) {
	ctx := context.Background()
	db := groupLibrary(t, 20)
	labeled, err := labeledWithSplits(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.CreateRun(ctx, "r", "")
	if err != nil {
		t.Fatal(err)
	}
	// The library holds a held-out item out in every style (its splits go by item), so a run on them
	// leaves nothing to skip. A run of a library split before groups were known trained on some
	// counterparts of held-out products: here, each held-out item's first drawing.
	var train []int64
	trained := map[int64]bool{}
	first := map[string]bool{}
	for _, p := range labeled {
		if p.Split == dataset.Train || !first[p.Group] {
			if p.Split != dataset.Train {
				first[p.Group] = true
			}
			train = append(train, p.ID)
			trained[p.ID] = true
		}
	}
	if err := db.AddRunTrainProducts(ctx, run.ID, train); err != nil {
		t.Fatal(err)
	}
	styles := []string{"blue", "green", "red"}
	{
		ix, err := runCounterparts(ctx, db, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		truths, skips := 0, 0
		for _, p := range labeled {
			if trained[p.ID] {
				continue
			}
			item := gan.EvalItem{}
			if err := ix.fill(ctx, db, p, styles, &item); err != nil {
				t.Fatal(err)
			}
			for k, s := range styles {
				if s == p.Style {
					if item.Truth[k] != nil || item.Skip[k] {
						t.Errorf("%s: its own style has a counterpart or is skipped", p.SKU)
					}
					continue
				}
				var q store.LabeledProduct
				for _, c := range labeled {
					if c.Group == p.Group && c.Style == s {
						q = c
					}
				}
				if item.Skip[k] != trained[q.ID] {
					t.Errorf("%s into %s (counterpart trained %v): skipped %v", p.SKU, s, trained[q.ID], item.Skip[k])
				}
				if (item.Truth[k] != nil) != !trained[q.ID] {
					t.Errorf("%s into %s (counterpart trained %v): truth given %v", p.SKU, s, trained[q.ID], item.Truth[k] != nil)
				}
				if item.Truth[k] != nil {
					truths++
					want, err := thumbImage(ctx, db, q.ImageHash)
					if err != nil {
						t.Fatal(err)
					}
					if !sameImage(item.Truth[k], want) {
						t.Errorf("%s into %s: the truth is not the counterpart's picture", p.SKU, s)
					}
				}
				if item.Skip[k] {
					skips++
				}
			}
		}
		if truths == 0 || skips == 0 {
			t.Errorf("%d truths, %d skipped translations: the catalog should give both", truths, skips)
		}
	}
	// A run on the library's own training split skips nothing: every counterpart of a held-out
	// product is held out too.
	own, err := db.CreateRun(ctx, "own", "")
	if err != nil {
		t.Fatal(err)
	}
	var ownTrain []int64
	for _, p := range labeled {
		if p.Split == dataset.Train {
			ownTrain = append(ownTrain, p.ID)
		}
	}
	if err := db.AddRunTrainProducts(ctx, own.ID, ownTrain); err != nil {
		t.Fatal(err)
	}
	ix, err := runCounterparts(ctx, db, own.ID)
	if err != nil {
		t.Fatal(err)
	}
	heldOut := 0
	for _, p := range labeled {
		if p.Split == dataset.Train {
			continue
		}
		heldOut++
		item := gan.EvalItem{}
		if err := ix.fill(ctx, db, p, styles, &item); err != nil {
			t.Fatal(err)
		}
		for k, s := range styles {
			if s != p.Style && (item.Skip[k] || item.Truth[k] == nil) {
				t.Errorf("%s into %s: skipped %v, truth %v; want its held-out counterpart", p.SKU, s, item.Skip[k], item.Truth[k] != nil)
			}
		}
	}
	if heldOut == 0 {
		t.Error("nothing held out")
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}
