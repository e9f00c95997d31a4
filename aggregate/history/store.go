package history

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/rdbscope/rdbscope/aggregate"
)

// File names of a partition, and the metadata keys of each file.
const (
	NodesFile    = "nodes.parquet"
	FamiliesFile = "families.parquet"

	metaSchema  = "rdbscope.history.schema_version"
	metaTable   = "rdbscope.history.table"
	metaCluster = "rdbscope.history.cluster"
)

// nodeRow is one row of nodes.parquet: docs/history.md documents each
// column. Cluster and date are not columns: they are the partition's
// directory names, which SQL engines read as columns.
type nodeRow struct {
	SnapshotTime        int64    `parquet:"snapshot_time,timestamp(millisecond)"`
	Node                string   `parquet:"node,dict"`
	Identity            *string  `parquet:"identity,optional,dict"`
	Slots               string   `parquet:"slots"`
	Outsider            *string  `parquet:"outsider,optional,dict"`
	CTime               *int64   `parquet:"ctime,optional,timestamp(millisecond)"`
	Complete            bool     `parquet:"complete"`
	RedisVersion        string   `parquet:"redis_version,dict"`
	Keys                int64    `parquet:"keys"`
	Memory              int64    `parquet:"memory"`
	Used                int64    `parquet:"used"`
	UsedMem             int64    `parquet:"used_mem"`
	EstimatedUsedMemory int64    `parquet:"estimated_used_memory"`
	Maxmemory           *int64   `parquet:"maxmemory,optional"`
	Fill                *float64 `parquet:"fill,optional"`
	NoTTLKeys           int64    `parquet:"no_ttl_keys"`
	NoTTLMemory         int64    `parquet:"no_ttl_memory"`
}

// familyRow is one row of families.parquet.
type familyRow struct {
	SnapshotTime int64  `parquet:"snapshot_time,timestamp(millisecond)"`
	Node         string `parquet:"node,dict"`
	Family       string `parquet:"family,dict"`
	Rank         int32  `parquet:"rank"`
	Other        bool   `parquet:"other"`
	Keys         int64  `parquet:"keys"`
	Memory       int64  `parquet:"memory"`
	NoTTLKeys    int64  `parquet:"no_ttl_keys"`
	NoTTLMemory  int64  `parquet:"no_ttl_memory"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// PartitionDir is where the snapshot of cluster on date (YYYY-MM-DD)
// lives under the history root dir.
func PartitionDir(dir, cluster, date string) string {
	return filepath.Join(dir, "cluster="+cluster, "date="+date)
}

// Append adds the snapshot to the history under dir as its partition
// cluster=C/date=D (D the snapshot's UTC date) and returns the
// partition's path. A partition of the same cluster and date is replaced:
// the run of a night can be repeated. The partition appears whole or not
// at all: it is written beside and renamed into place.
func Append(dir string, s *Snapshot) (string, error) {
	if err := ValidCluster(s.Cluster); err != nil {
		return "", err
	}
	nodes, fams, err := encode(s)
	if err != nil {
		return "", err
	}
	final := PartitionDir(dir, s.Cluster, s.Date())
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-date="+s.Date()+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for name, data := range map[string][]byte{NodesFile: nodes, FamiliesFile: fams} {
		if err := writeSynced(filepath.Join(tmp, name), data); err != nil {
			return "", err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	// A directory cannot be renamed over a non-empty one: the old
	// partition steps aside first, and comes back if the new one cannot
	// take its place.
	var old string
	if _, err := os.Stat(final); err == nil {
		old = tmp + ".old"
		if err := os.Rename(final, old); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		if old != "" {
			_ = os.Rename(old, final)
		}
		return "", err
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return final, fmt.Errorf("partition written, but the one it replaced is left in %s: %w", old, err)
		}
	}
	return final, nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// encode writes the snapshot's two files in memory: a night of 300 nodes
// is well under a megabyte.
func encode(s *Snapshot) (nodes, fams []byte, err error) {
	// parquet-go checks schemas from struct tags with a panic; the tags
	// are fixed, but a library bug must not take the run down.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet: %v", r)
		}
	}()
	at := s.Time * 1000
	var nr []nodeRow
	var fr []familyRow
	for i := range s.Nodes {
		n := &s.Nodes[i]
		row := nodeRow{SnapshotTime: at, Node: n.Name, Identity: optString(n.Identity), Slots: strings.Join(n.Slots, ","),
			Outsider: optString(n.Outsider), Complete: n.Complete, RedisVersion: n.RedisVersion,
			Keys: n.Keys, Memory: n.Memory, Used: n.Used, UsedMem: n.UsedMem, EstimatedUsedMemory: n.EstimatedUsedMemory,
			Maxmemory: optInt(n.Maxmemory), NoTTLKeys: n.NoTTLKeys, NoTTLMemory: n.NoTTLMemory}
		if n.CTime != 0 {
			ms := n.CTime * 1000
			row.CTime = &ms
		}
		if n.Maxmemory > 0 {
			f := n.Fill()
			row.Fill = &f
		}
		nr = append(nr, row)
		rank := int32(0)
		for _, f := range n.Families {
			r := familyRow{SnapshotTime: at, Node: n.Name, Family: aggregate.EscapeKey(string(f.Name)), Other: f.Other,
				Keys: f.Keys, Memory: f.Memory, NoTTLKeys: f.NoTTLKeys, NoTTLMemory: f.NoTTLMemory}
			if !f.Other {
				rank++
				r.Rank = rank
			}
			fr = append(fr, r)
		}
	}
	if nodes, err = encodeTable(nr, "nodes", s.Cluster); err != nil {
		return nil, nil, err
	}
	if fams, err = encodeTable(fr, "families", s.Cluster); err != nil {
		return nil, nil, err
	}
	return nodes, fams, nil
}

func encodeTable[T any](rows []T, table, cluster string) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf,
		parquet.Compression(&parquet.Zstd),
		parquet.CreatedBy("rdbscope", "", ""),
		parquet.KeyValueMetadata(metaSchema, strconv.Itoa(SchemaVersion)),
		parquet.KeyValueMetadata(metaTable, table),
		parquet.KeyValueMetadata(metaCluster, cluster),
	)
	if _, err := w.Write(rows); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return buf.Bytes(), nil
}

// Filter selects the snapshots Read returns.
type Filter struct {
	// Cluster selects one cluster; empty for every cluster.
	Cluster string
	// Since and Until bound the dates (YYYY-MM-DD, inclusive); empty for
	// no bound.
	Since, Until string
}

// Read returns the snapshots of the history under dir that f selects,
// oldest first (then by cluster). A history with no partition at all is
// an error: a mistyped path must not read as an empty fleet.
func Read(dir string, f Filter) ([]*Snapshot, error) {
	clusters := []string{f.Cluster}
	if f.Cluster == "" {
		var err error
		if clusters, err = Clusters(dir); err != nil {
			return nil, err
		}
	} else if err := ValidCluster(f.Cluster); err != nil {
		return nil, err
	}
	var out []*Snapshot
	found := false
	for _, c := range clusters {
		ents, err := os.ReadDir(filepath.Join(dir, "cluster="+c))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		for _, e := range ents {
			date, ok := strings.CutPrefix(e.Name(), "date=")
			if !ok || !e.IsDir() {
				continue
			}
			found = true
			if f.Since != "" && date < f.Since || f.Until != "" && date > f.Until {
				continue
			}
			s, err := ReadPartition(filepath.Join(dir, "cluster="+c, e.Name()))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	if !found {
		what := "history"
		if f.Cluster != "" {
			what = "history of cluster " + f.Cluster
		}
		return nil, fmt.Errorf("%s: no %s here (no cluster=NAME/date=YYYY-MM-DD directories)", dir, what)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Time != out[j].Time {
			return out[i].Time < out[j].Time
		}
		return out[i].Cluster < out[j].Cluster
	})
	return out, nil
}

// Clusters lists the clusters the history under dir holds.
func Clusters(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if c, ok := strings.CutPrefix(e.Name(), "cluster="); ok && e.IsDir() {
			out = append(out, c)
		}
	}
	return out, nil
}

// ReadPartition reads the snapshot of one partition directory
// (.../cluster=C/date=D). Its cluster is the directory's name.
func ReadPartition(path string) (*Snapshot, error) {
	cluster, ok := strings.CutPrefix(filepath.Base(filepath.Dir(path)), "cluster=")
	if !ok {
		return nil, fmt.Errorf("%s: not a history partition (want .../cluster=NAME/date=YYYY-MM-DD)", path)
	}
	date, ok := strings.CutPrefix(filepath.Base(path), "date=")
	if !ok {
		return nil, fmt.Errorf("%s: not a history partition (want .../cluster=NAME/date=YYYY-MM-DD)", path)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fmt.Errorf("%s: bad date %q", path, date)
	}
	nodes, err := readTable[nodeRow](filepath.Join(path, NodesFile), "nodes")
	if err != nil {
		return nil, err
	}
	fams, err := readTable[familyRow](filepath.Join(path, FamiliesFile), "families")
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%s: no node", filepath.Join(path, NodesFile))
	}
	s := &Snapshot{Cluster: cluster, Source: path, Time: nodes[0].SnapshotTime / 1000}
	byName := map[string]int{}
	for _, r := range nodes {
		if _, dup := byName[r.Node]; dup {
			return nil, fmt.Errorf("%s: node %s appears twice", filepath.Join(path, NodesFile), r.Node)
		}
		byName[r.Node] = len(s.Nodes)
		n := Node{Name: r.Node, Identity: deref(r.Identity), Outsider: deref(r.Outsider), CTime: deref(r.CTime) / 1000,
			Complete: r.Complete, RedisVersion: r.RedisVersion, Keys: r.Keys, Memory: r.Memory, Used: r.Used,
			UsedMem: r.UsedMem, EstimatedUsedMemory: r.EstimatedUsedMemory, Maxmemory: deref(r.Maxmemory),
			NoTTLKeys: r.NoTTLKeys, NoTTLMemory: r.NoTTLMemory}
		if r.Slots != "" {
			n.Slots = strings.Split(r.Slots, ",")
		}
		s.Nodes = append(s.Nodes, n)
	}
	for _, r := range fams {
		i, ok := byName[r.Node]
		if !ok {
			return nil, fmt.Errorf("%s: family %s of node %s, which %s lacks", filepath.Join(path, FamiliesFile), r.Family, r.Node, NodesFile)
		}
		name, err := aggregate.UnescapeKey(r.Family)
		if err != nil {
			return nil, fmt.Errorf("%s: family %q: %v", filepath.Join(path, FamiliesFile), r.Family, err)
		}
		s.Nodes[i].Families = append(s.Nodes[i].Families, Family{Name: aggregate.KeyName(name), Other: r.Other,
			Keys: r.Keys, Memory: r.Memory, NoTTLKeys: r.NoTTLKeys, NoTTLMemory: r.NoTTLMemory})
	}
	return s, nil
}

// readTable reads one file of a partition, checking that it is the table
// it should be, of a schema version this build understands.
func readTable[T any](path, table string) (rows []T, err error) {
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, fmt.Errorf("%s: parquet: %v", path, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not a Parquet file: %w", path, err)
	}
	if t, _ := pf.Lookup(metaTable); t != table {
		return nil, fmt.Errorf("%s: not an rdbscope history %s file", path, table)
	}
	v, _ := pf.Lookup(metaSchema)
	switch n, err := strconv.Atoi(v); {
	case err != nil || n < 1:
		return nil, fmt.Errorf("%s: bad schema version %q", path, v)
	case n > SchemaVersion:
		return nil, fmt.Errorf("%s: schema version %d is newer than this rdbscope understands (%d); upgrade rdbscope", path, n, SchemaVersion)
	}
	rows, err = parquet.Read[T](f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}
