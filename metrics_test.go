package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// parseMetricsFile reads a metrics file with the Prometheus text parser.
func parseMetricsFile(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	require.NoError(t, err, path)
	return fams
}

// --metrics-label puts its labels on every sample; maxmemory, fill and
// the families have series of their own.
func TestMetricsLabelsAndFill(t *testing.T) {
	dir := t.TempDir()
	prom := filepath.Join(dir, "r.prom")
	code, _, stderr := runCLI(t, "analyze", "-q", "--isolate=false", "--maxmemory", "4mb", "--metrics", prom,
		"--metrics-label", "cluster=prod-cache", "--metrics-label", "env=prod", "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	fams := parseMetricsFile(t, prom)
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			assert.Equal(t, "prod-cache", labels["cluster"], name)
			assert.Equal(t, "prod", labels["env"], name)
		}
	}
	value := func(name, node string) float64 {
		for _, m := range fams[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "node" && l.GetValue() == node {
					return m.GetGauge().GetValue()
				}
			}
		}
		t.Fatalf("no %s for %s", name, node)
		return 0
	}
	assert.Equal(t, float64(4<<20), value("rdbscope_node_maxmemory_bytes", "node-7202"))
	assert.InDelta(t, value("rdbscope_node_used_bytes", "node-7202")/float64(4<<20), value("rdbscope_node_fill_ratio", "node-7202"), 1e-9)
	assert.Greater(t, value("rdbscope_node_fill_ratio", "node-7202"), 1.0, "node-7202 is over its 4 MiB")
	fam := fams["rdbscope_family_no_ttl_memory_bytes"]
	require.NotNil(t, fam)
	found := false
	for _, m := range fam.GetMetric() {
		for _, l := range m.GetLabel() {
			found = found || l.GetName() == "family" && l.GetValue() == "applog:checkout:debug"
		}
	}
	assert.True(t, found, "the logging hash's family has a series")
	per := map[string]int{}
	for _, m := range fams["rdbscope_family_memory_bytes"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "node" {
				per[l.GetValue()]++
			}
		}
	}
	for node, n := range per {
		assert.LessOrEqual(t, n, 5, node)
	}

	// Without maxmemory there is no fill, rather than a made-up one.
	code, _, stderr = runCLI(t, "analyze", "-q", "--isolate=false", "--metrics", prom, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, parseMetricsFile(t, prom)["rdbscope_node_fill_ratio"].GetMetric())

	for _, bad := range []string{"cluster", "1x=y", "__name=y", "node=x", "a=1"} {
		args := []string{"analyze", "-q", "--metrics-label", bad, "testdata/sample"}
		if bad == "a=1" {
			args = []string{"analyze", "-q", "--metrics-label", bad, "--metrics-label", "a=2", "testdata/sample"}
		}
		code, _, stderr := runCLI(t, args...)
		assert.Equal(t, exitUsage, code, bad)
		assert.Contains(t, stderr, "--metrics-label", bad)
	}
}

// The alert rules of docs/metrics.md name metrics and labels that report
// and trend really write; with promtool installed, they also pass its
// checks and the unit test in testdata/metrics.
func TestMetricsAlertRules(t *testing.T) {
	doc, err := os.ReadFile("docs/metrics.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	require.Len(t, blocks, 1, "one rules file")
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(blocks[0][1]))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&rules))
	require.Len(t, rules.Groups, 1)

	dir := t.TempDir()
	reportProm, trendProm := filepath.Join(dir, "r.prom"), filepath.Join(dir, "t.prom")
	code, _, stderr := runCLI(t, "analyze", "-q", "--isolate=false", "--maxmemory", "4mb", "--metrics", reportProm,
		"--metrics-label", "cluster=incident", "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, append([]string{"trend", "-q", "--maxmemory", "24mb", "--metrics", trendProm,
		"--metrics-label", "cluster=incident"}, incidentNights()...)...)
	require.Equal(t, exitOK, code, stderr)
	fams := parseMetricsFile(t, reportProm)
	for k, v := range parseMetricsFile(t, trendProm) {
		fams[k] = v
	}
	metricRE := regexp.MustCompile(`rdbscope_[a-z_]+`)
	labelRE := regexp.MustCompile(`\$labels\.([a-zA-Z_]+)`)
	require.Len(t, rules.Groups[0].Rules, 3)
	for _, r := range rules.Groups[0].Rules {
		assert.NotEmpty(t, r.Alert)
		assert.Contains(t, []string{"warning", "critical"}, r.Labels["severity"], r.Alert)
		assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
		if r.For != "" {
			_, err := time.ParseDuration(r.For)
			assert.NoError(t, err, r.Alert)
		}
		names := metricRE.FindAllString(r.Expr, -1)
		require.NotEmpty(t, names, r.Alert)
		for _, name := range names {
			mf := fams[name]
			require.NotNil(t, mf, "%s: no metric %s", r.Alert, name)
			require.NotEmpty(t, mf.GetMetric(), "%s: %s has no sample", r.Alert, name)
			have := map[string]bool{}
			for _, l := range mf.GetMetric()[0].GetLabel() {
				have[l.GetName()] = true
			}
			for _, text := range r.Annotations {
				for _, m := range labelRE.FindAllStringSubmatch(text, -1) {
					assert.True(t, have[m[1]], "%s: %s has no label %s", r.Alert, name, m[1])
				}
			}
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("no promtool: the rules' PromQL is not checked (apt-get install prometheus)")
	}
	rulesFile := filepath.Join(dir, "rules.yml")
	require.NoError(t, os.WriteFile(rulesFile, []byte(blocks[0][1]), 0o644))
	out, err := exec.Command(promtool, "check", "rules", rulesFile).CombinedOutput()
	require.NoError(t, err, "%s", out)
	unit, err := os.ReadFile("testdata/metrics/alert-rules_test.yml")
	require.NoError(t, err)
	unitFile := filepath.Join(dir, "rules_test.yml")
	require.NoError(t, os.WriteFile(unitFile, unit, 0o644))
	out, err = exec.Command(promtool, "test", "rules", unitFile).CombinedOutput()
	require.NoError(t, err, "%s", out)
}
