package worker

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/parse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A parser process that cannot be set up (here: no descriptor left for
// its pipes) is the node's failure, and the message names the dump
// (issue 12, item 14: it said "pipe2: too many open files").
func TestRunSetupFailureNamesDump(t *testing.T) {
	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old))
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	lim := old
	lim.Cur = uint64(len(fds)) // every descriptor taken: the first pipe fails
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	path := filepath.Join(sampleDir, "node-7201.rdb")
	in := parse.Ref{Path: path}.Input("n")
	err = Run(context.Background(), in, scan.Options{}, 0, scan.NewCollector(in, aggregate.DefaultOptions(), nil, nil))
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old))
	require.Error(t, err)
	var pe *parse.Error
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), path+": cannot start its parser process: ")
	assert.Contains(t, err.Error(), "too many open files")
}
