//go:build unix

package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/testutil"
)

// Issue 12, items 1–4: outputs never destroy anything. Every test here
// works on copies in a temporary directory, and special files are made
// there (a FIFO, character device nodes made with mknod): never the
// machine's /dev/null.

// copyDump copies a sample dump to dir/name and returns its path and
// bytes.
func copyDump(t *testing.T, dir, name string) (string, []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p, b
}

func assertUnchanged(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "%s was modified", path)
}

// Item 1: --cpuprofile is an output like the others, checked before it is
// created.
func TestCPUProfileNeverOverwritesInput(t *testing.T) {
	dir := t.TempDir()
	in, orig := copyDump(t, dir, "node.rdb")
	code, _, stderr := runCLI(t, "analyze", "-q", "--cpuprofile", in, in)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "--cpuprofile "+in+": refusing to overwrite")
	assertUnchanged(t, in, orig)

	prof := filepath.Join(dir, "cpu.pprof")
	code, _, stderr = runCLI(t, "analyze", "-q", "--cpuprofile", prof, in)
	require.Equal(t, exitOK, code, stderr)
	fi, err := os.Stat(prof)
	require.NoError(t, err)
	assert.Positive(t, fi.Size(), "the profile is written")
}

// Item 2: an output that is a file inside an input directory, of analyze
// and of diff, is refused: a dump (also caught as a forgotten FILE after
// an output flag), and any other file there, which the run reads to tell
// what it holds.
func TestOutputNeverOverwritesDumpInInputDirectory(t *testing.T) {
	dir := t.TempDir()
	oldDir, newDir := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	require.NoError(t, os.Mkdir(oldDir, 0o755))
	require.NoError(t, os.Mkdir(newDir, 0o755))
	oldDump, orig := copyDump(t, oldDir, "node-a.rdb")
	newDump, _ := copyDump(t, newDir, "node-a.rdb")
	// A link to the directory reaches the same dumps.
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(oldDir, link))

	notes := filepath.Join(oldDir, "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("keep"), 0o644))
	for _, args := range [][]string{
		{"diff", "-q", "--json", oldDump, oldDir, newDir},
		{"diff", "-q", "--html", filepath.Join(link, "node-a.rdb"), oldDir, newDir},
		{"analyze", "-q", "--html", oldDump, link},
		{"analyze", "-q", "--top-csv", oldDump, oldDir},
		{"diff", "-q", "--json", notes, oldDir, newDir},
		{"analyze", "-q", "--metrics", filepath.Join(link, "notes.txt"), oldDir},
	} {
		code, _, stderr := runCLI(t, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "refusing to overwrite", args)
		if strings.Contains(args[3], "notes") {
			assert.Contains(t, stderr, "inside input directory "+oldDir, args)
		}
		assertUnchanged(t, oldDump, orig)
		assertUnchanged(t, newDump, orig)
		assertUnchanged(t, notes, []byte("keep"))
	}
}

// Item 3: a destination that is not a regular file is written in place,
// never replaced; a symbolic link is followed.
func TestSpecialDestinationsWrittenInPlace(t *testing.T) {
	dir := t.TempDir()
	in, _ := copyDump(t, dir, "node.rdb")

	t.Run("character device", func(t *testing.T) {
		null := testutil.CharDevice(t, "null", 3)
		code, _, stderr := runCLI(t, "analyze", "-q", "--json", null, "--html", null, in)
		require.Equal(t, exitOK, code, stderr)
		fi, err := os.Lstat(null)
		require.NoError(t, err)
		assert.True(t, fi.Mode()&fs.ModeCharDevice != 0, "still a device: %v", fi.Mode())
		ents, _ := os.ReadDir(filepath.Dir(null))
		assert.Len(t, ents, 1, "nothing written beside it")
	})

	t.Run("FIFO", func(t *testing.T) {
		fifo := testutil.FIFO(t, "fifo")
		got := testutil.ReadFIFO(fifo)
		code, _, stderr := runCLI(t, "analyze", "-q", "--json", fifo, in)
		require.Equal(t, exitOK, code, stderr)
		select {
		case b := <-got:
			assert.True(t, strings.HasPrefix(string(b), "{"), "the reader got the JSON report")
			assert.Contains(t, string(b), `"name": "node"`)
		case <-time.After(30 * time.Second):
			t.Fatal("the FIFO's reader got nothing")
		}
		fi, err := os.Lstat(fifo)
		require.NoError(t, err)
		assert.True(t, fi.Mode()&fs.ModeNamedPipe != 0, "still a FIFO: %v", fi.Mode())
	})

	t.Run("symbolic link", func(t *testing.T) {
		d := t.TempDir()
		target := filepath.Join(d, "report.json")
		require.NoError(t, os.WriteFile(target, []byte("old"), 0o644))
		link := filepath.Join(d, "latest.json")
		require.NoError(t, os.Symlink("report.json", link))
		code, _, stderr := runCLI(t, "analyze", "-q", "--json", link, in)
		require.Equal(t, exitOK, code, stderr)
		fi, err := os.Lstat(link)
		require.NoError(t, err)
		assert.True(t, fi.Mode()&fs.ModeSymlink != 0, "the link stays a link")
		b, err := os.ReadFile(target)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"name": "node"`, "its target holds the report")
	})
}

// Item 4: output problems are found before any input is read, and a
// failure while writing one output leaves none written.
func TestOutputsCheckedFirstWrittenAllOrNone(t *testing.T) {
	dir := t.TempDir()

	// The input is a FIFO nobody writes: reading it would wait for ever,
	// so the run can only end if it checks its outputs first.
	fifo := testutil.FIFO(t, "dump.fifo")
	done := make(chan int, 1)
	var stderr string
	go func() {
		var code int
		code, _, stderr = runCLI(t, "analyze", "-q", "--json", filepath.Join(dir, "r.json"), "--html", filepath.Join(dir, "missing", "r.html"), fifo)
		done <- code
	}()
	select {
	case code := <-done:
		assert.Equal(t, exitFatal, code)
		assert.Contains(t, stderr, "--html "+filepath.Join(dir, "missing", "r.html"))
	case <-time.After(20 * time.Second):
		// Release the run so that the test ends.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("the run read its input before checking its outputs")
	}
	assert.NoFileExists(t, filepath.Join(dir, "r.json"))

	// The third output fails as it is written (a device that is always
	// full): the first two, already complete, are not put in place, and
	// yesterday's files are left as they were.
	full := testutil.CharDevice(t, "full", 7)
	in, _ := copyDump(t, dir, "node.rdb")
	jsonOut, htmlOut := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	require.NoError(t, os.WriteFile(htmlOut, []byte("yesterday"), 0o644))
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", jsonOut, "--html", htmlOut, "--families-csv", full, in)
	assert.Equal(t, exitFatal, code, stderr)
	assert.Contains(t, stderr, "--families-csv "+full)
	assert.NoFileExists(t, jsonOut)
	b, err := os.ReadFile(htmlOut)
	require.NoError(t, err)
	assert.Equal(t, "yesterday", string(b))
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		assert.NotContains(t, e.Name(), ".tmp-", "temporary files removed")
	}
}

// An interrupted run waiting for a FIFO's reader ends (the signal
// handler cancels the context).
func TestOutputFIFOWithoutReaderCanceled(t *testing.T) {
	dir := t.TempDir()
	in, _ := copyDump(t, dir, "node.rdb")
	fifo := testutil.FIFO(t, "out.fifo")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out, errb bytes.Buffer
	code, err := analyzeCmd(ctx, []string{"-q", "--json", fifo, in}, strings.NewReader(""), &out, &errb)
	assert.Equal(t, exitFatal, code)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--json "+fifo)
}
