package diff

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/testutil"
)

// night reads one of the incident's nightly reports (testdata/incident-nights)
// and names its dumps as a backup job with dated file names would.
func night(t *testing.T, file, date string) *aggregate.Report {
	r := testutil.Report(t, filepath.Join("../../testdata/incident-nights", file))
	// The listing order of the backups decides the numbers: the same node
	// gets another one each night.
	order := map[string][]string{"2026-11-26": {"0001", "0002", "0003"}, "2026-11-27": {"0003", "0001", "0002"}}[date]
	for i, n := range r.Nodes {
		n.Name = "prod-cache-" + date + "-" + order[i]
	}
	return r
}

// TestCompareDatedNames: with dated dump names nothing pairs by name, yet
// the diff stays node by node, and the hash's growth is found on the node
// that holds it, under tonight's name.
func TestCompareDatedNames(t *testing.T) {
	old, cur := night(t, "d.json", "2026-11-26"), night(t, "b.json", "2026-11-27")
	d := Compare(old, cur, aggregate.Tool{}, DefaultOptions())
	assert.Equal(t, ModeNodes, d.Mode)
	assert.Empty(t, d.Warnings)
	require.Len(t, d.Scopes, 4)
	var hash *Scope
	for i := range d.Scopes {
		s := &d.Scopes[i]
		if !s.All {
			assert.NotEqual(t, s.Name, s.OldName)
			assert.NotEmpty(t, s.OldName)
		}
		if s.Name == "prod-cache-2026-11-27-0002" {
			hash = s
		}
	}
	require.NotNil(t, hash, "node-7202 is the third dump, 0002 on the second night")
	assert.Equal(t, "prod-cache-2026-11-26-0003", hash.OldName)
	require.NotEmpty(t, hash.Families)
	assert.Equal(t, aggregate.KeyName("applog:checkout:debug"), hash.Families[0].Name)
	assert.Greater(t, hash.Memory.Delta, int64(2_000_000))
	var grown []string
	for _, f := range d.Findings {
		if f.Kind == KindGrowth {
			grown = append(grown, f.Node+" "+f.Family)
		}
	}
	assert.Contains(t, grown, "prod-cache-2026-11-27-0002 applog:checkout:debug", "the node's growth names the hash")

	// A node missing tonight: merged, with a warning naming it.
	cur.Nodes = cur.Nodes[:2]
	d = Compare(old, cur, aggregate.Tool{}, DefaultOptions())
	assert.Equal(t, ModeMerged, d.Mode)
	assert.Equal(t, []string{"node prod-cache-2026-11-26-0003 of OLD has no counterpart in NEW"}, d.Warnings)
}
