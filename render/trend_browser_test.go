package render

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate/trend"
)

// trendLayoutJS measures the trend page in its viewport: errors, charts
// drawn, where the headline and the chart of the nodes filling first are.
const trendLayoutJS = `(() => {
  const root = document.documentElement, vw = root.clientWidth;
  const top = id => { const e = document.getElementById(id); return e ? e.getBoundingClientRect().top : -1; };
  const chart = document.querySelector('#filling .chart');
  return {
    vw, vh: window.innerHeight, scrollWidth: root.scrollWidth,
    headline: (document.getElementById('headline') || {}).textContent || '',
    headlineBottom: (document.getElementById('headline') || {getBoundingClientRect: () => ({bottom: -1})}).getBoundingClientRect().bottom,
    fillingTop: top('filling'),
    chartBottom: chart ? chart.getBoundingClientRect().bottom : -1,
    charts: Number(document.body.getAttribute('data-charts-rendered')),
    chartsOpen: [...document.querySelectorAll('div.chart')].filter(e => ![...document.querySelectorAll('details:not([open])')].some(d => d.contains(e))).length,
    errors: (document.getElementById('js-errors') || {}).textContent || '',
  };
})()`

// TestTrendHTMLLayout opens the trend page of the incident and of a
// 300-node fleet on a laptop's screen: no script error, every chart of an
// open section drawn, nothing wider than the screen, and the headline and
// the chart of the nodes filling first within the first screen.
func TestTrendHTMLLayout(t *testing.T) {
	needChromium(t)
	b := newCDPBrowser(t)
	for _, tc := range []struct {
		name     string
		tr       *trend.Trend
		headline string
	}{
		{"incident", incidentTrend(t), "node-7202 will reach maxmemory"},
		{"fleet-300", fleetTrend(t, 300), "node-0007 will reach maxmemory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.t = t
			path := filepath.Join(t.TempDir(), "trend.html")
			f, err := os.Create(path)
			require.NoError(t, err)
			require.NoError(t, TrendHTML(f, tc.tr, TrendHTMLOptions{}))
			require.NoError(t, f.Close())
			const w, h = 1440, 900
			b.open("file://"+path, w, h, false)
			var got struct {
				VW, VH, ScrollWidth     int
				Headline                string
				HeadlineBottom          float64
				FillingTop, ChartBottom float64
				Charts, ChartsOpen      int
				Errors                  string
			}
			b.eval(trendLayoutJS, &got)
			assert.Equal(t, "", got.Errors)
			assert.Positive(t, got.ChartsOpen)
			assert.Equal(t, got.ChartsOpen, got.Charts, "every chart of an open section is drawn")
			assert.LessOrEqual(t, got.ScrollWidth, got.VW, "the page scrolls sideways")
			assert.Contains(t, got.Headline, tc.headline)
			assert.LessOrEqual(t, got.HeadlineBottom, float64(got.VH))
			assert.Positive(t, got.FillingTop)
			assert.Less(t, got.ChartBottom, float64(got.VH), "the chart of the nodes filling first is in the first screen")
			if htmlScreenshots != "" {
				out, err := filepath.Abs(filepath.Join(htmlScreenshots, "trend-"+tc.name+"-"+strconv.Itoa(w)+".png"))
				require.NoError(t, err)
				b.screenshot(out)
				t.Logf("screenshot %s (chart bottom %.0f px)", out, got.ChartBottom)
			}
		})
	}
}
