// Package diff compares two reports of the same nodes, typically last
// night's and tonight's, and answers "what grew, and where?": by node,
// type, family and key, with findings for growth, lost TTLs and new big
// keys. Like every view it is drawn from figures package aggregate
// computed; it only subtracts them. docs/diff.md documents the document
// and its findings.
package diff

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/internal/bytesize"
)

// Kind is the "kind" of a diff document, which tells it apart from a
// report (that has none).
const Kind = "rdbscope-diff"

// SchemaVersion is the version of the diff document's layout; like the
// report's, it is bumped only when a field changes meaning or goes away.
const SchemaVersion = 1

// Kinds of diff finding.
const (
	KindGrowth       = "growth"
	KindFamilyGrowth = "family-growth"
	KindLostTTL      = "lost-ttl"
	KindNewBigKey    = "new-big-key"
)

// Modes: node by node when both sides hold the same nodes, else all nodes
// of each side merged into one.
const (
	ModeNodes  = "nodes"
	ModeMerged = "merged"
)

// All names the scope of all nodes merged.
const All = "all"

// Statuses of a key in a scope's top keys.
const (
	StatusGrown     = "grown"
	StatusShrunk    = "shrunk"
	StatusUnchanged = "unchanged"
	StatusNew       = "new"     // absent from OLD, whose list held all its keys
	StatusEntered   = "entered" // entered the top list: below OLD's cut-off before
	StatusDeleted   = "deleted" // absent from NEW, whose list holds all its keys
	StatusLeft      = "left"    // left the top list: below NEW's cut-off now
)

// Options are the thresholds of Compare; docs/diff.md explains each.
type Options struct {
	// Top bounds the merged top lists (aggregate.DefaultTopN if <= 0).
	Top int
	// Limit bounds the rows of the families and top keys tables per
	// scope (20 if <= 0).
	Limit int
	// GrowthWarn and GrowthCritical are the growth of a scope's key
	// memory, as a share of its old memory, from which a growth finding is
	// a warning or critical; GrowthMinBytes is the least growth in bytes
	// that counts at all (so that small nodes do not raise alarms).
	GrowthWarn     float64
	GrowthCritical float64
	GrowthMinBytes int64
	// TTLShareGrowth is the rise of a family's share of keys without a
	// TTL (0.1 = ten points) that makes a lost-ttl finding.
	TTLShareGrowth float64
	// Rules gives the big-key thresholds (BigKeyBytes, BigKeyElements,
	// BigKeyShare with ShareFloor) that a new big key crosses.
	Rules diagnose.Rules
}

// DefaultOptions returns the options the command line starts from.
func DefaultOptions() Options {
	return Options{Top: aggregate.DefaultTopN, Limit: 20, GrowthWarn: 0.2, GrowthCritical: 0.5,
		GrowthMinBytes: 1 << 20, TTLShareGrowth: 0.1, Rules: diagnose.DefaultRules()}
}

// Diff is the comparison of two reports.
type Diff struct {
	Kind          string              `json:"kind"`
	SchemaVersion int                 `json:"schema_version"`
	Tool          aggregate.Tool      `json:"tool"`
	Mode          string              `json:"mode"`
	Old           Side                `json:"old"`
	New           Side                `json:"new"`
	Scopes        []Scope             `json:"scopes"`
	Findings      []aggregate.Finding `json:"findings"`
	// Warnings name the nodes of one side that pair with none of the
	// other's (see Compare).
	Warnings []string `json:"warnings,omitempty"`
}

// Side describes one of the two reports compared.
type Side struct {
	Nodes       []string `json:"nodes"`
	GeneratedAt string   `json:"generated_at"`
	// DumpTime is the latest dump ctime among the side's nodes (Unix
	// seconds; 0 if none has one): when the snapshot was taken.
	DumpTime int64 `json:"dump_time"`
	Complete bool  `json:"complete"`
}

// Change is a figure in OLD and NEW. Ratio is Delta/Old, 0 when Old is 0.
type Change struct {
	Old   int64   `json:"old"`
	New   int64   `json:"new"`
	Delta int64   `json:"delta"`
	Ratio float64 `json:"ratio"`
}

func change(o, n int64) Change {
	c := Change{Old: o, New: n, Delta: n - o}
	if o != 0 {
		c.Ratio = float64(c.Delta) / float64(o)
	}
	return c
}

// GrowthPct describes a change as a signed percentage ("+35%"), or "from
// nothing" when it started at zero.
func (c Change) GrowthPct() string {
	if c.Old == 0 {
		return "from nothing"
	}
	return fmt.Sprintf("%+.0f%%", c.Ratio*100)
}

// Scope compares one node, or all nodes merged.
type Scope struct {
	Name string `json:"name"`
	// OldName is the node's name in OLD when it had another (node mode
	// pairs nodes by identity, see Compare).
	OldName string `json:"old_name,omitempty"`
	// All is set for the scope of all nodes merged.
	All                 bool     `json:"all"`
	Keys                Change   `json:"keys"`
	Memory              Change   `json:"memory"`
	EstimatedUsedMemory Change   `json:"estimated_used_memory"`
	UsedMem             Change   `json:"used_mem"`
	NoTTLMemory         Change   `json:"no_ttl_memory"`
	ByType              []Type   `json:"by_type"`
	Families            []Family `json:"families"`
	TopKeys             []Key    `json:"top_keys"`
	NewBigKeys          []Key    `json:"new_big_keys"`
	LostTTL             []Key    `json:"lost_ttl"`
	FamiliesLostTTL     []Family `json:"families_lost_ttl"`
}

// Type is the change of one data type.
type Type struct {
	Type   string `json:"type"`
	Keys   Change `json:"keys"`
	Memory Change `json:"memory"`
}

// Family is the change of one key family. A family missing from one
// side's bounded table counts as 0 there; Error bounds what it may have
// had hidden in that side's (other) (0 when both tables are exact).
type Family struct {
	Name        aggregate.KeyName `json:"name"`
	Keys        Change            `json:"keys"`
	Memory      Change            `json:"memory"`
	NoTTLKeys   Change            `json:"no_ttl_keys"`
	NoTTLMemory Change            `json:"no_ttl_memory"`
	// NoTTLShareOld and NoTTLShareNew are the share of the family's keys
	// without a TTL on each side.
	NoTTLShareOld float64 `json:"no_ttl_share_old"`
	NoTTLShareNew float64 `json:"no_ttl_share_new"`
	Error         int64   `json:"error"`
}

// Key is one key of the top lists on either side. Old or New is null
// when the key is not in that side's list. Delta is New-Old memory; with
// AtLeast set (statuses entered and left) the key's true change is at least
// that big, because its figure on the other side is only known to be below
// that side's cut-off.
type Key struct {
	Node    string             `json:"node,omitempty"`
	DB      int                `json:"db"`
	Key     aggregate.KeyName  `json:"key"`
	Status  string             `json:"status"`
	Old     *aggregate.KeyInfo `json:"old"`
	New     *aggregate.KeyInfo `json:"new"`
	Delta   int64              `json:"delta"`
	AtLeast bool               `json:"at_least,omitempty"`
}

// Compare diffs two reports. When every node of each side pairs with one
// of the other's (aggregate.Pair: by name, by the CLUSTER NODES master of
// o.Rules.Cluster, or by the slots they hold — dumps named by date pair
// up) the diff is node by node, with a merged scope first when there are
// several nodes; otherwise each side's nodes are merged and compared as
// one, and Warnings name the nodes that paired with none.
func Compare(oldR, newR *aggregate.Report, tool aggregate.Tool, o Options) *Diff {
	if o.Top <= 0 {
		o.Top = aggregate.DefaultTopN
	}
	if o.Limit <= 0 {
		o.Limit = 20
	}
	d := &Diff{Kind: Kind, SchemaVersion: SchemaVersion, Tool: tool,
		Old: sideOf(oldR), New: sideOf(newR), Scopes: []Scope{}, Findings: []aggregate.Finding{}}
	oldNodes, newNodes := nodesOf(oldR), nodesOf(newR)
	pairs := aggregate.Pair(oldNodes, newNodes, o.Rules.Cluster)
	paired := make([]bool, len(oldNodes))
	same := len(oldNodes) == len(newNodes) && len(oldNodes) > 0
	for j, i := range pairs {
		if i < 0 {
			same = false
			if len(oldNodes) > 0 {
				d.Warnings = append(d.Warnings, fmt.Sprintf("node %s of NEW has no counterpart in OLD", newNodes[j].Name))
			}
			continue
		}
		paired[i] = true
		// Two single dumps are one scope either way: keep it "all".
		same = same && (len(newNodes) > 1 || oldNodes[i].Name == newNodes[j].Name)
	}
	for i, ok := range paired {
		if !ok && len(newNodes) > 0 {
			d.Warnings = append(d.Warnings, fmt.Sprintf("node %s of OLD has no counterpart in NEW", oldNodes[i].Name))
		}
	}
	d.Mode = ModeMerged
	if same {
		d.Mode = ModeNodes
	}
	if !same || len(oldNodes) > 1 {
		om := aggregate.Merge(All, o.Top, oldNodes...)
		nm := aggregate.Merge(All, o.Top, newNodes...)
		s := compareScope(All, om, nm, true, &o)
		s.All = true
		d.Scopes = append(d.Scopes, s)
	}
	if same {
		for j, n := range newNodes {
			was := oldNodes[pairs[j]]
			s := compareScope(n.Name, was, n, false, &o)
			if was.Name != n.Name {
				s.OldName = was.Name
			}
			d.Scopes = append(d.Scopes, s)
		}
	}
	for i := range d.Scopes {
		// In node mode the merged scope only adds a growth finding for the
		// whole; its keys and families are already judged node by node.
		d.Findings = append(d.Findings, judge(&d.Scopes[i], &o, d.Mode == ModeNodes && d.Scopes[i].All)...)
	}
	diagnose.Sort(d.Findings)
	return d
}

// nodesOf returns the nodes of r by name.
func nodesOf(r *aggregate.Report) []*aggregate.Node {
	var out []*aggregate.Node
	if r == nil {
		return out
	}
	for _, n := range r.Nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sideOf(r *aggregate.Report) Side {
	s := Side{Nodes: []string{}, Complete: true}
	if r == nil {
		return s
	}
	s.GeneratedAt = r.Tool.GeneratedAt
	for _, n := range nodesOf(r) {
		s.Nodes = append(s.Nodes, n.Name)
		s.Complete = s.Complete && n.Complete
		if n.Source != nil && n.Source.CTime > s.DumpTime {
			s.DumpTime = n.Source.CTime
		}
	}
	return s
}

// compareScope compares the profiles o and n of one scope; merged says
// they are merged profiles, whose keys carry their node.
func compareScope(name string, o, n *aggregate.Node, merged bool, opts *Options) Scope {
	s := Scope{Name: name,
		Keys: change(o.Keys, n.Keys), Memory: change(o.Memory, n.Memory),
		EstimatedUsedMemory: change(o.EstimatedUsedMemory, n.EstimatedUsedMemory),
		UsedMem:             change(o.UsedMem, n.UsedMem),
		NoTTLMemory:         change(o.TTL.Without.Memory, n.TTL.Without.Memory),
		ByType:              []Type{}, Families: []Family{}, TopKeys: []Key{},
		NewBigKeys: []Key{}, LostTTL: []Key{}, FamiliesLostTTL: []Family{},
	}
	types := map[string]bool{}
	for t := range o.ByType {
		types[t] = true
	}
	for t := range n.ByType {
		types[t] = true
	}
	for _, t := range slices.Sorted(maps.Keys(types)) {
		var os, ns aggregate.Stat
		if v := o.ByType[t]; v != nil {
			os = *v
		}
		if v := n.ByType[t]; v != nil {
			ns = *v
		}
		s.ByType = append(s.ByType, Type{Type: t, Keys: change(os.Keys, ns.Keys), Memory: change(os.Memory, ns.Memory)})
	}
	sort.SliceStable(s.ByType, func(i, j int) bool { return abs(s.ByType[i].Memory.Delta) > abs(s.ByType[j].Memory.Delta) })

	fams := families(o.Families, n.Families)
	// A family of one key is that key: the top lists judge it (lost_ttl).
	for _, f := range fams {
		if f.NoTTLKeys.New > f.NoTTLKeys.Old && f.NoTTLShareNew-f.NoTTLShareOld >= opts.TTLShareGrowth && f.Keys.Old > 0 && f.Keys.New >= 2 {
			s.FamiliesLostTTL = append(s.FamiliesLostTTL, f)
		}
	}
	sort.SliceStable(s.FamiliesLostTTL, func(i, j int) bool {
		return s.FamiliesLostTTL[i].NoTTLMemory.Delta > s.FamiliesLostTTL[j].NoTTLMemory.Delta
	})
	for _, f := range fams {
		if f.Memory.Delta != 0 || f.Keys.Delta != 0 {
			s.Families = append(s.Families, f)
		}
	}
	sort.SliceStable(s.Families, func(i, j int) bool { return abs(s.Families[i].Memory.Delta) > abs(s.Families[j].Memory.Delta) })
	s.Families = firstRows(s.Families, opts.Limit)
	s.FamiliesLostTTL = firstRows(s.FamiliesLostTTL, opts.Limit)

	for _, k := range keys(o, n, merged) {
		if k.Old != nil && k.New != nil && k.Old.ExpiresAt != 0 && k.New.ExpiresAt == 0 {
			s.LostTTL = append(s.LostTTL, k)
		}
		if becameBig(k, o, n, &opts.Rules) {
			s.NewBigKeys = append(s.NewBigKeys, k)
		}
		if k.Status != StatusUnchanged {
			s.TopKeys = append(s.TopKeys, k)
		}
	}
	s.TopKeys = firstRows(s.TopKeys, opts.Limit)
	s.LostTTL = firstRows(s.LostTTL, opts.Limit)
	s.NewBigKeys = firstRows(s.NewBigKeys, opts.Limit)
	return s
}

func firstRows[T any](rows []T, n int) []T {
	if len(rows) > n {
		return rows[:n]
	}
	return rows
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// families pairs the entries of two family tables by name, in the order
// they first appear (OLD's, then NEW's newcomers).
func families(o, n *aggregate.Groups) []Family {
	type pair struct{ o, n *aggregate.Group }
	pairs := map[string]*pair{}
	var order []string
	add := func(g *aggregate.Groups, old bool) {
		if g == nil {
			return
		}
		for i := range g.Entries {
			e := &g.Entries[i]
			p := pairs[string(e.Name)]
			if p == nil {
				p = &pair{}
				pairs[string(e.Name)] = p
				order = append(order, string(e.Name))
			}
			if old {
				p.o = e
			} else {
				p.n = e
			}
		}
	}
	add(o, true)
	add(n, false)
	maxErr := func(g *aggregate.Groups) int64 {
		if g == nil {
			return 0
		}
		return g.MaxError
	}
	out := make([]Family, 0, len(order))
	for _, name := range order {
		p := pairs[name]
		var og, ng aggregate.Group
		var errb int64
		if p.o != nil {
			og = *p.o
			errb += og.Error
		} else {
			errb += maxErr(o)
		}
		if p.n != nil {
			ng = *p.n
			errb += ng.Error
		} else {
			errb += maxErr(n)
		}
		out = append(out, Family{Name: aggregate.KeyName(name),
			Keys: change(og.Keys, ng.Keys), Memory: change(og.Memory, ng.Memory),
			NoTTLKeys: change(og.NoTTL.Keys, ng.NoTTL.Keys), NoTTLMemory: change(og.NoTTL.Memory, ng.NoTTL.Memory),
			NoTTLShareOld: ratio(og.NoTTL.Keys, og.Keys), NoTTLShareNew: ratio(ng.NoTTL.Keys, ng.Keys), Error: errb})
	}
	return out
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

type keyID struct {
	node string
	db   int
	key  aggregate.KeyName
}

// keys pairs the keys of two top lists, biggest change first. In a merged
// scope keys are told apart by node too, unless the two sides have
// different nodes (then a key is matched wherever it lives).
func keys(o, n *aggregate.Node, merged bool) []Key {
	byNode := merged && slices.Equal(o.Nodes, n.Nodes)
	id := func(k *aggregate.KeyInfo) keyID {
		if byNode {
			return keyID{k.Node, k.DB, k.Key}
		}
		return keyID{"", k.DB, k.Key}
	}
	oldCut := int64(len(o.TopKeys)) < o.Keys // OLD's list was cut: absent keys may exist
	newCut := int64(len(n.TopKeys)) < n.Keys
	oldFloor, newFloor := cutoff(o.TopKeys), cutoff(n.TopKeys)
	olds := map[keyID]*aggregate.KeyInfo{}
	for i := range o.TopKeys {
		olds[id(&o.TopKeys[i])] = &o.TopKeys[i]
	}
	seen := map[keyID]bool{}
	var out []Key
	for i := range n.TopKeys {
		nk := &n.TopKeys[i]
		kid := id(nk)
		seen[kid] = true
		d := Key{Node: nk.Node, DB: nk.DB, Key: nk.Key, New: nk}
		if ok := olds[kid]; ok != nil {
			d.Old = ok
			d.Delta = nk.Memory - ok.Memory
			switch {
			case d.Delta > 0:
				d.Status = StatusGrown
			case d.Delta < 0:
				d.Status = StatusShrunk
			default:
				d.Status = StatusUnchanged
			}
		} else if oldCut {
			d.Status, d.Delta, d.AtLeast = StatusEntered, max(nk.Memory-oldFloor, 0), true
		} else {
			d.Status, d.Delta = StatusNew, nk.Memory
		}
		out = append(out, d)
	}
	for i := range o.TopKeys {
		ok := &o.TopKeys[i]
		if seen[id(ok)] {
			continue
		}
		d := Key{Node: ok.Node, DB: ok.DB, Key: ok.Key, Old: ok}
		if newCut {
			d.Status, d.Delta, d.AtLeast = StatusLeft, min(newFloor-ok.Memory, 0), true
		} else {
			d.Status, d.Delta = StatusDeleted, -ok.Memory
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := abs(out[i].Delta), abs(out[j].Delta); a != b {
			return a > b
		}
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		if out[i].DB != out[j].DB {
			return out[i].DB < out[j].DB
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// cutoff is the smallest memory in a top list (biggest first).
func cutoff(ks []aggregate.KeyInfo) int64 {
	if len(ks) == 0 {
		return 0
	}
	return ks[len(ks)-1].Memory
}

// becameBig reports a key that is big in NEW and certainly was not in OLD:
// either OLD lists it below the thresholds, or OLD's cut-off (above which
// it would have been listed) is below them.
func becameBig(k Key, o, n *aggregate.Node, r *diagnose.Rules) bool {
	if k.New == nil || !r.IsBigKey(k.New, n.AllocatedMemory()) {
		return false
	}
	switch k.Status {
	case StatusNew:
		return true
	case StatusEntered:
		// OLD's figure is only known to be below its cut-off, and its
		// element count not at all: only memory thresholds can be ruled
		// out for it, so only they count here.
		mem := *r
		mem.BigKeyElements = 0
		c := aggregate.KeyInfo{Memory: cutoff(o.TopKeys)}
		return mem.IsBigKey(k.New, n.AllocatedMemory()) && !mem.IsBigKey(&c, o.AllocatedMemory())
	}
	return k.Old != nil && !r.IsBigKey(k.Old, o.AllocatedMemory())
}

// judge makes the findings of one scope; wholeOnly limits them to the
// growth of the whole (the merged scope in node mode).
func judge(s *Scope, o *Options, wholeOnly bool) []aggregate.Finding {
	var out []aggregate.Finding
	if f, ok := growth(s, o); ok {
		out = append(out, f)
	}
	if wholeOnly {
		return out
	}
	out = append(out, familyGrowth(s, o)...)
	for _, k := range s.LostTTL {
		out = append(out, lostTTL(s, k))
	}
	for _, g := range s.FamiliesLostTTL {
		out = append(out, familyLostTTL(s, g, o))
	}
	for _, k := range s.NewBigKeys {
		out = append(out, newBigKey(s, k))
	}
	return out
}

// growth is the finding of a scope whose key memory grew past the
// thresholds, naming the family and the key that grew most.
func growth(s *Scope, o *Options) (aggregate.Finding, bool) {
	m := s.Memory
	if !(m.Delta >= o.GrowthMinBytes && m.Delta > 0 && (m.Old == 0 || m.Ratio >= o.GrowthWarn)) {
		return aggregate.Finding{}, false
	}
	sev := aggregate.SeverityWarning
	if m.Old == 0 || m.Ratio >= o.GrowthCritical {
		sev = aggregate.SeverityCritical
	}
	f := aggregate.Finding{Kind: KindGrowth, Severity: sev, Node: s.Name, Memory: m.Delta,
		Figures: aggregate.Figures{}.Bytes("old_memory", m.Old).Bytes("new_memory", m.New).Bytes("growth", m.Delta).
			Ratio("ratio", m.Ratio).Ratio("threshold_ratio", o.GrowthWarn).Bytes("threshold_bytes", o.GrowthMinBytes),
		Title: fmt.Sprintf("%s grew by %s (%s)", s.Name, human(m.Delta), m.GrowthPct()),
	}
	cause := ""
	if len(s.Families) > 0 && s.Families[0].Memory.Delta > 0 {
		g := s.Families[0]
		f.Family = aggregate.EscapeKey(string(g.Name))
		cause = fmt.Sprintf(" The family that grew most is %s: %s → %s (%+d keys), %s of the growth.",
			f.Family, human(g.Memory.Old), human(g.Memory.New), g.Keys.Delta, pctOf(g.Memory.Delta, m.Delta))
	}
	if len(s.TopKeys) > 0 && s.TopKeys[0].Delta > 0 && s.TopKeys[0].New != nil {
		k := s.TopKeys[0]
		f.Key, f.DB = k.Key, k.DB
		cause += fmt.Sprintf(" The key that grew most is %s (%s, now %s).", aggregate.EscapeKey(string(k.Key)), k.New.Type, human(k.New.Memory))
	}
	f.Explanation = fmt.Sprintf("The key memory of %s went from %s to %s (%+d keys). The threshold is %s growth and at least %s.%s",
		s.Name, human(m.Old), human(m.New), s.Keys.Delta, pct(o.GrowthWarn), human(o.GrowthMinBytes), cause)
	f.Advice = "Check whether the growth is expected (a launch, a migration, more users); if not, look at the family and keys named " +
		"here: who writes them, and whether they carry a TTL or a bound. Run 'rdbscope analyze' on the new dump for the full picture."
	return f, true
}

// maxFamilyGrowth bounds the family-growth findings of a scope; the rest
// are in its families table.
const maxFamilyGrowth = 5

// familyGrowth flags the families (of two keys or more: a family of one
// key is that key, which the top lists and new-big-key judge) that grew
// past the thresholds, measured against the scope's old memory.
func familyGrowth(s *Scope, o *Options) []aggregate.Finding {
	var out []aggregate.Finding
	m := s.Memory
	for _, g := range s.Families {
		if g.Keys.New < 2 || g.Memory.Delta < o.GrowthMinBytes || g.Memory.Delta <= 0 || float64(g.Memory.Delta) < o.GrowthWarn*float64(m.Old) {
			continue
		}
		if len(out) == maxFamilyGrowth {
			break
		}
		name := aggregate.EscapeKey(string(g.Name))
		out = append(out, aggregate.Finding{Kind: KindFamilyGrowth, Severity: aggregate.SeverityWarning, Node: s.Name,
			Family: name, Memory: g.Memory.Delta,
			Figures: aggregate.Figures{}.Bytes("old_memory", g.Memory.Old).Bytes("new_memory", g.Memory.New).
				Count("old_keys", g.Keys.Old).Count("new_keys", g.Keys.New).Bytes("scope_old_memory", m.Old),
			Title: fmt.Sprintf("family %s grew by %s on %s", name, human(g.Memory.Delta), s.Name),
			Explanation: fmt.Sprintf("Family %s on %s went from %s to %s (%d → %d keys). Its growth alone is %s of what the whole %s held before.",
				name, s.Name, human(g.Memory.Old), human(g.Memory.New), g.Keys.Old, g.Keys.New, pctOf(g.Memory.Delta, m.Old), s.Name),
			Advice: "Find the code that writes this family and check that its keys expire or are bounded (TTL, LTRIM, XTRIM MAXLEN).",
		})
	}
	return out
}

// lostTTL is the finding of a key that had a TTL in OLD and has none in
// NEW.
func lostTTL(s *Scope, k Key) aggregate.Finding {
	name := aggregate.EscapeKey(string(k.Key))
	return aggregate.Finding{Kind: KindLostTTL, Severity: aggregate.SeverityWarning, Node: nodeOf(s, k),
		Key: k.Key, DB: k.DB, Family: aggregate.EscapeKey(aggregate.Pattern(string(k.Key))), Memory: k.New.Memory,
		Figures: aggregate.Figures{}.Bytes("memory", k.New.Memory).UnixMillis("old_expires_at", int64(k.Old.ExpiresAt)),
		Title:   fmt.Sprintf("%s lost its TTL", name),
		Explanation: fmt.Sprintf("The %s %s (%s) had a TTL in OLD and has none in NEW: it will never expire and, under volatile-* eviction, never be evicted. "+
			"A PERSIST, or a SET without EX on an existing key, removes the TTL.", k.New.Type, name, human(k.New.Memory)),
		Advice: "Find the write that replaced the key without a TTL (SET without EX/KEEPTTL, PERSIST, RENAME onto it) and give the key its TTL back (EXPIRE).",
	}
}

// familyLostTTL is the finding of a family whose share of keys without a
// TTL rose; it is only informative when what it leaves without a TTL is
// small, in bytes and against the scope.
func familyLostTTL(s *Scope, g Family, o *Options) aggregate.Finding {
	name := aggregate.EscapeKey(string(g.Name))
	sev := aggregate.SeverityWarning
	if g.NoTTLMemory.Delta < o.GrowthMinBytes && ratio(g.NoTTLMemory.New, s.Memory.New) < 0.01 {
		sev = aggregate.SeverityInfo
	}
	return aggregate.Finding{Kind: KindLostTTL, Severity: sev, Node: s.Name, Family: name, Memory: g.NoTTLMemory.New,
		Figures: aggregate.Figures{}.Share("old_no_ttl_share", g.NoTTLShareOld).Share("new_no_ttl_share", g.NoTTLShareNew).
			Count("old_no_ttl_keys", g.NoTTLKeys.Old).Count("new_no_ttl_keys", g.NoTTLKeys.New).
			Bytes("new_no_ttl_memory", g.NoTTLMemory.New),
		Title: fmt.Sprintf("family %s: keys without TTL went from %s to %s", name, pct(g.NoTTLShareOld), pct(g.NoTTLShareNew)),
		Explanation: fmt.Sprintf("In family %s on %s, %d of %d keys had no TTL in OLD and %d of %d (%s) have none in NEW. "+
			"Keys of one family are written by the same code, so a code path that drops the EXPIRE was most likely deployed in between.",
			name, s.Name, g.NoTTLKeys.Old, g.Keys.Old, g.NoTTLKeys.New, g.Keys.New, human(g.NoTTLMemory.New)),
		Advice: "Look at what changed in the code writing this family since OLD; write the keys with SET ... EX so the TTL cannot be lost, " +
			"and give the existing ones a TTL (SCAN MATCH, TTL = -1, then EXPIRE).",
	}
}

// newBigKey is the finding of a key that is big in NEW and was not in
// OLD.
func newBigKey(s *Scope, k Key) aggregate.Finding {
	name := aggregate.EscapeKey(string(k.Key))
	return aggregate.Finding{Kind: KindNewBigKey, Severity: aggregate.SeverityWarning, Node: nodeOf(s, k),
		Key: k.Key, DB: k.DB, Family: aggregate.EscapeKey(aggregate.Pattern(string(k.Key))), Memory: k.New.Memory,
		Figures: aggregate.Figures{}.Bytes("memory", k.New.Memory).Count("elements", k.New.Elements),
		Title:   fmt.Sprintf("new big %s %s (%s)", k.New.Type, name, human(k.New.Memory)),
		Explanation: fmt.Sprintf("The %s %s is %s with %d elements in NEW and was not big in OLD (status %s). A big key cannot be split across nodes, "+
			"and reading or deleting it whole blocks the server.", k.New.Type, name, human(k.New.Memory), k.New.Elements, k.Status),
		Advice: "Check what the key is for and bound it (trim, split by time or id, TTL); delete it with UNLINK rather than DEL.",
	}
}

// nodeOf is the node a key of a scope lives on.
func nodeOf(s *Scope, k Key) string {
	if k.Node != "" {
		return k.Node
	}
	return s.Name
}

func human(b int64) string { return bytesize.Format(b, bytesize.Sentence) }

func pctOf(part, whole int64) string {
	if whole <= 0 {
		return "-"
	}
	return pct(float64(part) / float64(whole))
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }
