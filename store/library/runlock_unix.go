//go:build unix

package library

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// LockRun takes the run folder's lock (an flock on dir/.lock), which the system releases when the
// process ends however it ends, so a run whose status still says "running" after a crash is known
// to be free. ErrRunBusy when another process holds it. Where no lock file can be made (a read-only
// folder) it returns without one: nothing can train there anyway.
func LockRun(dir string) (release func(), err error) {
	path := filepath.Join(dir, ".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if f, err = os.Open(path); err != nil {
			return func() {}, nil
		}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrRunBusy
		}
		return func() {}, nil
	}
	return func() { f.Close() }, nil
}

func lockSupported() bool { return true }
