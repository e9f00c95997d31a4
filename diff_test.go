package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diff"
	"github.com/rdbscope/rdbscope/internal/testutil"
)

// makeTwoDays writes the dumps of one app a day apart into dir/old and
// dir/new (node "node-a"): overnight the feed lists grew, a deploy lost
// the TTL of every cart, the daily report was rewritten without its TTL,
// and someone stored a big upload.
func makeTwoDays(t *testing.T, dir string) (oldDir, newDir string) {
	r := testutil.StartRedis(t, "")
	var cmds [][]string
	for i := 0; i < 300; i++ {
		cmds = append(cmds, []string{"SET", fmt.Sprintf("session:%d", 1000+i), strings.Repeat("s", 80), "EX", "3600"})
	}
	for i := 0; i < 100; i++ {
		k := fmt.Sprintf("cart:%d", 5000+i)
		cmds = append(cmds, []string{"HSET", k, "sku1", "2", "sku2", "1", "total", "42.50"}, []string{"EXPIRE", k, "86400"})
	}
	for i := 0; i < 20; i++ {
		c := []string{"RPUSH", fmt.Sprintf("feed:%d", 7000+i)}
		for j := 0; j < 50; j++ {
			c = append(c, fmt.Sprintf("post-%d-%s", j, strings.Repeat("p", 40)))
		}
		cmds = append(cmds, c)
	}
	cmds = append(cmds, []string{"SET", "report:daily", strings.Repeat("r", 20000), "EX", "90000"})
	r.Pipe(t, cmds)
	oldDir, newDir = filepath.Join(dir, "old"), filepath.Join(dir, "new")
	saveTo(t, r, filepath.Join(oldDir, "node-a.rdb"))

	cmds = nil
	for i := 0; i < 20; i++ {
		c := []string{"RPUSH", fmt.Sprintf("feed:%d", 7000+i)}
		for j := 0; j < 600; j++ {
			c = append(c, fmt.Sprintf("post-%d-%s", j, strings.Repeat("q", 40)))
		}
		cmds = append(cmds, c)
	}
	for i := 0; i < 100; i++ {
		cmds = append(cmds, []string{"PERSIST", fmt.Sprintf("cart:%d", 5000+i)})
	}
	cmds = append(cmds, []string{"SET", "report:daily", strings.Repeat("R", 20000)},
		[]string{"SET", "upload:blob", strings.Repeat("u", 300000)})
	r.Pipe(t, cmds)
	saveTo(t, r, filepath.Join(newDir, "node-a.rdb"))
	return oldDir, newDir
}

// "What grew last night, and where?" on two real dumps of one app.
func TestDiffTwoDays(t *testing.T) {
	dir := t.TempDir()
	oldDir, newDir := makeTwoDays(t, dir)
	p := func(name string) string { return filepath.Join(dir, name) }
	flags := []string{"--growth-min-bytes", "10kb", "--big-key-bytes", "100kb"}

	args := append([]string{"diff", "--json", p("d.json"), "--html", p("d.html"), "--fail-on", "warning"}, flags...)
	code, stdout, stderr := runCLI(t, append(args, oldDir, newDir)...)
	require.Equal(t, exitFindings, code, stderr)
	assert.Contains(t, stdout, "feed:*")
	assert.Contains(t, stdout, "lost its TTL")

	var d diff.Diff
	raw, err := os.ReadFile(p("d.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &d))
	assert.Equal(t, diff.Kind, d.Kind)
	assert.Equal(t, diff.ModeNodes, d.Mode)
	require.Len(t, d.Scopes, 1, "one node: no merged scope")
	s := d.Scopes[0]
	assert.Equal(t, "node-a", s.Name)
	assert.Greater(t, s.Memory.Delta, int64(500_000))
	require.NotEmpty(t, s.Families)
	assert.Equal(t, "feed:*", string(s.Families[0].Name), "the family that grew most")
	assert.Equal(t, int64(20), s.Families[0].Keys.New)

	require.Len(t, s.FamiliesLostTTL, 1)
	assert.Equal(t, "cart:*", string(s.FamiliesLostTTL[0].Name))
	assert.Equal(t, 0.0, s.FamiliesLostTTL[0].NoTTLShareOld)
	assert.Equal(t, 1.0, s.FamiliesLostTTL[0].NoTTLShareNew)

	require.Len(t, s.LostTTL, 1)
	assert.Equal(t, "report:daily", string(s.LostTTL[0].Key))
	assert.NotZero(t, s.LostTTL[0].Old.ExpiresAt)
	assert.Zero(t, s.LostTTL[0].New.ExpiresAt)

	require.Len(t, s.NewBigKeys, 1)
	assert.Equal(t, "upload:blob", string(s.NewBigKeys[0].Key))
	assert.Equal(t, diff.StatusEntered, s.NewBigKeys[0].Status, "OLD listed only its 50 biggest of 421 keys")

	kinds := map[string]int{}
	for _, f := range d.Findings {
		kinds[f.Kind]++
	}
	assert.Equal(t, map[string]int{diff.KindGrowth: 1, diff.KindFamilyGrowth: 1, diff.KindLostTTL: 2, diff.KindNewBigKey: 1}, kinds)
	assert.Equal(t, aggregate.SeverityCritical, d.Findings[0].Severity, "the node more than doubled")

	html, err := os.ReadFile(p("d.html"))
	require.NoError(t, err)
	page := string(html)
	assert.Contains(t, page, `http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;`)
	assert.Equal(t, 1, strings.Count(page, "<script"), "one static script, no data in scripts")
	assert.Contains(t, page, "upload:blob")
	assert.NotContains(t, page, "http://", "nothing is loaded from anywhere")

	// The same diff from profiles made apart (the nightly way).
	for _, side := range []string{"old", "new"} {
		code, _, stderr := runCLI(t, "analyze", "-q", "--json", p(side+".json"), filepath.Join(dir, side))
		require.Equal(t, exitOK, code, stderr)
	}
	args = append([]string{"diff", "-q", "--json", p("d2.json")}, flags...)
	code, stdout, stderr = runCLI(t, append(args, p("old.json"), p("new.json"))...)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	assert.Equal(t, normJSON(t, p("d.json")), normJSON(t, p("d2.json")))

	// Renamed nodes are compared merged, keys matched wherever they live.
	require.NoError(t, os.Rename(filepath.Join(newDir, "node-a.rdb"), filepath.Join(newDir, "node-b.rdb")))
	code, _, stderr = runCLI(t, append(append([]string{"diff", "-q", "--json", p("d3.json")}, flags...), oldDir, newDir)...)
	require.Equal(t, exitOK, code, stderr)
	raw, err = os.ReadFile(p("d3.json"))
	require.NoError(t, err)
	var d3 diff.Diff
	require.NoError(t, json.Unmarshal(raw, &d3))
	assert.Equal(t, diff.ModeMerged, d3.Mode)
	require.Len(t, d3.Scopes, 1)
	assert.True(t, d3.Scopes[0].All)
	require.Len(t, d3.Scopes[0].LostTTL, 1)
	assert.Equal(t, "report:daily", string(d3.Scopes[0].LostTTL[0].Key))
}

func TestDiffUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"diff", "a.json"}, exitUsage, "want OLD and NEW"},
		{[]string{"diff", "--fail-on", "bad", "a", "b"}, exitUsage, "--fail-on"},
		{[]string{"diff", "--growth-min-bytes", "lots", "a", "b"}, exitUsage, "--growth-min-bytes"},
		{[]string{"diff", "-", "-"}, exitUsage, "cannot both be -"},
		{[]string{"diff", "/nonexistent/old", "testdata/sample"}, exitFatal, "OLD:"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		assert.Equal(t, tc.code, code, tc.args)
		assert.Contains(t, stderr, tc.want, tc.args)
	}
}

// The sample against itself: nothing moved, no finding, exit 0 even with
// --fail-on info.
func TestDiffSameIsQuiet(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", prof, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	code, stdout, stderr := runCLI(t, "diff", "--fail-on", "info", prof, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "No findings.")
	assert.Contains(t, stdout, "3 nodes, node by node")
}
