package aggregate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusDir is the shared corpus, seen from this package's directory.
const corpusDir = "../../shared/corpus/generated"

type truthKey struct {
	DB          int    `json:"db"`
	Key         string `json:"key"`
	Type        string `json:"type"`
	Encoding    string `json:"encoding"`
	MemoryUsage int64  `json:"memory_usage"`
	PExpireTime int64  `json:"pexpiretime"`
	Elements    int64  `json:"elements"`
	Slot        int    `json:"slot"`
}

// truthNode builds a node profile straight from mkdump's truth files: the
// MEMORY USAGE of every key and the server's used_memory, so that the
// rules are tested on the incident's real figures whatever the state of
// the parser and the memory model.
func truthNode(t *testing.T, dir, name string) *Node {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name+".keys.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var sum struct {
		SavedAtMs  int64 `json:"saved_at_ms"`
		InfoMemory struct {
			UsedMemory int64 `json:"used_memory"`
		} `json:"info_memory"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, name+".summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &sum))
	opts := DefaultOptions()
	opts.Now = sum.SavedAtMs / 1000
	b := NewBuilder(name, opts)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var tk truthKey
		require.NoError(t, json.Unmarshal(sc.Bytes(), &tk))
		k := Key{DB: tk.DB, Key: tk.Key, Type: tk.Type, Encoding: tk.Encoding, Memory: tk.MemoryUsage, Elements: tk.Elements}
		if tk.PExpireTime > 0 {
			k.ExpiresAt = tk.PExpireTime
		}
		assert.Equal(t, tk.Slot, Slot(tk.Key), tk.Key)
		b.Add(&k)
	}
	require.NoError(t, sc.Err())
	n := b.Node()
	n.Complete = true
	n.EstimatedUsedMemory = n.Memory
	n.UsedMem = sum.InfoMemory.UsedMemory
	return n
}

// clusterNodesText renders incident.cluster.json as CLUSTER NODES.
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

func TestIncidentCorpus(t *testing.T) {
	for _, v := range []string{"incident-redis-7.0.15", "incident-redis-7.4.1"} {
		t.Run(v, func(t *testing.T) {
			dir := filepath.Join(corpusDir, v)
			if _, err := os.Stat(dir); err != nil {
				t.Skip("corpus not available:", err)
			}
			var nodes []*Node
			for _, name := range []string{"node-7200", "node-7201", "node-7202"} {
				n := truthNode(t, dir, name)
				assertTotals(t, n)
				nodes = append(nodes, n)
			}
			r := &Report{Nodes: nodes, Cluster: Merge("cluster", 0, nodes...)}
			assertTotals(t, r.Cluster)

			rules := DefaultRules()
			require.NoError(t, rules.SetMaxmemory("9mb"))
			require.NoError(t, rules.SetPolicy("volatile-lru"))
			cn, err := ParseClusterNodes(strings.NewReader(clusterNodesText(t, dir)))
			require.NoError(t, err)
			rules.Cluster = cn
			fs := Diagnose(r, rules)
			require.NotEmpty(t, fs)
			for _, f := range fs {
				t.Logf("%s %s %s %s %s: %s", f.Severity, f.Kind, f.Node, f.Key, f.Family, f.Title)
			}
			first := fs[0]
			assert.Equal(t, SeverityCritical, first.Severity)
			assert.Equal(t, KindTTLStarvation, first.Kind)
			assert.Equal(t, "node-7202", first.Node)
			assert.Equal(t, KeyName("applog:checkout:debug"), first.Key)
			assert.Equal(t, "applog:checkout:debug", first.Family)
			assert.Contains(t, first.Explanation, "new key written with a TTL on this node is evicted almost immediately")
			assert.Contains(t, first.Explanation, "applog:checkout:debug")
			for _, f := range fs {
				if f.Kind == KindBigHash || f.Kind == KindOverMaxmemory || f.Severity != SeverityInfo && f.Kind == KindTTLStarvation {
					assert.Equal(t, "node-7202", f.Node, "%s on %s", f.Kind, f.Node)
				}
				assert.NotEqual(t, KindMisplacedSlots, f.Kind)
				assert.NotEqual(t, KindUnmatchedNode, f.Kind)
			}
			assert.NotNil(t, find(fs, KindNodeSkew, "node-7202"))

			// Families are the ones a human names.
			fam := nodes[2].Families
			require.NotEmpty(t, fam.Entries)
			assert.Equal(t, KeyName("applog:checkout:debug"), fam.Entries[0].Name)
			for _, want := range []string{"user:{*}:reminded", "session:{*}", "cache:{*}:etag", "rank:daily:*", "counter:signups:*", "post:{*}:likers"} {
				assert.NotNil(t, r.Cluster.Families.Find(want), want)
			}
		})
	}
}
