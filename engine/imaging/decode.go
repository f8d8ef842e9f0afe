// Package imaging decodes untrusted image files safely and turns them into normalised pictures:
// composited on white, padded to a square without stretching, and thumbnailed.
//
// Decode never trusts a file's name or its claimed size: it recognises the format by its magic bytes,
// reads the dimensions from the header and refuses images over a pixel budget before allocating
// anything for the pixels. Every error it returns wraps one of the sentinel errors below (test with
// errors.Is) and reads as a sentence a merchandiser can act on.
//
// Two decoders sit behind the same API, chosen at build time: libvips (the vips build tag, set by
// the Makefile when pkg-config finds libvips) decodes at reduced size where asked (DecodeFit), reads
// TIFF, HEIC and AVIF, CMYK and 16-bit pictures and converts ICC profiles to sRGB, up to 250
// megapixels; without it Go's decoders read PNG, JPEG, GIF and WebP up to 40 megapixels. Both
// apply EXIF orientation, so every picture comes out the right way up.
package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"
	"strings"

	"golang.org/x/image/webp"
)

// Sentinel errors. Decode's errors wrap exactly one of them; their own text is a full sentence.
var (
	// ErrTooLarge: the image has more pixels than allowed (or the file is bigger than allowed).
	ErrTooLarge = errors.New("image is too large")
	// ErrNotImage: the bytes are not an image at all (a text file renamed .png, an empty file...).
	ErrNotImage = errors.New("not an image")
	// ErrCorrupt: the file starts like a supported image but its data is damaged or cut short.
	ErrCorrupt = errors.New("image is damaged")
	// ErrUnsupported: an image, but in a format or variant Style Studio cannot read (TIFF, HEIC,
	// animated WebP, arithmetic-coded JPEG...).
	ErrUnsupported = errors.New("image format is not supported")
)

// Format names returned by Decode.
const (
	FormatPNG  = "png"
	FormatJPEG = "jpeg"
	FormatGIF  = "gif"
	FormatWebP = "webp"
	// Read only when built with libvips (the vips build tag); without it they fail with ErrUnsupported
	// and a message saying what to install.
	FormatTIFF = "tiff"
	FormatHEIC = "heic"
	FormatAVIF = "avif"
)

// Error is the concrete error type Decode returns. Its message is written for people;
// Kind is one of the sentinel errors and Err, when not nil, the decoder's own error.
type Error struct {
	Kind error
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is match both the sentinel kind and the underlying decoder error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Config is an image's header information: its format and its dimensions the right way up (EXIF
// orientation applied: a portrait phone photo stored sideways reports its portrait size).
type Config struct {
	Format        string
	Width, Height int
	// Orientation is the EXIF orientation (1..8) the decoders apply; 1 means stored upright.
	Orientation int
}

// Sniff recognises the image format from the first bytes of data. It returns one of the Format
// constants, or an *Error wrapping ErrNotImage or ErrUnsupported.
func Sniff(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", &Error{Kind: ErrNotImage, Msg: "the file is empty — it holds no picture"}
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG, nil
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return FormatJPEG, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return FormatGIF, nil
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		// VP8X header: flags byte at offset 20, bit 1 = animation.
		if len(data) >= 21 && string(data[12:16]) == "VP8X" && data[20]&0x02 != 0 {
			return "", unsupported("an animated WebP", "save a single frame as PNG or JPEG")
		}
		return FormatWebP, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return FormatTIFF, nil
	}
	if brand := isoBrand(data); brand != "" {
		return brand, nil
	}
	if name := otherImageFormat(data); name != "" {
		return "", unsupported(name, "save it as PNG or JPEG")
	}
	return "", &Error{Kind: ErrNotImage, Msg: "the file is not a picture (it does not start like a PNG, JPEG, GIF, WebP, TIFF, HEIC or AVIF image) — check that it is the picture itself and that it opens in an image viewer"}
}

// isoBrand recognises HEIC/HEIF and AVIF files by the brand of their ISO-BMFF "ftyp" box.
func isoBrand(data []byte) string {
	if len(data) < 12 || string(data[4:8]) != "ftyp" {
		return ""
	}
	switch string(data[8:12]) {
	case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
		return FormatHEIC
	case "avif", "avis":
		return FormatAVIF
	}
	return ""
}

// goFormat reports whether format is one of those Go's own decoders read (PNG, JPEG, GIF, WebP).
func goFormat(format string) bool {
	switch format {
	case FormatPNG, FormatJPEG, FormatGIF, FormatWebP:
		return true
	}
	return false
}

// needsVips is the error for a format only the libvips build reads.
func needsVips(format string) error {
	return &Error{Kind: ErrUnsupported, Msg: fmt.Sprintf("%s needs libvips: install libvips-dev and rebuild with make (or save the picture as JPEG or PNG)", upper(format))}
}

func unsupported(what, fix string) error {
	return &Error{Kind: ErrUnsupported, Msg: fmt.Sprintf("the file is %s image, which Style Studio cannot read (it reads PNG, JPEG, GIF and WebP, and with libvips TIFF, HEIC and AVIF) — %s", what, fix)}
}

// otherImageFormat names well-known image formats we recognise but do not decode.
func otherImageFormat(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("BM")) && len(data) >= 18 && isBMPHeaderSize(binary.LittleEndian.Uint32(data[14:18])):
		return "a BMP"
	case bytes.HasPrefix(data, []byte("8BPS")):
		return "a Photoshop (PSD)"
	case bytes.HasPrefix(data, []byte("\x00\x00\x01\x00")):
		return "an icon (ICO)"
	case bytes.HasPrefix(data, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), bytes.HasPrefix(data, []byte("\xff\x4f\xff\x51")):
		return "a JPEG 2000"
	case bytes.HasPrefix(data, []byte("\xff\x0a")), bytes.HasPrefix(data, []byte("\x00\x00\x00\x0cJXL \r\n\x87\n")):
		return "a JPEG XL"
	}
	return ""
}

// isBMPHeaderSize reports whether n is the size of one of the BMP info header versions.
func isBMPHeaderSize(n uint32) bool {
	switch n {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// DecodeConfig sniffs the format and reads the dimensions (the right way up) from the header only.
func DecodeConfig(data []byte) (Config, error) {
	format, err := Sniff(data)
	if err != nil {
		return Config{}, err
	}
	return backendConfig(data, format)
}

// goConfig reads the header of a PNG, JPEG, GIF or WebP file with Go's decoders, and a JPEG's EXIF
// orientation.
func goConfig(data []byte, format string) (Config, error) {
	var c image.Config
	err := safely(func() error {
		var err error
		r := bytes.NewReader(data)
		switch format {
		case FormatPNG:
			c, err = png.DecodeConfig(r)
		case FormatJPEG:
			c, err = jpeg.DecodeConfig(r)
		case FormatGIF:
			c, err = gif.DecodeConfig(r)
		case FormatWebP:
			c, err = webp.DecodeConfig(r)
		}
		return err
	})
	if err != nil {
		return Config{}, decodeFailure(format, err)
	}
	cfg := Config{Format: format, Width: c.Width, Height: c.Height, Orientation: 1}
	if format == FormatJPEG {
		cfg.Orientation = jpegOrientation(data)
	}
	return checkedConfig(cfg)
}

// checkedConfig refuses empty or negative dimensions and swaps them for the orientations that turn
// the picture a quarter.
func checkedConfig(cfg Config) (Config, error) {
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Config{}, &Error{Kind: ErrCorrupt, Msg: fmt.Sprintf("the %s file is damaged: its header says the picture is %dx%d pixels — export it again from the original", upper(cfg.Format), cfg.Width, cfg.Height)}
	}
	if cfg.Orientation < 1 || cfg.Orientation > 8 {
		cfg.Orientation = 1
	}
	if cfg.Orientation >= 5 {
		cfg.Width, cfg.Height = cfg.Height, cfg.Width
	}
	return cfg, nil
}

// Decode sniffs the header (magic bytes, not the file name), reads the size from the header and
// refuses images over maxPixels (DefaultMaxPixels when maxPixels <= 0) before decoding any pixel,
// then decodes at full size, the right way up (EXIF orientation applied). It returns the format
// name (one of the Format constants). A decoder panic on hostile input becomes ErrCorrupt.
//
// Without libvips it reads PNG, JPEG, GIF (first frame) and WebP (still images) with Go's
// decoders; built with libvips (the vips tag) also TIFF, HEIC and AVIF, CMYK and 16-bit pictures,
// and converts embedded ICC profiles to sRGB.
func Decode(data []byte, maxPixels int) (img image.Image, format string, err error) {
	img, cfg, err := DecodeFit(data, maxPixels, 0)
	return img, cfg.Format, err
}

// DecodeFit is Decode for pictures that are shown or processed smaller than they are: with libvips
// the picture is decoded at reduced size (shrink-on-load: a 100-megapixel JPEG is read at 1/8 scale
// for a thumbnail), its longer side at most maxEdge; the Go decoders cannot do that and return the
// full size (as for GIFs and small PNGs in both builds), so callers
// still fit the result themselves. maxEdge <= 0 means full size. The Config
// is the header's, with the full-size dimensions the right way up.
func DecodeFit(data []byte, maxPixels, maxEdge int) (image.Image, Config, error) {
	cfg, err := DecodeConfig(data)
	if err != nil {
		return nil, Config{}, err
	}
	if err := CheckSize(cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, Config{}, err
	}
	var img image.Image
	err = safely(func() error {
		var err error
		img, err = backendDecode(data, cfg, maxEdge)
		return err
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, Config{}, err
		}
		return nil, Config{}, failure(cfg.Format, data, err)
	}
	return img, cfg, nil
}

// goDecode decodes a PNG, JPEG, GIF (first frame) or WebP with Go's decoders, then applies the
// orientation.
func goDecode(data []byte, cfg Config) (image.Image, error) {
	var img image.Image
	var err error
	r := bytes.NewReader(data)
	switch cfg.Format {
	case FormatPNG:
		img, err = png.Decode(r)
	case FormatJPEG:
		img, err = jpeg.Decode(r)
	case FormatGIF:
		img, err = gif.Decode(r) // first frame only
	case FormatWebP:
		img, err = webp.Decode(r)
	default:
		return nil, needsVips(cfg.Format)
	}
	if err != nil {
		return nil, err
	}
	return Orient(img, cfg.Orientation), nil
}

// failure turns a decoder's error into an *Error, telling a file cut short from a damaged one.
func failure(format string, data []byte, err error) error {
	if truncated(format, data) {
		err = fmt.Errorf("%w (%v)", io.ErrUnexpectedEOF, err)
	}
	return decodeFailure(format, err)
}

// CheckSize returns an ErrTooLarge error when width x height exceeds maxPixels
// (DefaultMaxPixels when maxPixels <= 0).
func CheckSize(width, height, maxPixels int) error {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	n := int64(width) * int64(height)
	if n <= int64(maxPixels) {
		return nil
	}
	return &Error{Kind: ErrTooLarge, Msg: fmt.Sprintf("image is %dx%d pixels (%s); the limit is %s — resize it before importing",
		width, height, pixelWords(n), pixelWords(int64(maxPixels)))}
}

// pixelWords writes a pixel count the way people say it: "2.5 gigapixels", "40 megapixels".
func pixelWords(n int64) string {
	switch {
	case n >= 1_000_000_000:
		return trimZero(float64(n)/1e9) + " gigapixels"
	case n >= 1_000_000:
		return trimZero(float64(n)/1e6) + " megapixels"
	default:
		return strconv.FormatInt(n, 10) + " pixels"
	}
}

func trimZero(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

func upper(format string) string {
	if format == FormatWebP {
		return "WebP"
	}
	if format == "" {
		return "image"
	}
	return strings.ToUpper(format)
}

// decodeFailure turns a decoder error into an *Error that says what to do.
func decodeFailure(format string, err error) error {
	var pu png.UnsupportedError
	var ju jpeg.UnsupportedError
	if errors.As(err, &pu) || errors.As(err, &ju) {
		return &Error{Kind: ErrUnsupported, Err: err, Msg: fmt.Sprintf("this %s file uses a variant Style Studio cannot read (%v) — save it again as a standard PNG or JPEG", upper(format), err)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &Error{Kind: ErrCorrupt, Err: err, Msg: fmt.Sprintf("the %s file is cut short (incomplete download or copy?) — copy or export it again", upper(format))}
	}
	return &Error{Kind: ErrCorrupt, Err: err, Msg: fmt.Sprintf("the %s file is damaged and cannot be read (%v) — export it again from the original", upper(format), err)}
}

// truncated reports whether data lacks the end marker its format requires, the usual sign of an
// interrupted download or copy.
func truncated(format string, data []byte) bool {
	switch format {
	case FormatPNG:
		return !bytes.HasSuffix(data, []byte("IEND\xaeB`\x82"))
	case FormatJPEG:
		return !bytes.Contains(data[max(0, len(data)-64):], []byte{0xff, 0xd9})
	case FormatGIF:
		return !bytes.HasSuffix(data, []byte{0x3b})
	}
	return false
}

// safely runs fn, turning a panic inside a decoder into an error.
func safely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder failed on malformed data: %v", r)
		}
	}()
	return fn()
}
