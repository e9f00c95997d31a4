package history

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

const day = 86400

// node builds a profile: families[name] keys of size each, the ones whose
// name ends in ":ttl" with a TTL, all in slots [from, to].
func node(name string, ctime int64, from, to int, families map[string]int) *aggregate.Node {
	b := aggregate.NewBuilder(name, aggregate.DefaultOptions())
	b.SetSource(&aggregate.Source{CTime: ctime, RedisVersion: "7.0.15"})
	i := 0
	for fam, count := range families {
		for range count {
			// Find a key of this family that hashes into [from, to].
			for {
				k := fam + ":" + strconv.Itoa(i)
				i++
				if s := aggregate.Slot(k); s >= from && s <= to {
					key := aggregate.Key{Key: k, Type: "string", Memory: 100, Elements: 1}
					if strings.HasSuffix(fam, ":ttl") {
						key.ExpiresAt = (ctime + day) * 1000
					}
					b.Add(&key)
					break
				}
			}
		}
	}
	n := b.Node()
	n.Complete = true
	n.UsedMem = n.Memory * 2
	n.EstimatedUsedMemory = n.Memory + 50
	return n
}

func TestFromReport(t *testing.T) {
	const t0 = 1_790_000_000
	a := node("node-a", t0, 0, 8191, map[string]int{"user:ttl": 30, "log": 20, "cfg": 1})
	b := node("node-b", t0+60, 8192, 16383, map[string]int{"user:ttl": 10, "log": 5})
	r := &aggregate.Report{Nodes: []*aggregate.Node{a, nil, b}, Findings: []aggregate.Finding{
		{Kind: "over-maxmemory", Node: "node-b", Figures: aggregate.Figures{}.Bytes("maxmemory", 4000)}}}

	s, err := FromReport("prod-cache", r, Options{TopFamilies: 1, Config: &aggregate.Config{MaxmemoryByNode: map[string]int64{"node-a": 8000}}})
	require.NoError(t, err)
	assert.Equal(t, "prod-cache", s.Cluster)
	assert.Equal(t, int64(t0+60), s.Time, "the latest ctime")
	assert.Equal(t, "2026-09-21", s.Date())
	require.Len(t, s.Nodes, 2)

	na := s.Nodes[0]
	assert.Equal(t, "node-a", na.Name)
	assert.Equal(t, int64(51), na.Keys)
	assert.Equal(t, int64(5100), na.Memory)
	assert.Equal(t, int64(10200), na.Used, "the dump's used-mem before the estimate")
	assert.Equal(t, int64(8000), na.Maxmemory, "from the configuration")
	assert.InDelta(t, 10200.0/8000, na.Fill(), 1e-9)
	assert.Equal(t, int64(2100), na.NoTTLMemory)
	assert.Equal(t, []Family{
		{Name: "user:ttl:*", Keys: 30, Memory: 3000},
		{Name: aggregate.OtherGroup, Other: true, Keys: 21, Memory: 2100, NoTTLKeys: 21, NoTTLMemory: 2100},
	}, familiesOf(na))
	assert.False(t, na.Exact())
	assert.Equal(t, int64(4000), s.Nodes[1].Maxmemory, "from the findings")
	assert.Equal(t, "7.0.15", na.RedisVersion)
	// Without CLUSTER NODES the slots are the runs each node's keys hold.
	require.Len(t, na.Slots, 1)
	ra, err := aggregate.ParseRange(na.Slots[0])
	require.NoError(t, err)
	rb, err := aggregate.ParseRange(s.Nodes[1].Slots[0])
	require.NoError(t, err)
	assert.Less(t, ra[1], 8192)
	assert.GreaterOrEqual(t, rb[0], 8192)

	// Every family kept: the rows are exact.
	s, err = FromReport("prod-cache", r, Options{})
	require.NoError(t, err)
	assert.True(t, s.Nodes[0].Exact())
	assert.Len(t, s.Nodes[0].Families, 3)
	assert.Equal(t, int64(0), s.Nodes[0].Maxmemory)

	// Settings the report was judged with.
	r.Settings = &aggregate.Settings{Config: aggregate.Config{Maxmemory: 1 << 20}}
	s, err = FromReport("prod-cache", r, Options{})
	require.NoError(t, err)
	assert.Equal(t, int64(1<<20), s.Nodes[0].Maxmemory)

	// CLUSTER NODES: identity and slots are the master's.
	cn, err := aggregate.ParseClusterNodes(strings.NewReader(
		"aaaa 10.0.0.1:6379@16379 master - 0 0 1 connected 0-8191\nbbbb 10.0.0.2:6379@16379 master - 0 0 2 connected 8192-16383\n"))
	require.NoError(t, err)
	s, err = FromReport("prod-cache", r, Options{Config: &aggregate.Config{Cluster: cn}})
	require.NoError(t, err)
	assert.Equal(t, "aaaa", s.Nodes[0].Identity)
	assert.Equal(t, []string{"8192-16383"}, s.Nodes[1].Slots)
}

func familiesOf(n Node) []Family { return n.Families }

func TestFromReportErrors(t *testing.T) {
	n := node("n", 0, 0, 16383, map[string]int{"a": 1})
	n.Source = nil
	_, err := FromReport("c", &aggregate.Report{Nodes: []*aggregate.Node{n}}, Options{})
	assert.ErrorContains(t, err, "neither the dumps' ctime nor the report's generated_at")
	s, err := FromReport("c", &aggregate.Report{Nodes: []*aggregate.Node{n}, Tool: aggregate.Tool{GeneratedAt: "2026-11-26T00:30:00Z"}}, Options{})
	require.NoError(t, err)
	assert.Equal(t, "2026-11-26", s.Date())

	_, err = FromReport("c", &aggregate.Report{}, Options{})
	assert.ErrorContains(t, err, "no node")
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "a=b", strings.Repeat("x", 129)} {
		_, err = FromReport(bad, &aggregate.Report{Nodes: []*aggregate.Node{n}}, Options{})
		assert.ErrorContains(t, err, "cluster name", bad)
	}
}

func TestAppendRead(t *testing.T) {
	dir := t.TempDir()
	const t0 = 1_790_000_000
	var snaps []*Snapshot
	for i := range 3 {
		a := node("node-a", t0+int64(i)*day, 0, 8191, map[string]int{"user:ttl": 30 + i, "log": 20 + 10*i})
		b := node("node-b", t0+int64(i)*day, 8192, 16383, map[string]int{"user:ttl": 10, "\xffbin\\ary": 5})
		s, err := FromReport("prod", &aggregate.Report{Nodes: []*aggregate.Node{a, b}}, Options{Config: &aggregate.Config{Maxmemory: 1 << 20}})
		require.NoError(t, err)
		path, err := Append(dir, s)
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "cluster=prod", "date="+s.Date()), path)
		snaps = append(snaps, s)
	}
	other := node("x", t0, 0, 16383, map[string]int{"k": 1})
	so, err := FromReport("staging", &aggregate.Report{Nodes: []*aggregate.Node{other}}, Options{})
	require.NoError(t, err)
	_, err = Append(dir, so)
	require.NoError(t, err)

	got, err := Read(dir, Filter{Cluster: "prod"})
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, s := range got {
		assert.Equal(t, filepath.Join(dir, "cluster=prod", "date="+snaps[i].Date()), s.Source)
		s.Source = ""
		assert.Equal(t, snaps[i], s, "night %d reads back as written", i)
	}
	all, err := Read(dir, Filter{})
	require.NoError(t, err)
	assert.Len(t, all, 4)
	assert.Equal(t, "prod", all[0].Cluster, "ties on time by cluster")
	assert.Equal(t, "staging", all[1].Cluster)
	some, err := Read(dir, Filter{Cluster: "prod", Since: snaps[1].Date(), Until: snaps[1].Date()})
	require.NoError(t, err)
	require.Len(t, some, 1)
	assert.Equal(t, snaps[1].Time, some[0].Time)
	cs, err := Clusters(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"prod", "staging"}, cs)

	// The night run again replaces its partition, leaving nothing beside.
	snaps[2].Nodes = snaps[2].Nodes[:1]
	_, err = Append(dir, snaps[2])
	require.NoError(t, err)
	got, err = Read(dir, Filter{Cluster: "prod"})
	require.NoError(t, err)
	assert.Len(t, got[2].Nodes, 1)
	ents, err := os.ReadDir(filepath.Join(dir, "cluster=prod"))
	require.NoError(t, err)
	assert.Len(t, ents, 3, "no temporary directory left")

	_, err = Read(dir, Filter{Cluster: "nope"})
	assert.ErrorContains(t, err, "no history of cluster nope here")
	_, err = Read(t.TempDir(), Filter{})
	assert.ErrorContains(t, err, "no history here")
}

func TestReadPartitionErrors(t *testing.T) {
	dir := t.TempDir()
	s, err := FromReport("prod", &aggregate.Report{Nodes: []*aggregate.Node{node("a", 1_790_000_000, 0, 16383, map[string]int{"k": 3})}}, Options{})
	require.NoError(t, err)
	path, err := Append(dir, s)
	require.NoError(t, err)

	_, err = ReadPartition(filepath.Join(dir, "cluster=prod"))
	assert.ErrorContains(t, err, "not a history partition")

	nodes := filepath.Join(path, NodesFile)
	orig, err := os.ReadFile(nodes)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(nodes, orig[:len(orig)/2], 0o644))
	_, err = ReadPartition(path)
	assert.ErrorContains(t, err, nodes)
	assert.ErrorContains(t, err, "not a Parquet file")

	fams, err := os.ReadFile(filepath.Join(path, FamiliesFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(nodes, fams, 0o644))
	_, err = ReadPartition(path)
	assert.ErrorContains(t, err, "not an rdbscope history nodes file")

	var buf bytes.Buffer
	w := parquet.NewGenericWriter[nodeRow](&buf, parquet.KeyValueMetadata(metaTable, "nodes"), parquet.KeyValueMetadata(metaSchema, "99"))
	_, err = w.Write([]nodeRow{{Node: "a"}})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, os.WriteFile(nodes, buf.Bytes(), 0o644))
	_, err = ReadPartition(path)
	assert.ErrorContains(t, err, "schema version 99 is newer")

	require.NoError(t, os.WriteFile(nodes, orig, 0o644))
	require.NoError(t, os.Remove(filepath.Join(path, FamiliesFile)))
	_, err = ReadPartition(path)
	assert.ErrorContains(t, err, FamiliesFile)
}
