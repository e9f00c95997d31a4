package parse

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseSummary parses in and returns its Source and keys.
func parseSummary(t *testing.T, in Input) (*Source, []string) {
	t.Helper()
	var keys []string
	src, err := Parse(context.Background(), in, Options{}, func(r *Record) error {
		keys = append(keys, strings.Clone(r.Key))
		return nil
	})
	require.NoError(t, err, in.label())
	return src, keys
}

// archive writes a tar (compressed as kind) of two dumps, the second
// gzipped, with a text file between them.
func archive(t *testing.T, dir, kind string) (string, map[string][]byte) {
	dump := fixture(t, "memory.rdb")
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	_, _ = z.Write(fixture(t, "redis741_cluster_node.rdb"))
	require.NoError(t, z.Close())
	members := map[string][]byte{"a/node-1.rdb": dump, "notes.txt": []byte("hi"), "a/node-2.rdb.gz": gz.Bytes()}
	p := filepath.Join(dir, "nodes"+kind+".tar")
	writeTar(t, p, members, []string{"a/node-1.rdb", "notes.txt", "a/node-2.rdb.gz"}, kind)
	return p, members
}

func TestRef(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "node.rdb")
	require.NoError(t, os.WriteFile(plain, fixture(t, "memory.rdb"), 0o644))
	for _, tc := range []struct {
		name      string
		path      string
		kind      string // archive compression, if an archive
		direct    bool   // Ref.Direct
		hasOffset bool
	}{
		{"file", plain, "", true, false},
		{"uncompressed tar", "", "", true, true},
		{"gzip tar", "", "gzip", false, false},
		{"zstd tar", "", "zstd", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			var members map[string][]byte
			if path == "" {
				path, members = archive(t, dir, tc.kind)
			}
			ins, err := Expand([]string{path}, nil)
			require.NoError(t, err)
			for _, in := range ins {
				assert.Equal(t, tc.direct, in.Direct(), in.label())
				assert.Equal(t, tc.hasOffset, in.Offset > 0, in.label())

				// Open gives the stored bytes exactly.
				if members != nil {
					rc, err := in.Ref.Open()
					require.NoError(t, err)
					got, err := io.ReadAll(rc)
					require.NoError(t, err)
					require.NoError(t, rc.Close())
					assert.Equal(t, members[in.Member], got, in.Member)
					assert.Equal(t, int64(len(got)), in.Size)
				}

				// Through JSON and back, the reference opens the same input.
				b, err := json.Marshal(in.Ref)
				require.NoError(t, err)
				var ref Ref
				require.NoError(t, json.Unmarshal(b, &ref))
				assert.Equal(t, in.Ref, ref)
				wantSrc, wantKeys := parseSummary(t, in)
				src, keys := parseSummary(t, ref.Input(in.Name))
				assert.Equal(t, wantKeys, keys)
				assert.Equal(t, wantSrc, src)
			}
		})
	}
}

// A member of a compressed archive, opened once by a parent and handed to
// its child as a pipe, parses as when opened directly.
func TestRefStream(t *testing.T) {
	path, _ := archive(t, t.TempDir(), "gzip")
	ins, err := Expand([]string{path}, nil)
	require.NoError(t, err)
	require.Len(t, ins, 2)
	for _, in := range ins {
		t.Run(in.Member, func(t *testing.T) {
			wantSrc, wantKeys := parseSummary(t, in)

			r, w, err := os.Pipe()
			require.NoError(t, err)
			go func() {
				rc, err := in.Open()
				if err == nil {
					_, _ = io.Copy(w, rc)
					_ = rc.Close()
				}
				_ = w.Close()
			}()
			streamed := in.Ref.Stream(in.Name, r)
			src, keys := parseSummary(t, streamed)
			assert.Equal(t, wantKeys, keys)
			assert.Equal(t, wantSrc, src, "same sizes, checksum and SHA-256")

			_, err = Parse(context.Background(), streamed, Options{}, func(*Record) error { return nil })
			require.Error(t, err, "a stream is read once")
			assert.Contains(t, err.Error(), "input stream already read")
		})
	}
}

// A reference into an uncompressed archive that has changed since it was
// listed fails clearly instead of reading whatever is at the offset.
func TestRefArchiveChanged(t *testing.T) {
	path, _ := archive(t, t.TempDir(), "")
	ins, err := Expand([]string{path}, nil)
	require.NoError(t, err)
	ref := ins[1].Ref
	require.Positive(t, ref.Offset)
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte{'x'}, int(ref.Offset+ref.Size)), 0o644))
	_, err = Parse(context.Background(), ref.Input("n"), Options{}, func(*Record) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+":a/node-2.rdb.gz: cannot open: member a/node-2.rdb.gz not found at byte")
	assert.Contains(t, err.Error(), "the archive changed since it was listed")

	// Without an offset, the member is looked for by position and name.
	ref.Offset = 0
	_, err = Parse(context.Background(), ref.Input("n"), Options{}, func(*Record) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot open")
}

func TestRefStdin(t *testing.T) {
	ref := Ref{Path: "-"}
	assert.False(t, ref.Direct())
	b, err := json.Marshal(ref)
	require.NoError(t, err)
	assert.JSONEq(t, `{"path":"-"}`, string(b))
}

// Members whose header needs a PAX record (a long name) are read in place
// too: the extended header comes before the member's own header.
func TestRefLongMemberName(t *testing.T) {
	dump := fixture(t, "memory.rdb")
	long := strings.Repeat("very-long-directory-name/", 8) + "node-1.rdb"
	p := filepath.Join(t.TempDir(), "long.tar")
	writeTar(t, p, map[string][]byte{long: dump, "node-2.rdb": dump}, []string{long, "node-2.rdb"}, "")
	ins, err := Expand([]string{p}, nil)
	require.NoError(t, err)
	require.Len(t, ins, 2)
	for _, in := range ins {
		require.Positive(t, in.Offset, in.Member)
		rc, err := in.Open()
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.Equal(t, dump, got, in.Member)
	}
	assert.Equal(t, long, ins[0].Member)
}
