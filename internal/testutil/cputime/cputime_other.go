//go:build !unix

package cputime

import "time"

// Process is not measured where getrusage is missing: benchmarks then
// report wall time only.
func Process() (time.Duration, bool) { return 0, false }
