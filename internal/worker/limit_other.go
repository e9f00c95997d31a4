//go:build !linux

package worker

import "errors"

// limitMemory is only implemented on Linux.
func limitMemory(int64) error {
	return errors.New("not supported on this system")
}

// AvailableMemory cannot be told on this system: 0.
func AvailableMemory() int64 { return 0 }
