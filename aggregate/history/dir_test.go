package history

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

// objectStore is a Store as object storage behaves: no directories, only
// keys, and a partition's files committed one at a time. Writes fail
// once failAt files have been committed (never when negative), as a run
// that stops between two uploads.
type objectStore struct {
	files  fstest.MapFS
	failAt int
}

func newObjectStore() *objectStore { return &objectStore{files: fstest.MapFS{}, failAt: -1} }

func (o *objectStore) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := o.files.ReadDir(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Where(name), fs.ErrNotExist)
	}
	return ents, nil
}

func (o *objectStore) ReadFile(name string) ([]byte, error) { return o.files.ReadFile(name) }

func (o *objectStore) Where(name string) string { return "mem://bucket/" + name }

func (o *objectStore) WritePartition(dir string, files []File) error {
	for _, f := range files {
		if o.failAt == 0 {
			return errors.New("connection reset")
		}
		o.failAt--
		o.files[path.Join(dir, f.Name)] = &fstest.MapFile{Data: f.Data}
	}
	return nil
}

func night(t *testing.T, i int, keys int) *Snapshot {
	t.Helper()
	const t0 = 1_790_000_000
	a := node("node-a", t0+int64(i)*day, 0, 16383, map[string]int{"user:ttl": keys, "log": 2})
	s, err := FromReport("prod", &aggregate.Report{Nodes: []*aggregate.Node{a}}, Options{})
	require.NoError(t, err)
	return s
}

// A history in a store of objects reads back as written, and a night
// written again replaces its partition: it is never counted twice.
func TestObjectStoreAppendRead(t *testing.T) {
	st := newObjectStore()
	h := New(st)
	var snaps []*Snapshot
	for i := range 3 {
		s := night(t, i, 3+i)
		where, err := h.Append(s)
		require.NoError(t, err)
		assert.Equal(t, "mem://bucket/cluster=prod/date="+s.Date(), where)
		snaps = append(snaps, s)
	}
	again := night(t, 1, 40)
	_, err := h.Append(again)
	require.NoError(t, err)
	snaps[1] = again
	got, err := h.Read(Filter{})
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, s := range got {
		assert.Equal(t, "mem://bucket/cluster=prod/date="+snaps[i].Date(), s.Source)
		s.Source = ""
		assert.Equal(t, snaps[i], s)
	}
	dates, err := h.Dates("prod")
	require.NoError(t, err)
	assert.Len(t, dates, 3)
	_, err = New(newObjectStore()).Read(Filter{})
	assert.ErrorContains(t, err, "no history here")
}

// A run that stops between the two files of a partition: the partition is
// refused, naming it and what to do, until the night is written again.
func TestTornPartition(t *testing.T) {
	st := newObjectStore()
	h := New(st)
	first := night(t, 0, 3)
	_, err := h.Append(first)
	require.NoError(t, err)

	// A re-run that committed families.parquet only.
	st.failAt = 1
	_, err = h.Append(night(t, 0, 30))
	require.Error(t, err)
	_, err = h.Read(Filter{})
	assert.ErrorContains(t, err, "mem://bucket/cluster=prod/date="+first.Date()+": nodes.parquet and families.parquet are of different writes")
	assert.ErrorContains(t, err, "run that night again")

	// A new night that committed families.parquet only.
	st.failAt = 1
	second := night(t, 1, 3)
	_, err = h.Append(second)
	require.Error(t, err)
	_, err = h.Partition("prod", second.Date())
	assert.ErrorContains(t, err, "mem://bucket/cluster=prod/date="+second.Date()+"/nodes.parquet: missing: the partition is incomplete")

	// Running the nights again mends both.
	st.failAt = -1
	for _, s := range []*Snapshot{first, second} {
		_, err = h.Append(s)
		require.NoError(t, err)
	}
	got, err := h.Read(Filter{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, first.Nodes, got[0].Nodes)

	// Files of a history written before writes were recorded read as
	// one write.
	nodes, fams, err := encode(first, "")
	require.NoError(t, err)
	dir := partitionName("prod", first.Date())
	st.files[dir+"/"+NodesFile].Data = nodes
	st.files[dir+"/"+FamiliesFile].Data = fams
	_, err = h.Partition("prod", first.Date())
	assert.NoError(t, err)
}

// Dir reads a file whole, refusing one too big to be a history file.
func TestDirReadFileBound(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "x"), 0o755))
	f, err := os.Create(filepath.Join(dir, "x", "big.parquet"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxFileSize+1))
	require.NoError(t, f.Close())
	_, err = Dir(dir).ReadFile("x/big.parquet")
	assert.ErrorContains(t, err, "more than a history file can be")
	ents, err := Dir(dir).ReadDir(".")
	require.NoError(t, err)
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	assert.Equal(t, []string{"x"}, names)
	assert.Equal(t, dir, Dir(dir).Where("."))
	assert.True(t, strings.HasSuffix(Dir(dir).Where("x/big.parquet"), filepath.Join("x", "big.parquet")))
}
