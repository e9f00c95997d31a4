//go:build unix

package aggregate

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the test process has
// spent so far: on a shared machine, what a benchmark costs is its CPU
// time, which other processes inflate far less than its wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
