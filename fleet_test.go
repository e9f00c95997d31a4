package main

import (
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

const sampleClusterNodes = "testdata/incident-nights/cluster-nodes.txt"

// sampleProfiles analyzes each node of testdata/sample into its own
// profile in dir and returns their paths by node name.
func sampleProfiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range []string{"node-7200", "node-7201", "node-7202"} {
		p := filepath.Join(dir, n+".json")
		code, _, stderr := runCLI(t, "analyze", "-q", "--isolate=false", "--progress", "never", "--json", p, "testdata/sample/"+n+".rdb")
		require.Equal(t, exitOK, code, stderr)
		out[n] = p
	}
	return out
}

type reportDoc struct {
	Nodes []struct {
		Name string `json:"name"`
		Keys int64  `json:"keys"`
	} `json:"nodes"`
	Cluster *struct {
		Keys   int64 `json:"keys"`
		Memory int64 `json:"memory"`
	} `json:"cluster"`
	Findings []struct {
		Kind     string `json:"kind"`
		Severity string `json:"severity"`
		Node     string `json:"node"`
		Title    string `json:"title"`
	} `json:"findings"`
}

func readDoc(t *testing.T, path string) reportDoc {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var d reportDoc
	require.NoError(t, json.Unmarshal(raw, &d))
	return d
}

func (d reportDoc) kinds() []string {
	var out []string
	for _, f := range d.Findings {
		out = append(out, f.Kind)
	}
	return out
}

// A report over part of a cluster is not a clean report: with
// --cluster-nodes a master without a dump, and with --expect-nodes fewer
// nodes than expected, is a critical missing-node finding and exit 3.
func TestReportMissingNode(t *testing.T) {
	dir := t.TempDir()
	p := sampleProfiles(t, dir)
	two := []string{p["node-7200"], p["node-7202"]}
	all := []string{p["node-7200"], p["node-7201"], p["node-7202"]}
	tests := []struct {
		name     string
		flags    []string
		profiles []string
		code     int
		missing  string // the missing-node finding's node; "" for none
	}{
		{"cluster nodes, one dropped", []string{"--cluster-nodes", sampleClusterNodes}, two, exitIncomplete, "127.0.0.1:7201"},
		{"cluster nodes, one dropped, fail-on critical", []string{"--cluster-nodes", sampleClusterNodes, "--fail-on", "critical"}, two, exitIncomplete, "127.0.0.1:7201"},
		{"expect nodes, one dropped", []string{"--expect-nodes", "3"}, two, exitIncomplete, "-"},
		{"cluster nodes, all there", []string{"--cluster-nodes", sampleClusterNodes}, all, exitOK, ""},
		{"expect nodes, all there", []string{"--expect-nodes", "3"}, all, exitOK, ""},
		{"no fleet flag, one dropped", nil, two, exitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			args := append([]string{"report", "-q", "--json", out}, tc.flags...)
			code, _, stderr := runCLI(t, append(args, tc.profiles...)...)
			assert.Equal(t, tc.code, code, stderr)
			d := readDoc(t, out)
			if tc.missing == "" {
				assert.NotContains(t, d.kinds(), "missing-node")
				return
			}
			require.NotEmpty(t, d.Findings)
			f := d.Findings[0]
			assert.Equal(t, "missing-node", f.Kind, "missing-node leads")
			assert.Equal(t, "critical", f.Severity)
			if tc.missing != "-" {
				assert.Equal(t, tc.missing, f.Node)
				assert.Contains(t, f.Title, "5461-10922")
			}
		})
	}
}

// analyze: the same with dumps, one left out of the directory.
func TestAnalyzeMissingNode(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--isolate=false", "--cluster-nodes", sampleClusterNodes, "--json", out,
		"testdata/sample/node-7200.rdb", "testdata/sample/node-7201.rdb")
	assert.Equal(t, exitIncomplete, code, stderr)
	d := readDoc(t, out)
	require.NotEmpty(t, d.Findings)
	assert.Equal(t, "missing-node", d.Findings[0].Kind)
	assert.Equal(t, "127.0.0.1:7202", d.Findings[0].Node)
}

// Settings people get wrong are refused or said out loud, never
// silently ignored.
func TestSettingsNobodyGetsWrong(t *testing.T) {
	dir := t.TempDir()
	p := sampleProfiles(t, dir)
	conf := filepath.Join(dir, "redis.conf")
	require.NoError(t, os.WriteFile(conf, []byte("maxmemory 4mb\n"), 0o644))
	one := "testdata/sample/node-7201.rdb"
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"deprecated --max-memory still works and warns",
			[]string{"analyze", "-q", "--max-memory", "2gb", one}, exitOK,
			[]string{"--max-memory has been deprecated", "--parser-memory-limit"}},
		{"--parser-memory-limit is the new name",
			[]string{"analyze", "-q", "--parser-memory-limit", "2gb", one}, exitOK, nil},
		{"both names: usage error",
			[]string{"analyze", "-q", "--max-memory", "2gb", "--parser-memory-limit", "2gb", one}, exitUsage,
			[]string{"old name of --parser-memory-limit"}},
		{"bad size names the flag used",
			[]string{"analyze", "-q", "--parser-memory-limit", "lots", one}, exitUsage,
			[]string{`--parser-memory-limit "lots"`}},
		{"policy without maxmemory warns (analyze)",
			[]string{"analyze", "-q", "--maxmemory-policy", "volatile-lru", one}, exitOK,
			[]string{"maxmemory-policy volatile-lru is given but no maxmemory"}},
		{"policy without maxmemory warns (report)",
			[]string{"report", "-q", "--maxmemory-policy", "volatile-lru", p["node-7201"]}, exitOK,
			[]string{"maxmemory-policy volatile-lru is given but no maxmemory"}},
		{"maxmemory of an unknown node (analyze)",
			[]string{"analyze", "-q", "--maxmemory", "node-9999=4gb", "testdata/sample"}, exitUsage,
			[]string{"--maxmemory node-9999=4gb names node node-9999, which the run does not hold (nodes: node-7200, node-7201, node-7202)"}},
		{"maxmemory of an unknown node (report)",
			[]string{"report", "-q", "--maxmemory", "node-9999=4gb", p["node-7200"]}, exitUsage,
			[]string{"names node node-9999, which the run does not hold"}},
		{"redis-config of an unknown node",
			[]string{"analyze", "-q", "--redis-config", "node-9999=" + conf, one}, exitUsage,
			[]string{"--redis-config node-9999=" + conf + " names node node-9999"}},
		{"maxmemory of a known node",
			[]string{"analyze", "-q", "--maxmemory", "node-7201=4gb", one}, exitOK, nil},
		{"bad --expect-nodes",
			[]string{"report", "-q", "--expect-nodes", "-1", p["node-7200"]}, exitUsage,
			[]string{"--expect-nodes must be at least 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{tc.args[0], "--progress", "never"}, tc.args[1:]...)
			if tc.args[0] != "analyze" {
				args = tc.args
			}
			code, _, stderr := runCLI(t, args...)
			assert.Equal(t, tc.code, code, stderr)
			for _, want := range tc.stderr {
				assert.Contains(t, stderr, want)
			}
			if tc.stderr == nil {
				assert.NotContains(t, stderr, "warning")
			}
		})
	}
}

func TestNameRegex(t *testing.T) {
	tests := []struct {
		re, in, want string
		ok           bool
	}{
		{`node-[0-9]+`, "prod-cache-2026-11-26-node-7202", "node-7202", true},
		{`-(\d{4})$`, "prod-cache-2026-11-26-0001", "0001", true},
		{`(?P<date>\d{4}-\d\d-\d\d)-(?P<name>\d+)`, "prod-cache-2026-11-26-0001", "0001", true},
		{`node-[0-9]+`, "cache-a", "cache-a", false},
		{`x(y?)`, "x", "x", false}, // an empty name keeps the old one
	}
	for _, tc := range tests {
		nr, err := parseNameRegex(tc.re)
		require.NoError(t, err)
		got, ok := nr.name(tc.in)
		assert.Equal(t, tc.want, got, tc.re)
		assert.Equal(t, tc.ok, ok, tc.re)
	}
	_, err := parseNameRegex("(")
	assert.ErrorContains(t, err, "--name-regex")
}

// Dumps named by date get their node names from --name-regex, which
// --name still overrides; two dumps of one name are refused.
func TestAnalyzeNameRegex(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"7200", "7201", "7202"} {
		raw, err := os.ReadFile("testdata/sample/node-" + n + ".rdb")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "prod-cache-2026-11-26-node-"+n+".rdb"), raw, 0o644))
	}
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--isolate=false", "--name-regex", `node-\d+`,
		"--name", "first="+filepath.Join(dir, "prod-cache-2026-11-26-node-7200.rdb"), "--json", out, dir)
	require.Equal(t, exitOK, code, stderr)
	var names []string
	for _, n := range readDoc(t, out).Nodes {
		names = append(names, n.Name)
	}
	assert.Equal(t, []string{"first", "node-7201", "node-7202"}, names)

	code, _, stderr = runCLI(t, "analyze", "-q", "--isolate=false", "--name-regex", `prod-cache`, "--json", out, dir)
	assert.Equal(t, exitFatal, code)
	assert.Contains(t, stderr, `names both`)
}

// The merged cluster profile leaves out dumps that are not nodes of the
// cluster (here an AOF base of node-7201), and the finding says so.
func TestClusterExcludesOutsiders(t *testing.T) {
	dir := t.TempDir()
	p := sampleProfiles(t, dir)
	raw, err := os.ReadFile(p["node-7201"])
	require.NoError(t, err)
	s := strings.Replace(string(raw), `"name": "node-7201"`, `"name": "appendonly.aof.1.base"`, 1)
	s = strings.Replace(s, `"redis_version"`, `"aof_base": true, "redis_version"`, 1)
	require.NotEqual(t, string(raw), s)
	aof := filepath.Join(dir, "aof.json")
	require.NoError(t, os.WriteFile(aof, []byte(s), 0o644))

	three := filepath.Join(dir, "three.json")
	four := filepath.Join(dir, "four.json")
	code, _, stderr := runCLI(t, "report", "-q", "--json", three, p["node-7200"], p["node-7201"], p["node-7202"])
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, "report", "-q", "--json", four, p["node-7200"], p["node-7201"], p["node-7202"], aof)
	require.Equal(t, exitOK, code, stderr)
	a, b := readDoc(t, three), readDoc(t, four)
	require.Len(t, b.Nodes, 4)
	require.NotNil(t, b.Cluster)
	assert.Equal(t, a.Cluster.Keys, b.Cluster.Keys, "the AOF base's keys are not the cluster's")
	assert.Equal(t, a.Cluster.Memory, b.Cluster.Memory)
	assert.Contains(t, b.kinds(), "foreign-node")
}

// diff: nodes renamed by date pair by --name-regex, and a side missing a
// master is a missing-node finding and exit 3.
func TestDiffFleetFlags(t *testing.T) {
	dir := t.TempDir()
	p := sampleProfiles(t, dir)
	all := filepath.Join(dir, "all.json")
	code, _, stderr := runCLI(t, "report", "-q", "--json", all, p["node-7200"], p["node-7201"], p["node-7202"])
	require.Equal(t, exitOK, code, stderr)
	part := filepath.Join(dir, "part.json")
	code, _, stderr = runCLI(t, "report", "-q", "--json", part, p["node-7200"], p["node-7202"])
	require.Equal(t, exitOK, code, stderr)

	out := filepath.Join(dir, "d.json")
	code, stdout, stderr := runCLI(t, "diff", "--cluster-nodes", sampleClusterNodes, "--json", out, all, part)
	assert.Equal(t, exitIncomplete, code, stderr)
	assert.Contains(t, stdout, "warning: node node-7201 of OLD has no counterpart in NEW")
	d := readDoc(t, out)
	require.NotEmpty(t, d.Findings)
	assert.Equal(t, "missing-node", d.Findings[0].Kind)
	assert.True(t, strings.HasPrefix(d.Findings[0].Title, "NEW: no dump of master 127.0.0.1:7201"), d.Findings[0].Title)

	// -q still says why the diff is merged, on stderr.
	code, _, stderr = runCLI(t, "diff", "-q", all, part)
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "warning: node node-7201 of OLD has no counterpart in NEW")

	// Renamed nodes: --name-regex gives both sides the same names.
	renamed := filepath.Join(dir, "renamed.json")
	raw, err := os.ReadFile(all)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(renamed, []byte(strings.ReplaceAll(string(raw), `"name": "node-`, `"name": "prod-2026-11-27-node-`)), 0o644))
	var doc struct {
		Mode   string `json:"mode"`
		Scopes []struct {
			Name    string `json:"name"`
			OldName string `json:"old_name"`
		} `json:"scopes"`
	}
	code, _, stderr = runCLI(t, "diff", "-q", "--name-regex", `node-\d+`, "--json", out, all, renamed)
	require.Equal(t, exitOK, code, stderr)
	raw, err = os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, "nodes", doc.Mode)
	require.Len(t, doc.Scopes, 4)
	assert.Equal(t, "node-7202", doc.Scopes[3].Name)
	assert.Empty(t, doc.Scopes[3].OldName)
}

func TestDeriveClusterName(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{[]string{"prod-cache-7200", "prod-cache-7201", "prod-cache-7202"}, "prod-cache"},
		{[]string{"prod-cache-2026-11-26-0001", "prod-cache-2026-11-26-0002"}, "prod-cache"},
		{[]string{"sessions-a", "sessions-b"}, "sessions"},
		{[]string{"prod-cache-7200"}, "prod-cache"},
		{[]string{"a1", "b2"}, ""},
		{[]string{"7200", "7201"}, ""},
	}
	for _, tc := range tests {
		got, err := deriveClusterName(tc.names)
		if tc.want == "" {
			assert.Error(t, err, tc.names)
			continue
		}
		require.NoError(t, err, tc.names)
		assert.Equal(t, tc.want, got)
	}
}

// --history appends the night under the cluster's name, derived from the
// node names unless given.
func TestReportHistory(t *testing.T) {
	dir := t.TempDir()
	p := sampleProfiles(t, dir)
	hist := filepath.Join(dir, "history")
	code, stdout, stderr := runCLI(t, "report", "--history", hist, p["node-7200"], p["node-7201"], p["node-7202"])
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "cluster name node taken from the node names")
	parts, err := filepath.Glob(filepath.Join(hist, "cluster=node", "date=*", "nodes.parquet"))
	require.NoError(t, err)
	require.Len(t, parts, 1)
	assert.Contains(t, stdout, "history written to "+filepath.Dir(parts[0]))

	code, _, stderr = runCLI(t, "report", "-q", "--history", hist, "--cluster-name", "prod-cache", p["node-7200"])
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr)
	parts, err = filepath.Glob(filepath.Join(hist, "cluster=prod-cache", "date=*", "families.parquet"))
	require.NoError(t, err)
	assert.Len(t, parts, 1)

	for _, args := range [][]string{
		{"report", "--history", hist, "--cluster-name", "../etc", p["node-7200"]},
		{"report", "--cluster-name", "prod", p["node-7200"]},
		{"analyze", "--cluster-name", "prod", "testdata/sample"},
	} {
		code, _, stderr = runCLI(t, args...)
		assert.Equal(t, exitUsage, code, stderr)
		assert.Contains(t, stderr, "--cluster-name")
	}
}

// --min-severity narrows the summary, says how many it hid, and leaves
// the JSON report whole.
func TestMinSeveritySummary(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.json")
	args := []string{"analyze", "--progress", "never", "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "--json", p, "testdata/sample"}
	_, all, _ := runCLI(t, args...)
	require.Contains(t, all, "WARNING")
	code, crit, stderr := runCLI(t, append(args[:1:1], append([]string{"--min-severity", "critical"}, args[1:]...)...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, crit, "WARNING")
	assert.Contains(t, crit, "CRITICAL")
	assert.Regexp(t, `\d+ findings? below critical not shown`, crit)
	r := testutil.Report(t, p)
	warnings := 0
	for _, f := range r.Findings {
		if f.Severity == aggregate.SeverityWarning {
			warnings++
		}
	}
	assert.Positive(t, warnings, "the JSON keeps every finding")
}
