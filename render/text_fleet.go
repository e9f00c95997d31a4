package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/rdbscope/rdbscope/aggregate"
)

// The terminal summary of a fleet (more than fleetNodes nodes): the
// nodes to look at first, in a table that fits 80 columns, and one line
// for the others. The JSON, HTML and CSV views have every node.

// fleetNodes is how many nodes the summary lists one by one, in the
// wide table; with more, it shows the fleet table of the worst
// fleetRows.
const (
	fleetNodes = 12
	fleetRows  = 10
)

// fleetTopKeys bounds the biggest keys and families a fleet's summary
// lists.
const fleetTopKeys = 5

// textFleetNodes writes the worst fleetRows nodes (most severe finding,
// then the fullest, then the biggest), a line summing up the others, and
// the total.
func textFleetNodes(w io.Writer, l textLayout, r *aggregate.Report) {
	worst := map[string]aggregate.Severity{}
	for _, f := range r.Findings {
		worst[f.Node] = max(worst[f.Node], f.Severity)
	}
	fill := func(n *aggregate.Node) float64 {
		mm := r.Settings.MaxmemoryOf(n.Name)
		if mm <= 0 {
			return 0
		}
		return float64(aggregate.UsedMemory(n)) / float64(mm)
	}
	nodes := append([]*aggregate.Node(nil), r.Nodes...)
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := nodes[i], nodes[j]
		if a.Complete != b.Complete {
			return !a.Complete
		}
		if sa, sb := worst[a.Name], worst[b.Name]; sa != sb {
			return sa > sb
		}
		if fa, fb := fill(a), fill(b); fa != fb {
			return fa > fb
		}
		if ua, ub := aggregate.UsedMemory(a), aggregate.UsedMemory(b); ua != ub {
			return ua > ub
		}
		return a.Name < b.Name
	})
	withFill := false
	for _, n := range nodes {
		withFill = withFill || r.Settings.MaxmemoryOf(n.Name) > 0
	}
	shown, rest := nodes, []*aggregate.Node(nil)
	if len(nodes) > fleetRows+1 {
		shown, rest = nodes[:fleetRows], nodes[fleetRows:]
	}
	order := "worst first: finding, then used memory"
	if withFill {
		order = "worst first: finding, then fill"
	}
	fmt.Fprintln(w, l.p.heading(fmt.Sprintf("NODES (%d of %d, %s)", len(shown), len(nodes), order)))
	var buf strings.Builder
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "NODE\tKEYS\tUSED\t"
	if withFill {
		head += "MAXMEM\tFILL\t"
	}
	fmt.Fprintln(tw, head+"NO-TTL\tTOP TYPE\tFINDING\tSTATUS\t")
	row := func(n *aggregate.Node, finding, status string) {
		cells := []string{displayKey(n.Name), fmt.Sprint(n.Keys), textBytes(aggregate.UsedMemory(n))}
		if withFill {
			mm := r.Settings.MaxmemoryOf(n.Name)
			f := "-"
			if mm > 0 {
				f = fmt.Sprintf("%.1f%%", fill(n)*100)
			}
			cells = append(cells, orDash(mm), f)
		}
		cells = append(cells, Percent(n.TTL.Without.Memory, n.Memory), topType(n), finding, status)
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	for _, n := range shown {
		status := "ok"
		if !n.Complete {
			status = "INCOMPLETE"
		}
		finding := "-"
		if s, ok := worst[n.Name]; ok {
			finding = strings.ToLower(s.String())
		}
		row(n, finding, status)
	}
	if c := r.Cluster; c != nil {
		status := "ok"
		if !c.Complete {
			status = "INCOMPLETE"
		}
		fmt.Fprintf(tw, "TOTAL\t%d\t%s\t", c.Keys, textBytes(aggregate.UsedMemory(c)))
		if withFill {
			fmt.Fprint(tw, "\t\t")
		}
		fmt.Fprintf(tw, "%s\t\t\t%s\t\n", Percent(c.TTL.Without.Memory, c.Memory), status)
	}
	tw.Flush()
	table := buf.String()
	if len(rest) > 0 {
		// The others' line goes above the total.
		i := strings.LastIndex(strings.TrimSuffix(table, "\n"), "\n") + 1
		if r.Cluster == nil {
			i = len(table)
		}
		var others strings.Builder
		writeHanging(&others, "  … ", fleetOthers(rest, fill, withFill, worst), l.width, "    ")
		table = table[:i] + others.String() + table[i:]
	}
	for _, line := range strings.SplitAfter(table, "\n") {
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \n"), "INCOMPLETE"); ok && l.p.on {
			line = body + l.p.bad("INCOMPLETE") + "\n"
		}
		io.WriteString(w, line)
	}
}

// fleetOthers sums up the nodes without a row: how many, their used
// memory, the fullest, and how many have findings.
func fleetOthers(rest []*aggregate.Node, fill func(*aggregate.Node) float64, withFill bool, worst map[string]aggregate.Severity) string {
	var used int64
	maxFill, flagged := 0.0, 0
	for _, n := range rest {
		used += aggregate.UsedMemory(n)
		maxFill = max(maxFill, fill(n))
		if _, ok := worst[n.Name]; ok {
			flagged++
		}
	}
	s := fmt.Sprintf("%d more %s: %s used", len(rest), pluralWord(len(rest), "node"), textBytes(used))
	if withFill {
		s += fmt.Sprintf(", fill up to %.1f%%", maxFill*100)
	}
	if flagged > 0 {
		s += fmt.Sprintf(", %d with findings", flagged)
	}
	return s + " (every node: --json, --html, --markdown)"
}
