package diagnose

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rdbscope/rdbscope/aggregate"
)

func TestGroupByKind(t *testing.T) {
	crit, warn, info := aggregate.SeverityCritical, aggregate.SeverityWarning, aggregate.SeverityInfo
	fs := []aggregate.Finding{
		{Kind: KindTTLStarvation, Severity: info, Node: "n1", Memory: 10},
		{Kind: KindTTLStarvation, Severity: info, Node: "n2", Memory: 20},
		{Kind: KindBigKey, Severity: warn, Node: "n1", Memory: 5},
		{Kind: KindBigKey, Severity: warn, Node: "n1", Memory: 7},
		{Kind: KindTTLStarvation, Severity: crit, Node: "n3", Memory: 1},
		{Kind: KindMissingNode, Severity: crit, Memory: 0},
		{Kind: KindMissingNode, Severity: crit, Node: "10.0.0.1:6379"},
	}
	orig := append([]aggregate.Finding(nil), fs...)
	gs := GroupByKind(fs)
	assert.Equal(t, orig, fs, "the input keeps its order")
	type row struct {
		kind        string
		sev         aggregate.Severity
		count       [4]int
		nodes       int
		memory      int64
		firstMemory int64
	}
	var got []row
	for _, g := range gs {
		got = append(got, row{g.Kind, g.Severity, g.Counts, g.Nodes, g.Memory, g.Findings[0].Memory})
	}
	assert.Equal(t, []row{
		{KindMissingNode, crit, [4]int{0, 0, 0, 2}, 1, 0, 0},
		{KindTTLStarvation, crit, [4]int{0, 2, 0, 1}, 3, 31, 1},
		{KindBigKey, warn, [4]int{0, 0, 2, 0}, 1, 12, 7},
	}, got)
	assert.Empty(t, GroupByKind(nil))
}

func TestAtLeast(t *testing.T) {
	fs := []aggregate.Finding{
		{Kind: "a", Severity: aggregate.SeverityCritical},
		{Kind: "b", Severity: aggregate.SeverityInfo},
		{Kind: "c", Severity: aggregate.SeverityWarning},
	}
	kindsOf := func(fs []aggregate.Finding) (out []string) {
		for _, f := range fs {
			out = append(out, f.Kind)
		}
		return out
	}
	assert.Equal(t, []string{"a", "b", "c"}, kindsOf(AtLeast(fs, 0)))
	assert.Equal(t, []string{"a", "b", "c"}, kindsOf(AtLeast(fs, aggregate.SeverityInfo)))
	assert.Equal(t, []string{"a", "c"}, kindsOf(AtLeast(fs, aggregate.SeverityWarning)))
	assert.Equal(t, []string{"a"}, kindsOf(AtLeast(fs, aggregate.SeverityCritical)))
	assert.NotNil(t, AtLeast(nil, aggregate.SeverityCritical))
}
