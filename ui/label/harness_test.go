package label

import (
	"testing"

	"stylestudio/engine/demo"
	"stylestudio/store"
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

// testShell holds the Label screen headless as the app shell would (see kittest.Shell).
type testShell = kittest.Shell[*LabelScreen]

func newTestShell(deps kit.Deps) *testShell {
	return kittest.New(deps, NewLabelScreen, (*LabelScreen).Reload, (*LabelScreen).Flush)
}

// headlessShell makes the screen headless on db in a 1280×800 test window; it closes when the test
// ends. Call Start on it.
func headlessShell(t *testing.T, db *store.DB) *testShell {
	return kittest.Open(t, db, kittest.Size, newTestShell, nil)
}

// seedDemoIfEmpty does what the app shell does on a first start: it seeds the demo catalog into an
// empty library in the background, and the Label screen reloads when it is in.
func seedDemoIfEmpty(sh *testShell, products int) {
	deps, s := sh.Deps, sh.Screen
	go func() {
		if n, err := deps.DB.CountProducts(deps.Ctx); err != nil || n > 0 {
			return
		}
		if _, err := demo.Seed(deps.Ctx, deps.DB, demo.Catalog(products, 1), nil); err == nil {
			deps.Do(s.Reload)
		}
	}()
}
