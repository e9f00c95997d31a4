package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/testutil"
	"github.com/rdbscope/rdbscope/parse"
)

// appendonlyDir lays out a Redis 7 appendonlydir: the sample's node-7201
// as its base, an incr file of incr bytes, and the manifest; history adds
// an older base the manifest lists as history.
func appendonlyDir(t *testing.T, incr int, history bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	require.NoError(t, os.Mkdir(dir, 0o755))
	dump, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonly.aof.3.base.rdb"), dump, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonly.aof.3.incr.aof"), []byte(strings.Repeat("x", incr)), 0o644))
	manifest := "file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
	if history {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonly.aof.2.base.rdb"), dump, 0o644))
		manifest = "file appendonly.aof.2.base.rdb seq 2 type h\n" + manifest
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte(manifest), 0o644))
	return dir
}

// Reading an appendonlydir says, on the node and in every view, that the
// writes logged after the base are missing.
func TestAppendonlyDirWarns(t *testing.T) {
	t.Setenv("COLUMNS", "")
	dir := appendonlyDir(t, 4096, false)
	out := filepath.Join(t.TempDir(), "r")
	code, stdout, stderr := runCLI(t, "analyze", "--json", out+".json", "--markdown", out+".md", "--html", out+".html", dir)
	require.Equal(t, exitOK, code, stderr)
	r := testutil.Report(t, out+".json")
	require.Len(t, r.Nodes, 1)
	require.Len(t, r.Nodes[0].Warnings, 1)
	w := r.Nodes[0].Warnings[0]
	for _, want := range []string{"appendonly.aof.3.base.rdb is the base of a multi-part append-only file (appendonly.aof.manifest)",
		"appendonly.aof.3.incr.aof (4.00 KiB), are not included"} {
		assert.Contains(t, w, want)
	}
	assert.Contains(t, stdout, "warning appendonly.aof.3.base: appendonly.aof.3.base.rdb is the base of a\n  multi-part")
	for _, ext := range []string{".md", ".html"} {
		raw, err := os.ReadFile(out + ext)
		require.NoError(t, err)
		assert.Contains(t, string(raw), "are not included", ext)
	}
}

func TestAOFWarnings(t *testing.T) {
	// An old base the manifest lists as history is said to be one.
	dir := appendonlyDir(t, 10, true)
	w := aofWarning(parse.Input{Ref: parse.Ref{Path: filepath.Join(dir, "appendonly.aof.2.base.rdb")}}, true)
	assert.Contains(t, w, "appendonly.aof.2.base.rdb is an old base of the append-only file that appendonly.aof.manifest describes, replaced by appendonly.aof.3.base.rdb")

	// A base with nothing logged after it holds everything: no warning.
	dir = appendonlyDir(t, 0, false)
	assert.Empty(t, aofWarning(parse.Input{Ref: parse.Ref{Path: filepath.Join(dir, "appendonly.aof.3.base.rdb")}}, true))

	// Without a manifest, the dump's own aof-base field tells (an older
	// server's appendonly.aof with an RDB preamble, or a base copied away).
	w = aofWarning(parse.Input{Ref: parse.Ref{Path: "testdata/sample/node-7201.rdb"}}, true)
	assert.Contains(t, w, "the keys written after the last AOF rewrite, which the AOF logs as commands, are not included")
	assert.Empty(t, aofWarning(parse.Input{Ref: parse.Ref{Path: "testdata/sample/node-7201.rdb"}}, false))
	assert.Empty(t, aofWarning(parse.Input{Ref: parse.Ref{Path: "-"}}, false))

	assert.Equal(t, []string{"file", "my aof.1.base.rdb", "seq", "1", "type", "b"}, manifestFields(`file "my aof.1.base.rdb" seq 1 type b`))
}

// A real appendonlydir, when redis-server is here: the base has the keys
// of the rewrite, the node says the later ones are missing.
func TestAppendonlyDirFromRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no redis-server scenario")
	}
	r := testutil.StartRedis(t, "")
	r.Must(t, "SET", "before", "1")
	r.Must(t, "CONFIG", "SET", "appendonly", "yes") // rewrites: the base holds "before"
	deadline := time.Now().Add(30 * time.Second)
	for r.Info(t, "persistence", "aof_rewrite_in_progress") != "0" || r.Info(t, "persistence", "aof_rewrite_scheduled") != "0" {
		require.True(t, time.Now().Before(deadline), "AOF rewrite did not finish")
		time.Sleep(20 * time.Millisecond)
	}
	r.Must(t, "SET", "after", "2")
	dir := filepath.Join(r.Dir, "appendonlydir")
	if _, err := os.Stat(filepath.Join(dir, "appendonly.aof.manifest")); err != nil {
		t.Skipf("redis-server wrote no multi-part AOF (before Redis 7?): %v", err)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", out, dir)
	require.Equal(t, exitOK, code, stderr)
	rep := testutil.Report(t, out)
	require.Len(t, rep.Nodes, 1)
	n := rep.Nodes[0]
	assert.Equal(t, int64(1), n.Keys, "the base has the key written before the rewrite only")
	assert.True(t, n.Source.AOFBase)
	require.Len(t, n.Warnings, 1)
	assert.Contains(t, n.Warnings[0], "are not included")
}
