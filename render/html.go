package render

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/internal/bytesize"
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

//go:embed html.tmpl
var htmlTemplateText string

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
	// TreemapCap bounds the tiles of a families treemap
	// (DefaultTreemapCap if <= 0).
	TreemapCap int
	// TableCap bounds the rows of every table (DefaultTableCap if <= 0).
	TableCap int

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
	tmpl, err := htmlTemplate()
	if err != nil {
		return err
	}
	p, err := htmlBuildPage(r, opts)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := tmpl.ExecuteTemplate(bw, "page", p); err != nil {
		return fmt.Errorf("render: html: %w", err)
	}
	return bw.Flush()
}

// htmlTemplate parses the embedded template once; an error (a broken
// template in the source tree) is returned rather than panicking.
var htmlTemplate = sync.OnceValues(func() (*template.Template, error) {
	return template.New("html").Parse(htmlTemplateText)
})

// htmlPage is what html.tmpl renders. Every string in it is plain text that
// the template escapes; the only unescaped values are the CSS, the scripts
// and the JSON islands, none of which carry unescaped dump data.
type htmlPage struct {
	Title    string
	Headline string
	CSP      string
	Style    template.CSS
	Runtime  template.JS
	Script   template.JS

	Tool       string
	Inputs     *htmlTable
	Incomplete []string
	Findings   []htmlFindingView
	Overview   *htmlOverview
	Nodes      []*htmlNodeView
	TopOverall *htmlTable
	Charts     []htmlChartIsland
}

type htmlOverview struct {
	Table     *htmlTable
	MemChart  string
	TTLChart  string
	SlotChart string
	Note      string
}

type htmlFindingView struct {
	Severity    string
	Kind        string
	Node        string
	Key         string
	DB          string
	Family      string
	Memory      string
	Figures     []htmlFigure
	Title       string
	Explanation string
	Advice      string
}

type htmlFigure struct{ Name, Value string }

type htmlStat struct{ Label, Value, Title string }

type htmlNodeView struct {
	Anchor     string
	Name       string
	Open       bool
	Incomplete bool
	Error      string
	Headline   string
	Stats      []htmlStat
	Warnings   []string

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

	SlotsHeld string
	HotSlots  *htmlTable
}

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

type htmlChartIsland struct {
	ID   string
	JSON template.JS
}

// htmlChartSpec is one chart's JSON island: the ECharts option built with
// go-echarts, plus the few facts the static script needs to format
// tooltips and axes (units are names, never code).
type htmlChartSpec struct {
	Option map[string]any `json:"option"`
	// Units gives, per series index, how values print: "bytes" or "count".
	Units []string `json:"units"`
	// Axis is the value axis ("x" or "y") whose labels print in AxisUnits.
	Axis      string   `json:"axis,omitempty"`
	AxisUnits []string `json:"axisUnits,omitempty"`
	// Total is what item tooltips compute shares of; 0 for none.
	Total int64 `json:"total,omitempty"`
}

// htmlBuilder carries the state of one rendering: options and the numbering
// of charts and tables, which is what makes ids stable from run to run.
type htmlBuilder struct {
	opts     HTMLOptions
	settings *aggregate.Settings // nil when unknown
	charts   []htmlChartIsland
	ntables  int
	refs     map[string]int64 // node name → expiry reference (Unix s)
	// cluster is set when aggregate placed keys in hash slots: top keys
	// then show their slot.
	cluster bool
}

func htmlBuildPage(r *aggregate.Report, o HTMLOptions) (*htmlPage, error) {
	if o.TreemapCap <= 0 {
		o.TreemapCap = DefaultTreemapCap
	}
	if o.TableCap <= 0 {
		o.TableCap = DefaultTableCap
	}
	runtime := echartsJS
	if o.runtime != "" {
		runtime = o.runtime
	}
	// A script element ends at the first "</script" whatever the JS means,
	// and "<!--" switches the HTML parser into a state where it may not;
	// the runtime is inlined verbatim, so it must contain neither.
	if l := strings.ToLower(runtime); strings.Contains(l, "</script") || strings.Contains(l, "<!--") {
		return nil, errors.New("render: chart runtime cannot be inlined: contains </script or <!--")
	}
	b := &htmlBuilder{opts: o, settings: r.Settings, refs: map[string]int64{}}
	for _, n := range r.Nodes {
		if n != nil {
			b.refs[n.Name] = n.ExpiryReference
			b.cluster = b.cluster || (n.Slots != nil && len(n.Slots.PerSlot) > 0)
		}
	}
	p := &htmlPage{
		Style:   template.CSS(htmlCSS),
		Runtime: template.JS(runtime),
		Script:  template.JS(htmlJS),
	}
	p.CSP = "default-src 'none'; script-src " + htmlCSPHash(runtime) + " " + htmlCSPHash(htmlJS) +
		"; style-src " + htmlCSPHash(htmlCSS) + "; img-src data:; base-uri 'none'; form-action 'none'"
	p.Tool = htmlToolLine(r.Tool, r.SchemaVersion)

	nodes := make([]*aggregate.Node, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	p.Inputs, p.Incomplete = b.inputs(nodes)
	p.Findings = htmlFindingViews(r.Findings)
	p.Headline, p.Title = htmlHeadline(nodes, r.Findings)

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
	critical := map[string]bool{}
	for _, f := range r.Findings {
		if f.Severity == aggregate.SeverityCritical {
			critical[f.Node] = true
		}
	}
	for i, n := range nodes {
		nv, err := b.node(n, "node-"+strconv.Itoa(i), open || n == biggest || critical[n.Name] || !n.Complete)
		if err != nil {
			return nil, err
		}
		p.Nodes = append(p.Nodes, nv)
	}
	if r.Cluster != nil && len(nodes) > 1 {
		p.TopOverall = b.topKeys(r.Cluster.TopKeys, true, 0)
	}
	p.Charts = b.charts
	p.clean()
	return p, nil
}

// clean passes every piece of text of the page through htmlClean, in one
// place, so that no field (a node name from a file name, an error message
// quoting a key, a finding's sentence) can reach the page as invalid UTF-8
// or an invisible control character, whichever code built it.
func (p *htmlPage) clean() {
	c := htmlClean
	p.Title, p.Headline, p.Tool = c(p.Title), c(p.Headline), c(p.Tool)
	for i := range p.Incomplete {
		p.Incomplete[i] = c(p.Incomplete[i])
	}
	for i := range p.Findings {
		f := &p.Findings[i]
		f.Severity, f.Kind, f.Node, f.Key, f.DB, f.Family = c(f.Severity), c(f.Kind), c(f.Node), c(f.Key), c(f.DB), c(f.Family)
		f.Memory, f.Title, f.Explanation, f.Advice = c(f.Memory), c(f.Title), c(f.Explanation), c(f.Advice)
		for j := range f.Figures {
			f.Figures[j].Name, f.Figures[j].Value = c(f.Figures[j].Name), c(f.Figures[j].Value)
		}
	}
	tables := []*htmlTable{p.Inputs, p.TopOverall}
	if p.Overview != nil {
		p.Overview.Note = c(p.Overview.Note)
		tables = append(tables, p.Overview.Table)
	}
	for _, n := range p.Nodes {
		n.Name, n.Error, n.Headline, n.SlotsHeld = c(n.Name), c(n.Error), c(n.Headline), c(n.SlotsHeld)
		for i := range n.Warnings {
			n.Warnings[i] = c(n.Warnings[i])
		}
		for i := range n.Stats {
			n.Stats[i].Label, n.Stats[i].Value, n.Stats[i].Title = c(n.Stats[i].Label), c(n.Stats[i].Value), c(n.Stats[i].Title)
		}
		tables = append(tables, n.Types, n.Encodings, n.Expiry, n.Families, n.Prefixes, n.Hashtags, n.TopKeys, n.HotSlots)
	}
	for _, t := range tables {
		if t == nil {
			continue
		}
		t.Note = c(t.Note)
		for _, r := range t.Rows {
			for i := range r.Cells {
				r.Cells[i].Text, r.Cells[i].Title = c(r.Cells[i].Text), c(r.Cells[i].Title)
			}
		}
	}
}

// htmlClean makes free text from the model (sentences, names, errors)
// safe to show; see aggregate.CleanText.
func htmlClean(s string) string { return aggregate.CleanText(s) }

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

// htmlHeadline names, for the node holding the most memory, the data type that
// dominates it: the one line a reader needs first ("node-7202: hash is
// 98.2% of key memory"), also used as the page title so that it shows in
// tabs and bookmarks. When a finding is critical the line leads with it, in
// a short form, because that is what the reader must act on:
// "node-7202: full (101.8% of maxmemory), 99.1% of key memory cannot be
// evicted (ttl-starvation) — hash is 98.2% of key memory".
func htmlHeadline(nodes []*aggregate.Node, findings []aggregate.Finding) (line, title string) {
	n := htmlBiggestNode(nodes)
	crit := htmlFirstCritical(findings)
	lead := ""
	if crit != nil {
		lead = htmlCriticalShort(crit)
	}
	var dom string
	if n != nil {
		if typ, share := htmlDominant(n); typ != "" {
			dom = fmt.Sprintf("%s is %s of key memory", typ, htmlPct(share))
			if lead == "" || crit.Node != n.Name {
				dom = n.Name + ": " + dom
			}
		}
	}
	switch {
	case lead != "" && dom != "":
		line = lead + " — " + dom
	case lead != "":
		line = lead
	default:
		line = dom
	}
	if line == "" {
		if n == nil {
			return "", "rdbscope report"
		}
		return "", "rdbscope report: " + n.Name
	}
	return line, "rdbscope report: " + line
}

// htmlFirstCritical is the critical finding the findings section shows
// first (aggregate's order within a severity: by memory, root cause
// before symptom), or nil.
func htmlFirstCritical(fs []aggregate.Finding) *aggregate.Finding {
	for i := range fs {
		if fs[i].Severity == aggregate.SeverityCritical {
			return &fs[i]
		}
	}
	return nil
}

// htmlHeadlineKeyCap bounds a key named in the headline (and so the
// title), in bytes of its escaped form.
const htmlHeadlineKeyCap = 60

// htmlCriticalShort says a critical finding in a few words, from its
// figures, with its kind: "node-7202: full (101.8% of maxmemory), 99.1% of
// key memory cannot be evicted (ttl-starvation)". A finding of a kind it
// does not know is named by its title.
func htmlCriticalShort(f *aggregate.Finding) string {
	fig := func(name string) (float64, bool) {
		v, ok := f.Figures.Get(name)
		return v.Value, ok && v.Value == v.Value // not NaN
	}
	var s string
	switch f.Kind {
	case diagnose.KindTTLStarvation:
		fill, okF := fig("fill")
		nv, okN := fig("non_volatile_share")
		switch {
		case okF && okN && fill >= 1:
			s = fmt.Sprintf("full (%s of maxmemory), %s of key memory cannot be evicted", htmlPct(fill), htmlPct(nv))
		case okF && okN:
			s = fmt.Sprintf("at %s of maxmemory, %s of key memory cannot be evicted", htmlPct(fill), htmlPct(nv))
		case okN:
			s = fmt.Sprintf("%s of key memory cannot be evicted", htmlPct(nv))
		}
	case diagnose.KindOverMaxmemory:
		if fill, ok := fig("fill"); ok && fill >= 1 {
			s = fmt.Sprintf("over maxmemory (%s)", htmlPct(fill))
		} else if ok {
			s = fmt.Sprintf("at %s of maxmemory", htmlPct(fill))
		}
	case diagnose.KindBigHash, diagnose.KindBigKey:
		if f.Key == "" {
			break
		}
		what := "key"
		if f.Kind == diagnose.KindBigHash {
			what = "hash"
		}
		key := htmlKey(f.Key, htmlHeadlineKeyCap)
		sh, ok := fig("share")
		if !ok {
			sh, ok = fig("share_of_node")
		}
		if ok {
			s = fmt.Sprintf("%s %s is %s of key memory", what, key, htmlPct(sh))
		} else {
			s = fmt.Sprintf("big %s %s (%s)", what, key, htmlBytes(f.Memory))
		}
	}
	if s == "" {
		s = htmlCut(f.Title, 120)
	}
	if f.Kind != "" {
		s += " (" + f.Kind + ")"
	}
	if f.Node != "" {
		s = f.Node + ": " + s
	}
	return s
}

// htmlCut cuts free text at max bytes, on a rune boundary, with an ellipsis.
func htmlCut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func htmlBiggestNode(nodes []*aggregate.Node) *aggregate.Node {
	var best *aggregate.Node
	for _, n := range nodes {
		if best == nil || htmlUsedEstimate(n) > htmlUsedEstimate(best) {
			best = n
		}
	}
	return best
}

func htmlUsedEstimate(n *aggregate.Node) int64 {
	if n.EstimatedUsedMemory > 0 {
		return n.EstimatedUsedMemory
	}
	return n.Memory
}

// htmlDominant returns the data type with the most memory on n and its share
// of n's key memory.
func htmlDominant(n *aggregate.Node) (string, float64) {
	types := htmlSortedStats(n.ByType)
	if len(types) == 0 || n.Memory <= 0 {
		return "", 0
	}
	return types[0].name, float64(types[0].stat.Memory) / float64(n.Memory)
}

type htmlNamedStat struct {
	name string
	stat aggregate.Stat
}

// htmlSortedStats orders a breakdown by memory, biggest first, ties by name,
// so that maps become the same rows on every run.
func htmlSortedStats(m map[string]*aggregate.Stat) []htmlNamedStat {
	out := make([]htmlNamedStat, 0, len(m))
	for k, s := range m {
		if s != nil {
			out = append(out, htmlNamedStat{k, *s})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].stat.Memory != out[j].stat.Memory {
			return out[i].stat.Memory > out[j].stat.Memory
		}
		return out[i].name < out[j].name
	})
	return out
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

func htmlTime(sec int64) string {
	if sec <= 0 {
		return "unknown"
	}
	return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05")
}

// htmlFindingViews puts the most severe findings on top. Within one
// severity it keeps aggregate's order (by memory, root cause before
// symptom), which is already deterministic.
func htmlFindingViews(fs []aggregate.Finding) []htmlFindingView {
	sorted := append([]aggregate.Finding(nil), fs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Severity > sorted[j].Severity })
	out := make([]htmlFindingView, 0, len(sorted))
	for _, f := range sorted {
		sev := f.Severity
		if sev == 0 {
			sev = aggregate.SeverityInfo
		}
		v := htmlFindingView{
			Severity: sev.String(), Kind: f.Kind, Node: f.Node,
			// Finding.Family is already in EscapeKey's visible form.
			Family:      htmlTruncate(f.Family, len(f.Family), htmlKeyCap),
			Title:       f.Title,
			Explanation: f.Explanation,
			Advice:      f.Advice,
		}
		if f.Key != "" {
			v.Key = htmlKey(f.Key, htmlKeyCap)
			v.DB = strconv.Itoa(f.DB)
		}
		if f.Memory > 0 {
			v.Memory = htmlBytes(f.Memory) + " (" + htmlCount(f.Memory) + " bytes)"
		}
		figs := append(aggregate.Figures(nil), f.Figures...)
		sort.Slice(figs, func(i, j int) bool { return figs[i].Name < figs[j].Name })
		for _, fig := range figs {
			v.Figures = append(v.Figures, htmlFigure{Name: fig.Name, Value: htmlFigureValue(fig)})
		}
		out = append(out, v)
	}
	return out
}

// htmlFigureValue prints a finding's figure as its unit says: bytes as
// bytes, shares as percentages, ratios as multiples, slots as plain
// numbers, counts (and times, and numbers of no known unit) with
// separators when whole.
func htmlFigureValue(f aggregate.Figure) string {
	v := f.Value
	if v != v || v > 1e18 || v < -1e18 { // NaN, ±Inf, or beyond int64
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	switch f.Unit {
	case aggregate.UnitSlot:
		return strconv.FormatInt(int64(v), 10)
	case aggregate.UnitBytes:
		return htmlBytes(int64(v)) + " (" + htmlCount(int64(v)) + ")"
	case aggregate.UnitShare:
		return htmlPct(v)
	case aggregate.UnitRatio:
		return strconv.FormatFloat(v, 'f', 2, 64) + "×"
	}
	if v == float64(int64(v)) {
		return htmlCount(int64(v))
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// overview builds the cluster section: one row and one bar per node.
func (b *htmlBuilder) overview(nodes []*aggregate.Node, findings []aggregate.Finding) (*htmlOverview, error) {
	ov := &htmlOverview{}
	t := b.newTable(
		htmlColumn{Label: "Node"}, htmlColumn{Label: "Keys", Num: true},
		htmlColumn{Label: "Key memory", Num: true, Help: "sum of MEMORY USAGE estimates"},
		htmlColumn{Label: "Overhead", Num: true, Help: "dict buckets, expires, startup memory"},
		htmlColumn{Label: "Est. used memory", Num: true},
		htmlColumn{Label: "used_mem (dump)", Num: true},
		htmlColumn{Label: "Est./dump", Num: true},
		htmlColumn{Label: "maxmemory", Num: true},
		htmlColumn{Label: "Keys with TTL", Num: true}, htmlColumn{Label: "Memory with TTL", Num: true},
		htmlColumn{Label: "Keys without TTL", Num: true}, htmlColumn{Label: "Memory without TTL", Num: true},
		htmlColumn{Label: "Dominant type"},
	)
	outliers := htmlOutliers(nodes, findings)
	for _, n := range nodes {
		typ, share := htmlDominant(n)
		dom := htmlCell{Text: "—", Sort: "0"}
		if typ != "" {
			dom = htmlCell{Text: typ + " " + htmlPct(share), Sort: htmlRatioSort(share), Meter: share, HasMeter: true}
		}
		htmlRatio := htmlCell{Text: "—", Sort: "0"}
		if n.UsedMemRatio > 0 {
			htmlRatio = htmlCell{Text: strconv.FormatFloat(n.UsedMemRatio, 'f', 2, 64), Sort: htmlRatioSort(n.UsedMemRatio)}
		}
		mm := htmlCell{Text: "unknown", Sort: "0"}
		if m := b.maxMemory(n.Name); m > 0 {
			mm = htmlBytesCell(m)
			mm.Text += " (" + htmlPct(b.fill(n)) + " used)"
			mm.Title += "; " + htmlCount(aggregate.UsedMemory(n)) + " bytes used (the larger of used_mem and the estimate)"
			switch b.fillLevel(n) {
			case "over":
				mm.Class = "bad"
			case "near":
				mm.Class = "warn"
			}
		}
		rc := ""
		if outliers[n] {
			rc = "outlier"
		}
		if !n.Complete {
			rc += " bad"
		}
		name := htmlCell{Text: n.Name}
		if outliers[n] {
			name.Text += " (outlier)"
		}
		t.Rows = append(t.Rows, htmlRow{Class: strings.TrimSpace(rc), Cells: []htmlCell{
			name, htmlCountCell(n.Keys), htmlBytesCell(n.Memory), htmlBytesCell(n.Overhead),
			htmlBytesCell(n.EstimatedUsedMemory), htmlBytesCell(n.UsedMem), htmlRatio, mm,
			htmlCountCell(n.TTL.With.Keys), htmlBytesCell(n.TTL.With.Memory),
			htmlCountCell(n.TTL.Without.Keys), htmlBytesCell(n.TTL.Without.Memory), dom,
		}})
	}
	b.finish(t, len(nodes))
	ov.Table = t
	var notes []string
	// Full nodes first: the figure is aggregate.UsedMemory, as in the
	// findings.
	for _, n := range nodes {
		m := b.maxMemory(n.Name)
		switch b.fillLevel(n) {
		case "over":
			notes = append(notes, fmt.Sprintf("%s is over its maxmemory: %s used of %s (%s).",
				n.Name, htmlBytes(aggregate.UsedMemory(n)), htmlBytes(m), htmlPct(b.fill(n))))
		case "near":
			notes = append(notes, fmt.Sprintf("%s is near its maxmemory: %s used of %s (%s).",
				n.Name, htmlBytes(aggregate.UsedMemory(n)), htmlBytes(m), htmlPct(b.fill(n))))
		}
	}
	for _, n := range nodes {
		if outliers[n] {
			notes = append(notes, fmt.Sprintf("%s holds %s of the estimated used memory of all nodes.",
				n.Name, htmlPct(htmlShareOfTotal(n, nodes))))
		}
	}
	ov.Note = strings.Join(notes, " ")
	var err error
	if ov.MemChart, err = b.clusterMemChart(nodes, outliers); err != nil {
		return nil, err
	}
	if ov.TTLChart, err = b.clusterTTLChart(nodes, outliers); err != nil {
		return nil, err
	}
	if b.cluster {
		if ov.SlotChart, err = b.slotChart(nodes); err != nil {
			return nil, err
		}
	}
	return ov, nil
}

func htmlShareOfTotal(n *aggregate.Node, nodes []*aggregate.Node) float64 {
	var total int64
	for _, m := range nodes {
		total += htmlUsedEstimate(m)
	}
	if total <= 0 {
		return 0
	}
	return float64(htmlUsedEstimate(n)) / float64(total)
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

// node builds one node's section.
func (b *htmlBuilder) node(n *aggregate.Node, anchor string, open bool) (*htmlNodeView, error) {
	nv := &htmlNodeView{Anchor: anchor, Name: n.Name, Open: open, Incomplete: !n.Complete, Error: n.Error}
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
	nv.TopKeys = b.topKeys(n.TopKeys, len(n.Nodes) > 0, n.ExpiryReference)

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

func htmlDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + strconv.Itoa(int(d%time.Hour/time.Minute)) + "m"
	default:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
}

// Cells.

func htmlBytesCell(v int64) htmlCell {
	return htmlCell{Text: htmlBytes(v), Title: htmlCount(v) + " bytes", Sort: strconv.FormatInt(v, 10)}
}

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

// htmlKey is the visible form of a key: aggregate.EscapeKey (binary
// bytes as \xff, backslash as \\), cut at max bytes with an ellipsis and
// the key's full length, so that a 1 MB key neither bloats the page nor
// hides that it is huge.
func htmlKey(k aggregate.KeyName, max int) string {
	return htmlTruncate(aggregate.EscapeKey(string(k)), len(k), max)
}

// htmlName escapes and truncates a name that is not a key but may hold
// key bytes (a family pattern, a module type name).
func htmlName(s string, max int) string {
	return htmlTruncate(aggregate.EscapeKey(s), len(s), max)
}

func htmlTruncate(esc string, rawLen, max int) string {
	c, cut := aggregate.CutEscaped(esc, max)
	if !cut && rawLen <= len(esc) {
		return esc
	}
	return c + "… (" + htmlCount(int64(rawLen)) + " bytes)"
}

// Numbers.

func htmlRatio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func htmlRatioSort(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// htmlPct prints a share with one decimal, and never rounds a non-zero share
// to "0.0%" or a partial one to "100.0%", which would mislead.
func htmlPct(f float64) string {
	v := f * 100
	s := strconv.FormatFloat(v, 'f', 1, 64)
	switch {
	case v > 0 && s == "0.0":
		return "<0.1%"
	case v < 100 && s == "100.0":
		return ">99.9%"
	}
	return s + "%"
}

// htmlBytes prints bytes for tables and charts ("1.50 MiB").
func htmlBytes(v int64) string { return bytesize.Format(v, bytesize.Table) }

// htmlCount prints an integer with thousands separators.
func htmlCount(v int64) string {
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Charts.

// htmlTypeColors keeps one colour per data type across every chart, so that
// "hash" is the same red in the cluster bars and in each donut.
var htmlTypeColors = map[string]string{
	"string":   "#5470c6",
	"hash":     "#ee6666",
	"list":     "#91cc75",
	"set":      "#fac858",
	"zset":     "#73c0de",
	"stream":   "#3ba272",
	"overhead": "#b8b8b8",
}

var htmlSpareColors = []string{"#9a60b4", "#ea7ccc", "#fc8452", "#5f6b7a", "#c4a35a", "#4b8f8c"}

func htmlColorOf(name string) string {
	if c, ok := htmlTypeColors[name]; ok {
		return c
	}
	if i := strings.IndexByte(name, '/'); i > 0 {
		if c, ok := htmlTypeColors[name[:i]]; ok {
			return c
		}
	}
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return htmlSpareColors[h%uint32(len(htmlSpareColors))]
}

// htmlChartOption is what the go-echarts chart types have in common: they
// build the option object; we only take its JSON.
type htmlChartOption interface {
	Validate()
	JSON() map[string]interface{}
}

// addChart stores a chart's option as a JSON island and returns the id of
// its element. encoding/json escapes <, >, & and U+2028/2029, so nothing in
// the island can end the script element or break the JSON.
//
// tweaks may set the few ECharts options go-echarts has no field for; they
// see the option as plain JSON values (numbers as json.Number, exact).
func (b *htmlBuilder) addChart(c htmlChartOption, spec htmlChartSpec, tweaks ...func(opt map[string]any)) (string, error) {
	c.Validate()
	raw, err := json.Marshal(c.JSON())
	if err != nil {
		return "", fmt.Errorf("render: chart options: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var opt map[string]any
	if err := dec.Decode(&opt); err != nil {
		return "", fmt.Errorf("render: chart options: %w", err)
	}
	// go-echarts always writes an empty toolbox; the report has none
	// (its save-as-image would be the only way out of the page).
	delete(opt, "toolbox")
	// Animation only delays the first paint of a report read once.
	opt["animation"] = false
	for _, t := range tweaks {
		t(opt)
	}
	spec.Option = opt
	js, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("render: chart options: %w", err)
	}
	id := "chart-" + strconv.Itoa(len(b.charts)+1)
	b.charts = append(b.charts, htmlChartIsland{ID: id, JSON: template.JS(js)})
	return id, nil
}

// seriesTweak sets key to value on every series of an option.
func seriesTweak(key string, value any) func(map[string]any) {
	return func(opt map[string]any) {
		ss, _ := opt["series"].([]any)
		for _, s := range ss {
			if m, ok := s.(map[string]any); ok {
				m[key] = value
			}
		}
	}
}

func htmlLabel(s string) string { return htmlName(s, htmlLabelCap) }

// htmlNodeCategories are the x-axis entries of the cluster charts; the outlier
// is drawn in bold red so that it stands out before any reading.
func htmlNodeCategories(nodes []*aggregate.Node, outliers map[*aggregate.Node]bool) []any {
	out := make([]any, len(nodes))
	for i, n := range nodes {
		if outliers[n] || !n.Complete {
			out[i] = map[string]any{"value": htmlLabel(n.Name), "textStyle": map[string]any{"color": "#c62828", "fontWeight": "bold"}}
			continue
		}
		out[i] = htmlLabel(n.Name)
	}
	return out
}

// fill is how full a node is: aggregate.UsedMemory (the larger of the
// dump's used-mem and the estimate, the figure the findings use) over its
// maxmemory; 0 when maxmemory is unknown.
func (b *htmlBuilder) fill(n *aggregate.Node) float64 {
	mm := b.maxMemory(n.Name)
	if mm <= 0 {
		return 0
	}
	return float64(aggregate.UsedMemory(n)) / float64(mm)
}

// nearMaxmemory is the fill from which the report marks a node as near
// its maxmemory: the one from which the findings counted a node as full,
// or their default when the report does not say.
func (b *htmlBuilder) nearMaxmemory() float64 {
	if b.settings != nil {
		if f, ok := b.settings.Thresholds.Get("near_maxmemory"); ok {
			return f.Value
		}
	}
	return diagnose.DefaultRules().NearMaxmemory
}

// fillLevel is "over" when a node uses at least its maxmemory, "near"
// from nearMaxmemory, "" otherwise or when maxmemory is unknown.
func (b *htmlBuilder) fillLevel(n *aggregate.Node) string {
	switch f := b.fill(n); {
	case f >= 1:
		return "over"
	case f >= b.nearMaxmemory():
		return "near"
	}
	return ""
}

// Colours of the fill levels, in charts.
const (
	htmlColorOver = "#c62828"
	htmlColorNear = "#b26a00"
	htmlColorMark = "#1f2328"
)

// memCategories are the x-axis entries of the memory chart: each node's
// name and, when its maxmemory is known, how full it is ("101.8% of
// maxmemory"), in bold red when it is over, amber when near; the outlier
// and incomplete nodes are bold red as in the other charts.
func (b *htmlBuilder) memCategories(nodes []*aggregate.Node, outliers map[*aggregate.Node]bool) []any {
	out := make([]any, len(nodes))
	for i, n := range nodes {
		label := htmlLabel(n.Name)
		if b.maxMemory(n.Name) > 0 {
			label += "\n" + htmlPct(b.fill(n)) + " of maxmemory"
		}
		color := ""
		switch {
		case b.fillLevel(n) == "over" || outliers[n] || !n.Complete:
			color = htmlColorOver
		case b.fillLevel(n) == "near":
			color = htmlColorNear
		}
		if color == "" {
			out[i] = label
			continue
		}
		out[i] = map[string]any{"value": label, "textStyle": map[string]any{"color": color, "fontWeight": "bold"}}
	}
	return out
}

// htmlLegendBottom is the room (px) below a chart's grid for a plain
// legend of these names at the bottom, which wraps instead of paging:
// ECharts does not make room for a wrapped legend itself. The width is a
// conservative guess of the chart's (half the page on a small laptop).
func htmlLegendBottom(names []string) string {
	const width = 400 // px
	lines, x := 1, 0
	for _, n := range names {
		// icon 25 + gap 5 + text (about 7 px a character) + item gap 10
		w := 40 + 7*utf8.RuneCountInString(n)
		if x > 0 && x+w > width {
			lines++
			x = 0
		}
		x += w
	}
	return strconv.Itoa(16 + 24*lines)
}

func (b *htmlBuilder) clusterMemChart(nodes []*aggregate.Node, outliers map[*aggregate.Node]bool) (string, error) {
	bar := charts.NewBar()
	bar.SetXAxis(b.memCategories(nodes, outliers))
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
	var units, legend []string
	stacks := make([]int64, len(nodes))
	for _, t := range htmlSortedStats(totals) {
		data := make([]opts.BarData, len(nodes))
		for i, n := range nodes {
			var v int64
			if s := n.ByType[t.name]; s != nil {
				v = s.Memory
			}
			data[i] = opts.BarData{Value: v}
			stacks[i] += v
		}
		name := htmlLabel(t.name)
		bar.AddSeries(name, data, charts.WithBarChartOpts(opts.BarChart{Stack: "mem"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: htmlColorOf(t.name)}))
		units = append(units, "bytes")
		legend = append(legend, name)
	}
	over := make([]opts.BarData, len(nodes))
	for i, n := range nodes {
		v := max(n.EstimatedUsedMemory-n.Memory, 0)
		over[i] = opts.BarData{Value: v}
		stacks[i] += v
	}
	seriesOpts := []charts.SeriesOpts{
		charts.WithBarChartOpts(opts.BarChart{Stack: "mem"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: htmlTypeColors["overhead"]}),
	}
	bar.AddSeries("overhead", over, seriesOpts...)
	units = append(units, "bytes")
	legend = append(legend, "overhead")
	top := int64(0)
	for _, v := range stacks {
		top = max(top, v)
	}
	icons := map[string]string{}
	// maxmemory is a series of its own (not only a mark line) so that the
	// axis tooltip lists it and the legend names it: one dashed line across
	// when all nodes share it (its value in the legend, not on the line,
	// where the label would hide the marks of a full node), one mark per
	// node otherwise.
	uniform, same := b.uniformMaxMemory(nodes)
	if !same || uniform > 0 {
		data := make([]opts.BarData, len(nodes))
		for i, n := range nodes {
			data[i] = opts.BarData{Value: b.maxMemory(n.Name)}
			top = max(top, b.maxMemory(n.Name))
		}
		if same {
			name := "maxmemory " + htmlBytes(uniform)
			bar.AddSeries(name, data, htmlDashSeries(htmlColorOver),
				charts.WithSeriesOpts(func(s *charts.SingleSeries) { s.SymbolSize = 0 }),
				charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: name, YAxis: uniform}),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
					LineStyle: &opts.LineStyle{Color: htmlColorOver, Type: "dashed", Width: 1.5},
					Label:     &opts.Label{Show: opts.Bool(false)}}),
			)
			legend = append(legend, name)
			icons[name] = htmlDashIcon
		} else {
			bar.AddSeries("maxmemory", data, htmlDashSeries(htmlColorOver))
			legend = append(legend, "maxmemory")
			icons["maxmemory"] = htmlDashIcon
		}
		units = append(units, "bytes")
	}
	// The used-mem the dump recorded, as a diamond per node: bigger than
	// the dashed line, so that it shows on it, red when the node is over its
	// maxmemory (by aggregate.UsedMemory), amber when near.
	var used bool
	data := make([]opts.BarData, len(nodes))
	for i, n := range nodes {
		data[i] = opts.BarData{Value: n.UsedMem}
		switch b.fillLevel(n) {
		case "over":
			data[i].ItemStyle = &opts.ItemStyle{Color: htmlColorOver}
		case "near":
			data[i].ItemStyle = &opts.ItemStyle{Color: htmlColorNear}
		}
		used = used || n.UsedMem > 0
		top = max(top, n.UsedMem)
	}
	if used {
		bar.AddSeries("used_mem (dump)", data, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
			s.Type = "scatter"
			s.Symbol = "diamond"
			s.SymbolSize = 16
			s.ItemStyle = &opts.ItemStyle{Color: htmlColorMark, BorderColor: "#ffffff", BorderWidth: 1.5}
		}))
		units = append(units, "bytes")
		legend = append(legend, "used_mem (dump)")
		icons["used_mem (dump)"] = "diamond"
	}
	bar.SetGlobalOptions(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "3%", Top: "40", Bottom: htmlLegendBottom(legend), ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "estimated used memory"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: htmlRotation(len(nodes))}}),
	)
	return b.addChart(bar, htmlChartSpec{Units: units, Axis: "y", AxisUnits: []string{"bytes"}},
		htmlByteAxis("yAxis", 0, top), func(opt map[string]any) {
			// Two-line labels (name, fill) need a line height, or the
			// lines are drawn over each other.
			if xs, ok := opt["xAxis"].([]any); ok && len(xs) > 0 {
				if x, ok := xs[0].(map[string]any); ok {
					if l, ok := x["axisLabel"].(map[string]any); ok {
						l["lineHeight"] = 16
					}
				}
			}
			// The legend lists the series in order, the two levels with
			// their own icons (a dashed line, a diamond).
			items := make([]any, len(legend))
			for i, name := range legend {
				item := map[string]any{"name": name}
				if icon, ok := icons[name]; ok {
					item["icon"] = icon
				}
				items[i] = item
			}
			if l, ok := opt["legend"].(map[string]any); ok {
				l["data"] = items
			}
		})
}

// htmlDashIcon is the legend icon of a maxmemory series: a dashed line.
//
// ECharts fits a path icon to the legend's icon box: the two lone points
// (moves, drawing nothing) make the box 27×14 so that the dashes stay thin.
const htmlDashIcon = "path://M0,0ZM0,6H7V8H0ZM10,6H17V8H10ZM20,6H27V8H20ZM27,14Z"

// htmlDashSeries draws one short horizontal mark per node: a per-node level
// (its maxmemory) over a stacked bar.
func htmlDashSeries(color string) charts.SeriesOpts {
	return charts.WithSeriesOpts(func(s *charts.SingleSeries) {
		s.Type = "scatter"
		s.Symbol = "rect"
		s.SymbolSize = []int{36, 3}
		s.ItemStyle = &opts.ItemStyle{Color: color}
	})
}

// htmlAxisSteps are the tick intervals of byte axes within one binary
// unit: round in the unit the labels print in (2 MiB, 50 KiB, 256 MiB),
// never the decimal steps ECharts picks, which read as 1.91 MiB.
var htmlAxisSteps = []int64{1, 2, 5, 10, 20, 50, 100, 256, 512}

// htmlAxisTicks is how many intervals a byte axis has at most.
const htmlAxisTicks = 5

// htmlNiceBytes returns the tick interval and the top of a byte axis whose
// highest value is top: the smallest step of htmlAxisSteps × 1024^k that
// covers top in at most htmlAxisTicks intervals. ok is false when top is
// not positive or too big to round.
func htmlNiceBytes(top int64) (step, axisMax int64, ok bool) {
	if top <= 0 {
		return 0, 0, false
	}
	for unit := int64(1); ; unit *= 1024 {
		for _, m := range htmlAxisSteps {
			if m > math.MaxInt64/unit {
				return 0, 0, false
			}
			step = m * unit
			n := top / step
			if top%step != 0 {
				n++
			}
			if n <= htmlAxisTicks && n <= math.MaxInt64/step {
				return step, n * step, true
			}
		}
		if unit > math.MaxInt64/1024 {
			return 0, 0, false
		}
	}
}

// htmlByteAxis sets the index-th axis of kind key ("xAxis" or "yAxis") to
// start at 0, end at a round top and tick at round binary intervals
// (htmlNiceBytes) for data up to top. Computed here, it is the same on
// every run and every browser.
func htmlByteAxis(key string, index int, top int64) func(map[string]any) {
	return func(opt map[string]any) {
		step, axisMax, ok := htmlNiceBytes(top)
		if !ok {
			return
		}
		var axis map[string]any
		switch a := opt[key].(type) {
		case []any:
			if index < len(a) {
				axis, _ = a[index].(map[string]any)
			}
		case map[string]any:
			if index == 0 {
				axis = a
			}
		}
		if axis == nil {
			return
		}
		axis["min"] = 0
		axis["max"] = axisMax
		axis["interval"] = step
	}
}

func (b *htmlBuilder) uniformMaxMemory(nodes []*aggregate.Node) (int64, bool) {
	if len(nodes) == 0 {
		return 0, true
	}
	first := b.maxMemory(nodes[0].Name)
	for _, n := range nodes[1:] {
		if b.maxMemory(n.Name) != first {
			return 0, false
		}
	}
	return first, true
}

func htmlRotation(n int) float64 {
	if n > 8 {
		return 45
	}
	return 0
}

func (b *htmlBuilder) clusterTTLChart(nodes []*aggregate.Node, outliers map[*aggregate.Node]bool) (string, error) {
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "3%", Top: "40", Bottom: "60", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "key memory"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: htmlRotation(len(nodes))}}),
	)
	bar.SetXAxis(htmlNodeCategories(nodes, outliers))
	with := make([]opts.BarData, len(nodes))
	without := make([]opts.BarData, len(nodes))
	for i, n := range nodes {
		with[i] = opts.BarData{Value: n.TTL.With.Memory}
		without[i] = opts.BarData{Value: n.TTL.Without.Memory}
	}
	bar.AddSeries("without TTL", without, charts.WithBarChartOpts(opts.BarChart{Stack: "ttl"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "#c62828"}))
	bar.AddSeries("with TTL", with, charts.WithBarChartOpts(opts.BarChart{Stack: "ttl"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "#91cc75"}))
	var top int64
	for _, n := range nodes {
		top = max(top, n.TTL.With.Memory+n.TTL.Without.Memory)
	}
	return b.addChart(bar, htmlChartSpec{Units: []string{"bytes", "bytes"}, Axis: "y", AxisUnits: []string{"bytes"}},
		htmlByteAxis("yAxis", 0, top))
}

// typeDonut is the "hash is 99% of this node" view: memory by data type,
// with the dominant share written in the hole.
func (b *htmlBuilder) typeDonut(n *aggregate.Node, types []htmlNamedStat) (string, error) {
	pie := charts.NewPie()
	typ, share := htmlDominant(n)
	pie.SetGlobalOptions(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Bottom: "0"}),
		charts.WithTitleOpts(opts.Title{Title: htmlPct(share), Subtitle: htmlLabel(typ), Left: "center", Top: "40%",
			TitleStyle: &opts.TextStyle{FontSize: 22}}),
	)
	data := make([]opts.PieData, 0, len(types))
	for _, t := range types {
		data = append(data, opts.PieData{Name: htmlLabel(t.name), Value: t.stat.Memory,
			ItemStyle: &opts.ItemStyle{Color: htmlColorOf(t.name)}})
	}
	pie.AddSeries("memory by type", data,
		charts.WithPieChartOpts(opts.PieChart{Radius: []string{"45%", "70%"}, Center: []string{"50%", "46%"}}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Formatter: "{b} {d}%"}),
	)
	// Slices under a few degrees get no label: they would only overlap;
	// the table beside the donut has them all.
	return b.addChart(pie, htmlChartSpec{Units: []string{"bytes"}, Total: n.Memory}, seriesTweak("minShowLabelAngle", 4))
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
	data := make([]opts.BarData, 0, len(shown)+1)
	// Horizontal bars draw the first category at the bottom: reverse so
	// that the biggest is on top.
	if rest > 0 {
		names = append(names, "other")
		data = append(data, opts.BarData{Value: rest, ItemStyle: &opts.ItemStyle{Color: "#b8b8b8"}})
	}
	for i := len(shown) - 1; i >= 0; i-- {
		e := shown[i]
		names = append(names, htmlLabel(e.name))
		data = append(data, opts.BarData{Value: e.stat.Memory, ItemStyle: &opts.ItemStyle{Color: htmlColorOf(e.name)}})
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "6%", Top: "10", Bottom: "10", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category"}),
	)
	bar.SetXAxis(names).AddSeries("memory", data)
	bar.XYReversal()
	hi := rest
	for _, e := range shown {
		hi = max(hi, e.stat.Memory)
	}
	return b.addChart(bar, htmlChartSpec{Units: []string{"bytes"}, Axis: "x", AxisUnits: []string{"bytes"}},
		htmlByteAxis("xAxis", 0, hi))
}

// expiryBar is the expiry horizon: how much memory (and how many keys)
// goes away within an hour, a day, a week — and how much never does.
func (b *htmlBuilder) expiryBar(n *aggregate.Node) (string, error) {
	names := make([]string, len(n.Expiry))
	mem := make([]opts.BarData, len(n.Expiry))
	keys := make([]opts.BarData, len(n.Expiry))
	for i, e := range n.Expiry {
		names[i] = htmlLabel(e.Label)
		c := "#5470c6"
		if e.Label == "none" {
			c = "#c62828"
		}
		mem[i] = opts.BarData{Value: e.Memory, ItemStyle: &opts.ItemStyle{Color: c}}
		keys[i] = opts.BarData{Value: e.Keys}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "3%", Top: "40", Bottom: "40", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: &opts.AxisLabel{Interval: "0"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "memory"}),
	)
	bar.ExtendYAxis(opts.YAxis{Type: "value", Name: "keys", SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	bar.SetXAxis(names).
		AddSeries("memory", mem).
		AddSeries("keys", keys, charts.WithBarChartOpts(opts.BarChart{YAxisIndex: 1}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: "#b8b8b8"}))
	var top int64
	for _, e := range n.Expiry {
		top = max(top, e.Memory)
	}
	return b.addChart(bar, htmlChartSpec{Units: []string{"bytes", "count"}, Axis: "y", AxisUnits: []string{"bytes", "count"}},
		htmlByteAxis("yAxis", 0, top))
}

// groupTable lists a bounded table of families, prefixes or hash tags,
// with the "(other)" row that holds what the table could not keep.
//
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
	names := make([]string, 0, len(e.ByType))
	for t := range e.ByType {
		names = append(names, t)
	}
	sort.Slice(names, func(i, j int) bool {
		a, c := e.ByType[names[i]], e.ByType[names[j]]
		if a.Memory != c.Memory {
			return a.Memory > c.Memory
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for i, t := range names {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, t+" "+htmlPct(htmlRatio(e.ByType[t].Memory, e.Memory)))
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
	data := make([]opts.TreeMapNode, 0, len(entries)+1)
	colors := make([]string, 0, len(entries)+1)
	for i := range entries {
		e := &entries[i]
		data = append(data, opts.TreeMapNode{Name: htmlLabel(string(e.Name)), Value: int(e.Memory)})
		colors = append(colors, htmlColorOf(htmlMainType(e)))
	}
	if rest.Memory > 0 {
		name := aggregate.OtherGroup
		if folded > 0 {
			name = fmt.Sprintf("(other: %s more families and the untracked rest)", htmlCount(int64(folded)))
		}
		data = append(data, opts.TreeMapNode{Name: name, Value: int(rest.Memory)})
		colors = append(colors, htmlTypeColors["overhead"])
	}
	tm := charts.NewTreeMap()
	tm.SetGlobalOptions(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	)
	tm.AddSeries("families", data, charts.WithTreeMapOpts(opts.TreeMapChart{
		Roam:  opts.Bool(false),
		Label: &opts.Label{Show: opts.Bool(true), Formatter: "{b}"},
		Left:  "0", Right: "0", Top: "0", Bottom: "0",
	}))
	return b.addChart(tm, htmlChartSpec{Units: []string{"bytes"}, Total: n.Memory}, func(opt map[string]any) {
		ss, _ := opt["series"].([]any)
		for _, s := range ss {
			m, ok := s.(map[string]any)
			if !ok {
				continue
			}
			m["nodeClick"] = false
			m["breadcrumb"] = map[string]any{"show": false}
			ds, _ := m["data"].([]any)
			for i, d := range ds {
				if dm, ok := d.(map[string]any); ok && i < len(colors) {
					dm["itemStyle"] = map[string]any{"color": colors[i]}
				}
			}
		}
	})
}

// htmlMainType is the type holding most of a group's memory.
func htmlMainType(e *aggregate.Group) string {
	best, bm := "", int64(-1)
	for t, v := range e.ByType {
		if v.Memory > bm || (v.Memory == bm && t < best) {
			best, bm = t, v.Memory
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
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Bottom: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "3%", Top: "40", Bottom: "60", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "key memory"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "slots"}),
	)
	bar.SetXAxis(names)
	var units []string
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
		data := make([]opts.BarData, ranges)
		for i, v := range vals {
			data[i] = opts.BarData{Value: v}
			sums[i] += v
		}
		bar.AddSeries(htmlLabel(n.Name), data, charts.WithBarChartOpts(opts.BarChart{Stack: "slots", BarCategoryGap: "0"}))
		units = append(units, "bytes")
	}
	if len(units) == 0 {
		return "", nil
	}
	var top int64
	for _, v := range sums {
		top = max(top, v)
	}
	return b.addChart(bar, htmlChartSpec{Units: units, Axis: "y", AxisUnits: []string{"bytes"}},
		htmlByteAxis("yAxis", 0, top))
}
