package render

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/trend"
)

// TrendHTMLOptions tune the trend page.
type TrendHTMLOptions struct {
	// Title names the page; empty means "rdbscope trend: CLUSTER".
	Title string
	// MinSeverity hides findings below it (0 shows all).
	MinSeverity aggregate.Severity
	// TopNodes is how many nodes, filling first, get a bar and a
	// forecast chart of their own (DefaultTrendCharts if 0); the table
	// lists every node.
	TopNodes int
	// TableCap bounds the rows of every table (DefaultTableCap if <= 0).
	TableCap int

	runtime string // replaces the embedded ECharts in tests
}

// Bounds of the trend page: charts of more nodes or families than these
// stop being readable, whatever the fleet's size.
const (
	DefaultTrendCharts = 10
	maxTrendCharts     = 25 // nodes in the bar chart and forecast charts
	maxFamilyBars      = 15 // families in the growth chart
)

// trendPage is what trend.tmpl renders: the report's shell, finding
// cards (grouped by kind), tables and chart islands.
type trendPage struct {
	htmlShell
	Heading, Headline, Verdict string
	Facts                      []htmlStat
	Runtime                    template.JS
	Groups                     []htmlFindingGroup
	Hidden                     string
	Warnings                   []string
	FillChart                  string
	FillCaption                string
	Nodes                      *htmlTable
	Forecasts                  []*trendNodeView
	FamilyChart                string
	Families                   *htmlTable
	Nights                     *htmlTable
	Charts                     []htmlChartIsland
}

// htmlFindingGroup is the findings of one kind, one <details> element:
// the summary says the kind, how many nodes and by severity.
type htmlFindingGroup struct {
	Severity, Kind, Summary string
	Open                    bool
	Findings                []htmlFindingView
}

type trendNodeView struct {
	Anchor, Name, Headline, Severity string
	Open                             bool
	Chart                            string
	Families                         *htmlTable
}

// TrendHTML writes the trend as one self-contained page: the findings
// grouped by kind, the nodes filling first as bars (used memory now and
// the growth to come within the horizon, against each node's maxmemory),
// one chart per node of its nights and its forecast line up to maxmemory,
// the families growing fastest, and every node and night in tables. Like
// the report it inlines the chart runtime and works without scripts.
func TrendHTML(w io.Writer, t *trend.Trend, opts TrendHTMLOptions) error {
	if t == nil {
		return errors.New("render: no trend")
	}
	p, err := trendBuildPage(t, opts)
	if err != nil {
		return err
	}
	return executePage(w, "trendpage", p)
}

func trendBuildPage(t *trend.Trend, o TrendHTMLOptions) (*trendPage, error) {
	if o.TopNodes <= 0 {
		o.TopNodes = DefaultTrendCharts
	}
	o.TopNodes = min(o.TopNodes, maxTrendCharts)
	if o.TableCap <= 0 {
		o.TableCap = DefaultTableCap
	}
	runtime, err := chartRuntime(o.runtime)
	if err != nil {
		return nil, err
	}
	b := &htmlBuilder{opts: HTMLOptions{TableCap: o.TableCap, TreemapCap: DefaultTreemapCap}, refs: map[string]int64{}}
	p := &trendPage{htmlShell: newShell(t.Tool, t.SchemaVersion, runtime), Runtime: template.JS(runtime)}
	p.Tool = htmlClean(strings.Replace(p.Tool, "report schema", "trend schema", 1))
	p.Heading = o.Title
	if p.Heading == "" {
		p.Heading = "rdbscope trend: " + t.Cluster
	}
	shown := diagnose.AtLeast(t.Findings, o.MinSeverity)
	p.Groups = htmlFindingGroups(shown)
	if hidden := len(t.Findings) - len(shown); hidden > 0 {
		p.Hidden = fmt.Sprintf("%s below %s not shown (--min-severity).", plural(hidden, "finding"), o.MinSeverity)
	}
	p.Headline = trendHeadline(t)
	if len(shown) > 0 && shown[0].Severity == aggregate.SeverityCritical {
		p.Verdict = aggregate.SeverityCritical.String()
	} else if len(shown) > 0 && shown[0].Severity == aggregate.SeverityWarning {
		p.Verdict = aggregate.SeverityWarning.String()
	}
	p.Title = p.Headline
	p.Facts = trendFacts(t)
	p.Warnings = t.Warnings

	top := t.Nodes[:min(o.TopNodes, len(t.Nodes))]
	if len(top) > 0 {
		if p.FillChart, err = b.trendFillChart(t, top); err != nil {
			return nil, err
		}
		p.FillCaption = fmt.Sprintf("Used memory now and growth within %s days, against maxmemory: the %s filling first",
			trimFloat(t.HorizonDays), plural(len(top), "node"))
		if len(top) < len(t.Nodes) {
			p.FillCaption += fmt.Sprintf(" of %d (all are in the table below)", len(t.Nodes))
		}
	}
	worst := map[string]aggregate.Severity{}
	for _, f := range t.Findings {
		worst[f.Node] = max(worst[f.Node], f.Severity)
	}
	for i := range top {
		n := &top[i]
		v := &trendNodeView{Anchor: "node-" + strconv.Itoa(i), Name: n.Name, Headline: trendNodeHeadline(n), Open: i < 3}
		if s := worst[n.Name]; s > 0 {
			v.Severity = s.String()
		}
		if v.Chart, err = b.trendNodeChart(t, n); err != nil {
			return nil, err
		}
		v.Families = b.trendFamilyTable(n)
		p.Forecasts = append(p.Forecasts, v)
	}
	if p.FamilyChart, err = b.trendFamilyChart(t); err != nil {
		return nil, err
	}
	p.Nodes = b.trendNodeTable(t)
	p.Nights = b.trendNightTable(t)
	p.Charts = b.charts
	p.clean()
	return p, nil
}

// clean passes every text of the page through htmlClean (see
// htmlPage.clean); finding cards are cleaned where they are built.
func (p *trendPage) clean() {
	c := htmlClean
	p.Title, p.Heading, p.Headline, p.Hidden, p.FillCaption = c(p.Title), c(p.Heading), c(p.Headline), c(p.Hidden), c(p.FillCaption)
	for i := range p.Facts {
		p.Facts[i].Label, p.Facts[i].Value, p.Facts[i].Title = c(p.Facts[i].Label), c(p.Facts[i].Value), c(p.Facts[i].Title)
	}
	p.Warnings = append([]string(nil), p.Warnings...)
	for i := range p.Warnings {
		p.Warnings[i] = c(p.Warnings[i])
	}
	for i := range p.Groups {
		p.Groups[i].Summary = c(p.Groups[i].Summary)
	}
	tables := []*htmlTable{p.Nodes, p.Families, p.Nights}
	for _, v := range p.Forecasts {
		v.Name, v.Headline = c(v.Name), c(v.Headline)
		tables = append(tables, v.Families)
	}
	cleanTables(tables...)
}

// htmlFindingGroups groups finding cards by kind (diagnose.GroupByKind):
// what keeps 300 nodes' findings on one screen. A group is open when there
// are few findings at all, or when it is critical and short enough to
// read at once; the others open on a click.
func htmlFindingGroups(fs []aggregate.Finding) []htmlFindingGroup {
	var out []htmlFindingGroup
	for _, g := range diagnose.GroupByKind(fs) {
		first := g.Findings[0]
		sum := fmt.Sprintf("%s · %s", g.Kind, plural(g.Nodes, "node"))
		if len(g.Findings) != g.Nodes {
			sum += " · " + plural(len(g.Findings), "finding")
		}
		if c := severityCounts(g); c != "" {
			sum += " · " + c
		}
		sum += " — "
		if len(g.Findings) > 1 {
			sum += "first: "
		}
		sum += first.Title
		out = append(out, htmlFindingGroup{Severity: g.Severity.String(), Kind: g.Kind, Summary: sum,
			Open:     len(fs) <= groupFindingsAbove || g.Severity == aggregate.SeverityCritical && len(g.Findings) <= 3,
			Findings: htmlFindingViews(g.Findings)})
	}
	return out
}

// trendHeadline is the page's verdict: the first will-fill finding, else
// the first finding, else that nothing fills within the horizon.
func trendHeadline(t *trend.Trend) string {
	for _, f := range t.Findings {
		if f.Kind == trend.KindWillFill || f.Kind == diagnose.KindMissingNode {
			return f.Title
		}
	}
	if len(t.Findings) > 0 {
		return t.Findings[0].Title
	}
	if len(t.Nights) < 2 {
		return "One night only: no growth rate yet"
	}
	return fmt.Sprintf("No node reaches maxmemory within %s days", trimFloat(t.HorizonDays))
}

func trendFacts(t *trend.Trend) []htmlStat {
	filling, known := 0, 0
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if n.Maxmemory > 0 {
			known++
		}
		if n.DaysToFull != nil && *n.DaysToFull <= t.HorizonDays && !n.Missing {
			filling++
		}
	}
	nights := strconv.Itoa(len(t.Nights))
	if n := len(t.Nights); n > 0 {
		nights += " (" + t.Nights[0].Date + " → " + t.Nights[n-1].Date + ")"
	}
	return []htmlStat{
		{Label: "Cluster", Value: t.Cluster},
		{Label: "Nights", Value: nights},
		{Label: "Nodes", Value: strconv.Itoa(len(t.Nodes))},
		{Label: "Fill within " + trimFloat(t.HorizonDays) + " days", Value: strconv.Itoa(filling)},
		{Label: "maxmemory known", Value: fmt.Sprintf("%d of %d nodes", known, len(t.Nodes)),
			Title: "from --maxmemory / --redis-config, else what the reports recorded; days to full need it"},
		{Label: "Growth rate", Value: t.Method, Title: "the median of the slopes between every two nights: one odd night does not move it"},
	}
}

func trendNodeHeadline(n *trend.Node) string {
	s := htmlBytes(n.Used)
	if n.Maxmemory > 0 {
		s += " of " + htmlBytes(n.Maxmemory) + " (" + htmlPct(n.Fill) + ")"
	}
	if n.GrowthPerDay != nil {
		s += ", " + signedRateHTML(*n.GrowthPerDay) + " a day"
	}
	switch {
	case n.Missing:
		s += "; no dump on the latest night"
	case n.DaysToFull != nil && *n.DaysToFull == 0:
		s += "; full"
	case n.DaysToFull != nil && *n.DaysToFull <= 3650:
		s += "; full in " + trendDaysHTML(*n.DaysToFull) + " (" + trendDate(n.FullAt) + ")"
	}
	return s
}

func signedRateHTML(g float64) string {
	r := int64(math.Round(g))
	if r < 0 {
		return "−" + htmlBytes(-r)
	}
	return "+" + htmlBytes(r)
}

func trendDaysHTML(d float64) string {
	if d > 3650 {
		return "over 10 years"
	}
	if d < 1 {
		return fmt.Sprintf("%.0f hours", math.Max(1, d*24))
	}
	return fmt.Sprintf("%.1f days", d)
}

// trendLevel is how a node's forecast is coloured: red when it fills
// within the critical days (or is full), amber within the horizon.
func trendLevel(n *trend.Node, t *trend.Trend) string {
	if n.DaysToFull == nil || n.Missing {
		return ""
	}
	switch {
	case *n.DaysToFull <= min(7, t.HorizonDays):
		return htmlColorOver
	case *n.DaysToFull <= t.HorizonDays:
		return htmlColorNear
	}
	return ""
}

// trendFillChart is one horizontal bar per node, filling first: its used
// memory now, the growth to come within the horizon stacked on it (red or
// amber when it crosses maxmemory in time), and its maxmemory as a mark.
// Horizontal bars keep 25 node names readable where vertical ones would
// rotate their labels over each other.
func (b *htmlBuilder) trendFillChart(t *trend.Trend, nodes []trend.Node) (string, error) {
	cats := make([]chartCategory, len(nodes))
	used := make([]chartItem, len(nodes))
	grow := make([]chartItem, len(nodes))
	limit := make([]chartItem, len(nodes))
	var top int64
	var anyLimit bool
	for i := range nodes {
		n := &nodes[i]
		label := htmlLabel(n.Name)
		if n.DaysToFull != nil && !n.Missing && *n.DaysToFull <= 3650 {
			label += " · " + trendDaysHTML(*n.DaysToFull)
		}
		cats[i] = chartCategory{Value: label}
		color := trendLevel(n, t)
		if color != "" {
			cats[i].TextStyle = &chartTextStyle{Color: color, FontWeight: "bold"}
		}
		used[i] = chartItem{Value: n.Used}
		g := int64(0)
		if n.GrowthPerDay != nil && *n.GrowthPerDay > 0 {
			g = int64(math.Round(*n.GrowthPerDay * t.HorizonDays))
		}
		grow[i] = chartItem{Value: g}
		if color != "" {
			grow[i].ItemStyle = &chartItemStyle{Color: color}
		}
		limit[i] = chartItem{Value: n.Maxmemory}
		anyLimit = anyLimit || n.Maxmemory > 0
		top = max(top, n.Used+g, n.Maxmemory)
	}
	series := []chartSeries{
		{Name: "used now", Type: "bar", Stack: "fill", Data: used, ItemStyle: &chartItemStyle{Color: htmlColorKeys}},
		{Name: "growth within " + trimFloat(t.HorizonDays) + " days", Type: "bar", Stack: "fill", Data: grow,
			ItemStyle: &chartItemStyle{Color: htmlColorOther}},
	}
	legend := []chartLegendItem{{Name: series[0].Name}, {Name: series[1].Name}}
	if anyLimit {
		series = append(series, chartSeries{Name: "maxmemory", Type: "scatter", Data: limit, Symbol: "rect",
			SymbolSize: chartSymbolSize{3, 26}, ItemStyle: &chartItemStyle{Color: htmlColorMark}})
		legend = append(legend, chartLegendItem{Name: "maxmemory", Icon: "rect"})
	}
	o := newChartOption("axis")
	o.Legend = chartLegend{Show: true, Bottom: "0", Data: legend}
	o.Grid = []chartGrid{{Left: "3%", Right: "4%", Top: "10", Bottom: "40", ContainLabel: true}}
	o.YAxis = []chartAxis{{Type: "category", Inverse: true, Data: cats, AxisLabel: &chartAxisLabel{Interval: "0"}}}
	o.XAxis = []chartAxis{byteAxis(chartAxis{Type: "value"}, top)}
	o.Series = series
	units := make([]chartUnit, len(series))
	for i := range units {
		units[i] = unitBytes
	}
	return b.addChart(htmlChartSpec{Option: o, Units: units, Axis: "x", AxisUnits: []chartUnit{unitBytes}})
}

// trendNodeChart is one node's used memory night by night, its forecast
// line from the latest night to the horizon (or to maxmemory, when it
// gets there first) and maxmemory as a line: one category per day, so
// that nights a day apart are a day apart on the chart.
func (b *htmlBuilder) trendNodeChart(t *trend.Trend, n *trend.Node) (string, error) {
	if len(n.Points) == 0 {
		return "", nil
	}
	first := n.Points[0].Time
	last := n.Points[len(n.Points)-1].Time
	end := t.Now + int64(t.HorizonDays*86400)
	if n.FullAt != nil && *n.FullAt > last && *n.FullAt < end {
		end = *n.FullAt
	}
	day := func(unix int64) int { return int(math.Floor(float64(unix-first)/86400 + 0.5)) }
	ndays := day(end) + 1
	if ndays > 400 { // a forecast drawn beyond a year says nothing more
		ndays = 400
	}
	cats := make([]string, ndays)
	used := make([]chartItem, ndays)
	fc := make([]chartItem, ndays)
	for d := range ndays {
		cats[d] = time.Unix(first+int64(d)*86400, 0).UTC().Format(time.DateOnly)
		used[d] = chartItem{Missing: true}
		fc[d] = chartItem{Missing: true}
	}
	top := n.Maxmemory
	for _, pt := range n.Points {
		if d := day(pt.Time); d >= 0 && d < ndays {
			used[d] = chartItem{Value: pt.Used}
			top = max(top, pt.Used)
		}
	}
	if g := n.GrowthPerDay; g != nil && !n.Missing {
		for d := day(last); d < ndays; d++ {
			v := n.Used + int64(math.Round(*g*float64(d-day(last))))
			if v < 0 {
				v = 0
			}
			fc[d] = chartItem{Value: v}
			top = max(top, v)
		}
	}
	color := trendLevel(n, t)
	if color == "" {
		color = htmlColorKeys
	}
	noSymbol := false
	series := []chartSeries{
		{Name: "used", Type: "line", Data: used, ConnectNulls: true, ItemStyle: &chartItemStyle{Color: htmlColorKeys},
			Symbol: "circle", SymbolSize: chartSymbolSize{6}},
		{Name: "forecast (" + t.Method + ")", Type: "line", Data: fc, ShowSymbol: &noSymbol,
			ItemStyle: &chartItemStyle{Color: color}, LineStyle: &chartLineStyle{Color: color, Type: "dashed", Width: 2}},
	}
	if n.Maxmemory > 0 {
		name := "maxmemory " + htmlBytes(n.Maxmemory)
		series[0].MarkLine = &chartMarkLine{
			Data:      []chartMarkLineItem{{Name: name, YAxis: n.Maxmemory}},
			Label:     &chartShow{Show: false},
			LineStyle: &chartLineStyle{Color: htmlColorLimit, Type: "solid", Width: 1.5},
			Symbol:    []string{"none", "none"},
		}
	}
	o := newChartOption("axis")
	legend := []chartLegendItem{{Name: series[0].Name}, {Name: series[1].Name}}
	o.Legend = chartLegend{Show: true, Bottom: "0", Data: legend}
	o.Grid = []chartGrid{{Left: "3%", Right: "4%", Top: "40", Bottom: "40", ContainLabel: true}}
	o.XAxis = []chartAxis{{Type: "category", Data: chartCategories(cats)}}
	yName := "used memory"
	if n.Maxmemory > 0 {
		yName += " (line: maxmemory " + htmlBytes(n.Maxmemory) + ")"
	}
	o.YAxis = []chartAxis{byteAxis(chartValueAxis(yName), top)}
	o.Series = series
	return b.addChart(htmlChartSpec{Option: o, Units: []chartUnit{unitBytes, unitBytes}, Axis: "y", AxisUnits: []chartUnit{unitBytes}})
}

// trendFamilyChart is the families growing fastest across the cluster,
// one horizontal bar each ("family on node"), split into the growth with
// a TTL and without: what grows without one is what nothing reclaims.
func (b *htmlBuilder) trendFamilyChart(t *trend.Trend) (string, error) {
	type row struct {
		node *trend.Node
		fam  *trend.Family
	}
	var rows []row
	for i := range t.Nodes {
		n := &t.Nodes[i]
		for j := range n.Families {
			if f := &n.Families[j]; f.GrowthPerDay != nil && *f.GrowthPerDay > 0 {
				rows = append(rows, row{n, f})
			}
		}
	}
	if len(rows) == 0 {
		return "", nil
	}
	sort.SliceStable(rows, func(i, j int) bool { return *rows[i].fam.GrowthPerDay > *rows[j].fam.GrowthPerDay })
	rows = rows[:min(len(rows), maxFamilyBars)]
	cats := make([]chartCategory, len(rows))
	noTTL := make([]chartItem, len(rows))
	withTTL := make([]chartItem, len(rows))
	var top int64
	for i, r := range rows {
		cats[i] = chartCategory{Value: htmlName(r.fam.Name, htmlLabelCap) + " · " + htmlLabel(r.node.Name)}
		nv, _ := deref(r.fam.NoTTLGrowthPerDay)
		wv, _ := deref(r.fam.TTLGrowthPerDay)
		noTTL[i] = chartItem{Value: max(0, int64(math.Round(nv)))}
		withTTL[i] = chartItem{Value: max(0, int64(math.Round(wv)))}
		top = max(top, noTTL[i].Value+withTTL[i].Value)
	}
	o := newChartOption("axis")
	series := []chartSeries{
		{Name: "without TTL, a day", Type: "bar", Stack: "g", Data: noTTL, ItemStyle: &chartItemStyle{Color: htmlColorNoTTL}},
		{Name: "with TTL, a day", Type: "bar", Stack: "g", Data: withTTL, ItemStyle: &chartItemStyle{Color: htmlColorTTL}},
	}
	o.Legend = chartLegend{Show: true, Bottom: "0", Data: []chartLegendItem{{Name: series[0].Name}, {Name: series[1].Name}}}
	o.Grid = []chartGrid{{Left: "3%", Right: "4%", Top: "10", Bottom: "40", ContainLabel: true}}
	o.YAxis = []chartAxis{{Type: "category", Inverse: true, Data: cats, AxisLabel: &chartAxisLabel{Interval: "0"}}}
	o.XAxis = []chartAxis{byteAxis(chartAxis{Type: "value"}, top)}
	o.Series = series
	return b.addChart(htmlChartSpec{Option: o, Units: []chartUnit{unitBytes, unitBytes}, Axis: "x", AxisUnits: []chartUnit{unitBytes}})
}

// trendNodeTable lists every node, filling first.
func (b *htmlBuilder) trendNodeTable(t *trend.Trend) *htmlTable {
	tb := b.newTable(htmlColumn{Label: "Node"}, htmlColumn{Label: "Used", Num: true},
		htmlColumn{Label: "maxmemory", Num: true}, htmlColumn{Label: "Fill", Num: true},
		htmlColumn{Label: "Growth a day", Num: true, Help: "Theil–Sen over the nights"},
		htmlColumn{Label: "Full in", Num: true, Help: "days from the latest night until maxmemory at that rate"},
		htmlColumn{Label: "Full on"}, htmlColumn{Label: "Fastest-growing family"}, htmlColumn{Label: "Nights", Num: true})
	for i := range t.Nodes {
		n := &t.Nodes[i]
		name := htmlCell{Text: n.Name, Class: "name"}
		if len(n.Aliases) > 0 {
			name.Title = "also named " + strings.Join(n.Aliases, ", ")
		}
		rc := ""
		if n.Missing {
			name.Text += " (missing)"
			rc = "bad"
		}
		mm, fill := htmlCell{Text: "unknown", Sort: "0"}, htmlCell{Text: "—", Sort: "0"}
		if n.Maxmemory > 0 {
			mm = htmlBytesCell(n.Maxmemory)
			fill = htmlCell{Text: htmlPct(n.Fill), Sort: htmlRatioSort(n.Fill), Meter: min(n.Fill, 1), HasMeter: true}
		}
		growth := htmlCell{Text: "—", Sort: "0"}
		if n.GrowthPerDay != nil {
			growth = htmlCell{Text: signedRateHTML(*n.GrowthPerDay), Sort: strconv.FormatFloat(*n.GrowthPerDay, 'f', 0, 64),
				Title: htmlCount(int64(math.Round(*n.GrowthPerDay))) + " bytes a day"}
		}
		full := htmlCell{Text: "—", Sort: "1e9"}
		if n.DaysToFull != nil {
			full = htmlCell{Text: trendDaysHTML(*n.DaysToFull), Sort: strconv.FormatFloat(*n.DaysToFull, 'f', 3, 64)}
			switch trendLevel(n, t) {
			case htmlColorOver:
				full.Class = "bad"
			case htmlColorNear:
				full.Class = "warn"
			}
		}
		tb.Rows = append(tb.Rows, htmlRow{Class: rc, Cells: []htmlCell{name, htmlBytesCell(n.Used), mm, fill, growth, full,
			{Text: trendFullOn(n)}, {Text: trendFamily(n, 60), Mono: true}, htmlCountCell(int64(len(n.Points)))}})
	}
	b.finish(tb, len(t.Nodes))
	return tb
}

// trendFamilyTable lists a node's growing families.
func (b *htmlBuilder) trendFamilyTable(n *trend.Node) *htmlTable {
	if len(n.Families) == 0 {
		return nil
	}
	tb := b.newTable(htmlColumn{Label: "Family"}, htmlColumn{Label: "Memory", Num: true},
		htmlColumn{Label: "Without TTL", Num: true}, htmlColumn{Label: "Growth a day", Num: true},
		htmlColumn{Label: "with TTL", Num: true}, htmlColumn{Label: "without TTL", Num: true},
		htmlColumn{Label: "Grew every night"}, htmlColumn{Label: "First seen"})
	rate := func(p *float64) htmlCell {
		if p == nil {
			return htmlCell{Text: "—", Sort: "0"}
		}
		return htmlCell{Text: signedRateHTML(*p), Sort: strconv.FormatFloat(*p, 'f', 0, 64)}
	}
	for i := range n.Families {
		f := &n.Families[i]
		every := "no"
		if f.GrewEveryNight {
			every = "yes"
		}
		seen := time.Unix(f.FirstSeen, 0).UTC().Format(time.DateOnly)
		if f.Appeared {
			seen += " (new)"
		}
		tb.Rows = append(tb.Rows, htmlRow{Cells: []htmlCell{{Text: htmlTruncate(f.Name, len(f.Name), htmlKeyCap), Mono: true, Class: "key"},
			htmlBytesCell(f.Memory), htmlBytesCell(f.NoTTLMemory), rate(f.GrowthPerDay), rate(f.TTLGrowthPerDay),
			rate(f.NoTTLGrowthPerDay), {Text: every}, {Text: seen}}})
	}
	b.finish(tb, len(n.Families))
	return tb
}

func (b *htmlBuilder) trendNightTable(t *trend.Trend) *htmlTable {
	tb := b.newTable(htmlColumn{Label: "Night (UTC)"}, htmlColumn{Label: "Taken"}, htmlColumn{Label: "Nodes", Num: true},
		htmlColumn{Label: "Complete"}, htmlColumn{Label: "Source"})
	for i := len(t.Nights) - 1; i >= 0; i-- {
		nt := &t.Nights[i]
		ok := htmlCell{Text: "yes", Class: "ok"}
		rc := ""
		if !nt.Complete {
			ok, rc = htmlCell{Text: "no: a dump was not read to its end", Class: "bad"}, "bad"
		}
		tb.Rows = append(tb.Rows, htmlRow{Class: rc, Cells: []htmlCell{{Text: nt.Date}, {Text: htmlTime(nt.Time), Sort: strconv.FormatInt(nt.Time, 10)},
			htmlCountCell(int64(nt.Nodes)), ok, {Text: nt.Source, Mono: true}}})
	}
	b.finish(tb, len(t.Nights))
	return tb
}
