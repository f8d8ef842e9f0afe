//go:build unix

package ingest

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time, for benchmarks on shared machines.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
