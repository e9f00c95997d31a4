package render

import (
	"bufio"
	"io"

	"github.com/rdbscope/rdbscope/aggregate/trend"
)

// TrendMetrics writes a trend's forecast as gauges in the Prometheus text
// format, for alerts that fire days before a node fills: per node its
// days to full (absent when it does not fill), growth a day, used memory
// and maxmemory; per node its fastest families' growth, with and without
// TTL; findings by severity and kind. opts.Labels go on every sample.
// docs/metrics.md lists them.
func TrendMetrics(w io.Writer, t *trend.Trend, opts MetricsOptions) error {
	m := &metricsWriter{w: bufio.NewWriter(w), base: opts.Labels}
	m.family("rdbscope_trend_timestamp_seconds", "The latest night the forecast is made from (Unix seconds).")
	m.sample("rdbscope_trend_timestamp_seconds", nil, float64(t.Now))
	m.family("rdbscope_trend_nights", "Nights the forecast is made from.")
	m.sample("rdbscope_trend_nights", nil, float64(len(t.Nights)))
	perNode := []struct {
		name, help string
		value      func(*trend.Node) (float64, bool)
	}{
		{"rdbscope_trend_days_to_full", "Days from the latest night until the node reaches maxmemory at its growth rate; 0 when it has; absent when it does not grow or maxmemory is unknown.",
			func(n *trend.Node) (float64, bool) { return deref(n.DaysToFull) }},
		{"rdbscope_trend_growth_bytes_per_day", "The node's growth of used memory, bytes a day (Theil-Sen over the nights).",
			func(n *trend.Node) (float64, bool) { return deref(n.GrowthPerDay) }},
		{"rdbscope_trend_used_bytes", "The node's used memory on the latest night it was seen.",
			func(n *trend.Node) (float64, bool) { return float64(n.Used), true }},
		{"rdbscope_trend_maxmemory_bytes", "The node's maxmemory (absent when unknown).",
			func(n *trend.Node) (float64, bool) { return float64(n.Maxmemory), n.Maxmemory > 0 }},
		{"rdbscope_trend_node_missing", "1 when the node has no record on the latest night (its dump is missing).",
			func(n *trend.Node) (float64, bool) { return b2f(n.Missing), true }},
	}
	for _, p := range perNode {
		m.family(p.name, p.help)
		for i := range t.Nodes {
			if v, ok := p.value(&t.Nodes[i]); ok {
				m.sample(p.name, []string{"node", t.Nodes[i].Name}, v)
			}
		}
	}
	top := opts.TopFamilies
	if top == 0 {
		top = DefaultMetricsFamilies
	}
	m.family("rdbscope_trend_family_growth_bytes_per_day", "Growth of each node's fastest-growing key families, bytes a day, split by ttl (with, without).")
	for i := range t.Nodes {
		n := &t.Nodes[i]
		for j := range n.Families[:min(max(top, 0), len(n.Families))] {
			f := &n.Families[j]
			for _, s := range []struct {
				ttl string
				v   *float64
			}{{"with", f.TTLGrowthPerDay}, {"without", f.NoTTLGrowthPerDay}} {
				if v, ok := deref(s.v); ok {
					m.sample("rdbscope_trend_family_growth_bytes_per_day", []string{"node", n.Name, "family", f.Name, "ttl", s.ttl}, v)
				}
			}
		}
	}
	m.family("rdbscope_trend_findings", "Trend findings per severity and kind (only kinds found).")
	type sk struct{ sev, kind string }
	counts := map[sk]int{}
	var order []sk
	for _, f := range t.Findings {
		k := sk{f.Severity.String(), f.Kind}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	for _, k := range order {
		m.sample("rdbscope_trend_findings", []string{"severity", k.sev, "kind", k.kind}, float64(counts[k]))
	}
	if m.err != nil {
		return m.err
	}
	return m.w.Flush()
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}
