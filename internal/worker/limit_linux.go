package worker

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// limitMemory caps the address space this process may still add at n
// bytes, plus one heap arena. The Go runtime reserves most of its address
// space at start, so the limit is set above what is mapped now: past it,
// the runtime's next mmap fails and the process dies with "fatal error:
// out of memory" instead of the kernel's OOM killer taking a bigger
// victim. The runtime reserves its heap in 64 MiB arenas, so whether a
// heap well within n needs one more reservation depends on timing (the
// decoding goroutines): without the arena of slack, a small dump failed
// now and then at 48 MB. The heap itself is held to n by the runtime's
// soft limit (debug.SetMemoryLimit in Main).
func limitMemory(n int64) error {
	used, err := mappedBytes()
	if err != nil {
		return err
	}
	lim := used + uint64(n) + arenaSlack + threadSlack()
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim})
}

// arenaSlack is one Go heap arena on 64-bit Linux.
const arenaSlack = 64 << 20

// slackThreads is how many OS threads the runtime may still start once the
// limit is set (GC workers, threads blocked in reads and writes, the
// decoding goroutines' threads), with room to spare.
const slackThreads = 16

// threadSlack is the address space of slackThreads more threads. Where the
// binary links the C runtime (os/user and net pull it in unless built
// with CGO_ENABLED=0), each new thread reserves a C stack of the size
// ulimit -s gives (8 MiB by default) out of the address space — not of
// memory, which stays bounded by the runtime's soft limit. Without this
// slack a child under a small limit died now and then before its first
// key when the machine was loaded and the runtime started more threads.
func threadSlack() uint64 {
	// At most 8 MiB a thread (glibc's default when ulimit -s is
	// unlimited is no more), so that a huge ulimit -s cannot widen the
	// limit past what it is meant to bound.
	stack := uint64(8 << 20)
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_STACK, &rl) == nil && rl.Cur > 0 && rl.Cur < stack {
		stack = rl.Cur
	}
	return slackThreads * stack
}

// mappedBytes is the address space this process has mapped.
func mappedBytes() (uint64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("unexpected /proc/self/statm %q", b)
	}
	pages, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, err
	}
	return pages * uint64(os.Getpagesize()), nil
}

// AvailableMemory returns the memory this process tree may still use
// without pushing the machine (or its cgroup) into swap or the OOM killer:
// MemAvailable of /proc/meminfo, or less when a cgroup v2 memory.max is
// set; 0 when it cannot be told.
func AvailableMemory() int64 {
	var avail int64
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
				f := strings.Fields(rest)
				if len(f) > 0 {
					if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						avail = kb << 10
					}
				}
			}
		}
	}
	limit, err1 := readCgroupInt("/sys/fs/cgroup/memory.max")
	cur, err2 := readCgroupInt("/sys/fs/cgroup/memory.current")
	if err1 == nil && err2 == nil && limit > 0 {
		if room := limit - cur; avail == 0 || room < avail {
			avail = max(room, 0)
		}
	}
	// An address-space limit (ulimit -v) is inherited by the parser
	// children: what is left of it bounds them too.
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_AS, &rl) == nil && rl.Cur < 1<<62 {
		if used, err := mappedBytes(); err == nil {
			room := max(int64(rl.Cur)-int64(used), 0)
			if avail == 0 || room < avail {
				avail = room
			}
		}
	}
	return avail
}

// readCgroupInt reads a cgroup file holding one integer ("max" is an error).
func readCgroupInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
