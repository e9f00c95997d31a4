package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/testutil"
)

// truthKey is a key of the sample's truth files.
type truthKey struct {
	DB   int    `json:"db"`
	Key  string `json:"key"`
	Type string `json:"type"`
	TTL  int64  `json:"pexpiretime"`
}

// truthKeys reads the sample's truth files: every key of every node.
func truthKeys(t *testing.T) map[string][]truthKey {
	t.Helper()
	out := map[string][]truthKey{}
	for _, node := range []string{"node-7200", "node-7201", "node-7202"} {
		raw, err := os.ReadFile("testdata/sample-truth/" + node + ".keys.jsonl")
		require.NoError(t, err)
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var k truthKey
			require.NoError(t, json.Unmarshal([]byte(line), &k))
			out[node] = append(out[node], k)
		}
	}
	return out
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

// A filter narrows the biggest-keys lists and the per-key exports to the
// keys it selects, and every output says so; findings, totals and the
// other tables are those of the whole node.
func TestFilters(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "all.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "--json", base, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	all := testutil.Report(t, base)
	truth := truthKeys(t)

	cases := []struct {
		name  string
		flags []string
		pick  func(db int, key, typ string, ttl int64) bool
	}{
		{"glob", []string{"--match", "feed:*"}, func(_ int, k, _ string, _ int64) bool { return strings.HasPrefix(k, "feed:") }},
		{"regex or glob", []string{"--match", "re:^rank:", "--match", "*:unread"}, func(_ int, k, _ string, _ int64) bool {
			return strings.HasPrefix(k, "rank:") || strings.HasSuffix(k, ":unread")
		}},
		{"type and no TTL", []string{"--type", "hash,zset", "--no-ttl"}, func(_ int, _, typ string, ttl int64) bool {
			return (typ == "hash" || typ == "zset") && ttl <= 0
		}},
		{"another db", []string{"--db", "1"}, func(db int, _, _ string, _ int64) bool { return db == 1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := func(name string) string { return filepath.Join(dir, c.name+"."+name) }
			args := append([]string{"analyze", "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "--json", out("json"),
				"--keys", out("keys.csv"), "--top-csv", out("top.csv"), "--markdown", out("md"), "--html", out("html")}, c.flags...)
			code, stdout, stderr := runCLI(t, append(args, "testdata/sample")...)
			require.Equal(t, exitOK, code, stderr)

			r := testutil.Report(t, out("json"))
			require.NotNil(t, r.Filter)
			assert.Equal(t, all.Findings, r.Findings, "findings cover every key")
			var wantKeys int64
			want := map[string]bool{}
			for i, n := range r.Nodes {
				assert.Equal(t, all.Nodes[i].Keys, n.Keys, "totals cover every key")
				assert.Equal(t, all.Nodes[i].TopKeys, n.TopKeys, "top_keys stays every key's")
				require.NotNil(t, n.Filtered, n.Name)
				var keys int64
				for _, k := range truth[n.Name] {
					if c.pick(k.DB, k.Key, k.Type, k.TTL) {
						keys++
						want[n.Name+" "+k.Key] = true
					}
				}
				assert.Equal(t, keys, n.Filtered.Keys, n.Name)
				wantKeys += keys
				for _, k := range n.Filtered.TopKeys {
					assert.True(t, want[n.Name+" "+string(k.Key)], "%s %s is selected", n.Name, k.Key)
				}
			}
			require.NotNil(t, r.Cluster.Filtered)
			assert.Equal(t, wantKeys, r.Cluster.Filtered.Keys)

			rows := readCSV(t, out("keys.csv"))[1:]
			assert.Len(t, rows, int(wantKeys), "the per-key export has the selected keys")
			for _, row := range rows {
				assert.True(t, want[row[0]+" "+row[2]], "exported %s %s is selected", row[0], row[2])
			}
			for _, row := range readCSV(t, out("top.csv"))[1:] {
				assert.True(t, want[row[0]+" "+row[3]], "top CSV %s %s is selected", row[0], row[3])
			}

			assert.Contains(t, stdout, "BIGGEST KEYS\n  Filtered: keys ")
			md, err := os.ReadFile(out("md"))
			require.NoError(t, err)
			assert.Contains(t, string(md), "_Filtered: keys ")
			assert.Contains(t, string(md), "Findings, totals and the other tables cover every key.")
			html, err := os.ReadFile(out("html"))
			require.NoError(t, err)
			assert.Contains(t, string(html), `<p class="filter">Filtered: keys `)
			assert.Contains(t, string(html), "<dt>Biggest keys</dt>")
		})
	}
}

func TestFilterUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze", "--match", "re:a(b", "x.rdb"}, `--match "re:a(b": missing closing )`},
		{[]string{"analyze", "--type", "hashes", "x.rdb"}, `--type "hashes": want one of string, list, set, zset, hash, stream, module`},
		{[]string{"analyze", "--db", "-1", "x.rdb"}, "--db -1: want 0 or more"},
		{[]string{"analyze", "--db", "zero", "x.rdb"}, `--db "zero": want a whole number`},
		{[]string{"analyze", "--min-bytes", "lots", "x.rdb"}, `--min-bytes: size "lots"`},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Contains(t, stderr, "rdbscope: "+tc.want, "%v", tc.args)
	}
}

// report carries a filter over when every profile was made with it, and
// otherwise lists every key and says why.
func TestReportFilters(t *testing.T) {
	dir := t.TempDir()
	prof := func(name string, args ...string) string {
		p := filepath.Join(dir, name+".json")
		code, _, stderr := runCLI(t, append(append([]string{"analyze", "-q", "--json", p}, args...), "testdata/sample/"+name+".rdb")...)
		require.Equal(t, exitOK, code, stderr)
		return p
	}
	a := prof("node-7200", "--match", "user:*")
	b := prof("node-7201", "--match", "user:*")
	c := prof("node-7202")
	out := filepath.Join(dir, "merged.json")
	code, _, stderr := runCLI(t, "report", "-q", "--json", out, a, b)
	require.Equal(t, exitOK, code, stderr)
	r := testutil.Report(t, out)
	require.NotNil(t, r.Filter)
	assert.Equal(t, aggregate.KeyFilter{Match: []string{"user:*"}}, *r.Filter)
	require.NotNil(t, r.Cluster.Filtered)
	assert.Equal(t, r.Nodes[0].Filtered.Keys+r.Nodes[1].Filtered.Keys, r.Cluster.Filtered.Keys)

	code, _, stderr = runCLI(t, "report", "-q", "--json", out, a, b, c)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "different key filters")
	r = testutil.Report(t, out)
	assert.Nil(t, r.Filter)
	for _, n := range append(r.Nodes, r.Cluster) {
		assert.Nil(t, n.Filtered, n.Name)
	}
}
