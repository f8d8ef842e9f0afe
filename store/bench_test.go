package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"
)

// seedProducts inserts n products (with image rows, no object files) in one transaction, spread over
// 6 categories and nStyles styles, a quarter of them unlabeled. Much faster than AddRecord, for
// benchmarks of the read side.
func seedProducts(tb testing.TB, db *DB, n, nStyles int) {
	tb.Helper()
	ctx := context.Background()
	var styleIDs []int64
	for i := 0; i < nStyles; i++ {
		st, err := db.AddStyle(ctx, fmt.Sprintf("Style %d", i), "", "")
		if err != nil {
			tb.Fatal(err)
		}
		styleIDs = append(styleIDs, st.ID)
	}
	cats := []string{"tops", "dresses", "shoes", "bags", "outerwear", "accessories"}
	words := []string{"Linen", "Silk", "Denim", "Wool", "Cotton", "Leather", "Velvet", "Knit"}
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.stamp()
		for i := 0; i < n; i++ {
			sum := sha256.Sum256([]byte(fmt.Sprint("seed ", i)))
			res, err := tx.ExecContext(ctx, `INSERT INTO images (hash, width, height, format, source_path, created_at)
				VALUES (?, 800, 800, 'jpeg', '', ?)`, hex.EncodeToString(sum[:]), now)
			if err != nil {
				return err
			}
			img, _ := res.LastInsertId()
			sku := fmt.Sprintf("SKU-%05d", i)
			title := fmt.Sprintf("%s %s %d", words[i%len(words)], cats[i%len(cats)], i)
			res, err = tx.ExecContext(ctx, `INSERT INTO products (sku, title, category, price_cents, created_at, image_id, search_key)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, sku, title, cats[i%len(cats)], 1000+i, now, img, searchKey(sku, title))
			if err != nil {
				return err
			}
			pid, _ := res.LastInsertId()
			if nStyles > 0 && i%4 != 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO labels (product_id, style_id, source, labeled_at) VALUES (?, ?, 'seed', ?)`,
					pid, styleIDs[i%nStyles], now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, `ANALYZE`); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkAddRecord measures ingest end to end: hashing, writing and fsyncing a ~60 KB object, and
// the catalog transaction (image, product, thumbnail, label, history, demo truth).
func BenchmarkAddRecord(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	styles := []string{"Boho", "Minimal", "Street", "Classic", ""}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := testRecord(uint64(i), 60<<10, fmt.Sprintf("B-%d", i), "Bench item", "tops", styles[i%len(styles)])
		r.Thumb = make([]byte, 12<<10)
		r.DemoParams = []byte(`{"shape":"dress","hue":0.42}`)
		r.DemoStyle = "Boho"
		b.StartTimer()
		created, err := db.AddRecord(ctx, r)
		if err != nil || !created {
			b.Fatal(created, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkProductIDs10k(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	seedProducts(b, db, 10000, 5)
	styles, err := db.Styles(ctx)
	if err != nil {
		b.Fatal(err)
	}
	filters := []struct {
		name string
		f    ProductFilter
		min  int
	}{
		{"all", ProductFilter{}, 10000},
		{"category", ProductFilter{Category: "dresses"}, 1000},
		{"style", ProductFilter{StyleID: styles[2].ID}, 1000},
		{"unlabeled", ProductFilter{Unlabeled: true}, 2500},
		{"search", ProductFilter{Search: "silk"}, 1000},
		{"search+style+category", ProductFilter{Search: "wool", StyleID: styles[4].ID, Category: "dresses"}, 1},
		{"page", ProductFilter{Limit: 200, Offset: 5000}, 200},
	}
	for _, fc := range filters {
		b.Run(fc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ids, err := db.ProductIDs(ctx, fc.f)
				if err != nil || len(ids) < fc.min {
					b.Fatal(len(ids), err)
				}
			}
		})
	}
}

// BenchmarkProductsByIDPage is one lazy grid page of 100 rows out of 10,000.
func BenchmarkProductsByIDPage(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	seedProducts(b, db, 10000, 5)
	ids, err := db.ProductIDs(ctx, ProductFilter{})
	if err != nil {
		b.Fatal(err)
	}
	page := ids[4000:4100]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows, err := db.ProductsByID(ctx, page)
		if err != nil || len(rows) != 100 {
			b.Fatal(len(rows), err)
		}
	}
}

// BenchmarkPutObject is the object half of AddRecord: hash, temp file, fsync, rename, folder fsync.
func BenchmarkPutObject(b *testing.B) {
	db := openTest(b)
	data := make([]byte, 60<<10)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		binary.LittleEndian.PutUint64(data, uint64(i))
		if _, err := db.PutObject(data); err != nil {
			b.Fatal(err)
		}
	}
}
