package style

import (
	"image"
	"math/rand/v2"
	"sync"
	"testing"

	"stylestudio/engine/demo"
)

// demoStyles lists the demo catalog's style names in their fixed order.
func demoStyles() []string {
	var out []string
	for _, s := range demo.Styles() {
		out = append(out, s.Name)
	}
	return out
}

// demoExamples renders the first n items of demo.Catalog(n, seed) at 64 px as examples.
func demoExamples(tb testing.TB, n int, seed uint64) []Example {
	tb.Helper()
	index := map[string]int{}
	for i, s := range demoStyles() {
		index[s] = i
	}
	items := demo.Catalog(n, seed)
	out := make([]Example, len(items))
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(items); i += 2 {
				var img image.Image
				img, errs[i] = demo.Render(items[i].Params, items[i].Style, 64)
				out[i] = Example{Image: img, Style: index[items[i].Style]}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// stratifiedSplit puts round(frac*count) examples of every style, chosen with seed, into the first
// set and the rest into the second; each keeps the catalog order.
func stratifiedSplit(ex []Example, frac float64, seed uint64) (a, b []Example) {
	rng := rand.New(rand.NewPCG(seed, 0x5917))
	byStyle := map[int][]int{}
	var order []int
	for i, e := range ex {
		if _, ok := byStyle[e.Style]; !ok {
			order = append(order, e.Style)
		}
		byStyle[e.Style] = append(byStyle[e.Style], i)
	}
	inA := make([]bool, len(ex))
	for _, s := range order {
		idx := byStyle[s]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(frac*float64(len(idx)) + 0.5)
		for _, i := range idx[:k] {
			inA[i] = true
		}
	}
	for i, e := range ex {
		if inA[i] {
			a = append(a, e)
		} else {
			b = append(b, e)
		}
	}
	return a, b
}
