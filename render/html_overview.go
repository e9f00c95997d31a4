package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// The overview: one row and one bar per node, and how full each node is.

// htmlOverview is the cluster section: the nodes table, its charts, and
// notes naming full and skewed nodes.
type htmlOverview struct {
	Table     *htmlTable
	MemChart  string
	TTLChart  string
	SlotChart string
	Notes     []htmlNote
	// ChartsNote says which nodes the charts show when they do not show
	// them all.
	ChartsNote string
}

// htmlNote is a sentence about a problem; Class is "bad" (red) for one the
// findings call critical or a node over its limit, "warn" (amber) else.
type htmlNote struct{ Text, Class string }

// overview builds the cluster section: one row and one bar per node.
func (b *htmlBuilder) overview(nodes []*aggregate.Node, findings []aggregate.Finding) (*htmlOverview, error) {
	ov := &htmlOverview{}
	t := b.newTable(
		htmlColumn{Label: "Node"}, htmlColumn{Label: "Keys", Num: true},
		htmlColumn{Label: "Key memory", Num: true, Help: "sum of MEMORY USAGE estimates"},
		htmlColumn{Label: "Overhead", Num: true, Help: "dict buckets, expires, startup memory"},
		htmlColumn{Label: "Est. used memory", Num: true, Help: "key memory plus overhead"},
		htmlColumn{Label: "used_mem (dump)", Num: true, Help: "the used_mem the server wrote into the dump"},
		htmlColumn{Label: "Est./dump", Num: true},
		htmlColumn{Label: "maxmemory", Num: true, Help: "the maxmemory the findings were judged with"},
		htmlColumn{Label: "Without TTL", Num: true, Help: "key memory of the keys without a TTL, and its share of the node's key memory"},
		htmlColumn{Label: "Dominant type"},
	)
	withFill := b.anyMaxmemory(nodes)
	if withFill {
		t.Cols = append(t.Cols, htmlColumn{Label: "Fill", Num: true, Help: "used memory (the dump's used_mem, else the estimate) over maxmemory; the table starts with the fullest"})
	}
	outliers := htmlOutliers(nodes, findings)
	for _, n := range b.fillFirst(nodes) {
		typ, share := htmlDominant(n)
		dom := htmlCell{Text: "—", Sort: "0"}
		if typ != "" {
			dom = htmlCell{Text: typ + " " + htmlPct(share), Sort: htmlRatioSort(share), Meter: share, HasMeter: true}
		}
		estRatio := htmlCell{Text: "—", Sort: "0"}
		if n.UsedMemRatio > 0 {
			estRatio = htmlCell{Text: strconv.FormatFloat(n.UsedMemRatio, 'f', 2, 64), Sort: htmlRatioSort(n.UsedMemRatio)}
		}
		mm := htmlCell{Text: "unknown", Sort: "0"}
		if m := b.maxMemory(n.Name); m > 0 {
			// How full it is is the Fill column's.
			mm = htmlBytesCell(m)
			mm.Title += "; " + htmlCount(aggregate.UsedMemory(n)) + " bytes used (the dump's used_mem, or the estimate when the dump has none)"
		}
		rc := ""
		if outliers[n] {
			rc = "outlier"
		}
		if !n.Complete {
			rc += " bad"
		}
		name := htmlCell{Text: n.Name, Class: "name"}
		if outliers[n] {
			name.Text += " (outlier)"
		}
		noTTL := htmlBytesCell(n.TTL.Without.Memory)
		noTTL.Text += " (" + htmlPct(htmlRatio(n.TTL.Without.Memory, n.Memory)) + ")"
		noTTL.Title = fmt.Sprintf("%s bytes in %s keys without a TTL; %s (%s keys) with one",
			htmlCount(n.TTL.Without.Memory), htmlCount(n.TTL.Without.Keys), htmlBytes(n.TTL.With.Memory), htmlCount(n.TTL.With.Keys))
		t.Rows = append(t.Rows, htmlRow{Class: strings.TrimSpace(rc), Cells: []htmlCell{
			name, htmlCountCell(n.Keys), htmlBytesCell(n.Memory), htmlBytesCell(n.Overhead),
			htmlBytesCell(n.EstimatedUsedMemory), htmlBytesCell(n.UsedMem), estRatio, mm, noTTL, dom,
		}})
		if withFill {
			last := &t.Rows[len(t.Rows)-1]
			last.Cells = append(last.Cells, b.fillCell(n))
		}
	}
	b.finish(t, len(nodes))
	ov.Table = t
	var notes []htmlNote
	// Full nodes first: the figure is aggregate.UsedMemory, as in the
	// findings.
	for _, n := range nodes {
		m := b.maxMemory(n.Name)
		switch b.fillLevel(n) {
		case fillOver:
			notes = append(notes, htmlNote{Class: "bad", Text: fmt.Sprintf("%s is over its maxmemory: %s used of %s (%s).",
				n.Name, htmlBytes(aggregate.UsedMemory(n)), htmlBytes(m), htmlPct(b.fill(n)))})
		case fillNear:
			notes = append(notes, htmlNote{Class: "warn", Text: fmt.Sprintf("%s is near its maxmemory: %s used of %s (%s).",
				n.Name, htmlBytes(aggregate.UsedMemory(n)), htmlBytes(m), htmlPct(b.fill(n)))})
		}
	}
	for _, n := range nodes {
		if outliers[n] {
			notes = append(notes, htmlNote{Class: "warn", Text: fmt.Sprintf("%s holds %s of the memory all nodes use.",
				n.Name, htmlPct(htmlShareOfTotal(n, nodes)))})
		}
	}
	ov.Notes = capNotes(notes, len(nodes))
	var err error
	shown, across, note := b.chartNodes(nodes)
	ov.ChartsNote = note
	b.horizontal = across
	if ov.MemChart, err = b.clusterMemChart(shown, outliers); err != nil {
		return nil, err
	}
	if ov.TTLChart, err = b.clusterTTLChart(shown, outliers); err != nil {
		return nil, err
	}
	b.horizontal = false
	// The slot chart draws one series per node along the slot space: at
	// fleet size it is a blur, and the biggest island of the page.
	if b.cluster && !across {
		if ov.SlotChart, err = b.slotChart(nodes); err != nil {
			return nil, err
		}
	}
	return ov, nil
}

// htmlShareOfTotal is n's share of the memory all nodes use, by
// aggregate.UsedMemory.
func htmlShareOfTotal(n *aggregate.Node, nodes []*aggregate.Node) float64 {
	var total int64
	for _, m := range nodes {
		total += aggregate.UsedMemory(m)
	}
	if total <= 0 {
		return 0
	}
	return float64(aggregate.UsedMemory(n)) / float64(total)
}

// htmlOutliers are the nodes aggregate flagged as skewed (a node-skew
// finding): the nodes a reader should look at first in a cluster.
func htmlOutliers(nodes []*aggregate.Node, fs []aggregate.Finding) map[*aggregate.Node]bool {
	skewed := map[string]bool{}
	for _, f := range fs {
		if f.Kind == diagnose.KindNodeSkew {
			skewed[f.Node] = true
		}
	}
	out := map[*aggregate.Node]bool{}
	for _, n := range nodes {
		if skewed[n.Name] {
			out[n] = true
		}
	}
	return out
}

// maxMemory is the maxmemory the findings judged node with; 0 when
// unknown.
func (b *htmlBuilder) maxMemory(node string) int64 { return b.settings.MaxmemoryOf(node) }

// fill is how full a node is: aggregate.UsedMemory (the dump's
// used-mem, or the estimate without it: the figure the findings use) over its
// maxmemory; 0 when maxmemory is unknown.
func (b *htmlBuilder) fill(n *aggregate.Node) float64 {
	mm := b.maxMemory(n.Name)
	if mm <= 0 {
		return 0
	}
	return float64(aggregate.UsedMemory(n)) / float64(mm)
}

// htmlFullNodes are the nodes the findings judged full, at or near their
// maxmemory: the nodes of an over-maxmemory finding, and of a critical
// ttl-starvation one (which replaces it on a full volatile-* node). The
// page marks these, with the threshold the findings used, rather than
// judging fill on its own.
func htmlFullNodes(fs []aggregate.Finding) map[string]bool {
	full := map[string]bool{}
	for _, f := range fs {
		if f.Kind == diagnose.KindOverMaxmemory || f.Kind == diagnose.KindTTLStarvation && f.Severity == aggregate.SeverityCritical {
			full[f.Node] = true
		}
	}
	return full
}

// fillLevel is how full a node is, as the page marks it.
type fillLevel uint8

const (
	fillUnknown fillLevel = iota // far from maxmemory, or maxmemory unknown
	fillNear                     // judged full by the findings (htmlFullNodes), under maxmemory
	fillOver                     // at or over maxmemory
)

func (b *htmlBuilder) fillLevel(n *aggregate.Node) fillLevel {
	switch {
	case b.maxMemory(n.Name) > 0 && b.fill(n) >= 1:
		return fillOver
	case b.full[n.Name]:
		return fillNear
	}
	return fillUnknown
}
