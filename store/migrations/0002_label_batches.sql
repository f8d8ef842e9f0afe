-- 0002_label_batches: undo/redo of labelling, the active split assignment, and style names kept in
-- history when a style is deleted.

-- One undoable step: every label_history row written by one SetLabel/SetLabels/ImportLabels call (or
-- one merge/delete of a style) carries its id as batch_id. Undo takes the newest 'done' batch and marks
-- it (and its history rows) undone; redo takes the oldest 'undone' one. A new change turns every
-- 'undone' batch into 'discarded' (the redo stack is cleared). Batches with undoable = 0 (style merges
-- and deletions) cannot be undone and stop undo from reaching older batches.
CREATE TABLE label_batches (
    id          INTEGER PRIMARY KEY,
    description TEXT    NOT NULL DEFAULT '',
    who         TEXT    NOT NULL DEFAULT '',
    at          TEXT    NOT NULL,
    undoable    INTEGER NOT NULL DEFAULT 1 CHECK (undoable IN (0, 1)),
    state       TEXT    NOT NULL DEFAULT 'done' CHECK (state IN ('done', 'undone', 'discarded'))
);
CREATE INDEX label_batches_state ON label_batches (state, id);

-- The name of new_style_id at the time that style was deleted (new_style_id is then NULL), so the
-- history still says which style a product had. NULL otherwise.
ALTER TABLE label_history ADD COLUMN new_style_name TEXT;

-- The active split assignment (at most one row): splits rows with this seed are the current ones.
CREATE TABLE split_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seed        INTEGER NOT NULL,
    train_pct   INTEGER NOT NULL,
    val_pct     INTEGER NOT NULL,
    test_pct    INTEGER NOT NULL,
    assigned_at TEXT    NOT NULL
);
