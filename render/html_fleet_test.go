package render

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// fleetReport is a report of n generated nodes of 64 MiB maxmemory: node
// i uses 10 MiB plus i KiB, every tenth holds a 30 MiB hash, node-0123 a
// 50 MiB one; the rules judge them.
func fleetReport(t *testing.T, n int) *aggregate.Report {
	t.Helper()
	r := &aggregate.Report{SchemaVersion: 1, Tool: aggregate.Tool{Name: "rdbscope", Version: "test", GeneratedAt: "2026-12-01T00:00:00Z"}}
	for i := range n {
		name := fmt.Sprintf("node-%04d", i)
		big := int64(0)
		switch {
		case i == 123:
			big = 50 << 20
		case i%10 == 0:
			big = 30 << 20
		}
		str := int64(10<<20) + int64(i)<<10
		nd := &aggregate.Node{Name: name, Complete: true, Keys: 1000, Memory: str + big, Allocated: str + big,
			EstimatedUsedMemory: str + big + 1<<20, UsedMem: str + big + 2<<20,
			ByType: map[string]*aggregate.Stat{"string": {Keys: 999, Memory: str}},
			Source: &aggregate.Source{Path: name + ".rdb", RedisVersion: "7.2.4", CTime: 1796004000}}
		nd.TTL.Without = aggregate.KeysMemory{Keys: 1, Memory: big}
		nd.TTL.With = aggregate.KeysMemory{Keys: 999, Memory: str}
		if big > 0 {
			nd.ByType["hash"] = &aggregate.Stat{Keys: 1, Memory: big, Elements: 100000}
			nd.TopKeys = []aggregate.KeyInfo{{Key: "applog:" + aggregate.KeyName(name), Type: "hash", Encoding: "hashtable", Memory: big, Elements: 100000}}
		}
		r.Nodes = append(r.Nodes, nd)
	}
	rules := diagnose.DefaultRules()
	require.NoError(t, rules.SetMaxmemory("64mb"))
	r.Cluster = aggregate.Merge("cluster", 10, r.Nodes...)
	r.Findings = diagnose.Diagnose(r, rules)
	r.Settings = rules.Settings()
	return r
}

// At 300 nodes the report stays one page a reader can use: findings
// grouped by kind, no link per node, sections for the worst 30 only, the
// overview charts as horizontal bars of the worst 15 with maxmemory as a
// vertical line, and the nodes table fullest first with a Fill column.
func TestHTMLFleet(t *testing.T) {
	r := fleetReport(t, 300)
	page := renderHTML(t, r, HTMLOptions{runtime: htmlStubRuntime})
	p, err := htmlBuildPage(r, HTMLOptions{runtime: htmlStubRuntime})
	require.NoError(t, err)

	require.Greater(t, len(r.Findings), groupFindingsAbove)
	assert.Empty(t, p.Findings)
	var kinds []string
	for _, g := range p.FindingGroups {
		kinds = append(kinds, g.Kind)
	}
	assert.Equal(t, []string{"big-hash", "over-maxmemory", "node-skew"}, kinds)
	assert.Equal(t, 3, strings.Count(page, `<details class="sub group`))
	assert.Empty(t, p.NavNodes)
	assert.Equal(t, 1+DefaultNodeSections, len(p.Nodes), "the merged cluster and the worst 30")
	assert.Equal(t, "node-0123", p.Nodes[1].Name, "the worst node's section comes first after the cluster's")
	assert.Contains(t, page, "the other 270 nodes are in the nodes table")

	mem := htmlIsland(t, page, p.Overview.MemChart)
	opt := mem["option"].(map[string]any)
	y := opt["yAxis"].([]any)[0].(map[string]any)
	assert.Equal(t, "category", y["type"])
	assert.Equal(t, true, y["inverse"])
	cats := y["data"].([]any)
	require.Len(t, cats, htmlChartNodes)
	first := cats[0].(map[string]any)["value"].(string)
	assert.True(t, strings.HasPrefix(first, "node-0123 · "), first)
	assert.NotContains(t, first, "\n")
	assert.Equal(t, "x", mem["axis"])
	assert.Contains(t, string(htmlIslandRaw(t, page, p.Overview.MemChart)), `"markLine":{"data":[{"name":"maxmemory 64.0 MiB","xAxis":67108864}]`)
	assert.Empty(t, p.Overview.SlotChart)

	rows := regexp.MustCompile(`<tr[^>]*><td class="name">([^<]*)</td>`).FindAllStringSubmatch(page, -1)
	require.GreaterOrEqual(t, len(rows), 300)
	assert.Equal(t, "node-0123 (outlier)", rows[0][1], "the nodes table starts with the fullest node")
	assert.Contains(t, page, `>Fill</th>`)
	assert.Less(t, len(page), 4<<20, "the page stays small")
}

// A few nodes keep the page as it was: every finding, every node linked
// and its section, vertical bars.
func TestHTMLFewNodesUnchanged(t *testing.T) {
	r := fleetReport(t, 5)
	p, err := htmlBuildPage(r, HTMLOptions{runtime: htmlStubRuntime})
	require.NoError(t, err)
	assert.Empty(t, p.FindingGroups)
	assert.Len(t, p.Findings, len(r.Findings))
	assert.Len(t, p.NavNodes, 6)
	assert.Empty(t, p.SectionsNote)
	assert.Empty(t, p.Overview.ChartsNote)
}

// TestHTMLFleetLayout opens the 300-node report on a laptop's screen: the
// worst nodes' bars are in the first screen.
func TestHTMLFleetLayout(t *testing.T) {
	needChromium(t)
	path := filepath.Join(t.TempDir(), "fleet.html")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, HTML(f, fleetReport(t, 300), HTMLOptions{}))
	require.NoError(t, f.Close())
	b := newCDPBrowser(t)
	b.open("file://"+path, 1440, 900, false)
	var got struct {
		VH          float64
		ChartBottom float64
		ScrollWidth float64
		VW          float64
		Errors      string
	}
	b.eval(`(() => { const c = document.querySelector('#overview .chart'); return {
		vh: window.innerHeight, vw: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth,
		chartBottom: c ? c.getBoundingClientRect().bottom : -1,
		errors: (document.getElementById('js-errors') || {}).textContent || ''}; })()`, &got)
	assert.Empty(t, got.Errors)
	assert.LessOrEqual(t, got.ScrollWidth, got.VW)
	assert.Positive(t, got.ChartBottom)
	assert.LessOrEqual(t, got.ChartBottom, got.VH, "the chart of the worst nodes is in the first screen")
	if htmlScreenshots != "" {
		out, err := filepath.Abs(filepath.Join(htmlScreenshots, "report-300-nodes-1440.png"))
		require.NoError(t, err)
		b.screenshot(out)
		t.Logf("screenshot %s", out)
	}
}
