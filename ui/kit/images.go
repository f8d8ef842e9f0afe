package kit

import (
	"context"
	"image"

	"stylestudio/engine/imaging"
	"stylestudio/store"
)

// shownEdge is the longest side a whole picture is decoded at for showing (detail and label
// screens): more than a 4K screen shows, far less than a 100-megapixel original holds.
const shownEdge = 2048

// LoadFullImage decodes the whole stored original for showing, the right way up, flattened on white
// as the catalog shows it; where libvips is built in, at most shownEdge pixels on its longer side.
func LoadFullImage(ctx context.Context, db *store.DB, hash string) (image.Image, error) {
	data, err := db.ReadObject(hash)
	if err != nil {
		return nil, err
	}
	img, _, err := imaging.DecodeFit(data, imaging.DefaultMaxPixels, shownEdge)
	if err != nil {
		return nil, err
	}
	return imaging.Flatten(img), ctx.Err()
}
