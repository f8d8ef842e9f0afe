package imaging

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/disintegration/gift"
)

// The backdrop fixtures (testdata/backdrops, made by scripts/gen-backdrop-fixtures from Debian's
// wallpapers, card decks and icons): real backgrounds, and real product-like foregrounds with alpha
// that a scene composites at a known place, so the true product mask is the foreground's alpha.

type backdropScene struct {
	name  string
	kind  string // flat, gradient, textured, alpha
	img   *image.NRGBA
	truth []bool // alpha >= 128 of the foreground where it was placed
}

func loadFixture(t testing.TB, name string) *image.NRGBA {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "backdrops", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

func fixtureNames(t testing.TB, prefix string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("testdata", "backdrops", prefix+"*.png"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no fixtures %s*.png (%v); run scripts/gen-backdrop-fixtures", prefix, err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	sort.Strings(m)
	return m
}

func flatBackground(c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 128, 128))
	draw.Draw(m, m.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	return m
}

// backdropScenes composites every foreground on every background (flat ones drawn here, the others
// from the fixtures) and, for the alpha kind, on a transparent canvas.
func backdropScenes(t testing.TB) []backdropScene {
	t.Helper()
	type bg struct {
		name, kind string
		img        *image.NRGBA
	}
	bgs := []bg{
		{"white", "flat", flatBackground(color.NRGBA{255, 255, 255, 255})},
		{"cream", "flat", flatBackground(color.NRGBA{241, 231, 210, 255})},
		{"charcoal", "flat", flatBackground(color.NRGBA{40, 42, 48, 255})},
		{"transparent", "alpha", image.NewNRGBA(image.Rect(0, 0, 128, 128))},
	}
	for _, name := range fixtureNames(t, "bg-") {
		kind := strings.Split(name, "-")[1]
		bgs = append(bgs, bg{strings.TrimSuffix(name, ".png"), kind, loadFixture(t, name)})
	}
	var scenes []backdropScene
	for i, fname := range fixtureNames(t, "fg-") {
		fg := loadFixture(t, fname)
		// Known places, varied per foreground, the product well inside the frame.
		at := image.Pt(20+(i*13)%40, 16+(i*17)%36)
		for _, b := range bgs {
			img := image.NewNRGBA(b.img.Rect)
			draw.Draw(img, img.Rect, b.img, image.Point{}, draw.Src)
			r := fg.Rect.Add(at)
			draw.Draw(img, r, fg, image.Point{}, draw.Over)
			truth := make([]bool, 128*128)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					truth[y*128+x] = fg.NRGBAAt(x-at.X, y-at.Y).A >= 128
				}
			}
			scenes = append(scenes, backdropScene{
				name: b.name + "+" + strings.TrimSuffix(strings.TrimPrefix(fname, "fg-"), ".png"),
				kind: b.kind, img: img, truth: truth,
			})
		}
	}
	return scenes
}

func maskIoU(a, b []bool) float64 {
	var inter, union int
	for i := range a {
		if a[i] && b[i] {
			inter++
		}
		if a[i] || b[i] {
			union++
		}
	}
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

// legacyProductMask is the backdrop the stylizer found before non-flat backgrounds were handled
// (kept here to measure against): the region connected to the edge within backdropTol of the edge's
// median colour, when at least 60% of the edge has that colour; else no backdrop (all product).
func legacyProductMask(img *image.NRGBA) []bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	flat := Flatten(img)
	src := make([]float32, 3*w*h)
	for k := 0; k < w*h; k++ {
		for c := 0; c < 3; c++ {
			src[3*k+c] = float32(flat.Pix[4*k+c])
		}
	}
	var edge []int
	for x := 0; x < w; x++ {
		edge = append(edge, x, (h-1)*w+x)
	}
	for y := 1; y < h-1; y++ {
		edge = append(edge, y*w, y*w+w-1)
	}
	var bg [3]float32
	for c := range bg {
		vals := make([]float32, len(edge))
		for i, k := range edge {
			vals[i] = src[3*k+c]
		}
		bg[c] = median(vals)
	}
	near := func(k int) bool {
		for c := 0; c < 3; c++ {
			if d := src[3*k+c] - bg[c]; d > backdropTol || d < -backdropTol {
				return false
			}
		}
		return true
	}
	isBg := make([]bool, w*h)
	var queue []int
	for _, k := range edge {
		if !isBg[k] && near(k) {
			isBg[k] = true
			queue = append(queue, k)
		}
	}
	product := make([]bool, w*h)
	if float64(len(queue)) < 0.6*float64(len(edge)) {
		for k := range product {
			product[k] = true
		}
		return product
	}
	queue = breadthFirst(queue, w, h, func(_, j int) bool {
		if isBg[j] || !near(j) {
			return false
		}
		isBg[j] = true
		return true
	})
	share := float64(len(queue)) / float64(w*h)
	for k := range product {
		product[k] = !isBg[k] || share < backdropMin || share > backdropMax
	}
	return product
}

// The product mask on real backgrounds: IoU against the true mask, per background kind, for the
// mask the stylizer uses now and for the flat-backdrop flood fill it used before.
// `go test ./engine/imaging -run ProductMaskOnRealBackdrops -v` prints the table.
func TestProductMaskOnRealBackdrops(t *testing.T) {
	type sums struct {
		now, before, worst float64
		n                  int
		worstName          string
	}
	per := map[string]*sums{}
	for _, s := range backdropScenes(t) {
		m := ProductMask(s.img)
		now := maskIoU(m.Product, s.truth)
		before := maskIoU(legacyProductMask(s.img), s.truth)
		a := per[s.kind]
		if a == nil {
			a = &sums{worst: 2}
			per[s.kind] = a
		}
		a.now += now
		a.before += before
		a.n++
		if now < a.worst {
			a.worst, a.worstName = now, s.name
		}
		if testing.Verbose() {
			t.Logf("%-36s kind %-8s IoU %.3f (before %.3f)", s.name, m.Kind, now, before)
		}
		if s.kind != "alpha" && m.Kind == BackdropAlpha || s.kind == "alpha" && m.Kind != BackdropAlpha {
			t.Errorf("%s: kind %v", s.name, m.Kind)
		}
	}
	want := map[string][2]float64{ // mean, worst scene
		"alpha":    {0.95, 0.9},
		"flat":     {0.9, 0.75},
		"gradient": {0.9, 0.75},
		"textured": {0.85, 0.7},
	}
	for _, kind := range []string{"alpha", "flat", "gradient", "textured"} {
		a := per[kind]
		if a == nil {
			t.Fatalf("no %s scenes", kind)
		}
		now, before := a.now/float64(a.n), a.before/float64(a.n)
		t.Logf("%-8s %2d scenes: mean IoU %.3f (before %.3f), worst %.3f (%s)", kind, a.n, now, before, a.worst, a.worstName)
		if now < want[kind][0] || a.worst < want[kind][1] {
			t.Errorf("%s backgrounds: mean IoU %.3f, worst %.3f (%s); want at least %.2f and %.2f",
				kind, now, a.worst, a.worstName, want[kind][0], want[kind][1])
		}
		if kind == "flat" && now < before-0.01 {
			t.Errorf("flat backgrounds: mean IoU %.3f, worse than the flat flood fill's %.3f", now, before)
		}
	}
}

// TestDumpBackdropMasks writes each scene and its mask side by side to $BACKDROP_DUMP (debugging).
func TestDumpBackdropMasks(t *testing.T) {
	dir := os.Getenv("BACKDROP_DUMP")
	if dir == "" {
		t.Skip("set BACKDROP_DUMP to a folder")
	}
	for _, s := range backdropScenes(t) {
		m := ProductMask(s.img)
		out := image.NewNRGBA(image.Rect(0, 0, 256, 128))
		draw.Draw(out, s.img.Rect, s.img, image.Point{}, draw.Src)
		for k, p := range m.Product {
			c := color.NRGBA{0, 0, 0, 255}
			switch {
			case p && s.truth[k]:
				c = color.NRGBA{255, 255, 255, 255}
			case p:
				c = color.NRGBA{255, 0, 0, 255}
			case s.truth[k]:
				c = color.NRGBA{0, 0, 255, 255}
			}
			out.SetNRGBA(128+k%128, k/128, c)
		}
		f, err := os.Create(filepath.Join(dir, s.name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, out)
		f.Close()
	}
}

// The backdrop step on real backgrounds: a "generator" that repaints every colour and blurs (as a
// low-resolution generator blurs a sweep's banding or a table's grain) runs at 64 px, then the
// stylizer's own steps (SettleBackdrop, TransferFullRes) carry its change to the original, at the
// scene's 128 px and upscaled to 512 px (where the backdrop is found again on a 256 px grid).
// On a gradient or textured background every pixel the stylizer calls background is the original's,
// exactly, and so are at least 97% of the true background's pixels away from the product (a band of
// 3 px at 128: the product's drop shadow and anti-aliased rim); on a flat one the background moves
// by one even change. The preview (SettleBackdrop alone) keeps the background at 64 px too.
func TestBackdropStepKeepsNonFlatBackgrounds(t *testing.T) {
	style := func(low *image.NRGBA) *image.NRGBA {
		out := image.NewNRGBA(low.Rect)
		gift.New(gift.GaussianBlur(1.2)).Draw(out, mapped(low, darkToRed))
		return out
	}
	checked := map[string]int{}
	for i, s := range backdropScenes(t) {
		if s.kind == "alpha" || i%3 == 1 && testing.Short() {
			continue
		}
		scales := []int{1}
		if i%3 == 0 {
			scales = append(scales, 4)
		}
		for _, scale := range scales {
			orig := s.img
			truth := s.truth
			if scale > 1 {
				orig = image.NewNRGBA(image.Rect(0, 0, 128*scale, 128*scale))
				gift.New(gift.Resize(128*scale, 128*scale, gift.LanczosResampling)).Draw(orig, s.img)
				truth = make([]bool, len(orig.Pix)/4)
				for k := range truth {
					truth[k] = s.truth[(k/(128*scale)/scale)*128+(k%(128*scale))/scale]
				}
			}
			w := orig.Rect.Dx()
			low := Square(orig, 64)
			content := SquareContent(w, w, 64)
			gen := style(low)
			settled, err := SettleBackdrop(orig, low, gen, content)
			if err != nil {
				t.Fatal(err)
			}
			out, err := TransferFullRes(orig, low, settled)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s at %d px", s.name, w)
			lowMask := ProductMask(low)
			gridBg, gridKind, kw, kh := backdropGrid(orig, w, w)
			band := dilateN(truth, w, w, 3*scale)
			var bg, same int
			var lo, hi [3]int
			for c := range lo {
				lo[c], hi[c] = 255, -255
			}
			for k := range truth {
				if band[k] {
					continue
				}
				bg++
				d := 0
				for c := 0; c < 3; c++ {
					dc := int(out.Pix[4*k+c]) - int(orig.Pix[4*k+c])
					lo[c], hi[c] = min(lo[c], dc), max(hi[c], dc)
					d = max(d, dc, -dc)
				}
				if d <= 1 {
					same++
				}
			}
			switch lowMask.Kind {
			case BackdropGradient, BackdropTextured:
				checked[s.kind]++
				for k := range truth {
					x, y := k%w, k/w
					isBg := gridBg != nil && gridBg[(y*kh/w)*kw+x*kw/w]
					if isBg && gridKind != BackdropFlat && !pixEqual(out.Pix[4*k:4*k+4], orig.Pix[4*k:4*k+4]) {
						t.Fatalf("%s: pixel (%d, %d) is background (%v) but changed from %v to %v",
							name, x, y, gridKind, orig.Pix[4*k:4*k+4], out.Pix[4*k:4*k+4])
					}
				}
				if share := float64(same) / float64(bg); share < 0.97 {
					t.Errorf("%s (%v): %.1f%% of the background away from the product unchanged, want 97%%", name, lowMask.Kind, 100*share)
				}
				for k, p := range lowMask.Product {
					x, y := content.Min.X+k%content.Dx(), content.Min.Y+k/content.Dx()
					if !p && settled.NRGBAAt(x, y) != low.NRGBAAt(x, y) {
						t.Fatalf("%s: preview pixel (%d, %d) is background but changed from %v to %v", name, x, y, low.NRGBAAt(x, y), settled.NRGBAAt(x, y))
					}
				}
			case BackdropFlat:
				checked["flat"]++
				for c := range lo {
					if hi[c]-lo[c] > 2 {
						t.Errorf("%s (flat): the background's change in channel %d ranges %d..%d, want one even change", name, c, lo[c], hi[c])
					}
				}
			default:
				t.Errorf("%s: no backdrop found at 64 px", name)
			}
		}
	}
	t.Logf("scenes checked per backdrop kind found: %v", checked)
	if checked["gradient"] == 0 || checked["textured"] == 0 || checked["flat"] == 0 {
		t.Errorf("want scenes of every kind, got %v", checked)
	}
}

func pixEqual(a, b []uint8) bool { return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] }

// dilateN grows a mask by n pixels (a square neighbourhood).
func dilateN(m []bool, w, h, n int) []bool {
	for i := 0; i < n; i++ {
		m = dilate(m, w, h)
	}
	return m
}

// Odd pictures never panic and give a mask of their own size: tiny, one colour, all transparent,
// noise, a non-zero origin.
func TestProductMaskOddPictures(t *testing.T) {
	noise := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(i * 7919 % 251)
	}
	for i := 3; i < len(noise.Pix); i += 4 {
		noise.Pix[i] = 255
	}
	shifted := flatBackground(color.NRGBA{200, 10, 10, 255}).SubImage(image.Rect(10, 20, 90, 70))
	for name, img := range map[string]image.Image{
		"1x1":         image.NewNRGBA(image.Rect(0, 0, 1, 1)),
		"4x3":         image.NewNRGBA(image.Rect(0, 0, 4, 3)),
		"uniform":     flatBackground(color.NRGBA{120, 130, 140, 255}),
		"transparent": image.NewNRGBA(image.Rect(0, 0, 50, 50)),
		"noise":       noise,
		"shifted":     shifted,
		"gray":        image.NewGray(image.Rect(0, 0, 64, 48)),
	} {
		m := ProductMask(img)
		if m.W != img.Bounds().Dx() || m.H != img.Bounds().Dy() || len(m.Product) != m.W*m.H {
			t.Errorf("%s: mask %dx%d with %d pixels", name, m.W, m.H, len(m.Product))
		}
	}
	// A picture that is all backdrop has no product and so no backdrop either (over backdropMax).
	if m := ProductMask(flatBackground(color.NRGBA{120, 130, 140, 255})); m.Kind != BackdropNone {
		t.Errorf("a uniform picture: kind %v, want none", m.Kind)
	}
}

// BenchmarkFindBackdrop is the backdrop search on a textured scene at the preview's sizes and the
// full-resolution grid's: `go test ./engine/imaging -run xxx -bench FindBackdrop`.
func BenchmarkFindBackdrop(b *testing.B) {
	bg := loadFixture(b, "bg-textured-wood.png")
	fg := loadFixture(b, "fg-headphones.png")
	scene := image.NewNRGBA(bg.Rect)
	draw.Draw(scene, scene.Rect, bg, image.Point{}, draw.Src)
	draw.Draw(scene, fg.Rect.Add(image.Pt(30, 30)), fg, image.Point{}, draw.Over)
	for _, n := range []int{64, 128, 256} {
		img := image.NewNRGBA(image.Rect(0, 0, n, n))
		gift.New(gift.Resize(n, n, gift.LinearResampling)).Draw(img, scene)
		rgb, alpha := readPlanes(img, n, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				findBackdrop(rgb, alpha, n, n)
			}
		})
	}
}
