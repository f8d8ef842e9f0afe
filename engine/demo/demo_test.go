package demo

import (
	"crypto/sha256"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

func mustRender(t testing.TB, p Params, style string, size int) *image.NRGBA {
	t.Helper()
	img, err := Render(p, style, size)
	if err != nil {
		t.Fatalf("Render(%s, %s, %d): %v", p.Kind, style, size, err)
	}
	if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
		t.Fatalf("Render size = %v, want %dx%d", b, size, size)
	}
	return img
}

func pixHash(img *image.NRGBA) [32]byte { return sha256.Sum256(img.Pix) }

// sample returns one representative product per kind.
func sample(t testing.TB) []Params { return sampleSeed(t, 7) }

func sampleSeed(t testing.TB, seed uint64) []Params {
	t.Helper()
	items := Catalog(120, seed)
	seen := map[string]bool{}
	var out []Params
	for _, it := range items {
		if !seen[it.Params.Kind] {
			seen[it.Params.Kind] = true
			out = append(out, it.Params)
		}
	}
	if len(out) != len(Kinds()) {
		t.Fatalf("sample has %d kinds, want %d", len(out), len(Kinds()))
	}
	return out
}

func styleNames() []string {
	var out []string
	for _, s := range Styles() {
		out = append(out, s.Name)
	}
	return out
}

// fgMask marks pixels that differ from the style background by more than
// 40/255 in some channel.
func fgMask(img *image.NRGBA, bg color.NRGBA) []bool {
	m := make([]bool, len(img.Pix)/4)
	for i := range m {
		p := img.Pix[4*i : 4*i+3]
		d := max(absDiff(p[0], bg.R), absDiff(p[1], bg.G), absDiff(p[2], bg.B))
		m[i] = d > 40
	}
	return m
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func iou(a, b []bool) float64 {
	var in, un int
	for i := range a {
		if a[i] && b[i] {
			in++
		}
		if a[i] || b[i] {
			un++
		}
	}
	if un == 0 {
		return 1
	}
	return float64(in) / float64(un)
}

func TestStylesAndKinds(t *testing.T) {
	st := Styles()
	if len(st) < 5 {
		t.Fatalf("got %d styles, want >= 5", len(st))
	}
	keys := map[string]bool{}
	names := map[string]bool{}
	for _, s := range st {
		if names[s.Name] || s.Name == "" {
			t.Errorf("duplicate or empty style name %q", s.Name)
		}
		names[s.Name] = true
		if len(s.Key) != 1 || s.Key < "1" || s.Key > "9" || keys[s.Key] {
			t.Errorf("style %s: bad or duplicate key %q", s.Name, s.Key)
		}
		keys[s.Key] = true
		if _, ok := hexRGB(s.Color); !ok {
			t.Errorf("style %s: bad swatch %q", s.Name, s.Color)
		}
		if _, ok := Background(s.Name); !ok {
			t.Errorf("style %s: no background", s.Name)
		}
	}
	for _, want := range []string{"minimal", "vintage", "neon", "floral", "denim"} {
		if !names[want] {
			t.Errorf("missing style %q", want)
		}
	}
	kinds := Kinds()
	for _, want := range []string{"tee", "hoodie", "dress", "sneaker", "tote", "mug", "lamp", "chair"} {
		found := false
		for _, k := range kinds {
			found = found || k == want
		}
		if !found {
			t.Errorf("missing kind %q", want)
		}
	}
	// Fresh slices: mutating the result must not affect later calls.
	st[0].Name = "mutated"
	kinds[0] = "mutated"
	if Styles()[0].Name == "mutated" || Kinds()[0] == "mutated" {
		t.Error("Styles/Kinds return shared slices")
	}
}

func TestRenderDeterministic(t *testing.T) {
	for _, p := range sample(t) {
		for _, s := range styleNames() {
			a := pixHash(mustRender(t, p, s, 96))
			b := pixHash(mustRender(t, p, s, 96))
			if a != b {
				t.Errorf("%s/%s: renders differ", p.Kind, s)
			}
		}
	}
}

func TestRenderSeedChangesTexture(t *testing.T) {
	p := sample(t)[0]
	q := p
	q.Seed++
	for _, s := range []string{"floral", "vintage"} {
		if pixHash(mustRender(t, p, s, 128)) == pixHash(mustRender(t, q, s, 128)) {
			t.Errorf("%s: texture does not depend on Seed", s)
		}
	}
	// ... but never the silhouette.
	bg, _ := Background("minimal")
	a := fgMask(mustRender(t, p, "minimal", 128), bg)
	b := fgMask(mustRender(t, q, "minimal", 128), bg)
	if v := iou(a, b); v != 1 {
		t.Errorf("seed changed the silhouette: IoU %.4f", v)
	}
}

func TestRenderSizes(t *testing.T) {
	p := sample(t)[3]
	for _, n := range []int{MinSize, 64, 100, 256, MaxSize} {
		mustRender(t, p, "floral", n)
	}
	img, err := Render(p, "minimal", 0)
	if err != nil || img.Bounds().Dx() != DefaultSize {
		t.Errorf("size 0: %v, %v", img.Bounds(), err)
	}
	for _, n := range []int{-1, 1, MaxSize + 1} {
		if _, err := Render(p, "minimal", n); err == nil {
			t.Errorf("size %d: want error", n)
		}
	}
}

// TestRenderConcurrent checks Render is safe and deterministic when called
// from several goroutines (it shares no state).
func TestRenderConcurrent(t *testing.T) {
	items := Catalog(24, 5)
	want := make([][32]byte, len(items))
	for i, it := range items {
		want[i] = pixHash(mustRender(t, it.Params, it.Style, 64))
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(items)*4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, it := range items {
				img, err := Render(it.Params, it.Style, 64)
				if err != nil || pixHash(img) != want[i] {
					errs <- it.SKU
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for sku := range errs {
		t.Errorf("%s: concurrent render differs", sku)
	}
}

func TestRenderErrors(t *testing.T) {
	p := sample(t)[0]
	for _, s := range []string{"", "Minimal", "cyberpunk"} {
		if _, err := Render(p, s, 64); err == nil {
			t.Errorf("style %q: want error", s)
		}
	}
	if _, err := Render(Params{Kind: "spaceship"}, "minimal", 64); err == nil {
		t.Error("unknown kind: want error")
	}
	// Zero-value params of a known kind render with seed-derived colours.
	if _, err := Render(Params{Kind: "mug"}, "neon", 64); err != nil {
		t.Errorf("zero params: %v", err)
	}
}

// TestSilhouetteSharedAcrossStyles checks that every style draws the same
// product shape, measured with a plain background-difference mask.
func TestSilhouetteSharedAcrossStyles(t *testing.T) {
	for _, p := range sample(t) {
		bg0, _ := Background("minimal")
		ref := fgMask(mustRender(t, p, "minimal", 256), bg0)
		area := 0
		for _, v := range ref {
			if v {
				area++
			}
		}
		if frac := float64(area) / float64(len(ref)); frac < 0.08 || frac > 0.6 {
			t.Errorf("%s: product covers %.2f of the canvas", p.Kind, frac)
		}
		for _, s := range styleNames()[1:] {
			bg, _ := Background(s)
			m := fgMask(mustRender(t, p, s, 256), bg)
			if v := iou(ref, m); v < 0.95 {
				t.Errorf("%s: IoU(minimal, %s) = %.3f, want >= 0.95", p.Kind, s, v)
			}
		}
	}
}

// TestProductCentred checks the margin around the product.
func TestProductCentred(t *testing.T) {
	for _, p := range sample(t) {
		bg, _ := Background("minimal")
		n := 128
		m := fgMask(mustRender(t, p, "minimal", n), bg)
		x0, y0, x1, y1 := n, n, -1, -1
		for i, v := range m {
			if v {
				x, y := i%n, i/n
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
		margin := int(0.07 * float64(n))
		if x0 < margin || y0 < margin || x1 > n-1-margin || y1 > n-1-margin {
			t.Errorf("%s: bbox (%d,%d)-(%d,%d) violates margin %d", p.Kind, x0, y0, x1, y1, margin)
		}
		cx, cy := float64(x0+x1)/2, float64(y0+y1)/2
		if math.Abs(cx-float64(n)/2) > 3 || math.Abs(cy-float64(n)/2) > 3 {
			t.Errorf("%s: product centre (%.1f,%.1f) off canvas centre", p.Kind, cx, cy)
		}
	}
}

// stats are simple image statistics that separate the styles.
type stats struct {
	bgL         float64 // mean luminance of the four corners
	cornerNoise float64 // mean absolute neighbour difference in the corners
	fgL         float64 // mean luminance inside the product
	fgSat       float64 // mean saturation inside the product
	flat        float64 // fraction of product pixels in its 6 most common colours
	aniso       float64 // vertical / horizontal gradient energy inside the product (log2)
	blue        float64 // fraction of product pixels that are clearly blue
	hues        int     // number of 30-degree hue bins holding >= 3% of saturated product pixels
	glow        float64 // fraction of all pixels that are bright and colourful
}

// interior marks product pixels whose 5x5 neighbourhood is one flat colour
// in the reference (minimal) render: away from outlines, seams and part
// boundaries, so only the style's fill texture varies there.
func interior(ref *image.NRGBA, mask []bool) []bool {
	n := ref.Bounds().Dx()
	out := make([]bool, len(mask))
	for y := 2; y < n-2; y++ {
		for x := 2; x < n-2; x++ {
			i := y*n + x
			if !mask[i] {
				continue
			}
			c := ref.Pix[4*i : 4*i+3]
			ok := true
			for dy := -2; dy <= 2 && ok; dy++ {
				for dx := -2; dx <= 2 && ok; dx++ {
					j := 4 * ((y+dy)*n + x + dx)
					ok = ref.Pix[j] == c[0] && ref.Pix[j+1] == c[1] && ref.Pix[j+2] == c[2]
				}
			}
			out[i] = ok
		}
	}
	return out
}

func imgStats(img *image.NRGBA, mask []bool) stats {
	n := img.Bounds().Dx()
	var s stats
	lum := func(i int) float64 {
		p := img.Pix[4*i:]
		return (0.2126*float64(p[0]) + 0.7152*float64(p[1]) + 0.0722*float64(p[2])) / 255
	}
	counts := map[[3]uint8]int{}
	var hueBins [12]int
	var fgN, satN, gx, gy float64
	for i := 0; i < n*n; i++ {
		p := img.Pix[4*i : 4*i+3]
		mx := max(p[0], p[1], p[2])
		mn := min(p[0], p[1], p[2])
		sat := 0.0
		if mx > 0 {
			sat = float64(mx-mn) / float64(mx)
		}
		if sat > 0.3 && mx > 170 {
			s.glow++
		}
		if !mask[i] {
			continue
		}
		fgN++
		s.fgL += lum(i)
		s.fgSat += sat
		counts[[3]uint8{p[0], p[1], p[2]}]++
		if int(p[2]) > int(p[0])+12 && p[2] >= p[1] {
			s.blue++
		}
		if sat > 0.25 && mx > 60 {
			h, _, _ := hsv(rgb{float32(p[0]) / 255, float32(p[1]) / 255, float32(p[2]) / 255})
			hueBins[int(h*12)%12]++
			satN++
		}
		x, y := i%n, i/n
		if x+1 < n && y+1 < n {
			gx += math.Abs(lum(i) - lum(i+1))
			gy += math.Abs(lum(i) - lum(i+n))
		}
	}
	s.glow /= float64(n * n)
	s.fgL /= fgN
	s.fgSat /= fgN
	s.blue /= fgN
	s.aniso = math.Log2((gy + 1e-6) / (gx + 1e-6))
	var cs []int
	for _, c := range counts {
		cs = append(cs, c)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(cs)))
	for i := 0; i < len(cs) && i < 6; i++ {
		s.flat += float64(cs[i])
	}
	s.flat /= fgN
	for _, c := range hueBins {
		if satN > 0 && float64(c) >= 0.03*satN {
			s.hues++
		}
	}
	c := n / 10
	var cn, bn float64
	for _, o := range [][2]int{{0, 0}, {n - c, 0}, {0, n - c}, {n - c, n - c}} {
		for y := o[1]; y < o[1]+c; y++ {
			for x := o[0]; x < o[0]+c; x++ {
				s.bgL += lum(y*n + x)
				bn++
				if x+1 < o[0]+c {
					s.cornerNoise += math.Abs(lum(y*n+x) - lum(y*n+x+1))
					cn++
				}
			}
		}
	}
	s.bgL /= bn
	s.cornerNoise /= cn
	return s
}

// signature reports whether st has the defining look of the named style;
// ref are the stats of the same product in the minimal style.
func signature(style string, st stats) bool {
	whiteBG := st.bgL > 0.99 && st.cornerNoise < 0.001
	switch style {
	case "minimal": // one flat fill per part on white
		return whiteBG && st.flat > 0.95
	case "vintage": // grainy cream paper, sepia
		return st.bgL > 0.75 && st.bgL < 0.93 && st.cornerNoise > 0.008 && st.fgSat < 0.55 && st.flat < 0.4
	case "neon": // dark background with bright tubes
		return st.bgL < 0.06 && st.glow > 0.003
	case "floral": // busy isotropic multi-colour print on white
		return whiteBG && st.flat < 0.72 && math.Abs(st.aniso) < 1 && st.hues >= 2 && st.fgL > 0.5
	case "denim": // dark blue fine weave on white
		return whiteBG && st.flat < 0.3 && st.blue > 0.6 && st.fgL < 0.5
	case "stripes": // horizontal bands on white
		return whiteBG && st.aniso > 3 && st.flat < 0.95
	}
	return false
}

// TestStylesClearlyDifferent asserts that, for every kind, each style shows
// its defining signature and no other style shows it.
func TestStylesClearlyDifferent(t *testing.T) {
	for _, p := range append(sample(t), sampleSeed(t, 8)...) {
		bg, _ := Background("minimal")
		ref := mustRender(t, p, "minimal", 256)
		mask := interior(ref, fgMask(ref, bg))
		st := map[string]stats{}
		for _, s := range styleNames() {
			st[s] = imgStats(mustRender(t, p, s, 256), mask)
		}
		for _, want := range styleNames() {
			for _, got := range styleNames() {
				has := signature(want, st[got])
				if got == want && !has {
					t.Errorf("%s/%s: missing its signature: %+v", p.Kind, got, st[got])
				}
				if got != want && has {
					t.Errorf("%s/%s: looks like %s: %+v", p.Kind, got, want, st[got])
				}
			}
		}
	}
}

// TestPrintStats logs the style statistics (DEMO_STATS=1) to help tune the
// signatures above.
func TestPrintStats(t *testing.T) {
	if os.Getenv("DEMO_STATS") == "" {
		t.Skip("set DEMO_STATS=1 to print style statistics")
	}
	for _, p := range sample(t) {
		bg, _ := Background("minimal")
		ref := mustRender(t, p, "minimal", 256)
		mask := interior(ref, fgMask(ref, bg))
		for _, s := range styleNames() {
			t.Logf("%-8s %-8s %+v", p.Kind, s, imgStats(mustRender(t, p, s, 256), mask))
		}
	}
}

func TestCatalog(t *testing.T) {
	items := Catalog(400, 1)
	if len(items) != 400 {
		t.Fatalf("got %d items", len(items))
	}
	kinds := map[string]int{}
	styles := map[string]int{}
	skus := map[string]bool{}
	labeled := 0
	valid := map[string]bool{}
	for _, s := range Styles() {
		valid[s.Name] = true
	}
	for _, it := range items {
		kinds[it.Params.Kind]++
		styles[it.Style]++
		if skus[it.SKU] {
			t.Errorf("duplicate SKU %s", it.SKU)
		}
		skus[it.SKU] = true
		if !strings.HasPrefix(it.SKU, "DEMO-") {
			t.Errorf("bad SKU %s", it.SKU)
		}
		if it.Labeled {
			labeled++
		}
		if !valid[it.Style] {
			t.Errorf("item %s has unknown style %q", it.SKU, it.Style)
		}
		if it.Title == "" || it.Category == "" || !strings.Contains(it.Title, " — ") {
			t.Errorf("item %s: title %q category %q", it.SKU, it.Title, it.Category)
		}
		if it.PriceCents < 500 || it.PriceCents > 100000 {
			t.Errorf("item %s: implausible price %d", it.SKU, it.PriceCents)
		}
	}
	if len(kinds) < 8 {
		t.Errorf("%d kinds, want >= 8", len(kinds))
	}
	if len(styles) < 5 {
		t.Errorf("%d styles, want >= 5", len(styles))
	}
	for k, c := range kinds {
		if c < 400/len(Kinds())-6 || c > 400/len(Kinds())+6 {
			t.Errorf("kind %s unbalanced: %d", k, c)
		}
	}
	for s, c := range styles {
		if c < 400/len(Styles())-6 || c > 400/len(Styles())+6 {
			t.Errorf("style %s unbalanced: %d", s, c)
		}
	}
	if f := float64(labeled) / 400; f < 0.55 || f > 0.65 {
		t.Errorf("labeled fraction %.3f, want 0.55..0.65", f)
	}
	// Labels are spread over styles too.
	per := map[string][2]int{}
	for _, it := range items {
		v := per[it.Style]
		v[1]++
		if it.Labeled {
			v[0]++
		}
		per[it.Style] = v
	}
	for s, v := range per {
		if f := float64(v[0]) / float64(v[1]); f < 0.5 || f > 0.7 {
			t.Errorf("style %s labeled fraction %.2f", s, f)
		}
	}
}

func TestCatalogDeterministic(t *testing.T) {
	a := Catalog(400, 1)
	b := Catalog(400, 1)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Catalog(400, 1) not deterministic")
	}
	c := Catalog(400, 2)
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds give the same catalogue")
	}
	if got := Catalog(0, 1); len(got) != 0 {
		t.Errorf("Catalog(0) = %d items", len(got))
	}
	// Identical catalogues render identical images.
	for i, it := range a[:12] {
		x := mustRender(t, it.Params, it.Style, 64)
		y := mustRender(t, b[i].Params, b[i].Style, 64)
		if pixHash(x) != pixHash(y) {
			t.Errorf("%s: images differ between identical catalogues", it.SKU)
		}
	}
}

func TestParamsJSONRoundTrip(t *testing.T) {
	for _, it := range Catalog(30, 3) {
		data, err := json.Marshal(it.Params)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), `"kind":`) || !strings.Contains(string(data), `"seed":`) {
			t.Fatalf("json tags missing: %s", data)
		}
		var back Params
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if back != it.Params {
			t.Fatalf("round trip changed params: %+v vs %+v", back, it.Params)
		}
		a := mustRender(t, it.Params, it.Style, 64)
		b := mustRender(t, back, it.Style, 64)
		if pixHash(a) != pixHash(b) {
			t.Fatalf("%s: round-tripped params render differently", it.SKU)
		}
	}
}

func TestCatalogRendersAll(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, it := range Catalog(120, 11) {
		mustRender(t, it.Params, it.Style, 64)
	}
}

func BenchmarkRender(b *testing.B) {
	items := Catalog(60, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		it := items[i%len(items)]
		if _, err := Render(it.Params, it.Style, 256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderStyle(b *testing.B) {
	items := Catalog(60, 1)
	for _, s := range styleNames() {
		b.Run(s, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := Render(items[i%len(items)].Params, s, 256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
