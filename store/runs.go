package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"
)

// ErrRunExists: a training run of that name already exists. It also matches ErrDuplicate.
var ErrRunExists = fmt.Errorf("a training run of that name %w", ErrDuplicate)

// RunStatus is where a training run stands.
type RunStatus string

const (
	RunPending   RunStatus = "pending"   // created, never started
	RunRunning   RunStatus = "running"   // the trainer is working on it
	RunPaused    RunStatus = "paused"    // stopped with a checkpoint to resume from
	RunFinished  RunStatus = "finished"  // reached its planned steps
	RunCancelled RunStatus = "cancelled" // stopped by the person for good
	RunFailed    RunStatus = "failed"    // stopped by an error
	// RunInterrupted: its trainer died (or was killed) mid-run; it resumes from its last checkpoint.
	RunInterrupted RunStatus = "interrupted"
)

// Valid reports whether s is one of the RunStatus constants.
func (s RunStatus) Valid() bool {
	switch s {
	case RunPending, RunRunning, RunPaused, RunFinished, RunCancelled, RunFailed, RunInterrupted:
		return true
	}
	return false
}

// Terminal reports whether s ends a run (finished, cancelled or failed); such a run has a FinishedAt.
func (s RunStatus) Terminal() bool {
	return s == RunFinished || s == RunCancelled || s == RunFailed
}

// Run is one training run (a row of training_runs).
type Run struct {
	ID          int64
	Name        string
	ConfigJSON  string // the trainer's configuration, JSON ("{}" when none)
	Status      RunStatus
	Notes       string
	MetricsJSON string // summary metrics, JSON; "" when none yet
	CreatedAt   time.Time
	StartedAt   time.Time // first time it went running; zero if never
	FinishedAt  time.Time // when it last became finished/cancelled/failed; zero while it can go on
	UpdatedAt   time.Time // last change to the run's row
	StepsDone   int
	Duration    time.Duration // training time the trainer reported (pauses excluded)
	Active      bool          // the active run (Preview and Feed use it)
}

// MetricRow is the losses and speed at one training step (a row of run_metrics). A value that was not
// measured is NaN (stored as NULL). Infinities are kept.
type MetricRow struct {
	Step       int
	GAdv       float64 // generator adversarial loss
	GCls       float64 // generator style-classification loss
	GRec       float64 // generator reconstruction loss
	DAdv       float64 // discriminator adversarial loss
	DCls       float64 // discriminator style-classification loss
	ImagesPerS float64 // training speed
}

// Checkpoint is a saved model of a run at one step (a row of checkpoints).
type Checkpoint struct {
	RunID       int64
	Step        int
	Path        string // as the trainer gave it
	CreatedAt   time.Time
	MetricsJSON string // "" when none
	IsBest      bool   // at most one per run
}

// Variant is a product image restyled into one style by one run's model (a row of variants).
type Variant struct {
	ID        int64
	ProductID int64
	StyleID   int64
	Style     string // the style's name
	RunID     int64
	RunName   string // the run's name (as it is now: a renamed run's variants follow it)
	ImageHash string // the image's object (ReadObject / ObjectPath)
	CreatedAt time.Time
}

const runCols = `r.id, r.name, r.config_json, r.status, r.notes, COALESCE(r.metrics_json, ''), r.created_at,
	COALESCE(r.started_at, ''), COALESCE(r.finished_at, ''), r.updated_at, r.steps_done, r.duration_s,
	a.run_id IS NOT NULL`

const runFrom = ` FROM training_runs r LEFT JOIN active_run a ON a.run_id = r.id`

type scanner interface{ Scan(dest ...any) error }

func scanRun(s scanner) (Run, error) {
	var r Run
	var status, created, started, finished, updated string
	var dur float64
	if err := s.Scan(&r.ID, &r.Name, &r.ConfigJSON, &status, &r.Notes, &r.MetricsJSON, &created,
		&started, &finished, &updated, &r.StepsDone, &dur, &r.Active); err != nil {
		return Run{}, err
	}
	r.Status = RunStatus(status)
	r.CreatedAt, r.StartedAt, r.FinishedAt, r.UpdatedAt = optTime(created), optTime(started), optTime(finished), optTime(updated)
	r.Duration = time.Duration(dur * float64(time.Second))
	return r, nil
}

// optTime is the stored time, zero for "".
func optTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return parseTime(s)
}

// runWhere reads the one run matching cond; ErrNotFound when none does.
func runWhere(ctx context.Context, q querier, cond string, args ...any) (Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runCols+runFrom+` WHERE `+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, ErrNotFound
	}
	return r, err
}

func runExists(ctx context.Context, tx *sql.Tx, id int64) error {
	var ok bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM training_runs WHERE id = ?)`, id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no run %d: %w", id, ErrNotFound)
	}
	return nil
}

// jsonOrNull checks an optional JSON text: "" is NULL.
func jsonOrNull(s string) (any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if !json.Valid([]byte(s)) {
		return nil, errors.New("metrics are not valid JSON")
	}
	return s, nil
}

// CreateRun records a new pending run. The name is trimmed and must not be empty; a name already used
// fails with ErrRunExists. configJSON must be valid JSON ("" stores {}).
func (db *DB) CreateRun(ctx context.Context, name, configJSON string) (Run, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Run{}, errors.New("create run: empty name")
	}
	if strings.TrimSpace(configJSON) == "" {
		configJSON = "{}"
	}
	if !json.Valid([]byte(configJSON)) {
		return Run{}, fmt.Errorf("create run %q: the configuration is not valid JSON", name)
	}
	var r Run
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.stamp()
		res, err := tx.ExecContext(ctx, `INSERT INTO training_runs (name, config_json, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)`, name, configJSON, string(RunPending), now, now)
		if err != nil {
			if isUnique(err) {
				return ErrRunExists
			}
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		r, err = runWhere(ctx, tx, `r.id = ?`, id)
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("create run %q: %w", name, err)
	}
	return r, nil
}

// Run returns the run with this id; ErrNotFound if there is none.
func (db *DB) Run(ctx context.Context, id int64) (Run, error) {
	r, err := runWhere(ctx, db.sql, `r.id = ?`, id)
	if err != nil {
		return Run{}, fmt.Errorf("run %d: %w", id, err)
	}
	return r, nil
}

// RunByName returns the run called name (exact, surrounding spaces ignored); ErrNotFound if none.
func (db *DB) RunByName(ctx context.Context, name string) (Run, error) {
	name = strings.TrimSpace(name)
	r, err := runWhere(ctx, db.sql, `r.name = ?`, name)
	if err != nil {
		return Run{}, fmt.Errorf("run %q: %w", name, err)
	}
	return r, nil
}

// Runs lists every run, newest first.
func (db *DB) Runs(ctx context.Context) ([]Run, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+runCols+runFrom+` ORDER BY r.created_at DESC, r.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// updateRun runs one UPDATE of the run's row (which also stamps updated_at); ErrNotFound when no run
// has this id. set is the SET list without updated_at; args are its arguments.
func (db *DB) updateRun(ctx context.Context, id int64, set string, args ...any) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE training_runs SET `+set+`, updated_at = ? WHERE id = ?`,
			append(args, db.stamp(), id)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("no run %d: %w", id, ErrNotFound))
		}
		return nil
	})
}

// RenameRun renames a run (trimmed, not empty). A name another run has fails with ErrRunExists; an
// unknown id with ErrNotFound.
func (db *DB) RenameRun(ctx context.Context, id int64, newName string) error {
	name := strings.TrimSpace(newName)
	if name == "" {
		return fmt.Errorf("rename run %d: empty name", id)
	}
	err := db.updateRun(ctx, id, `name = ?`, name)
	if isUnique(err) {
		err = ErrRunExists
	}
	if err != nil {
		return fmt.Errorf("rename run %d to %q: %w", id, name, err)
	}
	return nil
}

// SetRunNotes replaces a run's free-text notes; ErrNotFound for an unknown id.
func (db *DB) SetRunNotes(ctx context.Context, id int64, notes string) error {
	if err := db.updateRun(ctx, id, `notes = ?`, notes); err != nil {
		return fmt.Errorf("set notes of run %d: %w", id, err)
	}
	return nil
}

// SetRunStatus sets a run's status. Going running stamps StartedAt the first time and clears
// FinishedAt (a resumed run); a terminal status (finished, cancelled, failed) stamps FinishedAt.
// Any transition is allowed; an unknown status is an error, an unknown id ErrNotFound.
func (db *DB) SetRunStatus(ctx context.Context, id int64, status RunStatus) error {
	if !status.Valid() {
		return fmt.Errorf("set status of run %d: unknown status %q", id, status)
	}
	now := db.stamp()
	var err error
	switch {
	case status == RunRunning:
		err = db.updateRun(ctx, id, `status = ?, started_at = COALESCE(started_at, ?), finished_at = NULL`, string(status), now)
	case status.Terminal():
		err = db.updateRun(ctx, id, `status = ?, finished_at = ?`, string(status), now)
	default:
		err = db.updateRun(ctx, id, `status = ?`, string(status))
	}
	if err != nil {
		return fmt.Errorf("set status of run %d to %s: %w", id, status, err)
	}
	return nil
}

// RestoreRun puts a run's status, finish time, steps and training time back as they were in before (a
// snapshot read earlier): a resume the trainer refused before its first step must leave the run as it
// found it, not failed at step 0.
func (db *DB) RestoreRun(ctx context.Context, before Run) error {
	if !before.Status.Valid() || before.StepsDone < 0 || before.Duration < 0 {
		return fmt.Errorf("restore run %d: invalid snapshot (status %q, %d steps)", before.ID, before.Status, before.StepsDone)
	}
	var finished any
	if !before.FinishedAt.IsZero() {
		finished = before.FinishedAt.UTC().Format(timeLayout)
	}
	if err := db.updateRun(ctx, before.ID, `status = ?, finished_at = ?, steps_done = ?, duration_s = ?`,
		string(before.Status), finished, before.StepsDone, before.Duration.Seconds()); err != nil {
		return fmt.Errorf("restore run %d: %w", before.ID, err)
	}
	return nil
}

// SetRunProgress records how far the trainer got: steps done and training time so far.
func (db *DB) SetRunProgress(ctx context.Context, id int64, stepsDone int, duration time.Duration) error {
	if stepsDone < 0 || duration < 0 {
		return fmt.Errorf("set progress of run %d: negative steps (%d) or duration (%v)", id, stepsDone, duration)
	}
	if err := db.updateRun(ctx, id, `steps_done = ?, duration_s = ?`, stepsDone, duration.Seconds()); err != nil {
		return fmt.Errorf("set progress of run %d: %w", id, err)
	}
	return nil
}

// SetRunMetrics replaces a run's summary metrics (valid JSON; "" clears them).
func (db *DB) SetRunMetrics(ctx context.Context, id int64, metricsJSON string) error {
	m, err := jsonOrNull(metricsJSON)
	if err == nil {
		err = db.updateRun(ctx, id, `metrics_json = ?`, m)
	}
	if err != nil {
		return fmt.Errorf("set metrics of run %d: %w", id, err)
	}
	return nil
}

// FinishRun ends a run with a terminal status (finished, cancelled or failed), stamping FinishedAt,
// and, when metricsJSON is not "", sets its summary metrics, all in one transaction.
func (db *DB) FinishRun(ctx context.Context, id int64, status RunStatus, metricsJSON string) error {
	if !status.Terminal() {
		return fmt.Errorf("finish run %d: %q is not finished, cancelled or failed", id, status)
	}
	m, err := jsonOrNull(metricsJSON)
	if err == nil {
		err = db.updateRun(ctx, id, `status = ?, finished_at = ?, metrics_json = COALESCE(?, metrics_json)`,
			string(status), db.stamp(), m)
	}
	if err != nil {
		return fmt.Errorf("finish run %d as %s: %w", id, status, err)
	}
	return nil
}

// DeleteRun removes a run with its metrics, checkpoint rows and variants (interactions that showed a
// variant keep their row with no variant), and stops it being the active run. It returns the paths of
// its checkpoints, in step order, for the caller to delete; the files are not touched, and neither are
// the variants' image objects (other rows may share them). ErrNotFound for an unknown id.
func (db *DB) DeleteRun(ctx context.Context, id int64) ([]string, error) {
	var paths []string
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := runExists(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT path FROM checkpoints WHERE run_id = ? ORDER BY step`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				return err
			}
			paths = append(paths, p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM training_runs WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("delete run %d: %w", id, err)
	}
	return paths, nil
}

// metricCols are the run_metrics columns AddRunMetrics writes, in MetricRow order.
const metricCols = `run_id, step, g_adv, g_cls, g_rec, d_adv, d_cls, images_per_s`

// AddRunMetrics stores rows of a run in one transaction; a row for a step already stored replaces it
// (a resumed run logs the same steps again). ErrNotFound for an unknown run.
func (db *DB) AddRunMetrics(ctx context.Context, runID int64, rows []MetricRow) error {
	if len(rows) == 0 {
		return nil
	}
	const perStmt = 100 // 8 parameters a row
	const tuple = `(?, ?, ?, ?, ?, ?, ?, ?)`
	stmt := func(n int) string {
		return `INSERT INTO run_metrics (` + metricCols + `) VALUES ` + tuple + strings.Repeat(", "+tuple, n-1) +
			` ON CONFLICT (run_id, step) DO UPDATE SET g_adv = excluded.g_adv, g_cls = excluded.g_cls,
			g_rec = excluded.g_rec, d_adv = excluded.d_adv, d_cls = excluded.d_cls, images_per_s = excluded.images_per_s`
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := runExists(ctx, tx, runID); err != nil {
			return err
		}
		var full *sql.Stmt
		if len(rows) >= perStmt {
			var err error
			if full, err = tx.PrepareContext(ctx, stmt(perStmt)); err != nil {
				return err
			}
			defer full.Close()
		}
		args := make([]any, 0, 8*perStmt)
		for lo := 0; lo < len(rows); lo += perStmt {
			if err := ctx.Err(); err != nil {
				return err
			}
			chunk := rows[lo:min(lo+perStmt, len(rows))]
			args = args[:0]
			for _, r := range chunk {
				args = append(args, runID, r.Step, nanNull(r.GAdv), nanNull(r.GCls), nanNull(r.GRec),
					nanNull(r.DAdv), nanNull(r.DCls), nanNull(r.ImagesPerS))
			}
			var err error
			if len(chunk) == perStmt {
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, stmt(len(chunk)), args...)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %d metric rows of run %d: %w", len(rows), runID, err)
	}
	return nil
}

func nanNull(f float64) any {
	if math.IsNaN(f) {
		return nil
	}
	return f
}

func nullNaN(f sql.NullFloat64) float64 {
	if !f.Valid {
		return math.NaN()
	}
	return f.Float64
}

// RunMetrics returns a run's metric rows in step order (none for an unknown run).
func (db *DB) RunMetrics(ctx context.Context, runID int64) ([]MetricRow, error) {
	return db.runMetrics(ctx, runID, math.MinInt64)
}

// RunMetricsAfter returns a run's metric rows with a step greater than afterStep, in step order (for a
// plot that polls a live run).
func (db *DB) RunMetricsAfter(ctx context.Context, runID int64, afterStep int) ([]MetricRow, error) {
	return db.runMetrics(ctx, runID, int64(afterStep))
}

func (db *DB) runMetrics(ctx context.Context, runID, after int64) ([]MetricRow, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT step, g_adv, g_cls, g_rec, d_adv, d_cls, images_per_s
		FROM run_metrics WHERE run_id = ? AND step > ? ORDER BY step`, runID, after)
	if err != nil {
		return nil, fmt.Errorf("metrics of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []MetricRow
	var v [6]sql.NullFloat64
	for rows.Next() {
		var m MetricRow
		if err := rows.Scan(&m.Step, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
			return nil, fmt.Errorf("metrics of run %d: %w", runID, err)
		}
		m.GAdv, m.GCls, m.GRec, m.DAdv, m.DCls, m.ImagesPerS =
			nullNaN(v[0]), nullNaN(v[1]), nullNaN(v[2]), nullNaN(v[3]), nullNaN(v[4]), nullNaN(v[5])
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("metrics of run %d: %w", runID, err)
	}
	return out, nil
}

// TrimRunMetrics removes a run's metric rows after afterStep (resuming from an older checkpoint) and
// returns how many it removed.
func (db *DB) TrimRunMetrics(ctx context.Context, runID int64, afterStep int) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM run_metrics WHERE run_id = ? AND step > ?`, runID, afterStep)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("trim metrics of run %d after step %d: %w", runID, afterStep, err)
	}
	return n, nil
}

const checkpointCols = `run_id, step, path, created_at, COALESCE(metrics_json, ''), is_best`

func scanCheckpoint(s scanner) (Checkpoint, error) {
	var c Checkpoint
	var created string
	if err := s.Scan(&c.RunID, &c.Step, &c.Path, &created, &c.MetricsJSON, &c.IsBest); err != nil {
		return Checkpoint{}, err
	}
	c.CreatedAt = parseTime(created)
	return c, nil
}

// AddCheckpoint records the checkpoint of a run at a step, replacing (path, metrics, best flag, time)
// one already recorded at that step. isBest makes it the run's only best checkpoint. metricsJSON must
// be valid JSON or "". ErrNotFound for an unknown run.
func (db *DB) AddCheckpoint(ctx context.Context, runID int64, step int, path, metricsJSON string, isBest bool) (Checkpoint, error) {
	if path == "" {
		return Checkpoint{}, fmt.Errorf("add checkpoint of run %d at step %d: empty path", runID, step)
	}
	m, err := jsonOrNull(metricsJSON)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("add checkpoint of run %d at step %d: %w", runID, step, err)
	}
	var c Checkpoint
	err = db.write(ctx, func(tx *sql.Tx) error {
		if err := runExists(ctx, tx, runID); err != nil {
			return err
		}
		if isBest {
			if _, err := tx.ExecContext(ctx, `UPDATE checkpoints SET is_best = 0 WHERE run_id = ? AND is_best = 1 AND step <> ?`,
				runID, step); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (run_id, step, path, created_at, metrics_json, is_best)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, step) DO UPDATE SET path = excluded.path, created_at = excluded.created_at,
				metrics_json = excluded.metrics_json, is_best = excluded.is_best`,
			runID, step, path, db.stamp(), m, isBest); err != nil {
			return err
		}
		var err error
		c, err = scanCheckpoint(tx.QueryRowContext(ctx, `SELECT `+checkpointCols+` FROM checkpoints WHERE run_id = ? AND step = ?`,
			runID, step))
		return err
	})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("add checkpoint of run %d at step %d: %w", runID, step, err)
	}
	return c, nil
}

// RemoveCheckpoint forgets the checkpoint of a run at a step and returns its path for the caller to
// delete; ErrNotFound when there is none.
func (db *DB) RemoveCheckpoint(ctx context.Context, runID int64, step int) (string, error) {
	var path string
	err := db.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM checkpoints WHERE run_id = ? AND step = ? RETURNING path`, runID, step).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no checkpoint: %w", ErrNotFound)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("remove checkpoint of run %d at step %d: %w", runID, step, err)
	}
	return path, nil
}

// Checkpoints lists a run's checkpoints in step order, so the latest is the last (none for an unknown
// run).
func (db *DB) Checkpoints(ctx context.Context, runID int64) ([]Checkpoint, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+checkpointCols+` FROM checkpoints WHERE run_id = ? ORDER BY step`, runID)
	if err != nil {
		return nil, fmt.Errorf("checkpoints of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("checkpoints of run %d: %w", runID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checkpoints of run %d: %w", runID, err)
	}
	return out, nil
}

// BestCheckpoint returns the run's best checkpoint; ErrNotFound when it has none marked best.
func (db *DB) BestCheckpoint(ctx context.Context, runID int64) (Checkpoint, error) {
	c, err := scanCheckpoint(db.sql.QueryRowContext(ctx,
		`SELECT `+checkpointCols+` FROM checkpoints WHERE run_id = ? AND is_best = 1`, runID))
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, fmt.Errorf("best checkpoint of run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("best checkpoint of run %d: %w", runID, err)
	}
	return c, nil
}

// SetActiveRun makes the run the active one (replacing any other); ErrNotFound for an unknown id.
func (db *DB) SetActiveRun(ctx context.Context, runID int64) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := runExists(ctx, tx, runID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO active_run (id, run_id, set_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at`, runID, db.stamp())
		return err
	})
	if err != nil {
		return fmt.Errorf("set active run %d: %w", runID, err)
	}
	return nil
}

// ClearActiveRun leaves no run active.
func (db *DB) ClearActiveRun(ctx context.Context) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM active_run`)
		return err
	})
	if err != nil {
		return fmt.Errorf("clear active run: %w", err)
	}
	return nil
}

// ActiveRun returns the active run; ErrNotFound when none is (never set, cleared, or deleted).
func (db *DB) ActiveRun(ctx context.Context) (Run, error) {
	r, err := runWhere(ctx, db.sql, `a.id = 1`)
	if err != nil {
		return Run{}, fmt.Errorf("active run: %w", err)
	}
	return r, nil
}

const variantCols = `v.id, v.product_id, v.style_id, s.name, v.run_id, COALESCE(r.name, ''), v.image_hash, v.created_at`

const variantFrom = ` FROM variants v JOIN styles s ON s.id = v.style_id LEFT JOIN training_runs r ON r.id = v.run_id`

func scanVariant(s scanner) (Variant, error) {
	var v Variant
	var created string
	if err := s.Scan(&v.ID, &v.ProductID, &v.StyleID, &v.Style, &v.RunID, &v.RunName, &v.ImageHash, &created); err != nil {
		return Variant{}, err
	}
	v.CreatedAt = parseTime(created)
	return v, nil
}

// PutVariant records imageHash as the image of the product restyled into the style by the run,
// replacing the image of an existing (product, style, run) variant (which keeps its id, so
// interactions that showed it still refer to it). imageHash must name an object already in the
// library (PutObject first, or use PutVariantImage); like a product's image, a variant row never
// refers to a missing object. ErrNotFound when the object, product, style or run does not exist.
func (db *DB) PutVariant(ctx context.Context, productID, styleID, runID int64, imageHash string) (Variant, error) {
	v, err := db.putVariant(ctx, productID, styleID, runID, imageHash)
	if err != nil {
		return Variant{}, fmt.Errorf("put variant of product %d in style %d by run %d: %w", productID, styleID, runID, err)
	}
	return v, nil
}

// PutVariantImage stores the image bytes as an object and records them as the variant, as PutVariant.
func (db *DB) PutVariantImage(ctx context.Context, productID, styleID, runID int64, image []byte) (Variant, error) {
	hash, err := db.PutObject(image)
	if err == nil {
		var v Variant
		if v, err = db.putVariant(ctx, productID, styleID, runID, hash); err == nil {
			return v, nil
		}
	}
	return Variant{}, fmt.Errorf("put variant image of product %d in style %d by run %d: %w", productID, styleID, runID, err)
}

func (db *DB) putVariant(ctx context.Context, productID, styleID, runID int64, imageHash string) (Variant, error) {
	p := db.ObjectPath(imageHash)
	if p == "" {
		return Variant{}, fmt.Errorf("image hash %q is not a SHA-256 hex hash", imageHash)
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return Variant{}, fmt.Errorf("no object %s in the library: %w", imageHash, ErrNotFound)
	} else if err != nil {
		return Variant{}, fmt.Errorf("object %s: %w", imageHash, err)
	}
	var v Variant
	err := db.write(ctx, func(tx *sql.Tx) error {
		var product, style, run bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE id = ?),
			EXISTS (SELECT 1 FROM styles WHERE id = ?), EXISTS (SELECT 1 FROM training_runs WHERE id = ?)`,
			productID, styleID, runID).Scan(&product, &style, &run); err != nil {
			return err
		}
		switch {
		case !product:
			return fmt.Errorf("no product %d: %w", productID, ErrNotFound)
		case !style:
			return fmt.Errorf("no style %d: %w", styleID, ErrNotFound)
		case !run:
			return fmt.Errorf("no run %d: %w", runID, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO variants (product_id, style_id, run_id, image_hash, created_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (product_id, style_id, run_id) DO UPDATE SET image_hash = excluded.image_hash, created_at = excluded.created_at`,
			productID, styleID, runID, imageHash, db.stamp()); err != nil {
			return err
		}
		var err error
		v, err = scanVariant(tx.QueryRowContext(ctx, `SELECT `+variantCols+variantFrom+`
			WHERE v.product_id = ? AND v.style_id = ? AND v.run_id = ?`, productID, styleID, runID))
		return err
	})
	return v, err
}

// Variant returns the variant of the product in the style by the run; ErrNotFound if there is none.
func (db *DB) Variant(ctx context.Context, productID, styleID, runID int64) (Variant, error) {
	v, err := scanVariant(db.sql.QueryRowContext(ctx, `SELECT `+variantCols+variantFrom+`
		WHERE v.product_id = ? AND v.style_id = ? AND v.run_id = ?`, productID, styleID, runID))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Variant{}, fmt.Errorf("variant of product %d in style %d by run %d: %w", productID, styleID, runID, err)
	}
	return v, nil
}

func (db *DB) variants(ctx context.Context, what, query string, args ...any) ([]Variant, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+variantCols+variantFrom+query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []Variant
	for rows.Next() {
		v, err := scanVariant(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// VariantsForRun lists a run's variants by product id, then style display order.
func (db *DB) VariantsForRun(ctx context.Context, runID int64) ([]Variant, error) {
	return db.variants(ctx, fmt.Sprintf("variants of run %d", runID),
		` WHERE v.run_id = ? ORDER BY v.product_id, s.position, s.id`, runID)
}

// VariantsForProduct lists a product's variants, newest run first, then style display order.
func (db *DB) VariantsForProduct(ctx context.Context, productID int64) ([]Variant, error) {
	return db.variants(ctx, fmt.Sprintf("variants of product %d", productID),
		` WHERE v.product_id = ? ORDER BY v.run_id DESC, s.position, s.id`, productID)
}

// AddRunTrainProducts records that the run trained on these products (added to those recorded before:
// a resumed run adds its session's). Evaluation leaves them out (RunTrainProducts).
func (db *DB) AddRunTrainProducts(ctx context.Context, runID int64, productIDs []int64) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := runExists(ctx, tx, runID); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO run_train_products (run_id, product_id) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range productIDs {
			if _, err := stmt.ExecContext(ctx, runID, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the training products of run %d: %w", runID, err)
	}
	return nil
}

// RunTrainProducts is the set of products the run trained on (AddRunTrainProducts); empty for a run
// that recorded none (trained before runs recorded them, or not yet started).
func (db *DB) RunTrainProducts(ctx context.Context, runID int64) (map[int64]bool, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT product_id FROM run_train_products WHERE run_id = ?`, runID)
	if err != nil {
		return nil, fmt.Errorf("training products of run %d: %w", runID, err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("training products of run %d: %w", runID, err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("training products of run %d: %w", runID, err)
	}
	return out, nil
}
