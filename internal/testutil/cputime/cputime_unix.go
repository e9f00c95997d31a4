//go:build unix

// Package cputime measures the CPU time of the process, for benchmarks
// that report it beside their wall time.
package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time (user and system) the process has used so
// far, and true. Benchmarks report it beside the wall time: on a shared
// machine other processes inflate a benchmark's CPU time far less than
// its wall time.
func Process() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
