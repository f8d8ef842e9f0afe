-- 0005_thumbnail_alpha: a product's transparency. A grid thumbnail is composited on white, as every
-- screen shows it; where the picture has a transparent background its alpha channel is kept beside it
-- (a greyscale PNG of the same size, placed exactly as the thumbnail), for the style classifier, which
-- reads how a product's edge meets its transparent surroundings. NULL: the picture is opaque, or it was
-- imported before this migration.
ALTER TABLE thumbnails ADD COLUMN alpha BLOB;

-- The pictures nobody has checked yet (AlphaUnchecked), found without scanning every thumbnail.
CREATE INDEX thumbnails_alpha_unchecked ON thumbnails (hash) WHERE alpha IS NULL;
