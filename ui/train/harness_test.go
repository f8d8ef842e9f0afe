package train

import (
	"os"
	"testing"
	"time"

	"stylestudio/internal/testkit/trainedlib"
	"stylestudio/store"
	"stylestudio/ui/kit"
	"stylestudio/ui/kit/kittest"
)

// testShell holds the Train screen headless as the app shell would (see kittest.Shell).
type testShell = kittest.Shell[*TrainScreen]

func newTestShell(deps kit.Deps) *testShell {
	build := func(d kit.Deps) *TrainScreen { return NewTrainScreenWith(d, Options{Timer: fakeStepTimer}) }
	return kittest.New(deps, build, (*TrainScreen).Shown, func(s *TrainScreen) { s.StopForQuit(2 * time.Minute) })
}

func trainedLibrary(t testing.TB) *store.DB { return trainedlib.Open(t) }

func TestMain(m *testing.M) { os.Exit(trainedlib.Main(m)) }
