package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// The flag has its own name so that it cannot clash with another golden
// test's -update in this package.
var updateHTML = flag.Bool("update-html", false, "rewrite render/testdata/html/*.golden")

// htmlStubRuntime stands in for ECharts in golden files: the page around
// the charts is what the goldens pin, not a megabyte of vendored code.
const htmlStubRuntime = `window.echarts={init:function(el){return{setOption:function(){el.appendChild(document.createElement("canvas"))},resize:function(){}}}};`

func renderHTML(t *testing.T, r *aggregate.Report, o HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, HTML(&buf, r, o))
	return buf.String()
}

// withMaxmemory records in r that its findings were judged with
// maxmemory mm (byNode per node), as diagnose.Rules.Settings does.
func withMaxmemory(r *aggregate.Report, mm int64, byNode map[string]int64) *aggregate.Report {
	r.Settings = &aggregate.Settings{Config: aggregate.Config{Maxmemory: mm, MaxmemoryByNode: byNode}}
	return r
}

func TestHTMLGolden(t *testing.T) {
	single := htmlIncidentReport()
	single.Nodes = single.Nodes[2:]
	single.Cluster = nil
	// The findings judged node-7202 full at 2 GiB: the page marks it near
	// its maxmemory.
	single.Findings = append(single.Findings[:2], aggregate.Finding{
		Kind: diagnose.KindOverMaxmemory, Severity: aggregate.SeverityWarning, Node: "node-7202",
		Memory:  aggregate.UsedMemory(single.Nodes[0]),
		Figures: aggregate.Figures{}.Bytes("maxmemory", 2<<30).Share("fill", 0.965),
		Title:   "node-7202 is close to maxmemory (96.5%)",
	})
	cases := []struct {
		name string
		r    *aggregate.Report
		o    HTMLOptions
	}{
		{"incident", withMaxmemory(htmlIncidentReport(), 4<<30, nil), HTMLOptions{}},
		{"single-node", withMaxmemory(single, 0, map[string]int64{"node-7202": 2 << 30}), HTMLOptions{}},
		{"empty", &aggregate.Report{SchemaVersion: aggregate.SchemaVersion, Tool: aggregate.Tool{Name: "rdbscope", Version: "test"}}, HTMLOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.o.runtime = htmlStubRuntime
			assertGolden(t, filepath.Join("testdata", "html", c.name+".golden"), renderHTML(t, c.r, c.o), *updateHTML, "-run TestHTMLGolden -update-html")
		})
	}
}

// TestHTMLDeterministic renders the same report many times: maps are
// iterated in random order, so any unsorted map would show up here.
func TestHTMLDeterministic(t *testing.T) {
	first := renderHTML(t, withMaxmemory(htmlHostileReport(), 1<<30, nil), HTMLOptions{})
	for range 5 {
		require.Equal(t, first, renderHTML(t, withMaxmemory(htmlHostileReport(), 1<<30, nil), HTMLOptions{}))
	}
}

func TestHTMLHeadline(t *testing.T) {
	out := renderHTML(t, htmlIncidentReport(), HTMLOptions{runtime: htmlStubRuntime})
	// The critical finding leads, in short; the dominant type follows.
	const headline = "node-7202: key applog:checkout:debug is 98.0% of key memory (big-key) — hash is 98.7% of key memory"
	assert.Contains(t, out, "<title>rdbscope report: "+headline+"</title>")
	assert.Contains(t, out, `class="headline sev-critical" id="headline">`+headline+`<`)
	// Findings come first, most severe on top.
	crit := strings.Index(out, "sev-critical")
	warn := strings.Index(out, "sev-warning")
	info := strings.Index(out, "sev-info")
	nodes := strings.Index(out, `id="overview"`)
	assert.True(t, crit > 0 && crit < warn && warn < info && info < nodes, "order: %d %d %d %d", crit, warn, info, nodes)
	// The skewed node is marked in the table and named in the note.
	assert.Contains(t, out, `<tr class="outlier">`)
	assert.Contains(t, out, "node-7202 holds 95.2% of the memory all nodes use.")
	// Families, slots, with the debug hash on top.
	assert.Contains(t, out, "Key families")
	assert.Contains(t, out, "Hash slots")
}

// TestHTMLHeadlineCritical: the headline leads with the first critical
// finding in a short form, from its figures; without one it is the
// dominant type of the biggest node.
func TestHTMLHeadlineCritical(t *testing.T) {
	nodes := htmlIncidentReport().Nodes
	starve := aggregate.Finding{Kind: diagnose.KindTTLStarvation, Severity: aggregate.SeverityCritical, Node: "node-7202",
		Figures: aggregate.Figures{}.Share("fill", 1.018).Share("non_volatile_share", 0.991)}
	for _, c := range []struct {
		name string
		fs   []aggregate.Finding
		want string
	}{
		{"none", nil, "node-7202: hash is 98.7% of key memory"},
		{"warning only", []aggregate.Finding{{Kind: "node-skew", Severity: aggregate.SeverityWarning, Node: "node-7202"}},
			"node-7202: hash is 98.7% of key memory"},
		{"ttl-starvation over", []aggregate.Finding{starve},
			"node-7202: full (101.8% of maxmemory), 99.1% of key memory cannot be evicted (ttl-starvation) — hash is 98.7% of key memory"},
		{"ttl-starvation near", []aggregate.Finding{{Kind: diagnose.KindTTLStarvation, Severity: aggregate.SeverityCritical, Node: "node-7202",
			Figures: aggregate.Figures{}.Share("fill", 0.85).Share("non_volatile_share", 0.7)}},
			"node-7202: at 85.0% of maxmemory, 70.0% of key memory cannot be evicted (ttl-starvation) — hash is 98.7% of key memory"},
		{"first critical leads", []aggregate.Finding{
			{Kind: "node-skew", Severity: aggregate.SeverityWarning, Node: "node-7202"},
			{Kind: diagnose.KindOverMaxmemory, Severity: aggregate.SeverityCritical, Node: "node-7200", Figures: aggregate.Figures{}.Share("fill", 1.2)},
			starve,
		}, "node-7200: over maxmemory (120.0%) (over-maxmemory) — node-7202: hash is 98.7% of key memory"},
		{"big-hash", []aggregate.Finding{{Kind: diagnose.KindBigHash, Severity: aggregate.SeverityCritical, Node: "node-7202",
			Key: "applog:checkout:debug", Figures: aggregate.Figures{}.Share("share", 0.98)}},
			"node-7202: hash applog:checkout:debug is 98.0% of key memory (big-hash) — hash is 98.7% of key memory"},
		{"unknown kind", []aggregate.Finding{{Kind: "odd", Severity: aggregate.SeverityCritical, Node: "node-7201", Title: "something odd"}},
			"node-7201: something odd (odd) — node-7202: hash is 98.7% of key memory"},
	} {
		line, title := htmlHeadline("rdbscope report", nodes, c.fs)
		assert.Equal(t, c.want, line, c.name)
		assert.Equal(t, "rdbscope report: "+c.want, title, c.name)
	}
	// A hostile key is shown escaped and cut, and the page escapes it.
	r := htmlIncidentReport()
	r.Findings = []aggregate.Finding{{Kind: diagnose.KindBigHash, Severity: aggregate.SeverityCritical, Node: "node-7202",
		Key: aggregate.KeyName(htmlHostileNames[0] + strings.Repeat("x", 200)), Figures: aggregate.Figures{}.Share("share", 0.5)}}
	page := renderHTML(t, r, HTMLOptions{runtime: htmlStubRuntime})
	m := regexp.MustCompile(`<title>(.*?)</title>`).FindStringSubmatch(page)
	require.NotNil(t, m)
	assert.NotContains(t, m[1], "<")
	assert.Contains(t, m[1], "&lt;/script&gt;")
	assert.Contains(t, m[1], "bytes) is 50.0% of key memory (big-hash)")
}

// TestHTMLMaxmemory: a node at or over its maxmemory, by
// aggregate.UsedMemory (the dump's used-mem, or the estimate), is named
// in the overview's note, its maxmemory cell is red, and the memory chart
// marks it: its axis label says how full it is, in red, and its used-mem
// diamond is red; the legend names maxmemory with its value.
func TestHTMLMaxmemory(t *testing.T) {
	r := htmlIncidentReport()
	big := r.Nodes[2]
	// The estimate is under the limit, the dump's used-mem over it.
	mm := big.EstimatedUsedMemory + 1000
	require.Greater(t, big.UsedMem, mm)
	page := renderHTML(t, withMaxmemory(r, mm, nil), HTMLOptions{runtime: htmlStubRuntime})
	fill := htmlPct(float64(aggregate.UsedMemory(big)) / float64(mm))
	assert.Contains(t, page, "node-7202 is over its maxmemory: "+htmlBytes(aggregate.UsedMemory(big))+" used of "+htmlBytes(mm)+" ("+fill+").")
	// The Fill column says how full, in red; the table starts with it.
	assert.Regexp(t, `<td class="num bad"[^>]*><meter[^>]*></meter> `+regexp.QuoteMeta(fill)+`</td>`, page)

	spec := htmlIsland(t, page, "chart-1")
	x := spec["option"].(map[string]any)["xAxis"].([]any)[0].(map[string]any)
	cats := x["data"].([]any)
	label := cats[2].(map[string]any)
	assert.Equal(t, "node-7202\n"+fill+" full", label["value"])
	assert.Equal(t, htmlColorOver, label["textStyle"].(map[string]any)["color"])
	legend := spec["option"].(map[string]any)["legend"].(map[string]any)
	var names []string
	for _, d := range legend["data"].([]any) {
		names = append(names, d.(map[string]any)["name"].(string))
	}
	assert.Contains(t, names, "maxmemory "+htmlBytes(mm))
	assert.Contains(t, names, "used_mem (dump)")
	assert.Nil(t, legend["type"], "a plain legend wraps; a scroll legend cuts names off")
	for _, s := range spec["option"].(map[string]any)["series"].([]any) {
		sm := s.(map[string]any)
		if sm["name"] != "used_mem (dump)" {
			continue
		}
		assert.Equal(t, "diamond", sm["symbol"])
		data := sm["data"].([]any)
		assert.Equal(t, htmlColorOver, data[2].(map[string]any)["itemStyle"].(map[string]any)["color"])
		assert.Nil(t, data[0].(map[string]any)["itemStyle"], "a node far from its limit is not marked")
	}
	// The line's label is in the legend, not over the marks.
	assert.NotContains(t, string(htmlIslandRaw(t, page, "chart-1")), "insideEndTop")

	// Near the limit, as the findings judged it (90% full, the default
	// threshold is 80%): amber.
	rules := diagnose.DefaultRules()
	rules.Maxmemory = aggregate.UsedMemory(big) * 10 / 9
	diagnosed := func(rules diagnose.Rules) *aggregate.Report {
		r := htmlIncidentReport()
		r.Settings = rules.Settings()
		r.Findings = diagnose.Diagnose(r, rules)
		return r
	}
	// diamond is the colour of node-7202's used_mem mark.
	diamond := func(page string) any {
		for _, s := range htmlIsland(t, page, "chart-1")["option"].(map[string]any)["series"].([]any) {
			if sm := s.(map[string]any); sm["name"] == "used_mem (dump)" {
				if st, ok := sm["data"].([]any)[2].(map[string]any)["itemStyle"].(map[string]any); ok {
					return st["color"]
				}
			}
		}
		return nil
	}
	page = renderHTML(t, diagnosed(rules), HTMLOptions{runtime: htmlStubRuntime})
	assert.True(t, strings.Contains(page, "node-7202 is near its maxmemory"))
	assert.Equal(t, htmlColorNear, diamond(page))
	// ... and not when the findings were judged with another threshold:
	// the page marks what the findings say, it does not judge on its own.
	rules.NearMaxmemory = 0.95
	page = renderHTML(t, diagnosed(rules), HTMLOptions{runtime: htmlStubRuntime})
	assert.False(t, strings.Contains(page, "node-7202 is near its maxmemory"))
	assert.Nil(t, diamond(page))

	// A node's own maxmemory of 0 (no limit) is what the findings used:
	// the page shows none for it, not the other nodes'.
	page = renderHTML(t, withMaxmemory(r, mm, map[string]int64{"node-7202": 0}), HTMLOptions{runtime: htmlStubRuntime})
	assert.NotContains(t, page, "node-7202 is over its maxmemory")
}

// TestHTMLShareHeaders: share columns say what they are a share of: the
// node in a node's section, the cluster in the merged one.
func TestHTMLShareHeaders(t *testing.T) {
	page := renderHTML(t, htmlIncidentReport(), HTMLOptions{runtime: htmlStubRuntime})
	section := func(id string) string {
		i := strings.Index(page, `<section id="`+id+`"`)
		require.GreaterOrEqual(t, i, 0, id)
		j := strings.Index(page[i+1:], "<section ")
		if j < 0 {
			return page[i:]
		}
		return page[i : i+1+j]
	}
	cluster, node := section("cluster"), section("node-2")
	assert.NotContains(t, cluster, ">Share of node<")
	assert.Equal(t, 2, strings.Count(cluster, ">Share of cluster<"), "families and hash slots")
	assert.NotContains(t, node, ">Share of cluster<")
	assert.Equal(t, 2, strings.Count(node, ">Share of node<"), "families and hash slots")
}

// TestHTMLByteAxis: byte axes tick at round binary steps, from 0 to a
// round top, so that labels read 2 MiB, 4 MiB rather than 1.91 MiB.
func TestHTMLByteAxis(t *testing.T) {
	const KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
	for _, c := range []struct {
		top, step, max int64
	}{
		{1, 1, 1}, {3, 1, 3}, {7, 2, 8}, {1000, 256, 1024}, {1023, 256, 1024},
		{9607968, 2 * MiB, 10 * MiB}, {7363438, 2 * MiB, 8 * MiB}, {1169949, 256 * KiB, 5 * 256 * KiB},
		{5 * MiB, MiB, 5 * MiB}, {5*MiB + 1, 2 * MiB, 6 * MiB}, {2_000_000_000, 512 * MiB, 2 * GiB},
		{90 * GiB, 20 * GiB, 100 * GiB},
	} {
		step, max, ok := htmlNiceBytes(c.top)
		require.True(t, ok, "%d", c.top)
		assert.Equal(t, c.step, step, "step for %d", c.top)
		assert.Equal(t, c.max, max, "max for %d", c.top)
		assert.LessOrEqual(t, max/step, int64(htmlAxisTicks))
		assert.GreaterOrEqual(t, max, c.top)
	}
	for _, top := range []int64{0, -1} {
		_, _, ok := htmlNiceBytes(top)
		assert.False(t, ok)
	}
	// Huge values do not overflow.
	for _, top := range []int64{1 << 62, 1<<63 - 1} {
		step, max, ok := htmlNiceBytes(top)
		if ok {
			assert.GreaterOrEqual(t, max, top)
			assert.Positive(t, step)
		}
	}
	// In the page: every byte axis has min, max and interval.
	page := renderHTML(t, withMaxmemory(htmlIncidentReport(), 4<<30, nil), HTMLOptions{runtime: htmlStubRuntime})
	n := 0
	for _, m := range regexp.MustCompile(`id="(chart-\d+)-data"`).FindAllStringSubmatch(page, -1) {
		spec := htmlIsland(t, page, m[1])
		axis, _ := spec["axis"].(string)
		if axis == "" {
			continue
		}
		a := spec["option"].(map[string]any)[axis+"Axis"].([]any)[0].(map[string]any)
		step, _ := a["interval"].(float64)
		max, _ := a["max"].(float64)
		assert.Positive(t, step, m[1])
		assert.Equal(t, 0.0, a["min"], m[1])
		assert.Zero(t, int64(max)%int64(step), m[1])
		n++
	}
	assert.Greater(t, n, 5)
}

func htmlIslandRaw(t *testing.T, page, id string) []byte {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="` + id + `-data">(.*?)</script>`).FindStringSubmatch(page)
	require.NotNil(t, m, "no island %s", id)
	return []byte(m[1])
}

func htmlIsland(t *testing.T, page, id string) map[string]any {
	t.Helper()
	var spec map[string]any
	require.NoError(t, json.Unmarshal(htmlIslandRaw(t, page, id), &spec))
	return spec
}

func TestHTMLIncompleteNode(t *testing.T) {
	r := htmlIncidentReport()
	r.Nodes[1].Complete = false
	r.Nodes[1].Error = "unexpected EOF"
	r.Nodes[1].ErrorOffset = 123456
	out := renderHTML(t, r, HTMLOptions{runtime: htmlStubRuntime})
	assert.Contains(t, out, `<p class="bad">Incomplete input: node-7201 — incomplete: unexpected EOF (at byte 123,456)</p>`)
	assert.Contains(t, out, `<tr class="bad">`)
	assert.Contains(t, out, `<section id="node-1" class="node bad">`)
}

func TestHTMLErrors(t *testing.T) {
	var buf bytes.Buffer
	assert.Error(t, HTML(&buf, nil, HTMLOptions{}))
	for _, bad := range []string{"x='</script>'", "x='</SCRIPT >'", "<!-- x"} {
		assert.Error(t, HTML(&buf, htmlIncidentReport(), HTMLOptions{runtime: bad}), bad)
	}
	assert.Error(t, HTML(failWriter{}, htmlIncidentReport(), HTMLOptions{runtime: htmlStubRuntime}))
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

// TestEChartsPinned fails when the embedded ECharts changes without the
// pin (here and in refresh-echarts.sh) moving with it.
func TestEChartsPinned(t *testing.T) {
	sum := sha256.Sum256([]byte(echartsJS))
	assert.Equal(t, echartsSHA256, hex.EncodeToString(sum[:]), "assets/echarts.min.js changed: update echartsSHA256 and the pin in refresh-echarts.sh")
	script, err := os.ReadFile(filepath.Join("assets", "refresh-echarts.sh"))
	require.NoError(t, err)
	assert.Contains(t, string(script), "SHA256="+echartsSHA256)
	assert.True(t, strings.HasPrefix(echartsJS, "\n/*\n* Licensed to the Apache Software Foundation"), "not the npm dist build")
	for _, f := range []string{"LICENSE-echarts", "NOTICE-echarts", "LICENSE-zrender", "LICENSE-d3", "LICENSE-tslib"} {
		_, err := os.Stat(filepath.Join("assets", f))
		assert.NoError(t, err, "licence %s must ship beside the runtime", f)
	}
}

var (
	htmlScriptRE   = regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`)
	htmlStyleRE    = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	htmlCSPRE      = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
	htmlIslandRE   = regexp.MustCompile(`(?s)<script type="application/json" id="(chart-\d+)-data">(.*?)</script>`)
	htmlChartDivRE = regexp.MustCompile(`<div class="chart[^"]*" id="(chart-\d+)"></div>`)
)

// htmlMarkup is the page without the contents of its script elements: what
// the HTML parser sees as markup.
func htmlMarkup(page string) string {
	return htmlScriptRE.ReplaceAllString(page, "<script$1></script>")
}

// TestHTMLOffline checks that the page loads nothing: no external script,
// stylesheet, image or font, and a CSP that would block one anyway.
func TestHTMLOffline(t *testing.T) {
	page := renderHTML(t, withMaxmemory(htmlIncidentReport(), 4<<30, nil), HTMLOptions{})
	markup := htmlMarkup(page)
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script[^>]*\ssrc\s*=`),
		regexp.MustCompile(`(?i)<link\b`),
		regexp.MustCompile(`(?i)<(img|iframe|object|embed|audio|video|source|base)\b`),
		regexp.MustCompile(`(?i)\s(src|href|action|formaction|poster|srcset)\s*=\s*["']?\s*(https?:|//|ftp:|data:text)`),
		regexp.MustCompile(`(?i)@import`),
	} {
		assert.NotRegexp(t, bad, markup)
	}
	for _, m := range htmlStyleRE.FindAllStringSubmatch(page, -1) {
		assert.NotContains(t, strings.ToLower(m[1]), "url(", "CSS must not load anything")
	}
	// Every href is an in-page anchor.
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(markup, -1) {
		assert.True(t, strings.HasPrefix(m[1], "#"), "href %q", m[1])
	}
	// The runtime is the embedded one, inline.
	assert.Contains(t, page, echartsJS[:200])
}

// TestHTMLCSP checks that the policy forbids everything but the page's own
// inline scripts and style, by hash.
func TestHTMLCSP(t *testing.T) {
	page := renderHTML(t, htmlIncidentReport(), HTMLOptions{runtime: htmlStubRuntime})
	m := htmlCSPRE.FindStringSubmatch(page)
	require.NotNil(t, m)
	csp := html.UnescapeString(m[1])
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "img-src data:")
	assert.NotContains(t, csp, "unsafe-inline")
	assert.NotContains(t, csp, "unsafe-eval")
	assert.NotContains(t, csp, "http")
	executable := 0
	for _, s := range htmlScriptRE.FindAllStringSubmatch(page, -1) {
		if strings.Contains(s[1], `type="application/json"`) {
			continue // data, never executed: needs no hash
		}
		executable++
		assert.Contains(t, csp, htmlCSPHash(s[2]), "script not allowed by the CSP")
	}
	assert.Equal(t, 2, executable, "the runtime and the static script, nothing else")
	st := htmlStyleRE.FindStringSubmatch(page)
	require.NotNil(t, st)
	assert.Contains(t, csp, "style-src "+htmlCSPHash(st[1]))
	assert.NotContains(t, htmlMarkup(page), " style=", "inline style attributes are blocked by the CSP")
	assert.NotRegexp(t, `(?i)<[^>]*\son[a-z]+=`, htmlMarkup(page), "inline handlers are blocked by the CSP")
}

// TestHTMLHostileNames renders keys, node and type names crafted to break
// out of every context they appear in, and checks they stay text.
func TestHTMLHostileNames(t *testing.T) {
	r := htmlHostileReport()
	page := renderHTML(t, r, HTMLOptions{runtime: htmlStubRuntime})
	assert.True(t, utf8.ValidString(page), "invalid UTF-8 from keys must not reach the page")
	assert.NotContains(t, page, "\u2028")
	assert.NotContains(t, page, "\u2029")
	markup := htmlMarkup(page)
	assert.NotContains(t, markup, "<img", "a key name became markup")
	assert.NotContains(t, markup, "<svg", "a key name became markup")
	assert.NotRegexp(t, `(?i)<[^>]*\son[a-z]+=`, markup, "a key name became an event handler")
	// Exactly the scripts the page means to have: the islands, the runtime
	// and the static script.
	islands := htmlIslandRE.FindAllStringSubmatch(page, -1)
	assert.Equal(t, len(islands)+2, strings.Count(page, "<script"), "a key name opened a script element")
	assert.Equal(t, len(islands)+2, strings.Count(page, "</script>"), "a key name closed a script element")
	// Escaped, visible forms.
	assert.Contains(t, page, `\xff\xfe invalid \xc3( utf8 \x00 nul`)
	assert.Contains(t, page, `line\xe2\x80\xa8separator\xe2\x80\xa9paragraph`)
	assert.Contains(t, page, `&lt;/script&gt;&lt;script&gt;document.body.setAttribute(&#34;data-pwned&#34;,&#34;script&#34;)&lt;/script&gt;`)
	assert.Contains(t, page, `{b|rich} {a} \\ back\\slash`)
	// The 1 MB key is cut, says how long it is, and does not bloat the page.
	assert.Contains(t, page, strings.Repeat("A", 100)+"… (1,048,576 bytes)")
	assert.Less(t, len(page), 400_000)
	// Every island is valid JSON whose strings carry no markup.
	for _, m := range islands {
		raw := m[2]
		assert.NotContains(t, raw, "<")
		assert.NotContains(t, raw, ">")
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(raw), &v), m[1])
		assert.Less(t, len(raw), 100_000, "island %s too big", m[1])
	}
	// The __f__ marker, which go-echarts' page templates turn into code,
	// stays plain data: shown as text, and a JSON string in islands.
	assert.Contains(t, markup, "__f__function(){document")
	assert.Contains(t, page, `"name":"module:__f__function(){document.body.setAttribute(\"data-pwned\",\"f\")}__f__"`)
}

func TestHTMLChartsMatchIslands(t *testing.T) {
	page := renderHTML(t, htmlIncidentReport(), HTMLOptions{runtime: htmlStubRuntime})
	divs := htmlChartDivRE.FindAllStringSubmatch(page, -1)
	islands := htmlIslandRE.FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, divs)
	require.Len(t, islands, len(divs))
	var d, is []string
	for i := range divs {
		d = append(d, divs[i][1])
		is = append(is, islands[i][1])
	}
	assert.ElementsMatch(t, d, is, "every chart element has its island and no island is orphaned")
}

// TestHTMLScale renders a 32-node cluster with 100 k families per node and
// checks the treemap and table caps keep the page small.
func TestHTMLScale(t *testing.T) {
	r := &aggregate.Report{SchemaVersion: aggregate.SchemaVersion, Tool: aggregate.Tool{Name: "rdbscope"}}
	entries := make([]aggregate.Group, 100_000)
	for i := range entries {
		entries[i] = aggregate.Group{Name: aggregate.KeyName("fam:" + strconv.Itoa(i) + ":*"), Keys: 10, Memory: int64(100_000_000 - i),
			ByType: aggregate.TypeTotals{{Type: "string", KeysMemory: aggregate.KeysMemory{Keys: 10, Memory: int64(100_000_000 - i)}}}}
	}
	fams := &aggregate.Groups{Capacity: 100_000, Entries: entries}
	for i := range 32 {
		n := htmlSmallNode(fmt.Sprintf("node-%d", 7000+i), 1)
		n.Families = fams
		r.Nodes = append(r.Nodes, n)
	}
	start := time.Now()
	page := renderHTML(t, r, HTMLOptions{runtime: htmlStubRuntime, TreemapCap: 200, TableCap: 300})
	t.Logf("32 nodes × 100k families: %d bytes in %v", len(page), time.Since(start))
	assert.Contains(t, page, "Showing the first 300 of 100,000 rows.")
	assert.Contains(t, page, "(other: 99,800 more families and the untracked rest)")
	assert.Less(t, len(page), 25<<20)
	// Only the biggest node's section and the critical ones start open,
	// so the browser draws a handful of charts up front.
	assert.Less(t, strings.Count(page, "<details open>"), 4)
}

func TestHTMLFormatting(t *testing.T) {
	for _, c := range []struct {
		in   int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.00 KiB"}, {1536, "1.50 KiB"}, {10 << 20, "10.0 MiB"}, {2_000_000_000, "1.86 GiB"}, {-2048, "-2.00 KiB"}} {
		assert.Equal(t, c.want, htmlBytes(c.in), "bytes %d", c.in)
	}
	for _, c := range []struct {
		in   int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"}} {
		assert.Equal(t, c.want, htmlCount(c.in))
	}
	for _, c := range []struct {
		in   float64
		want string
	}{{0, "0.0%"}, {0.0000001, "<0.1%"}, {0.98, "98.0%"}, {0.99999, ">99.9%"}, {1, "100.0%"}} {
		assert.Equal(t, c.want, htmlPct(c.in))
	}
	// A figure prints as its unit says, whatever its name; bytes are
	// exact in the tooltip.
	for _, c := range []struct {
		f           aggregate.Figure
		want, exact string
	}{
		{aggregate.Figure{Name: "memory", Value: 2048, Unit: aggregate.UnitBytes}, "2.00 KiB", "2,048 bytes"},
		{aggregate.Figure{Name: "growth", Value: 3 << 20, Unit: aggregate.UnitBytes}, "3.00 MiB", "3,145,728 bytes"},
		{aggregate.Figure{Name: "memory", Value: 2048, Unit: aggregate.UnitCount}, "2,048", ""},
		{aggregate.Figure{Name: "share_of_node", Value: 0.5, Unit: aggregate.UnitShare}, "50.0%", ""},
		{aggregate.Figure{Name: "fill", Value: 1.2, Unit: aggregate.UnitShare}, "120.0%", ""},
		{aggregate.Figure{Name: "ratio", Value: 3.5, Unit: aggregate.UnitRatio}, "3.50×", ""},
		{aggregate.Figure{Name: "slot", Value: 12182, Unit: aggregate.UnitSlot}, "12182", ""},
		{aggregate.Figure{Name: "keys", Value: 1e6, Unit: aggregate.UnitCount}, "1,000,000", ""},
		{aggregate.Figure{Name: "old_expires_at", Value: 1.7e12, Unit: aggregate.UnitUnixMillis}, "2023-11-14 22:13:20 UTC", ""},
		{aggregate.Figure{Name: "memory", Value: 2048}, "2,048", ""}, // read back from JSON: no unit, a plain number
		{aggregate.Figure{Name: "x", Value: 0.25}, "0.25", ""},
		{aggregate.Figure{Name: "memory", Value: 1e300, Unit: aggregate.UnitBytes}, "1e+300", ""},
	} {
		text, exact := htmlFigureValue(c.f)
		assert.Equal(t, c.want, text, "%s %s", c.f.Name, c.f.Unit)
		assert.Equal(t, c.exact, exact, "%s %s", c.f.Name, c.f.Unit)
	}
	// Truncation never cuts a rune or an escape in half.
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 10, "abc"},
		{strings.Repeat("é", 10), 5, "éé… (20 bytes)"},
		{"ab\xff\xfecd", 6, `ab\xff… (6 bytes)`},
		{`ab\\cd`, 3, `ab… (6 bytes)`},
	} {
		assert.Equal(t, c.want, htmlKey(aggregate.KeyName(c.in), c.max), "%q", c.in)
	}
}

// assertGolden compares got with the golden file at path, rewriting it
// first when update is set; how says how to rewrite it.
func assertGolden(t *testing.T, path, got string, update bool, how string) {
	t.Helper()
	if update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./render %s", how)
	assert.Equal(t, string(want), got, "%s differs (rerun go test ./render %s and review the diff)", path, how)
}
