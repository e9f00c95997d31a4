package diagnose

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

const (
	kb = 1 << 10
	mb = 1 << 20
	gb = 1 << 30
)

// nodesFile is CLUSTER NODES of three masters; node-7202 serves
// 10923-16383.
const nodesFile = `86123ecda298a945bf1f0b1bc0e53152cafd49fd 127.0.0.1:7200@17200 master - 0 1700000000000 1 connected 0-5460
eb588596fc3b91523f887df100d0581bb8f570ad 127.0.0.1:7201@17201 master - 0 1700000000000 2 connected 5461-10922
e5ac6c1a63014d777a43ba455b42d326aece4423 127.0.0.1:7202@17202 myself,master - 0 0 3 connected 10923-16383
`

func mkNode(name string, usedMem int64, keys ...aggregate.Key) *aggregate.Node {
	opts := aggregate.DefaultOptions()
	opts.Now = 1_800_000_000
	b := aggregate.NewBuilder(name, opts)
	for i := range keys {
		b.Add(&keys[i])
	}
	n := b.Node()
	n.Complete = true
	n.EstimatedUsedMemory = n.Memory
	n.UsedMem = usedMem
	return n
}

// filler returns count keys of family prefix:<i>:data of size each.
func filler(prefix string, count int, size int64, ttl bool) []aggregate.Key {
	ks := make([]aggregate.Key, count)
	for i := range ks {
		ks[i] = aggregate.Key{Key: prefix + ":" + strconv.Itoa(100000+i) + ":data", Type: "string", Memory: size, Elements: 1}
		if ttl {
			ks[i].ExpiresAt = 1_900_000_000_000
		}
	}
	return ks
}

// inSlots returns count keys of size spread evenly over slots [from, to].
func inSlots(from, to, count int, size int64) []aggregate.Key {
	byslot := map[int]string{}
	for i := 0; len(byslot) < aggregate.NumSlots && i < 1_000_000; i++ {
		k := "k" + strconv.Itoa(i)
		if _, ok := byslot[aggregate.Slot(k)]; !ok {
			byslot[aggregate.Slot(k)] = k
		}
	}
	var ks []aggregate.Key
	for i := range count {
		s := from + i*(to-from)/max(count-1, 1)
		ks = append(ks, aggregate.Key{Key: byslot[s], Type: "string", Memory: size, Elements: 1})
	}
	return ks
}

func report(nodes ...*aggregate.Node) *aggregate.Report {
	r := &aggregate.Report{Nodes: nodes}
	if len(nodes) > 1 {
		r.Cluster = aggregate.Merge("cluster", 0, nodes...)
	}
	return r
}

func kinds(fs []aggregate.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Kind+"/"+f.Severity.String()+"/"+f.Node)
	}
	return out
}

func find(fs []aggregate.Finding, kind, node string) *aggregate.Finding {
	for i := range fs {
		if fs[i].Kind == kind && fs[i].Node == node {
			return &fs[i]
		}
	}
	return nil
}

// fig returns the figure called name of f, which must have it.
func fig(t *testing.T, f aggregate.Finding, name string) float64 {
	t.Helper()
	v, ok := f.Figures.Get(name)
	require.True(t, ok, "figure %s of %s", name, f.Kind)
	return v.Value
}

func TestDiagnoseRules(t *testing.T) {
	balanced := func(name string) *aggregate.Node {
		return mkNode(name, 0, filler("user", 100, 10*mb, true)...)
	}
	tests := []struct {
		name   string
		report func() *aggregate.Report
		rules  func(r *Rules)
		check  func(t *testing.T, fs []aggregate.Finding)
	}{{
		name: "big-hash",
		report: func() *aggregate.Report {
			ks := append(filler("user", 70, 10*mb, true), aggregate.Key{Key: "applog:checkout:debug", Type: "hash", Memory: 300 * mb, Elements: 30000})
			return report(mkNode("a", 0, ks...), balanced("b"), balanced("c"))
		},
		check: func(t *testing.T, fs []aggregate.Finding) {
			f := find(fs, KindBigHash, "a")
			require.NotNil(t, f, kinds(fs))
			assert.Equal(t, aggregate.SeverityWarning, f.Severity)
			assert.Equal(t, aggregate.KeyName("applog:checkout:debug"), f.Key)
			assert.Equal(t, "applog:checkout:debug", f.Family)
			assert.InDelta(t, 0.3, fig(t, *f, "share"), 0.001)
			assert.Contains(t, f.Explanation, "30000 fields")
			assert.Nil(t, find(fs, KindBigKey, "a"), "a big hash is not also a big key")
			assert.Nil(t, find(fs, KindBigHash, "b"))
		},
	}, {
		name: "big-key zset by share, list by elements",
		report: func() *aggregate.Report {
			ks := append(filler("user", 60, 10*mb, true),
				aggregate.Key{Key: "rank:alltime", Type: "zset", Memory: 400 * mb, Elements: 50000},
				aggregate.Key{Key: "queue:mail", Type: "list", Memory: 8 * mb, Elements: 2_000_000, ExpiresAt: 1})
			return report(mkNode("a", 0, ks...))
		},
		check: func(t *testing.T, fs []aggregate.Finding) {
			var got []string
			for _, f := range fs {
				if f.Kind == KindBigKey {
					got = append(got, string(f.Key))
				}
			}
			assert.Equal(t, []string{"rank:alltime", "queue:mail"}, got)
			z := fs[0]
			assert.Equal(t, KindBigKey, z.Kind)
			assert.Contains(t, z.Explanation, "ZRANGE")
			assert.Equal(t, aggregate.SeverityWarning, z.Severity)
			l := find(fs, KindBigKey, "a")
			require.NotNil(t, l)
			for _, f := range fs {
				if f.Key == "queue:mail" {
					assert.Contains(t, f.Explanation, "2000000 elements (threshold 100000)")
					assert.Contains(t, f.Explanation, "LRANGE")
				}
			}
		},
	}, {
		name: "big-key bytes on a small-share string, nothing on small nodes",
		report: func() *aggregate.Report {
			ks := append(filler("user", 100, 10*mb, true), aggregate.Key{Key: "blob:1", Type: "string", Memory: 20 * mb})
			small := mkNode("small", 0, aggregate.Key{Key: "h", Type: "hash", Memory: 60 * kb}, aggregate.Key{Key: "x", Type: "string", Memory: 1 * kb})
			return report(mkNode("a", 0, ks...), small)
		},
		rules: func(r *Rules) { r.SkewRatio = 0 },
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1, kinds(fs))
			assert.Equal(t, KindBigKey, fs[0].Kind)
			assert.Equal(t, aggregate.KeyName("blob:1"), fs[0].Key)
		},
	}, {
		name: "over-maxmemory noeviction",
		report: func() *aggregate.Report {
			return report(mkNode("a", 1100*mb, filler("user", 100, 10*mb, false)...))
		},
		rules: func(r *Rules) { r.Maxmemory = 1 * gb; r.Policy = "noeviction" },
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.NotEmpty(t, fs)
			f := fs[0]
			assert.Equal(t, KindOverMaxmemory, f.Kind)
			assert.Equal(t, aggregate.SeverityCritical, f.Severity)
			assert.Contains(t, f.Explanation, "OOM command not allowed")
			assert.InDelta(t, 1100.0/1024, fig(t, f, "fill"), 0.001)
			assert.Equal(t, int64(1100*mb), f.Memory)
		},
	}, {
		name: "over-maxmemory per node, allkeys-lru, near",
		report: func() *aggregate.Report {
			return report(mkNode("a", 950*mb, filler("user", 90, 10*mb, false)...), mkNode("b", 950*mb, filler("user", 90, 10*mb, false)...))
		},
		rules: func(r *Rules) {
			require.NoError(t, r.SetMaxmemory("4gb"))
			require.NoError(t, r.SetMaxmemory("b=1gb"))
			r.Policy = "allkeys-lru"
		},
		check: func(t *testing.T, fs []aggregate.Finding) {
			assert.Nil(t, find(fs, KindOverMaxmemory, "a"))
			f := find(fs, KindOverMaxmemory, "b")
			require.NotNil(t, f, kinds(fs))
			assert.Equal(t, aggregate.SeverityWarning, f.Severity)
			assert.Contains(t, f.Explanation, "evicts keys of any kind")
			assert.Nil(t, find(fs, KindTTLStarvation, "b"))
		},
	}, {
		name: "ttl-starvation at maxmemory under volatile-lru",
		report: func() *aggregate.Report {
			ks := append(filler("session", 50, 2*mb, true), aggregate.Key{Key: "applog:checkout:debug", Type: "hash", Memory: 900 * mb, Elements: 3_000_000})
			other := func(name string) *aggregate.Node { return mkNode(name, 300*mb, filler("user", 100, 2*mb, true)...) }
			return report(mkNode("node-7202", 1010*mb, ks...), other("node-7200"), other("node-7201"))
		},
		rules: func(r *Rules) { r.Maxmemory = 1 * gb; r.Policy = "volatile-lru" },
		check: func(t *testing.T, fs []aggregate.Finding) {
			f := fs[0]
			assert.Equal(t, KindTTLStarvation, f.Kind)
			assert.Equal(t, aggregate.SeverityCritical, f.Severity)
			assert.Equal(t, "node-7202", f.Node)
			assert.Equal(t, aggregate.KeyName("applog:checkout:debug"), f.Key)
			assert.Contains(t, f.Explanation, "evicted almost immediately")
			assert.Contains(t, f.Explanation, "applog:checkout:debug")
			assert.Nil(t, find(fs, KindOverMaxmemory, "node-7202"), "starvation subsumes over-maxmemory")
			assert.NotNil(t, find(fs, KindBigHash, "node-7202"))
			assert.NotNil(t, find(fs, KindNodeSkew, "node-7202"))
			assert.Nil(t, find(fs, KindTTLStarvation, "node-7200"))
		},
	}, {
		name: "ttl-starvation with no single big key names the family",
		report: func() *aggregate.Report {
			ks := append(filler("session", 10, 1*mb, true), filler("profile", 1000, 1*mb, false)...)
			return report(mkNode("a", 0, ks...))
		},
		rules: func(r *Rules) { r.Maxmemory = 1 * gb; r.Policy = "volatile-ttl" },
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.NotEmpty(t, fs)
			f := fs[0]
			assert.Equal(t, KindTTLStarvation, f.Kind, kinds(fs))
			assert.Equal(t, aggregate.SeverityCritical, f.Severity)
			assert.Equal(t, "profile:*:data", f.Family)
			assert.Contains(t, f.Explanation, "no single key dominates")
			assert.Nil(t, find(fs, KindBigKey, "a"))
		},
	}, {
		name: "volatile policy, not full: info only",
		report: func() *aggregate.Report {
			return report(mkNode("a", 0, filler("profile", 100, 1*mb, false)...))
		},
		rules: func(r *Rules) { r.Maxmemory = 1 * gb; r.Policy = "volatile-lru" },
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1)
			assert.Equal(t, KindTTLStarvation, fs[0].Kind)
			assert.Equal(t, aggregate.SeverityInfo, fs[0].Severity)
		},
	}, {
		name: "missing-ttl",
		report: func() *aggregate.Report {
			ks := append(filler("session", 90, 10*kb, true), filler("session", 10, 200*kb, false)...)
			for i := 90; i < 100; i++ {
				ks[i].Key = "session:" + strconv.Itoa(200000+i) + ":data"
			}
			ks = append(ks, filler("user", 100, 10*mb, false)...) // all without TTL: fine
			return report(mkNode("a", 0, ks...))
		},
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1, kinds(fs))
			f := fs[0]
			assert.Equal(t, KindMissingTTL, f.Kind)
			assert.Equal(t, "session:*:data", f.Family)
			assert.Equal(t, aggregate.SeverityWarning, f.Severity)
			assert.Equal(t, int64(2000*kb), f.Memory)
			assert.Equal(t, 10.0, fig(t, f, "keys_without_ttl"))
			assert.NotEmpty(t, f.Key)
		},
	}, {
		name: "missing-ttl: one big key of a TTL family, across the cluster",
		report: func() *aggregate.Report {
			a := append(filler("cache", 20, 1*kb, true), aggregate.Key{Key: "cache:123456:data", Type: "string", Memory: 5 * mb})
			return report(mkNode("a", 0, a...), mkNode("b", 0, filler("cache", 20, 1*kb, true)...))
		},
		rules: func(r *Rules) { r.SkewRatio = 0 },
		check: func(t *testing.T, fs []aggregate.Finding) {
			assert.Equal(t, []string{"big-key/critical/a", "missing-ttl/warning/cluster"}, kinds(fs))
			f := find(fs, KindMissingTTL, "cluster")
			require.NotNil(t, f)
			assert.Equal(t, aggregate.KeyName("cache:123456:data"), f.Key)
		},
	}, {
		name: "node-skew from a hot hashtag",
		report: func() *aggregate.Report {
			var hot []aggregate.Key
			for i := range 200 {
				hot = append(hot, aggregate.Key{Key: "{tenant:42}:doc:" + strconv.Itoa(i), Type: "hash", Memory: 5 * mb, ExpiresAt: 1})
			}
			a := mkNode("a", 0, append(filler("user", 100, 10*mb, true), hot...)...)
			return report(a, balanced("b"), balanced("c"), balanced("d"))
		},
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1, kinds(fs))
			f := fs[0]
			assert.Equal(t, KindNodeSkew, f.Kind)
			assert.Equal(t, "a", f.Node)
			assert.InDelta(t, 2.0, fig(t, f, "ratio"), 0.001)
			assert.Equal(t, "{tenant:42}", f.Family)
			assert.Contains(t, f.Explanation, "hash tag {tenant:42} pins 200 keys")
			assert.Contains(t, f.Explanation, "slot "+strconv.Itoa(aggregate.Slot("{tenant:42}")))
		},
	}, {
		name: "misplaced slots",
		report: func() *aggregate.Report {
			return report(mkNode("node-7202", 0, aggregate.Key{Key: "foo", Type: "string", Memory: 100}, aggregate.Key{Key: "bar", Type: "string", Memory: 50}),
				mkNode("node-9", 0), mkNode("replica-of-7202", 0, aggregate.Key{Key: "x", Type: "string", Memory: 1}),
				mkNode("node-7200", 0, aggregate.Key{Key: "bar", Type: "string", Memory: 50}),
				mkNode("node-7201", 0, aggregate.Key{Key: "a", Type: "string", Memory: 50}))
		},
		rules: func(r *Rules) {
			ns, err := aggregate.ParseClusterNodes(strings.NewReader(nodesFile))
			require.NoError(t, err)
			r.Cluster = ns
		},
		check: func(t *testing.T, fs []aggregate.Finding) {
			f := find(fs, KindMisplacedSlots, "node-7202")
			require.NotNil(t, f, kinds(fs))
			assert.Equal(t, int64(50), f.Memory) // bar (5061) is not 7202's, foo (12182) is
			assert.Contains(t, f.Explanation, "5061")
			// Without keys, node-9 can only be matched by name.
			assert.NotNil(t, find(fs, KindUnmatchedNode, "node-9"))
			// x (16287) is 7202's: a second dump of it.
			dup := find(fs, KindDuplicateNode, "replica-of-7202")
			require.NotNil(t, dup, kinds(fs))
			assert.Contains(t, dup.Title, "node-7202")
			assert.Nil(t, find(fs, KindMissingNode, ""))
		},
	}, {
		name: "missing-node: a master without dump, and slots no master serves",
		report: func() *aggregate.Report {
			// Both keys of the dated dump are 7202's (12182, 16287):
			// it is node-7202 whatever its name.
			return report(mkNode("prod-2026-11-26-0001", 0, aggregate.Key{Key: "foo", Type: "string", Memory: 100}, aggregate.Key{Key: "x", Type: "string", Memory: 1}),
				mkNode("node-7200", 0, aggregate.Key{Key: "bar", Type: "string", Memory: 50}))
		},
		rules: func(r *Rules) {
			ns, err := aggregate.ParseClusterNodes(strings.NewReader(nodesFile))
			require.NoError(t, err)
			ns[0].Slots = [][2]int{{0, 5100}}
			r.Cluster = ns
		},
		check: func(t *testing.T, fs []aggregate.Finding) {
			assert.Equal(t, []string{"missing-node/critical/", "missing-node/critical/127.0.0.1:7201"}, kinds(fs))
			assert.Equal(t, "360 slots served by no master", fs[0].Title)
			assert.Contains(t, fs[0].Explanation, "5101-5460")
			assert.Contains(t, fs[1].Title, "5461-10922")
			assert.Contains(t, fs[1].Explanation, "eb588596fc3b91523f887df100d0581bb8f570ad")
			assert.Equal(t, 5462.0, fig(t, fs[1], "slots"))
		},
	}, {
		name: "missing-node: fewer nodes than --expect-nodes; an AOF base does not count",
		report: func() *aggregate.Report {
			base := mkNode("appendonly.aof.1.base.rdb", 0, filler("user", 20, 100, false)...)
			base.Source = &aggregate.Source{AOFBase: true}
			return report(mkNode("a", 0, filler("user", 20, 100, false)...), base)
		},
		rules: func(r *Rules) { r.ExpectNodes = 2 },
		check: func(t *testing.T, fs []aggregate.Finding) {
			assert.Equal(t, []string{"missing-node/critical/", "foreign-node/warning/appendonly.aof.1.base.rdb"}, kinds(fs))
			assert.Equal(t, 1.0, fig(t, fs[0], "missing_nodes"))
			assert.Equal(t, "1 of 2 expected nodes have no dump", fs[0].Title)
		},
	}, {
		name: "foreign-node: a standalone dump among cluster dumps is judged but not counted",
		report: func() *aggregate.Report {
			var shards []*aggregate.Node
			for i, r := range [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}} {
				shards = append(shards, mkNode("node-"+strconv.Itoa(i), 0, inSlots(r[0], r[1], 40, 10*kb)...))
			}
			// Four times the median node: node-skew if it were a node.
			standalone := mkNode("standalone", 0, inSlots(0, 16383, 160, 10*kb)...)
			return report(append(shards, standalone)...)
		},
		check: func(t *testing.T, fs []aggregate.Finding) {
			assert.Equal(t, []string{"foreign-node/warning/standalone"}, kinds(fs))
			assert.Contains(t, fs[0].Explanation, "standalone server's dump")
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := DefaultRules()
			if tt.rules != nil {
				tt.rules(&rules)
			}
			r := tt.report()
			fs := Diagnose(r, rules)
			tt.check(t, fs)
			for _, f := range fs {
				assert.NotEmpty(t, f.Title)
				assert.NotEmpty(t, f.Explanation)
				assert.NotEmpty(t, f.Advice)
				assert.NotNil(t, f.Figures)
				for _, fig := range f.Figures {
					assert.NotEqual(t, aggregate.UnitNone, fig.Unit, "%s of %s has a unit", fig.Name, f.Kind)
				}
			}
			assert.Equal(t, fs, Diagnose(r, rules), "deterministic")
		})
	}
}

func TestDiagnoseOrderAndEdges(t *testing.T) {
	fs := []aggregate.Finding{
		{Kind: KindMissingTTL, Severity: aggregate.SeverityWarning, Memory: 5, Node: "a"},
		{Kind: KindBigHash, Severity: aggregate.SeverityCritical, Memory: 10, Node: "a"},
		{Kind: KindTTLStarvation, Severity: aggregate.SeverityCritical, Memory: 10, Node: "a"},
		{Kind: KindNodeSkew, Severity: aggregate.SeverityWarning, Memory: 50, Node: "b"},
		{Kind: KindBigKey, Severity: aggregate.SeverityInfo, Memory: 500, Node: "b"},
	}
	Sort(fs)
	assert.Equal(t, []string{"ttl-starvation/critical/a", "big-hash/critical/a", "node-skew/warning/b",
		"missing-ttl/warning/a", "big-key/info/b"}, kinds(fs))

	assert.Empty(t, Diagnose(nil, DefaultRules()))
	assert.Empty(t, Diagnose(&aggregate.Report{}, DefaultRules()))
	empty := &aggregate.Node{Name: "e"}
	assert.NotPanics(t, func() {
		rules := DefaultRules()
		rules.Maxmemory = 1
		rules.Policy = "volatile-lru"
		rules.Cluster = []aggregate.ClusterNode{{ID: "x", Addr: "h:1", Port: 1}}
		Diagnose(&aggregate.Report{Nodes: []*aggregate.Node{empty, nil, mkNode("z", 0)}, Cluster: aggregate.Merge("c", 0, empty)}, rules)
	})
}
