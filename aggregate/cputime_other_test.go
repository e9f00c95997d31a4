//go:build !unix

package aggregate

import "time"

// processCPU is 0 where getrusage is not: benchmarks then report wall
// time only.
func processCPU() time.Duration { return 0 }
