package worker

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// limitMemory caps the address space this process may still add at n
// bytes. The Go runtime reserves most of its address space at start, so
// the limit is set above what is mapped now: past it, the runtime's next
// mmap fails and the process dies with "fatal error: out of memory"
// instead of the kernel's OOM killer taking a bigger victim.
func limitMemory(n int64) error {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return fmt.Errorf("unexpected /proc/self/statm %q", b)
	}
	pages, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return err
	}
	lim := pages*uint64(os.Getpagesize()) + uint64(n)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim})
}
