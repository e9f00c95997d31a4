package render

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
)

// MetricsOptions tune the metrics file.
type MetricsOptions struct {
	// Labels are name, value pairs put on every sample, e.g. "cluster",
	// "prod-cache": what keeps twenty clusters apart on one
	// node_exporter. The command checks the names.
	Labels []string
	// TopFamilies is how many of each node's biggest key families get
	// series of their own (DefaultMetricsFamilies if 0; -1 for none).
	TopFamilies int
}

// DefaultMetricsFamilies is how many families of each node the metrics
// file has series for: enough to see what fills a node, few enough that
// 300 nodes stay a few thousand series.
const DefaultMetricsFamilies = 5

// Metrics writes the report as gauges in the Prometheus text exposition
// format (version 0.0.4), the format node_exporter's textfile collector
// reads: one sample per node and figure, labelled by node. Node names
// are written in the escaped key form (aggregate.EscapeKey), so a label is
// always valid UTF-8. docs/metrics.md lists the metrics.
func Metrics(w io.Writer, r *aggregate.Report, opts MetricsOptions) error {
	m := &metricsWriter{w: bufio.NewWriter(w), base: opts.Labels}
	nodes := r.Nodes

	m.family("rdbscope_report_timestamp_seconds", "When the report was generated (Unix seconds).")
	if t, err := time.Parse(time.RFC3339, r.Tool.GeneratedAt); err == nil {
		m.sample("rdbscope_report_timestamp_seconds", nil, float64(t.Unix()))
	}
	m.family("rdbscope_node_info", "Always 1; labels name the dump's server version, memory model and checksum state.")
	for _, n := range nodes {
		ver, sum := "", ""
		if n.Source != nil {
			ver, sum = n.Source.RedisVersion, n.Source.Checksum
		}
		m.sample("rdbscope_node_info", []string{"node", n.Name, "redis_version", ver, "model", n.Model, "checksum", sum}, 1)
	}
	perNode := []struct {
		name, help string
		value      func(*aggregate.Node) (float64, bool)
	}{
		{"rdbscope_node_complete", "1 when the whole dump was read and verified, 0 when the node's figures stop at a failure.",
			func(n *aggregate.Node) (float64, bool) { return b2f(n.Complete), true }},
		{"rdbscope_node_keys", "Keys in the dump.",
			func(n *aggregate.Node) (float64, bool) { return float64(n.Keys), true }},
		{"rdbscope_node_key_memory_bytes", "Sum of the keys' estimated MEMORY USAGE.",
			func(n *aggregate.Node) (float64, bool) { return float64(n.Memory), true }},
		{"rdbscope_node_estimated_used_memory_bytes", "Estimated used_memory after loading the dump: key memory plus the node's overhead.",
			func(n *aggregate.Node) (float64, bool) { return float64(n.EstimatedUsedMemory), true }},
		{"rdbscope_node_used_memory_bytes", "The used-mem the server wrote into the dump (absent when the dump has none).",
			func(n *aggregate.Node) (float64, bool) { return float64(n.UsedMem), n.UsedMem > 0 }},
		{"rdbscope_node_rdb_bytes", "Sum of the keys' serialized sizes in the dump.",
			func(n *aggregate.Node) (float64, bool) { return float64(n.RDBBytes), true }},
		{"rdbscope_node_dump_timestamp_seconds", "The dump's ctime (Unix seconds; absent when the dump has none).",
			func(n *aggregate.Node) (float64, bool) {
				if n.Source == nil || n.Source.CTime == 0 {
					return 0, false
				}
				return float64(n.Source.CTime), true
			}},
	}
	for _, p := range perNode {
		m.family(p.name, p.help)
		for _, n := range nodes {
			if v, ok := p.value(n); ok {
				m.sample(p.name, []string{"node", n.Name}, v)
			}
		}
	}
	// What the findings compare with maxmemory, and the fill: what an
	// alert predicts (docs/metrics.md).
	m.family("rdbscope_node_used_bytes", "The memory the node is taken to use against maxmemory: the dump's used-mem, else the model's estimate.")
	for _, n := range nodes {
		m.sample("rdbscope_node_used_bytes", []string{"node", n.Name}, float64(aggregate.UsedMemory(n)))
	}
	m.family("rdbscope_node_maxmemory_bytes", "The node's maxmemory (--maxmemory, --redis-config; absent when unknown).")
	for _, n := range nodes {
		if mm := r.Settings.MaxmemoryOf(n.Name); mm > 0 {
			m.sample("rdbscope_node_maxmemory_bytes", []string{"node", n.Name}, float64(mm))
		}
	}
	m.family("rdbscope_node_fill_ratio", "rdbscope_node_used_bytes over rdbscope_node_maxmemory_bytes (absent when maxmemory is unknown).")
	for _, n := range nodes {
		if mm := r.Settings.MaxmemoryOf(n.Name); mm > 0 {
			m.sample("rdbscope_node_fill_ratio", []string{"node", n.Name}, float64(aggregate.UsedMemory(n))/float64(mm))
		}
	}
	m.family("rdbscope_node_type_keys", "Keys per data type.")
	for _, n := range nodes {
		for _, t := range sortedStrings(n.ByType) {
			m.sample("rdbscope_node_type_keys", []string{"node", n.Name, "type", t}, float64(n.ByType[t].Keys))
		}
	}
	m.family("rdbscope_node_type_memory_bytes", "Estimated key memory per data type.")
	for _, n := range nodes {
		for _, t := range sortedStrings(n.ByType) {
			m.sample("rdbscope_node_type_memory_bytes", []string{"node", n.Name, "type", t}, float64(n.ByType[t].Memory))
		}
	}
	m.family("rdbscope_node_ttl_keys", "Keys with and without a TTL.")
	for _, n := range nodes {
		m.sample("rdbscope_node_ttl_keys", []string{"node", n.Name, "ttl", "with"}, float64(n.TTL.With.Keys))
		m.sample("rdbscope_node_ttl_keys", []string{"node", n.Name, "ttl", "without"}, float64(n.TTL.Without.Keys))
	}
	m.family("rdbscope_node_ttl_memory_bytes", "Estimated key memory with and without a TTL (without: what volatile-* eviction can never reclaim).")
	for _, n := range nodes {
		m.sample("rdbscope_node_ttl_memory_bytes", []string{"node", n.Name, "ttl", "with"}, float64(n.TTL.With.Memory))
		m.sample("rdbscope_node_ttl_memory_bytes", []string{"node", n.Name, "ttl", "without"}, float64(n.TTL.Without.Memory))
	}

	// Findings: a count per node and severity, zeros included so that an
	// alert can compare against 0, and a count per kind for the ones found.
	bySev := map[string]map[string]int{}
	type nk struct{ node, sev, kind string }
	byKind := map[nk]int{}
	names := map[string]bool{}
	for _, n := range nodes {
		names[n.Name] = true
	}
	for _, f := range r.Findings {
		names[f.Node] = true
		if bySev[f.Node] == nil {
			bySev[f.Node] = map[string]int{}
		}
		bySev[f.Node][f.Severity.String()]++
		byKind[nk{f.Node, f.Severity.String(), f.Kind}]++
	}
	m.familyMetrics(nodes, opts.TopFamilies)
	m.family("rdbscope_findings", "Findings per node and severity.")
	for _, name := range sortedStrings(names) {
		for _, sev := range []aggregate.Severity{aggregate.SeverityCritical, aggregate.SeverityWarning, aggregate.SeverityInfo} {
			m.sample("rdbscope_findings", []string{"node", name, "severity", sev.String()}, float64(bySev[name][sev.String()]))
		}
	}
	m.family("rdbscope_findings_by_kind", "Findings per node, severity and kind (only kinds found).")
	keys := make([]nk, 0, len(byKind))
	for k := range byKind {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.node != b.node {
			return a.node < b.node
		}
		if a.sev != b.sev {
			return a.sev < b.sev
		}
		return a.kind < b.kind
	})
	for _, k := range keys {
		m.sample("rdbscope_findings_by_kind", []string{"node", k.node, "severity", k.sev, "kind", k.kind}, float64(byKind[k]))
	}
	if m.err != nil {
		return m.err
	}
	return m.w.Flush()
}

type metricsWriter struct {
	w    *bufio.Writer
	base []string // labels of every sample
	err  error
}

// familyMetrics writes the memory of each node's top biggest families,
// with and without TTL.
func (m *metricsWriter) familyMetrics(nodes []*aggregate.Node, top int) {
	if top == 0 {
		top = DefaultMetricsFamilies
	}
	if top < 0 {
		return
	}
	type row struct {
		node string
		g    aggregate.Group
	}
	var rows []row
	for _, n := range nodes {
		if n.Families == nil {
			continue
		}
		es := append([]aggregate.Group(nil), n.Families.Entries...)
		sort.SliceStable(es, func(i, j int) bool { return es[i].Memory > es[j].Memory })
		for _, g := range es[:min(top, len(es))] {
			rows = append(rows, row{n.Name, g})
		}
	}
	m.family("rdbscope_family_memory_bytes", "Key memory of each node's biggest key families (the top "+strconv.Itoa(top)+" of each node).")
	for _, r := range rows {
		m.sample("rdbscope_family_memory_bytes", []string{"node", r.node, "family", string(r.g.Name)}, float64(r.g.Memory))
	}
	m.family("rdbscope_family_no_ttl_memory_bytes", "The part of rdbscope_family_memory_bytes in keys without a TTL.")
	for _, r := range rows {
		m.sample("rdbscope_family_no_ttl_memory_bytes", []string{"node", r.node, "family", string(r.g.Name)}, float64(r.g.NoTTL.Memory))
	}
	m.family("rdbscope_family_keys", "Keys of each node's biggest key families.")
	for _, r := range rows {
		m.sample("rdbscope_family_keys", []string{"node", r.node, "family", string(r.g.Name)}, float64(r.g.Keys))
	}
}

func (m *metricsWriter) write(s string) {
	if m.err == nil {
		_, m.err = m.w.WriteString(s)
	}
}

func (m *metricsWriter) family(name, help string) {
	m.write("# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n")
}

// sample writes one line; labels are name, value pairs.
func (m *metricsWriter) sample(name string, labels []string, v float64) {
	var b strings.Builder
	b.WriteString(name)
	if len(m.base) > 0 {
		labels = append(append([]string(nil), m.base...), labels...)
	}
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(labels[i])
			b.WriteString(`="`)
			b.WriteString(labelValue(labels[i+1]))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	if v == float64(int64(v)) {
		b.WriteString(strconv.FormatInt(int64(v), 10)) // bytes read better without an exponent
	} else {
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
	b.WriteByte('\n')
	m.write(b.String())
}

// labelValue makes any string a valid label value: printable UTF-8 first
// (node names come from file names, which may hold any byte), then the
// three escapes of the text format.
func labelValue(s string) string {
	s = aggregate.EscapeKey(s)
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
