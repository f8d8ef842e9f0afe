package feed

import (
	"testing"

	"stylestudio/store"
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

// testShell holds the Feed screen headless as the app shell would (see kittest.Shell).
type testShell = kittest.Shell[*FeedScreen]

func newTestShell(deps kit.Deps) *testShell {
	return kittest.New(deps, NewFeedScreen, nil, nil)
}

// headlessShell makes the screen headless on db in a 1280×800 test window; it closes when the test
// ends. Call Start on it.
func headlessShell(t *testing.T, db *store.DB) *testShell {
	return kittest.Open(t, db, kittest.Size, newTestShell, nil)
}
