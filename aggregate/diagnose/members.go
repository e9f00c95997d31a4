package diagnose

import (
	"fmt"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
)

// membership turns how the dumps make up the cluster (aggregate.Arrange)
// into findings: masters and slots no dump holds, fewer nodes than
// expected, dumps that are not nodes of the cluster, and second dumps of
// one node.
func membership(l *aggregate.Layout, counted int, r *Rules) []aggregate.Finding {
	out := MissingNodes(l.Uncovered, counted, r.ExpectNodes)
	for i := range l.Members {
		m := &l.Members[i]
		switch m.Outsider {
		case aggregate.OutsiderAOFBase:
			out = append(out, aggregate.Finding{Kind: KindForeignNode, Severity: aggregate.SeverityWarning, Node: m.Node,
				Figures: aggregate.Figures{}.Count("keys", m.Keys),
				Title:   fmt.Sprintf("%s is an AOF base, not a snapshot of a node", m.Node),
				Explanation: fmt.Sprintf("%s is the base RDB of an append-only file: a node's data as of its last AOF rewrite, without "+
					"the writes logged since. It is not counted as a node of the cluster, and the cluster totals leave it out: beside "+
					"the node's own dump it would count the same data twice, and alone it is older than it looks.", m.Node),
				Advice: "Leave AOF bases out of the run (analyze the nodes' RDB snapshots), or analyze the AOF base on its own.",
			})
		case aggregate.OutsiderSpread:
			out = append(out, aggregate.Finding{Kind: KindForeignNode, Severity: aggregate.SeverityWarning, Node: m.Node,
				Figures: aggregate.Figures{}.Count("keys", m.Keys),
				Title:   fmt.Sprintf("%s does not look like a node of this cluster", m.Node),
				Explanation: fmt.Sprintf("The %s of %s fall in the slots of several nodes of the cluster rather than in one node's: "+
					"it is most likely a standalone server's dump, or another cluster's. It is not counted as a node of the cluster "+
					"(node count, skew), and the cluster totals leave it out; its own figures are still shown and judged.", plural(m.Keys, "key"), m.Node),
				Advice: "Analyze standalone servers and other clusters in runs of their own; if it is a node of this cluster, " +
					"check its slots with CLUSTER NODES (--cluster-nodes).",
			})
		case aggregate.OutsiderDuplicate:
			out = append(out, aggregate.Finding{Kind: KindDuplicateNode, Severity: aggregate.SeverityWarning, Node: m.Node,
				Figures: aggregate.Figures{}.Count("keys", m.Keys),
				Title:   fmt.Sprintf("%s holds the same slots as %s", m.Node, m.Twin),
				Explanation: fmt.Sprintf("The keys of %s are in the slots %s holds: it is a replica's dump beside its master's, or "+
					"the same node given twice. Only %s is counted as the node, and in the cluster totals; counting both would double its data.",
					m.Node, m.Twin, m.Twin),
				Advice: "Give one dump per master (or per replica, but not both).",
			})
		}
	}
	return out
}

// MissingNodes is the missing-node findings of a run whose counted
// dumps leave gaps in the cluster's slot space (aggregate.Layout's
// Uncovered: a master without a dump, slots no master serves), and, with
// expect > 0, the one saying fewer than expect dumps are nodes of the
// cluster. Diagnose makes them from a report; package trend from the
// latest of a cluster's nights.
func MissingNodes(gaps []aggregate.Gap, counted, expect int) []aggregate.Finding {
	var out []aggregate.Finding
	for i := range gaps {
		out = append(out, uncovered(&gaps[i]))
	}
	if expect > 0 && counted < expect {
		missing := int64(expect - counted)
		out = append(out, aggregate.Finding{Kind: KindMissingNode, Severity: aggregate.SeverityCritical,
			Figures: aggregate.Figures{}.Count("expected_nodes", int64(expect)).Count("nodes", int64(counted)).Count("missing_nodes", missing),
			Title:   fmt.Sprintf("%d of %d expected nodes have no dump", missing, expect),
			Explanation: fmt.Sprintf("The run was expected to cover %d nodes, but only %d dumps are nodes of the cluster. "+
				"The report leaves out the data of the missing %s, and the dump most likely to be missing is the biggest one "+
				"(its worker ran out of memory or time): the node holding the problem.", expect, counted, plural(missing, "node")),
			Advice: missingAdvice,
		})
	}
	return out
}

const missingAdvice = "Find why the dump is missing (the backup job's log, the worker's exit status: a worker killed for memory on " +
	"the biggest dump is the usual cause), and run again with it; until then the report is not the cluster's."

// uncovered is the finding about a part of the slot space no dump holds.
func uncovered(g *aggregate.Gap) aggregate.Finding {
	ranges := g.Ranges()
	shown := ranges
	if len(shown) > 10 {
		shown = append(shown[:10:10], fmt.Sprintf("… (%d ranges)", len(ranges)))
	}
	f := aggregate.Finding{Kind: KindMissingNode, Severity: aggregate.SeverityCritical,
		Figures: aggregate.Figures{}.Count("slots", int64(g.Count())), Advice: missingAdvice}
	if g.Master == nil {
		f.Title = fmt.Sprintf("%s served by no master", plural(int64(g.Count()), "slot"))
		f.Explanation = fmt.Sprintf("No master of the CLUSTER NODES file serves slots %s, so no dump can hold them: the cluster "+
			"was not fully covered when the file was taken (a failed node whose slots were not taken over), or the file is incomplete.",
			strings.Join(shown, ", "))
		f.Advice = "Check the cluster with redis-cli --cluster check and CLUSTER INFO (cluster_slots_assigned); take CLUSTER NODES again from a healthy node."
		return f
	}
	f.Node = nodeName(g.Master)
	f.Title = fmt.Sprintf("no dump of master %s (slots %s)", f.Node, strings.Join(shown, ", "))
	f.Explanation = fmt.Sprintf("CLUSTER NODES lists master %s (id %s) serving %s (%s), but none of the dumps holds them. "+
		"The report covers only part of the cluster's data, and the dump most likely to be missing is the biggest one "+
		"(its worker ran out of memory or time): the node holding the problem.",
		f.Node, g.Master.ID, plural(int64(g.Count()), "slot"), strings.Join(shown, ", "))
	return f
}

// nodeName names a CLUSTER NODES entry the way people know it: its
// hostname, else its address.
func nodeName(c *aggregate.ClusterNode) string {
	if c.Hostname != "" {
		return c.Hostname
	}
	return c.Addr
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
