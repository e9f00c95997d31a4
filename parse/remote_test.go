package parse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memStore is a Store of objects in memory, named mem://bucket/key; a
// URL ending in "/" lists the objects under it.
type memStore struct {
	objs  map[string][]byte // by URL
	heads int               // Head calls
	opens int               // Open calls
}

func (s *memStore) IsURL(arg string) bool { return strings.HasPrefix(arg, "mem://") }

func (s *memStore) List(_ context.Context, arg string) ([]Object, error) {
	var out []Object
	for u, data := range s.objs {
		if u == arg || strings.HasSuffix(arg, "/") && strings.HasPrefix(u, arg) {
			out = append(out, Object{URL: u, Key: strings.TrimPrefix(u, "mem://bucket/"), Size: int64(len(data))})
		}
	}
	if len(out) == 0 {
		return nil, errors.New(arg + ": not found")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URL < out[j].URL })
	return out, nil
}

func (s *memStore) Open(_ context.Context, url string) (io.ReadCloser, error) {
	s.opens++
	data, ok := s.objs[url]
	if !ok {
		return nil, errors.New(url + ": not found")
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (s *memStore) Head(_ context.Context, url string, n int64) ([]byte, error) {
	s.heads++
	data, ok := s.objs[url]
	if !ok {
		return nil, errors.New(url + ": not found")
	}
	return data[:min(int64(len(data)), n)], nil
}

// Objects expand as files do: a prefix is a directory (non-dumps
// skipped), a tar archive one node per dump inside, node names from the
// object names; they are streamed, never opened by path.
func TestExpandObjects(t *testing.T) {
	arch, members := archive(t, t.TempDir(), "gzip")
	tarBytes, err := os.ReadFile(arch)
	require.NoError(t, err)
	dump := fixture(t, "memory.rdb")
	store := &memStore{objs: map[string][]byte{
		"mem://bucket/nightly/node-7.rdb":   dump,
		"mem://bucket/nightly/notes.txt":    []byte("not a dump"),
		"mem://bucket/nightly/nodes.tar.gz": tarBytes,
		"mem://bucket/other/node-9.rdb.gz":  members["a/node-2.rdb.gz"],
	}}
	local := filepath.Join(t.TempDir(), "node-0.rdb")
	require.NoError(t, os.WriteFile(local, dump, 0o644))

	ins, err := ExpandContext(context.Background(), []string{local, "mem://bucket/nightly/", "mem://bucket/other/node-9.rdb.gz"}, nil, store)
	require.NoError(t, err)
	var names []string
	for _, in := range ins {
		names = append(names, in.Name)
	}
	assert.Equal(t, []string{"node-0", "node-7", "node-1", "node-2", "node-9"}, names)
	assert.Equal(t, "mem://bucket/nightly/node-7.rdb", ins[1].Path)
	assert.True(t, ins[1].Remote)
	assert.False(t, ins[1].Direct(), "an object is streamed to a child")
	assert.Equal(t, int64(len(dump)), ins[1].Size)
	assert.Equal(t, "a/node-1.rdb", ins[2].Member)
	assert.Equal(t, "a/node-2.rdb.gz", ins[3].Member)
	assert.Equal(t, "node-9", ins[4].Name)
	assert.Equal(t, 4, store.heads, "one ranged read per object to tell its format")

	// A dump object parses as the same bytes from a file.
	wantSrc, wantKeys := parseSummary(t, Ref{Path: local}.Input("node-0"))
	src, keys := parseSummary(t, ins[1])
	assert.Equal(t, wantKeys, keys)
	assert.Equal(t, wantSrc.Checksum, src.Checksum)
	_, keys = parseSummary(t, ins[4])
	assert.NotEmpty(t, keys, "a gzip object is decompressed")

	// The archive's members are read in one pass, as a local one's.
	var got []string
	Members(ins[2:4], func(i int, in Input) {
		_, k := parseSummary(t, in)
		assert.NotEmpty(t, k)
		got = append(got, in.Member)
	})
	assert.Equal(t, []string{"a/node-1.rdb", "a/node-2.rdb.gz"}, got)
	// And one member opened alone is found by reading up to it.
	_, k := parseSummary(t, ins[3])
	assert.NotEmpty(t, k)

	// The Ref survives JSON as remote; without the Input it cannot be
	// opened (another process gets the stream).
	b, err := json.Marshal(ins[1].Ref)
	require.NoError(t, err)
	var ref Ref
	require.NoError(t, json.Unmarshal(b, &ref))
	assert.True(t, ref.Remote)
	_, err = ref.Open()
	assert.ErrorIs(t, err, errNoStore)
}

// Without a store, or for an argument that is not the store's, Expand is
// what it was; a store's error is passed on; duplicate names are refused
// across files and objects.
func TestExpandObjectErrors(t *testing.T) {
	dump := fixture(t, "memory.rdb")
	store := &memStore{objs: map[string][]byte{"mem://bucket/node-1.rdb": dump, "mem://bucket/x.txt": []byte("x")}}
	_, err := ExpandContext(context.Background(), []string{"mem://bucket/missing.rdb"}, nil, store)
	assert.ErrorContains(t, err, "mem://bucket/missing.rdb: not found")
	_, err = ExpandContext(context.Background(), []string{"mem://bucket/node-1.rdb"}, nil, nil)
	assert.ErrorContains(t, err, "no such file or directory", "without a store a URL is a path")

	local := filepath.Join(t.TempDir(), "node-1.rdb")
	require.NoError(t, os.WriteFile(local, dump, 0o644))
	_, err = ExpandContext(context.Background(), []string{local, "mem://bucket/node-1.rdb"}, nil, store)
	assert.ErrorContains(t, err, `duplicate node name "node-1"`)
	ins, err := ExpandContext(context.Background(), []string{local, "mem://bucket/node-1.rdb"},
		map[string]string{"remote-1": "mem://bucket/node-1.rdb"}, store)
	require.NoError(t, err)
	assert.Equal(t, "remote-1", ins[1].Name, "--name applies to an object URL")

	_, err = ExpandContext(context.Background(), []string{"mem://bucket/"}, nil, &memStore{objs: map[string][]byte{"mem://bucket/x.txt": []byte("x")}})
	assert.ErrorContains(t, err, "no RDB dumps there")
}
