package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
)

// The section of one node (or of all nodes, merged): its figures, its
// breakdowns, its families, biggest keys and slots.

// htmlStat is one headline number of a node section.
type htmlStat struct{ Label, Value, Title string }

// htmlNodeView is the section of one node, or of all nodes merged.
type htmlNodeView struct {
	Anchor     string
	Name       string
	Open       bool
	Incomplete bool
	Error      string
	Headline   string
	// Severity is that of the node's most severe finding, if any.
	Severity string
	Stats    []htmlStat
	Warnings []string

	TypeChart     string
	EncodingChart string
	ExpiryChart   string
	FamilyChart   string

	Types     *htmlTable
	Encodings *htmlTable
	Expiry    *htmlTable
	Families  *htmlTable
	Prefixes  *htmlTable
	Hashtags  *htmlTable
	TopKeys   *htmlTable
	// TopKeysNote says what a filtered TopKeys covers.
	TopKeysNote string

	SlotsHeld string
	HotSlots  *htmlTable
}

// node builds one node's section.
func (b *htmlBuilder) node(n *aggregate.Node, anchor string, open bool) (*htmlNodeView, error) {
	nv := &htmlNodeView{Anchor: anchor, Name: n.Name, Open: open, Incomplete: !n.Complete, Error: n.Error}
	if sev := b.worst[n.Name]; sev != 0 {
		nv.Severity = sev.String()
	}
	if typ, share := htmlDominant(n); typ != "" {
		nv.Headline = fmt.Sprintf("%s is %s of this node's key memory", typ, htmlPct(share))
		if len(n.Nodes) > 0 {
			nv.Headline = fmt.Sprintf("%s is %s of the key memory of all nodes", typ, htmlPct(share))
		}
	}
	// A copy: clean() rewrites the view in place, never the model.
	nv.Warnings = append([]string(nil), n.Warnings...)
	nv.Stats = []htmlStat{
		{Label: "Keys", Value: htmlCount(n.Keys)},
		{Label: "Key memory", Value: htmlBytes(n.Memory), Title: htmlCount(n.Memory) + " bytes"},
		{Label: "Est. used memory", Value: htmlBytes(n.EstimatedUsedMemory), Title: htmlCount(n.EstimatedUsedMemory) + " bytes"},
		{Label: "used_mem in dump", Value: htmlOrUnknown(n.UsedMem), Title: htmlCount(n.UsedMem) + " bytes"},
		{Label: "Serialized", Value: htmlBytes(n.RDBBytes), Title: htmlCount(n.RDBBytes) + " bytes"},
		{Label: "Without TTL", Value: htmlBytes(n.TTL.Without.Memory), Title: htmlCount(n.TTL.Without.Keys) + " keys"},
	}
	if n.Model != "" {
		nv.Stats = append(nv.Stats, htmlStat{Label: "Model", Value: n.Model, Title: n.ModelNote})
	}

	types := htmlSortedStats(n.ByType)
	nv.Types = b.statTable("Type", types, n.Memory)
	encs := htmlSortedStats(n.ByEncoding)
	nv.Encodings = b.statTable("Type/encoding", encs, n.Memory)
	nv.Expiry = b.expiryTable(n)
	top := n.TopKeys
	if r := b.report; r != nil && r.Filter != nil {
		top = topKeysOf(r, n)
		nv.TopKeysNote = filterNote(r.Filter, n)
	}
	nv.TopKeys = b.topKeys(top, len(n.Nodes) > 0, n.ExpiryReference)

	// Shares are of the section's own memory: a node's, or in the merged
	// view the cluster's, and the headers say which.
	shareOf := "Share of node"
	if len(n.Nodes) > 0 {
		shareOf = "Share of cluster"
	}
	if n.Families != nil {
		nv.Families = b.groupTable("Family", shareOf, n.Families, n.Memory)
	}
	if len(n.Prefixes) > 0 && n.Prefixes[0] != nil {
		nv.Prefixes = b.groupTable("Prefix", shareOf, n.Prefixes[0], n.Memory)
	}
	if n.Hashtags != nil && len(n.Hashtags.Entries) > 0 {
		nv.Hashtags = b.groupTable("Hash tag", shareOf, n.Hashtags, n.Memory)
	}
	if n.Slots != nil && len(n.Slots.PerSlot) > 0 {
		held := n.Slots.Held
		nv.SlotsHeld = strings.Join(held, ", ")
		if len(held) > 64 {
			nv.SlotsHeld = strings.Join(held[:64], ", ") + ", … (" + htmlCount(int64(len(held))) + " ranges in all)"
		}
		nv.HotSlots = b.slotTable(n.Slots.Hottest, shareOf, n.Memory)
	}

	var err error
	if n.Families != nil && len(n.Families.Entries) > 0 {
		if nv.FamilyChart, err = b.familyTreemap(n, n.Families); err != nil {
			return nil, err
		}
	}
	if len(types) > 0 {
		if nv.TypeChart, err = b.typeDonut(n, types); err != nil {
			return nil, err
		}
	}
	if len(encs) > 0 {
		if nv.EncodingChart, err = b.encodingBar(encs); err != nil {
			return nil, err
		}
	}
	if len(n.Expiry) > 0 {
		if nv.ExpiryChart, err = b.expiryBar(n); err != nil {
			return nil, err
		}
	}
	return nv, nil
}

func htmlOrUnknown(v int64) string {
	if v <= 0 {
		return "unknown"
	}
	return htmlBytes(v)
}

func (b *htmlBuilder) statTable(first string, stats []htmlNamedStat, total int64) *htmlTable {
	t := b.newTable(
		htmlColumn{Label: first}, htmlColumn{Label: "Keys", Num: true}, htmlColumn{Label: "Memory", Num: true},
		htmlColumn{Label: "Share", Num: true}, htmlColumn{Label: "Elements", Num: true},
		htmlColumn{Label: "Serialized", Num: true},
	)
	for _, s := range stats {
		share := htmlRatio(s.stat.Memory, total)
		t.Rows = append(t.Rows, htmlRow{Cells: []htmlCell{
			{Text: htmlName(s.name, htmlKeyCap), Mono: true},
			htmlCountCell(s.stat.Keys), htmlBytesCell(s.stat.Memory),
			{Text: htmlPct(share), Sort: htmlRatioSort(share), Meter: share, HasMeter: true},
			htmlCountCell(s.stat.Elements), htmlBytesCell(s.stat.RDBBytes),
		}})
	}
	b.finish(t, len(stats))
	return t
}

func (b *htmlBuilder) expiryTable(n *aggregate.Node) *htmlTable {
	t := b.newTable(
		htmlColumn{Label: "Expires"}, htmlColumn{Label: "Keys", Num: true}, htmlColumn{Label: "Memory", Num: true},
		htmlColumn{Label: "Share of memory", Num: true},
	)
	for i, e := range n.Expiry {
		share := htmlRatio(e.Memory, n.Memory)
		t.Rows = append(t.Rows, htmlRow{Cells: []htmlCell{
			{Text: e.Label, Sort: strconv.Itoa(i)}, htmlCountCell(e.Keys), htmlBytesCell(e.Memory),
			{Text: htmlPct(share), Sort: htmlRatioSort(share), Meter: share, HasMeter: true},
		}})
	}
	b.finish(t, len(n.Expiry))
	if n.ExpiryReference > 0 {
		t.Note = "Relative to " + htmlTime(n.ExpiryReference) + " UTC."
	}
	return t
}

// topKeys lists the biggest keys; withNode adds the node column for the
// merged cluster list.
//
// ref is the node's expiry reference; keys of a merged list use their own
// node's.
func (b *htmlBuilder) topKeys(keys []aggregate.KeyInfo, withNode bool, ref int64) *htmlTable {
	cols := []htmlColumn{{Label: "#", Num: true}, {Label: "Key"}}
	if withNode {
		cols = append(cols, htmlColumn{Label: "Node"})
	}
	if b.cluster {
		cols = append(cols, htmlColumn{Label: "Slot", Num: true})
	}
	cols = append(cols,
		htmlColumn{Label: "DB", Num: true}, htmlColumn{Label: "Type"}, htmlColumn{Label: "Encoding"},
		htmlColumn{Label: "Memory", Num: true}, htmlColumn{Label: "Elements", Num: true},
		htmlColumn{Label: "Serialized", Num: true}, htmlColumn{Label: "TTL", Num: true},
	)
	t := b.newTable(cols...)
	for i, k := range keys {
		cells := []htmlCell{
			{Text: strconv.Itoa(i + 1), Sort: strconv.Itoa(i + 1)},
			htmlKeyCell(k.Key, k.KeyLen),
		}
		if withNode {
			cells = append(cells, htmlCell{Text: k.Node})
		}
		if b.cluster {
			slot := strconv.Itoa(aggregate.Slot(string(k.Key)))
			cells = append(cells, htmlCell{Text: slot, Sort: slot})
		}
		kref := ref
		if withNode {
			kref = b.refs[k.Node]
		}
		cells = append(cells,
			htmlCell{Text: strconv.Itoa(k.DB), Sort: strconv.Itoa(k.DB)},
			htmlCell{Text: k.Type}, htmlCell{Text: k.Encoding},
			htmlBytesCell(k.Memory), htmlCountCell(k.Elements), htmlBytesCell(k.RDBBytes),
			htmlTTLCell(k, kref),
		)
		t.Rows = append(t.Rows, htmlRow{Cells: cells})
	}
	b.finish(t, len(keys))
	return t
}

// htmlTTLCell shows a key's expiry relative to its node's snapshot time, the
// same reference the expiry buckets use, so that a report does not change
// with the day it is rendered.
func htmlTTLCell(k aggregate.KeyInfo, ref int64) htmlCell {
	if k.ExpiresAt == 0 {
		return htmlCell{Text: "none", Sort: strconv.FormatInt(1<<62, 10)}
	}
	at := time.UnixMilli(int64(k.ExpiresAt)).UTC()
	title := at.Format("2006-01-02 15:04:05 UTC")
	if ref <= 0 {
		return htmlCell{Text: title, Sort: strconv.FormatInt(int64(k.ExpiresAt), 10)}
	}
	d := time.Duration(int64(k.ExpiresAt)-ref*1000) * time.Millisecond
	text := "in " + htmlDuration(d)
	if d <= 0 {
		text = "expired"
	}
	return htmlCell{Text: text, Title: title, Sort: strconv.FormatInt(int64(d/time.Millisecond), 10)}
}

// shareOf heads the share column: "Share of node", or "Share of cluster"
// in the merged view, where nodeMem is the cluster's key memory.
func (b *htmlBuilder) groupTable(first, shareOf string, g *aggregate.Groups, nodeMem int64) *htmlTable {
	t := b.newTable(
		htmlColumn{Label: first}, htmlColumn{Label: "Keys", Num: true}, htmlColumn{Label: "Memory", Num: true},
		htmlColumn{Label: shareOf, Num: true, Help: "share of the key memory of the " + htmlShareScope(shareOf)},
		htmlColumn{Label: "Without TTL", Num: true, Help: "share of the group's memory in keys without a TTL"},
		htmlColumn{Label: "Types"}, htmlColumn{Label: "Biggest key"},
	)
	row := func(e *aggregate.Group, class string) htmlRow {
		share := htmlRatio(e.Memory, nodeMem)
		noTTL := htmlRatio(e.NoTTL.Memory, e.Memory)
		mem := htmlBytesCell(e.Memory)
		if e.Error > 0 {
			mem.Text = "≥ " + mem.Text
			mem.Title += "; up to " + htmlBytes(e.Error) + " more may have been counted in (other) before this group was tracked"
		}
		big := htmlCell{Text: "—"}
		if e.Biggest != nil {
			big = htmlKeyCell(e.Biggest.Key, e.Biggest.KeyLen)
			big.Text += " (" + htmlBytes(e.Biggest.Memory) + ")"
			big.Sort = strconv.FormatInt(e.Biggest.Memory, 10)
		}
		return htmlRow{Class: class, Cells: []htmlCell{
			{Text: htmlKey(e.Name, htmlKeyCap), Mono: true, Class: "key"},
			htmlCountCell(e.Keys), mem,
			{Text: htmlPct(share), Sort: htmlRatioSort(share), Meter: share, HasMeter: true},
			{Text: htmlPct(noTTL), Sort: htmlRatioSort(noTTL), Title: htmlBytes(e.NoTTL.Memory) + " in " + htmlCount(e.NoTTL.Keys) + " keys"},
			{Text: htmlGroupTypes(e)},
			big,
		}}
	}
	// Only the rows that will be shown are built: a table of 100 k
	// families must not cost 100 k formatted rows.
	for i := range min(len(g.Entries), b.opts.TableCap) {
		t.Rows = append(t.Rows, row(&g.Entries[i], ""))
	}
	b.finish(t, len(g.Entries))
	if g.Other.Keys > 0 {
		r := row(&g.Other, "other")
		for i := range r.Cells {
			r.Cells[i].Num = i < len(t.Cols) && t.Cols[i].Num
		}
		t.Rows = append(t.Rows, r)
	}
	if g.MaxError > 0 {
		note := fmt.Sprintf("Bounded table of %s entries: any %s holding more than %s is listed; "+
			"a listed one may be under-counted by its error bound (hover its memory).",
			htmlCount(int64(g.Capacity)), strings.ToLower(first), htmlBytes(g.MaxError))
		t.Note = strings.TrimSpace(t.Note + " " + note)
	}
	return t
}

// htmlShareScope is what a share column's header is a share of.
func htmlShareScope(header string) string {
	if strings.HasSuffix(header, "cluster") {
		return "whole cluster (all nodes)"
	}
	return "node"
}

// htmlGroupTypes names the types of a group by memory, e.g. "hash 99%,
// string 1%".
func htmlGroupTypes(e *aggregate.Group) string {
	types := e.ByType.Clone()
	sort.Slice(types, func(i, j int) bool {
		a, c := types[i], types[j]
		if a.Memory != c.Memory {
			return a.Memory > c.Memory
		}
		return a.Type < c.Type
	})
	parts := make([]string, 0, len(types))
	for i, t := range types {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, t.Type+" "+htmlPct(htmlRatio(t.Memory, e.Memory)))
	}
	return strings.Join(parts, ", ")
}

// slotTable lists the hottest slots; shareOf heads the share column (see
// groupTable).
func (b *htmlBuilder) slotTable(slots []aggregate.SlotStat, shareOf string, nodeMem int64) *htmlTable {
	t := b.newTable(
		htmlColumn{Label: "Slot", Num: true}, htmlColumn{Label: "Keys", Num: true},
		htmlColumn{Label: "Memory", Num: true},
		htmlColumn{Label: shareOf, Num: true, Help: "share of the key memory of the " + htmlShareScope(shareOf)},
	)
	for _, s := range slots {
		share := htmlRatio(s.Memory, nodeMem)
		slot := strconv.Itoa(s.Slot)
		t.Rows = append(t.Rows, htmlRow{Cells: []htmlCell{
			{Text: slot, Sort: slot}, htmlCountCell(s.Keys), htmlBytesCell(s.Memory),
			{Text: htmlPct(share), Sort: htmlRatioSort(share), Meter: share, HasMeter: true},
		}})
	}
	b.finish(t, len(slots))
	return t
}

// familyTreemap draws the biggest families as tiles sized by memory and
// coloured by their main data type. Past TreemapCap tiles the rest is
// folded into one, with the table's "(other)": more tiles would only be
// slivers, and would slow the page down.
