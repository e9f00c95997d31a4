package aggregate

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeReportRoundTrip(t *testing.T) {
	b := NewBuilder("node-a", DefaultOptions())
	b.Add(&Key{Key: "user:1", Type: "hash", Encoding: "listpack", Memory: 100, Elements: 2, ExpiresAt: 1_900_000_000_000})
	b.Add(&Key{Key: "\xff\x00raw", Type: "string", Encoding: "raw", Memory: 50})
	n := b.Node()
	n.Complete, n.ErrorOffset = true, -1
	in := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "rdbscope"}, Nodes: []*Node{n},
		Findings: []Finding{{Kind: "big-key", Severity: SeverityWarning, Node: "node-a", Key: "\xff\x00raw",
			Figures: Figures{}.Bytes("memory", 50).Share("share", 1.0/3)}}}
	raw, err := json.Marshal(in)
	require.NoError(t, err)

	out, err := DecodeReport("p.json", bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, in.Nodes, out.Nodes)
	require.Len(t, out.Findings, 1)
	f := out.Findings[0]
	assert.Equal(t, SeverityWarning, f.Severity)
	assert.Equal(t, KeyName("\xff\x00raw"), f.Key, "keys come back byte for byte")
	assert.Equal(t, Figures{{"memory", 50, UnitNone}, {"share", 1.0 / 3, UnitNone}}, f.Figures, "figures come back without units")
	assert.Nil(t, out.Settings)
	again, err := json.Marshal(out)
	require.NoError(t, err)
	assert.Equal(t, string(raw), string(again), "what is read writes back the same")
}

func TestDecodeReportFillsNodes(t *testing.T) {
	out, err := DecodeReport("p.json", strings.NewReader(`{"schema_version": 1, "nodes": [
		{"name": "a", "by_type": {"hash": null}, "by_db": {"0": null}}]}`))
	require.NoError(t, err)
	n := out.Nodes[0]
	assert.NotNil(t, n.ByEncoding)
	assert.NotNil(t, n.TopByType)
	assert.NotNil(t, n.TopKeys)
	assert.Equal(t, &Stat{}, n.ByType["hash"])
	assert.Equal(t, &Stat{}, n.ByDB[0])
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDecodeReportRejects(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not JSON", "REDIS0011", "p.json: not an rdbscope JSON profile: "},
		{"a diff", `{"kind": "rdbscope-diff", "schema_version": 1}`, "p.json: is an rdbscope diff, not a profile"},
		{"no schema version", `{"nodes": []}`, "p.json: not an rdbscope JSON profile (no schema_version)"},
		{"newer", `{"schema_version": 2}`, "p.json: schema_version 2 is newer than this rdbscope understands (1); upgrade rdbscope"},
		{"zero", `{"schema_version": 0}`, "p.json: schema_version 0 is not a valid rdbscope schema version"},
		{"wrong type", `{"schema_version": 1, "nodes": [{"name": "a", "keys": "many"}]}`, "p.json: bad rdbscope profile: "},
		{"bad severity", `{"schema_version": 1, "findings": [{"severity": "severe"}]}`, `unknown severity "severe"`},
		{"bad key escape", `{"schema_version": 1, "nodes": [{"name": "a", "top_keys": [{"key": "\\xZZ"}]}]}`, "p.json: bad rdbscope profile: "},
		{"node without name", `{"schema_version": 1, "nodes": [{"keys": 1}]}`, "p.json: node 0 has no name"},
		{"null node", `{"schema_version": 1, "nodes": [null]}`, "p.json: node 0 has no name"},
		{"negative", `{"schema_version": 1, "nodes": [{"name": "a", "memory": -1}]}`, "p.json: node a: negative keys or memory"},
		{"merged", `{"schema_version": 1, "nodes": [{"name": "cluster", "nodes": ["a", "b"]}]}`, "p.json: node cluster: is a merged profile, not a node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeReport("p.json", strings.NewReader(tt.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := DecodeReport("p.json", failingReader{})
	assert.EqualError(t, err, "p.json: disk on fire")
}
