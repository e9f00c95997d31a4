package trend

import (
	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/history"
)

// missing is the missing-node findings of the latest night (see
// diagnose.MissingNodes), when Options.Config says what the cluster
// holds: with CLUSTER NODES, the masters and slots none of the night's
// nodes stands for; with ExpectNodes, fewer nodes than that. A forecast
// over part of a cluster looks calm precisely where the missing dump —
// most often the biggest, whose worker died — would not be.
//
// A node stands for the slots of the master its identity names in
// CLUSTER NODES, else for the slots it recorded (its master's when the
// night was recorded with CLUSTER NODES; else the runs of slots its keys
// held, which may extend over a missing neighbour's).
func missing(last *history.Snapshot, c *aggregate.Config) []aggregate.Finding {
	if c == nil || c.Cluster == nil && c.ExpectNodes == 0 {
		return nil
	}
	masters := map[string][][2]int{}
	for _, e := range c.Cluster {
		if e.Master == "" || e.Master == "-" {
			masters[e.ID] = e.Slots
		}
	}
	counted := 0
	var held [][2]int
	for i := range last.Nodes {
		n := &last.Nodes[i]
		if n.Outsider != "" {
			continue
		}
		counted++
		if s, ok := masters[n.Identity]; ok && n.Identity != "" {
			held = append(held, s...)
		} else {
			held = append(held, parseRanges(n.Slots)...)
		}
	}
	var gaps []aggregate.Gap
	if c.Cluster != nil {
		gaps = aggregate.Uncovered(c.Cluster, held)
	}
	return diagnose.MissingNodes(gaps, counted, c.ExpectNodes)
}
