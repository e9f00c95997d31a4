package worker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/internal/testutil"
	"github.com/rdbscope/rdbscope/parse"
)

// hugeHashDump is a dump of Redis 7.0 (where cluster mode changes every
// key's figures, so that the first keys are held until it is decided)
// with the string keys of each group, a hash of 2,000,000 fields (the
// decoder builds it whole: 54 MB serialized) after each group but the
// last. It returns the offsets of the hashes' records too.
func hugeHashDump(groups ...[]string) ([]byte, []int64) {
	var items []testutil.RDBItem
	var huge []int
	for i, g := range groups {
		for _, k := range g {
			items = append(items, testutil.RDBItem{Key: k})
		}
		if i < len(groups)-1 {
			huge = append(huge, len(items))
			items = append(items, testutil.RDBItem{Key: "huge" + strconv.Itoa(i), Fields: 2_000_000})
		}
	}
	data, offsets := testutil.RDB70(items)
	var at []int64
	for _, i := range huge {
		at = append(at, offsets[i])
	}
	return data, at
}

// keysIn returns n key names that fall in the first parts eighths of the
// hash slot space (8: anywhere).
func keysIn(prefix string, n, parts int) []string {
	var ks []string
	for i := 0; len(ks) < n; i++ {
		k := fmt.Sprintf("%s:%d", prefix, i)
		if aggregate.Slot(k)*8/aggregate.NumSlots < parts {
			ks = append(ks, k)
		}
	}
	return ks
}

// writeTarGz writes data as the only member, node.rdb, of a tar.gz.
func writeTarGz(t *testing.T, path string, data []byte) {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	require.NoError(t, err)
	tw := tar.NewWriter(zw)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "node.rdb", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
	_, err = tw.Write(data)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// A parser child killed by memory in a huge key costs its node that key
// only (issue 13). A second child reads the dump again past the keys
// received, frames the huge key without decoding it, and sends the keys
// after it: the node has every other key with the figures of a complete
// run, the huge one without figures and with a warning, the overhead of
// a complete run less what that key allocates beyond its MEMORY USAGE, a
// checksum verified over the whole dump, and is incomplete, its error at
// the huge key. An input that can be read only once (a member of a
// compressed archive) has no second child: it keeps the keys before the
// huge one, under --cluster auto too, where the child holds them while
// it decides cluster mode but has sent them with both figures, and the
// parent decides on them. Before, such a node kept no key under
// --cluster auto, and never the keys after the huge one.
func TestChildKilledByMemoryKeepsOtherKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes a 50 MB dump and parses it four times")
	}
	// Under 128 MB the hash needs more than the limit, whereas a child
	// under 64 MB died now and then before its first key on a loaded
	// machine (the address-space limit, see limitMemory).
	const limit = 128 << 20
	for _, c := range []struct {
		name  string
		parts int
		mode  scan.ClusterMode
		note  string // when the parent decides on the held keys
	}{
		{"standalone server", 8, scan.ClusterAuto, "standalone (detected; --cluster yes to override), decided on the 100 keys read before the parser process died"},
		{"cluster node", 3, scan.ClusterAuto, "cluster mode (detected: the keys fall in part of the hash slot space; --cluster no to override), decided on the 100 keys read before the parser process died"},
		{"--cluster no", 8, scan.ClusterOff, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "huge.rdb")
			before, after := keysIn("before", 100, c.parts), keysIn("after", 50, c.parts)
			data, ats := hugeHashDump(before, after)
			at := ats[0]
			require.NoError(t, os.WriteFile(path, data, 0o644))
			in := parse.Ref{Path: path}.Input("n")

			// A complete run, the huge key estimated rather than decoded.
			var whole recorder
			opts := scan.Options{Cluster: c.mode, MaxKeyBytes: 1 << 20}
			require.NoError(t, scan.Run(context.Background(), in, opts, &whole))
			require.Len(t, whole.keys, 151)
			huge := whole.keys[100]
			require.Equal(t, "huge0", huge.Key)

			opts.MaxKeyBytes = 0
			t.Run("file", func(t *testing.T) {
				var rec recorder
				err := Run(context.Background(), in, opts, limit, &rec)
				var pe *parse.Error
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, at, pe.Offset)
				assert.Contains(t, err.Error(), "parser process died")
				assert.Contains(t, err.Error(), "--parser-memory-limit")
				assert.Contains(t, err.Error(), fmt.Sprintf(": at byte %d: the key that starts here was not analyzed: parser process died", at))
				assert.Contains(t, err.Error(), "; a new parser process read the keys after it")
				require.Len(t, rec.keys, len(whole.keys))
				lost := huge
				lost.Memory, lost.Alloc = 0, 0
				assert.Equal(t, lost, rec.keys[100])
				assert.Equal(t, whole.keys[:100], rec.keys[:100])
				assert.Equal(t, whole.keys[101:], rec.keys[101:])
				require.NotNil(t, rec.end)
				assert.Equal(t, whole.end.ModelNote, rec.end.ModelNote)
				assert.Equal(t, parse.ChecksumOK, rec.end.Source.Checksum)
				assert.Equal(t, whole.end.Overhead-(huge.Alloc-huge.Memory), rec.end.Overhead)
				assert.Contains(t, rec.end.Warnings, fmt.Sprintf("key huge0: not estimated: the parser ran out of memory on it (%d bytes serialized); the keys after it were read by a new parser process", huge.RDBBytes))
			})
			t.Run("archive member", func(t *testing.T) {
				archive := filepath.Join(dir, "huge.tar.gz")
				writeTarGz(t, archive, data)
				inputs, err := parse.Expand([]string{archive}, nil)
				require.NoError(t, err)
				require.Len(t, inputs, 1)
				require.False(t, inputs[0].Direct())
				var rec recorder
				err = Run(context.Background(), inputs[0], opts, limit, &rec)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "parser process died")
				assert.NotContains(t, err.Error(), "new parser process")
				require.Len(t, rec.keys, len(before), "the keys before the huge one")
				assert.Equal(t, whole.keys[:len(before)], rec.keys)
				if c.note != "" {
					require.NotNil(t, rec.end)
					assert.Equal(t, c.note, rec.end.ModelNote)
				} else {
					assert.Nil(t, rec.end, "the child's own mode: no note to add")
					assert.Equal(t, "standalone (--cluster no)", rec.header.ModelNote)
				}
			})
		})
	}
}

// A dump with two keys too large for the parser's memory has a third
// child: each follows one that died, past one more key.
func TestChildKilledByMemoryTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes a 110 MB dump and parses it four times")
	}
	path := filepath.Join(t.TempDir(), "huge.rdb")
	groups := [][]string{keysIn("a", 40, 8), keysIn("b", 20, 8), keysIn("c", 30, 8)}
	data, at := hugeHashDump(groups...)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	in := parse.Ref{Path: path}.Input("n")
	var whole recorder
	require.NoError(t, scan.Run(context.Background(), in, scan.Options{MaxKeyBytes: 1 << 20}, &whole))
	require.Len(t, whole.keys, 92)

	var rec recorder
	err := Run(context.Background(), in, scan.Options{}, 128<<20, &rec)
	var pe *parse.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, at[0], pe.Offset)
	assert.Contains(t, err.Error(), "a new parser process read the keys after it")
	require.Len(t, rec.keys, len(whole.keys))
	var extra int64
	for i := range whole.keys {
		want := whole.keys[i]
		if strings.HasPrefix(want.Key, "huge") {
			extra += want.Alloc - want.Memory
			want.Memory, want.Alloc = 0, 0
		}
		assert.Equal(t, want, rec.keys[i], "key %d", i)
	}
	require.NotNil(t, rec.end)
	assert.Equal(t, parse.ChecksumOK, rec.end.Source.Checksum)
	assert.Equal(t, whole.end.Overhead-extra, rec.end.Overhead)
	assert.Equal(t, whole.end.ModelNote, rec.end.ModelNote)
	n := 0
	for _, w := range rec.end.Warnings {
		if strings.Contains(w, "not estimated: the parser ran out of memory") {
			n++
		}
	}
	assert.Equal(t, 2, n, rec.end.Warnings)
}
