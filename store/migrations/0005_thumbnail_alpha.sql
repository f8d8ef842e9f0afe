-- 0005_thumbnail_alpha: a product's transparency. A grid thumbnail is composited on white, as every
-- screen shows it; where the picture has a transparent background its alpha channel is kept beside it
-- (a greyscale PNG of the same size, placed exactly as the thumbnail), for the style classifier, which
-- reads how a product's edge meets its transparent surroundings. An empty blob: checked, the picture is
-- opaque. NULL: nobody has checked it yet (imported before this migration; the app checks it from the
-- stored original when the classifier first needs it).
ALTER TABLE thumbnails ADD COLUMN alpha BLOB;

-- The pictures nobody has checked yet (AlphaUnchecked), found without scanning every thumbnail.
CREATE INDEX thumbnails_alpha_unchecked ON thumbnails (hash) WHERE alpha IS NULL;
