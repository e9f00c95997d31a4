package render

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// hostileReport builds a one-node report whose keys (and families, and
// findings) carry hostile names; the biggest key has a name of hugeLen
// bytes made of escape sequences.
func hostileReport(t *testing.T, nodeName string, hugeLen int) (*aggregate.Report, string) {
	t.Helper()
	huge := strings.Repeat("\x1b[2J", hugeLen/4)
	b := aggregate.NewBuilder(nodeName, aggregate.DefaultOptions())
	b.Add(&aggregate.Key{Key: huge, Type: "hash", Encoding: "hashtable", Memory: 50 << 20, RDBBytes: 70 << 20, Elements: 1000})
	for i, k := range hostileKeys() {
		b.Add(&aggregate.Key{DB: i % 2, Key: k, Type: "string", Encoding: "raw", Memory: int64(1000 + i), RDBBytes: 100, Elements: 1,
			ExpiresAt: int64(i%2) * 1 << 41})
		// and as the first segment of a family
		b.Add(&aggregate.Key{Key: k + ":1", Type: "set", Encoding: "listpack", Memory: 500, RDBBytes: 50, Elements: 3})
	}
	n := b.Node()
	n.Complete = false
	n.Error = "dump.rdb: at byte 12: truncated: ends at byte 12 without the EOF marker, inside the key"
	n.Warnings = []string{"key " + aggregate.EscapeKey("\x1b[31m") + " too large"}
	r := &aggregate.Report{SchemaVersion: aggregate.SchemaVersion, Nodes: []*aggregate.Node{n}}
	rules := diagnose.DefaultRules()
	r.Findings = diagnose.Diagnose(r, rules)
	return r, huge
}

func TestTextHostileNames(t *testing.T) {
	r, huge := hostileReport(t, "node-1", 64<<20)
	require.NotEmpty(t, r.Findings, "the 64 MiB-named hash is a finding")
	var out bytes.Buffer
	require.NoError(t, Text(&out, r, TextOptions{TopKeys: 100}))
	s := out.String()
	require.True(t, utf8.ValidString(s), "valid UTF-8")
	assertNoRawControls(t, s, "\n")
	assert.Less(t, len(s), 256<<10, "a 64 MiB name does not reach the terminal")
	assert.Contains(t, s, `\x1b[2J\x1b[2J`, "the long name is shown escaped")
	assert.Contains(t, s, "(67108864 bytes)", "and cut, with its length")
	for _, line := range strings.Split(s, "\n") {
		assert.Less(t, utf8.RuneCountInString(line), 400, "no line explodes: %.120q", line)
	}
	// Every key of the top list is shown in its escaped form (or the start of it).
	for _, k := range hostileKeys() {
		if k == "" {
			continue
		}
		e := aggregate.EscapeKey(k)
		if len(e) > maxKeyDisplay {
			e = e[:maxKeyDisplay/2]
		}
		assert.Contains(t, s, e, "key %q is listed escaped", k)
	}
	assert.NotContains(t, s, huge[:1000])
}

// TestTextHostileNodeName: node names come from file names, which can hold
// anything too.
func TestTextHostileNodeName(t *testing.T) {
	r, _ := hostileReport(t, "node-\x1b]8;;https://evil.example/\x1b\\x\u202e", 1000)
	if !strings.Contains(aggregate.EscapeKey(r.Nodes[0].Name), `\x1b`) {
		t.Fatal("test broken")
	}
	var out bytes.Buffer
	require.NoError(t, Text(&out, r, TextOptions{}))
	assertNoRawControls(t, out.String(), "\n")
}
