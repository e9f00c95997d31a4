//go:build linux

package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"ok", []string{"sh", "-c", "true"}, 0},
		{"exit code kept", []string{"sh", "-c", "exit 3"}, 3},
		{"grandchild", []string{"sh", "-c", "sleep 0.05 & wait"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, code, err := run("cmd", tt.args, time.Millisecond, nil)
			require.NoError(t, err)
			assert.Equal(t, tt.code, code)
			f := strings.Fields(line)
			require.Len(t, f, 5, line)
			assert.Equal(t, "cmd", f[0])
		})
	}
}

func TestRunMissingCommand(t *testing.T) {
	_, _, err := run("cmd", []string{"/nonexistent/command"}, time.Millisecond, nil)
	assert.Error(t, err)
}

func TestTreeRSS(t *testing.T) {
	// This process has no children: its tree is itself.
	rss := treeRSS(os.Getpid(), int64(os.Getpagesize()), nil)
	assert.Positive(t, rss)
	own := residentBytes(os.Getpid(), int64(os.Getpagesize()))
	assert.InDelta(t, own, rss, 8<<20, "the tree is this process alone")
}

func TestRunProcs(t *testing.T) {
	peaks := map[int]*procPeak{}
	_, code, err := run("cmd", []string{"sh", "-c", "sleep 0.3 & wait"}, time.Millisecond, peaks)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	// The shell and its child; the child's name may be caught before or
	// after it execs sleep, so only the count is certain.
	assert.GreaterOrEqual(t, len(peaks), 2, "the grandchild is sampled")
	for _, p := range peaks {
		assert.Positive(t, p.rss)
		assert.NotEmpty(t, p.name)
	}
}
