// Package history keeps a compact record of a fleet's nights: per night
// and cluster, one record per node (its memory, fill and keys) and one
// per key family of each node (its top families and the rest), small
// enough to keep a year of 300 nodes. It is written as Parquet files
// partitioned by cluster and date, the layout SQL engines such as DuckDB
// read directly (docs/history.md), and read back for package trend.
//
// A Snapshot is one night of one cluster, made from a report
// (FromReport) or read from the history (Read).
package history

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
)

// SchemaVersion is the version of the history's files, recorded in each
// file's metadata. Like the report's, it is bumped only when a column
// changes meaning or goes away.
const SchemaVersion = 1

// DefaultTopFamilies is how many families of each node a snapshot keeps
// by default; the rest is one "(other)" row.
const DefaultTopFamilies = 50

// Snapshot is one night of one cluster.
type Snapshot struct {
	// Cluster names the cluster (see ValidCluster).
	Cluster string
	// Time is when the snapshot was taken, in Unix seconds: the latest
	// ctime of its dumps.
	Time int64
	// Source says where the snapshot was read from (a report's path, a
	// history partition); it is not stored.
	Source string
	Nodes  []Node
}

// Date is the UTC day of the snapshot, the history's date partition.
func (s *Snapshot) Date() string {
	return time.Unix(s.Time, 0).UTC().Format(time.DateOnly)
}

// Node is one node's record of one night.
type Node struct {
	Name string
	// Identity is the CLUSTER NODES id of the master whose slots the
	// dump holds; empty when unknown.
	Identity string
	// Slots are the slot ranges the node stands for
	// (aggregate.Membership.Slots): its master's with CLUSTER NODES, else
	// the runs of slots its keys fall in between other nodes' (empty
	// when they are too scattered to say).
	Slots []string
	// Outsider is why the dump is not counted as a node of the cluster
	// (an aggregate.Outsider* reason); empty when it is.
	Outsider string
	// CTime is the dump's ctime (Unix seconds; 0 if it has none).
	CTime        int64
	Complete     bool
	RedisVersion string
	Keys         int64
	// Memory is the node's key memory; Used what it is taken to use
	// against maxmemory (aggregate.UsedMemory); UsedMem the dump's
	// used-mem and EstimatedUsedMemory the model's estimate.
	Memory              int64
	Used                int64
	UsedMem             int64
	EstimatedUsedMemory int64
	// Maxmemory is the node's maxmemory in bytes; 0 when unknown.
	Maxmemory   int64
	NoTTLKeys   int64
	NoTTLMemory int64
	// Families are the node's biggest families by memory, biggest
	// first, then one Other row for the rest when there is any.
	Families []Family
}

// Fill is the node's used memory over its maxmemory; 0 when unknown.
func (n *Node) Fill() float64 {
	if n.Maxmemory <= 0 {
		return 0
	}
	return float64(n.Used) / float64(n.Maxmemory)
}

// Exact reports whether the node's family rows hold every family it has
// (no Other row with keys): a family absent from them has no key.
func (n *Node) Exact() bool {
	for _, f := range n.Families {
		if f.Other && f.Keys > 0 {
			return false
		}
	}
	return true
}

// Family is one key family of a node on one night.
type Family struct {
	Name aggregate.KeyName
	// Other marks the row of every family below the top ones.
	Other       bool
	Keys        int64
	Memory      int64
	NoTTLKeys   int64
	NoTTLMemory int64
}

// Options say how a report becomes a snapshot.
type Options struct {
	// TopFamilies is how many families of each node to keep
	// (DefaultTopFamilies if <= 0).
	TopFamilies int
	// Config gives maxmemory (it wins over what the report recorded) and
	// CLUSTER NODES for node identity; nil knows nothing.
	Config *aggregate.Config
}

var clusterName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidCluster checks that a cluster name can name a directory of the
// history: letters, digits, '.', '_' and '-', starting with a letter or
// digit, at most 128 bytes.
func ValidCluster(name string) error {
	if !clusterName.MatchString(name) {
		return fmt.Errorf("cluster name %q: want letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 128)", name)
	}
	return nil
}

// FromReport makes the snapshot of one night of cluster from its report:
// the node records with maxmemory (from o.Config, else the report's
// settings, else the figures of its findings), identity (from
// aggregate.Arrange), and each node's top families.
//
// Its time is the latest dump ctime; a report whose dumps have none is
// placed at its generation time, and one without either is an error.
func FromReport(cluster string, r *aggregate.Report, o Options) (*Snapshot, error) {
	if err := ValidCluster(cluster); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("no report")
	}
	top := o.TopFamilies
	if top <= 0 {
		top = DefaultTopFamilies
	}
	var nodes []*aggregate.Node
	for _, n := range r.Nodes {
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		return nil, errors.New("the report holds no node")
	}
	var cn []aggregate.ClusterNode
	if o.Config != nil {
		cn = o.Config.Cluster
	}
	layout := aggregate.Arrange(nodes, cn)
	s := &Snapshot{Cluster: cluster}
	for i, n := range nodes {
		m := &layout.Members[i]
		rec := Node{Name: n.Name, Outsider: m.Outsider, Complete: n.Complete, Keys: n.Keys, Memory: n.Memory,
			Used: aggregate.UsedMemory(n), UsedMem: n.UsedMem, EstimatedUsedMemory: n.EstimatedUsedMemory,
			NoTTLKeys: n.TTL.Without.Keys, NoTTLMemory: n.TTL.Without.Memory, Slots: aggregate.FormatRanges(m.Slots)}
		if m.Master != nil {
			rec.Identity = m.Master.ID
		}
		if n.Source != nil {
			rec.CTime = n.Source.CTime
			rec.RedisVersion = n.Source.RedisVersion
			s.Time = max(s.Time, n.Source.CTime)
		}
		rec.Maxmemory = maxmemoryOf(n.Name, r, o.Config)
		rec.Families = topFamilies(n, top)
		s.Nodes = append(s.Nodes, rec)
	}
	if s.Time == 0 {
		t, err := time.Parse(time.RFC3339, r.Tool.GeneratedAt)
		if err != nil {
			return nil, errors.New("neither the dumps' ctime nor the report's generated_at says when the snapshot was taken")
		}
		s.Time = t.Unix()
	}
	return s, nil
}

// maxmemoryOf is a node's maxmemory: the one configured, else the one the
// report was judged with, else the one its findings quote.
func maxmemoryOf(name string, r *aggregate.Report, c *aggregate.Config) int64 {
	if v := c.MaxmemoryOf(name); v > 0 {
		return v
	}
	if v := r.Settings.MaxmemoryOf(name); v > 0 {
		return v
	}
	for _, f := range r.Findings {
		if f.Node == name {
			if fig, ok := f.Figures.Get("maxmemory"); ok && fig.Value > 0 {
				return int64(fig.Value)
			}
		}
	}
	return 0
}

// topFamilies keeps a node's biggest families and sums the rest into an
// Other row, so that the rows add up to the node's totals.
func topFamilies(n *aggregate.Node, top int) []Family {
	var out []Family
	rest := Family{Name: aggregate.OtherGroup, Other: true, Keys: n.Keys, Memory: n.Memory,
		NoTTLKeys: n.TTL.Without.Keys, NoTTLMemory: n.TTL.Without.Memory}
	if n.Families != nil {
		es := append([]aggregate.Group(nil), n.Families.Entries...)
		sort.SliceStable(es, func(i, j int) bool { return es[i].Memory > es[j].Memory })
		for _, e := range es[:min(top, len(es))] {
			f := Family{Name: e.Name, Keys: e.Keys, Memory: e.Memory, NoTTLKeys: e.NoTTL.Keys, NoTTLMemory: e.NoTTL.Memory}
			out = append(out, f)
			rest.Keys -= f.Keys
			rest.Memory -= f.Memory
			rest.NoTTLKeys -= f.NoTTLKeys
			rest.NoTTLMemory -= f.NoTTLMemory
		}
	}
	if rest.Keys > 0 || rest.Memory > 0 {
		out = append(out, rest)
	}
	return out
}
