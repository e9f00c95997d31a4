package render

import (
	"fmt"
	"strconv"

	"github.com/rdbscope/rdbscope/aggregate"
)

// The charts of the report, each built as one typed chartOption.

func htmlLabel(s string) string { return htmlName(s, htmlLabelCap) }

// htmlNodeCategories are the x-axis entries of the cluster charts; an
// incomplete node is drawn in bold red, the outlier (a node-skew warning)
// in bold amber, so that they stand out before any reading.
func htmlNodeCategories(nodes []*aggregate.Node, outliers map[*aggregate.Node]bool) []chartCategory {
	out := make([]chartCategory, len(nodes))
	for i, n := range nodes {
		out[i] = chartCategory{Value: htmlLabel(n.Name)}
		switch {
		case !n.Complete:
			out[i].TextStyle = &chartTextStyle{Color: htmlColorOver, FontWeight: "bold"}
		case outliers[n]:
			out[i].TextStyle = &chartTextStyle{Color: htmlColorNear, FontWeight: "bold"}
		}
	}
	return out
}

// memCategories are the x-axis entries of the memory chart: each node's
// name and, when its maxmemory is known, how full it is ("101.8% full",
// short enough for three nodes on a phone), in bold red when it is over (or incomplete), amber when
// near or the outlier, as in the other charts.
func (b *htmlBuilder) memCategories(nodes []*aggregate.Node, outliers map[*aggregate.Node]bool) []chartCategory {
	out := make([]chartCategory, len(nodes))
	for i, n := range nodes {
		label := htmlLabel(n.Name)
		if b.maxMemory(n.Name) > 0 {
			label += "\n" + htmlPct(b.fill(n)) + " full"
		}
		out[i] = chartCategory{Value: label}
		color := ""
		switch {
		case b.fillLevel(n) == fillOver || !n.Complete:
			color = htmlColorOver
		case b.fillLevel(n) == fillNear || outliers[n]:
			color = htmlColorNear
		}
		if color != "" {
			out[i].TextStyle = &chartTextStyle{Color: color, FontWeight: "bold"}
		}
	}
	return out
}

// clusterMemChart is one stacked bar per node of estimated used memory by
// data type plus overhead, with each node's maxmemory and the used-mem its
// dump recorded as marks.
func (b *htmlBuilder) clusterMemChart(nodes []*aggregate.Node, outliers map[*aggregate.Node]bool) (string, error) {
	// Types in the order of their total memory, so that the biggest type
	// sits at the bottom of every stack.
	totals := map[string]*aggregate.Stat{}
	for _, n := range nodes {
		for t, s := range n.ByType {
			if s == nil {
				continue
			}
			if totals[t] == nil {
				totals[t] = &aggregate.Stat{}
			}
			totals[t].Memory += s.Memory
		}
	}
	var series []chartSeries
	var units []chartUnit
	var legend []chartLegendItem
	add := func(s chartSeries, icon string) {
		series = append(series, s)
		units = append(units, unitBytes)
		legend = append(legend, chartLegendItem{Name: s.Name, Icon: icon})
	}
	stacks := make([]int64, len(nodes))
	for _, t := range htmlSortedStats(totals) {
		vals := make([]int64, len(nodes))
		for i, n := range nodes {
			if s := n.ByType[t.name]; s != nil {
				vals[i] = s.Memory
			}
			stacks[i] += vals[i]
		}
		add(chartSeries{Name: htmlLabel(t.name), Type: "bar", Stack: "mem", Data: chartValues(vals),
			ItemStyle: &chartItemStyle{Color: htmlColorOf(t.name)}}, "")
	}
	over := make([]int64, len(nodes))
	for i, n := range nodes {
		over[i] = max(n.EstimatedUsedMemory-n.Memory, 0)
		stacks[i] += over[i]
	}
	add(chartSeries{Name: "overhead", Type: "bar", Stack: "mem", Data: chartValues(over),
		ItemStyle: &chartItemStyle{Color: htmlTypeColors["overhead"]}}, "")
	top := int64(0)
	for _, v := range stacks {
		top = max(top, v)
	}
	// maxmemory is a series of its own (not only a mark line) so that the
	// axis tooltip lists it and the legend names it: one dashed line across
	// when all nodes share it (its value in the legend, not on the line,
	// where the label would hide the marks of a full node), one mark per
	// node otherwise.
	uniform, same := htmlUniformMaxmemory(b.settings, nodes)
	if !same || uniform > 0 {
		vals := make([]int64, len(nodes))
		for i, n := range nodes {
			vals[i] = b.maxMemory(n.Name)
			top = max(top, vals[i])
		}
		if same {
			name := "maxmemory " + htmlBytes(uniform)
			s := htmlDashSeries(name, chartValues(vals), htmlColorLimit)
			s.SymbolSize = chartSymbolSize{0}
			s.MarkLine = &chartMarkLine{
				Data:      []chartMarkLineItem{{Name: name, YAxis: uniform}},
				Label:     &chartShow{Show: false},
				LineStyle: &chartLineStyle{Color: htmlColorLimit, Type: "dashed", Width: 1.5},
				Symbol:    []string{"none", "none"},
			}
			add(s, htmlDashIcon)
		} else {
			add(htmlDashSeries("maxmemory", chartValues(vals), htmlColorLimit), htmlDashIcon)
		}
	}
	// The used-mem the dump recorded, as a diamond per node: bigger than
	// the dashed line, so that it shows on it, red when the node is over its
	// maxmemory (by aggregate.UsedMemory), amber when near.
	var used bool
	data := make([]chartItem, len(nodes))
	for i, n := range nodes {
		data[i] = chartItem{Value: n.UsedMem}
		switch b.fillLevel(n) {
		case fillOver:
			data[i].ItemStyle = &chartItemStyle{Color: htmlColorOver}
		case fillNear:
			data[i].ItemStyle = &chartItemStyle{Color: htmlColorNear}
		}
		used = used || n.UsedMem > 0
		top = max(top, n.UsedMem)
	}
	if used {
		add(chartSeries{Name: "used_mem (dump)", Type: "scatter", Data: data, Symbol: "diamond", SymbolSize: chartSymbolSize{16},
			ItemStyle: &chartItemStyle{Color: htmlColorMark, BorderColor: "#ffffff", BorderWidth: 1.5}}, "diamond")
	}
	names := make([]string, len(legend))
	for i, l := range legend {
		names[i] = l.Name
	}
	o := newChartOption("axis")
	// The legend lists the series in order, the two levels with their own
	// icons (a dashed line, a diamond).
	o.Legend = chartLegend{Show: true, Bottom: "0", Data: legend}
	o.Grid = []chartGrid{{Left: "3%", Right: "3%", Top: "40", Bottom: htmlLegendBottom(names), ContainLabel: true}}
	o.XAxis = []chartAxis{{Type: "category", Data: b.memCategories(nodes, outliers),
		// Two-line labels (name, fill) need a line height, or the lines
		// are drawn over each other.
		AxisLabel: &chartAxisLabel{Interval: "0", Rotate: htmlRotation(len(nodes)), LineHeight: 16}}}
	o.YAxis = []chartAxis{byteAxis(chartValueAxis("estimated used memory"), top)}
	o.Series = series
	return b.addNodeChart(o, htmlChartSpec{Units: units, Axis: "y", AxisUnits: []chartUnit{unitBytes}})
}

func (b *htmlBuilder) clusterTTLChart(nodes []*aggregate.Node, outliers map[*aggregate.Node]bool) (string, error) {
	with := make([]int64, len(nodes))
	without := make([]int64, len(nodes))
	var top int64
	for i, n := range nodes {
		with[i], without[i] = n.TTL.With.Memory, n.TTL.Without.Memory
		top = max(top, with[i]+without[i])
	}
	o := newChartOption("axis")
	o.Legend = chartLegend{Show: true, Bottom: "0"}
	o.Grid = []chartGrid{{Left: "3%", Right: "3%", Top: "40", Bottom: "60", ContainLabel: true}}
	o.XAxis = []chartAxis{{Type: "category", Data: htmlNodeCategories(nodes, outliers),
		AxisLabel: &chartAxisLabel{Interval: "0", Rotate: htmlRotation(len(nodes))}}}
	o.YAxis = []chartAxis{byteAxis(chartValueAxis("key memory"), top)}
	o.Series = []chartSeries{
		{Name: "without TTL", Type: "bar", Stack: "ttl", Data: chartValues(without), ItemStyle: &chartItemStyle{Color: htmlColorNoTTL}},
		{Name: "with TTL", Type: "bar", Stack: "ttl", Data: chartValues(with), ItemStyle: &chartItemStyle{Color: htmlColorTTL}},
	}
	return b.addNodeChart(o, htmlChartSpec{Units: []chartUnit{unitBytes, unitBytes}, Axis: "y", AxisUnits: []chartUnit{unitBytes}})
}

// typeDonut is the "hash is 99% of this node" view: memory by data type,
// with the dominant share written in the hole.
func (b *htmlBuilder) typeDonut(n *aggregate.Node, types []htmlNamedStat) (string, error) {
	typ, share := htmlDominant(n)
	data := make([]chartItem, 0, len(types))
	for _, t := range types {
		data = append(data, chartItem{Name: htmlLabel(t.name), Value: t.stat.Memory, ItemStyle: &chartItemStyle{Color: htmlColorOf(t.name)}})
	}
	o := newChartOption("item")
	o.Legend = chartLegend{Show: true, Type: "scroll", Bottom: "0"}
	o.Title = &chartTitle{Text: htmlPct(share), Subtext: htmlLabel(typ), Left: "center", Top: "40%", TextStyle: &chartTextStyle{FontSize: 22}}
	o.Series = []chartSeries{{Name: "memory by type", Type: "pie", Data: data,
		Radius: []string{"45%", "70%"}, Center: []string{"50%", "46%"},
		Label: &chartLabel{Show: true, Formatter: "{b} {d}%"},
		// Slices under a few degrees get no label: they would only
		// overlap; the table beside the donut has them all.
		MinShowLabelAngle: 4,
	}}
	return b.addChart(htmlChartSpec{Option: o, Units: []chartUnit{unitBytes}, Total: n.Memory})
}

// encodingBar shows memory by type/encoding, the top 15, which is where
// "a hash that outgrew listpack" becomes visible.
func (b *htmlBuilder) encodingBar(encs []htmlNamedStat) (string, error) {
	const top = 15
	shown := encs
	var rest int64
	if len(shown) > top {
		for _, e := range shown[top:] {
			rest += e.stat.Memory
		}
		shown = shown[:top]
	}
	names := make([]string, 0, len(shown)+1)
	data := make([]chartItem, 0, len(shown)+1)
	// Horizontal bars draw the first category at the bottom: reverse so
	// that the biggest is on top.
	if rest > 0 {
		names = append(names, "other")
		data = append(data, chartItem{Value: rest, ItemStyle: &chartItemStyle{Color: htmlColorOther}})
	}
	for i := len(shown) - 1; i >= 0; i-- {
		e := shown[i]
		names = append(names, htmlLabel(e.name))
		data = append(data, chartItem{Value: e.stat.Memory, ItemStyle: &chartItemStyle{Color: htmlColorOf(e.name)}})
	}
	hi := rest
	for _, e := range shown {
		hi = max(hi, e.stat.Memory)
	}
	o := newChartOption("axis")
	o.Legend = chartLegend{Show: false}
	o.Grid = []chartGrid{{Left: "3%", Right: "6%", Top: "10", Bottom: "10", ContainLabel: true}}
	o.XAxis = []chartAxis{byteAxis(chartAxis{Type: "value"}, hi)}
	o.YAxis = []chartAxis{{Type: "category", Data: chartCategories(names)}}
	o.Series = []chartSeries{{Name: "memory", Type: "bar", Data: data}}
	return b.addChart(htmlChartSpec{Option: o, Units: []chartUnit{unitBytes}, Axis: "x", AxisUnits: []chartUnit{unitBytes}})
}

// expiryBar is the expiry horizon: how much memory (and how many keys)
// goes away within an hour, a day, a week — and how much never does.
func (b *htmlBuilder) expiryBar(n *aggregate.Node) (string, error) {
	names := make([]string, len(n.Expiry))
	mem := make([]chartItem, len(n.Expiry))
	keys := make([]int64, len(n.Expiry))
	var top int64
	for i, e := range n.Expiry {
		names[i] = htmlLabel(e.Label)
		c := htmlColorKeys
		if e.Label == "none" {
			c = htmlColorNoTTL
		}
		mem[i] = chartItem{Value: e.Memory, ItemStyle: &chartItemStyle{Color: c}}
		keys[i] = e.Keys
		top = max(top, e.Memory)
	}
	o := newChartOption("axis")
	o.Legend = chartLegend{Show: true, Bottom: "0"}
	o.Grid = []chartGrid{{Left: "3%", Right: "3%", Top: "40", Bottom: "40", ContainLabel: true}}
	o.XAxis = []chartAxis{{Type: "category", Data: chartCategories(names), AxisLabel: &chartAxisLabel{Interval: "0"}}}
	o.YAxis = []chartAxis{
		byteAxis(chartValueAxis("memory"), top),
		{Type: "value", Name: "keys", NameTextStyle: &chartNameStyle{Align: "right"}, SplitLine: &chartShow{Show: false}},
	}
	o.Series = []chartSeries{
		{Name: "memory", Type: "bar", Data: mem},
		{Name: "keys", Type: "bar", Data: chartValues(keys), YAxisIndex: 1, ItemStyle: &chartItemStyle{Color: htmlColorOther}},
	}
	return b.addChart(htmlChartSpec{Option: o, Units: []chartUnit{unitBytes, unitCount}, Axis: "y", AxisUnits: []chartUnit{unitBytes, unitCount}})
}

// familyTreemap draws the biggest families as tiles sized by memory and
// coloured by their main data type. Past TreemapCap tiles the rest is
// folded into one, with the table's "(other)": more tiles would only be
// slivers, and would slow the page down.
func (b *htmlBuilder) familyTreemap(n *aggregate.Node, g *aggregate.Groups) (string, error) {
	entries := g.Entries
	var rest aggregate.Group
	folded := 0
	if len(entries) > b.opts.TreemapCap {
		for i := b.opts.TreemapCap; i < len(entries); i++ {
			rest.Keys += entries[i].Keys
			rest.Memory += entries[i].Memory
		}
		folded = len(entries) - b.opts.TreemapCap
		entries = entries[:b.opts.TreemapCap]
	}
	rest.Keys += g.Other.Keys
	rest.Memory += g.Other.Memory
	data := make([]chartItem, 0, len(entries)+1)
	for i := range entries {
		e := &entries[i]
		data = append(data, chartItem{Name: htmlLabel(string(e.Name)), Value: e.Memory,
			ItemStyle: &chartItemStyle{Color: htmlColorOf(htmlMainType(e))}})
	}
	if rest.Memory > 0 {
		name := aggregate.OtherGroup
		if folded > 0 {
			name = fmt.Sprintf("(other: %s more families and the untracked rest)", htmlCount(int64(folded)))
		}
		data = append(data, chartItem{Name: name, Value: rest.Memory, ItemStyle: &chartItemStyle{Color: htmlTypeColors["overhead"]}})
	}
	no := false
	o := newChartOption("item")
	o.Legend = chartLegend{Show: false}
	o.Series = []chartSeries{{Name: "families", Type: "treemap", Data: data,
		Roam: &no, NodeClick: &no, Breadcrumb: &chartShow{Show: false},
		Left: "0", Right: "0", Top: "0", Bottom: "0",
	}}
	return b.addChart(htmlChartSpec{Option: o, Units: []chartUnit{unitBytes}, Total: n.Memory})
}

// htmlMainType is the type holding most of a group's memory.
func htmlMainType(e *aggregate.Group) string {
	best, bm := "", int64(-1)
	for _, v := range e.ByType {
		if v.Memory > bm || (v.Memory == bm && v.Type < best) {
			best, bm = v.Type, v.Memory
		}
	}
	return best
}

// slotChart is memory by hash-slot range, one stacked series per node:
// it shows which node serves which range and where memory piles up.
func (b *htmlBuilder) slotChart(nodes []*aggregate.Node) (string, error) {
	const ranges = 128
	const width = aggregate.NumSlots / ranges
	names := make([]string, ranges)
	for i := range names {
		names[i] = strconv.Itoa(i*width) + "-" + strconv.Itoa((i+1)*width-1)
	}
	var series []chartSeries
	var units []chartUnit
	sums := make([]int64, ranges)
	for _, n := range nodes {
		if n.Slots == nil || len(n.Slots.PerSlot) == 0 {
			continue
		}
		vals := make([]int64, ranges)
		for _, s := range n.Slots.PerSlot {
			if s.Slot >= 0 && s.Slot < aggregate.NumSlots {
				vals[s.Slot/width] += s.Memory
			}
		}
		for i, v := range vals {
			sums[i] += v
		}
		series = append(series, chartSeries{Name: htmlLabel(n.Name), Type: "bar", Stack: "slots", BarCategoryGap: "0", Data: chartValues(vals)})
		units = append(units, unitBytes)
	}
	if len(series) == 0 {
		return "", nil
	}
	var top int64
	for _, v := range sums {
		top = max(top, v)
	}
	o := newChartOption("axis")
	o.Legend = chartLegend{Show: true, Type: "scroll", Bottom: "0"}
	o.Grid = []chartGrid{{Left: "3%", Right: "3%", Top: "40", Bottom: "60", ContainLabel: true}}
	o.XAxis = []chartAxis{{Type: "category", Name: "slots", Data: chartCategories(names)}}
	o.YAxis = []chartAxis{byteAxis(chartValueAxis("key memory"), top)}
	o.Series = series
	return b.addChart(htmlChartSpec{Option: o, Units: units, Axis: "y", AxisUnits: []chartUnit{unitBytes}})
}
