package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// FeedVariant is a stylized variant image of a product (a row of variants), as the storefront feed shows it.
type FeedVariant struct {
	ID        int64
	ProductID int64
	StyleID   int64
	Style     string
	RunID     int64
	ImageHash string // the variant image's object
}

// FeedVariants lists the stylized variants the feed can show: for each (product, style) the one made by
// the active run (see SetActiveRun) when it made one, else by the newest run, ordered by product id and
// then style display order.
func (db *DB) FeedVariants(ctx context.Context) ([]FeedVariant, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT v.id, v.product_id, v.style_id, s.name, v.run_id, v.image_hash
		FROM variants v JOIN styles s ON s.id = v.style_id
		WHERE v.run_id = (SELECT w.run_id FROM variants w WHERE w.product_id = v.product_id AND w.style_id = v.style_id
			ORDER BY w.run_id = (SELECT a.run_id FROM active_run a) DESC, w.run_id DESC LIMIT 1)
		ORDER BY v.product_id, s.position, s.id`)
	if err != nil {
		return nil, fmt.Errorf("list variants for the feed: %w", err)
	}
	defer rows.Close()
	var out []FeedVariant
	for rows.Next() {
		var v FeedVariant
		if err := rows.Scan(&v.ID, &v.ProductID, &v.StyleID, &v.Style, &v.RunID, &v.ImageHash); err != nil {
			return nil, fmt.Errorf("list variants for the feed: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list variants for the feed: %w", err)
	}
	return out, nil
}

// MaxSimUsers bounds one AddSimUsers call (it writes every row in one transaction).
const MaxSimUsers = 10_000_000

// AddSimUsers records n simulated shoppers of one simulation run in one transaction and returns the id
// of the first: the shoppers get the consecutive ids first, first+1, …, first+n-1 (shopper i of the run
// is first+i), so interactions can refer to them without a lookup. params(i), when set, is shopper i's
// params_json (it must be valid JSON; nil stores {}). seed is the run's seed (the sim_users.seed column).
func (db *DB) AddSimUsers(ctx context.Context, n int, seed uint64, params func(i int) string) (first int64, err error) {
	if n < 1 || n > MaxSimUsers {
		return 0, fmt.Errorf("add %d simulated shoppers: the count must be 1 to %d", n, MaxSimUsers)
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM sim_users`).Scan(&first); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO sim_users (id, seed, params_json) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := 0; i < n; i++ {
			if i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			p := "{}"
			if params != nil {
				p = params(i)
			}
			// SQLite integers are signed 64-bit: store the seed's bits as int64.
			if _, err := stmt.ExecContext(ctx, first+int64(i), int64(seed), p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("add %d simulated shoppers: %w", n, err)
	}
	return first, nil
}

// Interaction is one image shown to a simulated shopper (a row of interactions).
type Interaction struct {
	UserID    int64 // a sim_users id
	ProductID int64
	VariantID int64 // 0: the product's original image
	Step      int   // slate index in the session
	Position  int   // slot in the slate
	Clicked   bool
	Policy    string // the feed policy that showed it
}

// AddInteractions stores rows in one transaction (shown_at stays NULL: simulated impressions have no
// wall-clock time). A user, product or variant id that does not exist fails the whole call.
func (db *DB) AddInteractions(ctx context.Context, rows []Interaction) error {
	if len(rows) == 0 {
		return nil
	}
	// Many rows per statement: far fewer round trips through cgo than one INSERT per row.
	const perStmt = 128
	const cols = `INSERT INTO interactions (user_id, product_id, variant_id, step, position, clicked, policy) VALUES `
	const tuple = `(?, ?, ?, ?, ?, ?, ?)`
	err := db.write(ctx, func(tx *sql.Tx) error {
		full, err := tx.PrepareContext(ctx, cols+tuple+strings.Repeat(", "+tuple, perStmt-1))
		if err != nil {
			return err
		}
		defer full.Close()
		args := make([]any, 0, 7*perStmt)
		for lo := 0; lo < len(rows); lo += perStmt {
			if err := ctx.Err(); err != nil {
				return err
			}
			chunk := rows[lo:min(lo+perStmt, len(rows))]
			args = args[:0]
			for _, r := range chunk {
				args = append(args, r.UserID, r.ProductID, nullID(r.VariantID), r.Step, r.Position, r.Clicked, r.Policy)
			}
			if len(chunk) == perStmt {
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, cols+tuple+strings.Repeat(", "+tuple, len(chunk)-1), args...)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %d interactions: %w", len(rows), err)
	}
	return nil
}

// OraclePolicy names the simulation's oracle, which ranks with the shoppers' hidden tastes. Its
// impressions are never training or evaluation data for a ranker: CountInteractions and Interactions
// leave out any that older catalogs stored (the simulation no longer logs them).
const OraclePolicy = "oracle"

// InteractionCounts summarises the stored interactions a ranker may learn from (not the oracle's).
type InteractionCounts struct {
	Impressions, Clicks int64
	Users               int64 // distinct simulated shoppers with at least one interaction
}

// CountInteractions counts the stored interactions, leaving out the oracle's (OraclePolicy).
func (db *DB) CountInteractions(ctx context.Context) (InteractionCounts, error) {
	var c InteractionCounts
	err := db.sql.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(clicked), 0), count(DISTINCT user_id) FROM interactions
		WHERE policy <> ?`, OraclePolicy).Scan(&c.Impressions, &c.Clicks, &c.Users)
	if err != nil {
		return InteractionCounts{}, fmt.Errorf("count interactions: %w", err)
	}
	return c, nil
}

// Interactions calls fn for the stored interactions of the newest shoppers, ordered by shopper, policy,
// step and position (the order a session happened in), so a caller can replay sessions while holding
// one at a time. With limit > 0 it takes the shoppers with the highest ids whose interactions number at
// least limit together (whole sessions, so somewhat more than limit rows); limit 0 takes all. An error
// from fn stops the scan and is returned. The oracle's interactions (OraclePolicy) are left out.
func (db *DB) Interactions(ctx context.Context, limit int, fn func(Interaction) error) error {
	var minUser int64
	if limit > 0 {
		err := db.sql.QueryRowContext(ctx, `SELECT user_id FROM interactions WHERE policy <> ? ORDER BY user_id DESC LIMIT 1 OFFSET ?`,
			OraclePolicy, limit-1).Scan(&minUser)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read interactions: %w", err)
		}
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT user_id, product_id, COALESCE(variant_id, 0), step, position, clicked, policy
		FROM interactions WHERE user_id >= ? AND policy <> ? ORDER BY user_id, policy, step, position, id`, minUser, OraclePolicy)
	if err != nil {
		return fmt.Errorf("read interactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Interaction
		if err := rows.Scan(&r.UserID, &r.ProductID, &r.VariantID, &r.Step, &r.Position, &r.Clicked, &r.Policy); err != nil {
			return fmt.Errorf("read interactions: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read interactions: %w", err)
	}
	return nil
}

// DeleteSimLogs removes the impressions that earlier logged simulation runs with this seed stored
// under these policies, and those runs' shoppers left without any impression (a run's shoppers carry
// its seed in sim_users.seed and "run_seed" in params_json; people's own rows have neither). The same
// seed replays the same shoppers, so a run logged again (or re-run after it was interrupted) replaces
// its impressions instead of storing them twice. It returns how many impressions it removed.
func (db *DB) DeleteSimLogs(ctx context.Context, seed uint64, policies []string) (int64, error) {
	if len(policies) == 0 {
		return 0, nil
	}
	const runUsers = `SELECT id FROM sim_users WHERE seed = ? AND json_extract(params_json, '$.run_seed') IS NOT NULL`
	args := []any{int64(seed)}
	for _, p := range policies {
		args = append(args, p)
	}
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM interactions WHERE user_id IN (`+runUsers+`)
			AND policy IN (?`+strings.Repeat(", ?", len(policies)-1)+`)`, args...)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sim_users WHERE id IN (`+runUsers+`)
			AND NOT EXISTS (SELECT 1 FROM interactions WHERE user_id = sim_users.id)`, int64(seed))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete earlier simulated impressions of seed %d: %w", seed, err)
	}
	return n, nil
}

// DeleteInteractions removes every stored interaction and simulated shopper (a fresh start for the feed's
// logs); it returns how many interactions were removed.
func (db *DB) DeleteInteractions(ctx context.Context) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM interactions`)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sim_users`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete interactions: %w", err)
	}
	return n, nil
}
