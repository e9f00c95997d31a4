package render

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// Browser end to end.

const chromium = "/usr/bin/chromium"

// needChromium skips the test when the browser is absent or in -short
// mode.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no " + chromium + " (apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
}

// runChromium runs headless Chromium, with no network (every request goes
// to a dead proxy) and a fresh profile, with args after the common ones,
// and returns what it wrote on stdout.
func runChromium(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps",
		"--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
		"--user-data-dir=" + t.TempDir(),
		"--virtual-time-budget=10000",
	}, args...)
	cmd := exec.CommandContext(ctx, chromium, all...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "chromium: %s", stderr.String())
	return string(out)
}

// dumpDOM loads a page in headless Chromium and returns the DOM after its
// scripts ran.
func dumpDOM(t *testing.T, path, fragment string, args ...string) string {
	t.Helper()
	return runChromium(t, append(args, "--dump-dom", "file://"+path+fragment)...)
}

func writeTemp(t *testing.T, r *aggregate.Report, o HTMLOptions) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, HTML(f, r, o))
	require.NoError(t, f.Close())
	return path
}

var (
	bodyAttrRE = regexp.MustCompile(`<body([^>]*)>`)
	jsErrorsRE = regexp.MustCompile(`(?s)<pre id="js-errors"[^>]*>(.*?)</pre>`)
	titleRE    = regexp.MustCompile(`<title>(.*?)</title>`)
)

func attr(tag, name string) string {
	m := regexp.MustCompile(name + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestHTMLBrowser(t *testing.T) {
	needChromium(t)
	cases := []struct {
		name   string
		r      *aggregate.Report
		title  string
		expect []string
	}{
		{"incident", htmlIncidentReport(), "rdbscope report: node-7202: key applog:checkout:debug is 98.0% of key memory (big-key) — hash is 98.7% of key memory",
			[]string{"node-7202", "hash is 98.7% of this node", "applog:checkout:debug"}},
		{"hostile", htmlHostileReport(), "rdbscope report: node-7202: key applog:checkout:debug is 98.0% of key memory (big-key) — hash is 98.7% of key memory",
			[]string{`\xff\xfe invalid`, "… (1,048,576 bytes)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, withMaxmemory(c.r, 4<<30, nil), HTMLOptions{})
			// #selftest makes the static script open every chart's first
			// tooltip, so that tooltip escaping is exercised too.
			dom := dumpDOM(t, path, "#selftest")
			body := bodyAttrRE.FindStringSubmatch(dom)
			require.NotNil(t, body, "no body in DOM dump")
			total, rendered := attr(body[1], "data-charts-total"), attr(body[1], "data-charts-rendered")
			assert.NotEqual(t, "", total)
			assert.NotEqual(t, "0", total)
			assert.Equal(t, total, rendered, "every chart renders")
			assert.Equal(t, total, attr(body[1], "data-tooltips-shown"), "every chart showed a tooltip")
			assert.Equal(t, "", attr(body[1], "data-errors"), "errors: %s", jsErrorsRE.FindString(dom))
			assert.Equal(t, "", attr(body[1], "data-pwned"), "a hostile name ran script")
			if m := jsErrorsRE.FindStringSubmatch(dom); assert.NotNil(t, m) {
				assert.Equal(t, "", m[1], "console errors, CSP violations or exceptions")
			}
			// A canvas in every chart element.
			for _, id := range htmlChartDivRE.FindAllStringSubmatch(renderHTML(t, withMaxmemory(c.r, 4<<30, nil), HTMLOptions{runtime: htmlStubRuntime}), -1) {
				re := regexp.MustCompile(`(?s)<div class="chart[^"]*" id="` + id[1] + `"[^>]*>.*?<canvas`)
				assert.Regexp(t, re, dom, "chart %s has no canvas", id[1])
			}
			tm := titleRE.FindStringSubmatch(dom)
			require.NotNil(t, tm)
			assert.Equal(t, c.title, tm[1], "the title was changed by script")
			for _, e := range c.expect {
				assert.Contains(t, dom, htmlEscapeForDOM(e))
			}
			assert.NotContains(t, htmlMarkup(dom), "<img")
			assert.NotContains(t, htmlMarkup(dom), "<svg onload")
		})
	}
}

// htmlEscapeForDOM is how Chromium serializes text content.
func htmlEscapeForDOM(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// incidentFixture is the report of the incident corpus
// (incident-redis-7.0.15: three nodes, node-7202 full of a debug hash
// without TTL) as `rdbscope analyze --json` wrote it, judged again with
// the settings of that run (maxmemory 9mb, volatile-lru), so that its
// findings carry their units and the report its Settings, which the JSON
// does not hold. To refresh it:
//
//	rdbscope analyze -q --maxmemory 9mb --maxmemory-policy volatile-lru --json - \
//	    ../shared/corpus/generated/incident-redis-7.0.15 | gzip -9 -n > render/testdata/incident-redis-7.0.15.json.gz
func incidentFixture(t *testing.T) *aggregate.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "incident-redis-7.0.15.json.gz"))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	r, err := aggregate.DecodeReport("incident-redis-7.0.15.json", zr)
	require.NoError(t, err)
	rules := diagnose.DefaultRules()
	require.NoError(t, rules.SetMaxmemory("9mb"))
	require.NoError(t, rules.SetPolicy("volatile-lru"))
	r.Findings = diagnose.Diagnose(r, rules)
	r.Settings = rules.Settings()
	return r
}

// htmlScreenshots is where TestHTMLLayout writes its screenshots when set
// (docs/report-*.png are made with it).
var htmlScreenshots = os.Getenv("RDBSCOPE_SCREENSHOTS")

// htmlLayoutJS measures, in the page, how it fits its viewport.
const htmlLayoutJS = `(() => {
  const root = document.documentElement, vw = root.clientWidth;
  const out = {vw, vh: window.innerHeight, scrollWidth: root.scrollWidth, sticking: [], wrapped: []};
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (out.sticking.length < 8 && r.width > 0 && r.right > vw + 0.5 && !e.closest('.tablewrap')) {
      out.sticking.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' right=' + Math.round(r.right));
    }
  }
  const hl = document.getElementById('headline');
  out.headline = hl ? hl.textContent : '';
  out.headlineBottom = hl ? hl.getBoundingClientRect().bottom : -1;
  const wrap = document.querySelector('#overview .tablewrap');
  out.nodesTableScrolls = wrap ? wrap.scrollWidth > wrap.clientWidth : true;
  for (const td of document.querySelectorAll('#overview tbody td:first-child')) {
    const range = document.createRange();
    range.selectNodeContents(td);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (lines.size > 1) out.wrapped.push(td.textContent);
  }
  out.charts = Number(document.body.getAttribute('data-charts-rendered'));
  out.chartsTotal = Number(document.body.getAttribute('data-charts-total'));
  out.errors = (document.getElementById('js-errors') || {}).textContent || '';
  return out;
})()`

// TestHTMLLayout opens the incident report at a phone's, a laptop's and a
// large screen's width and checks that the page never scrolls sideways
// (every chart fits; a wide table scrolls in its own box, on a phone
// only), that the headline naming the culprit node is in the first screen,
// and that the nodes table fits without wrapping a node's name.
func TestHTMLLayout(t *testing.T) {
	needChromium(t)
	path := writeTemp(t, incidentFixture(t), HTMLOptions{Title: "Checkout cache incident"})
	b := newCDPBrowser(t)
	for _, size := range []struct{ w, h int }{{390, 844}, {1440, 900}, {2560, 1440}} {
		t.Run(strconv.Itoa(size.w), func(t *testing.T) {
			b.t = t
			b.open("file://"+path, size.w, size.h, size.w < 500)
			var got struct {
				VW, VH, ScrollWidth int
				Sticking, Wrapped   []string
				Headline            string
				HeadlineBottom      float64
				NodesTableScrolls   bool
				Charts, ChartsTotal int
				Errors              string
			}
			b.eval(htmlLayoutJS, &got)
			assert.Equal(t, size.w, got.VW, "viewport width")
			assert.Equal(t, "", got.Errors, "the page logged errors")
			assert.Positive(t, got.ChartsTotal)
			assert.Equal(t, got.ChartsTotal, got.Charts, "every chart of an open section is drawn")
			assert.LessOrEqual(t, got.ScrollWidth, got.VW, "the page scrolls sideways")
			assert.Empty(t, got.Sticking, "elements sticking out on the right")
			assert.Contains(t, got.Headline, "node-7202", "the headline names the culprit node")
			assert.Positive(t, got.HeadlineBottom)
			assert.LessOrEqual(t, got.HeadlineBottom, float64(got.VH), "the headline is below the first screen")
			assert.Empty(t, got.Wrapped, "node names wrapped in the nodes table")
			if size.w >= 1440 {
				assert.False(t, got.NodesTableScrolls, "the nodes table scrolls sideways")
			}
			if htmlScreenshots != "" {
				out, err := filepath.Abs(filepath.Join(htmlScreenshots, "report-"+strconv.Itoa(size.w)+".png"))
				require.NoError(t, err)
				b.screenshot(out)
				t.Logf("screenshot %s", out)
			}
		})
	}
}
