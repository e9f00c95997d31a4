package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/render"
)

const incidentDir = "testdata/incident-nights"

// incidentNights are the five nightly reports, in file-name order (not
// the nights' order: see the fixture's README).
func incidentNights() []string {
	var out []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		out = append(out, filepath.Join(incidentDir, n+".json"))
	}
	return out
}

type trendDoc struct {
	Kind    string `json:"kind"`
	Cluster string `json:"cluster"`
	Nights  []struct {
		Date     string `json:"date"`
		Complete bool   `json:"complete"`
	} `json:"nights"`
	Nodes []struct {
		Name       string   `json:"name"`
		DaysToFull *float64 `json:"days_to_full"`
		Missing    bool     `json:"missing"`
		Families   []struct {
			Name string `json:"name"`
		} `json:"families"`
	} `json:"nodes"`
	Findings []struct {
		Kind     string `json:"kind"`
		Severity string `json:"severity"`
		Node     string `json:"node"`
		Family   string `json:"family"`
		Title    string `json:"title"`
	} `json:"findings"`
	Warnings []string `json:"warnings"`
}

func readTrend(t *testing.T, path string) trendDoc {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var d trendDoc
	require.NoError(t, json.Unmarshal(raw, &d))
	return d
}

// The test: five nightly incident snapshots, the logging hash
// growing each night; trend forecasts node-7202 within the horizon, names
// applog:checkout:debug, and exits 4 with --fail-on critical.
func TestTrendIncident(t *testing.T) {
	dir := t.TempDir()
	js, html, prom := filepath.Join(dir, "t.json"), filepath.Join(dir, "t.html"), filepath.Join(dir, "t.prom")
	args := append([]string{"trend", "--maxmemory", "24mb", "--cluster-name", "incident", "--fail-on", "critical",
		"--json", js, "--html", html, "--metrics", prom, "--metrics-label", "cluster=incident"}, incidentNights()...)
	code, stdout, stderr := runCLI(t, args...)
	require.Equal(t, exitFindings, code, stderr)
	assert.Contains(t, stdout, "node-7202 will reach maxmemory in 4.2 days")
	assert.Contains(t, stdout, "applog:checkout:debug")

	d := readTrend(t, js)
	assert.Equal(t, "rdbscope-trend", d.Kind)
	assert.Equal(t, "incident", d.Cluster)
	require.Len(t, d.Nights, 5)
	assert.Equal(t, "2026-11-26", d.Nights[0].Date, "nights in the dumps' order, not the arguments'")
	require.NotEmpty(t, d.Nodes)
	assert.Equal(t, "node-7202", d.Nodes[0].Name)
	require.NotNil(t, d.Nodes[0].DaysToFull)
	assert.Less(t, *d.Nodes[0].DaysToFull, 14.0)
	assert.Equal(t, "applog:checkout:debug", d.Nodes[0].Families[0].Name)
	require.NotEmpty(t, d.Findings)
	assert.Equal(t, "will-fill", d.Findings[0].Kind)
	assert.Equal(t, "critical", d.Findings[0].Severity)
	assert.Equal(t, "applog:checkout:debug", d.Findings[0].Family)

	raw, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "node-7202 will reach maxmemory in 4.2 days")

	// The same without --fail-on: the forecast is not a failure.
	code, _, stderr = runCLI(t, append([]string{"trend", "-q", "--maxmemory", "24mb"}, incidentNights()...)...)
	assert.Equal(t, exitOK, code, stderr)
	// And with a horizon shorter than the forecast: no will-fill.
	code, stdout, stderr = runCLI(t, append([]string{"trend", "--maxmemory", "24mb", "--horizon", "3", "--fail-on", "critical"}, incidentNights()...)...)
	assert.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "will-fill")
}

// writeNodeProfiles splits a report into one profile per node in dir,
// leaving out the nodes named in drop.
func writeNodeProfiles(t *testing.T, report, dir string, drop ...string) {
	t.Helper()
	r, err := readProfile(report, nil)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, n := range r.Nodes {
		if strings.Contains(strings.Join(drop, ","), n.Name) {
			continue
		}
		one := *r
		one.Nodes, one.Cluster, one.Findings = []*aggregate.Node{n}, nil, []aggregate.Finding{}
		var b bytes.Buffer
		require.NoError(t, render.JSON(&b, &one))
		require.NoError(t, os.WriteFile(filepath.Join(dir, n.Name+".json"), b.Bytes(), 0o644))
	}
}

// The test: the latest night given as per-node profiles, one of
// them dropped: with --cluster-nodes (or --expect-nodes) trend has a
// critical missing-node finding and exits 3, before --fail-on's 4.
func TestTrendMissingNode(t *testing.T) {
	dir := t.TempDir()
	full, part := filepath.Join(dir, "full"), filepath.Join(dir, "part")
	// c.json is the fifth night.
	writeNodeProfiles(t, filepath.Join(incidentDir, "c.json"), full)
	writeNodeProfiles(t, filepath.Join(incidentDir, "c.json"), part, "node-7201")
	earlier := []string{filepath.Join(incidentDir, "a.json"), filepath.Join(incidentDir, "b.json"),
		filepath.Join(incidentDir, "d.json"), filepath.Join(incidentDir, "e.json")}
	clusterNodes := filepath.Join(incidentDir, "cluster-nodes.txt")
	tests := []struct {
		name    string
		flags   []string
		last    string
		code    int
		missing bool
	}{
		{"cluster nodes, one dropped", []string{"--cluster-nodes", clusterNodes}, part, exitIncomplete, true},
		{"expect nodes, one dropped", []string{"--expect-nodes", "3"}, part, exitIncomplete, true},
		{"cluster nodes, all there", []string{"--cluster-nodes", clusterNodes}, full, exitFindings, false},
		{"neither, one dropped", nil, part, exitFindings, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js := filepath.Join(t.TempDir(), "t.json")
			args := append([]string{"trend", "-q", "--maxmemory", "24mb", "--fail-on", "critical", "--json", js}, tc.flags...)
			code, _, stderr := runCLI(t, append(append(args, earlier...), tc.last)...)
			assert.Equal(t, tc.code, code, stderr)
			d := readTrend(t, js)
			var kinds []string
			for _, f := range d.Findings {
				kinds = append(kinds, f.Kind)
			}
			if !tc.missing {
				assert.NotContains(t, kinds, "missing-node")
				return
			}
			require.NotEmpty(t, d.Findings)
			assert.Equal(t, "missing-node", d.Findings[0].Kind)
			assert.Equal(t, "critical", d.Findings[0].Severity)
			assert.Contains(t, kinds, "will-fill", "the forecast of the other nodes is still made")
			assert.Contains(t, stderr, "node node-7201 has no record on the latest night")
		})
	}
}

// The nightly job: report --history each night, trend --history reads
// the nights back and forecasts as from the reports.
func TestTrendFromHistory(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "history")
	for _, night := range incidentNights() {
		code, _, stderr := runCLI(t, "report", "-q", "--maxmemory", "24mb", "--history", hist, "--cluster-name", "incident", night)
		require.Equal(t, exitOK, code, stderr)
	}
	parts, err := filepath.Glob(filepath.Join(hist, "cluster=incident", "date=*"))
	require.NoError(t, err)
	assert.Len(t, parts, 5)

	fromHist, fromReports := filepath.Join(dir, "h.json"), filepath.Join(dir, "r.json")
	code, _, stderr := runCLI(t, "trend", "-q", "--history", hist, "--json", fromHist)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, append([]string{"trend", "-q", "--maxmemory", "24mb", "--cluster-name", "incident", "--json", fromReports}, incidentNights()...)...)
	require.Equal(t, exitOK, code, stderr)
	a, b := readTrend(t, fromHist), readTrend(t, fromReports)
	assert.Equal(t, "incident", a.Cluster)
	assert.Equal(t, b.Nodes, a.Nodes, "maxmemory recorded in the history is used")
	assert.Equal(t, b.Findings, a.Findings)

	// A history directory and a partition as SNAPSHOT arguments.
	code, _, stderr = runCLI(t, "trend", "-q", "--json", fromHist, hist)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, b.Findings, readTrend(t, fromHist).Findings)
	code, _, stderr = runCLI(t, append([]string{"trend", "-q", "--json", fromHist}, parts[3:]...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, readTrend(t, fromHist).Nights, 2)
	// --nights keeps the latest.
	code, _, stderr = runCLI(t, "trend", "-q", "--nights", "3", "--json", fromHist, hist)
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, readTrend(t, fromHist).Nights, 3)
}

func TestTrendUsage(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "history")
	for _, c := range []string{"a", "b"} {
		code, _, stderr := runCLI(t, "report", "-q", "--history", hist, "--cluster-name", c, filepath.Join(incidentDir, "a.json"))
		require.Equal(t, exitOK, code, stderr)
	}
	nights := incidentNights()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no snapshot", []string{"trend"}, exitUsage, "no SNAPSHOT given"},
		{"stdin", []string{"trend", "-"}, exitUsage, "is not a SNAPSHOT"},
		{"bad horizon", append([]string{"trend", "--horizon", "0"}, nights...), exitUsage, "--horizon"},
		{"bad nights", append([]string{"trend", "--nights", "1"}, nights...), exitUsage, "--nights must be at least 2"},
		{"bad min severity", append([]string{"trend", "--min-severity", "loud"}, nights...), exitUsage, `--min-severity "loud"`},
		{"bad since", append([]string{"trend", "--since", "yesterday"}, nights...), exitUsage, `--since "yesterday"`},
		{"unknown node", append([]string{"trend", "--maxmemory", "node-9999=4gb"}, nights...), exitUsage, "names node node-9999"},
		{"bad label", append([]string{"trend", "--metrics-label", "node=x"}, nights...), exitUsage, "already have a node label"},
		{"two clusters", []string{"trend", hist}, exitUsage, "holds clusters a, b: choose one with --cluster-name"},
		{"one night twice", []string{"trend", nights[0], nights[0]}, exitFatal, "the same night given twice"},
		{"missing file", []string{"trend", filepath.Join(dir, "nope.json")}, exitFatal, "no such file"},
		{"empty dir", []string{"trend", dir + "/empty"}, exitFatal, "no such file"},
		{"output over input", []string{"trend", "--json", nights[0], nights[0]}, exitUsage, "refusing to overwrite an input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

// docs/schema-trend.json describes what trend writes, and is not vacuous.
func TestTrendJSONSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"schema.json", "schema-trend.json"} {
		f, err := os.Open(filepath.Join("docs", name))
		require.NoError(t, err)
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		require.NoError(t, err)
		require.NoError(t, c.AddResource("https://github.com/rdbscope/rdbscope/docs/"+name, doc))
	}
	sch, err := c.Compile("https://github.com/rdbscope/rdbscope/docs/schema-trend.json")
	require.NoError(t, err)
	js := filepath.Join(t.TempDir(), "t.json")
	code, _, stderr := runCLI(t, append([]string{"trend", "-q", "--maxmemory", "24mb", "--json", js}, incidentNights()...)...)
	require.Equal(t, exitOK, code, stderr)
	f, err := os.Open(js)
	require.NoError(t, err)
	defer f.Close()
	inst, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	assert.NoError(t, sch.Validate(inst))
	bad, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"kind": "rdbscope-trend", "schema_version": 1, "tool": {"name": "rdbscope", "version": "x", "model_version": "m", "generated_at": "2026-01-01T00:00:00Z"},
		"cluster": "c", "method": "theil-sen", "horizon_days": 14, "now": 1, "nights": [{"time": 1, "date": "2026-01-01", "nodes": 1, "complete": true}],
		"nodes": [{"name": "n", "missing": false, "points": [], "used": 1, "maxmemory": 0, "fill": 0, "growth_per_day": "fast", "days_to_full": null, "families": []}],
		"findings": [], "warnings": []}`))
	require.NoError(t, err)
	assert.Error(t, sch.Validate(bad))
}

// The trend's metrics parse, with the label given on every sample.
func TestTrendMetrics(t *testing.T) {
	prom := filepath.Join(t.TempDir(), "t.prom")
	code, _, stderr := runCLI(t, append([]string{"trend", "-q", "--maxmemory", "24mb", "--metrics", prom,
		"--metrics-label", "cluster=incident", "--metrics-label", "env=prod"}, incidentNights()...)...)
	require.Equal(t, exitOK, code, stderr)
	fams := parseMetricsFile(t, prom)
	days := fams["rdbscope_trend_days_to_full"]
	require.NotNil(t, days)
	found := false
	for _, m := range days.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		assert.Equal(t, "incident", labels["cluster"])
		assert.Equal(t, "prod", labels["env"])
		if labels["node"] == "node-7202" {
			found = true
			assert.InDelta(t, 4.2, m.GetGauge().GetValue(), 0.1)
		}
	}
	assert.True(t, found)
	assert.NotNil(t, fams["rdbscope_trend_family_growth_bytes_per_day"])
}
