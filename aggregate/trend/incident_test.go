package trend

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/history"
	"github.com/rdbscope/rdbscope/internal/testutil"
)

// incidentNights reads the five nightly incident reports of
// testdata/incident-nights (see its README: the logging hash grows about
// 2.4 MB a night on node-7202), in the order of their file names, which
// is not the nights'.
func incidentNights(t *testing.T, cfg *aggregate.Config) []*history.Snapshot {
	dir := "../../testdata/incident-nights"
	var out []*history.Snapshot
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		path := filepath.Join(dir, name+".json")
		r := testutil.Report(t, path)
		s, err := history.FromReport("incident", r, history.Options{Config: cfg})
		require.NoError(t, err)
		s.Source = path
		out = append(out, s)
	}
	return out
}

// incidentClusterNodes is CLUSTER NODES of the incident cluster.
func incidentClusterNodes(t *testing.T) []aggregate.ClusterNode {
	cf, err := os.Open("../../testdata/incident-nights/cluster-nodes.txt")
	require.NoError(t, err)
	defer cf.Close()
	cn, err := aggregate.ParseClusterNodes(cf)
	require.NoError(t, err)
	return cn
}

// TestIncidentForecast: five nights of the incident, nodes of 24 MiB
// maxmemory. The forecast names node-7202 as filling within the horizon
// (critical), the logging hash as what drives it, and as a runaway
// family; the two other nodes do not fill.
func TestIncidentForecast(t *testing.T) {
	cn := incidentClusterNodes(t)
	cfg := &aggregate.Config{Maxmemory: 24 << 20, Cluster: cn}
	snaps := incidentNights(t, cfg)

	tr, err := Forecast(snaps, aggregate.Tool{Name: "rdbscope"}, DefaultOptions())
	require.NoError(t, err)
	for _, n := range tr.Nodes {
		t.Logf("%s used %d growth %v days %v families %d", n.Name, n.Used, value(n.GrowthPerDay), n.DaysToFull, len(n.Families))
	}
	for _, f := range tr.Findings {
		t.Logf("%s %s %s %s: %s", f.Severity, f.Kind, f.Node, f.Family, f.Title)
	}
	require.Len(t, tr.Nights, 5)
	assert.Equal(t, "2026-11-26", tr.Nights[0].Date)
	assert.Equal(t, "2026-11-30", tr.Nights[4].Date)
	assert.Equal(t, "../../testdata/incident-nights/d.json", tr.Nights[0].Source)
	require.Len(t, tr.Nodes, 3)
	assert.Empty(t, tr.Warnings)

	n := tr.Nodes[0]
	assert.Equal(t, "node-7202", n.Name)
	assert.Equal(t, cn[2].ID, n.Identity)
	require.NotNil(t, n.DaysToFull)
	assert.Less(t, *n.DaysToFull, 14.0)
	// The hash grows about 2.4 MB a night; the node with it.
	assert.InDelta(t, 2.4e6, *n.GrowthPerDay, 0.4e6)
	require.NotEmpty(t, n.Families)
	assert.Equal(t, "applog:checkout:debug", n.Families[0].Name)
	assert.InDelta(t, 2.4e6, *n.Families[0].NoTTLGrowthPerDay, 0.2e6)
	assert.True(t, n.Families[0].GrewEveryNight)
	for _, other := range tr.Nodes[1:] {
		assert.True(t, other.DaysToFull == nil || *other.DaysToFull > 365, "%s does not fill", other.Name)
	}

	require.NotEmpty(t, tr.Findings)
	f := tr.Findings[0]
	assert.Equal(t, KindWillFill, f.Kind)
	assert.Equal(t, aggregate.SeverityCritical, f.Severity)
	assert.Equal(t, "node-7202", f.Node)
	assert.Equal(t, "applog:checkout:debug", f.Family)
	assert.Contains(t, f.Title, "applog:checkout:debug (no TTL) grows")
	var runaway []string
	for _, f := range tr.Findings {
		if f.Kind == KindRunawayFamily {
			runaway = append(runaway, f.Node+" "+f.Family)
		}
	}
	assert.Equal(t, []string{"node-7202 applog:checkout:debug"}, runaway)

	// The same nights written to the history and read back forecast
	// the same.
	dir := t.TempDir()
	for _, s := range snaps {
		_, err := history.Append(dir, s)
		require.NoError(t, err)
	}
	back, err := history.Read(dir, history.Filter{Cluster: "incident"})
	require.NoError(t, err)
	tr2, err := Forecast(back, aggregate.Tool{Name: "rdbscope"}, DefaultOptions())
	require.NoError(t, err)
	for i := range tr2.Nights {
		tr2.Nights[i].Source = tr.Nights[i].Source
	}
	assert.Equal(t, tr, tr2)
}

// The latest night without node-7201: with CLUSTER NODES or the number
// of nodes expected, a critical missing-node finding leads; without
// either, a warning says the node has no record.
func TestIncidentMissingNode(t *testing.T) {
	cn := incidentClusterNodes(t)
	tests := []struct {
		name  string
		cfg   *aggregate.Config
		title string // of the leading finding; "" when none is missing-node
	}{
		{"cluster nodes", &aggregate.Config{Maxmemory: 24 << 20, Cluster: cn}, "no dump of master 127.0.0.1:7201 (slots 5461-10922)"},
		{"expect nodes", &aggregate.Config{Maxmemory: 24 << 20, ExpectNodes: 3}, "1 of 3 expected nodes have no dump"},
		{"neither", &aggregate.Config{Maxmemory: 24 << 20}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snaps := incidentNights(t, tc.cfg)
			// c.json (the third file) is the fifth night.
			last := snaps[2]
			require.Equal(t, "2026-11-30", last.Date())
			kept := last.Nodes[:0]
			for _, n := range last.Nodes {
				if n.Name != "node-7201" {
					kept = append(kept, n)
				}
			}
			last.Nodes = kept
			o := DefaultOptions()
			o.Config = tc.cfg
			tr, err := Forecast(snaps, aggregate.Tool{Name: "rdbscope"}, o)
			require.NoError(t, err)
			assert.Contains(t, tr.Warnings, "node node-7201 has no record on the latest night (2026-11-30): its dump is missing (last seen 2026-11-29)")
			var kinds []string
			for _, f := range tr.Findings {
				kinds = append(kinds, f.Kind)
			}
			if tc.title == "" {
				assert.NotContains(t, kinds, "missing-node")
				return
			}
			f := tr.Findings[0]
			assert.Equal(t, "missing-node", f.Kind)
			assert.Equal(t, aggregate.SeverityCritical, f.Severity)
			assert.Equal(t, tc.title, f.Title)
		})
	}
}
