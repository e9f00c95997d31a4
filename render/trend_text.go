package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/trend"
)

// TrendTextOptions tune the terminal summary of a trend.
type TrendTextOptions struct {
	// MinSeverity hides findings below it (0 shows all).
	MinSeverity aggregate.Severity
	// TopNodes is how many nodes get a row, filling first; the rest are
	// one line. 0 shows all.
	TopNodes int
	// MaxLines, when positive, cuts the node rows so that the whole
	// summary fits a terminal of that many lines (at least 3 rows stay).
	MaxLines int
	// Outputs names the files the run wrote, by kind.
	Outputs map[string]string
	// Width and Color lay the summary out as TextOptions' do: prose
	// wrapped, the nodes table's last column cut to the width.
	Width int
	Color bool
}

// maxWarningLines bounds the warnings a summary lists: at 300 nodes a
// night of missing dumps must not push the forecast off the screen.
const maxWarningLines = 5

// TrendText writes the terminal summary of a trend: what it covers, the
// findings (grouped by kind when there are many), the nodes filling first
// with their growth, days to full and fastest family, and the warnings.
// It is meant to fit one screen whatever the number of nodes.
func TrendText(w io.Writer, t *trend.Trend, opts TrendTextOptions) error {
	// The findings and the lines after the nodes are written first, so
	// that MaxLines can leave the nodes what is left.
	l := TextOptions{Width: opts.Width, Color: opts.Color}.layout()
	var head, tail bytes.Buffer
	trendHead(&head, l, t, opts)
	if len(t.Warnings) > 0 {
		fmt.Fprintln(&tail)
		warning := l.p.severity(aggregate.SeverityWarning, "warning:") + " "
		for i, warn := range t.Warnings {
			if i == maxWarningLines && len(t.Warnings) > maxWarningLines+1 {
				writeHanging(&tail, warning, fmt.Sprintf("… and %d more (in the JSON trend)", len(t.Warnings)-i), l.width, "  ")
				break
			}
			writeHanging(&tail, warning, aggregate.CleanText(warn), l.width, "  ")
		}
	}
	if len(opts.Outputs) > 0 {
		fmt.Fprintln(&tail)
		for _, k := range sortedStrings(opts.Outputs) {
			fmt.Fprintf(&tail, "%s written to %s\n", k, opts.Outputs[k])
		}
	}
	top := opts.TopNodes
	if opts.MaxLines > 0 {
		// Title, column header and the "… more" line (two when wrapped).
		fit := opts.MaxLines - lines(head.Bytes()) - lines(tail.Bytes()) - 4
		if fit < minTrendRows {
			// The explanation of the worst finding gives way to the
			// nodes: the JSON and HTML trend have it.
			head.Reset()
			trendHead(&head, textLayout{width: l.width, p: l.p, brief: true}, t, opts)
			fit = opts.MaxLines - lines(head.Bytes()) - lines(tail.Bytes()) - 4
		}
		fit = max(minTrendRows, fit)
		if top <= 0 || fit < top {
			top = fit
		}
	}
	ew := &errWriter{w: w}
	ew.Write(head.Bytes())
	trendTextNodes(ew, l, t, top)
	ew.Write(tail.Bytes())
	return ew.err
}

// minTrendRows is the fewest node rows a summary cut to the terminal
// keeps.
const minTrendRows = 3

// trendHead writes what comes before the nodes: the scope and the
// findings.
func trendHead(w io.Writer, l textLayout, t *trend.Trend, opts TrendTextOptions) {
	writeHanging(w, "", l.p.heading("TREND "+displayKey(t.Cluster)+":")+" "+trendScope(t), l.width, "  ")
	fmt.Fprintln(w)
	if len(t.Findings) == 0 {
		writeParagraph(w, fmt.Sprintf("No findings: no node reaches maxmemory within %s days.", trimFloat(t.HorizonDays)), l.width, "")
		fmt.Fprintln(w)
	}
	textFindingSummary(w, l, t.Findings, opts.MinSeverity)
}

// lines counts the lines of b.
func lines(b []byte) int { return bytes.Count(b, []byte("\n")) }

// trendScope says what a trend covers: "5 nights (2026-11-26 → 2026-11-30),
// 3 nodes, horizon 14 days (theil-sen)".
func trendScope(t *trend.Trend) string {
	s := plural(len(t.Nights), "night")
	if n := len(t.Nights); n > 0 {
		s += " (" + t.Nights[0].Date
		if n > 1 {
			s += " → " + t.Nights[n-1].Date
		}
		s += ")"
	}
	return s + fmt.Sprintf(", %s, horizon %s days (%s)", plural(len(t.Nodes), "node"), trimFloat(t.HorizonDays), t.Method)
}

func trendTextNodes(w io.Writer, l textLayout, t *trend.Trend, top int) {
	if len(t.Nodes) == 0 {
		return
	}
	shown := t.Nodes
	if top > 0 && len(shown) > top+1 { // one row is not worth an "others" line
		shown = shown[:top]
	}
	title := "NODES, filling first"
	if len(shown) < len(t.Nodes) {
		title += fmt.Sprintf(" (top %d of %d)", len(shown), len(t.Nodes))
	}
	fmt.Fprintln(w, l.p.heading(title))
	table := func(fullOn bool, room int) string {
		var buf strings.Builder
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		head := "  NODE\tUSED\tMAXMEM\tFILL\tGROWTH/DAY\tFULL IN\t"
		if fullOn {
			head += "FULL ON\t"
		}
		fmt.Fprintln(tw, head+"FASTEST FAMILY")
		for i := range shown {
			n := &shown[i]
			name := displayKey(n.Name)
			if n.Missing {
				name += " (MISSING)"
			}
			row := fmt.Sprintf("  %s\t%s\t%s\t%s\t%s\t%s\t", name, textBytes(n.Used), orDash(n.Maxmemory), trendFill(n),
				trendRate(n.GrowthPerDay), trendDays(n.DaysToFull))
			if fullOn {
				row += trendFullOn(n) + "\t"
			}
			fam := ""
			if room > 0 {
				fam = trendFamily(n, room)
			}
			fmt.Fprintln(tw, row+fam)
		}
		tw.Flush()
		return buf.String()
	}
	// The date a node fills is what FULL IN says, from the last night:
	// the column goes first when the table is wider than the terminal.
	// The family column starts where its header does, in every row.
	start := func(fullOn bool) int {
		header, _, _ := strings.Cut(table(fullOn, 0), "\n")
		return cols(header) - len("FASTEST FAMILY")
	}
	fullOn := start(true)+len("FASTEST FAMILY") <= l.width-10
	out := table(fullOn, l.width-start(fullOn))
	writeClipped(w, out, l.width)
	if rest := t.Nodes[len(shown):]; len(rest) > 0 {
		writeHanging(w, "  … ", trendOthers(rest, t.HorizonDays), l.width, "    ")
	}
}

// trendOthers sums up the nodes without a row of their own.
func trendOthers(rest []trend.Node, horizon float64) string {
	var used int64
	var growth float64
	filling, maxFill := 0, 0.0
	for i := range rest {
		n := &rest[i]
		used += n.Used
		if n.GrowthPerDay != nil {
			growth += *n.GrowthPerDay
		}
		if n.DaysToFull != nil && *n.DaysToFull <= horizon {
			filling++
		}
		maxFill = math.Max(maxFill, n.Fill)
	}
	s := fmt.Sprintf("%d more %s: %s used, %s a day in all", len(rest), pluralWord(len(rest), "node"), textBytes(used), signedRate(growth))
	if maxFill > 0 {
		s += fmt.Sprintf(", fill up to %.0f%%", maxFill*100)
	}
	if filling > 0 {
		s += fmt.Sprintf("; %d of them fill within %s days (--top-nodes 0 lists all)", filling, trimFloat(horizon))
	} else {
		s += fmt.Sprintf("; none fills within %s days", trimFloat(horizon))
	}
	return s
}

func trendFill(n *trend.Node) string {
	if n.Maxmemory <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", n.Fill*100)
}

func trendRate(g *float64) string {
	if g == nil {
		return "-"
	}
	return signedRate(*g)
}

func signedRate(g float64) string {
	r := int64(math.Round(g))
	switch {
	case r > 0:
		return "+" + textBytes(r)
	case r < 0:
		return "-" + textBytes(-r)
	}
	return "0"
}

func trendDays(d *float64) string {
	switch {
	case d == nil:
		return "-"
	case *d == 0:
		return "FULL"
	case *d < 1:
		return fmt.Sprintf("%.0fh", math.Max(1, *d*24))
	case *d >= 1000:
		return ">1000d"
	}
	return fmt.Sprintf("%.1fd", *d)
}

// trendFullOn is the date a node reaches maxmemory; none when that is
// more than ten years away, which says no more than "not soon".
func trendFullOn(n *trend.Node) string {
	if n.DaysToFull == nil || *n.DaysToFull > 3650 {
		return "-"
	}
	return trendDate(n.FullAt)
}

func trendDate(unix *int64) string {
	if unix == nil {
		return "-"
	}
	return time.Unix(*unix, 0).UTC().Format(time.DateOnly)
}

// trendFamily names the node's fastest-growing family, its growth and
// whether that growth has a TTL, in at most room columns: the TTL and
// then the growth give way to the name (the findings above say them).
func trendFamily(n *trend.Node, room int) string {
	if len(n.Families) == 0 {
		return "-"
	}
	f := &n.Families[0]
	g := 0.0
	if f.GrowthPerDay != nil {
		g = *f.GrowthPerDay
	}
	name := aggregate.CleanText(f.Name)
	if cols(name) > 40 {
		name = clip(name, 40)
	}
	var tries []string
	switch {
	case g > 0:
		ttl := "TTL"
		if f.NoTTLGrowthPerDay != nil && *f.NoTTLGrowthPerDay >= g/2 {
			ttl = "no TTL"
		}
		rate := name + " " + signedRate(g) + "/d"
		tries = []string{rate + ", " + ttl, rate}
	case f.Appeared:
		tries = []string{name + " (new)"}
	default:
		return "-"
	}
	for _, t := range tries {
		if cols(t) <= room {
			return t
		}
	}
	if cols(name) > room {
		return clip(name, max(room, 8))
	}
	return name
}

// TrendJSON writes the trend document (docs/trend.md), indented.
func TrendJSON(w io.Writer, t *trend.Trend) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

func pluralWord(n int, what string) string {
	if n == 1 {
		return what
	}
	return what + "s"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// trimFloat writes 14 as "14" and 3.5 as "3.5".
func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}
