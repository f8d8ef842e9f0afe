-- 0004_frozen_splits: honest evaluation. Each product's split is assigned once and never moves, and a
-- training run records the products it trained on, so an evaluation can leave them out.

-- The split of each product, assigned the first time it is needed (when it is labelled and a model
-- trains or is evaluated) and frozen from then on: new labels never move it, and export --seed writes
-- another split into the export only. seed is the split seed it was assigned with.
CREATE TABLE product_splits (
    product_id  INTEGER PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    split       TEXT    NOT NULL CHECK (split IN ('train', 'val', 'test')),
    seed        INTEGER NOT NULL,
    assigned_at TEXT    NOT NULL
);

-- Keep the assignment older catalogs were using (the active seed of 0002's splits), so the runs and
-- the classifier trained on it keep their meaning.
INSERT INTO product_splits (product_id, split, seed, assigned_at)
SELECT sp.product_id, sp.split, sp.seed, ss.assigned_at
FROM splits sp JOIN split_settings ss ON ss.id = 1 AND sp.seed = ss.seed;

-- The products a GAN run trained on: each training session (a resume too) adds the train-split products
-- of its styles. Runs of older catalogs have no rows: their training set is unknown, and eval then
-- leaves out the frozen train split only (and says so: train_products_recorded false).
CREATE TABLE run_train_products (
    run_id     INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL,
    PRIMARY KEY (run_id, product_id)
) WITHOUT ROWID;
