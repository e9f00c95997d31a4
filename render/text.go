package render

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
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
	// Width is how many columns prose is wrapped to (findings,
	// explanations, notes); 0 means DefaultWidth. Tables keep their
	// columns whole.
	Width int
	// Color paints severities and failures with ANSI colours; only for a
	// terminal that takes them (see internal/tty).
	Color bool
	// MinSeverity hides findings below it from the summary (0 shows
	// all), saying how many.
	MinSeverity aggregate.Severity
}

// textLayout is how a terminal view lays out its text.
type textLayout struct {
	width int
	p     painter
	// brief leaves out the explanation of the worst finding (textExplain)
	// where a summary must fit the terminal's height.
	brief bool
}

func (o TextOptions) layout() textLayout {
	w := o.Width
	if w <= 0 {
		w = DefaultWidth
	}
	return textLayout{width: w, p: painter{on: o.Color}}
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
	l := opts.layout()
	textFindingSummary(ew, l, r.Findings, opts.MinSeverity)
	if len(r.Nodes) > fleetNodes {
		textFleetNodes(ew, l, r)
	} else {
		textNodes(ew, l, r)
	}
	textModels(ew, l, r)
	all := clusterOf(r)
	if all != nil {
		top := opts.TopKeys
		if len(r.Nodes) > fleetNodes {
			// A fleet's summary must fit one screen: the full lists are
			// in --json, --html and --markdown.
			top = min(top, fleetTopKeys)
		}
		textTopKeys(ew, l, r, all, top)
		textFamilies(ew, l, all, top)
		textTypes(ew, l, all)
	}
	textFailures(ew, l, r)
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

// textFindings lists the findings, one row each (severity, node, kind,
// key or family, title), and explains the most severe in full. A title
// that does not fit beside its row is wrapped under itself, or under the
// row when the row leaves too little room.
func textFindings(w io.Writer, l textLayout, fs []aggregate.Finding) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(w, "%s\n", l.p.heading(fmt.Sprintf("FINDINGS (%d)", len(fs))))
	type row struct{ cells [4]string }
	rows := make([]row, len(fs))
	var widths [4]int
	for i, f := range fs {
		about := f.Family
		if f.Key != "" {
			about = displayInfoKey(aggregate.KeyInfo{Key: f.Key, KeyLen: f.KeyLen})
		}
		rows[i].cells = [4]string{strings.ToUpper(f.Severity.String()), displayKey(f.Node), f.Kind, aggregate.CleanText(about)}
		for j, c := range rows[i].cells {
			widths[j] = max(widths[j], cols(c))
		}
	}
	prefix := func(r row) string {
		var b strings.Builder
		b.WriteString("  ")
		for j, c := range r.cells {
			if widths[j] == 0 {
				continue
			}
			b.WriteString(pad(c, widths[j]) + "  ")
		}
		return b.String()
	}
	for i, f := range fs {
		first := prefix(rows[i])
		// The severity is the row's first cell: paint it in place.
		sev := rows[i].cells[0]
		first = "  " + l.p.severity(f.Severity, sev) + first[2+len(sev):]
		// Following lines start under the title, or under the node when
		// the title goes under the row.
		rest := strings.Repeat(" ", cols(prefix(rows[i])))
		if l.width-cols(rest) < minProse {
			rest = strings.Repeat(" ", 2+widths[0]+2)
		}
		writeHanging(w, first, aggregate.CleanText(f.Title), l.width, rest)
	}
	textExplain(w, l, fs[0])
}

// textExplain writes the explanation and advice of the most severe
// finding in full, after the list: it is what the on-call engineer needs
// first.
func textExplain(w io.Writer, l textLayout, top aggregate.Finding) {
	if l.brief {
		fmt.Fprintln(w)
		return
	}
	if top.Explanation != "" {
		fmt.Fprintln(w)
		writeParagraph(w, aggregate.CleanText(top.Explanation), l.width, "  ")
	}
	if top.Advice != "" {
		writeParagraph(w, "What to do: "+aggregate.CleanText(top.Advice), l.width, "  ")
	}
	fmt.Fprintln(w)
}

func textNodes(w io.Writer, l textLayout, r *aggregate.Report) {
	rows := [][]string{{"NODE", "KEYS", "MEMORY", "EST. USED", "USED-MEM (DUMP)", "TOP TYPE", "NO-TTL MEMORY", "RDB", "CHECKSUM", "STATUS"}}
	row := func(n *aggregate.Node, status, checksum string) {
		rows = append(rows, []string{displayKey(n.Name), strconv.FormatInt(n.Keys, 10), textBytes(n.Memory), textBytes(n.EstimatedUsedMemory), orDash(n.UsedMem),
			topType(n), Percent(n.TTL.Without.Memory, n.Memory), textBytes(n.RDBBytes), checksum, status})
	}
	checksums := map[string]bool{}
	allUsedMem := true
	for _, n := range r.Nodes {
		status := "ok"
		if !n.Complete {
			status = "INCOMPLETE"
		}
		checksum := "-"
		if n.Source != nil && n.Source.Checksum != "" {
			checksum = n.Source.Checksum
		}
		checksums[checksum] = true
		allUsedMem = allUsedMem && n.UsedMem > 0
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
	// Wider than the terminal, the table gives up what the JSON and HTML
	// still have: the checksum when every node's is the same (a mismatch
	// stays), the serialized size, then the estimate of used memory when
	// every dump recorded its own (else that record).
	var spare []string
	if len(checksums) == 1 {
		spare = append(spare, "CHECKSUM")
	}
	spare = append(spare, "RDB")
	if allUsedMem {
		spare = append(spare, "EST. USED")
	} else {
		spare = append(spare, "USED-MEM (DUMP)")
	}
	for _, col := range spare {
		if tableCols(rows) <= l.width {
			break
		}
		rows = dropColumn(rows, col)
	}
	var buf strings.Builder
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	// Paint a failed node's status, the row's last cell, once laid out.
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \n"), "INCOMPLETE"); ok && l.p.on {
			line = body + l.p.bad("INCOMPLETE") + "\n"
		}
		io.WriteString(w, line)
	}
}

// textModels says which memory model each node's figures come from, and
// how it was chosen (version fallback, cluster mode), one line per
// distinct choice.
func textModels(w io.Writer, l textLayout, r *aggregate.Report) {
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
		writeHanging(w, "  ", line, l.width, "    ")
	}
}

func textFailures(w io.Writer, l textLayout, r *aggregate.Report) {
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
			writeHanging(w, l.p.bad("INCOMPLETE")+" ", displayKey(n.Name)+": "+aggregate.CleanText(n.Error)+
				" (figures cover the keys before the failure)", l.width, "  ")
		}
		for _, warn := range n.Warnings {
			writeHanging(w, l.p.severity(aggregate.SeverityWarning, "warning")+" ", displayKey(n.Name)+": "+aggregate.CleanText(warn), l.width, "  ")
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

// textTopKeys lists the biggest keys of n (all nodes merged, or the one
// node), or with a filter the biggest it selects, after a note saying so.
func textTopKeys(w io.Writer, l textLayout, r *aggregate.Report, n *aggregate.Node, limit int) {
	nodes, withNode := r.Nodes, len(r.Nodes) > 1
	keys := topKeysOf(r, n)
	if len(keys) == 0 && r.Filter == nil {
		return
	}
	fmt.Fprintf(w, "\n%s\n", l.p.heading("BIGGEST KEYS"))
	if r.Filter != nil {
		writeParagraph(w, filterNote(r.Filter, n), l.width, "  ")
		if len(keys) == 0 {
			return
		}
	}
	header := []string{"DB", "KEY", "TYPE", "ENCODING", "MEMORY", "OF NODE", "ELEMENTS", "TTL"}
	if withNode {
		header = append([]string{"NODE"}, header...)
	}
	rows := [][]string{header}
	ref := n.ExpiryReference
	// A key's share is of its own node: "this hash is 98% of node-7202"
	// is the figure that matters, even in the cluster-wide list.
	nodeMem := map[string]int64{}
	nodeRef := map[string]int64{}
	for _, nd := range nodes {
		nodeMem[nd.Name] = nd.Memory
		nodeRef[nd.Name] = nd.ExpiryReference
	}
	dbs := map[int]bool{}
	for i, k := range keys {
		if i == limit {
			break
		}
		row := []string{strconv.Itoa(k.DB), displayInfoKey(k), k.Type, k.Encoding,
			textBytes(k.Memory), Percent(k.Memory, shareBase(k, n, nodeMem)), strconv.FormatInt(k.Elements, 10), ttlText(int64(k.ExpiresAt), refOf(k, ref, nodeRef))}
		if withNode {
			row = append([]string{displayKey(k.Node)}, row...)
		}
		rows = append(rows, row)
		dbs[k.DB] = true
	}
	// Wider than the terminal (node names beside long keys), the table
	// gives up what it can spare: the DB when every key is in one, then
	// the encoding.
	var spare []string
	if len(dbs) == 1 {
		spare = append(spare, "DB")
	}
	spare = append(spare, "ENCODING")
	for _, col := range spare {
		if tableCols(rows) <= l.width {
			break
		}
		rows = dropColumn(rows, col)
	}
	writeRows(w, rows)
}

// writeRows writes a table of left-aligned cells, indented by two, two
// spaces between columns.
func writeRows(w io.Writer, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintln(tw, "  "+strings.Join(row, "\t"))
	}
	tw.Flush()
}

// tableCols is how many columns rows take as textTopKeys writes them:
// an indent of two and two between cells.
func tableCols(rows [][]string) int {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], cols(c))
		}
	}
	total := 2
	for i, wd := range widths {
		if i > 0 {
			total += 2
		}
		total += wd
	}
	return total
}

// dropColumn removes the column headed name from rows.
func dropColumn(rows [][]string, name string) [][]string {
	at := slices.Index(rows[0], name)
	if at < 0 {
		return rows
	}
	for i, row := range rows {
		rows[i] = slices.Delete(row, at, at+1)
	}
	return rows
}

// textFamilies lists the key families holding the most memory: what
// people name in a postmortem ("user:*:reminded"), where top keys show
// only single keys.
func textFamilies(w io.Writer, l textLayout, n *aggregate.Node, limit int) {
	if n.Families == nil || len(n.Families.Entries) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", l.p.heading("BIGGEST KEY FAMILIES"))
	rows := [][]string{{"FAMILY", "KEYS", "MEMORY", "SHARE", "WITHOUT TTL", "MOSTLY", "BIGGEST KEY"}}
	for i, g := range n.Families.Entries {
		if i == limit {
			break
		}
		biggest := "-"
		if g.Biggest != nil {
			biggest = displayInfoKey(*g.Biggest) + " (" + textBytes(g.Biggest.Memory) + ")"
		}
		rows = append(rows, []string{displayKey(string(g.Name)), strconv.FormatInt(g.Keys, 10), textBytes(g.Memory),
			Percent(g.Memory, n.Memory), Percent(g.NoTTL.Memory, g.Memory), mostlyType(g.ByType), biggest})
	}
	if o := n.Families.Other; o.Keys > 0 {
		rows = append(rows, []string{aggregate.OtherGroup, strconv.FormatInt(o.Keys, 10), textBytes(o.Memory),
			Percent(o.Memory, n.Memory), Percent(o.NoTTL.Memory, o.Memory), "", ""})
	}
	// Wider than the terminal, the table gives up the biggest key (the
	// biggest keys' table names them), then the dominant type.
	for _, col := range []string{"BIGGEST KEY", "MOSTLY"} {
		if tableCols(rows) <= l.width {
			break
		}
		rows = dropColumn(rows, col)
	}
	writeRows(w, rows)
}

// mostlyType names the type holding most of a group's memory.
func mostlyType(by aggregate.TypeTotals) string {
	best, mem := "-", int64(-1)
	for _, t := range by {
		if t.Memory > mem || (t.Memory == mem && t.Type < best) {
			best, mem = t.Type, t.Memory
		}
	}
	return best
}

func textTypes(w io.Writer, l textLayout, n *aggregate.Node) {
	if len(n.ByType) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", l.p.heading("MEMORY BY TYPE"))
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
