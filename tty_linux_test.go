package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of cols columns: the program writes to
// tty, the test reads what a terminal would show from the returned buffer
// once done is called.
func openPTY(t *testing.T, cols int) (tty *os.File, done func() string) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(ptmx.Fd())
	require.NoError(t, unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	require.NoError(t, err)
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	require.NoError(t, unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: uint16(cols)}))
	// Raw output: the terminal passes \n as written.
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	require.NoError(t, err)
	tio.Oflag &^= unix.OPOST
	require.NoError(t, unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio))
	var buf bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(&buf, ptmx) // ends with EIO once the tty is closed
	}()
	return tty, func() string {
		tty.Close()
		wg.Wait()
		ptmx.Close()
		return buf.String()
	}
}

// On a real terminal the summary takes its width and colours severities;
// NO_COLOR and TERM=dumb keep it plain; help is laid out in at most 80
// columns whatever the terminal's width.
func TestTerminalOutput(t *testing.T) {
	args := []string{"analyze", "--progress", "never", "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "testdata/sample"}
	for _, c := range []struct {
		name, env, val string
		cols           int
		color          bool
	}{
		{"colour", "TERM", "xterm-256color", 120, true},
		{"NO_COLOR", "NO_COLOR", "1", 120, false},
		{"TERM=dumb", "TERM", "dumb", 60, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TERM", "xterm-256color")
			t.Setenv("NO_COLOR", "")
			t.Setenv("COLUMNS", "")
			t.Setenv(c.env, c.val)
			tty, done := openPTY(t, c.cols)
			code := run(args, strings.NewReader(""), tty, io.Discard)
			out := done()
			require.Equal(t, exitOK, code)
			if c.color {
				assert.Contains(t, out, "\x1b[1;31mCRITICAL\x1b[0m")
			} else {
				assert.NotContains(t, out, "\x1b")
			}
			findings, _, _ := strings.Cut(stripSGR(out), "\n\n       NODE")
			lines := strings.Split(findings, "\n")
			widest := 0
			for _, l := range lines {
				widest = max(widest, len([]rune(l)))
			}
			assert.LessOrEqual(t, widest, c.cols, "laid out for the terminal")
			assert.Greater(t, widest, c.cols-20, "and using its width")
		})
	}
	// Progress on a dumb terminal: no bars redrawn in place, a plain line
	// per node.
	t.Setenv("TERM", "dumb")
	tty, done := openPTY(t, 100)
	code := run([]string{"analyze", "-q", "--progress", "auto", "testdata/sample"}, strings.NewReader(""), io.Discard, tty)
	out := done()
	require.Equal(t, exitOK, code)
	assert.NotContains(t, out, "\x1b")
	assert.Contains(t, out, "node-7202: done, 1.68 MiB read\n")

	tty, done = openPTY(t, 200)
	code = run([]string{"analyze", "--help"}, strings.NewReader(""), tty, io.Discard)
	out = done()
	require.Equal(t, exitOK, code)
	assertWithin(t, out, helpWidth)
}

func stripSGR(s string) string {
	for _, sgr := range []string{"\x1b[0m", "\x1b[1m", "\x1b[1;31m", "\x1b[33m", "\x1b[36m"} {
		s = strings.ReplaceAll(s, sgr, "")
	}
	return s
}
