-- 0003_runs: training runs as the GAN trainer records them: progress and times on training_runs, the
-- loss curves (run_metrics), one best checkpoint per run, and the active run that Preview and Feed use.

-- Times as in 0001 (UTC TEXT). started_at: first time the run went 'running'; finished_at: when it
-- last became finished/cancelled/failed (NULL while it can still go on); updated_at: last write to the
-- run row by the store. steps_done and duration_s (training wall time, pauses excluded) are what the
-- trainer last reported.
ALTER TABLE training_runs ADD COLUMN started_at  TEXT;
ALTER TABLE training_runs ADD COLUMN finished_at TEXT;
ALTER TABLE training_runs ADD COLUMN updated_at  TEXT    NOT NULL DEFAULT '';
ALTER TABLE training_runs ADD COLUMN steps_done  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE training_runs ADD COLUMN duration_s  REAL    NOT NULL DEFAULT 0;
UPDATE training_runs SET updated_at = created_at;

-- Loss curves: one row per (run, step), logged every few steps (thousands of rows per run), read in
-- step order for the plots. NULL is a value that was not measured or was NaN.
CREATE TABLE run_metrics (
    run_id       INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    g_adv        REAL,
    g_cls        REAL,
    g_rec        REAL,
    d_adv        REAL,
    d_cls        REAL,
    images_per_s REAL,
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID;

-- At most one best checkpoint per run. Older catalogs could have several: keep the latest step's.
UPDATE checkpoints SET is_best = 0
WHERE is_best = 1 AND id <> (SELECT c.id FROM checkpoints c
                             WHERE c.run_id = checkpoints.run_id AND c.is_best = 1
                             ORDER BY c.step DESC, c.id DESC LIMIT 1);
CREATE UNIQUE INDEX checkpoints_best ON checkpoints (run_id) WHERE is_best = 1;

-- The active run (at most one row); deleting the run leaves no active run.
CREATE TABLE active_run (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    run_id INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
    set_at TEXT    NOT NULL
);
