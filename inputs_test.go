//go:build unix

package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/testutil"
)

// Issue 12, items 10, 11 and 13: inputs as people give them.

// nodeKeys runs analyze on args and returns the JSON report's nodes.
type reportNode struct {
	Name     string   `json:"name"`
	Keys     int64    `json:"keys"`
	Memory   int64    `json:"memory"`
	Complete bool     `json:"complete"`
	Error    string   `json:"error"`
	Warnings []string `json:"warnings"`
}

func analyzeNodes(t *testing.T, wantCode int, args ...string) map[string]reportNode {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, append([]string{"analyze", "-q", "--json", out}, args...)...)
	require.Equal(t, wantCode, code, stderr)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var doc struct {
		Nodes []reportNode `json:"nodes"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	m := map[string]reportNode{}
	for _, n := range doc.Nodes {
		m[n.Name] = n
	}
	return m
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	_, err := z.Write(b)
	require.NoError(t, err)
	require.NoError(t, z.Close())
	return buf.Bytes()
}

// Item 10: a FIFO and a pipe named by path ("<(zcat dump.gz)" is
// /dev/fd/N) are read once, as a stream, with the figures of the file.
func TestPipesByPathReadOnce(t *testing.T) {
	dump, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	want := analyzeNodes(t, exitOK, "testdata/sample/node-7201.rdb")["node-7201"]
	gz := gzipBytes(t, dump)

	for _, isolate := range []string{"--isolate=true", "--isolate=false"} {
		t.Run("FIFO "+isolate, func(t *testing.T) {
			fifo := testutil.FIFO(t, "node-7201")
			go func() {
				f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				if err == nil {
					f.Write(gz)
					f.Close()
				}
			}()
			got := analyzeNodes(t, exitOK, isolate, fifo)["node-7201"]
			assert.Equal(t, want.Keys, got.Keys)
			assert.Equal(t, want.Memory, got.Memory)
		})
		t.Run("pipe "+isolate, func(t *testing.T) {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			defer r.Close()
			go func() {
				w.Write(gz)
				w.Close()
			}()
			path := fmt.Sprintf("/proc/self/fd/%d", r.Fd())
			got := analyzeNodes(t, exitOK, isolate, "--name", "p="+path, path)["p"]
			assert.True(t, got.Complete, got.Error)
			assert.Equal(t, want.Keys, got.Keys)
			assert.Equal(t, want.Memory, got.Memory)
		})
	}
}

// Item 10: a FIFO nobody writes to does not make the run deaf to
// SIGINT/SIGTERM (which cancel the run's context).
func TestFIFOInputWithoutWriterCanceled(t *testing.T) {
	for _, isolate := range []string{"--isolate=true", "--isolate=false"} {
		fifo := testutil.FIFO(t, "dump.rdb")
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		done := make(chan int, 1)
		go func() {
			var out, errb bytes.Buffer
			code, _ := analyzeCmd(ctx, []string{"-q", isolate, fifo}, strings.NewReader(""), &out, &errb)
			done <- code
		}()
		select {
		case code := <-done:
			assert.Equal(t, exitFatal, code, isolate)
		case <-time.After(20 * time.Second):
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			t.Fatalf("%s: the run ignored its canceled context while opening a FIFO", isolate)
		}
		cancel()
	}
}

// Item 11: in a directory, a linked dump is a node, a file with two
// names is one node (with a warning), and a file that cannot be read is
// that node's failure: exit 3, the other nodes analyzed.
func TestDirectoryLinksAndBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	dumps := filepath.Join(dir, "dumps")
	require.NoError(t, os.Mkdir(dumps, 0o755))
	copyDump(t, dumps, "node-a.rdb")
	copyDump(t, dir, "b.rdb")
	require.NoError(t, os.Symlink(filepath.Join(dir, "b.rdb"), filepath.Join(dumps, "node-b.rdb")))
	require.NoError(t, os.Link(filepath.Join(dumps, "node-a.rdb"), filepath.Join(dumps, "zz-copy.rdb")))
	require.NoError(t, os.Symlink("gone.rdb", filepath.Join(dumps, "latest.rdb")))

	nodes := analyzeNodes(t, exitIncomplete, dumps)
	require.Len(t, nodes, 3, "node-a, node-b (linked) and latest (broken)")
	a := nodes["node-a"]
	assert.True(t, a.Complete)
	assert.Equal(t, nodes["node-b"].Keys, a.Keys, "the linked dump is analyzed")
	require.NotEmpty(t, a.Warnings)
	assert.Contains(t, a.Warnings[0], "zz-copy.rdb is the same file as")
	latest := nodes["latest"]
	assert.False(t, latest.Complete)
	assert.Contains(t, latest.Error, "latest.rdb: cannot open: broken symbolic link")
}

// Item 13: node names from file and archive member names are escaped
// like key names: no raw control character reaches the terminal, a
// progress bar or a report, and CSV cells never start a formula.
func TestHostileNodeNames(t *testing.T) {
	dump, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	dir := t.TempDir()
	members := []string{"\x1b]0;pwned\x07title.rdb", "=HYPERLINK(\"http://x\").rdb", "\x1b[2Jclear.rdb"}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: m, Mode: 0o644, Size: int64(len(dump)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(dump)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	archive := filepath.Join(dir, "nodes.tar.gz")
	require.NoError(t, os.WriteFile(archive, gzipBytes(t, buf.Bytes()), 0o644))
	file := filepath.Join(dir, "+cmd|' -C calc'!A0\x1b[31m.rdb")
	require.NoError(t, os.WriteFile(file, dump, 0o644))

	keys, top, fams := filepath.Join(dir, "k.csv"), filepath.Join(dir, "t.csv"), filepath.Join(dir, "f.csv")
	code, stdout, stderr := runCLI(t, "analyze", "--progress", "always", "--keys", keys, "--top-csv", top,
		"--families-csv", fams, "--maxmemory", "1mb", archive, file)
	require.Equal(t, exitOK, code, stderr)
	for what, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
		assert.NotContains(t, s, "\x1b]", what)
		assert.NotContains(t, s, "\x1b[2J", what)
		assert.NotContains(t, s, "\x1b[31m", what)
		assert.NotContains(t, s, "\x07", what)
	}
	assert.Contains(t, stdout, `\x1b]0;pwned\x07title`, "the name is shown escaped")
	for _, p := range []string{keys, top, fams} {
		f, err := os.Open(p)
		require.NoError(t, err)
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		require.NoError(t, err)
		col := 0
		if p == fams {
			col = 1
		}
		for _, row := range rows[1:] {
			cell := row[col]
			if cell == "" {
				continue
			}
			assert.NotContains(t, "=+-@\t\r", cell[:1], "%s: a node cell starts a formula: %q", p, cell)
			assert.NotContains(t, cell, "\x1b", p)
		}
	}
}
