package render

import (
	"bytes"
	"flag"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/rdbscope/rdbscope/aggregate"
)

var updateMarkdown = flag.Bool("update-markdown", false, "rewrite render/testdata/markdown/*.golden.md")

func renderMarkdown(t *testing.T, r *aggregate.Report, o MarkdownOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Markdown(&buf, r, o))
	return buf.String()
}

func TestMarkdownGolden(t *testing.T) {
	cases := []struct {
		name string
		r    *aggregate.Report
		o    MarkdownOptions
	}{
		{"incident", withMaxmemory(htmlIncidentReport(), 4<<30, nil), MarkdownOptions{Title: "Checkout cache incident", TopKeys: 5}},
		{"empty", &aggregate.Report{SchemaVersion: aggregate.SchemaVersion, Tool: aggregate.Tool{Name: "rdbscope", Version: "test"}}, MarkdownOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertGolden(t, filepath.Join("testdata", "markdown", c.name+".golden.md"), renderMarkdown(t, c.r, c.o),
				*updateMarkdown, "-run TestMarkdownGolden -update-markdown")
		})
	}
}

// mdToHTML renders Markdown the way GitHub does (GFM tables,
// strikethrough, autolinks), with raw HTML let through, so that any HTML
// a name smuggled into the document would show in the output.
func mdToHTML(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	require.NoError(t, gm.Convert([]byte(md), &out))
	return out.String()
}

// mdHostileKeys break Markdown in every way a key can: cell boundaries,
// code spans, HTML, emphasis, links, block starts, line breaks, control
// bytes, invalid UTF-8.
var mdHostileKeys = []string{
	"pipe|in|key",
	"back`tick``s",
	"`",
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(1)>",
	"line\nbreak\r\nkey",
	"# heading",
	"- list item",
	"1. ordered",
	"**bold** _em_ ~~strike~~",
	"[link](javascript:alert(1))",
	"![img](x)",
	"&lt;entity&gt;",
	"ctrl\x00\x1b[31m\x7f",
	"\xff\xfe invalid",
	`back\slash|\|`,
	" spaced ",
}

func mdHostileReport() *aggregate.Report {
	r := withMaxmemory(htmlHostileReport(), 1<<30, nil)
	big := r.Nodes[2]
	for i, k := range mdHostileKeys {
		big.TopKeys = append([]aggregate.KeyInfo{htmlTestKey(k, "hash", "hashtable", int64(3_000_000_000-i), 3, 0)}, big.TopKeys...)
		big.Families.Entries = append([]aggregate.Group{htmlTestGroup(k+":*", "hash", 1, int64(3_000_000_000-i), 1, htmlTestKey(k, "hash", "hashtable", 1, 1, 0))}, big.Families.Entries...)
		r.Findings = append(r.Findings, aggregate.Finding{Kind: "big-key", Severity: aggregate.SeverityWarning, Node: k,
			Key: aggregate.KeyName(k), Family: aggregate.EscapeKey(k), Memory: 1, Title: k, Explanation: k, Advice: k,
			Figures: aggregate.Figures{}.Count(k, 1)})
	}
	r.Cluster = aggregate.Merge("cluster", 40, r.Nodes...)
	return r
}

var (
	mdTagRE   = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)`)
	mdTableRE = regexp.MustCompile(`(?s)<table>(.*?)</table>`)
	mdRowRE   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	mdCellRE  = regexp.MustCompile(`<t[hd][ >]`)
)

// TestMarkdownHostileNames renders the Markdown of a report full of
// hostile names with a GFM parser that lets raw HTML through, and checks
// that only the document's own elements come out, that every table has
// the shape of its header, and that the names are shown as text.
func TestMarkdownHostileNames(t *testing.T) {
	r := mdHostileReport()
	md := renderMarkdown(t, r, MarkdownOptions{TopKeys: 40, Families: 40})
	for _, line := range strings.Split(md, "\n") {
		assert.NotContains(t, line, "\r", "a raw carriage return")
	}
	assert.NotContains(t, md, "\x00")
	assert.NotContains(t, md, "\x1b")
	// Every table line has one cell boundary per column and one more, as
	// GitHub splits it: a pipe after an even number of backslashes
	// (goldmark is more lenient than GitHub inside code spans).
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|") {
			assert.Contains(t, []int{8, 10}, mdCellBoundaries(line), "table line %q", line)
		}
	}
	out := mdToHTML(t, md)

	allowed := map[string]bool{"h1": true, "h2": true, "h3": true, "p": true, "strong": true, "em": true, "ul": true,
		"li": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "code": true}
	for _, m := range mdTagRE.FindAllStringSubmatch(out, -1) {
		assert.True(t, allowed[m[2]], "element <%s> in the rendered Markdown", m[2])
	}
	assert.NotContains(t, out, "<!--", "raw HTML omitted or passed")
	assert.NotContains(t, out, "<a ", "a name became a link")
	assert.NotContains(t, out, "<del>", "a name became strikethrough")

	tables := mdTableRE.FindAllStringSubmatch(out, -1)
	require.Len(t, tables, 3, "nodes, biggest keys, biggest families")
	for i, want := range []struct{ cols, rows int }{{9, len(r.Nodes)}, {9, min(40, len(r.Cluster.TopKeys))}, {7, min(40, len(r.Cluster.Families.Entries))}} {
		rows := mdRowRE.FindAllStringSubmatch(tables[i][1], -1)
		require.Len(t, rows, want.rows+1, "table %d: header and rows", i)
		for j, row := range rows {
			assert.Len(t, mdCellRE.FindAllString(row[1], -1), want.cols, "table %d row %d: %s", i, j, row[1])
		}
	}
	// The names are there, as text.
	for _, want := range []string{
		"<code>pipe|in|key</code>", "&lt;script&gt;alert(1)&lt;/script&gt;", "<code>back`tick``s</code>",
		"<code>&lt;img src=x onerror=alert(1)&gt;</code>", `<code>line\x0abreak\x0d\x0akey</code>`,
		"<code># heading</code>", "<code>[link](javascript:alert(1))</code>", "<code>&amp;lt;entity&amp;gt;</code>",
		`<code>ctrl\x00\x1b[31m\x7f</code>`, `<code>\xff\xfe invalid</code>`, `<code>back\\slash|\\|</code>`,
		"**bold** _em_ ~~strike~~",
	} {
		assert.Contains(t, out, want)
	}
	// In a sentence (a finding's title), a name is escaped text.
	assert.Contains(t, out, "<h3>")
	assert.Contains(t, out, "WARNING: pipe|in|key</h3>")
	assert.Contains(t, out, "WARNING: - list item</h3>")
}

func TestMarkdownEscaping(t *testing.T) {
	for _, c := range []struct{ in, text, cell string }{
		{"plain words", "plain words", "`plain words`"},
		{"a|b", `a\|b`, "`a\\|b`"},
		{"a`b", "a\\`b", "``a`b``"},
		{"`x`", "\\`x\\`", "`` `x` ``"},
		{"<b>&", `\<b\>\&`, "`<b>&`"},
		{"# h", `\# h`, "`# h`"},
		{"- item", `\- item`, "`- item`"},
		{"12. x", `12\. x`, "`12. x`"},
		{"3) x", `3\) x`, "`3) x`"},
		{"4.00 GiB", "4.00 GiB", "`4.00 GiB`"},
		{"<0.1%", `\<0.1%`, "`<0.1%`"},
		{"a-b #1 +2", "a-b #1 +2", "`a-b #1 +2`"},
		{"*_~[]@", `\*\_\~\[\]\@`, "`*_~[]@`"},
		{"x\ny", "x y", "`x y`"},
		{" s ", " s ", "`  s  `"},
	} {
		assert.Equal(t, c.text, mdText(c.in), "text %q", c.in)
		assert.Equal(t, c.cell, mdCode(c.in, true), "cell %q", c.in)
	}
	assert.Equal(t, "`a|b`", mdCode("a|b", false), "outside a table a pipe is literal in a code span")
	assert.Error(t, Markdown(io.Discard, nil, MarkdownOptions{}))
	assert.Error(t, Markdown(failWriter{}, htmlIncidentReport(), MarkdownOptions{}))
}

// mdCellBoundaries counts the unescaped pipes of a table line.
func mdCellBoundaries(line string) int {
	n, slashes := 0, 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			slashes++
			continue
		case '|':
			if slashes%2 == 0 {
				n++
			}
		}
		slashes = 0
	}
	return n
}
