// Package trend reads a cluster's nights (history.Snapshot, one per
// night) and forecasts: per node the memory series, a robust growth rate
// per day and the days until it reaches maxmemory; per key family its
// growth with and without TTL; and the findings will-fill (a node reaches
// maxmemory within the horizon) and runaway-family (a family without TTL
// growing every night). docs/trend.md documents the method and the
// document.
package trend

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/history"
)

// Kind is the "kind" of a trend document, which tells it apart from a
// report (that has none) and a diff.
const Kind = "rdbscope-trend"

// SchemaVersion is the version of the trend document's layout; it is
// bumped only when a field changes meaning or goes away.
const SchemaVersion = 1

// Method names the growth estimator, as the document records it.
const Method = "theil-sen"

// Kinds of trend finding.
const (
	KindWillFill      = "will-fill"
	KindRunawayFamily = "runaway-family"
)

// Options are the settings of a forecast; docs/trend.md explains each.
type Options struct {
	// HorizonDays is how far ahead a node reaching maxmemory is a
	// will-fill finding; CriticalDays is from when on it is critical.
	HorizonDays  float64
	CriticalDays float64
	// Config gives maxmemory (it wins over what the snapshots recorded)
	// and what the cluster should hold on the latest night: with Cluster
	// (CLUSTER NODES) or ExpectNodes, a part of it no node of that night
	// stands for is a missing-node finding. Nil knows nothing.
	Config *aggregate.Config
	// Nights bounds the nights used: the latest ones. The rate of the
	// last month tells more about next week than a year does.
	Nights int
	// Families bounds the families listed per node.
	Families int
	// RunawayMinPerDay and RunawayMinShare are how fast a family without
	// TTL must grow to be a runaway: bytes a day, and a share of its
	// node's used memory a day. Steady organic growth (a user profile per
	// sign-up) stays below them.
	RunawayMinPerDay int64
	RunawayMinShare  float64
}

// DefaultOptions returns the options the command line starts from.
func DefaultOptions() Options {
	return Options{HorizonDays: 14, CriticalDays: 7, Nights: 30, Families: 10,
		RunawayMinPerDay: 1 << 20, RunawayMinShare: 0.01}
}

// Trend is the forecast of one cluster over its nights.
type Trend struct {
	Kind          string         `json:"kind"`
	SchemaVersion int            `json:"schema_version"`
	Tool          aggregate.Tool `json:"tool"`
	Cluster       string         `json:"cluster"`
	Method        string         `json:"method"`
	HorizonDays   float64        `json:"horizon_days"`
	// Now is the time of the latest night (Unix seconds): what
	// days_to_full counts from.
	Now      int64               `json:"now"`
	Nights   []Night             `json:"nights"`
	Nodes    []Node              `json:"nodes"`
	Findings []aggregate.Finding `json:"findings"`
	Warnings []string            `json:"warnings"`
}

// Night is one snapshot the forecast used.
type Night struct {
	Time     int64  `json:"time"`
	Date     string `json:"date"`
	Source   string `json:"source,omitempty"`
	Nodes    int    `json:"nodes"`
	Complete bool   `json:"complete"`
}

// Node is the series and forecast of one node, matched across nights by
// identity (see Forecast).
type Node struct {
	// Name is the node's name on the latest night it was seen; Aliases
	// are the other names it had.
	Name     string   `json:"name"`
	Aliases  []string `json:"aliases,omitempty"`
	Identity string   `json:"identity,omitempty"`
	Slots    []string `json:"slots,omitempty"`
	// Missing is set when the node has no record on the latest night.
	Missing bool    `json:"missing"`
	Points  []Point `json:"points"`
	// Used is the node's latest used memory, Maxmemory its maxmemory (0
	// when unknown) and Fill their ratio (0 when unknown).
	Used      int64   `json:"used"`
	Maxmemory int64   `json:"maxmemory"`
	Fill      float64 `json:"fill"`
	// GrowthPerDay is the growth of Used in bytes a day; null with
	// fewer than two nights.
	GrowthPerDay *float64 `json:"growth_per_day"`
	// DaysToFull is how many days after Now Used reaches Maxmemory at
	// that rate (0 when it already has); null when maxmemory is unknown
	// or the node does not grow. FullAt is that moment (Unix seconds).
	DaysToFull *float64 `json:"days_to_full"`
	FullAt     *int64   `json:"full_at,omitempty"`
	// Families are the node's fastest-growing families (and those that
	// appeared), fastest first.
	Families []Family `json:"families"`
}

// Point is a node on one night.
type Point struct {
	Time        int64 `json:"time"`
	Used        int64 `json:"used"`
	Memory      int64 `json:"memory"`
	NoTTLMemory int64 `json:"no_ttl_memory"`
	Keys        int64 `json:"keys"`
}

// Family is the series of one key family of one node.
type Family struct {
	// Name is the family's name, escaped as in findings.
	Name string `json:"name"`
	// Memory and NoTTLMemory are the latest known figures.
	Memory      int64 `json:"memory"`
	NoTTLMemory int64 `json:"no_ttl_memory"`
	// GrowthPerDay is the growth of the family's memory a day, split into
	// its part with a TTL and its part without; each null with fewer
	// than two known nights.
	GrowthPerDay      *float64 `json:"growth_per_day"`
	TTLGrowthPerDay   *float64 `json:"ttl_growth_per_day"`
	NoTTLGrowthPerDay *float64 `json:"no_ttl_growth_per_day"`
	// GrewEveryNight is set when the family's memory without TTL grew
	// from each night to the next, over three nights or more.
	GrewEveryNight bool `json:"grew_every_night"`
	// Appeared is set when the family was not among the node's families
	// on its first night (it is new, or entered the top families), and
	// FirstSeen is the first night it was.
	Appeared  bool          `json:"appeared"`
	FirstSeen int64         `json:"first_seen"`
	Points    []FamilyPoint `json:"points"`
}

// FamilyPoint is a family on one night where its figures are known: it
// was among the node's families, or the node's families were all listed
// and it was not (then it had nothing).
type FamilyPoint struct {
	Time        int64 `json:"time"`
	Memory      int64 `json:"memory"`
	NoTTLMemory int64 `json:"no_ttl_memory"`
}

// Forecast computes the trend of one cluster's snapshots, ordered by
// their time (when the dumps were taken), not by the order given. Nodes
// are matched from night to night by their CLUSTER NODES identity, else
// their name, else the slots they hold (so that dumps named by date still
// line up); dumps that are not counted as nodes (history.Node.Outsider)
// are left out, with a warning.
//
// Snapshots of different clusters, or two of the same time, are an
// error.
func Forecast(snaps []*history.Snapshot, tool aggregate.Tool, o Options) (*Trend, error) {
	def := DefaultOptions()
	if o.HorizonDays <= 0 {
		o.HorizonDays = def.HorizonDays
	}
	if o.Nights <= 0 {
		o.Nights = def.Nights
	}
	if o.Families <= 0 {
		o.Families = def.Families
	}
	var ss []*history.Snapshot
	for _, s := range snaps {
		if s != nil {
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return nil, errors.New("no snapshot")
	}
	for _, s := range ss[1:] {
		if s.Cluster != ss[0].Cluster {
			return nil, fmt.Errorf("snapshots of two clusters (%s and %s): one trend is of one cluster", ss[0].Cluster, s.Cluster)
		}
	}
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].Time < ss[j].Time })
	for i := 1; i < len(ss); i++ {
		if ss[i].Time == ss[i-1].Time {
			return nil, fmt.Errorf("%s and %s were taken at the same time: the same night given twice?", where(ss[i-1]), where(ss[i]))
		}
	}
	t := &Trend{Kind: Kind, SchemaVersion: SchemaVersion, Tool: tool, Cluster: ss[0].Cluster, Method: Method,
		HorizonDays: o.HorizonDays, Nights: []Night{}, Nodes: []Node{}, Findings: []aggregate.Finding{}, Warnings: []string{}}
	if len(ss) > o.Nights {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%d nights given: the forecast uses the latest %d (from %s)",
			len(ss), o.Nights, ss[len(ss)-o.Nights].Date()))
		ss = ss[len(ss)-o.Nights:]
	}
	if len(ss) == 1 {
		t.Warnings = append(t.Warnings, "one night only: no growth rate, no forecast")
	}
	t.Now = ss[len(ss)-1].Time
	for _, s := range ss {
		n := Night{Time: s.Time, Date: s.Date(), Source: s.Source, Complete: true}
		for i := range s.Nodes {
			if s.Nodes[i].Outsider == "" {
				n.Nodes++
				n.Complete = n.Complete && s.Nodes[i].Complete
			}
		}
		t.Nights = append(t.Nights, n)
	}
	series := match(ss, &t.Warnings)
	for _, sr := range series {
		t.Nodes = append(t.Nodes, sr.forecast(ss, &o, t.Now))
	}
	sort.SliceStable(t.Nodes, func(i, j int) bool {
		a, b := &t.Nodes[i], &t.Nodes[j]
		if (a.DaysToFull == nil) != (b.DaysToFull == nil) {
			return a.DaysToFull != nil
		}
		if a.DaysToFull != nil && *a.DaysToFull != *b.DaysToFull {
			return *a.DaysToFull < *b.DaysToFull
		}
		if ga, gb := value(a.GrowthPerDay), value(b.GrowthPerDay); ga != gb {
			return ga > gb
		}
		return a.Name < b.Name
	})
	for i := range t.Nodes {
		if t.Nodes[i].Missing {
			n := &t.Nodes[i]
			t.Warnings = append(t.Warnings, fmt.Sprintf("node %s has no record on the latest night (%s): its dump is missing (last seen %s)",
				n.Name, ss[len(ss)-1].Date(), dateOf(n.Points[len(n.Points)-1].Time)))
		}
	}
	t.Findings = append(t.Findings, willFill(t, &o)...)
	t.Findings = append(t.Findings, runaway(t, &o)...)
	t.Findings = append(t.Findings, missing(ss[len(ss)-1], o.Config)...)
	diagnose.Sort(t.Findings)
	return t, nil
}

func where(s *history.Snapshot) string {
	if s.Source != "" {
		return s.Source
	}
	return "the snapshot of " + s.Date()
}

func dateOf(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.DateOnly) }

func value(p *float64) float64 {
	if p == nil {
		return math.Inf(-1)
	}
	return *p
}

// series is one node across nights: recs[i] is its record on night i,
// nil when it has none.
type series struct {
	recs  []*history.Node
	names []string // in the order first seen
	slots [][2]int // the latest slots known
	ident string   // the latest identity known
}

func (s *series) add(night int, n *history.Node) {
	s.recs[night] = n
	if !slices.Contains(s.names, n.Name) {
		s.names = append(s.names, n.Name)
	}
	if n.Identity != "" {
		s.ident = n.Identity
	}
	if rs := parseRanges(n.Slots); len(rs) > 0 {
		s.slots = rs
	}
}

func parseRanges(ss []string) [][2]int {
	var out [][2]int
	for _, s := range ss {
		if r, err := aggregate.ParseRange(s); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// match lines up the nodes of each night with the series of the nights
// before: by identity, then by name, then by the slots they hold (more
// than half of the smaller set in common, the largest overlap first).
func match(ss []*history.Snapshot, warnings *[]string) []*series {
	var all []*series
	outsiders := map[string]bool{}
	for night, s := range ss {
		taken := map[*series]bool{}
		var left []*history.Node
		for i := range s.Nodes {
			n := &s.Nodes[i]
			if n.Outsider != "" {
				if !outsiders[n.Name] {
					outsiders[n.Name] = true
					*warnings = append(*warnings, fmt.Sprintf("%s (%s) is not counted as a node of the cluster (%s) and is left out",
						n.Name, s.Date(), n.Outsider))
				}
				continue
			}
			left = append(left, n)
		}
		pass := func(ok func(*series, *history.Node) bool) {
			var still []*history.Node
			for _, n := range left {
				var hit *series
				for _, sr := range all {
					if !taken[sr] && ok(sr, n) {
						hit = sr
						break
					}
				}
				if hit == nil {
					still = append(still, n)
					continue
				}
				taken[hit] = true
				hit.add(night, n)
			}
			left = still
		}
		pass(func(sr *series, n *history.Node) bool { return n.Identity != "" && sr.ident == n.Identity })
		pass(func(sr *series, n *history.Node) bool { return sr.names[len(sr.names)-1] == n.Name })
		pass(func(sr *series, n *history.Node) bool { return slices.Contains(sr.names, n.Name) })
		// By slots, best overlaps first.
		type cand struct {
			sr *series
			n  *history.Node
			ov float64
		}
		var cands []cand
		for _, n := range left {
			rs := parseRanges(n.Slots)
			for _, sr := range all {
				if taken[sr] {
					continue
				}
				if ov := aggregate.Overlap(rs, sr.slots); ov > 0.5 {
					cands = append(cands, cand{sr, n, ov})
				}
			}
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].ov > cands[j].ov })
		done := map[*history.Node]bool{}
		for _, c := range cands {
			if !taken[c.sr] && !done[c.n] {
				taken[c.sr], done[c.n] = true, true
				c.sr.add(night, c.n)
			}
		}
		for _, n := range left {
			if !done[n] {
				sr := &series{recs: make([]*history.Node, len(ss))}
				sr.add(night, n)
				all = append(all, sr)
			}
		}
	}
	return all
}

// forecast computes a node's figures from its series.
func (sr *series) forecast(ss []*history.Snapshot, o *Options, now int64) Node {
	var last *history.Node
	var ts, used []float64
	out := Node{Points: []Point{}, Families: []Family{}}
	for i, r := range sr.recs {
		if r == nil {
			continue
		}
		last = r
		out.Points = append(out.Points, Point{Time: ss[i].Time, Used: r.Used, Memory: r.Memory, NoTTLMemory: r.NoTTLMemory, Keys: r.Keys})
		ts = append(ts, days(ss[i].Time))
		used = append(used, float64(r.Used))
	}
	out.Name = last.Name
	for _, n := range sr.names {
		if n != last.Name {
			out.Aliases = append(out.Aliases, n)
		}
	}
	out.Identity = sr.ident
	out.Slots = aggregate.FormatRanges(sr.slots)
	out.Missing = sr.recs[len(sr.recs)-1] == nil
	out.Used = last.Used
	out.Maxmemory = o.Config.MaxmemoryOf(last.Name)
	if out.Maxmemory <= 0 {
		out.Maxmemory = last.Maxmemory
	}
	if out.Maxmemory > 0 {
		out.Fill = float64(out.Used) / float64(out.Maxmemory)
	}
	out.GrowthPerDay = slope(ts, used)
	lastTime := out.Points[len(out.Points)-1].Time
	if g := out.GrowthPerDay; out.Maxmemory > 0 && (out.Used >= out.Maxmemory || g != nil && *g > 0) {
		d := 0.0
		if out.Used < out.Maxmemory {
			d = float64(out.Maxmemory-out.Used) / *g
		}
		full := lastTime + int64(math.Round(d*86400))
		d = max(0, float64(full-now)/86400)
		out.DaysToFull, out.FullAt = &d, &full
	}
	out.Families = sr.families(ss, o)
	return out
}

func days(unix int64) float64 { return float64(unix) / 86400 }

// families computes the series of every family the node's records name.
func (sr *series) families(ss []*history.Snapshot, o *Options) []Family {
	type point struct {
		night int
		fam   history.Family
	}
	known := map[aggregate.KeyName][]point{}
	var order []aggregate.KeyName
	first := -1
	nights := 0
	for i, r := range sr.recs {
		if r == nil {
			continue
		}
		nights++
		if first < 0 {
			first = i
		}
		for _, f := range r.Families {
			if f.Other {
				continue
			}
			if _, ok := known[f.Name]; !ok {
				order = append(order, f.Name)
			}
			known[f.Name] = append(known[f.Name], point{i, f})
		}
	}
	out := []Family{} // an empty list, not null, in the document
	for _, name := range order {
		pts := known[name]
		// Nights where the family is not listed count as zero when the
		// node listed every family; else they are unknown.
		var all []point
		k := 0
		for i, r := range sr.recs {
			if r == nil {
				continue
			}
			switch {
			case k < len(pts) && pts[k].night == i:
				all = append(all, pts[k])
				k++
			case r.Exact():
				all = append(all, point{night: i})
			}
		}
		f := Family{Name: aggregate.EscapeKey(string(name)), Points: []FamilyPoint{}, FirstSeen: ss[pts[0].night].Time,
			Appeared: pts[0].night != first}
		var ts, mem, noTTL, withTTL []float64
		for _, p := range all {
			f.Points = append(f.Points, FamilyPoint{Time: ss[p.night].Time, Memory: p.fam.Memory, NoTTLMemory: p.fam.NoTTLMemory})
			ts = append(ts, days(ss[p.night].Time))
			mem = append(mem, float64(p.fam.Memory))
			noTTL = append(noTTL, float64(p.fam.NoTTLMemory))
			withTTL = append(withTTL, float64(p.fam.Memory-p.fam.NoTTLMemory))
		}
		lastKnown := all[len(all)-1].fam
		f.Memory, f.NoTTLMemory = lastKnown.Memory, lastKnown.NoTTLMemory
		f.GrowthPerDay, f.NoTTLGrowthPerDay, f.TTLGrowthPerDay = slope(ts, mem), slope(ts, noTTL), slope(ts, withTTL)
		f.GrewEveryNight = len(all) == nights && nights >= 3
		for i := 1; i < len(all) && f.GrewEveryNight; i++ {
			f.GrewEveryNight = all[i].fam.NoTTLMemory > all[i-1].fam.NoTTLMemory
		}
		if value(f.GrowthPerDay) > 0 || f.Appeared && f.Memory > 0 {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := value(out[i].GrowthPerDay), value(out[j].GrowthPerDay); a != b {
			return a > b
		}
		return out[i].Memory > out[j].Memory
	})
	if len(out) > o.Families {
		out = out[:o.Families]
	}
	return out
}

// slope is the Theil–Sen estimate of the growth of y per unit of t: the
// median of the slopes between every two points. It ignores up to 29% of
// outlying points (a night whose dump was taken mid-flush, a one-off
// import) where least squares would follow them. Nil with fewer than two
// distinct times.
func slope(t, y []float64) *float64 {
	var ss []float64
	for i := range t {
		for j := i + 1; j < len(t); j++ {
			if t[j] != t[i] {
				ss = append(ss, (y[j]-y[i])/(t[j]-t[i]))
			}
		}
	}
	if len(ss) == 0 {
		return nil
	}
	sort.Float64s(ss)
	m := ss[len(ss)/2]
	if len(ss)%2 == 0 {
		m = (ss[len(ss)/2-1] + m) / 2
	}
	return &m
}
