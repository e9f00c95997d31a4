package render

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
)

// MarkdownOptions tune the Markdown summary.
type MarkdownOptions struct {
	// Title is the document's heading, e.g. "Checkout cache incident";
	// empty means "rdbscope report".
	Title string
	// TopKeys is how many of the biggest keys to list (default 10).
	TopKeys int
	// Families is how many of the biggest key families to list
	// (default 10).
	Families int
}

// Markdown writes the report as GitHub-flavoured Markdown, to paste into an
// incident document, a ticket or a chat: the headline and what the
// findings were judged on, the findings with their explanation and what
// to do, the nodes table, and the biggest keys and key families. It says
// what the HTML report says, in the same words and figures.
//
// Everything that comes from a dump or a file name is escaped: keys and
// family patterns are code spans (never emphasis, links or HTML), other
// text escapes every character Markdown gives a meaning, so that no name
// can break a table, start a block or pass raw HTML.
func Markdown(w io.Writer, r *aggregate.Report, o MarkdownOptions) error {
	if r == nil {
		return errors.New("render: no report")
	}
	if o.TopKeys <= 0 {
		o.TopKeys = 10
	}
	if o.Families <= 0 {
		o.Families = 10
	}
	heading := o.Title
	if heading == "" {
		heading = "rdbscope report"
	}
	nodes := make([]*aggregate.Node, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "# %s\n\n", mdText(htmlClean(heading)))
	if line, _ := htmlHeadline(heading, nodes, r.Findings); line != "" {
		fmt.Fprintf(ew, "**%s**\n\n", mdText(htmlClean(line)))
	}
	for _, f := range htmlFacts(r, nodes) {
		fmt.Fprintf(ew, "- **%s:** %s\n", mdText(f.Label), mdText(htmlClean(f.Value)))
	}
	for _, n := range nodes {
		if !n.Complete {
			fmt.Fprintf(ew, "- **Incomplete input:** %s: %s\n", mdText(htmlClean(n.Name)), mdText(htmlClean(n.Error)))
		}
		for _, warn := range n.Warnings {
			fmt.Fprintf(ew, "- **Warning:** %s: %s\n", mdText(htmlClean(n.Name)), mdText(htmlClean(warn)))
		}
	}
	fmt.Fprintln(ew)
	mdFindings(ew, r.Findings)
	if len(nodes) > 0 {
		mdNodes(ew, r, nodes)
	}
	if all := clusterOf(r); all != nil {
		mdTopKeys(ew, r, all, nodes, o.TopKeys)
		mdFamilies(ew, all, o.Families)
	}
	fmt.Fprintf(ew, "_%s_\n", mdText(htmlClean(htmlToolLine(r.Tool, r.SchemaVersion))))
	return ew.err
}

func mdFindings(w io.Writer, fs []aggregate.Finding) {
	fmt.Fprintf(w, "## Findings (%d)\n\n", len(fs))
	if len(fs) == 0 {
		fmt.Fprint(w, "No findings.\n\n")
		return
	}
	for i, f := range htmlFindingViews(fs) {
		fmt.Fprintf(w, "### %d. %s: %s\n\n", i+1, strings.ToUpper(f.Severity), mdText(f.Title))
		where := []string{"Node " + mdText(f.Node)}
		if f.Key != "" {
			where = append(where, "key "+mdCode(f.Key, false)+" (db "+mdText(f.DB)+")")
		}
		if f.Family != "" {
			where = append(where, "family "+mdCode(f.Family, false))
		}
		where = append(where, "kind "+mdCode(f.Kind, false))
		fmt.Fprintf(w, "%s\n\n", strings.Join(where, " · "))
		if len(f.Figures) > 0 {
			figs := make([]string, len(f.Figures))
			for j, fig := range f.Figures {
				figs[j] = mdText(fig.Label) + ": **" + mdText(fig.Value) + "**"
			}
			fmt.Fprintf(w, "%s\n\n", strings.Join(figs, " · "))
		}
		if f.Explanation != "" {
			fmt.Fprintf(w, "%s\n\n", mdText(f.Explanation))
		}
		if f.Advice != "" {
			fmt.Fprintf(w, "**What to do:** %s\n\n", mdText(f.Advice))
		}
	}
}

func mdNodes(w io.Writer, r *aggregate.Report, nodes []*aggregate.Node) {
	fmt.Fprint(w, "## Nodes\n\n")
	b := &htmlBuilder{settings: r.Settings, full: htmlFullNodes(r.Findings)}
	t := mdTable{cols: []mdCol{{"Node", false}, {"Keys", true}, {"Key memory", true}, {"Est. used memory", true},
		{"used_mem (dump)", true}, {"maxmemory", true}, {"Without TTL", true}, {"Dominant type", false}, {"Status", false}}}
	for _, n := range nodes {
		mm := "not given"
		if m := b.maxMemory(n.Name); m > 0 {
			mm = mdText(htmlBytes(m) + " (" + htmlPct(b.fill(n)) + " used)")
			switch b.fillLevel(n) {
			case fillOver:
				mm = "**" + mm + ", over**"
			case fillNear:
				mm = "**" + mm + ", near**"
			}
		}
		dom := "—"
		if typ, share := htmlDominant(n); typ != "" {
			dom = mdText(htmlClean(htmlLabel(typ)) + " " + htmlPct(share))
		}
		status := "complete"
		if !n.Complete {
			status = "**incomplete**"
		}
		t.rows = append(t.rows, []string{
			mdText(htmlClean(n.Name)), htmlCount(n.Keys), htmlBytes(n.Memory), htmlBytes(n.EstimatedUsedMemory),
			htmlOrUnknown(n.UsedMem), mm,
			mdText(htmlBytes(n.TTL.Without.Memory) + " (" + htmlPct(htmlRatio(n.TTL.Without.Memory, n.Memory)) + ")"),
			dom, status,
		})
	}
	t.write(w)
}

// mdTopKeys lists the biggest keys of all (the cluster's merged list, with
// each key's node, or the one node's), each key's share of its own node;
// with a key filter, the biggest it selects, after a note saying so.
func mdTopKeys(w io.Writer, r *aggregate.Report, all *aggregate.Node, nodes []*aggregate.Node, limit int) {
	keys := topKeysOf(r, all)
	if len(keys) == 0 && r.Filter == nil {
		return
	}
	mem, ref := map[string]int64{}, map[string]int64{}
	for _, n := range nodes {
		mem[n.Name], ref[n.Name] = n.Memory, n.ExpiryReference
	}
	fmt.Fprint(w, "## Biggest keys\n\n")
	if r.Filter != nil {
		fmt.Fprintf(w, "_%s_\n\n", mdText(htmlClean(filterNote(r.Filter, all))))
		if len(keys) == 0 {
			return
		}
	}
	t := mdTable{cols: []mdCol{{"#", true}, {"Node", false}, {"Key", false}, {"Type", false}, {"Encoding", false},
		{"Memory", true}, {"Share of node", true}, {"Elements", true}, {"TTL", true}}}
	for i, k := range keys {
		if i == limit {
			break
		}
		node, base, kref := k.Node, all.Memory, all.ExpiryReference
		if node == "" {
			node = all.Name
		}
		if m, ok := mem[k.Node]; ok {
			base, kref = m, ref[k.Node]
		}
		t.rows = append(t.rows, []string{
			strconv.Itoa(i + 1), mdText(htmlClean(node)), mdCode(htmlKeyCell(k.Key, k.KeyLen).Text, true),
			mdText(htmlClean(htmlLabel(k.Type))), mdText(htmlClean(htmlLabel(k.Encoding))),
			htmlBytes(k.Memory), mdText(htmlPct(htmlRatio(k.Memory, base))), htmlCount(k.Elements), mdText(htmlTTLCell(k, kref).Text),
		})
	}
	t.write(w)
}

// mdFamilies lists the biggest key families of all nodes.
func mdFamilies(w io.Writer, all *aggregate.Node, limit int) {
	g := all.Families
	if g == nil || len(g.Entries) == 0 {
		return
	}
	fmt.Fprint(w, "## Biggest key families\n\n")
	t := mdTable{cols: []mdCol{{"Family", false}, {"Keys", true}, {"Memory", true}, {"Share", true},
		{"Without TTL", true}, {"Types", false}, {"Biggest key", false}}}
	for i := range g.Entries {
		if i == limit {
			break
		}
		e := &g.Entries[i]
		memory := htmlBytes(e.Memory)
		if e.Error > 0 {
			memory = "≥ " + memory
		}
		big := "—"
		if e.Biggest != nil {
			big = mdCode(htmlKeyCell(e.Biggest.Key, e.Biggest.KeyLen).Text, true) + " (" + htmlBytes(e.Biggest.Memory) + ")"
		}
		t.rows = append(t.rows, []string{
			mdCode(htmlKey(e.Name, htmlKeyCap), true), htmlCount(e.Keys), mdText(memory), mdText(htmlPct(htmlRatio(e.Memory, all.Memory))),
			mdText(htmlPct(htmlRatio(e.NoTTL.Memory, e.Memory))), mdText(htmlClean(htmlGroupTypes(e))), big,
		})
	}
	t.write(w)
	if len(g.Entries) > limit {
		fmt.Fprintf(w, "The %d biggest of %s families.", limit, htmlCount(int64(len(g.Entries))))
		if g.MaxError > 0 {
			fmt.Fprintf(w, " Any family holding more than %s is listed; one marked ≥ may hold more.", htmlBytes(g.MaxError))
		}
		fmt.Fprint(w, "\n\n")
	}
}

// mdTable is a GitHub-flavoured table; cells are already escaped.
type mdTable struct {
	cols []mdCol
	rows [][]string
}

type mdCol struct {
	label string
	num   bool // right-aligned
}

func (t mdTable) write(w io.Writer) {
	var b strings.Builder
	b.WriteString("|")
	for _, c := range t.cols {
		b.WriteString(" " + mdText(c.label) + " |")
	}
	b.WriteString("\n|")
	for _, c := range t.cols {
		if c.num {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("|")
		for i := range t.cols {
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// mdText escapes text for Markdown, anywhere on a line or in a table
// cell: a backslash before every character that could start emphasis, a
// code span, a link, an HTML tag or entity, an autolink, strikethrough or
// a cell boundary, and before a first character that would start a block
// (a heading, a list, a quote, a rule). Line breaks become spaces: the
// text has none once cleaned, but a stray one must not end a table row.
func mdText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '@':
			b.WriteByte('\\')
		case '\n', '\r':
			c = ' '
		case '#', '+', '-', '=':
			if i == 0 {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	out := b.String()
	// "1. " or "1) " would start an ordered list.
	if j := strings.IndexFunc(out, func(r rune) bool { return r < '0' || r > '9' }); j > 0 && (out[j] == '.' || out[j] == ')') &&
		(j+1 == len(out) || out[j+1] == ' ') {
		out = out[:j] + "\\" + out[j:]
	}
	return out
}

// mdCode makes a code span of s (a key or a pattern in its visible form):
// its fence is one backtick longer than any run of backticks in s, and
// inside a table cell a pipe is escaped, which GFM unescapes in the cell.
// Nothing in a code span is emphasis, a link or HTML.
func mdCode(s string, inTable bool) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	run, longest := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	// A span that starts or ends with a backtick, or with a space at both
	// ends, is padded: GFM strips one space from each end.
	if s[0] == '`' || s[len(s)-1] == '`' || s[0] == ' ' && s[len(s)-1] == ' ' {
		s = " " + s + " "
	}
	fence := strings.Repeat("`", longest+1)
	return fence + s + fence
}
