package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// The first screen: the heading, the headline (the one line a reader
// needs first) and the facts it was judged on.

// htmlHeadline names, for the node holding the most memory, the data type that
// dominates it: the one line a reader needs first ("node-7202: hash is
// 98.2% of key memory"), also used as the page title so that it shows in
// tabs and bookmarks. When a finding is critical the line leads with it, in
// a short form, because that is what the reader must act on:
// "node-7202: full (101.8% of maxmemory), 99.1% of key memory cannot be
// evicted (ttl-starvation) — hash is 98.2% of key memory".
//
// heading is the page's heading ("rdbscope report", or the title the user
// gave); the title is the heading and the line.
func htmlHeadline(heading string, nodes []*aggregate.Node, findings []aggregate.Finding) (line, title string) {
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
			return "", heading
		}
		return "", heading + ": " + n.Name
	}
	return line, heading + ": " + line
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

// htmlBiggestNode is the node that uses the most memory, by
// aggregate.UsedMemory: the one figure of how much a node uses, in the
// page as in the findings.
func htmlBiggestNode(nodes []*aggregate.Node) *aggregate.Node {
	var best *aggregate.Node
	for _, n := range nodes {
		if best == nil || aggregate.UsedMemory(n) > aggregate.UsedMemory(best) {
			best = n
		}
	}
	return best
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

// htmlFacts are what the findings were judged on, in the first screen:
// which nodes, when their snapshots were taken, the maxmemory and policy
// the findings assumed (from the report's Settings), and how many
// findings of each severity there are.
func htmlFacts(r *aggregate.Report, nodes []*aggregate.Node) []htmlStat {
	var facts []htmlStat
	switch {
	case len(nodes) == 1:
		facts = append(facts, htmlStat{Label: "Node", Value: nodes[0].Name})
	case len(nodes) > 1:
		names := make([]string, 0, 4)
		for i, n := range nodes {
			if i == 3 && len(nodes) > 4 {
				names = append(names, "…")
				break
			}
			names = append(names, htmlLabel(n.Name))
		}
		v := strconv.Itoa(len(nodes)) + " nodes: " + strings.Join(names, ", ")
		if r.Cluster != nil && r.Cluster.Name != "" && r.Cluster.Name != "cluster" {
			v = r.Cluster.Name + ", " + v
		}
		facts = append(facts, htmlStat{Label: "Cluster", Value: v})
	}
	if len(nodes) > 0 {
		facts = append(facts, htmlSnapshots(nodes))
	}
	s := r.Settings
	mm := htmlStat{Label: "maxmemory", Value: "not given", Title: "the findings assumed no maxmemory"}
	if s != nil {
		mm.Title = "the maxmemory the findings were judged with"
		if uniform, same := htmlUniformMaxmemory(s, nodes); same && uniform > 0 {
			mm.Value = htmlBytes(uniform)
		} else if !same {
			var parts []string
			for _, n := range nodes {
				v := "none"
				if m := s.MaxmemoryOf(n.Name); m > 0 {
					v = htmlBytes(m)
				}
				parts = append(parts, htmlLabel(n.Name)+" "+v)
			}
			mm.Value = strings.Join(parts, ", ")
		}
	}
	facts = append(facts, mm)
	policy := htmlStat{Label: "Policy", Value: "not given", Title: "maxmemory-policy the findings assumed"}
	if s != nil && s.Policy != "" {
		policy.Value = s.Policy
	}
	facts = append(facts, policy)
	if s != nil && s.ClusterNodesFile != "" {
		facts = append(facts, htmlStat{Label: "Slots from", Value: s.ClusterNodesFile})
	}
	facts = append(facts, htmlStat{Label: "Findings", Value: htmlFindingCounts(r.Findings)})
	if r.Filter != nil {
		facts = append(facts, htmlStat{Label: "Biggest keys", Value: filterText(r.Filter),
			Title: "the biggest-keys lists show only these keys; findings, totals and the other tables cover every key"})
	}
	return facts
}

// htmlUniformMaxmemory is the maxmemory every node has, when they share
// one (same is false when they differ); nil Settings know none.
func htmlUniformMaxmemory(s *aggregate.Settings, nodes []*aggregate.Node) (mm int64, same bool) {
	if len(nodes) == 0 {
		return 0, true
	}
	first := s.MaxmemoryOf(nodes[0].Name)
	for _, n := range nodes[1:] {
		if s.MaxmemoryOf(n.Name) != first {
			return 0, false
		}
	}
	return first, true
}

// htmlSnapshots says when the dumps were written: one time when they
// agree, else the first and the last.
func htmlSnapshots(nodes []*aggregate.Node) htmlStat {
	var lo, hi int64
	for _, n := range nodes {
		if n.Source == nil || n.Source.CTime <= 0 {
			continue
		}
		t := n.Source.CTime
		if lo == 0 || t < lo {
			lo = t
		}
		hi = max(hi, t)
	}
	switch {
	case lo == 0:
		return htmlStat{Label: "Snapshot", Value: "unknown"}
	case lo == hi:
		return htmlStat{Label: "Snapshot", Value: htmlTime(lo) + " UTC"}
	}
	return htmlStat{Label: "Snapshots", Value: htmlTime(lo) + " to " + htmlTime(hi) + " UTC",
		Title: "the dumps were written " + htmlDuration(time.Duration(hi-lo)*time.Second) + " apart"}
}

// htmlFindingCounts counts findings by severity, most severe first:
// "2 critical, 1 warning, 3 info", or "none".
func htmlFindingCounts(fs []aggregate.Finding) string {
	var n [aggregate.SeverityCritical + 1]int
	for _, f := range fs {
		if f.Severity >= aggregate.SeverityInfo && f.Severity <= aggregate.SeverityCritical {
			n[f.Severity]++
		}
	}
	var parts []string
	for sev := aggregate.SeverityCritical; sev >= aggregate.SeverityInfo; sev-- {
		if n[sev] == 0 {
			continue
		}
		word := sev.String()
		if sev == aggregate.SeverityWarning && n[sev] > 1 {
			word += "s"
		}
		parts = append(parts, strconv.Itoa(n[sev])+" "+word)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
