//go:build vips

package imaging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"runtime"
	"strings"
	"sync"

	"github.com/davidbyttow/govips/v2/vips"
)

// Limits with libvips, which decodes at the size a picture is shown (shrink-on-load) and streams
// the rest, so a 100-megapixel photo costs little more than its thumbnail.
const (
	// DefaultMaxPixels is the largest image (width x height) Decode accepts when given maxPixels <= 0.
	DefaultMaxPixels = 250_000_000
	// DefaultMaxFileBytes is the largest image file the importer reads.
	DefaultMaxFileBytes = 256 << 20
)

// Backend names the decoder this build uses: "libvips x.y.z" here, "Go" without the vips tag.
func Backend() string { return "libvips " + vips.Version }

var vipsOnce sync.Once

// startVips starts libvips once, quietly: no log lines for users, one thread per operation (the
// importer already runs one decode per CPU) and no operation cache (every import decodes each file
// once; a cache would only hold memory).
func startVips() {
	vipsOnce.Do(func() {
		vips.LoggingSettings(func(string, vips.LogLevel, string) {}, vips.LogLevelError)
		vips.Startup(&vips.Config{ConcurrencyLevel: 1, MaxCacheFiles: 0, MaxCacheMem: 0, MaxCacheSize: 0})
	})
}

// backendConfig reads the header. PNG, JPEG, GIF and WebP headers are read by Go's decoders first
// (the same checks as without libvips); TIFF, HEIC and AVIF by libvips, which only parses the
// header until pixels are asked for.
func backendConfig(data []byte, format string) (Config, error) {
	if goFormat(format) {
		return goConfig(data, format)
	}
	startVips()
	ref, err := vips.LoadImageFromBuffer(data, vips.NewImportParams())
	if err != nil {
		return Config{}, failure(format, data, vipsError(err))
	}
	defer ref.Close()
	return checkedConfig(Config{Format: format, Width: ref.Width(), Height: ref.Height(), Orientation: vipsOrientation(ref, format)})
}

// vipsOrientation is the orientation libvips applies: HEIF pictures are turned by libheif while
// loading, so their EXIF tag is already done.
func vipsOrientation(ref *vips.ImageRef, format string) int {
	if format == FormatHEIC || format == FormatAVIF {
		return 1
	}
	return ref.Orientation()
}

// backendDecode decodes through libvips, at reduced size when maxEdge asks for it, the right way
// up, converted to 8-bit sRGB (embedded ICC profiles and CMYK through their profile; 16-bit
// scaled down).
func backendDecode(data []byte, cfg Config, maxEdge int) (image.Image, error) {
	smallPNG := cfg.Format == FormatPNG && cfg.Width*cfg.Height <= smallPNGPixels && !pngHasICC(data)
	// GIF: libvips sizes the picture by its largest frame, not by the screen the header declares (and
	// the pixel limit checked), so a tiny GIF could claim a huge frame; Go's decoder refuses that.
	if smallPNG || cfg.Format == FormatGIF {
		return goDecode(data, cfg)
	}
	startVips()
	var ref *vips.ImageRef
	var err error
	params := vips.NewImportParams() // fail on the first decoding error
	if maxEdge > 0 && max(cfg.Width, cfg.Height) > maxEdge {
		ref, err = vips.LoadThumbnailFromBuffer(data, maxEdge, maxEdge, vips.InterestingNone, vips.SizeDown, params)
	} else {
		ref, err = vips.LoadImageFromBuffer(data, params)
		if err == nil && vipsOrientation(ref, cfg.Format) > 1 {
			err = ref.AutoRotate()
		}
	}
	if ref != nil {
		defer ref.Close()
	}
	if err != nil {
		return nil, vipsError(err)
	}
	img, err := toNRGBA(ref)
	runtime.KeepAlive(data) // libvips reads the buffer lazily, until the pixels are out
	if err != nil {
		return nil, vipsError(err)
	}
	return img, nil
}

// smallPNGPixels: PNGs up to this size without an ICC profile are decoded by Go's decoder, which
// costs less than a libvips pipeline for the small product shots catalogs are full of (measured
// about 20% less CPU per 256-px PNG import) and gives the same pixels; shrink-on-load gains nothing
// there.
const smallPNGPixels = 1 << 20

// pngHasICC reports whether a PNG has an iCCP chunk (it comes before the image data).
func pngHasICC(data []byte) bool {
	for i := 8; i+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[i:]))
		switch string(data[i+4 : i+8]) {
		case "iCCP":
			return true
		case "IDAT", "IEND":
			return false
		}
		if n < 0 || n > len(data) {
			return false
		}
		i += 12 + n
	}
	return false
}

// toNRGBA converts ref to 8-bit sRGB with alpha (opaque when it had none) and copies its pixels out.
func toNRGBA(ref *vips.ImageRef) (*image.NRGBA, error) {
	if cmyk := ref.Interpretation() == vips.InterpretationCMYK; cmyk || ref.HasICCProfile() {
		fallback := "srgb"
		if cmyk {
			fallback = "cmyk"
		}
		if err := ref.TransformICCProfileWithFallback("srgb", fallback); err != nil {
			return nil, err
		}
	}
	if ref.Interpretation() != vips.InterpretationSRGB || ref.BandFormat() != vips.BandFormatUchar {
		if err := ref.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return nil, err
		}
	}
	if ref.BandFormat() != vips.BandFormatUchar {
		if err := ref.Cast(vips.BandFormatUchar); err != nil {
			return nil, err
		}
	}
	if b := ref.Bands(); b > 4 { // extra bands (a TIFF's): keep colour and alpha
		keep := 3
		if ref.HasAlpha() {
			keep = 4
		}
		if err := ref.ExtractBand(0, keep); err != nil {
			return nil, err
		}
	}
	// An opaque alpha band added by libvips costs less than expanding 3 bands in Go: the pixels
	// are copied out once, straight into the NRGBA image.
	if err := ref.AddAlpha(); err != nil {
		return nil, err
	}
	w, h := ref.Width(), ref.Height()
	if ref.Bands() != 4 {
		return nil, fmt.Errorf("libvips gave %d bands after converting to sRGB with alpha", ref.Bands())
	}
	raw, err := ref.ToBytes()
	if err != nil {
		return nil, err
	}
	if len(raw) < 4*w*h {
		return nil, errors.New("libvips returned fewer pixels than the picture has")
	}
	return &image.NRGBA{Pix: raw[:4*w*h], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}, nil
}

// vipsError keeps the first line of a libvips error (the rest is its call trace).
func vipsError(err error) error {
	msg := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return errors.New(strings.TrimSpace(msg))
}
