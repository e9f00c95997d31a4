package aggregate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threeMasters is CLUSTER NODES of three masters and a replica of the
// third.
const threeMasters = `86123ecda298a945bf1f0b1bc0e53152cafd49fd 127.0.0.1:7200@17200 master - 0 1700000000000 1 connected 0-5460
eb588596fc3b91523f887df100d0581bb8f570ad 127.0.0.1:7201@17201 master - 0 1700000000000 2 connected 5461-10922
e5ac6c1a63014d777a43ba455b42d326aece4423 127.0.0.1:7202@17202 myself,master - 0 0 3 connected 10923-16383
0f5ac6c1a63014d777a43ba455b42d326aece442 127.0.0.1:7203@17203 slave e5ac6c1a63014d777a43ba455b42d326aece4423 0 0 3 connected
`

// slotNode is a node holding keys per slot in [from, to], one slot in
// every step.
func slotNode(name string, from, to, step int, keys int64) *Node {
	n := &Node{Name: name, Slots: &Slots{}}
	for s := from; s <= to; s += step {
		n.Slots.PerSlot = append(n.Slots.PerSlot, SlotStat{Slot: s, Keys: keys, Memory: keys * 100})
	}
	return n
}

func aofBase(n *Node) *Node {
	n.Source = &Source{AOFBase: true}
	return n
}

type member struct {
	node, port, by, outsider, twin string
}

func members(l *Layout) []member {
	var out []member
	for _, m := range l.Members {
		e := member{node: m.Node, by: m.By, outsider: m.Outsider, twin: m.Twin}
		if m.Master != nil {
			e.port = m.Master.Addr
		}
		out = append(out, e)
	}
	return out
}

func gaps(l *Layout) []string {
	var out []string
	for _, g := range l.Uncovered {
		who := "unserved"
		if g.Master != nil {
			who = g.Master.Addr
		}
		out = append(out, who+" "+strings.Join(g.Ranges(), ","))
	}
	return out
}

func TestArrangeWithClusterNodes(t *testing.T) {
	cluster, err := ParseClusterNodes(strings.NewReader(threeMasters))
	require.NoError(t, err)
	const a, b, c = "127.0.0.1:7200", "127.0.0.1:7201", "127.0.0.1:7202"
	tests := []struct {
		name    string
		nodes   []*Node
		cluster []ClusterNode
		want    []member
		gaps    []string
	}{{
		name:  "every master has its dump",
		nodes: []*Node{slotNode("node-7200", 0, 5460, 7, 1), slotNode("node-7201", 5461, 10922, 7, 1), slotNode("node-7202", 10923, 16383, 7, 1)},
		want:  []member{{node: "node-7200", port: a, by: BySlots}, {node: "node-7201", port: b, by: BySlots}, {node: "node-7202", port: c, by: BySlots}},
	}, {
		name:  "a master without dump leaves its slots uncovered",
		nodes: []*Node{slotNode("node-7200", 0, 5460, 7, 1), slotNode("node-7202", 10923, 16383, 7, 1)},
		want:  []member{{node: "node-7200", port: a, by: BySlots}, {node: "node-7202", port: c, by: BySlots}},
		gaps:  []string{b + " 5461-10922"},
	}, {
		name: "names that say nothing: dated backups are matched by their slots",
		nodes: []*Node{slotNode("prod-cache-2026-11-26-0001", 10923, 16383, 3, 2), slotNode("prod-cache-2026-11-26-0002", 0, 5460, 3, 2),
			slotNode("prod-cache-2026-11-26-0003", 5461, 10922, 3, 2)},
		want: []member{{node: "prod-cache-2026-11-26-0001", port: c, by: BySlots}, {node: "prod-cache-2026-11-26-0002", port: a, by: BySlots},
			{node: "prod-cache-2026-11-26-0003", port: b, by: BySlots}},
	}, {
		name: "a replica's dump beside its master's is a duplicate",
		nodes: []*Node{slotNode("node-7203", 10923, 16383, 5, 1), slotNode("node-7200", 0, 5460, 7, 1),
			slotNode("node-7201", 5461, 10922, 7, 1), slotNode("node-7202", 10923, 16383, 5, 1)},
		want: []member{{node: "node-7203", port: c, by: BySlots, outsider: OutsiderDuplicate, twin: "node-7202"},
			{node: "node-7200", port: a, by: BySlots}, {node: "node-7201", port: b, by: BySlots}, {node: "node-7202", port: c, by: BySlots}},
	}, {
		name: "a replica's dump alone stands for its master",
		nodes: []*Node{slotNode("node-7200", 0, 5460, 7, 1), slotNode("node-7201", 5461, 10922, 7, 1),
			slotNode("node-7203", 10923, 16383, 5, 1)},
		want: []member{{node: "node-7200", port: a, by: BySlots}, {node: "node-7201", port: b, by: BySlots}, {node: "node-7203", port: c, by: BySlots}},
	}, {
		name: "an AOF base and a standalone dump are not nodes of the cluster",
		nodes: []*Node{slotNode("node-7200", 0, 5460, 7, 1), slotNode("node-7201", 5461, 10922, 7, 1), slotNode("node-7202", 10923, 16383, 7, 1),
			aofBase(slotNode("appendonly.aof.1.base", 10923, 16383, 7, 1)), slotNode("standalone", 0, 16383, 11, 1)},
		want: []member{{node: "node-7200", port: a, by: BySlots}, {node: "node-7201", port: b, by: BySlots}, {node: "node-7202", port: c, by: BySlots},
			{node: "appendonly.aof.1.base", port: c, by: BySlots, outsider: OutsiderAOFBase}, {node: "standalone", outsider: OutsiderSpread}},
	}, {
		name: "an empty dump is matched by name; keys in another node's slots still decide",
		nodes: []*Node{{Name: "node-7200"}, slotNode("node-7201", 5461, 10922, 7, 1),
			slotNode("node-7202", 5461, 5470, 1, 1), slotNode("x", 10923, 16383, 9, 1)},
		want: []member{{node: "node-7200", port: a, by: ByName}, {node: "node-7201", port: b, by: BySlots},
			{node: "node-7202", port: b, by: BySlots, outsider: OutsiderDuplicate, twin: "node-7201"}, {node: "x", port: c, by: BySlots}},
	}, {
		name:    "slots no master serves",
		cluster: cluster[:2],
		nodes:   []*Node{slotNode("node-7200", 0, 5460, 7, 1), slotNode("node-7201", 5461, 10922, 7, 1)},
		want:    []member{{node: "node-7200", port: a, by: BySlots}, {node: "node-7201", port: b, by: BySlots}},
		gaps:    []string{"unserved 10923-16383"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn := cluster
			if tt.cluster != nil {
				cn = tt.cluster
			}
			l := Arrange(tt.nodes, cn)
			assert.Equal(t, tt.want, members(l))
			assert.Equal(t, tt.gaps, gaps(l))
		})
	}
}

func TestArrangeNamedConflictAndShare(t *testing.T) {
	cluster, err := ParseClusterNodes(strings.NewReader(threeMasters))
	require.NoError(t, err)
	// Named node-7202 but holding 7201's slots (and one key of 7200's).
	n := slotNode("node-7202", 5461, 5463, 1, 1)
	n.Slots.PerSlot = append(n.Slots.PerSlot, SlotStat{Slot: 5, Keys: 1})
	l := Arrange([]*Node{n}, cluster)
	m := l.Member("node-7202")
	require.NotNil(t, m)
	assert.Equal(t, "127.0.0.1:7201", m.Master.Addr)
	require.NotNil(t, m.Named)
	assert.Equal(t, "127.0.0.1:7202", m.Named.Addr)
	assert.Equal(t, int64(4), m.Keys)
	assert.InDelta(t, 0.75, m.Share, 1e-9)
	assert.Equal(t, []string{"node-7202"}, l.Counted())
	assert.Len(t, l.Uncovered, 2)
	assert.Equal(t, 2*5461, l.Uncovered[0].Count()+l.Uncovered[1].Count())
}

func TestArrangeWithoutClusterNodes(t *testing.T) {
	tests := []struct {
		name  string
		nodes []*Node
		want  []member
	}{{
		name:  "three shards",
		nodes: []*Node{slotNode("a", 0, 5460, 3, 1), slotNode("b", 5461, 10922, 3, 1), slotNode("c", 10923, 16383, 3, 1)},
		want:  []member{{node: "a"}, {node: "b"}, {node: "c"}},
	}, {
		name: "a standalone dump among three shards",
		nodes: []*Node{slotNode("a", 0, 5460, 3, 1), slotNode("standalone", 0, 16383, 17, 1),
			slotNode("b", 5461, 10922, 3, 1), slotNode("c", 10923, 16383, 3, 1)},
		want: []member{{node: "a"}, {node: "standalone", outsider: OutsiderSpread}, {node: "b"}, {node: "c"}},
	}, {
		name: "two standalone dumps among three shards",
		nodes: []*Node{slotNode("a", 0, 5460, 3, 1), slotNode("s1", 0, 16383, 17, 1), slotNode("s2", 1, 16383, 13, 1),
			slotNode("b", 5461, 10922, 3, 1), slotNode("c", 10923, 16383, 3, 1)},
		want: []member{{node: "a"}, {node: "s1", outsider: OutsiderSpread}, {node: "s2", outsider: OutsiderSpread}, {node: "b"}, {node: "c"}},
	}, {
		name: "a replica's dump",
		nodes: []*Node{slotNode("a", 0, 5460, 3, 1), slotNode("b", 5461, 10922, 3, 1), slotNode("b-replica", 5461, 10922, 3, 2),
			slotNode("c", 10923, 16383, 3, 1)},
		want: []member{{node: "a"}, {node: "b", outsider: OutsiderDuplicate, twin: "b-replica"}, {node: "b-replica"}, {node: "c"}},
	}, {
		name:  "one standalone dump and its AOF base",
		nodes: []*Node{slotNode("dump", 0, 16383, 1, 1), aofBase(slotNode("appendonly.aof.1.base", 0, 16383, 1, 1))},
		want:  []member{{node: "dump"}, {node: "appendonly.aof.1.base", outsider: OutsiderAOFBase}},
	}, {
		name:  "AOF bases alone are the nodes",
		nodes: []*Node{aofBase(slotNode("a", 0, 5460, 3, 1)), aofBase(slotNode("b", 5461, 16383, 3, 1))},
		want:  []member{{node: "a"}, {node: "b"}},
	}, {
		name:  "servers sharded by the application are no cluster: nothing is singled out",
		nodes: []*Node{slotNode("s1", 0, 16383, 3, 1), slotNode("s2", 1, 16383, 3, 1), slotNode("s3", 2, 16383, 3, 1), slotNode("s4", 0, 16383, 7, 1)},
		want:  []member{{node: "s1"}, {node: "s2"}, {node: "s3"}, {node: "s4"}},
	}, {
		name:  "servers holding the same key names are no cluster either",
		nodes: []*Node{slotNode("a", 0, 16383, 5, 1), slotNode("b", 0, 16383, 5, 1), slotNode("c", 0, 16383, 5, 2)},
		want:  []member{{node: "a"}, {node: "b"}, {node: "c"}},
	}, {
		name: "a cluster reshaped by rebalancing keeps its nodes",
		// d was added and given a slice of each node's slots, as
		// redis-cli --cluster rebalance does: it borders each twice.
		nodes: []*Node{ranged("a", [2]int{0, 1000}, [2]int{2001, 5460}), ranged("b", [2]int{5461, 6500}, [2]int{7501, 10922}),
			ranged("c", [2]int{10923, 12000}, [2]int{13001, 16383}), ranged("d", [2]int{1001, 2000}, [2]int{6501, 7500}, [2]int{12001, 13000})},
		want: []member{{node: "a"}, {node: "b"}, {node: "c"}, {node: "d"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Arrange(append(tt.nodes, nil), nil)
			assert.Equal(t, tt.want, members(l))
			assert.Empty(t, l.Uncovered)
		})
	}
}

// ranged is a node holding a key in every slot of the given ranges.
func ranged(name string, ranges ...[2]int) *Node {
	n := &Node{Name: name, Slots: &Slots{}}
	for _, r := range ranges {
		n.Slots.PerSlot = append(n.Slots.PerSlot, slotNode("", r[0], r[1], 1, 1).Slots.PerSlot...)
	}
	return n
}

func TestMembershipSlots(t *testing.T) {
	cluster, err := ParseClusterNodes(strings.NewReader(threeMasters))
	require.NoError(t, err)
	a, b := slotNode("a", 10, 5000, 97, 1), slotNode("b", 5500, 10000, 89, 1)
	standalone := slotNode("s", 0, 16383, 5, 1)
	l := Arrange([]*Node{a, b, standalone}, nil)
	assert.Equal(t, [][2]int{{10, 4957}}, l.Member("a").Slots, "one run, however sparse")
	assert.Equal(t, [][2]int{{5500, 9950}}, l.Member("b").Slots)
	assert.Equal(t, OutsiderSpread, l.Member("s").Outsider)
	assert.Equal(t, [][2]int{{0, 16380}}, l.Member("s").Slots, "an outsider's runs are its own")

	l = Arrange([]*Node{a, b, standalone}, cluster)
	assert.Equal(t, [][2]int{{0, 5460}}, l.Member("a").Slots, "the master's")

	// Servers sharded by the application interleave in more than MaxRuns
	// runs: no slots.
	l = Arrange([]*Node{slotNode("x", 0, 16383, 2, 1), slotNode("y", 1, 16383, 2, 1)}, nil)
	assert.Nil(t, l.Member("x").Slots)
}

func TestOverlap(t *testing.T) {
	assert.Equal(t, 1.0, Overlap([][2]int{{0, 99}}, [][2]int{{10, 19}}))
	assert.Equal(t, 0.5, Overlap([][2]int{{0, 99}}, [][2]int{{50, 149}}))
	assert.Equal(t, 0.0, Overlap([][2]int{{0, 99}}, [][2]int{{100, 199}}))
	assert.Equal(t, 0.0, Overlap(nil, [][2]int{{100, 199}}))
	assert.InDelta(t, 4.0/9, Overlap([][2]int{{0, 4}, {10, 14}}, [][2]int{{3, 11}}), 1e-9)
}

func TestPair(t *testing.T) {
	cluster, err := ParseClusterNodes(strings.NewReader(threeMasters))
	require.NoError(t, err)
	shard := func(name string, k, step int) *Node {
		r := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}[k]
		return slotNode(name, r[0]+step%7, r[1], step, 1)
	}
	tests := []struct {
		name    string
		a, b    []*Node
		cluster []ClusterNode
		want    []int
	}{{
		name: "by name",
		a:    []*Node{shard("n0", 0, 5), shard("n1", 1, 5), shard("n2", 2, 5)},
		b:    []*Node{shard("n2", 2, 7), shard("n0", 0, 7), shard("n1", 1, 7)},
		want: []int{2, 0, 1},
	}, {
		name: "dated names, by slots",
		a:    []*Node{shard("prod-2026-11-26-0001", 0, 5), shard("prod-2026-11-26-0002", 1, 5), shard("prod-2026-11-26-0003", 2, 5)},
		b:    []*Node{shard("prod-2026-11-27-0001", 2, 7), shard("prod-2026-11-27-0002", 0, 7), shard("prod-2026-11-27-0003", 1, 7)},
		want: []int{2, 0, 1},
	}, {
		name:    "by master, with CLUSTER NODES: a failover renamed the node",
		cluster: cluster,
		a:       []*Node{shard("node-7200", 0, 5), shard("node-7201", 1, 5), shard("node-7202", 2, 5)},
		b:       []*Node{shard("node-7200", 0, 7), shard("node-7201", 1, 7), shard("node-7203", 2, 7)},
		want:    []int{0, 1, 2},
	}, {
		name: "a node new tonight, a node gone, a nil",
		a:    []*Node{shard("n0", 0, 5), nil, shard("n1", 1, 5)},
		b:    []*Node{shard("x", 2, 7), shard("n0", 0, 7)},
		want: []int{-1, 0},
	}, {
		name: "an outsider pairs only by name",
		a:    []*Node{shard("n0", 0, 5), shard("n1", 1, 5), shard("n2", 2, 5), slotNode("s", 0, 16383, 11, 1)},
		b:    []*Node{slotNode("other", 0, 16383, 13, 1), shard("n0", 0, 7), shard("n1", 1, 7), shard("n2", 2, 7), slotNode("s", 0, 16383, 17, 1)},
		want: []int{-1, 0, 1, 2, 3},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Pair(tt.a, tt.b, tt.cluster))
		})
	}
}
