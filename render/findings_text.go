package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// groupFindingsAbove is how many findings a summary lists one by one; with
// more, it shows one line per kind (diagnose.GroupByKind), so that 300
// nodes' findings stay on one screen.
const groupFindingsAbove = 8

// groupFindings says whether findings are shown one line per kind: more
// than groupFindingsAbove of them, on more than one node. One node's
// findings stay listed, each naming its key.
func groupFindings(fs []aggregate.Finding) bool {
	if len(fs) <= groupFindingsAbove {
		return false
	}
	for _, f := range fs[1:] {
		if f.Node != fs[0].Node {
			return true
		}
	}
	return false
}

// textFindingSummary writes the findings at or above min: one row each
// when they are few, one row per kind when they are many, then the most
// severe one's explanation in full, and how many were hidden by min.
func textFindingSummary(w io.Writer, l textLayout, fs []aggregate.Finding, min aggregate.Severity) {
	shown := diagnose.AtLeast(fs, min)
	hidden := len(fs) - len(shown)
	if !groupFindings(shown) {
		textFindings(w, l, shown)
	} else {
		textFindingGroups(w, l, shown)
	}
	if hidden > 0 {
		writeParagraph(w, fmt.Sprintf("(%s below %s not shown: --min-severity info shows them)", plural(hidden, "finding"), min), l.width, "  ")
		fmt.Fprintln(w)
	}
}

// textFindingGroups writes one row per kind of finding: its most severe
// severity, how many nodes, the count per severity, and its first
// finding's title, wrapped under itself; then the first finding's
// explanation and advice.
func textFindingGroups(w io.Writer, l textLayout, fs []aggregate.Finding) {
	groups := diagnose.GroupByKind(fs)
	nodes := map[string]bool{}
	for _, f := range fs {
		if f.Node != "" {
			nodes[f.Node] = true
		}
	}
	fmt.Fprintf(w, "%s\n", l.p.heading(fmt.Sprintf("FINDINGS (%d on %s, by kind)", len(fs), plural(len(nodes), "node"))))
	var widths [3]int
	cells := make([][3]string, len(groups))
	for i, g := range groups {
		count := plural(g.Nodes, "node")
		if c := severityCounts(g); c != "" {
			count += " (" + c + ")"
		}
		cells[i] = [3]string{strings.ToUpper(g.Severity.String()), g.Kind, count}
		for j, c := range cells[i] {
			widths[j] = max(widths[j], cols(c))
		}
	}
	for i, g := range groups {
		first := g.Findings[0]
		title, _ := aggregate.CutEscaped(aggregate.CleanText(first.Title), maxKeyDisplay)
		if len(g.Findings) > 1 {
			title = "first: " + title
		}
		row := "  " + l.p.severity(g.Severity, pad(cells[i][0], widths[0])) + "  " + pad(cells[i][1], widths[1]) + "  " + pad(cells[i][2], widths[2]) + "  "
		rest := strings.Repeat(" ", 2+widths[0]+2+widths[1]+2+widths[2]+2)
		if l.width-cols(rest) < minProse {
			rest = strings.Repeat(" ", 2+widths[0]+2)
		}
		writeHanging(w, row, title, l.width, rest)
	}
	textExplain(w, l, fs[0])
}

// severityCounts writes a group's counts by severity, most severe first:
// "1 critical, 8 info"; nothing when they all have one severity, which the
// group's severity already says.
func severityCounts(g diagnose.KindGroup) string {
	var parts []string
	for s := aggregate.SeverityCritical; s >= aggregate.SeverityInfo; s-- {
		if c := g.Counts[s]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, s))
		}
	}
	if len(parts) < 2 {
		return ""
	}
	return strings.Join(parts, ", ")
}
