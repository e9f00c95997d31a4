package aggregate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/testutil"
)

// TestIncidentCorpus profiles the incident's nodes from their truth: the
// tables add up to the totals, merged too, and the families are the ones
// a human names. Package diagnose judges the same nodes.
func TestIncidentCorpus(t *testing.T) {
	for _, v := range []string{"incident-redis-7.0.15", "incident-redis-7.4.1"} {
		t.Run(v, func(t *testing.T) {
			dir := filepath.Join("../../shared/corpus/generated", v)
			if _, err := os.Stat(dir); err != nil {
				t.Skip("corpus not available:", err)
			}
			var nodes []*aggregate.Node
			for _, name := range []string{"node-7200", "node-7201", "node-7202"} {
				n := testutil.TruthNode(t, dir, name)
				aggregate.AssertTotals(t, n)
				nodes = append(nodes, n)
			}
			cluster := aggregate.Merge("cluster", 0, nodes...)
			aggregate.AssertTotals(t, cluster)

			fam := nodes[2].Families
			require.NotEmpty(t, fam.Entries)
			assert.Equal(t, aggregate.KeyName("applog:checkout:debug"), fam.Entries[0].Name)
			for _, want := range []string{"user:{*}:reminded", "session:{*}", "cache:{*}:etag", "rank:daily:*", "counter:signups:*", "post:{*}:likers"} {
				assert.NotNil(t, cluster.Families.Find(want), want)
			}
		})
	}
}
