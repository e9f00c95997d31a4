package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
)

// Tables: the model every table of both pages is rendered from
// (parts.tmpl's "table"), and the cells of common figures.

// htmlTable is a plain HTML table; the static script sorts it by the Sort
// values of its cells when the reader clicks a header.
type htmlTable struct {
	ID   string
	Cols []htmlColumn
	Rows []htmlRow
	Note string
}

type htmlColumn struct {
	Label string
	Num   bool
	Help  string
}

type htmlRow struct {
	Class string
	Cells []htmlCell
}

type htmlCell struct {
	Text  string
	Title string
	Sort  string
	Mono  bool
	Class string
	// Meter, when HasMeter, is drawn as a <meter>: a share bar that needs
	// neither script nor inline style (which the CSP forbids).
	Meter    float64
	HasMeter bool
	// Num right-aligns the cell; finish copies it from the column.
	Num bool
}

// Classes is the class attribute of the cell.
func (c htmlCell) Classes() string {
	var cl []string
	if c.Num {
		cl = append(cl, "num")
	}
	if c.Mono {
		cl = append(cl, "mono")
	}
	if c.Class != "" {
		cl = append(cl, c.Class)
	}
	return strings.Join(cl, " ")
}

func (b *htmlBuilder) newTable(cols ...htmlColumn) *htmlTable {
	b.ntables++
	return &htmlTable{ID: "t" + strconv.Itoa(b.ntables), Cols: cols}
}

// finish keeps the first TableCap rows and says so, so that a 100 k-row
// breakdown cannot make the page unusable, and aligns numeric cells.
func (b *htmlBuilder) finish(t *htmlTable, total int) {
	if len(t.Rows) > b.opts.TableCap {
		t.Rows = t.Rows[:b.opts.TableCap]
	}
	if total > len(t.Rows) {
		t.Note = fmt.Sprintf("Showing the first %s of %s rows.", htmlCount(int64(len(t.Rows))), htmlCount(int64(total)))
	}
	for _, r := range t.Rows {
		for i := range r.Cells {
			if i < len(t.Cols) && t.Cols[i].Num {
				r.Cells[i].Num = true
			}
		}
	}
}

// htmlBytesCell shows bytes, exact in its tooltip, sorted by value.
func htmlBytesCell(v int64) htmlCell {
	return htmlCell{Text: htmlBytes(v), Title: htmlCount(v) + " bytes", Sort: strconv.FormatInt(v, 10)}
}

// htmlCountCell shows a count, sorted by value.
func htmlCountCell(v int64) htmlCell {
	return htmlCell{Text: htmlCount(v), Sort: strconv.FormatInt(v, 10)}
}

// htmlKeyCell shows a key; fullLen is its length when the profile holds
// only its first bytes (aggregate.KeyInfo.KeyLen), else 0.
func htmlKeyCell(k aggregate.KeyName, fullLen int64) htmlCell {
	n := max(fullLen, int64(len(k)))
	c := htmlCell{Text: htmlTruncate(aggregate.EscapeKey(string(k)), int(n), htmlKeyCap), Mono: true, Class: "key"}
	if n > htmlKeyCap {
		c.Title = "key of " + htmlCount(n) + " bytes, shown truncated"
	}
	return c
}

// cleanTables passes every piece of table text through htmlClean, so that
// no name from a dump reaches a page as invalid UTF-8 or an invisible
// control character.
func cleanTables(tables ...*htmlTable) {
	for _, t := range tables {
		if t == nil {
			continue
		}
		t.Note = htmlClean(t.Note)
		for _, r := range t.Rows {
			for i := range r.Cells {
				r.Cells[i].Text, r.Cells[i].Title = htmlClean(r.Cells[i].Text), htmlClean(r.Cells[i].Title)
			}
		}
	}
}
