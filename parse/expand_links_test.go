//go:build unix

package parse

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unreadable makes path a regular file that cannot be read: mode 000,
// or, for root (who reads anything), a link to a kernel attribute that
// can only be written.
func unreadable(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		require.NoError(t, os.WriteFile(path, []byte("REDIS0011"), 0))
		return
	}
	const writeOnly = "/sys/bus/pci/rescan"
	if f, err := os.Open(writeOnly); err == nil {
		f.Close()
		t.Skip("no unreadable file for root on this machine")
	} else if _, err := os.Stat(writeOnly); err != nil {
		t.Skip("no unreadable file for root on this machine")
	}
	require.NoError(t, os.Symlink(writeOnly, path))
}

// Issue 12, item 11: a directory's links are followed, the same file is
// one node however many names it has (with a warning), and a file that
// cannot be read is its own node's failure, not the run's.
func TestExpandDirectoryLinksDuplicatesUnreadable(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dumps")
	other := filepath.Join(root, "elsewhere")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Mkdir(other, 0o755))
	dump := fixture(t, "memory.rdb")
	p := func(n string) string { return filepath.Join(dir, n) }
	require.NoError(t, os.WriteFile(p("node-1.rdb"), dump, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(other, "n2.rdb"), dump, 0o644))
	require.NoError(t, os.Symlink(filepath.Join(other, "n2.rdb"), p("node-2.rdb"))) // a link to a dump elsewhere
	require.NoError(t, os.Link(p("node-1.rdb"), p("zz-copy.rdb")))                  // a hard link
	require.NoError(t, os.Symlink("node-1.rdb", p("node-1-alias.rdb")))             // a link to a dump here
	require.NoError(t, os.Symlink("gone.rdb", p("latest.rdb")))                     // a broken link
	require.NoError(t, os.Symlink(p("loop-b"), p("loop-a")))                        // a loop
	require.NoError(t, os.Symlink(p("loop-a"), p("loop-b")))
	require.NoError(t, os.Symlink(other, p("subdir"))) // a directory: not entered
	require.NoError(t, syscall.Mkfifo(p("pipe.rdb"), 0o600))
	unreadable(t, p("secret.rdb"))

	done := make(chan struct{})
	var ins []Input
	var err error
	go func() {
		defer close(done)
		ins, err = Expand([]string{dir}, nil)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Expand waits: it opened the FIFO")
	}
	require.NoError(t, err)
	byName := map[string]Input{}
	for _, in := range ins {
		byName[in.Name] = in
	}
	assert.ElementsMatch(t, []string{"latest", "loop-a", "loop-b", "node-1", "node-2", "secret"}, keysOf(byName))

	n1 := byName["node-1"]
	require.Len(t, n1.Warnings, 2, "the hard link and the link are one node with node-1")
	assert.Contains(t, n1.Warnings[0], "zz-copy.rdb is the same file as "+p("node-1.rdb"))
	assert.Contains(t, n1.Warnings[1], "node-1-alias.rdb is the same file as "+p("node-1.rdb"))

	for name, want := range map[string]string{
		"latest": "broken symbolic link", "loop-a": "symbolic link cannot be followed",
		"secret": "permission denied",
	} {
		in := byName[name]
		assert.False(t, in.Direct(), "%s: a failing input is never reopened elsewhere", name)
		_, err := Parse(context.Background(), in, Options{}, func(*Record) error { return nil })
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), in.Path+": cannot open: "+want, name)
	}
	_, keys := parseSummary(t, byName["node-2"])
	assert.NotEmpty(t, keys, "the linked dump is read")

	// Named twice on the command line: one node.
	ins, err = Expand([]string{p("node-1.rdb"), p("node-1-alias.rdb")}, nil)
	require.NoError(t, err)
	require.Len(t, ins, 1)
	assert.True(t, strings.HasSuffix(ins[0].Warnings[0], "analyzed once"))
}

func keysOf(m map[string]Input) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
