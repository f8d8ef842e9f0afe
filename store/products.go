package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ProductFilter selects products; zero fields match everything. Results are ordered by product id.
type ProductFilter struct {
	Search    string // case-insensitive substring of the SKU or the title
	Category  string // exact category; "" any
	StyleID   int64  // current label; 0 any
	Unlabeled bool   // only products without a label
	Limit     int    // 0 = all
	Offset    int
}

// ProductRow is one product as the grid shows it.
type ProductRow struct {
	ID         int64
	SKU        string
	Title      string
	Category   string
	PriceCents int64
	ImageHash  string // "" when the product has no image
	StyleID    int64  // 0 if unlabeled
	Style      string // "" if unlabeled
}

// LabelEvent is one entry of a product's label history.
type LabelEvent struct {
	StyleName string // "" = cleared (a deleted style keeps its name here)
	Who       string
	At        time.Time
	Undone    bool
}

// ProductDetail is one product with its image facts and label history (oldest first).
type ProductDetail struct {
	ProductRow
	Width, Height int
	Format        string
	SourcePath    string
	CreatedAt     time.Time
	History       []LabelEvent
}

const productCols = `p.id, p.sku, p.title, p.category, p.price_cents, COALESCE(i.hash, ''),
	COALESCE(l.style_id, 0), COALESCE(s.name, '')`

const productFrom = ` FROM products p
	LEFT JOIN images i ON i.id = p.image_id
	LEFT JOIN labels l ON l.product_id = p.id
	LEFT JOIN styles s ON s.id = l.style_id`

// where builds the WHERE clause (with leading space, or "") and its arguments.
func (f ProductFilter) where() (string, []any) {
	var conds []string
	var args []any
	if q := strings.ToLower(strings.TrimSpace(f.Search)); q != "" {
		conds = append(conds, `instr(p.search_key, ?) > 0`)
		args = append(args, q)
	}
	if f.Category != "" {
		conds = append(conds, `p.category = ?`)
		args = append(args, f.Category)
	}
	if f.StyleID != 0 {
		conds = append(conds, `l.style_id = ?`)
		args = append(args, f.StyleID)
	}
	if f.Unlabeled {
		conds = append(conds, `l.product_id IS NULL`)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// page is the ORDER BY / LIMIT / OFFSET tail.
func (f ProductFilter) page(args []any) (string, []any) {
	tail := " ORDER BY p.id"
	switch {
	case f.Limit > 0:
		tail += " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, max(f.Offset, 0))
	case f.Offset > 0:
		tail += " LIMIT -1 OFFSET ?"
		args = append(args, f.Offset)
	}
	return tail, args
}

// ProductIDs returns the ids of the matching products in id order (the grid's model; rows are then
// fetched page by page with ProductsByID).
func (db *DB) ProductIDs(ctx context.Context, f ProductFilter) ([]int64, error) {
	where, args := f.where()
	from := ` FROM products p`
	if f.StyleID != 0 || f.Unlabeled {
		from += ` LEFT JOIN labels l ON l.product_id = p.id`
	}
	tail, args := f.page(args)
	rows, err := db.sql.QueryContext(ctx, `SELECT p.id`+from+where+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("list product ids: %w", err)
	}
	defer rows.Close()
	ids := make([]int64, 0, 256)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list product ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list product ids: %w", err)
	}
	return ids, nil
}

// Products returns the matching products in id order.
func (db *DB) Products(ctx context.Context, f ProductFilter) ([]ProductRow, error) {
	where, args := f.where()
	tail, args := f.page(args)
	out, err := db.queryRows(ctx, `SELECT `+productCols+productFrom+where+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return out, nil
}

func (db *DB) queryRows(ctx context.Context, query string, args ...any) ([]ProductRow, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ProductRow
	for rows.Next() {
		var r ProductRow
		if err := rows.Scan(&r.ID, &r.SKU, &r.Title, &r.Category, &r.PriceCents, &r.ImageHash, &r.StyleID, &r.Style); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Counterparts lists the labelled products that draw the same item as this one in another style: those
// sharing its group (migration 0006) labelled with another style than its own, in id order. None when
// it has no group.
func (db *DB) Counterparts(ctx context.Context, productID int64) ([]ProductRow, error) {
	out, err := db.queryRows(ctx, `SELECT `+productCols+productFrom+`
		WHERE l.style_id IS NOT NULL AND p.id <> ? AND p.group_key <> ''
		AND p.group_key = (SELECT group_key FROM products WHERE id = ?)
		AND l.style_id IS NOT (SELECT style_id FROM labels WHERE product_id = ?)
		ORDER BY p.id`, productID, productID, productID)
	if err != nil {
		return nil, fmt.Errorf("list the counterparts of product %d: %w", productID, err)
	}
	return out, nil
}

// byIDChunk keeps the number of SQL parameters per query small.
const byIDChunk = 500

// ProductsByID returns the products with these ids in the same order as ids (for lazy grid pages).
// Ids that no longer exist are skipped; a repeated id gives a repeated row.
func (db *DB) ProductsByID(ctx context.Context, ids []int64) ([]ProductRow, error) {
	found := make(map[int64]ProductRow, len(ids))
	for start := 0; start < len(ids); start += byIDChunk {
		chunk := ids[start:min(start+byIDChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := `SELECT ` + productCols + productFrom + ` WHERE p.id IN (?` + strings.Repeat(`, ?`, len(chunk)-1) + `)`
		rows, err := db.queryRows(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("load %d products by id: %w", len(ids), err)
		}
		for _, r := range rows {
			found[r.ID] = r
		}
	}
	out := make([]ProductRow, 0, len(ids))
	for _, id := range ids {
		if r, ok := found[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// Product returns one product with its image facts and label history; ErrNotFound if there is none.
func (db *DB) Product(ctx context.Context, id int64) (ProductDetail, error) {
	var d ProductDetail
	var created string
	err := db.sql.QueryRowContext(ctx, `SELECT `+productCols+`,
		COALESCE(i.width, 0), COALESCE(i.height, 0), COALESCE(i.format, ''), COALESCE(i.source_path, ''), p.created_at`+
		productFrom+` WHERE p.id = ?`, id).Scan(
		&d.ID, &d.SKU, &d.Title, &d.Category, &d.PriceCents, &d.ImageHash, &d.StyleID, &d.Style,
		&d.Width, &d.Height, &d.Format, &d.SourcePath, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return ProductDetail{}, fmt.Errorf("product %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return ProductDetail{}, fmt.Errorf("product %d: %w", id, err)
	}
	d.CreatedAt = parseTime(created)
	rows, err := db.sql.QueryContext(ctx, `SELECT COALESCE(s.name, h.new_style_name, ''), h.who, h.at, h.undone
		FROM label_history h LEFT JOIN styles s ON s.id = h.new_style_id
		WHERE h.product_id = ? ORDER BY h.id`, id)
	if err != nil {
		return ProductDetail{}, fmt.Errorf("product %d history: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e LabelEvent
		var at string
		if err := rows.Scan(&e.StyleName, &e.Who, &at, &e.Undone); err != nil {
			return ProductDetail{}, fmt.Errorf("product %d history: %w", id, err)
		}
		e.At = parseTime(at)
		d.History = append(d.History, e)
	}
	if err := rows.Err(); err != nil {
		return ProductDetail{}, fmt.Errorf("product %d history: %w", id, err)
	}
	return d, nil
}

// Categories lists the distinct non-empty categories, sorted case-insensitively.
func (db *DB) Categories(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT DISTINCT category FROM products WHERE category <> '' ORDER BY category COLLATE NOCASE, category`)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("list categories: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return out, nil
}

// Thumb returns the grid thumbnail (PNG) of the image with this hash; ErrNotFound if there is none.
func (db *DB) Thumb(ctx context.Context, hash string) ([]byte, error) {
	var png []byte
	err := db.sql.QueryRowContext(ctx, `SELECT png FROM thumbnails WHERE hash = ?`, hash).Scan(&png)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("thumbnail %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("thumbnail %s: %w", hash, err)
	}
	return png, nil
}

// ThumbAlpha returns the alpha square (greyscale PNG, placed as the thumbnail) of the image with this
// hash; nil or empty and no error when the picture is opaque or nobody has checked it yet (imported
// before transparency was kept: AlphaUnchecked), and ErrNotFound when the image has no thumbnail.
func (db *DB) ThumbAlpha(ctx context.Context, hash string) ([]byte, error) {
	var alpha []byte
	err := db.sql.QueryRowContext(ctx, `SELECT alpha FROM thumbnails WHERE hash = ?`, hash).Scan(&alpha)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("thumbnail %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("thumbnail alpha %s: %w", hash, err)
	}
	return alpha, nil
}

// ThumbWithAlpha returns the thumbnail and the alpha square of the image with this hash in one read
// (Thumb and ThumbAlpha); alpha is nil or empty for an opaque or unchecked picture.
func (db *DB) ThumbWithAlpha(ctx context.Context, hash string) (thumb, alpha []byte, err error) {
	err = db.sql.QueryRowContext(ctx, `SELECT png, alpha FROM thumbnails WHERE hash = ?`, hash).Scan(&thumb, &alpha)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("thumbnail %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("thumbnail %s: %w", hash, err)
	}
	return thumb, alpha, nil
}

// AlphaTodo is an image whose transparency nobody has checked: imported before the catalog kept it.
type AlphaTodo struct {
	Hash   string
	Format string // the image's format (imaging's names: "png", "jpeg", …)
}

// AlphaUnchecked lists the images with a thumbnail whose transparency was never checked, in hash
// order after the hash after ("" from the first), at most limit (limit ≤ 0: all).
func (db *DB) AlphaUnchecked(ctx context.Context, after string, limit int) ([]AlphaTodo, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.sql.QueryContext(ctx,
		`SELECT t.hash, i.format FROM thumbnails t JOIN images i ON i.hash = t.hash
		 WHERE t.alpha IS NULL AND t.hash > ? ORDER BY t.hash LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list unchecked transparency: %w", err)
	}
	defer rows.Close()
	var out []AlphaTodo
	for rows.Next() {
		var a AlphaTodo
		if err := rows.Scan(&a.Hash, &a.Format); err != nil {
			return nil, fmt.Errorf("list unchecked transparency: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list unchecked transparency: %w", err)
	}
	return out, nil
}

// AlphaUncheckedCount is how many thumbnails have not had their picture's transparency checked yet.
func (db *DB) AlphaUncheckedCount(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM thumbnails WHERE alpha IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unchecked transparency: %w", err)
	}
	return n, nil
}

// SetThumbAlphas records what checking the images' transparency found, by hash: an alpha square, or
// an empty (or nil) slice for an opaque picture. An image checked meanwhile keeps what it has.
func (db *DB) SetThumbAlphas(ctx context.Context, alphas map[string][]byte) error {
	if len(alphas) == 0 {
		return nil
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		for hash, a := range alphas {
			if a == nil {
				a = []byte{}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE thumbnails SET alpha = ? WHERE hash = ? AND alpha IS NULL`, a, hash); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the images' transparency: %w", err)
	}
	return nil
}

// CountProducts is the number of products in the catalog.
func (db *DB) CountProducts(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM products`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count products: %w", err)
	}
	return n, nil
}

// DemoTruth returns the demo generator's parameters and style for a generated product (evaluation
// only; never a label); ErrNotFound when the product has none.
func (db *DB) DemoTruth(ctx context.Context, productID int64) (paramsJSON []byte, style string, err error) {
	var params string
	err = db.sql.QueryRowContext(ctx, `SELECT params_json, style_name FROM demo_truth WHERE product_id = ?`,
		productID).Scan(&params, &style)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", fmt.Errorf("demo truth of product %d: %w", productID, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("demo truth of product %d: %w", productID, err)
	}
	return []byte(params), style, nil
}

// StyleCount is how many products carry one style.
type StyleCount struct {
	Name    string
	Labeled int
}

// Stats summarises the catalog.
type Stats struct {
	Products, Images, Unlabeled int
	Styles                      []StyleCount // every style, in display order, even with 0 products
}

// Stats counts products, images, unlabeled products and products per style.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := db.sql.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM products),
		(SELECT count(*) FROM images),
		(SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.product_id = p.id))`).
		Scan(&st.Products, &st.Images, &st.Unlabeled)
	if err != nil {
		return Stats{}, fmt.Errorf("catalog stats: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT s.name, count(l.product_id)
		FROM styles s LEFT JOIN labels l ON l.style_id = s.id
		GROUP BY s.id ORDER BY s.position, s.id`)
	if err != nil {
		return Stats{}, fmt.Errorf("catalog stats: %w", err)
	}
	defer rows.Close()
	st.Styles = []StyleCount{}
	for rows.Next() {
		var c StyleCount
		if err := rows.Scan(&c.Name, &c.Labeled); err != nil {
			return Stats{}, fmt.Errorf("catalog stats: %w", err)
		}
		st.Styles = append(st.Styles, c)
	}
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("catalog stats: %w", err)
	}
	return st, nil
}
