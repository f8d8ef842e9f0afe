package preview

import (
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

// testShell holds the Preview screen headless as the app shell would (see kittest.Shell).
type testShell = kittest.Shell[*PreviewScreen]

func newTestShell(deps kit.Deps) *testShell {
	return kittest.New(deps, NewPreviewScreen, (*PreviewScreen).Shown, nil)
}
