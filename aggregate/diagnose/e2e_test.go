package diagnose_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/parse"
)

// TestIncidentEndToEnd runs the real pipeline (parse, memory model,
// builder, merge, rules) over the incident dumps with --maxmemory 9mb
// --maxmemory-policy volatile-lru, as the command line does.
func TestIncidentEndToEnd(t *testing.T) {
	for _, v := range []string{"incident-redis-7.0.15", "incident-redis-7.4.1"} {
		t.Run(v, func(t *testing.T) {
			dir := filepath.Join("../../../shared/corpus/generated", v)
			var paths []string
			for _, n := range []string{"node-7200", "node-7201", "node-7202"} {
				paths = append(paths, filepath.Join(dir, n+".rdb"))
			}
			if _, err := os.Stat(paths[0]); err != nil {
				t.Skip("corpus not available:", err)
			}
			ins, err := parse.Expand(paths, nil)
			require.NoError(t, err)
			require.Len(t, ins, 3)
			var nodes []*aggregate.Node
			for _, in := range ins {
				b := aggregate.NewBuilder(in.Name, aggregate.DefaultOptions())
				var model *memmodel.Model
				src, err := parse.Parse(context.Background(), in, parse.Options{OnSource: func(s *parse.Source) error {
					model, _ = memmodel.ForSource(s, "")
					model = model.WithCluster(true)
					return nil
				}}, func(r *parse.Record) error {
					mem, enc := model.Estimate(r)
					b.Add(&aggregate.Key{DB: r.DB, Key: r.Key, Type: r.Type, Encoding: enc, Memory: mem,
						RDBBytes: r.RDBBytes, Elements: r.Elements, ExpiresAt: r.ExpiresAt})
					return nil
				})
				require.NoError(t, err)
				b.SetSource(&aggregate.Source{CTime: src.CTime, UsedMem: src.UsedMem})
				n := b.Node()
				n.Complete = true
				keys := map[int]int64{}
				for db, s := range n.ByDB {
					keys[db] = s.Keys
				}
				n.Overhead = model.NodeOverhead(keys, map[int]int64{0: n.TTL.With.Keys}, n.Slots.KeyCounts())
				n.EstimatedUsedMemory = n.Memory + n.Overhead
				n.UsedMem = src.UsedMem
				nodes = append(nodes, n)
			}
			r := &aggregate.Report{Nodes: nodes, Cluster: aggregate.Merge("cluster", 0, nodes...)}
			rules := diagnose.DefaultRules()
			require.NoError(t, rules.SetMaxmemory("9mb"))
			require.NoError(t, rules.SetPolicy("volatile-lru"))
			fs := diagnose.Diagnose(r, rules)
			require.NotEmpty(t, fs)
			for _, f := range fs {
				t.Logf("%s %s %s %s: %s", f.Severity, f.Kind, f.Node, f.Key, f.Title)
			}
			first := fs[0]
			assert.Equal(t, aggregate.SeverityCritical, first.Severity)
			assert.Equal(t, diagnose.KindTTLStarvation, first.Kind)
			assert.Equal(t, "node-7202", first.Node)
			assert.Equal(t, aggregate.KeyName("applog:checkout:debug"), first.Key)
			assert.Contains(t, first.Explanation, "evicted almost immediately")
			for _, f := range fs {
				if f.Kind == diagnose.KindBigHash {
					assert.Equal(t, "node-7202", f.Node)
				}
			}
		})
	}
}
