package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/rdbscope/rdbscope/aggregate"
)

// TextOptions tune the terminal summary.
type TextOptions struct {
	// TopKeys is how many of the biggest keys to list (default 10).
	TopKeys int
	// Outputs names files the run wrote, e.g. {"html": "report.html"}, so
	// the summary can say where they went.
	Outputs map[string]string
}

// maxKeyDisplay bounds how much of a key name the terminal shows.
const maxKeyDisplay = 72

// Text writes the terminal summary: findings first, then one row per node
// and a cluster total, then the biggest keys and the split by type.
func Text(w io.Writer, r *aggregate.Report, opts TextOptions) error {
	if opts.TopKeys <= 0 {
		opts.TopKeys = 10
	}
	ew := &errWriter{w: w}
	textFindings(ew, r.Findings)
	textNodes(ew, r)
	textModels(ew, r)
	all := clusterOf(r)
	if all != nil {
		textTopKeys(ew, all, r.Nodes, opts.TopKeys, len(r.Nodes) > 1)
		textFamilies(ew, all, opts.TopKeys)
		textTypes(ew, all)
	}
	textFailures(ew, r)
	if len(opts.Outputs) > 0 {
		fmt.Fprintln(ew)
		for _, k := range sortedStrings(opts.Outputs) {
			fmt.Fprintf(ew, "%s written to %s\n", k, opts.Outputs[k])
		}
	}
	return ew.err
}

// clusterOf returns the profile that covers every node.
func clusterOf(r *aggregate.Report) *aggregate.Node {
	if r.Cluster != nil {
		return r.Cluster
	}
	if len(r.Nodes) == 1 {
		return r.Nodes[0]
	}
	return nil
}

func textFindings(w io.Writer, fs []aggregate.Finding) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(w, "FINDINGS (%d)\n", len(fs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range fs {
		about := f.Family
		if f.Key != "" {
			about = displayInfoKey(aggregate.KeyInfo{Key: f.Key, KeyLen: f.KeyLen})
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", strings.ToUpper(f.Severity.String()), displayKey(f.Node), f.Kind, aggregate.CleanText(about), aggregate.CleanText(f.Title))
	}
	tw.Flush()
	// The most severe finding gets its explanation in full: it is what the
	// on-call engineer needs first.
	top := fs[0]
	if top.Explanation != "" {
		fmt.Fprintf(w, "\n  %s\n", wrap(aggregate.CleanText(top.Explanation), 100, "  "))
	}
	if top.Advice != "" {
		fmt.Fprintf(w, "  %s\n", wrap("What to do: "+aggregate.CleanText(top.Advice), 100, "  "))
	}
	fmt.Fprintln(w)
}

func textNodes(w io.Writer, r *aggregate.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "NODE\tKEYS\tMEMORY\tEST. USED\tUSED-MEM (DUMP)\tTOP TYPE\tNO-TTL MEMORY\tRDB\tCHECKSUM\tSTATUS\t")
	row := func(n *aggregate.Node, status, checksum string) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			displayKey(n.Name), n.Keys, textBytes(n.Memory), textBytes(n.EstimatedUsedMemory), orDash(n.UsedMem),
			topType(n), Percent(n.TTL.Without.Memory, n.Memory), textBytes(n.RDBBytes), checksum, status)
	}
	for _, n := range r.Nodes {
		status := "ok"
		if !n.Complete {
			status = "INCOMPLETE"
		}
		checksum := "-"
		if n.Source != nil && n.Source.Checksum != "" {
			checksum = n.Source.Checksum
		}
		row(n, status, checksum)
	}
	if r.Cluster != nil {
		status := "ok"
		if !r.Cluster.Complete {
			status = "INCOMPLETE"
		}
		row(&aggregate.Node{
			Name: "TOTAL", Keys: r.Cluster.Keys, Memory: r.Cluster.Memory,
			EstimatedUsedMemory: r.Cluster.EstimatedUsedMemory, UsedMem: r.Cluster.UsedMem,
			ByType: r.Cluster.ByType, TTL: r.Cluster.TTL, RDBBytes: r.Cluster.RDBBytes,
		}, status, "")
	}
	tw.Flush()
}

// textModels says which memory model each node's figures come from, and
// how it was chosen (version fallback, cluster mode), one line per
// distinct choice.
func textModels(w io.Writer, r *aggregate.Report) {
	type choice struct{ model, note string }
	var order []choice
	nodes := map[choice][]string{}
	for _, n := range r.Nodes {
		if n.Model == "" {
			continue
		}
		c := choice{n.Model, n.ModelNote}
		if _, ok := nodes[c]; !ok {
			order = append(order, c)
		}
		nodes[c] = append(nodes[c], displayKey(n.Name))
	}
	for _, c := range order {
		line := "memory model " + c.model
		if c.note != "" {
			line += ": " + aggregate.CleanText(c.note)
		}
		if len(order) > 1 {
			line += " (" + strings.Join(nodes[c], ", ") + ")"
		}
		fmt.Fprintf(w, "  %s\n", line)
	}
}

func textFailures(w io.Writer, r *aggregate.Report) {
	var bad []*aggregate.Node
	for _, n := range r.Nodes {
		if !n.Complete || len(n.Warnings) > 0 {
			bad = append(bad, n)
		}
	}
	if len(bad) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, n := range bad {
		if !n.Complete {
			fmt.Fprintf(w, "INCOMPLETE %s: %s (figures cover the keys before the failure)\n", displayKey(n.Name), aggregate.CleanText(n.Error))
		}
		for _, warn := range n.Warnings {
			fmt.Fprintf(w, "warning %s: %s\n", displayKey(n.Name), aggregate.CleanText(warn))
		}
	}
}

// refOf is the time a key's TTL is shown from: its own node's snapshot
// time, even in the cluster-wide list.
func refOf(k aggregate.KeyInfo, ref int64, nodeRef map[string]int64) int64 {
	if r, ok := nodeRef[k.Node]; ok && r != 0 {
		return r
	}
	return ref
}

func shareBase(k aggregate.KeyInfo, n *aggregate.Node, nodeMem map[string]int64) int64 {
	if m, ok := nodeMem[k.Node]; ok {
		return m
	}
	return n.Memory
}

func textTopKeys(w io.Writer, n *aggregate.Node, nodes []*aggregate.Node, limit int, withNode bool) {
	if len(n.TopKeys) == 0 {
		return
	}
	fmt.Fprintf(w, "\nBIGGEST KEYS\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if withNode {
		fmt.Fprint(tw, "  NODE\t")
	} else {
		fmt.Fprint(tw, "  ")
	}
	fmt.Fprintln(tw, "DB\tKEY\tTYPE\tENCODING\tMEMORY\tOF NODE\tELEMENTS\tTTL")
	ref := n.ExpiryReference
	// A key's share is of its own node: "this hash is 98% of node-7202"
	// is the figure that matters, even in the cluster-wide list.
	nodeMem := map[string]int64{}
	nodeRef := map[string]int64{}
	for _, nd := range nodes {
		nodeMem[nd.Name] = nd.Memory
		nodeRef[nd.Name] = nd.ExpiryReference
	}
	for i, k := range n.TopKeys {
		if i == limit {
			break
		}
		if withNode {
			fmt.Fprintf(tw, "  %s\t", displayKey(k.Node))
		} else {
			fmt.Fprint(tw, "  ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", k.DB, displayInfoKey(k), k.Type, k.Encoding,
			textBytes(k.Memory), Percent(k.Memory, shareBase(k, n, nodeMem)), k.Elements, ttlText(int64(k.ExpiresAt), refOf(k, ref, nodeRef)))
	}
	tw.Flush()
}

// textFamilies lists the key families holding the most memory: what
// people name in a postmortem ("user:*:reminded"), where top keys show
// only single keys.
func textFamilies(w io.Writer, n *aggregate.Node, limit int) {
	if n.Families == nil || len(n.Families.Entries) == 0 {
		return
	}
	fmt.Fprintf(w, "\nBIGGEST KEY FAMILIES\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  FAMILY\tKEYS\tMEMORY\tSHARE\tWITHOUT TTL\tMOSTLY\tBIGGEST KEY")
	for i, g := range n.Families.Entries {
		if i == limit {
			break
		}
		biggest := "-"
		if g.Biggest != nil {
			biggest = displayInfoKey(*g.Biggest) + " (" + textBytes(g.Biggest.Memory) + ")"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\n", displayKey(string(g.Name)), g.Keys, textBytes(g.Memory),
			Percent(g.Memory, n.Memory), Percent(g.NoTTL.Memory, g.Memory), mostlyType(g.ByType), biggest)
	}
	if o := n.Families.Other; o.Keys > 0 {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t\t\n", aggregate.OtherGroup, o.Keys, textBytes(o.Memory),
			Percent(o.Memory, n.Memory), Percent(o.NoTTL.Memory, o.Memory))
	}
	tw.Flush()
}

// mostlyType names the type holding most of a group's memory.
func mostlyType(by map[string]aggregate.KeysMemory) string {
	best, mem := "-", int64(-1)
	for _, t := range sortedStrings(by) {
		if by[t].Memory > mem {
			best, mem = t, by[t].Memory
		}
	}
	return best
}

func textTypes(w io.Writer, n *aggregate.Node) {
	if len(n.ByType) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMEMORY BY TYPE\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  TYPE\tKEYS\tMEMORY\tSHARE\tELEMENTS\t")
	types := sortedStrings(n.ByType)
	sort.SliceStable(types, func(i, j int) bool { return n.ByType[types[i]].Memory > n.ByType[types[j]].Memory })
	for _, t := range types {
		s := n.ByType[t]
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%d\t\n", t, s.Keys, textBytes(s.Memory), Percent(s.Memory, n.Memory), s.Elements)
	}
	tw.Flush()
}

// topType names the type using most of a node's memory, with its share:
// the "hash 99%" view in one cell.
func topType(n *aggregate.Node) string {
	best, bestMem := "", int64(-1)
	for _, t := range sortedStrings(n.ByType) {
		if m := n.ByType[t].Memory; m > bestMem {
			best, bestMem = t, m
		}
	}
	if best == "" {
		return "-"
	}
	return best + " " + Percent(bestMem, n.Memory)
}

func ttlText(expiresAt, refSec int64) string {
	if expiresAt == 0 {
		return "none"
	}
	// Float hours: a time.Duration overflows for far-future expiries.
	h := float64(expiresAt-refSec*1000) / 3.6e6
	switch {
	case h <= 0:
		return "expired"
	case h < 1:
		return fmt.Sprintf("%dm", int(h*60))
	case h < 48:
		return fmt.Sprintf("%.1fh", h)
	default:
		return fmt.Sprintf("%.1fd", h/24)
	}
}

func orDash(n int64) string {
	if n == 0 {
		return "-"
	}
	return textBytes(n)
}

// displayInfoKey is displayKey for a key of a profile, which may hold only
// the first bytes of a very long name (KeyLen).
func displayInfoKey(k aggregate.KeyInfo) string {
	if k.KeyLen == 0 {
		return displayKey(string(k.Key))
	}
	c, _ := aggregate.CutEscaped(aggregate.EscapeKey(string(k.Key)), maxKeyDisplay-1)
	return fmt.Sprintf("%s…(%d bytes)", c, k.KeyLen)
}

// displayKey makes a key safe for a terminal (no escape sequences reach it)
// and short enough for a table.
func displayKey(k string) string {
	s := aggregate.EscapeKey(k)
	if c, cut := aggregate.CutEscaped(s, maxKeyDisplay-1); cut {
		s = fmt.Sprintf("%s…(%d bytes)", c, len(k))
	}
	return s
}

func wrap(s string, width int, indent string) string {
	words := strings.Fields(s)
	var b strings.Builder
	line := 0
	for i, w := range words {
		if i > 0 {
			if line+1+len(w) > width {
				b.WriteString("\n" + indent)
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

func sortedStrings[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// errWriter remembers the first write error so that the views can write
// freely and report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, nil
}
