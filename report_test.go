package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// htmlGeneratedAt is the one timing field of the HTML report (in the tool
// line and the generator meta tag).
var htmlGeneratedAt = regexp.MustCompile(`generated [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z`)

func normJSON(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return generatedAt.ReplaceAllString(string(b), `"generated_at": "X"`)
}

func normHTML(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return htmlGeneratedAt.ReplaceAllString(string(b), "generated X")
}

var sampleNodes = []string{"node-7200", "node-7201", "node-7202"}

// The unit of distribution: profiles made one node at a time (on as many
// machines) merge into exactly the report of one run over all dumps.
func TestReportMergeEqualsAnalyze(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	rules := []string{"--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru"}

	args := append([]string{"analyze", "-q", "--json", p("all.json"), "--html", p("all.html"),
		"--metrics", p("all.prom"), "--top-csv", p("all-top.csv"), "--families-csv", p("all-fam.csv")}, rules...)
	code, _, stderr := runCLI(t, append(args, "testdata/sample")...)
	require.Equal(t, exitOK, code, stderr)
	// Each run is told how the servers run, as the one run was: maxmemory
	// and the policy decide what the keys allocate (shared integers).
	for _, n := range sampleNodes {
		code, _, stderr := runCLI(t, append([]string{"analyze", "-q", "--json", p(n + ".json"), "testdata/sample/" + n + ".rdb"}, rules...)...)
		require.Equal(t, exitOK, code, stderr)
	}
	// One profile may hold several nodes.
	code, _, stderr = runCLI(t, append([]string{"analyze", "-q", "--json", p("two.json"), "testdata/sample/node-7200.rdb", "testdata/sample/node-7201.rdb"}, rules...)...)
	require.Equal(t, exitOK, code, stderr)

	tests := []struct {
		name     string
		profiles []string
	}{
		{"one profile per node", []string{"node-7200.json", "node-7201.json", "node-7202.json"}},
		{"reversed order", []string{"node-7202.json", "node-7201.json", "node-7200.json"}},
		{"a profile of two nodes and one of one", []string{"two.json", "node-7202.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			q := func(name string) string { return filepath.Join(out, name) }
			args := append([]string{"report", "--json", q("r.json"), "--html", q("r.html"), "--metrics", q("r.prom"),
				"--top-csv", q("top.csv"), "--families-csv", q("fam.csv")}, rules...)
			for _, pr := range tc.profiles {
				args = append(args, p(pr))
			}
			code, stdout, stderr := runCLI(t, args...)
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stdout, "ttl-starvation")
			assert.Equal(t, normJSON(t, p("all.json")), normJSON(t, q("r.json")))
			assert.Equal(t, normHTML(t, p("all.html")), normHTML(t, q("r.html")))
			for _, f := range [][2]string{{"all-top.csv", "top.csv"}, {"all-fam.csv", "fam.csv"}} {
				want, _ := os.ReadFile(p(f[0]))
				got, _ := os.ReadFile(q(f[1]))
				assert.Equal(t, string(want), string(got), f[1])
			}
			stamp := regexp.MustCompile(`(?m)^rdbscope_report_timestamp_seconds .*$`)
			want, _ := os.ReadFile(p("all.prom"))
			got, _ := os.ReadFile(q("r.prom"))
			assert.Equal(t, stamp.ReplaceAllString(string(want), ""), stamp.ReplaceAllString(string(got), ""))
		})
	}
}

// A merge keeps the --top the profiles were made with, so that the merged
// top lists are the ones one run would have kept.
func TestReportInfersTop(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	code, _, stderr := runCLI(t, "analyze", "-q", "--top", "3", "--json", p("all.json"), "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	var profiles []string
	for _, n := range sampleNodes {
		code, _, stderr := runCLI(t, "analyze", "-q", "--top", "3", "--json", p(n+".json"), "testdata/sample/"+n+".rdb")
		require.Equal(t, exitOK, code, stderr)
		profiles = append(profiles, p(n+".json"))
	}
	code, _, stderr = runCLI(t, append([]string{"report", "-q", "--json", p("r.json")}, profiles...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, normJSON(t, p("all.json")), normJSON(t, p("r.json")))
}

func TestReportFailOnAndQuiet(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "all.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", prof, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"--fail-on", "critical"}, exitFindings},
		{[]string{"--fail-on", "warning", "--big-hash-share", "0.99", "--big-key-bytes", "0", "--big-key-share", "0"}, exitFindings}, // node-skew
		{[]string{"--fail-on", "critical", "--big-hash-share", "0.99", "--big-key-share", "0"}, exitOK},
		{[]string{}, exitOK},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI(t, append(append([]string{"report", "-q"}, tc.args...), prof)...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		assert.Empty(t, stdout, "-q prints nothing")
		assert.Empty(t, stderr)
	}
}

func TestReportRejectsBadProfiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", good, "testdata/sample/node-7200.rdb")
	require.Equal(t, exitOK, code, stderr)
	raw, err := os.ReadFile(good)
	require.NoError(t, err)
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		return path
	}
	newer := write("profile.json", strings.Replace(string(raw), `"schema_version": 1`, `"schema_version": 2`, 1))
	tests := []struct {
		name  string
		files []string
		code  int
		want  string
	}{
		{"newer schema", []string{newer}, exitFatal,
			"profile.json: schema_version 2 is newer than this rdbscope understands (1); upgrade rdbscope"},
		{"no schema version", []string{write("none.json", `{"nodes": []}`)}, exitFatal, "none.json: not an rdbscope JSON profile (no schema_version)"},
		{"schema version 0", []string{write("zero.json", `{"schema_version": 0}`)}, exitFatal, "schema_version 0 is not a valid"},
		{"not JSON", []string{write("dump.json", "REDIS0011")}, exitFatal, "dump.json: not an rdbscope JSON profile"},
		{"a diff", []string{write("diff.json", `{"kind": "rdbscope-diff", "schema_version": 1}`)}, exitFatal, "is an rdbscope diff, not a profile"},
		{"no node", []string{write("empty.json", `{"schema_version": 1, "nodes": []}`)}, exitFatal, "hold no node"},
		{"same node twice", []string{good, good}, exitFatal, "node node-7200 is also in"},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, exitFatal, "no such file"},
		{"no profile", nil, exitUsage, "no PROFILE given"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"report", "-q"}, tc.files...)...)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

func TestReportReadsStdin(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", prof, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	raw, err := os.ReadFile(prof)
	require.NoError(t, err)
	var out, errb bytes.Buffer
	code = run([]string{"report", "--json", "-", "-"}, bytes.NewReader(raw), &out, &errb)
	require.Equal(t, exitOK, code, errb.String())
	assert.Equal(t, generatedAt.ReplaceAllString(string(raw), "X"), generatedAt.ReplaceAllString(out.String(), "X"))
	assert.Contains(t, errb.String(), "FINDINGS", "the summary moves to stderr when the JSON takes stdout")
}

// docs/schema.json describes what analyze and report write.
func TestJSONSchemaValidatesReports(t *testing.T) {
	f, err := os.Open("docs/schema.json")
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource("schema.json", doc))
	sch, err := c.Compile("schema.json")
	require.NoError(t, err)

	dir := t.TempDir()
	one := filepath.Join(dir, "one.json")
	all := filepath.Join(dir, "all.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", one, "testdata/sample/node-7201.rdb")
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, "analyze", "-q", "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "--json", all, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	// A filtered report, with its additive fields.
	filtered := filepath.Join(dir, "filtered.json")
	code, _, stderr = runCLI(t, "analyze", "-q", "--match", "user:*", "--db", "0", "--type", "hash,string", "--min-bytes", "1",
		"--no-ttl", "--json", filtered, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	for _, p := range []string{one, all, filtered} {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		require.NoError(t, err)
		assert.NoError(t, sch.Validate(inst), p)
	}
	// And it is not vacuous: a wrong type is caught.
	bad, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"schema_version": 1, "tool": {"name": "rdbscope", "version": "x", "model_version": "m", "generated_at": "2026-01-01T00:00:00Z"}, "nodes": [{"name": "n", "keys": "many"}], "findings": []}`))
	require.NoError(t, err)
	assert.Error(t, sch.Validate(bad))
	wrongVersion, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"schema_version": 2, "tool": {}, "nodes": [], "findings": []}`))
	require.NoError(t, err)
	assert.Error(t, sch.Validate(wrongVersion))
}

// A bad flag value is named once, by the command: the library errors it
// wraps name no flag (they once did, and the flag came out twice).
func TestFlagErrorsNameTheFlagOnce(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"analyze", "--maxmemory", "2zb", "x.rdb"}, `--maxmemory: size "2zb": unknown unit "zb"`},
		{[]string{"analyze", "--maxmemory", "=1gb", "x.rdb"}, `--maxmemory: empty node name in "=1gb"`},
		{[]string{"report", "--maxmemory", "node=lots", "x.json"}, `--maxmemory: size "lots": want a number of bytes`},
		{[]string{"analyze", "--maxmemory-policy", "sometimes", "x.rdb"}, `--maxmemory-policy: unknown maxmemory-policy "sometimes"`},
		{[]string{"analyze", "--big-key-bytes", "lots", "x.rdb"}, `--big-key-bytes: size "lots": want a number of bytes`},
		{[]string{"analyze", "--fail-on", "severe", "x.rdb"}, `--fail-on "severe": want info, warning, critical or none`},
		{[]string{"report", "--fail-on", "severe", "x.json"}, `--fail-on "severe": want info, warning, critical or none`},
		{[]string{"diff", "--fail-on", "severe", "a", "b"}, `--fail-on "severe": want info, warning, critical or none`},
		{[]string{"diff", "--growth-min-bytes", "lots", "a", "b"}, `--growth-min-bytes: size "lots": want a number of bytes`},
		{[]string{"diff", "--big-key-bytes", "1q", "a", "b"}, `--big-key-bytes: size "1q": unknown unit "q"`},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		assert.Equal(t, exitUsage, code, tc.args)
		assert.Contains(t, stderr, "rdbscope: "+tc.want, tc.args)
		flag := strings.SplitN(tc.want, ":", 2)[0]
		flag = strings.Fields(flag)[0]
		assert.Equal(t, 1, strings.Count(stderr, flag), "%v names %s once: %s", tc.args, flag, stderr)
	}
}

// Profiles with figures no dump can produce are refused, naming the
// figure, instead of a report whose sums overflow int64 silently (issue
// 12, item 14).
func TestReportRefusesHugeFigures(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", a, "testdata/sample/node-7201.rdb")
	require.Equal(t, exitOK, code, stderr)
	raw, err := os.ReadFile(a)
	require.NoError(t, err)
	huge := regexp.MustCompile(`"memory": \d+`).ReplaceAll(raw, []byte(`"memory": 4611686018427387904`))
	huge = bytes.Replace(huge, []byte(`"name": "node-7201"`), []byte(`"name": "other"`), 1)
	require.NoError(t, os.WriteFile(b, huge, 0o644))
	code, _, stderr = runCLI(t, "report", "--json", filepath.Join(dir, "r.json"), a, b)
	assert.Equal(t, exitFatal, code)
	assert.Contains(t, stderr, "is 4611686018427387904, beyond 2^50: not a profile rdbscope wrote, or a corrupt one")
	assert.Contains(t, stderr, b)
}
