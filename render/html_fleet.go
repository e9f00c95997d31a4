package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
)

// What keeps the report readable at fleet size (hundreds of nodes): the
// findings grouped by kind, the nodes table filling first, the overview
// charts turned into horizontal bars of the nodes that matter, and
// per-node sections for those nodes only.

// Fleet-size bounds of the report page.
const (
	// htmlChartNodes is how many nodes the overview charts show as
	// vertical bars; with more they show this many, worst first, as
	// horizontal bars, whose names stay readable.
	htmlChartNodes = 15
	// DefaultNodeSections is how many nodes get a section of their own
	// (HTMLOptions.NodeSections): the worst first; the nodes table has
	// every node and the JSON report every detail.
	DefaultNodeSections = 30
	// htmlNavNodes is how many node sections the navigation links.
	htmlNavNodes = 12
	// htmlMaxNotes bounds the notes above the nodes table, and
	// htmlFleetNotes for more than htmlChartNodes nodes.
	htmlMaxNotes   = 10
	htmlFleetNotes = 3
)

// worstFirst orders nodes the way a reader of a fleet wants them: the
// most severe finding first, then the fullest (when maxmemory is known),
// then the biggest by used memory, then by name.
func (b *htmlBuilder) worstFirst(nodes []*aggregate.Node) []*aggregate.Node {
	out := append([]*aggregate.Node(nil), nodes...)
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if sa, sc := b.worst[a.Name], b.worst[c.Name]; sa != sc {
			return sa > sc
		}
		if fa, fc := b.fill(a), b.fill(c); fa != fc {
			return fa > fc
		}
		if ua, uc := aggregate.UsedMemory(a), aggregate.UsedMemory(c); ua != uc {
			return ua > uc
		}
		return a.Name < c.Name
	})
	return out
}

// fillFirst orders the nodes table: fullest first when any maxmemory is
// known, else as given (by name).
func (b *htmlBuilder) fillFirst(nodes []*aggregate.Node) []*aggregate.Node {
	if !b.anyMaxmemory(nodes) {
		return nodes
	}
	out := append([]*aggregate.Node(nil), nodes...)
	sort.SliceStable(out, func(i, j int) bool { return b.fill(out[i]) > b.fill(out[j]) })
	return out
}

func (b *htmlBuilder) anyMaxmemory(nodes []*aggregate.Node) bool {
	for _, n := range nodes {
		if b.maxMemory(n.Name) > 0 {
			return true
		}
	}
	return false
}

// chartNodes are the nodes the overview charts show, and whether they
// are drawn as horizontal bars: all of them, vertical, up to
// htmlChartNodes; else the worst htmlChartNodes, horizontal, with a
// caption saying so.
func (b *htmlBuilder) chartNodes(nodes []*aggregate.Node) ([]*aggregate.Node, bool, string) {
	if len(nodes) <= htmlChartNodes {
		return nodes, false, ""
	}
	return b.worstFirst(nodes)[:htmlChartNodes], true,
		fmt.Sprintf("The charts show the %d nodes to look at first (by finding, fill, used memory) of %d; the table lists every node.",
			htmlChartNodes, len(nodes))
}

// horizontal turns a chart of one bar per node into horizontal bars: the
// nodes down the side, first on top, their names on one line, marks
// turned to stand across the bars.
func horizontal(o *chartOption, spec *htmlChartSpec) {
	o.XAxis, o.YAxis = o.YAxis, o.XAxis
	for i := range o.YAxis {
		a := &o.YAxis[i]
		if a.Type != "category" {
			continue
		}
		a.Inverse = true
		a.AxisLabel = &chartAxisLabel{Interval: "0"}
		for j := range a.Data {
			a.Data[j].Value = strings.ReplaceAll(a.Data[j].Value, "\n", " · ")
		}
	}
	for i := range o.XAxis {
		// The caption names the figure; at the end of a horizontal
		// axis the name would be cut at the chart's edge.
		o.XAxis[i].Name, o.XAxis[i].NameTextStyle = "", nil
	}
	for i := range o.Series {
		s := &o.Series[i]
		if s.Type == "scatter" && len(s.SymbolSize) == 2 {
			s.SymbolSize = chartSymbolSize{s.SymbolSize[1], 14}
		}
		if s.MarkLine != nil {
			for j := range s.MarkLine.Data {
				d := &s.MarkLine.Data[j]
				d.XAxis, d.YAxis = d.YAxis, 0
			}
		}
	}
	if spec.Axis == "y" {
		spec.Axis = "x"
	}
}

// nodeSections picks the nodes that get a section: all up to
// HTMLOptions.NodeSections, in name order, else the worst that many,
// worst first, and the note saying where the others are.
func (b *htmlBuilder) nodeSections(nodes []*aggregate.Node) ([]*aggregate.Node, string) {
	limit := b.opts.NodeSections
	if limit <= 0 {
		limit = DefaultNodeSections
	}
	if len(nodes) <= limit {
		return nodes, ""
	}
	return b.worstFirst(nodes)[:limit], fmt.Sprintf("Sections for the %d nodes to look at first (by finding, fill, used memory); the other %d nodes are in the nodes table, and every detail is in the JSON report.",
		limit, len(nodes)-limit)
}

// capNotes keeps the first notes, htmlMaxNotes of a few nodes' report
// but only htmlFleetNotes of a fleet's, where they would push the charts
// off the screen, and says how many more there are.
func capNotes(notes []htmlNote, nodes int) []htmlNote {
	keep := htmlMaxNotes
	if nodes > htmlChartNodes {
		keep = htmlFleetNotes
	}
	if len(notes) <= keep+1 {
		return notes
	}
	more := len(notes) - keep
	return append(notes[:keep:keep], htmlNote{Class: notes[keep].Class,
		Text: fmt.Sprintf("… and %d more notes like these: the findings and the table below name the nodes.", more)})
}

// fillCell is a node's fill for the nodes table: used memory over
// maxmemory, with a bar, red over it and amber where the findings judged
// it full.
func (b *htmlBuilder) fillCell(n *aggregate.Node) htmlCell {
	if b.maxMemory(n.Name) <= 0 {
		return htmlCell{Text: "—", Sort: "0"}
	}
	f := b.fill(n)
	c := htmlCell{Text: htmlPct(f), Sort: htmlRatioSort(f), Meter: min(f, 1), HasMeter: true}
	switch b.fillLevel(n) {
	case fillOver:
		c.Class = "bad"
	case fillNear:
		c.Class = "warn"
	}
	return c
}

// addNodeChart adds a chart of one bar per node, turned horizontal when
// the builder draws the overview of a fleet (htmlBuilder.horizontal).
func (b *htmlBuilder) addNodeChart(o chartOption, spec htmlChartSpec) (string, error) {
	if b.horizontal {
		horizontal(&o, &spec)
	}
	spec.Option = o
	return b.addChart(spec)
}
