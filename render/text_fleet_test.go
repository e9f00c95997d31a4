package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// At 300 nodes the terminal summary fits one screen of 80 columns: the
// findings one line per kind, the worst nodes with their fill, one line
// for the others, the total, in 80 columns up to the biggest keys.
func TestTextFleet(t *testing.T) {
	r := fleetReport(t, 300)
	var b bytes.Buffer
	require.NoError(t, Text(&b, r, TextOptions{TopKeys: 3}))
	out := b.String()
	// The biggest keys' table is as wide as their names.
	for _, line := range strings.Split(out[:strings.Index(out, "BIGGEST KEYS")], "\n") {
		assert.LessOrEqual(t, cols(line), DefaultWidth, "fits 80 columns: %q", line)
	}
	assert.Contains(t, out, "FINDINGS (")
	assert.Contains(t, out, "by kind)")
	assert.Regexp(t, `(?m)^  CRITICAL\s+big-hash\s+31 nodes\s+first: `, out)
	assert.Regexp(t, `(?m)^  WARNING\s+over-maxmemory\s+1 node\s`, out)
	assert.Contains(t, out, "NODES (10 of 300, worst first: finding, then fill)")
	nodes := out[strings.Index(out, "NODES ("):]
	lines := strings.Split(nodes, "\n")
	assert.Contains(t, lines[1], "FILL")
	assert.Regexp(t, `^\s*node-0123\s`, lines[2], "the fullest node with a critical finding comes first")
	assert.Contains(t, nodes, "… 290 more nodes:")
	assert.Regexp(t, `(?m)^\s+TOTAL\s`, nodes)
	head := out[:strings.Index(out, "BIGGEST KEYS")]
	assert.LessOrEqual(t, strings.Count(head, "\n"), 45, "findings and nodes fit a screen:\n%s", head)
}

// With default options the whole summary of 300 nodes fits a 50-row
// screen: five biggest keys and families, not ten.
func TestTextFleetFitsScreen(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Text(&b, fleetReport(t, 300), TextOptions{}))
	assert.LessOrEqual(t, strings.Count(b.String(), "\n"), 50, b.String())
	keys := b.String()[strings.Index(b.String(), "BIGGEST KEYS"):]
	keys = keys[:strings.Index(keys, "\n\n")]
	assert.Equal(t, 1+1+fleetTopKeys, strings.Count(keys, "\n")+1, "heading, columns and five keys:\n%s", keys)
}

// A few nodes keep the full table, in input order.
func TestTextFewNodesKeepTable(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Text(&b, fleetReport(t, 5), TextOptions{}))
	assert.Contains(t, b.String(), "USED-MEM (DUMP)")
	assert.NotContains(t, b.String(), "worst first")
}
