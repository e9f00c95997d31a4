package worker

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The pipe of a child's frames holds pipeSize bytes where the kernel
// allows it, so the child frames on while the parent is busy.
func TestGrowPipe(t *testing.T) {
	if b, err := os.ReadFile("/proc/sys/fs/pipe-max-size"); err == nil {
		if max, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && max < pipeSize {
			t.Skipf("pipe-max-size is %d, under %d", max, pipeSize)
		}
	}
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	growPipe(r)
	size, _, errno := syscall.Syscall(syscall.SYS_FCNTL, r.Fd(), syscall.F_GETPIPE_SZ, 0)
	require.Zero(t, errno)
	assert.GreaterOrEqual(t, int(size), pipeSize)
}
