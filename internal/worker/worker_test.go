package worker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/parse"
)

const sampleDir = "../../testdata/sample"

// crashEnv makes the test binary, as a child, die after its first frames.
const crashEnv = "RDBSCOPE_TEST_CHILD_CRASH"

// TestMain lets the test binary act as the parser child, as the rdbscope
// binary does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Command {
		if os.Getenv(crashEnv) != "" {
			fw := newFrameWriter(os.NewFile(resultsFD, "results"))
			_ = fw.Start(&scan.Header{Model: "redis-7.0", Source: &aggregate.Source{Path: "crash"}})
			_ = fw.Key(&aggregate.Key{Key: "first", Type: "string", Memory: 100})
			_ = fw.End(&scan.Summary{}) // flushes the key, but no done
			_ = fw.bw.Flush()
			fmt.Fprintln(os.Stderr, "panic: test crash")
			os.Exit(2)
		}
		if err := Main(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fixedNow is the default profile options with a fixed reference time,
// so that nodes without a ctime compare equal across runs.
func fixedNow() aggregate.Options {
	o := aggregate.DefaultOptions()
	o.Now = 1_800_000_000
	return o
}

// nodeJSON is a node as the report shows it.
func nodeJSON(t *testing.T, n *aggregate.Node) string {
	t.Helper()
	b, err := json.MarshalIndent(n, "", " ")
	require.NoError(t, err)
	return string(b)
}

// writeArchive writes the sample dumps (or only those named) as a
// zstd-compressed tar, with a file that is not a dump after the first.
func writeArchive(t *testing.T, path string, only ...string) {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	names, err := filepath.Glob(filepath.Join(sampleDir, "*.rdb"))
	require.NoError(t, err)
	if only != nil {
		names = names[:0]
		for _, o := range only {
			names = append(names, filepath.Join(sampleDir, o))
		}
	}
	for i, p := range names {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: filepath.Base(p), Mode: 0o644, Size: int64(len(raw)), Typeflag: tar.TypeReg}))
		_, err = tw.Write(raw)
		require.NoError(t, err)
		if i == 0 {
			note := []byte("not a dump")
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: "README", Mode: 0o644, Size: int64(len(note)), Typeflag: tar.TypeReg}))
			_, err = tw.Write(note)
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	f, err := os.Create(path)
	require.NoError(t, err)
	zw, err := zstd.NewWriter(f)
	require.NoError(t, err)
	_, err = zw.Write(tb.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
}

// A node scanned in a child is the node scanned here, whether the child
// opens its input (a file) or is streamed it (members of a compressed
// archive, read once by the parent).
func TestNodesIsolatedEqualsInProcess(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "sample.tar.zst")
	writeArchive(t, archive)
	for _, arg := range []string{sampleDir, archive} {
		t.Run(filepath.Base(arg), func(t *testing.T) {
			inputs, err := parse.Expand([]string{arg}, nil)
			require.NoError(t, err)
			require.Len(t, inputs, 3)
			cfg := Config{Jobs: 2, Profile: fixedNow()}
			var done []int
			cfg.Done = func(i int, err error) {
				assert.NoError(t, err)
				done = append(done, i) // Jobs 2, but an archive's members go one by one
			}
			here := Nodes(context.Background(), inputs, cfg)
			cfg.Isolate = true
			done = nil
			if arg != archive {
				cfg.Jobs, cfg.Done = 1, nil
			}
			there := Nodes(context.Background(), inputs, cfg)
			if arg == archive {
				assert.Equal(t, []int{0, 1, 2}, done, "archive order")
			}
			for i := range inputs {
				assert.True(t, here[i].Complete, here[i].Error)
				assert.Equal(t, inputs[i].Name, here[i].Name)
				assert.Equal(t, nodeJSON(t, here[i]), nodeJSON(t, there[i]))
			}
		})
	}
}

// A compressed archive that breaks in the middle gives the same error in
// a child, which reads the archive through the parent, as here.
func TestNodesCorruptArchive(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar.zst")
	writeArchive(t, good)
	inputs, err := parse.Expand([]string{good}, nil)
	require.NoError(t, err)
	raw, err := os.ReadFile(good)
	require.NoError(t, err)
	other := filepath.Join(dir, "other.tar.zst")
	writeArchive(t, other, "node-7200.rdb")
	fewer, err := os.ReadFile(other)
	require.NoError(t, err)
	for _, c := range []struct {
		name  string
		bytes []byte
	}{
		{"cut", raw[:len(raw)*2/3]},
		{"members gone", fewer},
		{"corrupt", func() []byte {
			b := bytes.Clone(raw)
			for i := len(b) / 2; i < len(b)/2+64; i++ {
				b[i] ^= 0x5a
			}
			return b
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The archive changes after it was listed, as a file being
			// copied in would.
			require.NoError(t, os.WriteFile(good, c.bytes, 0o644))
			cfg := Config{Jobs: 1, Profile: fixedNow()}
			here := Nodes(context.Background(), inputs, cfg)
			cfg.Isolate = true
			there := Nodes(context.Background(), inputs, cfg)
			failed := 0
			for i := range inputs {
				if !here[i].Complete {
					failed++
					assert.Contains(t, here[i].Error, good)
				}
				assert.Equal(t, nodeJSON(t, here[i]), nodeJSON(t, there[i]))
			}
			assert.Positive(t, failed)
		})
	}
}

// A child that dies costs its node only: the node is incomplete, says why,
// and keeps the keys received.
func TestRunChildDies(t *testing.T) {
	t.Setenv(crashEnv, "1")
	in := parse.Ref{Path: filepath.Join(sampleDir, "node-7201.rdb")}.Input("n")
	c := scan.NewCollector(in, aggregate.DefaultOptions(), nil, nil)
	err := Run(context.Background(), in, scan.Options{}, 0, c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "parser process died (exit status 2): panic: test crash")
	n := c.Node(err)
	assert.False(t, n.Complete)
	assert.Equal(t, int64(1), n.Keys)
	assert.Equal(t, "redis-7.0", n.Model)
}

// A child is handed its input, and a canceled run does not start one.
func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := parse.Ref{Path: filepath.Join(sampleDir, "node-7201.rdb")}.Input("n")
	err := Run(ctx, in, scan.Options{}, 0, scan.NewCollector(in, aggregate.DefaultOptions(), nil, nil))
	assert.Error(t, err)
}

func TestUnits(t *testing.T) {
	in := func(path, member string, off int64) parse.Input {
		return parse.Ref{Path: path, Member: member, Offset: off}.Input(path + member)
	}
	inputs := []parse.Input{
		in("a.rdb", "", 0),
		in("b.tar.gz", "x", 0),
		in("c.tar", "y", 512),
		in("b.tar.gz", "z", 0),
		in("-", "", 0),
	}
	assert.Equal(t, [][]int{{0}, {1, 3}, {2}, {4}}, units(inputs))
}

func TestShareOfCores(t *testing.T) {
	for _, c := range []struct{ cores, jobs, units, want int }{
		{2, 2, 1, 2},   // one dump: every core
		{2, 2, 2, 1},   // two dumps side by side: one each
		{16, 4, 32, 4}, // four at a time
		{2, 8, 32, 1},  // never below one
		{8, 0, 0, 8},   // nothing to share with
	} {
		assert.Equal(t, c.want, shareOfCores(c.cores, c.jobs, c.units), "%+v", c)
	}
}
