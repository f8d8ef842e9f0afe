package imaging

import (
	"encoding/binary"
	"image"
)

// jpegOrientation returns the EXIF orientation tag (1..8) of a JPEG, or 1 when it has none or the
// EXIF block is malformed. Phones store portrait photos sideways and set this tag; viewers (and
// Style Studio) turn the picture upright. It reads the markers before the image data and never
// more than the file holds.
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image: no EXIF before them
			return 1
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7): // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := exifOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF-structured EXIF block; 0 when absent.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd+2 > int64(len(t)) {
		return 0
	}
	count := int64(bo.Uint16(t[ifd:]))
	for k := int64(0); k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		if typ := bo.Uint16(t[e+2:]); typ != 3 { // SHORT
			return 0
		}
		if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}

// Orient turns img the right way up for an EXIF orientation (1..8): 3 turns it half a turn, 6 a
// quarter clockwise, 8 a quarter anticlockwise, and 2, 4, 5, 7 mirror as well. Orientation 1 (or
// any value outside 1..8) returns img itself; otherwise the result is a new opaque NRGBA image,
// composited on white like Flatten, whose bounds start at (0, 0).
func Orient(img image.Image, orientation int) image.Image {
	if orientation <= 1 || orientation > 8 {
		return img
	}
	src := Flatten(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	ow, oh := w, h
	if orientation >= 5 {
		ow, oh = h, w
	}
	out := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := 0; x < w; x++ {
			var dx, dy int
			switch orientation {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // half a turn
				dx, dy = w-1-x, h-1-y
			case 4: // upside-down mirror
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // a quarter clockwise
				dx, dy = h-1-y, x
			case 7: // transverse
				dx, dy = h-1-y, w-1-x
			case 8: // a quarter anticlockwise
				dx, dy = y, w-1-x
			}
			o := dy*out.Stride + 4*dx
			copy(out.Pix[o:o+4], row[4*x:4*x+4])
		}
	}
	return out
}
