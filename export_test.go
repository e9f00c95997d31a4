package main

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/testutil"
	"github.com/rdbscope/rdbscope/render"
)

// csvForm is how the CSV export writes a raw key: escaped, with one
// leading ' before anything a spreadsheet would evaluate.
func csvForm(raw []byte) string {
	s := aggregate.EscapeKey(string(raw))
	if s != "" && strings.ContainsRune("=+-@'\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func readParquetKeys(t *testing.T, path string) []render.ParquetKey {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := parquet.NewGenericReader[render.ParquetKey](f)
	defer r.Close()
	var rows []render.ParquetKey
	buf := make([]render.ParquetKey, 100)
	for {
		n, err := r.Read(buf)
		for _, row := range buf[:n] {
			row.Key = append([]byte(nil), row.Key...)
			rows = append(rows, row)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}
	return rows
}

// The Parquet export holds exactly the rows of the CSV export, with the
// raw key bytes instead of their escaped form.
func TestParquetKeysMatchCSV(t *testing.T) {
	dir := t.TempDir()
	inputs := []string{"testdata/sample"}
	// Binary and formula-like key names, from a real server when there is one.
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		r := testutil.StartRedis(t, "")
		r.Pipe(t, [][]string{
			{"SET", "=HYPERLINK(\"x\")", "1"}, {"SET", "bin\x00\xff\xfe", "2", "EX", "3600"},
			{"SET", "back\\slash", "3"}, {"HSET", "-neg", "f", "v"}, {"SET", "ünïcode", "4"},
		})
		saveTo(t, r, filepath.Join(dir, "odd", "odd.rdb"))
		inputs = append(inputs, filepath.Join(dir, "odd"))
	}
	csvPath, pqPath := filepath.Join(dir, "k.csv"), filepath.Join(dir, "k.parquet")
	for _, out := range []string{csvPath, pqPath} {
		args := append([]string{"analyze", "-q", "-j", "1", "--keys", out}, inputs...)
		code, _, stderr := runCLI(t, args...)
		require.Equal(t, exitOK, code, stderr)
	}
	f, err := os.Open(csvPath)
	require.NoError(t, err)
	defer f.Close()
	want, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, render.KeysHeader, want[0])
	want = want[1:]

	rows := readParquetKeys(t, pqPath)
	require.Len(t, rows, len(want))
	got := make([][]string, len(rows))
	for i, r := range rows {
		exp := ""
		if r.ExpiresAt != nil {
			exp = strconv.FormatInt(*r.ExpiresAt, 10)
		}
		got[i] = []string{r.Node, strconv.FormatInt(r.DB, 10), csvForm(r.Key), r.Type, r.Encoding,
			strconv.FormatInt(r.Memory, 10), strconv.FormatInt(r.RDBBytes, 10), strconv.FormatInt(r.Elements, 10), exp,
			strconv.FormatInt(r.Allocated, 10), csvForm(r.Family), strconv.Itoa(int(r.Slot))}
	}
	assert.Equal(t, want, got)
	if len(inputs) > 1 {
		raw := map[string]bool{}
		for _, r := range rows {
			raw[string(r.Key)] = true
		}
		assert.True(t, raw["bin\x00\xff\xfe"], "raw bytes survive")
		assert.True(t, raw["=HYPERLINK(\"x\")"], "no formula guard in Parquet")
	}

	// zstd, the documented column types, and a nullable expires_at.
	pf, err := os.Open(pqPath)
	require.NoError(t, err)
	defer pf.Close()
	st, err := pf.Stat()
	require.NoError(t, err)
	file, err := parquet.OpenFile(pf, st.Size())
	require.NoError(t, err)
	for _, rg := range file.Metadata().RowGroups {
		for _, c := range rg.Columns {
			assert.Equal(t, format.Zstd, c.MetaData.Codec, c.MetaData.PathInSchema)
		}
	}
	schema := file.Schema()
	var names []string
	for _, fld := range schema.Fields() {
		names = append(names, fld.Name())
	}
	assert.Equal(t, render.KeysHeader, names)
	exp, _ := schema.Lookup("expires_at")
	assert.True(t, exp.Node.Optional())
	assert.Contains(t, exp.Node.Type().LogicalType().String(), "TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS")
	key, _ := schema.Lookup("key")
	assert.Equal(t, parquet.ByteArray, key.Node.Type().Kind())
	if lt := key.Node.Type().LogicalType(); lt != nil {
		assert.Nil(t, lt.Value, "raw bytes, not a UTF-8 string")
	}
}

func TestKeysFormatByExtension(t *testing.T) {
	tests := []struct{ name, want, err string }{
		{"k.csv", "csv", ""}, {"k.jsonl", "jsonl", ""}, {"k.PARQUET", "parquet", ""},
		{"k.txt", "", "want .csv, .jsonl or .parquet"},
	}
	for _, tc := range tests {
		got, err := keysFormat(tc.name)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err)
			continue
		}
		assert.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}

// The metrics file parses with the Prometheus text parser and carries the
// figures of the report.
func TestMetricsParse(t *testing.T) {
	dir := t.TempDir()
	prom, js := filepath.Join(dir, "rdbscope.prom"), filepath.Join(dir, "r.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru",
		"--metrics", prom, "--json", js, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	st, err := os.Stat(prom)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "readable by node_exporter")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary file left behind")

	f, err := os.Open(prom)
	require.NoError(t, err)
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	require.NoError(t, err)

	rep, err := readProfile(js, nil)
	require.NoError(t, err)
	value := func(name string, labels map[string]string) (float64, bool) {
		mf := fams[name]
		if mf == nil {
			return 0, false
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return m.GetGauge().GetValue(), true
		}
		return 0, false
	}
	for _, n := range rep.Nodes {
		tests := []struct {
			name   string
			labels map[string]string
			want   int64
		}{
			{"rdbscope_node_keys", nil, n.Keys},
			{"rdbscope_node_key_memory_bytes", nil, n.Memory},
			{"rdbscope_node_estimated_used_memory_bytes", nil, n.EstimatedUsedMemory},
			{"rdbscope_node_used_memory_bytes", nil, n.UsedMem},
			{"rdbscope_node_ttl_memory_bytes", map[string]string{"ttl": "without"}, n.TTL.Without.Memory},
			{"rdbscope_node_ttl_keys", map[string]string{"ttl": "with"}, n.TTL.With.Keys},
			{"rdbscope_node_type_memory_bytes", map[string]string{"type": "hash"}, n.ByType["hash"].Memory},
			{"rdbscope_node_complete", nil, 1},
		}
		for _, tc := range tests {
			labels := map[string]string{"node": n.Name}
			for k, v := range tc.labels {
				labels[k] = v
			}
			got, ok := value(tc.name, labels)
			require.True(t, ok, "%s %v", tc.name, labels)
			assert.Equal(t, float64(tc.want), got, "%s %v", tc.name, labels)
		}
	}
	crit, ok := value("rdbscope_findings", map[string]string{"node": "node-7202", "severity": "critical"})
	require.True(t, ok)
	assert.Equal(t, 2.0, crit, "ttl-starvation and big-hash")
	none, ok := value("rdbscope_findings", map[string]string{"node": "node-7201", "severity": "critical"})
	require.True(t, ok, "zeros are written so alerts can compare")
	assert.Zero(t, none)
	kind, ok := value("rdbscope_findings_by_kind", map[string]string{"node": "node-7202", "kind": "ttl-starvation"})
	require.True(t, ok)
	assert.Equal(t, 1.0, kind)
}

// Node names come from file names and may hold any byte; the metrics file
// must still parse.
func TestMetricsHostileNodeName(t *testing.T) {
	r := &aggregate.Report{SchemaVersion: 1, Tool: aggregate.Tool{GeneratedAt: "2026-11-27T00:00:00Z"},
		Nodes:    []*aggregate.Node{{Name: "a\"b\\c\nd\xff", ByType: map[string]*aggregate.Stat{"hash": {Keys: 1}}}},
		Findings: []aggregate.Finding{{Kind: "big-key", Severity: aggregate.SeverityWarning, Node: "a\"b\\c\nd\xff"}}}
	var b strings.Builder
	require.NoError(t, render.Metrics(&b, r, render.MetricsOptions{}))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(b.String()))
	require.NoError(t, err, b.String())
	got := fams["rdbscope_node_keys"].GetMetric()[0].GetLabel()[0].GetValue()
	assert.Equal(t, aggregate.EscapeKey("a\"b\\c\nd\xff"), got)
}
