package diagnose_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/internal/testutil"
)

// clusterNodesText renders the incident's incident.cluster.json in dir as
// CLUSTER NODES output.
func clusterNodesText(t *testing.T, dir string) string {
	var c struct {
		Nodes []struct {
			NodeID string   `json:"node_id"`
			Port   int      `json:"port"`
			Bus    int      `json:"cluster_bus_port"`
			Slots  []string `json:"slots"`
		} `json:"nodes"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "incident.cluster.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &c))
	var b strings.Builder
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "%s 127.0.0.1:%d@%d master - 0 0 1 connected %s\n", n.NodeID, n.Port, n.Bus, strings.Join(n.Slots, " "))
	}
	return b.String()
}

// TestIncidentCorpus judges the incident's nodes, built from the server's
// own MEMORY USAGE figures, with --maxmemory 9mb --maxmemory-policy
// volatile-lru and the cluster's CLUSTER NODES: the ttl-starvation on
// node-7202 leads, and every slot is where the nodes file says.
func TestIncidentCorpus(t *testing.T) {
	for _, v := range []string{"incident-redis-7.0.15", "incident-redis-7.4.1"} {
		t.Run(v, func(t *testing.T) {
			dir := filepath.Join("../../../shared/corpus/generated", v)
			if _, err := os.Stat(dir); err != nil {
				t.Skip("corpus not available:", err)
			}
			var nodes []*aggregate.Node
			for _, name := range []string{"node-7200", "node-7201", "node-7202"} {
				nodes = append(nodes, testutil.TruthNode(t, dir, name))
			}
			r := &aggregate.Report{Nodes: nodes, Cluster: aggregate.Merge("cluster", 0, nodes...)}

			rules := diagnose.DefaultRules()
			require.NoError(t, rules.SetMaxmemory("9mb"))
			require.NoError(t, rules.SetPolicy("volatile-lru"))
			cn, err := aggregate.ParseClusterNodes(strings.NewReader(clusterNodesText(t, dir)))
			require.NoError(t, err)
			rules.Cluster = cn
			fs := diagnose.Diagnose(r, rules)
			require.NotEmpty(t, fs)
			for _, f := range fs {
				t.Logf("%s %s %s %s %s: %s", f.Severity, f.Kind, f.Node, f.Key, f.Family, f.Title)
			}
			first := fs[0]
			assert.Equal(t, aggregate.SeverityCritical, first.Severity)
			assert.Equal(t, diagnose.KindTTLStarvation, first.Kind)
			assert.Equal(t, "node-7202", first.Node)
			assert.Equal(t, aggregate.KeyName("applog:checkout:debug"), first.Key)
			assert.Equal(t, "applog:checkout:debug", first.Family)
			assert.Contains(t, first.Explanation, "new key written with a TTL on this node is evicted almost immediately")
			assert.Contains(t, first.Explanation, "applog:checkout:debug")
			for _, f := range fs {
				if f.Kind == diagnose.KindBigHash || f.Kind == diagnose.KindOverMaxmemory || f.Severity != aggregate.SeverityInfo && f.Kind == diagnose.KindTTLStarvation {
					assert.Equal(t, "node-7202", f.Node, "%s on %s", f.Kind, f.Node)
				}
				assert.NotEqual(t, diagnose.KindMisplacedSlots, f.Kind)
				assert.NotEqual(t, diagnose.KindUnmatchedNode, f.Kind)
			}
			var skew bool
			for _, f := range fs {
				skew = skew || f.Kind == diagnose.KindNodeSkew && f.Node == "node-7202"
			}
			assert.True(t, skew, "node-7202 is skewed")
		})
	}
}

// TestIncidentMembershipCorpus checks node identity on the incident's real
// key sets: a dropped node is a missing-node naming its slots, renamed
// dumps are still told apart by their slots, and a standalone server's
// dump (the tiny preset) mixed in is a foreign-node, with or without
// CLUSTER NODES.
func TestIncidentMembershipCorpus(t *testing.T) {
	dir := "../../../shared/corpus/generated/incident-redis-7.0.15"
	tiny := "../../../shared/corpus/generated/redis-7.0.15"
	for _, d := range []string{dir, tiny} {
		if _, err := os.Stat(d); err != nil {
			t.Skip("corpus not available:", err)
		}
	}
	n0, n1, n2 := testutil.TruthNode(t, dir, "node-7200"), testutil.TruthNode(t, dir, "node-7201"), testutil.TruthNode(t, dir, "node-7202")
	// Not TruthNode: a standalone server's truth records no slots.
	keys, _ := testutil.ReadTruth(t, tiny, "tiny")
	b := aggregate.NewBuilder("tiny", aggregate.DefaultOptions())
	for _, tk := range keys {
		b.Add(&aggregate.Key{DB: tk.DB, Key: tk.Key, Type: tk.Type, Memory: tk.MemoryUsage, Elements: tk.Elements})
	}
	standalone := b.Node()
	cn, err := aggregate.ParseClusterNodes(strings.NewReader(clusterNodesText(t, dir)))
	require.NoError(t, err)
	judge := func(cluster []aggregate.ClusterNode, nodes ...*aggregate.Node) []string {
		rules := diagnose.DefaultRules()
		rules.Cluster = cluster
		var out []string
		for _, f := range diagnose.Diagnose(&aggregate.Report{Nodes: nodes}, rules) {
			switch f.Kind {
			case diagnose.KindMissingNode, diagnose.KindForeignNode, diagnose.KindDuplicateNode, diagnose.KindUnmatchedNode, diagnose.KindMisplacedSlots:
				out = append(out, f.Kind+" "+f.Node+" "+f.Title)
			}
		}
		return out
	}
	assert.Empty(t, judge(cn, n0, n1, n2))
	assert.Equal(t, []string{"missing-node 127.0.0.1:7201 no dump of master 127.0.0.1:7201 (slots 5461-10922)"}, judge(cn, n0, n2))

	renamed := *n2
	renamed.Name = "prod-cache-2026-11-26-0001"
	assert.Empty(t, judge(cn, n0, n1, &renamed))
	l := aggregate.Arrange([]*aggregate.Node{n0, n1, &renamed}, cn)
	assert.Equal(t, "127.0.0.1:7202", l.Member("prod-cache-2026-11-26-0001").Master.Addr)

	want := []string{"foreign-node tiny tiny does not look like a node of this cluster"}
	assert.Equal(t, want, judge(cn, n0, n1, n2, standalone))
	assert.Equal(t, want, judge(nil, n0, standalone, n1, n2))
}
