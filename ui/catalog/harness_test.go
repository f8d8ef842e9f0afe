package catalog

import (
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

// testShell holds the Catalog screen headless as the app shell would (see kittest.Shell).
type testShell = kittest.Shell[*CatalogScreen]

func newTestShell(deps kit.Deps) *testShell {
	return kittest.New(deps, NewCatalogScreen, (*CatalogScreen).Reload, nil)
}
