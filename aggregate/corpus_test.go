package aggregate_test

import (
	"os"
	"path/filepath"
	"strings"
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

// TestCorpusParallelTables: the profile of every corpus dump's truth is
// the same fed serially and in groups of tables, with batches small
// enough for the corpus's small nodes to go through many.
func TestCorpusParallelTables(t *testing.T) {
	bases, err := filepath.Glob("../../shared/corpus/generated/*/*.keys.jsonl*")
	require.NoError(t, err)
	if len(bases) == 0 {
		t.Skip("corpus not available")
	}
	for _, path := range bases {
		base := strings.TrimSuffix(strings.TrimSuffix(path, ".gz"), ".keys.jsonl")
		t.Run(filepath.Base(filepath.Dir(base))+"/"+filepath.Base(base), func(t *testing.T) {
			truth, ok := testutil.TruthKeys(t, base)
			require.True(t, ok)
			keys := make([]aggregate.Key, len(truth))
			for i, tk := range truth {
				keys[i] = aggregate.Key{DB: tk.DB, Key: tk.Key, Type: tk.Type, Encoding: tk.Encoding, Memory: tk.MemoryUsage, Elements: tk.Elements}
				if tk.PExpireTime > 0 {
					keys[i].ExpiresAt = tk.PExpireTime
				}
			}
			profile := func(opts aggregate.Options, batch int) *aggregate.Node {
				b := aggregate.NewBuilderBatch("n", opts, batch)
				for i := range keys {
					b.Add(&keys[i])
				}
				return b.Node()
			}
			for _, opts := range []aggregate.Options{{Now: 1_700_000_000}, {Now: 1_700_000_000, GroupCapacity: 10, TopN: 5}} {
				opts.Workers = 1
				want := profile(opts, 0)
				for _, c := range []struct{ workers, batch int }{{2, 64}, {3, 1000}, {9, 7}} {
					opts.Workers = c.workers
					assert.Equal(t, want, profile(opts, c.batch), "capacity %d, workers %d, batch %d", opts.GroupCapacity, c.workers, c.batch)
				}
			}
		})
	}
}
