//go:build !vips

package imaging

import "image"

// Limits of the Go decoders, which hold the whole picture in memory (4 bytes a pixel) however small
// it is shown. Built with libvips (the vips tag) the limits are higher.
const (
	// DefaultMaxPixels is the largest image (width x height) Decode accepts when given maxPixels <= 0.
	DefaultMaxPixels = 40_000_000
	// DefaultMaxFileBytes is the largest image file the importer reads.
	DefaultMaxFileBytes = 64 << 20
)

// Backend names the decoder this build uses: "Go" here, "libvips x.y.z" in the vips build.
func Backend() string { return "Go" }

// backendConfig reads the header: Go's decoders know PNG, JPEG, GIF and WebP; TIFF, HEIC and AVIF
// need libvips.
func backendConfig(data []byte, format string) (Config, error) {
	if !goFormat(format) {
		return Config{}, needsVips(format)
	}
	return goConfig(data, format)
}

// backendDecode decodes at full size (Go's decoders have no reduced decoding; maxEdge is ignored).
func backendDecode(data []byte, cfg Config, _ int) (image.Image, error) {
	return goDecode(data, cfg)
}
