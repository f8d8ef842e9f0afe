// Package imaging decodes untrusted image files safely and turns them into normalised pictures:
// composited on white, padded to a square without stretching, and thumbnailed.
//
// Decode never trusts a file's name or its claimed size: it recognises the format by its magic bytes,
// reads the dimensions from the header and refuses images over a pixel budget before allocating
// anything for the pixels. Every error it returns wraps one of the sentinel errors below (test with
// errors.Is) and reads as a sentence a merchandiser can act on.
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

const (
	// DefaultMaxPixels is the largest image (width x height) Decode accepts when given maxPixels <= 0.
	DefaultMaxPixels = 40_000_000
	// DefaultMaxFileBytes is the largest image file the importer reads.
	DefaultMaxFileBytes = 64 << 20
)

// Format names returned by Decode.
const (
	FormatPNG  = "png"
	FormatJPEG = "jpeg"
	FormatGIF  = "gif"
	FormatWebP = "webp"
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

// Config is an image's header information: its format and dimensions.
type Config struct {
	Format        string
	Width, Height int
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
	}
	if name := otherImageFormat(data); name != "" {
		return "", unsupported(name, "save it as PNG or JPEG")
	}
	return "", &Error{Kind: ErrNotImage, Msg: "the file is not a picture (it does not start like a PNG, JPEG, GIF or WebP image) — check that it is the picture itself and that it opens in an image viewer"}
}

func unsupported(what, fix string) error {
	return &Error{Kind: ErrUnsupported, Msg: fmt.Sprintf("the file is %s image, which Style Studio cannot read (it reads PNG, JPEG, GIF and WebP) — %s", what, fix)}
}

// otherImageFormat names well-known image formats we recognise but do not decode.
func otherImageFormat(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("BM")) && len(data) >= 18 && isBMPHeaderSize(binary.LittleEndian.Uint32(data[14:18])):
		return "a BMP"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "a TIFF (or camera RAW)"
	case bytes.HasPrefix(data, []byte("8BPS")):
		return "a Photoshop (PSD)"
	case bytes.HasPrefix(data, []byte("\x00\x00\x01\x00")):
		return "an icon (ICO)"
	case bytes.HasPrefix(data, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), bytes.HasPrefix(data, []byte("\xff\x4f\xff\x51")):
		return "a JPEG 2000"
	case bytes.HasPrefix(data, []byte("\xff\x0a")), bytes.HasPrefix(data, []byte("\x00\x00\x00\x0cJXL \r\n\x87\n")):
		return "a JPEG XL"
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		switch brand := string(data[8:12]); brand {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return "a HEIC/HEIF"
		case "avif", "avis":
			return "an AVIF"
		}
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

// DecodeConfig sniffs the format and reads the dimensions from the header only.
func DecodeConfig(data []byte) (Config, error) {
	format, err := Sniff(data)
	if err != nil {
		return Config{}, err
	}
	var c image.Config
	err = safely(func() error {
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
	if c.Width <= 0 || c.Height <= 0 {
		return Config{}, &Error{Kind: ErrCorrupt, Msg: fmt.Sprintf("the %s file is damaged: its header says the picture is %dx%d pixels — export it again from the original", upper(format), c.Width, c.Height)}
	}
	return Config{Format: format, Width: c.Width, Height: c.Height}, nil
}

// Decode sniffs the header (magic bytes, not the file name), reads the size from the header and
// refuses images over maxPixels (DefaultMaxPixels when maxPixels <= 0) before decoding any pixel,
// then decodes. It supports PNG, JPEG, GIF (first frame) and WebP (still images) and returns the
// format name ("png", "jpeg", "gif", "webp"). A decoder panic on hostile input becomes ErrCorrupt.
func Decode(data []byte, maxPixels int) (img image.Image, format string, err error) {
	cfg, err := DecodeConfig(data)
	if err != nil {
		return nil, "", err
	}
	if err := CheckSize(cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, "", err
	}
	err = safely(func() error {
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
		}
		return err
	})
	if err != nil {
		if truncated(cfg.Format, data) {
			err = fmt.Errorf("%w (%v)", io.ErrUnexpectedEOF, err)
		}
		return nil, "", decodeFailure(cfg.Format, err)
	}
	return img, cfg.Format, nil
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
