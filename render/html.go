package render

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/rdbscope/rdbscope/aggregate"
)

// The ECharts runtime is inlined into every report, so that a report is
// one file that opens offline, from a ticket or a mail attachment, with
// nothing loaded from anywhere.
//
//go:embed assets/echarts.min.js
var echartsJS string

// echartsSHA256 pins the embedded runtime: TestEChartsPinned fails when
// assets/echarts.min.js changes without this (and the pin in
// assets/refresh-echarts.sh) being updated in the same change.
const echartsSHA256 = "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1"

// templateFS holds the page templates: report.tmpl (the analyze report),
// diff.tmpl (the diff page) and parts.tmpl (what both share: the head,
// tables, chart elements and finding cards).
//
//go:embed templates/*.tmpl
var templateFS embed.FS

//go:embed html.css
var htmlCSS string

// htmlJS is the one static script of the page: it starts the charts from
// the JSON islands, owns every tooltip formatter (so that no JavaScript is
// ever built from dump data), and makes tables sortable.
//
//go:embed html.js
var htmlJS string

// Defaults of HTMLOptions.
const (
	// DefaultTreemapCap is how many key families a treemap shows before the
	// rest is folded into one "other" tile: a few hundred tiles is already
	// more than a reader can tell apart, and it keeps the page fast.
	DefaultTreemapCap = 300
	// DefaultTableCap is how many rows a table shows at most.
	DefaultTableCap = 500
)

// Display caps for names that come from the dump. A key can be 512 MB; a
// report must not be.
const (
	htmlKeyCap   = 256 // bytes of the escaped form, in tables
	htmlLabelCap = 80  // bytes of the escaped form, in chart labels and tooltips
)

// HTMLOptions tune the HTML report. What the nodes run with (maxmemory,
// drawn as a line over the cluster chart) comes from the report's
// Settings, the ones its findings were judged with.
type HTMLOptions struct {
	// Title names the report, e.g. "Checkout cache incident, 1 May": the
	// page's heading, and its title before the headline. Empty means
	// "rdbscope report".
	Title string
	// TreemapCap bounds the tiles of a families treemap
	// (DefaultTreemapCap if <= 0).
	TreemapCap int
	// TableCap bounds the rows of every table (DefaultTableCap if <= 0).
	TableCap int
	// NodeSections bounds the nodes that get a section of their own, the
	// worst first (DefaultNodeSections if <= 0): a page of 300 node
	// sections is 20 MB that nobody reads. The nodes table lists all.
	NodeSections int

	// runtime replaces the embedded ECharts in tests, so that golden files
	// stay small and readable; empty means the real runtime.
	runtime string
}

// HTML writes r as one self-contained HTML page: findings first, then the
// per-cluster and per-node views, with every figure also present as plain
// HTML so that the page is useful where scripts do not run. The output
// depends only on r and opts, so two reports of the same dumps are
// byte-identical and diff cleanly.
func HTML(w io.Writer, r *aggregate.Report, opts HTMLOptions) error {
	if r == nil {
		return errors.New("render: no report")
	}
	p, err := htmlBuildPage(r, opts)
	if err != nil {
		return err
	}
	return executePage(w, "page", p)
}

// executePage renders the page template name with p to w, buffered.
func executePage(w io.Writer, name string, p any) error {
	tmpl, err := htmlTemplates()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := tmpl.ExecuteTemplate(bw, name, p); err != nil {
		return fmt.Errorf("render: html %s: %w", name, err)
	}
	return bw.Flush()
}

// chartRuntime is the chart runtime a page inlines: the embedded ECharts,
// or a test's stand-in.
func chartRuntime(override string) (string, error) {
	runtime := echartsJS
	if override != "" {
		runtime = override
	}
	// A script element ends at the first "</script" whatever the JS means,
	// and "<!--" switches the HTML parser into a state where it may not;
	// the runtime is inlined verbatim, so it must contain neither.
	if l := strings.ToLower(runtime); strings.Contains(l, "</script") || strings.Contains(l, "<!--") {
		return "", errors.New("render: chart runtime cannot be inlined: contains </script or <!--")
	}
	return runtime, nil
}

// htmlTemplates parses the embedded templates once, as one set holding
// both pages; an error (a broken template in the source tree) is returned
// rather than panicking.
var htmlTemplates = sync.OnceValues(func() (*template.Template, error) {
	return template.ParseFS(templateFS, "templates/*.tmpl")
})

// htmlPage is what report.tmpl renders. Every string in it is plain text that
// the template escapes; the only unescaped values are the CSS, the scripts
// and the JSON islands, none of which carry unescaped dump data.
type htmlPage struct {
	htmlShell
	// Heading is HTMLOptions.Title, or "rdbscope report"; Named is set
	// when it is the user's.
	Heading string
	Named   bool
	// Headline is the verdict; Verdict is "critical" when it leads with
	// a critical finding (and is then shown as one), empty otherwise.
	Headline string
	Verdict  string
	Facts    []htmlStat
	Runtime  template.JS

	Inputs     *htmlTable
	Incomplete []string
	// Findings are the finding cards; with many, FindingGroups holds them
	// grouped by kind instead.
	Findings      []htmlFindingView
	FindingGroups []htmlFindingGroup
	Overview      *htmlOverview
	Nodes         []*htmlNodeView
	// NavNodes are the sections the navigation links (none with many);
	// SectionsNote says which nodes have no section.
	NavNodes     []*htmlNodeView
	SectionsNote string
	TopOverall   *htmlTable
	// TopOverallNote says what a filtered TopOverall covers.
	TopOverallNote string
	Charts         []htmlChartIsland
}

// htmlBuilder carries the state of one rendering: options and the numbering
// of charts and tables, which is what makes ids stable from run to run.
type htmlBuilder struct {
	opts     HTMLOptions
	settings *aggregate.Settings // nil when unknown
	full     map[string]bool     // names of the nodes the findings judged full
	// worst is the severity of each node's most severe finding.
	worst   map[string]aggregate.Severity
	charts  []htmlChartIsland
	ntables int
	refs    map[string]int64 // node name → expiry reference (Unix s)
	// cluster is set when aggregate placed keys in hash slots: top keys
	// then show their slot.
	cluster bool
	// report is the report drawn; nil for a diff.
	report *aggregate.Report
	// horizontal turns the overview's node charts into horizontal bars
	// (a fleet's, see chartNodes).
	horizontal bool
}

func htmlBuildPage(r *aggregate.Report, o HTMLOptions) (*htmlPage, error) {
	if o.TreemapCap <= 0 {
		o.TreemapCap = DefaultTreemapCap
	}
	if o.TableCap <= 0 {
		o.TableCap = DefaultTableCap
	}
	runtime, err := chartRuntime(o.runtime)
	if err != nil {
		return nil, err
	}
	b := &htmlBuilder{opts: o, settings: r.Settings, full: htmlFullNodes(r.Findings), worst: map[string]aggregate.Severity{}, refs: map[string]int64{},
		report: r}
	for _, f := range r.Findings {
		b.worst[f.Node] = max(b.worst[f.Node], f.Severity)
	}
	for _, n := range r.Nodes {
		if n != nil {
			b.refs[n.Name] = n.ExpiryReference
			b.cluster = b.cluster || (n.Slots != nil && len(n.Slots.PerSlot) > 0)
		}
	}
	p := &htmlPage{htmlShell: newShell(r.Tool, r.SchemaVersion, runtime), Runtime: template.JS(runtime)}

	nodes := make([]*aggregate.Node, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	p.Inputs, p.Incomplete = b.inputs(nodes)
	if groupFindings(r.Findings) {
		p.FindingGroups = htmlFindingGroups(r.Findings)
	} else {
		p.Findings = htmlFindingViews(r.Findings)
	}
	p.Heading, p.Named = o.Title, o.Title != ""
	if p.Heading == "" {
		p.Heading = "rdbscope report"
	}
	p.Headline, p.Title = htmlHeadline(p.Heading, nodes, r.Findings)
	if htmlFirstCritical(r.Findings) != nil {
		p.Verdict = aggregate.SeverityCritical.String()
	}
	p.Facts = htmlFacts(r, nodes)

	if len(nodes) > 0 {
		ov, err := b.overview(nodes, r.Findings)
		if err != nil {
			return nil, err
		}
		p.Overview = ov
	}
	open := len(nodes) <= 4
	biggest := htmlBiggestNode(nodes)
	if r.Cluster != nil && len(nodes) > 1 {
		nv, err := b.node(r.Cluster, "cluster", true)
		if err != nil {
			return nil, err
		}
		nv.Name = "All nodes (" + r.Cluster.Name + ")"
		p.Nodes = append(p.Nodes, nv)
	}
	sections, note := b.nodeSections(nodes)
	p.SectionsNote = note
	for i, n := range sections {
		critical := b.worst[n.Name] == aggregate.SeverityCritical
		nv, err := b.node(n, "node-"+strconv.Itoa(i), open || n == biggest || critical || !n.Complete)
		if err != nil {
			return nil, err
		}
		p.Nodes = append(p.Nodes, nv)
	}
	if r.Cluster != nil && len(nodes) > 1 {
		p.TopOverall = b.topKeys(topKeysOf(r, r.Cluster), true, 0)
		if r.Filter != nil {
			p.TopOverallNote = filterNote(r.Filter, r.Cluster)
		}
	}
	if len(p.Nodes) <= htmlNavNodes {
		p.NavNodes = p.Nodes
	}
	p.Charts = b.charts
	p.clean()
	return p, nil
}

// clean passes every piece of text of the page through htmlClean, in one
// place, so that no field (a node name from a file name, an error message
// quoting a key) can reach the page as invalid UTF-8 or an invisible
// control character, whichever code built it. Finding cards are cleaned
// where they are built (htmlFindingViews).
func (p *htmlPage) clean() {
	c := htmlClean
	p.Title, p.Heading, p.Headline, p.TopOverallNote = c(p.Title), c(p.Heading), c(p.Headline), c(p.TopOverallNote)
	p.SectionsNote = c(p.SectionsNote)
	for i := range p.FindingGroups {
		p.FindingGroups[i].Summary = c(p.FindingGroups[i].Summary)
	}
	for i := range p.Facts {
		p.Facts[i].Label, p.Facts[i].Value, p.Facts[i].Title = c(p.Facts[i].Label), c(p.Facts[i].Value), c(p.Facts[i].Title)
	}
	for i := range p.Incomplete {
		p.Incomplete[i] = c(p.Incomplete[i])
	}
	tables := []*htmlTable{p.Inputs, p.TopOverall}
	if p.Overview != nil {
		p.Overview.ChartsNote = c(p.Overview.ChartsNote)
		for i := range p.Overview.Notes {
			p.Overview.Notes[i].Text = c(p.Overview.Notes[i].Text)
		}
		tables = append(tables, p.Overview.Table)
	}
	for _, n := range p.Nodes {
		n.Name, n.Error, n.Headline, n.SlotsHeld, n.TopKeysNote = c(n.Name), c(n.Error), c(n.Headline), c(n.SlotsHeld), c(n.TopKeysNote)
		for i := range n.Warnings {
			n.Warnings[i] = c(n.Warnings[i])
		}
		for i := range n.Stats {
			n.Stats[i].Label, n.Stats[i].Value, n.Stats[i].Title = c(n.Stats[i].Label), c(n.Stats[i].Value), c(n.Stats[i].Title)
		}
		tables = append(tables, n.Types, n.Encodings, n.Expiry, n.Families, n.Prefixes, n.Hashtags, n.TopKeys, n.HotSlots)
	}
	cleanTables(tables...)
}

// htmlShell is what every page has around its content: the head
// (parts.tmpl's "head") and the one static script.
type htmlShell struct {
	Title  string
	CSP    string
	Tool   string
	Style  template.CSS
	Script template.JS
}

// newShell makes the shell of a page whose only scripts are the given
// ones (besides the static script) and the JSON islands, which the
// browser never runs: the Content-Security-Policy allows these scripts and
// the stylesheet by hash, and nothing else from anywhere.
func newShell(tool aggregate.Tool, schema int, scripts ...string) htmlShell {
	src := ""
	for _, s := range scripts {
		src += htmlCSPHash(s) + " "
	}
	return htmlShell{
		CSP: "default-src 'none'; script-src " + src + htmlCSPHash(htmlJS) + "; style-src " + htmlCSPHash(htmlCSS) +
			"; img-src data:; base-uri 'none'; form-action 'none'",
		Tool:   htmlClean(htmlToolLine(tool, schema)),
		Style:  template.CSS(htmlCSS),
		Script: template.JS(htmlJS),
	}
}

// htmlCSPHash is the CSP source expression that allows exactly one inline
// script or style: hashes instead of 'unsafe-inline', so that markup that
// somehow slipped through escaping still could not run.
func htmlCSPHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func htmlToolLine(t aggregate.Tool, schema int) string {
	name := t.Name
	if name == "" {
		name = "rdbscope"
	}
	s := name
	if t.Version != "" {
		s += " " + t.Version
	}
	if t.ModelVersion != "" {
		s += ", memory model " + t.ModelVersion
	}
	s += ", report schema " + strconv.Itoa(schema)
	if t.GeneratedAt != "" {
		s += ", generated " + t.GeneratedAt
	}
	return s
}

func (b *htmlBuilder) inputs(nodes []*aggregate.Node) (*htmlTable, []string) {
	t := b.newTable(
		htmlColumn{Label: "Node"}, htmlColumn{Label: "Input"}, htmlColumn{Label: "Size", Num: true},
		htmlColumn{Label: "SHA-256"}, htmlColumn{Label: "RDB", Num: true}, htmlColumn{Label: "Redis"},
		htmlColumn{Label: "Snapshot (UTC)"}, htmlColumn{Label: "Checksum"}, htmlColumn{Label: "Status"},
	)
	var bad []string
	for _, n := range nodes {
		s := n.Source
		if s == nil {
			s = &aggregate.Source{}
		}
		path := s.Path
		if s.Member != "" {
			path += " → " + s.Member
		}
		if s.Compression != "" {
			path += " (" + s.Compression + ")"
		}
		status := htmlCell{Text: "complete", Class: "ok"}
		rc := ""
		if !n.Complete {
			msg := "incomplete"
			if n.Error != "" {
				msg += ": " + n.Error
			}
			if n.ErrorOffset > 0 {
				msg += " (at byte " + htmlCount(n.ErrorOffset) + ")"
			}
			status = htmlCell{Text: msg, Class: "bad"}
			rc = "bad"
			bad = append(bad, n.Name+" — "+msg)
		}
		redis := s.RedisVersion
		if s.RedisBits != 0 {
			redis += " (" + strconv.Itoa(s.RedisBits) + "-bit)"
		}
		t.Rows = append(t.Rows, htmlRow{Class: rc, Cells: []htmlCell{
			{Text: n.Name},
			{Text: path, Mono: true},
			htmlBytesCell(s.Bytes),
			{Text: s.SHA256, Mono: true, Class: "hash"},
			{Text: strconv.Itoa(s.RDBVersion), Sort: strconv.Itoa(s.RDBVersion)},
			{Text: redis},
			{Text: htmlTime(s.CTime), Sort: strconv.FormatInt(s.CTime, 10)},
			{Text: s.Checksum},
			status,
		}})
	}
	b.finish(t, len(nodes))
	return t, bad
}
