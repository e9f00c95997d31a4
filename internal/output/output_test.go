//go:build unix

package output

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/testutil"
)

// write writes s to the output of flag.
func write(t *testing.T, set *Set, flag, s string) {
	t.Helper()
	w := set.Writer(flag)
	require.NotNil(t, w, flag)
	_, err := io.WriteString(w, s)
	require.NoError(t, err)
}

func TestRegularFilesAppearOnlyAtCommit(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.html")
	require.NoError(t, os.WriteFile(b, []byte("old"), 0o600))
	set := New(nil)
	set.Add("--json", a)
	set.Add("--html", b)
	require.NoError(t, set.Open(context.Background()))
	write(t, set, "--json", "A")
	write(t, set, "--html", "B")
	assert.NoFileExists(t, a, "nothing is in place before Commit")
	got, _ := os.ReadFile(b)
	assert.Equal(t, "old", string(got))
	require.NoError(t, set.Commit())
	got, _ = os.ReadFile(a)
	assert.Equal(t, "A", string(got))
	got, _ = os.ReadFile(b)
	assert.Equal(t, "B", string(got))
	fi, err := os.Stat(b)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "a replaced file keeps its permissions")
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, 2, "no temporary file left")
}

func TestAbortLeavesPreviousFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	require.NoError(t, os.WriteFile(a, []byte("yesterday"), 0o644))
	set := New(nil)
	set.Add("--json", a)
	set.Add("--html", filepath.Join(dir, "new.html"))
	require.NoError(t, set.Open(context.Background()))
	write(t, set, "--json", "half")
	set.Abort()
	got, _ := os.ReadFile(a)
	assert.Equal(t, "yesterday", string(got))
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, 1, "temporary files removed, nothing new")
}

func TestSymlinkIsFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	dangling := filepath.Join(dir, "dangling.json")
	require.NoError(t, os.WriteFile(target, []byte("old"), 0o644))
	require.NoError(t, os.Symlink("real.json", link))
	require.NoError(t, os.Symlink("later.json", dangling))
	set := New(nil)
	set.Add("--json", link)
	set.Add("--html", dangling)
	require.NoError(t, set.Open(context.Background()))
	write(t, set, "--json", "new")
	write(t, set, "--html", "html")
	require.NoError(t, set.Commit())
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.True(t, fi.Mode()&fs.ModeSymlink != 0, "the link is still a link")
	got, _ := os.ReadFile(target)
	assert.Equal(t, "new", string(got))
	got, _ = os.ReadFile(filepath.Join(dir, "later.json"))
	assert.Equal(t, "html", string(got), "a dangling link's target is created")
}

func TestCharDeviceWrittenInPlace(t *testing.T) {
	null := testutil.CharDevice(t, "null", 3)
	set := New(nil)
	set.Add("--json", null)
	set.Add("--html", null) // /dev/null takes several outputs
	require.NoError(t, set.Open(context.Background()))
	write(t, set, "--json", "x")
	write(t, set, "--html", "y")
	require.NoError(t, set.Commit())
	fi, err := os.Lstat(null)
	require.NoError(t, err)
	assert.True(t, fi.Mode()&fs.ModeCharDevice != 0, "still a character device, not replaced by a file: %v", fi.Mode())
	ents, _ := os.ReadDir(filepath.Dir(null))
	assert.Len(t, ents, 1, "no temporary file beside the device")
}

// Opening a FIFO nobody reads waits, but not past the context.
func TestFIFOWithoutReaderIsCanceled(t *testing.T) {
	fifo := testutil.FIFO(t, "fifo")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	set := New(nil)
	set.Add("--json", fifo)
	start := time.Now()
	err := set.Open(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestConflicts(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "dump.rdb")
	require.NoError(t, os.WriteFile(dump, []byte("REDIS0011"), 0o644))
	dumps := filepath.Join(dir, "dumps")
	require.NoError(t, os.Mkdir(dumps, 0o755))
	inner := filepath.Join(dumps, "node.rdb")
	require.NoError(t, os.WriteFile(inner, []byte("REDIS0011"), 0o644))
	elsewhere := filepath.Join(dir, "elsewhere.rdb")
	require.NoError(t, os.WriteFile(elsewhere, []byte("REDIS0011"), 0o644))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(dumps, "linked.rdb")))
	hard := filepath.Join(dir, "hard.rdb")
	require.NoError(t, os.Link(dump, hard))
	dirLink := filepath.Join(dir, "dirlink")
	require.NoError(t, os.Symlink(dumps, dirLink))

	cases := []struct {
		name   string
		inputs []string
		outs   [][2]string
		want   string
	}{
		{"the input", []string{dump}, [][2]string{{"--json", dump}}, "refusing to overwrite an input"},
		{"a hard link to the input", []string{dump}, [][2]string{{"--cpuprofile", hard}}, "refusing to overwrite an input"},
		{"a file inside an input directory", []string{dumps}, [][2]string{{"--json", inner}}, "inside input directory"},
		{"through a linked directory", []string{dumps}, [][2]string{{"--json", filepath.Join(dirLink, "node.rdb")}}, "inside input directory"},
		{"the target of a link inside an input directory", []string{dirLink}, [][2]string{{"--html", elsewhere}}, "inside input directory"},
		{"two outputs on one file", nil, [][2]string{{"--json", filepath.Join(dir, "r")}, {"--html", filepath.Join(dirLink, "..", "r")}}, "write to the same file"},
		{"two outputs on stdout", nil, [][2]string{{"--json", "-"}, {"--html", "-"}}, "both write to stdout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := New(&bytes.Buffer{})
			set.Input(c.inputs...)
			for _, o := range c.outs {
				set.Add(o[0], o[1])
			}
			err := set.Open(context.Background())
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrConflict), "%v", err)
			assert.Contains(t, err.Error(), c.want)
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				assert.NotContains(t, e.Name(), ".tmp-", "no temporary file once refused")
			}
		})
	}
	b, _ := os.ReadFile(dump)
	assert.Equal(t, "REDIS0011", string(b))
}

func TestUnwritableDestinations(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro.json")
	require.NoError(t, os.WriteFile(ro, []byte("keep"), 0o444))
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing", "r.json"), "no such file or directory"},
		{dir, "is a directory"},
		{ro, "read-only"},
	} {
		set := New(nil)
		set.Add("--json", c.path)
		err := set.Open(context.Background())
		require.Error(t, err, c.path)
		assert.False(t, errors.Is(err, ErrConflict))
		assert.Contains(t, err.Error(), c.want)
		assert.Contains(t, err.Error(), "--json "+c.path, "names the flag and path")
	}
}

func TestStdout(t *testing.T) {
	var out bytes.Buffer
	set := New(&out)
	set.Add("--json", "-")
	set.Add("--html", "")
	require.NoError(t, set.Open(context.Background()))
	assert.Nil(t, set.Writer("--html"), "not asked for")
	write(t, set, "--json", "{}")
	require.NoError(t, set.Commit())
	assert.Equal(t, "{}", out.String())
	assert.True(t, set.ToStdout())
	assert.Empty(t, set.Written())
}
