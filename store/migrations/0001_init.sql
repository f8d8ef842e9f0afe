-- 0001_init: the first Style Studio catalog schema.
-- Times are TEXT in UTC, fixed width "YYYY-MM-DDTHH:MM:SS.ffffffZ" (sortable, readable by SQLite's date functions).
-- JSON columns are TEXT.

-- Original images; the bytes live in <library>/objects/ab/cdef... (SHA-256 hex of the bytes).
CREATE TABLE images (
    id          INTEGER PRIMARY KEY,
    hash        TEXT    NOT NULL UNIQUE CHECK (length(hash) = 64),
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    format      TEXT    NOT NULL DEFAULT '',
    source_path TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL
);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    sku         TEXT    NOT NULL UNIQUE CHECK (sku <> ''),
    title       TEXT    NOT NULL DEFAULT '',
    category    TEXT    NOT NULL DEFAULT '',
    price_cents INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    -- Deleting an image leaves the product without one rather than deleting the product.
    image_id    INTEGER REFERENCES images (id) ON DELETE SET NULL,
    -- lower(sku || char(10) || title), case-folded by the store in Go (Unicode-aware),
    -- for the case-insensitive substring search; only the store writes it.
    search_key  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX products_category ON products (category);
CREATE INDEX products_image ON products (image_id);

-- Grid thumbnails (square PNG), keyed by the image hash; they go with their image.
CREATE TABLE thumbnails (
    hash TEXT PRIMARY KEY REFERENCES images (hash) ON DELETE CASCADE,
    png  BLOB NOT NULL
);

CREATE TABLE styles (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (trim(name) <> ''),
    color        TEXT    NOT NULL DEFAULT '',
    shortcut_key TEXT    NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL
);
-- A shortcut key, when set, selects exactly one style.
CREATE UNIQUE INDEX styles_shortcut_key ON styles (shortcut_key) WHERE shortcut_key <> '';
CREATE INDEX styles_position ON styles (position, id);

-- The current label of each product (at most one). Deleting the style unlabels its products.
CREATE TABLE labels (
    product_id INTEGER PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    style_id   INTEGER NOT NULL REFERENCES styles (id) ON DELETE CASCADE,
    source     TEXT    NOT NULL DEFAULT '',
    labeled_at TEXT    NOT NULL
);
CREATE INDEX labels_style ON labels (style_id, product_id);

-- Every label change, oldest first by id, so undo/redo survives restarts.
-- NULL style ids mean "unlabeled" (or a style that has since been deleted).
CREATE TABLE label_history (
    id           INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    old_style_id INTEGER REFERENCES styles (id) ON DELETE SET NULL,
    new_style_id INTEGER REFERENCES styles (id) ON DELETE SET NULL,
    who          TEXT    NOT NULL DEFAULT '',
    at           TEXT    NOT NULL,
    batch_id     INTEGER,
    undone       INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1))
);
CREATE INDEX label_history_product ON label_history (product_id, id);
CREATE INDEX label_history_batch ON label_history (batch_id) WHERE batch_id IS NOT NULL;

-- Train/val/test assignment per split seed.
CREATE TABLE splits (
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    seed       INTEGER NOT NULL,
    split      TEXT    NOT NULL CHECK (split IN ('train', 'val', 'test')),
    PRIMARY KEY (seed, product_id)
);
CREATE INDEX splits_product ON splits (product_id);

CREATE TABLE training_runs (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    config_json  TEXT    NOT NULL DEFAULT '{}',
    status       TEXT    NOT NULL DEFAULT 'pending',
    created_at   TEXT    NOT NULL,
    notes        TEXT    NOT NULL DEFAULT '',
    metrics_json TEXT
);

CREATE TABLE checkpoints (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    path         TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    metrics_json TEXT,
    is_best      INTEGER NOT NULL DEFAULT 0 CHECK (is_best IN (0, 1)),
    UNIQUE (run_id, step)
);

-- Generated images of a product restyled by a run's model; image bytes are objects.
CREATE TABLE variants (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    style_id   INTEGER NOT NULL REFERENCES styles (id) ON DELETE CASCADE,
    run_id     INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
    image_hash TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (product_id, style_id, run_id)
);
CREATE INDEX variants_style ON variants (style_id);
CREATE INDEX variants_run ON variants (run_id);

-- Simulated shoppers for the recommendation experiments.
CREATE TABLE sim_users (
    id          INTEGER PRIMARY KEY,
    seed        INTEGER NOT NULL,
    params_json TEXT    NOT NULL DEFAULT '{}'
);

CREATE TABLE interactions (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES sim_users (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    variant_id INTEGER REFERENCES variants (id) ON DELETE SET NULL,
    step       INTEGER NOT NULL DEFAULT 0,
    shown_at   TEXT,
    position   INTEGER NOT NULL DEFAULT 0,
    clicked    INTEGER NOT NULL DEFAULT 0 CHECK (clicked IN (0, 1)),
    policy     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX interactions_user_step ON interactions (user_id, step);
CREATE INDEX interactions_product ON interactions (product_id);
CREATE INDEX interactions_variant ON interactions (variant_id) WHERE variant_id IS NOT NULL;
CREATE INDEX interactions_policy ON interactions (policy, step);

-- Ground truth of generated demo items: for evaluation only, never a label.
CREATE TABLE demo_truth (
    product_id  INTEGER PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    params_json TEXT NOT NULL,
    style_name  TEXT NOT NULL DEFAULT ''
);
