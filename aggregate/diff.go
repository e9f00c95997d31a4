package aggregate

import (
	"fmt"
	"sort"
)

// A diff compares two reports of the same nodes, typically last night's
// and tonight's, and answers "what grew, and where?". Like every view it is
// drawn from figures package aggregate computed; it only subtracts them.
// docs/diff.md documents the document and its findings.

// DiffKind is the "kind" of a diff document, which tells it apart from a
// report (that has none).
const DiffKind = "rdbscope-diff"

// DiffSchemaVersion is the version of the diff document's layout; like the
// report's, it is bumped only when a field changes meaning or goes away.
const DiffSchemaVersion = 1

// Kinds of diff finding.
const (
	KindGrowth       = "growth"
	KindFamilyGrowth = "family-growth"
	KindLostTTL      = "lost-ttl"
	KindNewBigKey    = "new-big-key"
)

// Diff modes: node by node when both sides hold the same nodes, else all
// nodes of each side merged into one.
const (
	DiffModeNodes  = "nodes"
	DiffModeMerged = "merged"
)

// DiffAll names the scope of all nodes merged.
const DiffAll = "all"

// Key statuses in a diff's top keys.
const (
	KeyGrown     = "grown"
	KeyShrunk    = "shrunk"
	KeyUnchanged = "unchanged"
	KeyNew       = "new"     // absent from OLD, whose list held all its keys
	KeyEntered   = "entered" // entered the top list: below OLD's cut-off before
	KeyDeleted   = "deleted" // absent from NEW, whose list holds all its keys
	KeyLeft      = "left"    // left the top list: below NEW's cut-off now
)

// DiffOptions are the thresholds of Compare; docs/diff.md explains each.
type DiffOptions struct {
	// Top bounds the merged top lists (DefaultTopN if <= 0).
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
	Rules Rules
}

// DefaultDiffOptions returns the options the command line starts from.
func DefaultDiffOptions() DiffOptions {
	return DiffOptions{Top: DefaultTopN, Limit: 20, GrowthWarn: 0.2, GrowthCritical: 0.5,
		GrowthMinBytes: 1 << 20, TTLShareGrowth: 0.1, Rules: DefaultRules()}
}

// Diff is the comparison of two reports.
type Diff struct {
	Kind          string      `json:"kind"`
	SchemaVersion int         `json:"schema_version"`
	Tool          Tool        `json:"tool"`
	Mode          string      `json:"mode"`
	Old           DiffSide    `json:"old"`
	New           DiffSide    `json:"new"`
	Scopes        []DiffScope `json:"scopes"`
	Findings      []Finding   `json:"findings"`
}

// DiffSide describes one of the two reports compared.
type DiffSide struct {
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

func diffChange(o, n int64) Change {
	c := Change{Old: o, New: n, Delta: n - o}
	if o != 0 {
		c.Ratio = float64(c.Delta) / float64(o)
	}
	return c
}

// DiffScope compares one node, or all nodes merged.
type DiffScope struct {
	Name string `json:"name"`
	// All is set for the scope of all nodes merged.
	All                 bool        `json:"all"`
	Keys                Change      `json:"keys"`
	Memory              Change      `json:"memory"`
	EstimatedUsedMemory Change      `json:"estimated_used_memory"`
	UsedMem             Change      `json:"used_mem"`
	NoTTLMemory         Change      `json:"no_ttl_memory"`
	ByType              []TypeDiff  `json:"by_type"`
	Families            []GroupDiff `json:"families"`
	TopKeys             []KeyDiff   `json:"top_keys"`
	NewBigKeys          []KeyDiff   `json:"new_big_keys"`
	LostTTL             []KeyDiff   `json:"lost_ttl"`
	FamiliesLostTTL     []GroupDiff `json:"families_lost_ttl"`
}

// TypeDiff is the change of one data type.
type TypeDiff struct {
	Type   string `json:"type"`
	Keys   Change `json:"keys"`
	Memory Change `json:"memory"`
}

// GroupDiff is the change of one key family. A family missing from one
// side's bounded table counts as 0 there; Error bounds what it may have
// had hidden in that side's (other) (0 when both tables are exact).
type GroupDiff struct {
	Name        KeyName `json:"name"`
	Keys        Change  `json:"keys"`
	Memory      Change  `json:"memory"`
	NoTTLKeys   Change  `json:"no_ttl_keys"`
	NoTTLMemory Change  `json:"no_ttl_memory"`
	// NoTTLShareOld and NoTTLShareNew are the share of the family's keys
	// without a TTL on each side.
	NoTTLShareOld float64 `json:"no_ttl_share_old"`
	NoTTLShareNew float64 `json:"no_ttl_share_new"`
	Error         int64   `json:"error"`
}

// KeyDiff is one key of the top lists on either side. Old or New is null
// when the key is not in that side's list. Delta is New-Old memory; with
// AtLeast set (statuses entered and left) the key's true change is at least
// that big, because its figure on the other side is only known to be below
// that side's cut-off.
type KeyDiff struct {
	Node    string   `json:"node,omitempty"`
	DB      int      `json:"db"`
	Key     KeyName  `json:"key"`
	Status  string   `json:"status"`
	Old     *KeyInfo `json:"old"`
	New     *KeyInfo `json:"new"`
	Delta   int64    `json:"delta"`
	AtLeast bool     `json:"at_least,omitempty"`
}

// Compare diffs two reports. When both hold the same node names the diff
// is node by node (with a merged scope first when there are several nodes);
// otherwise each side's nodes are merged and compared as one.
func Compare(oldR, newR *Report, tool Tool, o DiffOptions) *Diff {
	if o.Top <= 0 {
		o.Top = DefaultTopN
	}
	if o.Limit <= 0 {
		o.Limit = 20
	}
	d := &Diff{Kind: DiffKind, SchemaVersion: DiffSchemaVersion, Tool: tool,
		Old: diffSideOf(oldR), New: diffSideOf(newR), Scopes: []DiffScope{}, Findings: []Finding{}}
	oldNodes, newNodes := diffNodesOf(oldR), diffNodesOf(newR)
	same := len(oldNodes) == len(newNodes) && len(oldNodes) > 0
	byName := map[string]*Node{}
	for _, n := range oldNodes {
		byName[n.Name] = n
	}
	for _, n := range newNodes {
		if byName[n.Name] == nil {
			same = false
		}
	}
	d.Mode = DiffModeMerged
	if same {
		d.Mode = DiffModeNodes
	}
	if !same || len(oldNodes) > 1 {
		om := Merge(DiffAll, o.Top, oldNodes...)
		nm := Merge(DiffAll, o.Top, newNodes...)
		s := diffCompareScope(DiffAll, om, nm, true, &o)
		s.All = true
		d.Scopes = append(d.Scopes, s)
	}
	if same {
		for _, n := range newNodes {
			d.Scopes = append(d.Scopes, diffCompareScope(n.Name, byName[n.Name], n, false, &o))
		}
	}
	for i := range d.Scopes {
		// In node mode the merged scope only adds a growth finding for the
		// whole; its keys and families are already judged node by node.
		d.Findings = append(d.Findings, diffScopeFindings(&d.Scopes[i], &o, d.Mode == DiffModeNodes && d.Scopes[i].All)...)
	}
	sortFindings(d.Findings)
	return d
}

func diffNodesOf(r *Report) []*Node {
	var out []*Node
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

func diffSideOf(r *Report) DiffSide {
	s := DiffSide{Nodes: []string{}, Complete: true}
	if r == nil {
		return s
	}
	s.GeneratedAt = r.Tool.GeneratedAt
	for _, n := range diffNodesOf(r) {
		s.Nodes = append(s.Nodes, n.Name)
		s.Complete = s.Complete && n.Complete
		if n.Source != nil && n.Source.CTime > s.DumpTime {
			s.DumpTime = n.Source.CTime
		}
	}
	return s
}

func diffCompareScope(name string, o, n *Node, merged bool, opts *DiffOptions) DiffScope {
	s := DiffScope{Name: name,
		Keys: diffChange(o.Keys, n.Keys), Memory: diffChange(o.Memory, n.Memory),
		EstimatedUsedMemory: diffChange(o.EstimatedUsedMemory, n.EstimatedUsedMemory),
		UsedMem:             diffChange(o.UsedMem, n.UsedMem),
		NoTTLMemory:         diffChange(o.TTL.Without.Memory, n.TTL.Without.Memory),
		ByType:              []TypeDiff{}, Families: []GroupDiff{}, TopKeys: []KeyDiff{},
		NewBigKeys: []KeyDiff{}, LostTTL: []KeyDiff{}, FamiliesLostTTL: []GroupDiff{},
	}
	types := map[string]bool{}
	for t := range o.ByType {
		types[t] = true
	}
	for t := range n.ByType {
		types[t] = true
	}
	for _, t := range sortedKeys(types) {
		var os, ns Stat
		if v := o.ByType[t]; v != nil {
			os = *v
		}
		if v := n.ByType[t]; v != nil {
			ns = *v
		}
		s.ByType = append(s.ByType, TypeDiff{Type: t, Keys: diffChange(os.Keys, ns.Keys), Memory: diffChange(os.Memory, ns.Memory)})
	}
	sort.SliceStable(s.ByType, func(i, j int) bool { return diffAbs(s.ByType[i].Memory.Delta) > diffAbs(s.ByType[j].Memory.Delta) })

	fams := diffFamilyDiffs(o.Families, n.Families)
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
	sort.SliceStable(s.Families, func(i, j int) bool { return diffAbs(s.Families[i].Memory.Delta) > diffAbs(s.Families[j].Memory.Delta) })
	s.Families = diffCapRows(s.Families, opts.Limit)
	s.FamiliesLostTTL = diffCapRows(s.FamiliesLostTTL, opts.Limit)

	keys := diffKeyDiffs(o, n, merged)
	for _, k := range keys {
		if k.Old != nil && k.New != nil && k.Old.ExpiresAt != 0 && k.New.ExpiresAt == 0 {
			s.LostTTL = append(s.LostTTL, k)
		}
		if diffBecameBig(k, o, n, opts) {
			s.NewBigKeys = append(s.NewBigKeys, k)
		}
		if k.Status != KeyUnchanged {
			s.TopKeys = append(s.TopKeys, k)
		}
	}
	s.TopKeys = diffCapRows(s.TopKeys, opts.Limit)
	s.LostTTL = diffCapRows(s.LostTTL, opts.Limit)
	s.NewBigKeys = diffCapRows(s.NewBigKeys, opts.Limit)
	return s
}

func diffCapRows[T any](rows []T, n int) []T {
	if len(rows) > n {
		return rows[:n]
	}
	return rows
}

func diffAbs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func diffFamilyDiffs(o, n *Groups) []GroupDiff {
	type pair struct{ o, n *Group }
	pairs := map[string]*pair{}
	var order []string
	add := func(g *Groups, old bool) {
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
	maxErr := func(g *Groups) int64 {
		if g == nil {
			return 0
		}
		return g.MaxError
	}
	out := make([]GroupDiff, 0, len(order))
	for _, name := range order {
		p := pairs[name]
		var og, ng Group
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
		out = append(out, GroupDiff{Name: KeyName(name),
			Keys: diffChange(og.Keys, ng.Keys), Memory: diffChange(og.Memory, ng.Memory),
			NoTTLKeys: diffChange(og.NoTTL.Keys, ng.NoTTL.Keys), NoTTLMemory: diffChange(og.NoTTL.Memory, ng.NoTTL.Memory),
			NoTTLShareOld: diffRatio(og.NoTTL.Keys, og.Keys), NoTTLShareNew: diffRatio(ng.NoTTL.Keys, ng.Keys), Error: errb})
	}
	return out
}

func diffRatio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

type keyID struct {
	node string
	db   int
	key  KeyName
}

// keyDiffs pairs the keys of two top lists, biggest change first. In a
// merged scope keys are told apart by node too, unless the two sides have
// different nodes (then a key is matched wherever it lives).
func diffKeyDiffs(o, n *Node, merged bool) []KeyDiff {
	byNode := merged && diffSameNodes(o, n)
	id := func(k *KeyInfo) keyID {
		if byNode {
			return keyID{k.Node, k.DB, k.Key}
		}
		return keyID{"", k.DB, k.Key}
	}
	oldFull := int64(len(o.TopKeys)) < o.Keys // OLD's list was cut: absent keys may exist
	newFull := int64(len(n.TopKeys)) < n.Keys
	oldCut, newCut := diffCutoff(o.TopKeys), diffCutoff(n.TopKeys)
	olds := map[keyID]*KeyInfo{}
	for i := range o.TopKeys {
		olds[id(&o.TopKeys[i])] = &o.TopKeys[i]
	}
	seen := map[keyID]bool{}
	var out []KeyDiff
	for i := range n.TopKeys {
		nk := &n.TopKeys[i]
		kid := id(nk)
		seen[kid] = true
		d := KeyDiff{Node: nk.Node, DB: nk.DB, Key: nk.Key, New: nk}
		if ok := olds[kid]; ok != nil {
			d.Old = ok
			d.Delta = nk.Memory - ok.Memory
			switch {
			case d.Delta > 0:
				d.Status = KeyGrown
			case d.Delta < 0:
				d.Status = KeyShrunk
			default:
				d.Status = KeyUnchanged
			}
		} else if oldFull {
			d.Status, d.Delta, d.AtLeast = KeyEntered, max(nk.Memory-oldCut, 0), true
		} else {
			d.Status, d.Delta = KeyNew, nk.Memory
		}
		out = append(out, d)
	}
	for i := range o.TopKeys {
		ok := &o.TopKeys[i]
		if seen[id(ok)] {
			continue
		}
		d := KeyDiff{Node: ok.Node, DB: ok.DB, Key: ok.Key, Old: ok}
		if newFull {
			d.Status, d.Delta, d.AtLeast = KeyLeft, min(newCut-ok.Memory, 0), true
		} else {
			d.Status, d.Delta = KeyDeleted, -ok.Memory
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := diffAbs(out[i].Delta), diffAbs(out[j].Delta); a != b {
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

func diffSameNodes(o, n *Node) bool {
	if len(o.Nodes) != len(n.Nodes) {
		return false
	}
	for i := range o.Nodes {
		if o.Nodes[i] != n.Nodes[i] {
			return false
		}
	}
	return true
}

// cutoff is the smallest memory in a top list (biggest first).
func diffCutoff(ks []KeyInfo) int64 {
	if len(ks) == 0 {
		return 0
	}
	return ks[len(ks)-1].Memory
}

// isBig applies the big-key thresholds of analyze to a key of a node
// holding nodeMem.
func diffIsBig(k *KeyInfo, nodeMem int64, r *Rules) bool {
	if r.BigKeyBytes > 0 && k.Memory > r.BigKeyBytes {
		return true
	}
	if r.BigKeyElements > 0 && k.Elements > r.BigKeyElements {
		return true
	}
	return r.BigKeyShare > 0 && nodeMem >= r.ShareFloor && nodeMem > 0 && float64(k.Memory)/float64(nodeMem) > r.BigKeyShare
}

// becameBig reports a key that is big in NEW and certainly was not in OLD:
// either OLD lists it below the thresholds, or OLD's cut-off (above which
// it would have been listed) is below them.
func diffBecameBig(k KeyDiff, o, n *Node, opts *DiffOptions) bool {
	if k.New == nil || !diffIsBig(k.New, n.Memory, &opts.Rules) {
		return false
	}
	switch k.Status {
	case KeyNew:
		return true
	case KeyEntered:
		// OLD's figure is only known to be below its cut-off, and its
		// element count not at all: only memory thresholds can be ruled
		// out for it, so only they count here.
		r := opts.Rules
		r.BigKeyElements = 0
		c := KeyInfo{Memory: diffCutoff(o.TopKeys)}
		return diffIsBig(k.New, n.Memory, &r) && !diffIsBig(&c, o.Memory, &r)
	}
	return k.Old != nil && !diffIsBig(k.Old, o.Memory, &opts.Rules)
}

// scopeFindings judges one scope; wholeOnly limits it to the growth of the
// whole (the merged scope in node mode).
func diffScopeFindings(s *DiffScope, o *DiffOptions, wholeOnly bool) []Finding {
	var out []Finding
	m := s.Memory
	if m.Delta >= o.GrowthMinBytes && m.Delta > 0 && (m.Old == 0 || m.Ratio >= o.GrowthWarn) {
		sev := SeverityWarning
		if m.Old == 0 || m.Ratio >= o.GrowthCritical {
			sev = SeverityCritical
		}
		f := Finding{Kind: KindGrowth, Severity: sev, Node: s.Name, Memory: m.Delta,
			Figures: map[string]float64{"old_memory": float64(m.Old), "new_memory": float64(m.New), "growth": float64(m.Delta),
				"ratio": m.Ratio, "threshold_ratio": o.GrowthWarn, "threshold_bytes": float64(o.GrowthMinBytes)},
			Title: fmt.Sprintf("%s grew by %s (%s)", s.Name, human(m.Delta), m.GrowthPct()),
		}
		cause := ""
		if len(s.Families) > 0 && s.Families[0].Memory.Delta > 0 {
			g := s.Families[0]
			f.Family = EscapeKey(string(g.Name))
			cause = fmt.Sprintf(" The family that grew most is %s: %s → %s (%+d keys), %s of the growth.",
				f.Family, human(g.Memory.Old), human(g.Memory.New), g.Keys.Delta, diffPctOf(g.Memory.Delta, m.Delta))
		}
		if len(s.TopKeys) > 0 && s.TopKeys[0].Delta > 0 && s.TopKeys[0].New != nil {
			k := s.TopKeys[0]
			f.Key, f.DB = k.Key, k.DB
			cause += fmt.Sprintf(" The key that grew most is %s (%s, now %s).", EscapeKey(string(k.Key)), k.New.Type, human(k.New.Memory))
		}
		f.Explanation = fmt.Sprintf("The key memory of %s went from %s to %s (%+d keys). The threshold is %s growth and at least %s.%s",
			s.Name, human(m.Old), human(m.New), s.Keys.Delta, diffPctF(o.GrowthWarn), human(o.GrowthMinBytes), cause)
		f.Advice = "Check whether the growth is expected (a launch, a migration, more users); if not, look at the family and keys named " +
			"here: who writes them, and whether they carry a TTL or a bound. Run 'rdbscope analyze' on the new dump for the full picture."
		out = append(out, f)
	}
	if wholeOnly {
		return out
	}
	n := 0
	for _, g := range s.Families {
		// A family of one key is that key, which the top lists and
		// new-big-key judge.
		if g.Keys.New < 2 || g.Memory.Delta < o.GrowthMinBytes || g.Memory.Delta <= 0 || float64(g.Memory.Delta) < o.GrowthWarn*float64(m.Old) {
			continue
		}
		if n++; n > 5 {
			break
		}
		name := EscapeKey(string(g.Name))
		out = append(out, Finding{Kind: KindFamilyGrowth, Severity: SeverityWarning, Node: s.Name,
			Family: name, Memory: g.Memory.Delta,
			Figures: map[string]float64{"old_memory": float64(g.Memory.Old), "new_memory": float64(g.Memory.New),
				"old_keys": float64(g.Keys.Old), "new_keys": float64(g.Keys.New), "scope_old_memory": float64(m.Old)},
			Title: fmt.Sprintf("family %s grew by %s on %s", name, human(g.Memory.Delta), s.Name),
			Explanation: fmt.Sprintf("Family %s on %s went from %s to %s (%d → %d keys). Its growth alone is %s of what the whole %s held before.",
				name, s.Name, human(g.Memory.Old), human(g.Memory.New), g.Keys.Old, g.Keys.New, diffPctOf(g.Memory.Delta, m.Old), s.Name),
			Advice: "Find the code that writes this family and check that its keys expire or are bounded (TTL, LTRIM, XTRIM MAXLEN).",
		})
	}
	for _, k := range s.LostTTL {
		name := EscapeKey(string(k.Key))
		out = append(out, Finding{Kind: KindLostTTL, Severity: SeverityWarning, Node: diffNodeOf(s, k),
			Key: k.Key, DB: k.DB, Family: EscapeKey(Pattern(string(k.Key))), Memory: k.New.Memory,
			Figures: map[string]float64{"memory": float64(k.New.Memory), "old_expires_at": float64(k.Old.ExpiresAt)},
			Title:   fmt.Sprintf("%s lost its TTL", name),
			Explanation: fmt.Sprintf("The %s %s (%s) had a TTL in OLD and has none in NEW: it will never expire and, under volatile-* eviction, never be evicted. "+
				"A PERSIST, or a SET without EX on an existing key, removes the TTL.", k.New.Type, name, human(k.New.Memory)),
			Advice: "Find the write that replaced the key without a TTL (SET without EX/KEEPTTL, PERSIST, RENAME onto it) and give the key its TTL back (EXPIRE).",
		})
	}
	for _, g := range s.FamiliesLostTTL {
		name := EscapeKey(string(g.Name))
		sev := SeverityWarning
		if g.NoTTLMemory.Delta < o.GrowthMinBytes && diffRatio(g.NoTTLMemory.New, m.New) < 0.01 {
			sev = SeverityInfo
		}
		out = append(out, Finding{Kind: KindLostTTL, Severity: sev, Node: s.Name, Family: name, Memory: g.NoTTLMemory.New,
			Figures: map[string]float64{"old_no_ttl_share": g.NoTTLShareOld, "new_no_ttl_share": g.NoTTLShareNew,
				"old_no_ttl_keys": float64(g.NoTTLKeys.Old), "new_no_ttl_keys": float64(g.NoTTLKeys.New),
				"new_no_ttl_memory": float64(g.NoTTLMemory.New)},
			Title: fmt.Sprintf("family %s: keys without TTL went from %s to %s", name, diffPctF(g.NoTTLShareOld), diffPctF(g.NoTTLShareNew)),
			Explanation: fmt.Sprintf("In family %s on %s, %d of %d keys had no TTL in OLD and %d of %d (%s) have none in NEW. "+
				"Keys of one family are written by the same code, so a code path that drops the EXPIRE was most likely deployed in between.",
				name, s.Name, g.NoTTLKeys.Old, g.Keys.Old, g.NoTTLKeys.New, g.Keys.New, human(g.NoTTLMemory.New)),
			Advice: "Look at what changed in the code writing this family since OLD; write the keys with SET ... EX so the TTL cannot be lost, " +
				"and give the existing ones a TTL (SCAN MATCH, TTL = -1, then EXPIRE).",
		})
	}
	for _, k := range s.NewBigKeys {
		name := EscapeKey(string(k.Key))
		out = append(out, Finding{Kind: KindNewBigKey, Severity: SeverityWarning, Node: diffNodeOf(s, k),
			Key: k.Key, DB: k.DB, Family: EscapeKey(Pattern(string(k.Key))), Memory: k.New.Memory,
			Figures: map[string]float64{"memory": float64(k.New.Memory), "elements": float64(k.New.Elements)},
			Title:   fmt.Sprintf("new big %s %s (%s)", k.New.Type, name, human(k.New.Memory)),
			Explanation: fmt.Sprintf("The %s %s is %s with %d elements in NEW and was not big in OLD (status %s). A big key cannot be split across nodes, "+
				"and reading or deleting it whole blocks the server.", k.New.Type, name, human(k.New.Memory), k.New.Elements, k.Status),
			Advice: "Check what the key is for and bound it (trim, split by time or id, TTL); delete it with UNLINK rather than DEL.",
		})
	}
	return out
}

// nodeOf is the node a key of a scope lives on.
func diffNodeOf(s *DiffScope, k KeyDiff) string {
	if k.Node != "" {
		return k.Node
	}
	return s.Name
}

// GrowthPct describes a change as a signed percentage ("+35%"), or "from
// nothing" when it started at zero.
func (c Change) GrowthPct() string {
	if c.Old == 0 {
		return "from nothing"
	}
	return fmt.Sprintf("%+.0f%%", c.Ratio*100)
}

func diffPctOf(part, whole int64) string {
	if whole <= 0 {
		return "-"
	}
	return diffPctF(float64(part) / float64(whole))
}

func diffPctF(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }
