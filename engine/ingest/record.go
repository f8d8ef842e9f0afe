// Package ingest turns files, folders, CSV manifests and generated demo items into catalog records.
// It knows nothing about SQL: records go to a Sink, which the store implements.
package ingest

import "context"

// Image is one decoded-and-checked image, ready to be stored content-addressed.
type Image struct {
	Hash   string // lowercase hex SHA-256 of Bytes
	Bytes  []byte // the original file bytes, stored unchanged
	Format string // "png", "jpeg", "gif", "webp"; with libvips also "tiff", "heic", "avif"
	Width  int    // full size, the right way up (EXIF orientation applied)
	Height int
	Source string // path it came from ("demo:<sku>" for generated items)
}

// Record is one product with its primary image, as it enters the catalog.
type Record struct {
	SKU        string
	Title      string
	Category   string
	PriceCents int64
	Image      Image
	// Thumb is a square PNG (ThumbSize px) of the image composited on white and padded, for the grid.
	Thumb []byte
	// ThumbAlpha, for a picture with transparent pixels, is its alpha channel as a greyscale PNG placed
	// exactly as Thumb places the picture (imaging.AlphaSquare); nil for an opaque picture.
	ThumbAlpha []byte
	// Style, when not empty, is applied as a label (the style is created if missing).
	Style string
	// LabelSource says who gave the label: "import", "folder", "csv", "demo".
	LabelSource string
	// DemoParams, when not nil, is the demo generator's JSON shape description, kept for evaluation only.
	DemoParams []byte
	// DemoStyle is the style the demo item was rendered in (ground truth; never a label by itself).
	DemoStyle string
	// Group names the item the picture draws, shared by the same item drawn in other styles ("" when
	// unknown): the path below the style folder (LabelsFromFolders) or a CSV's "group" column.
	Group string
}

// ThumbSize is the edge of the square grid thumbnails, in pixels.
const ThumbSize = 160

// Sink receives records. The store implements it; tests use an in-memory one.
// HasImage may be called from several goroutines at once; Run calls AddRecord from one goroutine, in order.
type Sink interface {
	// HasImage reports whether an image with this content hash is already in the catalog.
	HasImage(ctx context.Context, hash string) (bool, error)
	// AddRecord stores the image object, product, image row, thumbnail and optional label atomically.
	// It returns created=false (and no error) when the image hash is already present.
	AddRecord(ctx context.Context, r Record) (created bool, err error)
}

// Labeler is an optional Sink extension: a sink that can label a product it already holds lets a
// re-import with labels (folder names, a manifest's style column) label the products imported
// before without one. Run calls it from one goroutine, in order.
type Labeler interface {
	// LabelUnlabeled labels the product whose image has this content hash with the style (created
	// when new), from source ("folder" or "csv"), when the product has no label; false when it has one
	// (a person's label wins) or no product holds the image.
	LabelUnlabeled(ctx context.Context, hash, style, source string) (labeled bool, err error)
}

// Grouper is an optional Sink extension: a re-import that knows a picture's group (Record.Group) gives
// it to the product already in the catalog that has none, so a catalog imported before groups were
// kept gains them by importing the same folders again.
type Grouper interface {
	// GroupUngrouped sets the group of the product whose image has this content hash, when it has
	// none; false when it has one or no product holds the image.
	GroupUngrouped(ctx context.Context, hash, group string) (grouped bool, err error)
}

// ObjectWriter is an optional Sink extension: a sink that can store image bytes by content ahead of
// AddRecord lets Run write them on its workers, in parallel. An object nobody references is harmless.
type ObjectWriter interface {
	PutObject(data []byte) (hash string, err error)
}
