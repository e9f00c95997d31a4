package parse

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A tar archive cut in transit still yields its complete members; the
// member that was cut fails alone when parsed, naming the archive.
func TestTruncatedTar(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"memory.rdb", "dumpV10.rdb"} {
		b := fixture(t, name)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "node-" + name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	whole := buf.Bytes()
	// Cut inside the second member's data.
	cut := whole[:512+len(fixture(t, "memory.rdb"))+512+512+100]
	path := filepath.Join(t.TempDir(), "nodes.tar")
	require.NoError(t, os.WriteFile(path, cut, 0o644))

	ins, err := Expand([]string{path}, nil)
	require.NoError(t, err)
	require.Len(t, ins, 2)
	_, err = Parse(context.Background(), ins[0], Options{}, func(*Record) error { return nil })
	assert.NoError(t, err, "the complete member parses")
	_, err = Parse(context.Background(), ins[1], Options{}, func(*Record) error { return nil })
	require.Error(t, err, "the cut member fails")
	assert.Contains(t, err.Error(), path)
}
