package history

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
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

// metaWrite is the metadata key of the write a file belongs to: both
// files of a partition carry the same one, so that a partition whose
// files come from different writes is noticed (see Append).
const metaWrite = "rdbscope.history.write"

// History is a history kept in a Store.
type History struct {
	st Store
}

// New returns the history kept in st.
func New(st Store) *History { return &History{st: st} }

// partitionName is the slash-separated name of a partition in its store.
func partitionName(cluster, date string) string {
	return "cluster=" + cluster + "/date=" + date
}

// PartitionDir is where the snapshot of cluster on date (YYYY-MM-DD)
// lives under the history root dir.
func PartitionDir(dir, cluster, date string) string {
	return Dir(dir).Where(partitionName(cluster, date))
}

// Append adds the snapshot to the history under dir as its partition
// cluster=C/date=D (D the snapshot's UTC date) and returns the
// partition's path. See History.Append.
func Append(dir string, s *Snapshot) (string, error) {
	return New(Dir(dir)).Append(s)
}

// Append adds the snapshot to the history as its partition
// cluster=C/date=D (D the snapshot's UTC date) and returns where the
// partition is (Store.Where). A partition of the same cluster and date is
// replaced: the run of a night can be repeated, and a night is never
// counted twice.
//
// In a Dir the partition appears whole or not at all. A store of objects
// commits families.parquet, then nodes.parquet: a run that stops between
// the two leaves a partition whose files are of different writes (or,
// for a new night, without nodes.parquet). Each file records its write
// (metadata rdbscope.history.write), and Read refuses such a partition,
// naming it, until the night is run again (which replaces both files) or
// the partition is deleted.
func (h *History) Append(s *Snapshot) (string, error) {
	if err := ValidCluster(s.Cluster); err != nil {
		return "", err
	}
	nodes, fams, err := encode(s, rand.Text())
	if err != nil {
		return "", err
	}
	dir := partitionName(s.Cluster, s.Date())
	// nodes.parquet last: a night without it is no night to SQL
	// engines that read the nodes, nor to Read.
	if err := h.st.WritePartition(dir, []File{{FamiliesFile, fams}, {NodesFile, nodes}}); err != nil {
		return "", err
	}
	return h.st.Where(dir), nil
}

// encode writes the snapshot's two files in memory: a night of 300 nodes
// is well under a megabyte.
func encode(s *Snapshot, write string) (nodes, fams []byte, err error) {
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
	if nodes, err = encodeTable(nr, "nodes", s.Cluster, write); err != nil {
		return nil, nil, err
	}
	if fams, err = encodeTable(fr, "families", s.Cluster, write); err != nil {
		return nil, nil, err
	}
	return nodes, fams, nil
}

func encodeTable[T any](rows []T, table, cluster, write string) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf,
		parquet.Compression(&parquet.Zstd),
		parquet.CreatedBy("rdbscope", "", ""),
		parquet.KeyValueMetadata(metaSchema, strconv.Itoa(SchemaVersion)),
		parquet.KeyValueMetadata(metaTable, table),
		parquet.KeyValueMetadata(metaCluster, cluster),
		parquet.KeyValueMetadata(metaWrite, write),
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

// Read returns the snapshots of the history under dir that f selects.
// See History.Read.
func Read(dir string, f Filter) ([]*Snapshot, error) {
	return New(Dir(dir)).Read(f)
}

// Read returns the snapshots of the history that f selects, oldest first
// (then by cluster). A history with no partition at all is an error: a
// mistyped path must not read as an empty fleet.
func (h *History) Read(f Filter) ([]*Snapshot, error) {
	clusters := []string{f.Cluster}
	if f.Cluster == "" {
		var err error
		if clusters, err = h.Clusters(); err != nil {
			return nil, err
		}
	} else if err := ValidCluster(f.Cluster); err != nil {
		return nil, err
	}
	var out []*Snapshot
	found := false
	for _, c := range clusters {
		dates, err := h.Dates(c)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		for _, date := range dates {
			found = true
			if f.Since != "" && date < f.Since || f.Until != "" && date > f.Until {
				continue
			}
			s, err := h.Partition(c, date)
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
		return nil, fmt.Errorf("%s: no %s here (no cluster=NAME/date=YYYY-MM-DD directories)", h.st.Where("."), what)
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
	return New(Dir(dir)).Clusters()
}

// Clusters lists the clusters the history holds: its cluster=NAME
// directories.
func (h *History) Clusters() ([]string, error) {
	return h.subdirs(".", "cluster=")
}

// Dates lists the dates (YYYY-MM-DD) of the partitions of cluster,
// oldest first: its date=D directories. A cluster the history lacks is an
// error wrapping fs.ErrNotExist.
func (h *History) Dates(cluster string) ([]string, error) {
	return h.subdirs("cluster="+cluster, "date=")
}

// subdirs lists the directories under dir whose name has the prefix, by
// the rest of their name.
func (h *History) subdirs(dir, prefix string) ([]string, error) {
	ents, err := h.st.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if v, ok := strings.CutPrefix(e.Name(), prefix); ok && e.IsDir() {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadPartition reads the snapshot of one partition directory
// (.../cluster=C/date=D). Its cluster is the directory's name.
func ReadPartition(path string) (*Snapshot, error) {
	clean := filepath.Clean(path)
	cluster, ok := strings.CutPrefix(filepath.Base(filepath.Dir(clean)), "cluster=")
	if !ok {
		return nil, fmt.Errorf("%s: not a history partition (want .../cluster=NAME/date=YYYY-MM-DD)", path)
	}
	date, ok := strings.CutPrefix(filepath.Base(clean), "date=")
	if !ok {
		return nil, fmt.Errorf("%s: not a history partition (want .../cluster=NAME/date=YYYY-MM-DD)", path)
	}
	return New(Dir(filepath.Dir(filepath.Dir(clean)))).Partition(cluster, date)
}

// Partition reads the snapshot of cluster on date.
func (h *History) Partition(cluster, date string) (*Snapshot, error) {
	dir := partitionName(cluster, date)
	path := h.st.Where(dir)
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fmt.Errorf("%s: bad date %q", path, date)
	}
	nodes, nodesWrite, err := readTable[nodeRow](h.st, dir+"/"+NodesFile, "nodes")
	if err != nil {
		return nil, err
	}
	fams, famsWrite, err := readTable[familyRow](h.st, dir+"/"+FamiliesFile, "families")
	if err != nil {
		return nil, err
	}
	if nodesWrite != famsWrite {
		return nil, fmt.Errorf("%s: %s and %s are of different writes: a run stopped while it wrote this night "+
			"(object storage commits one file after the other); run that night again, which replaces both, or delete the partition", path, NodesFile, FamiliesFile)
	}
	nodesPath, famsPath := h.st.Where(dir+"/"+NodesFile), h.st.Where(dir+"/"+FamiliesFile)
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%s: no node", nodesPath)
	}
	s := &Snapshot{Cluster: cluster, Source: path, Time: nodes[0].SnapshotTime / 1000}
	byName := map[string]int{}
	for _, r := range nodes {
		if _, dup := byName[r.Node]; dup {
			return nil, fmt.Errorf("%s: node %s appears twice", nodesPath, r.Node)
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
			return nil, fmt.Errorf("%s: family %s of node %s, which %s lacks", famsPath, r.Family, r.Node, NodesFile)
		}
		name, err := aggregate.UnescapeKey(r.Family)
		if err != nil {
			return nil, fmt.Errorf("%s: family %q: %v", famsPath, r.Family, err)
		}
		s.Nodes[i].Families = append(s.Nodes[i].Families, Family{Name: aggregate.KeyName(name), Other: r.Other,
			Keys: r.Keys, Memory: r.Memory, NoTTLKeys: r.NoTTLKeys, NoTTLMemory: r.NoTTLMemory})
	}
	return s, nil
}

// readTable reads one file of a partition, checking that it is the table
// it should be, of a schema version this build understands, and returns
// its rows and the write it belongs to ("" for files written before
// writes were recorded).
func readTable[T any](st Store, name, table string) (rows []T, write string, err error) {
	path := st.Where(name)
	defer func() {
		if r := recover(); r != nil {
			rows, write, err = nil, "", fmt.Errorf("%s: parquet: %v", path, r)
		}
	}()
	data, err := st.ReadFile(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// The store's error would name the file again.
			return nil, "", fmt.Errorf("%s: missing: the partition is incomplete (a run stopped while it wrote it?); run that night again or delete the partition", path)
		}
		return nil, "", err
	}
	if len(data) > MaxFileSize {
		return nil, "", fmt.Errorf("%s: more than a history file can be (%d bytes)", path, MaxFileSize)
	}
	r := bytes.NewReader(data)
	pf, err := parquet.OpenFile(r, r.Size())
	if err != nil {
		return nil, "", fmt.Errorf("%s: not a Parquet file: %w", path, err)
	}
	if t, _ := pf.Lookup(metaTable); t != table {
		return nil, "", fmt.Errorf("%s: not an rdbscope history %s file", path, table)
	}
	v, _ := pf.Lookup(metaSchema)
	switch n, err := strconv.Atoi(v); {
	case err != nil || n < 1:
		return nil, "", fmt.Errorf("%s: bad schema version %q", path, v)
	case n > SchemaVersion:
		return nil, "", fmt.Errorf("%s: schema version %d is newer than this rdbscope understands (%d); upgrade rdbscope", path, n, SchemaVersion)
	}
	write, _ = pf.Lookup(metaWrite)
	rows, err = parquet.Read[T](r, r.Size())
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return rows, write, nil
}
