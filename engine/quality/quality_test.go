package quality

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// scene is a w x h picture with structure at several scales: a gradient, a dark disc, stripes.
func scene(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(40 + 150*x/w)
			dx, dy := x-w/2, y-h/2
			if dx*dx+dy*dy < (w/4)*(w/4) {
				v = 20
			}
			if (x/3)%2 == 0 && y < h/4 {
				v = 230
			}
			m.SetNRGBA(x, y, color.NRGBA{v, uint8(int(v) * 3 / 4), 255 - v, 255})
		}
	}
	return m
}

func invert(m *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Rect)
	for i := 0; i < len(m.Pix); i += 4 {
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = 255-m.Pix[i], 255-m.Pix[i+1], 255-m.Pix[i+2], m.Pix[i+3]
	}
	return out
}

// withNoise adds zero-mean uniform noise of amplitude amp to every channel, from a fixed seed so
// that each level is the previous level's noise scaled up.
func withNoise(m *image.NRGBA, amp float64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(7, 11))
	out := image.NewNRGBA(m.Rect)
	for i := range m.Pix {
		if i%4 == 3 {
			out.Pix[i] = m.Pix[i]
			continue
		}
		v := float64(m.Pix[i]) + amp*(2*rng.Float64()-1)
		out.Pix[i] = uint8(math.Round(math.Min(255, math.Max(0, v))))
	}
	return out
}

func mustSSIM(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	s, err := SSIM(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLuminanceRec601OnWhite(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 4, 1))
	m.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	m.SetNRGBA(1, 0, color.NRGBA{0, 255, 0, 255})
	m.SetNRGBA(2, 0, color.NRGBA{0, 0, 0, 0})    // transparent: the white behind it
	m.SetNRGBA(3, 0, color.NRGBA{0, 0, 0, 0x80}) // half-transparent black: mid grey
	want := []float64{0.299 * 255, 0.587 * 255, 255, 255 * (1 - 128.0/255)}
	for name, img := range map[string]image.Image{"NRGBA": m, "RGBA": toRGBA(m)} {
		l := Luminance(img)
		if l.W != 4 || l.H != 1 {
			t.Fatalf("%s: size %dx%d, want 4x1", name, l.W, l.H)
		}
		for i, w := range want {
			if math.Abs(l.Pix[i]-w) > 0.6 {
				t.Errorf("%s: pixel %d luma %.2f, want %.2f", name, i, l.Pix[i], w)
			}
		}
	}
}

func toRGBA(m image.Image) *image.RGBA {
	b := m.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x, y, m.At(x, y))
		}
	}
	return out
}

func TestSSIMIdenticalIsOne(t *testing.T) {
	img := scene(64, 48)
	if s := mustSSIM(t, img, img); math.Abs(s-1) > 1e-12 {
		t.Errorf("SSIM of an image with itself = %v, want 1", s)
	}
	// Same pixels in another representation are the same image.
	if s := mustSSIM(t, img, toRGBA(img)); math.Abs(s-1) > 1e-12 {
		t.Errorf("SSIM of NRGBA vs its RGBA copy = %v, want 1", s)
	}
	flat := image.NewNRGBA(image.Rect(0, 0, 20, 20)) // constant images: only the constants keep it defined
	if s := mustSSIM(t, flat, flat); math.Abs(s-1) > 1e-12 {
		t.Errorf("SSIM of a constant image with itself = %v, want 1", s)
	}
}

func TestSSIMOfInverseIsLow(t *testing.T) {
	img := scene(64, 48)
	if s := mustSSIM(t, img, invert(img)); s > 0.1 {
		t.Errorf("SSIM of an image and its inverse = %.3f, want near or below 0", s)
	}
}

func TestSSIMIsSymmetric(t *testing.T) {
	a, b := scene(64, 48), withNoise(scene(64, 48), 40)
	ab, ba := mustSSIM(t, a, b), mustSSIM(t, b, a)
	if math.Abs(ab-ba) > 1e-12 {
		t.Errorf("SSIM(a, b) = %v but SSIM(b, a) = %v", ab, ba)
	}
}

func TestSSIMDegradesWithNoise(t *testing.T) {
	img := scene(96, 64)
	prev := 1.0
	for _, amp := range []float64{4, 12, 30, 60, 120} {
		s := mustSSIM(t, img, withNoise(img, amp))
		if s >= prev {
			t.Errorf("noise amplitude %v: SSIM %.4f, not below the previous level's %.4f", amp, s, prev)
		}
		prev = s
	}
	if prev > 0.5 {
		t.Errorf("heavy noise still gives SSIM %.3f, want well below 1", prev)
	}
}

// A uniform brightness shift changes luminance but not structure: SSIM stays high while L1 sees it.
func TestSSIMPrefersStructureOverBrightness(t *testing.T) {
	img := scene(64, 64)
	shifted := image.NewNRGBA(img.Rect)
	for i, v := range img.Pix {
		if i%4 == 3 {
			shifted.Pix[i] = v
		} else {
			shifted.Pix[i] = uint8(max(0, int(v)-20))
		}
	}
	noisy := withNoise(img, 35)
	l1Shift, _ := L1(img, shifted)
	l1Noise, _ := L1(img, noisy)
	if !(mustSSIM(t, img, shifted) > mustSSIM(t, img, noisy)) {
		t.Errorf("SSIM should rate a brightness shift above noise of similar L1 (%.3f vs %.3f)", l1Shift, l1Noise)
	}
}

func TestSSIMErrors(t *testing.T) {
	_, err := SSIM(scene(30, 20), scene(20, 30))
	if err == nil || !strings.Contains(err.Error(), "30x20 vs 20x30") {
		t.Errorf("different sizes: error %v, want one naming both sizes", err)
	}
	_, err = SSIM(scene(8, 40), scene(8, 40))
	if err == nil || !strings.Contains(err.Error(), "8x40") {
		t.Errorf("smaller than the window: error %v, want one naming the size", err)
	}
}

func TestL1(t *testing.T) {
	black := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	for i := 3; i < len(black.Pix); i += 4 {
		black.Pix[i] = 255
	}
	white := invert(black)
	transparent := image.NewNRGBA(black.Rect) // reads as the white behind it
	for _, c := range []struct {
		name string
		a, b image.Image
		want float64
	}{
		{"same", black, black, 0},
		{"black vs white", black, white, 1},
		{"white vs transparent", white, transparent, 0},
		{"black vs transparent", transparent, black, 1},
	} {
		got, err := L1(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: L1 = %v, want %v", c.name, got, c.want)
		}
	}
	half := image.NewNRGBA(black.Rect)
	for i := 0; i < len(half.Pix); i += 4 { // left two columns grey 51 = 0.2 luminance from black
		if (i/4)%5 < 2 {
			copy(half.Pix[i:], []uint8{51, 51, 51, 255})
		} else {
			half.Pix[i+3] = 255
		}
	}
	if got, _ := L1(black, half); math.Abs(got-0.2*2/5) > 1e-9 {
		t.Errorf("L1 with 2 of 5 columns at 0.2 = %v, want 0.08", got)
	}
	if _, err := L1(black, scene(4, 3)); err == nil {
		t.Error("L1 of different sizes: no error")
	}
}

func TestForegroundMask(t *testing.T) {
	m := image.NewNRGBA(image.Rect(10, 20, 16, 21)) // bounds that do not start at 0
	px := []color.NRGBA{
		{255, 255, 255, 255}, // white background
		{250, 252, 255, 255}, // within tolerance of white
		{240, 255, 255, 255}, // one channel past the tolerance
		{0, 0, 0, 0},         // transparent
		{0, 0, 0, 100},       // mostly transparent dark: not foreground
		{0, 0, 0, 200},       // mostly opaque dark: foreground
	}
	for i, c := range px {
		m.SetNRGBA(10+i, 20, c)
	}
	mask, w, h := ForegroundMask(m, 10)
	want := []bool{false, false, true, false, false, true}
	if w != 6 || h != 1 {
		t.Fatalf("mask size %dx%d, want 6x1", w, h)
	}
	for i := range want {
		if mask[i] != want[i] {
			t.Errorf("pixel %d (%v): foreground %v, want %v", i, px[i], mask[i], want[i])
		}
	}
	// Another image type with the same pixels gives the same mask.
	mask2, _, _ := ForegroundMask(toRGBA(m), 10)
	for i := range want {
		if mask2[i] != want[i] {
			t.Errorf("RGBA pixel %d: foreground %v, want %v", i, mask2[i], want[i])
		}
	}
}

func TestIoU(t *testing.T) {
	T, F := true, false
	for _, c := range []struct {
		name string
		a, b []bool
		want float64
	}{
		{"both empty", []bool{F, F, F}, []bool{F, F, F}, 1},
		{"zero-length", nil, nil, 1},
		{"identical", []bool{T, F, T}, []bool{T, F, T}, 1},
		{"disjoint", []bool{T, F, F}, []bool{F, T, F}, 0},
		{"one empty", []bool{T, T, F}, []bool{F, F, F}, 0},
		{"half", []bool{T, T, F, F}, []bool{F, T, T, F}, 1.0 / 3},
		{"subset", []bool{T, T, T, T}, []bool{T, F, F, F}, 0.25},
	} {
		if got, _ := IoU(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: IoU = %v, want %v", c.name, got, c.want)
		}
		if got, _ := IoU(c.b, c.a); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s swapped: IoU = %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := IoU(make([]bool, 3), make([]bool, 2)); err == nil || !strings.Contains(err.Error(), "3 and 2") {
		t.Errorf("IoU of different lengths: %v, want an error naming both lengths", err)
	}
}

// A product on a coloured backdrop has the same silhouette as on white.
func TestSilhouetteMaskOnColouredBackground(t *testing.T) {
	draw := func(bg, fg color.NRGBA) *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, 20, 20))
		for y := 0; y < 20; y++ {
			for x := 0; x < 20; x++ {
				c := bg
				if x >= 5 && x < 15 && y >= 4 && y < 16 {
					c = fg
				}
				img.SetNRGBA(x, y, c)
			}
		}
		return img
	}
	white := draw(color.NRGBA{255, 255, 255, 255}, color.NRGBA{200, 30, 30, 255})
	black := draw(color.NRGBA{10, 10, 10, 255}, color.NRGBA{250, 250, 40, 255})
	a, _, _ := SilhouetteMask(white, 24)
	b, _, _ := SilhouetteMask(black, 24)
	if iou, err := IoU(a, b); err != nil || iou != 1 {
		t.Fatalf("IoU of the same shape on white and on black: %v, %v", iou, err)
	}
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	if n != 10*12 {
		t.Fatalf("silhouette has %d pixels, want 120", n)
	}
}

// Masks of a product and of a slightly shifted copy overlap partially, as IoU says.
func TestForegroundMaskIoUOfShiftedProduct(t *testing.T) {
	draw := func(x0 int) *image.NRGBA {
		m := image.NewNRGBA(image.Rect(0, 0, 40, 20))
		for y := 0; y < 20; y++ {
			for x := 0; x < 40; x++ {
				if x >= x0 && x < x0+10 && y >= 5 && y < 15 {
					m.SetNRGBA(x, y, color.NRGBA{200, 30, 30, 255})
				} else {
					m.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
				}
			}
		}
		return m
	}
	a, _, _ := ForegroundMask(draw(10), 8)
	b, _, _ := ForegroundMask(draw(15), 8)
	// 10x10 squares overlapping by 5 columns: 50 / 150.
	if got, _ := IoU(a, b); math.Abs(got-1.0/3) > 1e-12 {
		t.Errorf("IoU of squares shifted by half their width = %v, want 1/3", got)
	}
}

// For constant images only the luminance term is left: (2 μa μb + C1) / (μa² + μb² + C1).
func TestSSIMConstantImagesClosedForm(t *testing.T) {
	grey := func(v uint8) *image.Gray {
		m := image.NewGray(image.Rect(0, 0, 16, 16))
		for i := range m.Pix {
			m.Pix[i] = v
		}
		return m
	}
	c1 := (0.01 * 255) * (0.01 * 255)
	want := (2*100*150 + c1) / (100*100 + 150*150 + c1)
	if s := mustSSIM(t, grey(100), grey(150)); math.Abs(s-want) > 1e-9 {
		t.Errorf("SSIM of constant 100 vs 150 = %v, want %v", s, want)
	}
}

// SSIM matches a direct evaluation of the paper's formula with an explicit 11x11 window at every
// valid position, so the separable filtering is only a speed-up.
func TestSSIMMatchesDirectWindowSum(t *testing.T) {
	a, b := scene(17, 14), withNoise(scene(17, 14), 50)
	la, lb := Luminance(a), Luminance(b)
	k := gaussian(11, 1.5)
	c1, c2 := (0.01*255)*(0.01*255), (0.03*255)*(0.03*255)
	var sum float64
	var n int
	for y0 := 0; y0+11 <= la.H; y0++ {
		for x0 := 0; x0+11 <= la.W; x0++ {
			var ma, mb float64
			for j := 0; j < 11; j++ {
				for i := 0; i < 11; i++ {
					w := k[i] * k[j]
					ma += w * la.Pix[(y0+j)*la.W+x0+i]
					mb += w * lb.Pix[(y0+j)*lb.W+x0+i]
				}
			}
			var va, vb, cov float64
			for j := 0; j < 11; j++ {
				for i := 0; i < 11; i++ {
					w := k[i] * k[j]
					da, db := la.Pix[(y0+j)*la.W+x0+i]-ma, lb.Pix[(y0+j)*lb.W+x0+i]-mb
					va += w * da * da
					vb += w * db * db
					cov += w * da * db
				}
			}
			sum += (2*ma*mb + c1) * (2*cov + c2) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
			n++
		}
	}
	want := sum / float64(n)
	if got := mustSSIM(t, a, b); math.Abs(got-want) > 1e-9 {
		t.Errorf("SSIM = %v, direct window sum = %v", got, want)
	}
	if w := k[5]; math.Abs(w-0.26596) > 1e-4 { // centre tap of the normalised 11-tap σ=1.5 kernel
		t.Errorf("kernel centre %v, want about 0.26596", w)
	}
}
