package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/history"
	"github.com/rdbscope/rdbscope/aggregate/trend"
	"github.com/rdbscope/rdbscope/internal/testutil"
)

// incidentTrend forecasts the five incident nights of
// testdata/incident-nights with a 24 MiB maxmemory.
func incidentTrend(t *testing.T) *trend.Trend {
	t.Helper()
	dir := "../testdata/incident-nights"
	cfg := &aggregate.Config{Maxmemory: 24 << 20}
	var snaps []*history.Snapshot
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		r := testutil.Report(t, filepath.Join(dir, name+".json"))
		s, err := history.FromReport("incident", r, history.Options{Config: cfg})
		require.NoError(t, err)
		s.Source = name + ".json"
		snaps = append(snaps, s)
	}
	o := trend.DefaultOptions()
	o.Config = cfg
	tr, err := trend.Forecast(snaps, aggregate.Tool{Name: "rdbscope", Version: "test", GeneratedAt: "2026-12-01T00:00:00Z"}, o)
	require.NoError(t, err)
	return tr
}

// fleetTrend is a trend of n generated nodes: node i grows i KiB a day
// from 100 MiB, against 1 GiB, and every tenth has a family growing 20
// MiB a day without TTL; node-0007 fills within a week.
func fleetTrend(t *testing.T, n int) *trend.Trend {
	t.Helper()
	var snaps []*history.Snapshot
	const day = 86400
	for night := range 5 {
		s := &history.Snapshot{Cluster: "fleet", Time: 1795658400 + int64(night)*day}
		for i := range n {
			used := int64(100<<20) + int64(night*i)<<10
			fam := history.Family{Name: aggregate.KeyName("session:*"), Keys: 1000, Memory: 50 << 20}
			nd := history.Node{Name: "node-" + pad4(i), Complete: true, Keys: 1000, Memory: used / 2, Used: used,
				Maxmemory: 1 << 30, Families: []history.Family{fam}}
			if i%10 == 0 {
				g := int64(night) * 20 << 20
				nd.Used += g
				nd.Families = append(nd.Families, history.Family{Name: aggregate.KeyName("log:" + pad4(i)), Keys: 1, Memory: g, NoTTLKeys: 1, NoTTLMemory: g})
			}
			if i == 7 {
				nd.Used = 700<<20 + int64(night)*50<<20
			}
			s.Nodes = append(s.Nodes, nd)
		}
		snaps = append(snaps, s)
	}
	tr, err := trend.Forecast(snaps, aggregate.Tool{Name: "rdbscope", Version: "test", GeneratedAt: "2026-12-01T00:00:00Z"}, trend.DefaultOptions())
	require.NoError(t, err)
	return tr
}

func pad4(i int) string {
	s := strconv.Itoa(i)
	return strings.Repeat("0", max(0, 4-len(s))) + s
}

var updateTrend = flag.Bool("update-trend", false, "rewrite render/testdata/trend/*")

func trendGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "trend", name)
	if *updateTrend {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "go test -update-trend writes the golden file")
	assert.Equal(t, string(want), string(got), "golden %s; go test -update-trend if the change is intended", path)
}

func TestTrendTextGolden(t *testing.T) {
	tests := []struct {
		name string
		tr   *trend.Trend
		opts TrendTextOptions
	}{
		{"incident.txt", incidentTrend(t), TrendTextOptions{TopNodes: 10}},
		{"fleet-300.txt", fleetTrend(t, 300), TrendTextOptions{TopNodes: 10}},
		{"fleet-300-critical.txt", fleetTrend(t, 300), TrendTextOptions{TopNodes: 5, MinSeverity: aggregate.SeverityCritical}},
		{"fleet-300-24rows.txt", fleetTrend(t, 300), TrendTextOptions{TopNodes: 10, MaxLines: 24}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, TrendText(&b, tc.tr, tc.opts))
			trendGolden(t, tc.name, b.Bytes())
			if tc.opts.MaxLines > 0 {
				assert.LessOrEqual(t, bytes.Count(b.Bytes(), []byte("\n")), tc.opts.MaxLines, "fits the terminal")
			}
			for _, line := range strings.Split(b.String(), "\n") {
				assert.LessOrEqual(t, cols(line), DefaultWidth, "fits 80 columns: %q", line)
			}
		})
	}
}

func TestTrendJSONGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, TrendJSON(&b, incidentTrend(t)))
	trendGolden(t, "incident.json", b.Bytes())
}

// Names from dumps (file names, keys) reach the trend page only escaped:
// in the markup, in the chart islands, in the title.
func TestTrendHTMLHostileNames(t *testing.T) {
	tr := fleetTrend(t, 12)
	evil := "<script>alert(1)</script>\x1b[31m\xff"
	tr.Nodes[0].Name = evil
	tr.Nodes[0].Families = append(tr.Nodes[0].Families, trend.Family{Name: aggregate.EscapeKey(evil), GrowthPerDay: tr.Nodes[0].GrowthPerDay})
	tr.Findings[0].Node, tr.Findings[0].Title = evil, evil+" will fill"
	tr.Warnings = append(tr.Warnings, evil)
	var b bytes.Buffer
	require.NoError(t, TrendHTML(&b, tr, TrendHTMLOptions{runtime: "/* no charts */"}))
	page := b.String()
	assert.NotContains(t, page, "<script>alert")
	assert.NotContains(t, page, "\x1b")
	assert.NotContains(t, page, "\xff")
	assert.Equal(t, 2+1+10+1, strings.Count(page, "<script"), "the runtime, the static script and one island per chart: nothing else")
	assert.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
}
