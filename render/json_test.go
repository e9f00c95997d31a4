package render

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

// encoded is the report as one json.Encoder call writes it: what JSON
// writes a part at a time.
func encoded(t *testing.T, r *aggregate.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(r))
	return b.Bytes()
}

func readReport(t *testing.T, path string) *aggregate.Report {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var in io.Reader = f
	if bytes.HasSuffix([]byte(path), []byte(".gz")) {
		z, err := gzip.NewReader(f)
		require.NoError(t, err)
		in = z
	}
	var r aggregate.Report
	require.NoError(t, json.NewDecoder(in).Decode(&r))
	return &r
}

// The streamed document is byte for byte the one encoding/json writes for
// the whole report, whatever the report holds.
func TestJSONStreamedAsEncoded(t *testing.T) {
	cases := map[string]*aggregate.Report{
		"sample":    readReport(t, "../testdata/golden/sample.json"),
		"incident":  readReport(t, "testdata/incident-redis-7.0.15.json.gz"),
		"night":     readReport(t, "../testdata/incident-nights/a.json"),
		"no nodes":  {SchemaVersion: 1},
		"empty":     {SchemaVersion: 1, Nodes: []*aggregate.Node{}, Findings: []aggregate.Finding{}},
		"nil node":  {Nodes: []*aggregate.Node{nil, {Name: "<a&b>"}}, Cluster: &aggregate.Node{Name: "c"}},
		"one empty": {Nodes: []*aggregate.Node{{}}},
		"filter":    {Nodes: []*aggregate.Node{{Name: "n"}}, Findings: []aggregate.Finding{}, Filter: &aggregate.KeyFilter{Match: []string{"feed:*"}}},
	}
	// The nodes share one encoder's buffer: a small node after a big one
	// must not keep the big one's tail.
	sample := readReport(t, "../testdata/golden/sample.json")
	cases["big then small"] = &aggregate.Report{Nodes: []*aggregate.Node{sample.Nodes[0], {Name: "small"}, nil, sample.Nodes[0]}}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			require.NoError(t, JSON(&got, r))
			assert.Equal(t, string(encoded(t, r)), got.String())
		})
	}
}

// shortWriter fails once n bytes are written.
type shortWriter struct{ n int }

func (f *shortWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}

// A failing writer's error is JSON's.
func TestJSONWriteError(t *testing.T) {
	r := readReport(t, "../testdata/golden/sample.json")
	assert.ErrorIs(t, JSON(&shortWriter{n: 100 << 10}, r), io.ErrShortWrite)
}
