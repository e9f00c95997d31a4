package worker

import (
	"archive/tar"
	"bytes"
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/rdbscope/rdbscope/parse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readChars is how many bytes this process has read so far (rchar).
func readChars(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Skip("no rchar in /proc/self/io")
	return 0
}

// A tar.gz of many dumps is read once to list its members and once to
// analyze them, not once more per member (issue 12, item 12: 500 members
// took 204 s against 5.5 s as a directory). Counted in bytes this process
// reads: re-reading the archive from its start for each of 40 members
// would read it about 20 times.
func TestArchiveReadInTwoPasses(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(sampleDir, "node-7201.rdb"))
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(1))
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	const members = 40
	for i := 0; i < members; i++ {
		// Incompressible padding between the dumps, so that the archive's
		// stored size grows with its members.
		pad := make([]byte, 32<<10)
		rng.Read(pad)
		for _, m := range []struct {
			name string
			b    []byte
		}{{"pad" + strconv.Itoa(i), pad}, {"node" + strconv.Itoa(i) + ".rdb", raw}} {
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.b)), Typeflag: tar.TypeReg}))
			_, err = tw.Write(m.b)
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err = zw.Write(tb.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	archive := filepath.Join(t.TempDir(), "fleet.tar.gz")
	require.NoError(t, os.WriteFile(archive, gz.Bytes(), 0o644))

	before := readChars(t)
	inputs, err := parse.Expand([]string{archive}, nil)
	require.NoError(t, err)
	require.Len(t, inputs, members)
	nodes := Nodes(context.Background(), inputs, Config{Jobs: 2, Profile: fixedNow()})
	read := readChars(t) - before
	for _, n := range nodes {
		assert.True(t, n.Complete, n.Error)
	}
	stored := int64(gz.Len())
	t.Logf("archive of %d bytes, %d bytes read (%.1f passes)", stored, read, float64(read)/float64(stored))
	assert.Less(t, read, 3*stored, "listed once, analyzed once")
}
