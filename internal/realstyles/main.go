// Command realstyles assembles a real multi-style catalog from the playing-card decks Debian ships
// (kdegames-card-data-kf5, gnome-cards-data): the same 52 cards drawn by different designers, one folder
// per deck (the style), so `stylestudio import --labels-from-folders` reads it and every card has its
// paired counterparts in the other styles. scripts/realstyles installs what it needs and runs it.
//
//	go run ./internal/realstyles --set dev|bench [--size 128] [--cards 52] OUT
//
// Each card is rendered with `rsvg-convert -i ID` (librsvg2-bin), cropped to its opaque pixels, scaled
// to fit a size×size square (its aspect kept) and centred on a transparent square, written as
// OUT/<deck>/<rank>_<suit>.png. The output depends only on the decks, librsvg's version and the flags.
//
// Two disjoint sets of five decks: "dev" is for choosing settings, "bench" is only reported on. No deck
// appears in both, and no design appears twice (dondorf, paris and ornamental ship in both packages;
// none of them is used twice).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"stylestudio/internal/par"

	xdraw "golang.org/x/image/draw"
)

// deck is one card design: the SVG file and how its element ids name a card.
type deck struct {
	name string // the style name (folder)
	file string
	kde  bool // ids "<rank>_<suit>" (KDE) rather than "<suit>_<rank>" (GNOME)
}

const (
	kdeDir   = "/usr/share/carddecks"
	gnomeDir = "/usr/share/aisleriot/cards"
)

// sets are the two disjoint deck sets. Decks were picked as designs by different hands whose ids
// render to a whole card with rsvg-convert 2.54 (konqi-modern does not: "has no dimensions"); near-copies (anglo_bitmap, *_4_color, oxygen-white)
// are left out so a style is a design, not a recolouring.
var sets = map[string][]deck{
	"dev": {
		{"anglo", gnomeDir + "/anglo.svgz", false},
		{"tango", gnomeDir + "/tango.svgz", false},
		{"oxygen", kdeDir + "/svg-oxygen/oxygen.svgz", true},
		{"jolly-royal", kdeDir + "/svg-jolly-royal/jolly-royal.svgz", true},
		{"swiss-xvii", gnomeDir + "/swiss-xvii.svgz", false},
	},
	"dev2": {
		{"anglo-modern", gnomeDir + "/anglo_modern.svgz", false},
		{"simplistic", gnomeDir + "/simplistic.svgz", false},
		{"neoclassical", gnomeDir + "/neoclassical.svgz", false},
		{"lattmann", gnomeDir + "/lattmann.svgz", false},
		{"oxygen-air", kdeDir + "/svg-oxygen-air/oxygen-air.svgz", true},
	},
	"bench": {
		{"gnomangelo", gnomeDir + "/gnomangelo.svgz", false},
		{"plastic", gnomeDir + "/plastic.svgz", false},
		{"penguins", kdeDir + "/svg-penguins/penguins.svgz", true},
		{"ancient-egyptians", kdeDir + "/svg-ancient-egyptians/Ancient_Egyptians.svgz", true},
		{"guyenne-classic", gnomeDir + "/guyenne-classic.svgz", false},
	},
}

var (
	ranks = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "jack", "queen", "king"}
	suits = []string{"club", "diamond", "heart", "spade"}
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "realstyles:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("realstyles", flag.ContinueOnError)
	set := fs.String("set", "bench", "deck set: dev or dev2 (for choosing settings) or bench (for reporting); icon themes: icons-dev or icons-bench")
	size := fs.Int("size", 128, "edge of the square output images in pixels")
	cards := fs.Int("cards", 52, "cards per deck (the first N of ace..king, each in club, diamond, heart, spade)")
	list := fs.Bool("list", false, "list the decks of the set and exit")
	ink := fs.Bool("ink", false, "keep only what is drawn on each card: its paper made transparent inside the border, cropped to the ink (harder: no card outline or paper colour to go by)")
	uncropped := fs.Bool("uncropped", false, "icon sets: keep each icon's own canvas and margins, as its theme ships it, instead of cropping it to its drawing")
	workers := fs.Int("workers", runtime.NumCPU(), "rsvg-convert processes at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if themes, ok := iconSets[*set]; ok {
		return runIcons(themes, *list, *size, *workers, *uncropped, fs.Args())
	}
	decks, ok := sets[*set]
	if !ok {
		return fmt.Errorf("unknown --set %q; use dev, dev2 or bench (card decks), or icons-dev or icons-bench (icon themes)", *set)
	}
	if *list {
		for _, d := range decks {
			fmt.Println(d.name, d.file)
		}
		return nil
	}
	if fs.NArg() != 1 {
		return errors.New("usage: realstyles [--set dev|bench] [--size 128] [--cards 52] OUT")
	}
	if *size < 16 || *size > 1024 {
		return fmt.Errorf("--size %d is out of range (16 to 1024)", *size)
	}
	if *workers < 1 {
		*workers = 1
	}
	if *cards < 1 || *cards > 52 {
		return fmt.Errorf("--cards %d is out of range (1 to 52)", *cards)
	}
	if _, err := exec.LookPath("rsvg-convert"); err != nil {
		return errors.New("rsvg-convert is not installed; install librsvg2-bin (apt-get install librsvg2-bin)")
	}
	out := fs.Arg(0)
	var ids [][2]string       // rank, suit
	for _, r := range ranks { // rank-major, so that --cards N < 52 still spans every suit
		for _, s := range suits {
			ids = append(ids, [2]string{r, s})
		}
	}
	ids = ids[:*cards]
	type job struct {
		d    deck
		rank string
		suit string
	}
	var jobs []job
	for _, d := range decks {
		if _, err := os.Stat(d.file); err != nil {
			return fmt.Errorf("deck %s: %s is missing; install kdegames-card-data-kf5 and gnome-cards-data", d.name, d.file)
		}
		if err := os.MkdirAll(filepath.Join(out, d.name), 0o755); err != nil {
			return err
		}
		for _, id := range ids {
			jobs = append(jobs, job{d, id[0], id[1]})
		}
	}
	// Every card is its own rsvg-convert process and file, so rendering them in parallel gives the
	// same bytes as one at a time.
	errs := make([]error, len(jobs))
	par.ForN(len(jobs), *workers, func(_, i int) {
		j := jobs[i]
		elem := j.suit + "_" + j.rank
		if j.d.kde {
			elem = j.rank + "_" + j.suit
		}
		img, err := render(j.d.file, elem, *size, *ink)
		if err == nil {
			err = writePNG(filepath.Join(out, j.d.name, j.rank+"_"+j.suit+".png"), img)
		}
		if err != nil {
			errs[i] = fmt.Errorf("deck %s card %s: %w", j.d.name, elem, err)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	total := len(jobs)
	for _, d := range decks {
		fmt.Fprintf(os.Stderr, "%s: %d cards\n", d.name, len(ids))
	}
	fmt.Fprintf(os.Stderr, "%d images in %d styles under %s\n", total, len(decks), out)
	return nil
}

// render draws one element, crops it to its visible pixels and fits it into a transparent square.
func render(file, id string, size int, ink bool) (*image.NRGBA, error) {
	// First at the document's own scale to learn the card's size, then at a zoom that draws the card
	// about 4× the output size, so the final downscale averages away rasterisation detail.
	first, err := rsvg(file, id, 1)
	if err != nil {
		return nil, err
	}
	bb := opaqueBounds(first)
	if bb.Empty() {
		return nil, errors.New("the element renders empty")
	}
	zoom := 4 * float64(size) / float64(max(bb.Dx(), bb.Dy()))
	big, err := rsvg(file, id, zoom)
	if err != nil {
		return nil, err
	}
	bb = opaqueBounds(big)
	if bb.Empty() {
		return nil, errors.New("the element renders empty")
	}
	ratio := float64(bb.Dx()) / float64(bb.Dy())
	if ratio < 0.5 || ratio > 0.9 {
		return nil, fmt.Errorf("renders as %dx%d, not a card's shape; this deck does not render cleanly with this librsvg", bb.Dx(), bb.Dy())
	}
	var src image.Image = big
	if ink {
		src, bb = inkOnly(big, bb)
		if bb.Empty() {
			return nil, errors.New("the card has no ink inside its border")
		}
	}
	return fitSquare(src, bb, size), nil
}

// fitSquare scales the bb part of src to fit a size×size square, its aspect kept, centred on
// transparency.
func fitSquare(src image.Image, bb image.Rectangle, size int) *image.NRGBA {
	w, h := max(1, bb.Dx()*size/max(bb.Dx(), bb.Dy())), max(1, bb.Dy()*size/max(bb.Dx(), bb.Dy()))
	dst := image.NewNRGBA(image.Rect(0, 0, size, size))
	at := image.Pt((size-w)/2, (size-h)/2)
	// Scale in premultiplied RGBA so transparent edges do not bleed black, then store as NRGBA.
	tmp := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(tmp, tmp.Rect, src, bb, xdraw.Src, nil)
	draw.Draw(dst, image.Rectangle{Min: at, Max: at.Add(image.Pt(w, h))}, tmp, image.Point{}, draw.Src)
	return dst
}

// inkOnly keeps what is drawn on the card and drops the card itself: inside a border inset by 5% of
// the card's width (its outline and rounded corners), near-white paper becomes transparent; what is
// left is cropped to its opaque pixels. Cards printed on coloured paper keep it: that is their style.
func inkOnly(img image.Image, card image.Rectangle) (*image.NRGBA, image.Rectangle) {
	inset := card.Dx() / 20
	inner := card.Inset(inset)
	out := image.NewNRGBA(inner)
	draw.Draw(out, inner, img, inner.Min, draw.Src)
	for y := inner.Min.Y; y < inner.Max.Y; y++ {
		for x := inner.Min.X; x < inner.Max.X; x++ {
			i := out.PixOffset(x, y)
			p := out.Pix[i : i+4]
			if p[0] >= 230 && p[1] >= 230 && p[2] >= 230 {
				p[0], p[1], p[2], p[3] = 0, 0, 0, 0
			}
		}
	}
	return out, opaqueBounds(out)
}

func rsvg(file, id string, zoom float64) (image.Image, error) {
	cmd := exec.Command("rsvg-convert", "-i", id, "-z", fmt.Sprintf("%.6f", zoom), file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("rsvg-convert -i %s %s: %v: %s", id, file, err, strings.TrimSpace(stderr.String()))
	}
	img, err := png.Decode(&stdout)
	if err != nil {
		return nil, fmt.Errorf("rsvg-convert -i %s %s: unreadable output: %w", id, file, err)
	}
	return img, nil
}

// opaqueBounds is the smallest rectangle holding every pixel with alpha above a few percent.
func opaqueBounds(img image.Image) image.Rectangle {
	b := img.Bounds()
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, b.Min.X-1, b.Min.Y-1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a > 0x0a00 {
				minX, minY = min(minX, x), min(minY, y)
				maxX, maxY = max(maxX, x), max(maxY, y)
			}
		}
	}
	if maxX < minX {
		return image.Rectangle{}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}

func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
