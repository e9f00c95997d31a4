package render

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/rdbscope/rdbscope/aggregate/diff"
	"github.com/rdbscope/rdbscope/internal/bytesize"
)

// diffPage is what diff.tmpl renders. It shares the report's shell
// (stylesheet, head, static script, which only sorts tables here), tables
// and finding cards; the diff draws no chart, so the chart runtime is not
// inlined and the page stays small.
type diffPage struct {
	htmlShell
	Headline, Sides string
	Findings        []htmlFindingView
	Overview        *htmlTable
	Scopes          []*diffScopeView
}

type diffScopeView struct {
	Anchor, Name, Headline                              string
	Types, Families, Keys, LostTTL, FamLostTTL, BigKeys *htmlTable
}

// DiffHTML writes the diff as one self-contained page in the report's
// style: every figure in plain HTML tables, no data in any script, and a
// Content-Security-Policy that allows only the page's own stylesheet and
// table-sorting script by hash.
func DiffHTML(w io.Writer, d *diff.Diff) error {
	if d == nil {
		return errors.New("render: no diff")
	}
	return executePage(w, "diffpage", diffBuildPage(d))
}

func diffBuildPage(d *diff.Diff) *diffPage {
	b := &htmlBuilder{opts: HTMLOptions{TableCap: DefaultTableCap, TreemapCap: DefaultTreemapCap}, refs: map[string]int64{}}
	p := &diffPage{
		htmlShell: newShell(d.Tool, d.SchemaVersion),
		Sides:     htmlClean(fmt.Sprintf("OLD: %s (%d nodes). NEW: %s (%d nodes). %s.", diffWhen(d.Old), len(d.Old.Nodes), diffWhen(d.New), len(d.New.Nodes), diffModeText(d))),
		Findings:  htmlFindingViews(d.Findings),
	}
	p.Headline = "No node grew."
	var biggest *diff.Scope
	for i := range d.Scopes {
		s := &d.Scopes[i]
		if biggest == nil || s.Memory.Delta > biggest.Memory.Delta {
			biggest = s
		}
	}
	if biggest != nil && biggest.Memory.Delta > 0 {
		p.Headline = fmt.Sprintf("%s grew by %s (%s)", diffScopeName(biggest), bytesize.Format(biggest.Memory.Delta, bytesize.Sentence), biggest.Memory.GrowthPct())
		if len(biggest.Families) > 0 && biggest.Families[0].Memory.Delta > 0 {
			p.Headline += ", most in " + htmlName(string(biggest.Families[0].Name), htmlLabelCap)
		}
	}
	p.Headline = htmlClean(p.Headline)
	p.Title = p.Headline

	ov := b.newTable(htmlColumn{Label: "Scope"}, htmlColumn{Label: "Keys", Num: true}, htmlColumn{Label: "Δ keys", Num: true},
		htmlColumn{Label: "Memory old", Num: true}, htmlColumn{Label: "Memory new", Num: true}, htmlColumn{Label: "Δ memory", Num: true},
		htmlColumn{Label: "Δ %", Num: true}, htmlColumn{Label: "Δ without TTL", Num: true}, htmlColumn{Label: "Δ est. used", Num: true})
	for i := range d.Scopes {
		s := &d.Scopes[i]
		ov.Rows = append(ov.Rows, htmlRow{Cells: []htmlCell{{Text: diffScopeName(s)}, htmlCountCell(s.Keys.New), diffSignedCount(s.Keys.Delta),
			htmlBytesCell(s.Memory.Old), htmlBytesCell(s.Memory.New), diffSignedBytesCell(s.Memory.Delta), diffPctCell(s.Memory),
			diffSignedBytesCell(s.NoTTLMemory.Delta), diffSignedBytesCell(s.EstimatedUsedMemory.Delta)}})
		p.Scopes = append(p.Scopes, diffScope(b, s, i))
	}
	b.finish(ov, len(ov.Rows))
	p.Overview = ov
	diffCleanTables(p)
	return p
}

func diffScopeName(s *diff.Scope) string {
	if s.All {
		return "All nodes"
	}
	return s.Name
}

func diffScope(b *htmlBuilder, s *diff.Scope, i int) *diffScopeView {
	v := &diffScopeView{Anchor: "scope-" + strconv.Itoa(i), Name: diffScopeName(s),
		Headline: fmt.Sprintf("%s → %s (%s)", bytesize.Format(s.Memory.Old, bytesize.Sentence), bytesize.Format(s.Memory.New, bytesize.Sentence), diffPctText(s.Memory))}
	t := b.newTable(htmlColumn{Label: "Type"}, htmlColumn{Label: "Keys", Num: true}, htmlColumn{Label: "Δ keys", Num: true},
		htmlColumn{Label: "Memory old", Num: true}, htmlColumn{Label: "Memory new", Num: true}, htmlColumn{Label: "Δ memory", Num: true}, htmlColumn{Label: "Δ %", Num: true})
	for _, ty := range s.ByType {
		t.Rows = append(t.Rows, htmlRow{Cells: []htmlCell{{Text: htmlName(ty.Type, htmlKeyCap), Mono: true}, htmlCountCell(ty.Keys.New), diffSignedCount(ty.Keys.Delta),
			htmlBytesCell(ty.Memory.Old), htmlBytesCell(ty.Memory.New), diffSignedBytesCell(ty.Memory.Delta), diffPctCell(ty.Memory)}})
	}
	b.finish(t, len(t.Rows))
	v.Types = t
	famTable := func(gs []diff.Family) *htmlTable {
		if len(gs) == 0 {
			return nil
		}
		t := b.newTable(htmlColumn{Label: "Family"}, htmlColumn{Label: "Keys old", Num: true}, htmlColumn{Label: "Keys new", Num: true},
			htmlColumn{Label: "Memory old", Num: true}, htmlColumn{Label: "Memory new", Num: true}, htmlColumn{Label: "Δ memory", Num: true},
			htmlColumn{Label: "Without TTL old", Num: true}, htmlColumn{Label: "Without TTL new", Num: true},
			htmlColumn{Label: "± error", Num: true, Help: "bound of the bounded family tables: the change may be off by this much"})
		for _, g := range gs {
			t.Rows = append(t.Rows, htmlRow{Cells: []htmlCell{htmlKeyCell(g.Name, 0), htmlCountCell(g.Keys.Old), htmlCountCell(g.Keys.New),
				htmlBytesCell(g.Memory.Old), htmlBytesCell(g.Memory.New), diffSignedBytesCell(g.Memory.Delta),
				diffShareCell(g.NoTTLShareOld), diffShareCell(g.NoTTLShareNew), htmlBytesCell(g.Error)}})
		}
		b.finish(t, len(t.Rows))
		return t
	}
	v.Families = famTable(s.Families)
	v.FamLostTTL = famTable(s.FamiliesLostTTL)
	keyTable := func(ks []diff.Key) *htmlTable {
		if len(ks) == 0 {
			return nil
		}
		t := b.newTable(htmlColumn{Label: "Node"}, htmlColumn{Label: "DB", Num: true}, htmlColumn{Label: "Key"}, htmlColumn{Label: "Type"},
			htmlColumn{Label: "Status", Help: "new: absent before; entered/left: crossed the top list's cut-off; deleted: gone"},
			htmlColumn{Label: "Memory old", Num: true}, htmlColumn{Label: "Memory new", Num: true}, htmlColumn{Label: "Δ memory", Num: true},
			htmlColumn{Label: "TTL old"}, htmlColumn{Label: "TTL new"})
		for _, k := range ks {
			node, typ := k.Node, ""
			if node == "" {
				node = s.Name
			}
			oldM, newM := htmlCell{Text: "-", Sort: "-1"}, htmlCell{Text: "-", Sort: "-1"}
			oldT, newT := htmlCell{Text: "-"}, htmlCell{Text: "-"}
			if k.Old != nil {
				oldM, oldT, typ = htmlBytesCell(k.Old.Memory), htmlCell{Text: diffTTLWord(int64(k.Old.ExpiresAt))}, k.Old.Type
			}
			if k.New != nil {
				newM, newT, typ = htmlBytesCell(k.New.Memory), htmlCell{Text: diffTTLWord(int64(k.New.ExpiresAt))}, k.New.Type
			}
			delta := diffSignedBytesCell(k.Delta)
			if k.AtLeast {
				delta.Text = "at least " + delta.Text
			}
			t.Rows = append(t.Rows, htmlRow{Cells: []htmlCell{{Text: htmlName(node, htmlKeyCap)}, htmlCountCell(int64(k.DB)), htmlKeyCell(k.Key, 0),
				{Text: htmlName(typ, htmlKeyCap)}, {Text: k.Status}, oldM, newM, delta, oldT, newT}})
		}
		b.finish(t, len(t.Rows))
		return t
	}
	v.Keys = keyTable(s.TopKeys)
	v.LostTTL = keyTable(s.LostTTL)
	v.BigKeys = keyTable(s.NewBigKeys)
	return v
}

func diffSignedBytesCell(v int64) htmlCell {
	c := htmlBytesCell(v)
	if v > 0 {
		c.Text = "+" + c.Text
	}
	return c
}

func diffSignedCount(v int64) htmlCell {
	c := htmlCountCell(v)
	if v > 0 {
		c.Text = "+" + c.Text
	}
	return c
}

func diffPctCell(c diff.Change) htmlCell {
	return htmlCell{Text: diffPctText(c), Sort: strconv.FormatFloat(c.Ratio, 'f', 6, 64)}
}

func diffShareCell(f float64) htmlCell {
	return htmlCell{Text: htmlPct(f), Sort: strconv.FormatFloat(f, 'f', 6, 64)}
}

// diffCleanTables passes every piece of text of the page through
// htmlClean, as the report does.
func diffCleanTables(p *diffPage) {
	tables := []*htmlTable{p.Overview}
	for _, s := range p.Scopes {
		s.Name, s.Headline = htmlClean(s.Name), htmlClean(s.Headline)
		tables = append(tables, s.Types, s.Families, s.Keys, s.LostTTL, s.FamLostTTL, s.BigKeys)
	}
	cleanTables(tables...)
}
