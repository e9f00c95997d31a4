package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// End-to-end proof of issue 5 on real dumps: the CLI writes the HTML report
// and headless Chromium opens it with no network. The browser helpers live
// here (render's are in another package) and are shared with the
// hostile-keys test.

const e2eChromium = "/usr/bin/chromium"

// e2eIncidentDir is the incident corpus, relative to the repository root
// (the package directory of main).
const e2eIncidentDir = "../shared/corpus/generated/incident-redis-7.0.15"

// needChromium skips the test when the browser is absent or in -short mode.
func needChromium(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(e2eChromium); err != nil {
		t.Skip("no " + e2eChromium + " (apt-get install chromium)")
	}
}

// browserDOM opens path#fragment in headless Chromium with a throw-away
// profile and no network (every request goes to a dead proxy), lets its
// scripts run, and returns the serialized DOM.
func browserDOM(t *testing.T, path, fragment string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2eChromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps",
		"--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
		"--user-data-dir="+t.TempDir(),
		"--virtual-time-budget=10000",
		"--dump-dom", "file://"+abs+fragment)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "chromium: %s", stderr.String())
	return string(out)
}

var (
	e2eBodyRE     = regexp.MustCompile(`<body([^>]*)>`)
	e2eTitleRE    = regexp.MustCompile(`<title>(.*?)</title>`)
	e2eJSErrorsRE = regexp.MustCompile(`(?s)<pre id="js-errors"[^>]*>(.*?)</pre>`)
	e2eChartRE    = regexp.MustCompile(`<div class="chart[^"]*" id="(chart-\d+)"`)
	e2eScriptRE   = regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`)
	e2eHandlerRE  = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`)
)

func e2eAttr(tag, name string) string {
	m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return m[1]
}

// e2eMarkup is a page without the contents of its script elements (the
// ECharts runtime contains markup in string literals).
func e2eMarkup(page string) string {
	return e2eScriptRE.ReplaceAllString(page, "<script$1></script>")
}

// pageResult is what checkPage found in the browser.
type pageResult struct {
	dom    string
	title  string // after the page's scripts ran
	charts int
}

// checkPage writes nothing: it opens the report at path in the browser
// with #selftest (the static script then opens every chart's first
// tooltip, exercising tooltip escaping) and asserts that every chart
// element was drawn (a canvas or svg inside each chart container), that
// the page logged no error, exception or CSP violation, that no injected
// script changed the title or set the data-pwned marker, and that no key
// name became markup.
func checkPage(t *testing.T, path string) pageResult {
	t.Helper()
	page, err := os.ReadFile(path)
	require.NoError(t, err)
	staticTitle := e2eTitleRE.FindStringSubmatch(string(page))
	require.NotNil(t, staticTitle, "the report has no title")
	staticCharts := e2eChartRE.FindAllStringSubmatch(string(page), -1)
	require.NotEmpty(t, staticCharts, "the report has no chart element")

	dom := browserDOM(t, path, "#selftest")
	body := e2eBodyRE.FindStringSubmatch(dom)
	require.NotNil(t, body, "no body in the DOM dump")
	total := e2eAttr(body[1], "data-charts-total")
	require.NotEmpty(t, total, "the static script did not run")
	assert.Equal(t, total, e2eAttr(body[1], "data-charts-rendered"), "charts rendered of total")
	assert.Equal(t, total, e2eAttr(body[1], "data-tooltips-shown"), "every chart showed a tooltip")
	assert.Equal(t, "", e2eAttr(body[1], "data-errors"), "the page recorded errors: %s", e2eJSErrorsRE.FindString(dom))
	assert.Equal(t, "", e2eAttr(body[1], "data-pwned"), "an injected script ran")
	assert.NotContains(t, body[1], "pwned")
	if m := e2eJSErrorsRE.FindStringSubmatch(dom); assert.NotNil(t, m, "no #js-errors sink") {
		assert.Equal(t, "", m[1], "console errors, CSP violations or exceptions")
	}

	// A canvas (or svg) inside every chart container: look between a
	// chart's opening tag and the next chart's.
	locs := e2eChartRE.FindAllStringSubmatchIndex(dom, -1)
	assert.Equal(t, len(staticCharts), len(locs), "chart elements in the DOM")
	for i, l := range locs {
		end := len(dom)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		seg := dom[l[0]:end]
		id := dom[l[2]:l[3]]
		assert.True(t, strings.Contains(seg, "<canvas") || strings.Contains(seg, "<svg"), "chart %s has no canvas or svg", id)
	}

	tm := e2eTitleRE.FindStringSubmatch(dom)
	require.NotNil(t, tm, "no title in the DOM")
	assert.Equal(t, staticTitle[1], tm[1], "a script changed the title")
	assert.NotContains(t, tm[1], "pwned")
	markup := e2eMarkup(dom)
	assert.NotContains(t, markup, "<img", "a name became markup")
	assert.NotRegexp(t, e2eHandlerRE, markup, "a name became an event handler")
	return pageResult{dom: dom, title: tm[1], charts: len(locs)}
}

// TestE2EHTMLIncident renders the incident corpus (when present) and the
// sample cluster (always present) with the incident's settings, opens each
// report in headless Chromium, and checks that the page tells the story:
// node-7202, and the hash's share of it.
func TestE2EHTMLIncident(t *testing.T) {
	needChromium(t)
	cases := []struct {
		name, dir string
		args      []string
	}{
		{"incident-redis-7.0.15", e2eIncidentDir, []string{"--maxmemory", "9mb", "--maxmemory-policy", "volatile-lru"}},
		{"incident-redis-7.4.1", "../shared/corpus/generated/incident-redis-7.4.1", []string{"--maxmemory", "9mb", "--maxmemory-policy", "volatile-lru"}},
		{"sample", "testdata/sample", []string{"--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := os.Stat(c.dir); err != nil {
				t.Skip("corpus not available: ", err)
			}
			out := filepath.Join(t.TempDir(), "report.html")
			args := append([]string{"analyze", "-j", "2", "--html", out}, c.args...)
			code, stdout, stderr := runCLI(t, append(args, c.dir)...)
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stdout, "HTML report written to "+out)

			res := checkPage(t, out)
			// The headline is the title: the critical finding first (the
			// node is full and its memory cannot be evicted), then the hash
			// share.
			assert.Regexp(t, `^rdbscope report: node-7202: (full \(\d+\.\d% of maxmemory\)|at \d+\.\d% of maxmemory), 9\d\.\d% of key memory cannot be evicted \(ttl-starvation\) — hash is 9\d\.\d% of key memory$`, res.title)
			assert.Regexp(t, `id="headline">node-7202: [^<]*\(ttl-starvation\) — hash is 9\d\.\d% of key memory<`, res.dom)
			assert.Regexp(t, `hash is 9\d\.\d% of this node`, res.dom)
			// The findings name the node and the hash, most severe first.
			assert.Contains(t, res.dom, "applog:checkout:debug")
			assert.Regexp(t, `(?s)sev-critical.*?node-7202.*?ttl-starvation`, res.dom)
			// One bar per node, the outlier marked.
			for _, n := range []string{"node-7200", "node-7201", "node-7202"} {
				assert.Contains(t, res.dom, n)
			}
			assert.Greater(t, res.charts, 5)
		})
	}
}
