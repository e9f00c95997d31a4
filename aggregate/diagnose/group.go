package diagnose

import (
	"slices"

	"github.com/rdbscope/rdbscope/aggregate"
)

// KindGroup is the findings of one kind: what a view of hundreds of
// nodes shows as one line ("ttl-starvation on 9 nodes"), to be expanded
// on demand.
type KindGroup struct {
	Kind string
	// Severity is the most severe of the group's findings, and Counts
	// how many findings have each severity (indexed by Severity).
	Severity aggregate.Severity
	Counts   [aggregate.SeverityCritical + 1]int
	// Nodes is how many distinct nodes the findings are about (a finding
	// about no node in particular counts as none).
	Nodes int
	// Memory is the sum of the findings' memory.
	Memory int64
	// Findings are the group's findings in Sort order.
	Findings []aggregate.Finding
}

// GroupByKind groups findings by kind. Groups come in the order of their
// most important finding under Sort, so the first group holds the first
// finding; fs itself is not reordered.
func GroupByKind(fs []aggregate.Finding) []KindGroup {
	sorted := slices.Clone(fs)
	Sort(sorted)
	var out []KindGroup
	index := map[string]int{}
	nodes := map[string]map[string]bool{}
	for _, f := range sorted {
		i, ok := index[f.Kind]
		if !ok {
			i = len(out)
			index[f.Kind] = i
			out = append(out, KindGroup{Kind: f.Kind, Severity: f.Severity})
			nodes[f.Kind] = map[string]bool{}
		}
		g := &out[i]
		if int(f.Severity) < len(g.Counts) {
			g.Counts[f.Severity]++
		}
		g.Memory += f.Memory
		g.Findings = append(g.Findings, f)
		if f.Node != "" && !nodes[f.Kind][f.Node] {
			nodes[f.Kind][f.Node] = true
			g.Nodes++
		}
	}
	return out
}

// AtLeast returns the findings of severity min or more, in their order
// (what --min-severity shows); a zero min keeps them all.
func AtLeast(fs []aggregate.Finding, min aggregate.Severity) []aggregate.Finding {
	out := make([]aggregate.Finding, 0, len(fs))
	for _, f := range fs {
		if f.Severity >= min {
			out = append(out, f)
		}
	}
	return out
}
