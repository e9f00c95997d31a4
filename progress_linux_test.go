package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// 40 nodes on a 24-row terminal: one overall bar that ends at "40/40
// nodes", and never more lines redrawn than the terminal has (one bar per
// node, as before, redrew 40).
func TestFleetProgressOnATerminal(t *testing.T) {
	t.Setenv("TERM", "xterm")
	t.Setenv("NO_COLOR", "")
	dump, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	dir := t.TempDir()
	for i := range 40 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("node-%02d.rdb", i)), dump, 0o644))
	}
	tty, done := openPTY(t, 100)
	require.NoError(t, unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 100}))
	code := run([]string{"analyze", "-q", "-j", "4", "--isolate=false", "--progress", "auto", dir}, strings.NewReader(""), os.Stdout, tty)
	out := done()
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "40/40 nodes")
	most := 0
	for _, m := range regexp.MustCompile(`\x1b\[(\d+)A`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		most = max(most, n)
	}
	assert.Positive(t, most, "bars are redrawn in place")
	assert.LessOrEqual(t, most, 22, "the bars fit the terminal: the overall bar and at most 21 node bars")
	for _, frame := range strings.Split(out, "\x1b[J") {
		assert.LessOrEqual(t, strings.Count(frame, "\n"), 22, "a frame fits the terminal: %q", frame)
	}
}
