package aggregate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// How a dump was matched to a CLUSTER NODES entry (Membership.By).
const (
	// BySlots: most of the dump's keys fall in the slots of one master.
	BySlots = "slots"
	// ByName: the dump's name matches an entry (see MatchClusterNode),
	// used when its keys do not point at one master (no keys, or no
	// master holding more than half of them).
	ByName = "name"
)

// Why a dump is not counted as a node of the cluster (Membership.Outsider).
const (
	// OutsiderAOFBase is the base RDB of an append-only file: the node's
	// data as of the last AOF rewrite, not a snapshot of it.
	OutsiderAOFBase = "aof-base"
	// OutsiderSpread is a dump whose keys are spread over the slots of
	// several nodes: a standalone server's dump, or another cluster's.
	OutsiderSpread = "spread"
	// OutsiderDuplicate is a second dump of the slots another dump
	// already holds: a replica's dump beside its master's, or one node
	// given twice.
	OutsiderDuplicate = "duplicate"
)

// Membership is how one dump of a run relates to its cluster: the master
// whose slots it holds, or why it is not one of the cluster's nodes.
type Membership struct {
	// Node is the dump's profile name.
	Node string
	// Master is the master whose slots the dump holds (a replica's dump
	// holds its master's); nil without CLUSTER NODES or when nothing
	// matches.
	Master *ClusterNode
	// By says how Master was found: BySlots or ByName; "" when it was
	// not.
	By string
	// Keys is how many keys the dump holds (from its per-slot counts),
	// and Share the part of them in Master's slots.
	Keys  int64
	Share float64
	// Named is the entry the dump's name matches when that is neither
	// Master nor one of its replicas: the file name says one node, the
	// keys another.
	Named *ClusterNode
	// Outsider says why the dump is not counted as a node of the
	// cluster (OutsiderAOFBase, OutsiderSpread, OutsiderDuplicate); ""
	// when it is counted.
	Outsider string
	// Twin is the counted dump holding the same slots, for
	// OutsiderDuplicate.
	Twin string
	// Slots are the slot ranges the dump stands for: its master's when
	// Master is known, else the runs of the slot space its keys hold
	// between the keys of the other counted dumps (an outsider's: its
	// own), so that a cluster node's keys, however sparse, make one range
	// per range it serves. Nil when its keys make more than MaxRuns runs:
	// it is no shard, and its slots say nothing about it.
	Slots [][2]int
}

// MaxRuns bounds Membership.Slots.
const MaxRuns = 64

// Counted reports whether the dump counts as one of the cluster's nodes.
func (m *Membership) Counted() bool { return m.Outsider == "" }

// Gap is part of the slot space that no counted dump holds: a master of
// CLUSTER NODES whose dump is missing (Master set), or slots no master of
// the file serves at all (Master nil).
type Gap struct {
	Master *ClusterNode
	// Slots are inclusive [from, to] ranges, in slot order.
	Slots [][2]int
}

// Ranges formats the gap's slots as "0-5460" ranges.
func (g *Gap) Ranges() []string { return FormatRanges(g.Slots) }

// Count is the number of slots of the gap.
func (g *Gap) Count() int {
	n := 0
	for _, r := range g.Slots {
		n += r[1] - r[0] + 1
	}
	return n
}

// Layout is how the dumps of one run make up a cluster: one Membership
// per dump, in the order given, and with CLUSTER NODES the parts of the
// cluster no dump holds.
type Layout struct {
	Members []Membership
	// Uncovered is empty without CLUSTER NODES: without it, what a
	// cluster should hold is unknown.
	Uncovered []Gap
}

// Member returns the membership of the dump called name.
func (l *Layout) Member(name string) *Membership {
	for i := range l.Members {
		if l.Members[i].Node == name {
			return &l.Members[i]
		}
	}
	return nil
}

// Counted returns the names of the dumps counted as nodes of the cluster.
func (l *Layout) Counted() []string {
	var out []string
	for i := range l.Members {
		if l.Members[i].Counted() {
			out = append(out, l.Members[i].Node)
		}
	}
	return out
}

// Arrange works out which node of a cluster each dump is, from the slots
// its keys fall in, and which dumps are not nodes of that cluster at
// all. It is the one place every command takes node identity from.
//
// With CLUSTER NODES (cluster non-nil), a dump is the master holding more
// than half of its keys (a replica's dump is its master's); a dump
// without keys, or whose keys no master holds a majority of, is matched
// by name (MatchClusterNode) when it can be, else, if it has keys, it is
// an outsider (OutsiderSpread). Two dumps of one master keep the one whose
// name says so (then the one with more keys); the other is a duplicate.
// Masters that serve slots but have no dump, and slots no master serves,
// are Uncovered.
//
// Without CLUSTER NODES, the slots themselves tell: the nodes of a
// cluster hold disjoint runs of slots, so a dump whose keys interleave
// with the slots of at least two other dumps is taken for a standalone
// dump (OutsiderSpread), and a dump holding mostly the slots another dump
// holds is its duplicate. Either way an AOF base is an outsider when the
// set holds any other dump.
//
// Redis 7.4+ dumps also list their non-empty slots (SLOT_INFO); they are
// the slots the keys fall in, so the keys' slots serve for every version.
func Arrange(nodes []*Node, cluster []ClusterNode) *Layout {
	l := &Layout{Members: make([]Membership, 0, len(nodes))}
	var live []*Node // the non-nil nodes, parallel to l.Members
	for _, n := range nodes {
		if n != nil {
			live = append(live, n)
			l.Members = append(l.Members, Membership{Node: n.Name, Keys: slotKeys(n)})
		}
	}
	aofBases := 0
	for _, n := range live {
		if n.Source != nil && n.Source.AOFBase {
			aofBases++
		}
	}
	if aofBases < len(live) {
		for i, n := range live {
			if n.Source != nil && n.Source.AOFBase {
				l.Members[i].Outsider = OutsiderAOFBase
			}
		}
	}
	held := heldSlots(live)
	if cluster != nil {
		l.byClusterNodes(live, cluster)
	} else {
		l.bySlotRuns(held)
	}
	var counted []int
	for i := range l.Members {
		if l.Members[i].Counted() {
			counted = append(counted, i)
		} else {
			l.Members[i].Slots = runs([]int{i}, held)[i]
		}
	}
	for i, r := range runs(counted, held) {
		l.Members[i].Slots = r
	}
	for i := range l.Members {
		if m := &l.Members[i]; m.Master != nil {
			m.Slots = append([][2]int(nil), m.Master.Slots...)
		}
	}
	return l
}

// heldSlots lists, per node, the slots holding keys, in order.
func heldSlots(nodes []*Node) [][]int {
	out := make([][]int, len(nodes))
	for i, n := range nodes {
		if n.Slots == nil {
			continue
		}
		for _, p := range n.Slots.PerSlot {
			if p.Keys > 0 && p.Slot >= 0 && p.Slot < NumSlots {
				out[i] = append(out[i], p.Slot)
			}
		}
		sort.Ints(out[i])
	}
	return out
}

// slotOwner is one slot held by one node.
type slotOwner struct{ slot, node int }

// sequence merges the held slots of the nodes idx in slot order (ties by
// node).
func sequence(idx []int, held [][]int) []slotOwner {
	var seq []slotOwner
	for _, i := range idx {
		for _, s := range held[i] {
			seq = append(seq, slotOwner{s, i})
		}
	}
	sort.Slice(seq, func(a, b int) bool {
		if seq[a].slot != seq[b].slot {
			return seq[a].slot < seq[b].slot
		}
		return seq[a].node < seq[b].node
	})
	return seq
}

// runs gives each of the nodes idx the runs of slots it holds between the
// others' (see Membership.Slots).
func runs(idx []int, held [][]int) map[int][][2]int {
	seq := sequence(idx, held)
	all := map[int][][2]int{}
	for k := 0; k < len(seq); {
		j := k
		for j+1 < len(seq) && seq[j+1].node == seq[k].node {
			j++
		}
		rs := all[seq[k].node]
		// Runs of one node that meet (a slot it shares with another
		// node) are one.
		if n := len(rs); n > 0 && seq[k].slot <= rs[n-1][1] {
			rs[n-1][1] = max(rs[n-1][1], seq[j].slot)
		} else {
			rs = append(rs, [2]int{seq[k].slot, seq[j].slot})
		}
		all[seq[k].node] = rs
		k = j + 1
	}
	out := map[int][][2]int{}
	for i, rs := range all {
		if len(rs) <= MaxRuns {
			out[i] = rs
		}
	}
	return out
}

// Overlap is the share of the smaller of two sets of slot ranges that the
// other holds too: 1 when one holds the other, 0 when they are disjoint
// or either is empty.
func Overlap(a, b [][2]int) float64 {
	size := func(rs [][2]int) int {
		n := 0
		for _, r := range rs {
			n += r[1] - r[0] + 1
		}
		return n
	}
	common := 0
	for _, x := range a {
		for _, y := range b {
			if lo, hi := max(x[0], y[0]), min(x[1], y[1]); lo <= hi {
				common += hi - lo + 1
			}
		}
	}
	smaller := min(size(a), size(b))
	if smaller == 0 {
		return 0
	}
	return float64(common) / float64(smaller)
}

// Pair matches the nodes of two runs of one cluster (last night's a and
// tonight's b): by name; then, with CLUSTER NODES, by the master whose
// slots they hold; then by the slots they stand for (Membership.Slots),
// more than half of the smaller in common, the largest overlap first. It
// returns, for each node of b, the index of its node in a, or -1. Dumps
// named by date, or a node renamed between the runs, still pair up;
// outsiders (see Arrange) pair only by name.
func Pair(a, b []*Node, cluster []ClusterNode) []int {
	la, lb := Arrange(a, cluster), Arrange(b, cluster)
	ia, ib := liveIndex(a), liveIndex(b)
	out := make([]int, len(b))
	for i := range out {
		out[i] = -1
	}
	taken := make([]bool, len(a))
	link := func(j, i int) {
		out[ib[j]], taken[ia[i]] = ia[i], true
	}
	free := func(j int) bool { return out[ib[j]] < 0 }
	byName := map[string]int{}
	for i, m := range la.Members {
		byName[m.Node] = i
	}
	for j, m := range lb.Members {
		if i, ok := byName[m.Node]; ok && !taken[ia[i]] {
			link(j, i)
		}
	}
	for j, m := range lb.Members {
		if !free(j) || !m.Counted() || m.Master == nil {
			continue
		}
		for i, n := range la.Members {
			if !taken[ia[i]] && n.Counted() && n.Master == m.Master {
				link(j, i)
				break
			}
		}
	}
	type cand struct {
		i, j int
		ov   float64
	}
	var cands []cand
	for j, m := range lb.Members {
		if !free(j) || !m.Counted() {
			continue
		}
		for i, n := range la.Members {
			if !taken[ia[i]] && n.Counted() {
				if ov := Overlap(n.Slots, m.Slots); ov > 0.5 {
					cands = append(cands, cand{i, j, ov})
				}
			}
		}
	}
	sort.SliceStable(cands, func(x, y int) bool { return cands[x].ov > cands[y].ov })
	for _, c := range cands {
		if free(c.j) && !taken[ia[c.i]] {
			link(c.j, c.i)
		}
	}
	return out
}

// liveIndex maps the members of Arrange(nodes) to their index in nodes
// (Arrange skips nil nodes).
func liveIndex(nodes []*Node) []int {
	var out []int
	for i, n := range nodes {
		if n != nil {
			out = append(out, i)
		}
	}
	return out
}

// slotKeys counts a node's keys from its per-slot table.
func slotKeys(n *Node) int64 {
	var k int64
	if n.Slots != nil {
		for _, p := range n.Slots.PerSlot {
			k += p.Keys
		}
	}
	return k
}

// FormatRanges writes inclusive slot ranges the way CLUSTER NODES does:
// "0-5460", or "7000" for a range of one slot.
func FormatRanges(rs [][2]int) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if r[0] == r[1] {
			out = append(out, strconv.Itoa(r[0]))
		} else {
			out = append(out, strconv.Itoa(r[0])+"-"+strconv.Itoa(r[1]))
		}
	}
	return out
}

// ParseRange reads one slot range as FormatRanges and CLUSTER NODES write
// it ("0-5460" or "7000").
func ParseRange(s string) ([2]int, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		to = from
	}
	a, err1 := strconv.Atoi(from)
	b, err2 := strconv.Atoi(to)
	if err1 != nil || err2 != nil || a < 0 || b >= NumSlots || a > b {
		return [2]int{}, fmt.Errorf("bad slot range %q", s)
	}
	return [2]int{a, b}, nil
}

// masterOf returns the master of entry e: e itself, or the master a
// replica entry names (nil when the file lacks it).
func masterOf(e *ClusterNode, cluster []ClusterNode) *ClusterNode {
	if !e.isReplica() {
		return e
	}
	for i := range cluster {
		if cluster[i].ID == e.Master {
			return &cluster[i]
		}
	}
	return nil
}

func (l *Layout) byClusterNodes(live []*Node, cluster []ClusterNode) {
	owner := slotOwners(cluster)
	for i, n := range live {
		m := &l.Members[i]
		counts := map[int]int64{}
		if n.Slots != nil {
			for _, p := range n.Slots.PerSlot {
				if p.Slot >= 0 && p.Slot < NumSlots && owner[p.Slot] > 0 {
					counts[int(owner[p.Slot])-1] += p.Keys
				}
			}
		}
		best, bestKeys := -1, int64(0)
		for c, k := range counts {
			if k > bestKeys || k == bestKeys && c < best {
				best, bestKeys = c, k
			}
		}
		named, _, nameOK := MatchClusterNode(n.Name, cluster)
		var namedMaster *ClusterNode
		if nameOK {
			namedMaster = masterOf(named, cluster)
		}
		switch {
		case m.Keys > 0 && 2*bestKeys > m.Keys:
			m.Master, m.By, m.Share = &cluster[best], BySlots, float64(bestKeys)/float64(m.Keys)
			if nameOK && namedMaster != m.Master {
				m.Named = named
			}
		case namedMaster != nil:
			m.Master, m.By = namedMaster, ByName
			if m.Keys > 0 {
				for c, k := range counts {
					if &cluster[c] == namedMaster {
						m.Share = float64(k) / float64(m.Keys)
					}
				}
			}
		case m.Keys > 0 && m.Outsider == "":
			m.Outsider = OutsiderSpread
		}
	}
	l.dedupe(func(m *Membership) any {
		if m.Master == nil {
			return nil
		}
		return m.Master
	}, func(m *Membership) int {
		// The dump named after the master itself beats one named after
		// a replica of it, which beats one named after neither.
		e, _, ok := MatchClusterNode(m.Node, cluster)
		switch {
		case ok && e == m.Master:
			return 2
		case ok && masterOf(e, cluster) == m.Master:
			return 1
		}
		return 0
	})

	var held [][2]int
	for i := range l.Members {
		if m := &l.Members[i]; m.Counted() && m.Master != nil {
			held = append(held, m.Master.Slots...)
		}
	}
	l.Uncovered = Uncovered(cluster, held)
}

// slotOwners maps each slot to the master of cluster serving it, as its
// index in cluster + 1; 0 for no master.
func slotOwners(cluster []ClusterNode) *[NumSlots]int16 {
	var owner [NumSlots]int16
	for i := range cluster {
		if cluster[i].isReplica() {
			continue
		}
		for _, r := range cluster[i].Slots {
			for s := r[0]; s <= r[1]; s++ {
				owner[s] = int16(i + 1)
			}
		}
	}
	return &owner
}

// Uncovered returns the parts of the slot space of cluster that the slot
// ranges held (inclusive, any order) leave out: per master, the slots it
// serves that none holds, then the slots no master serves. Arrange gives
// it the slots of the masters the dumps were found to be; package trend
// the slots a night's nodes stood for.
func Uncovered(cluster []ClusterNode, held [][2]int) []Gap {
	owner := slotOwners(cluster)
	var covered [NumSlots]bool
	for _, r := range held {
		for s := max(r[0], 0); s <= r[1] && s < NumSlots; s++ {
			covered[s] = true
		}
	}
	var gaps []Gap
	for i := range cluster {
		c := &cluster[i]
		if c.isReplica() || len(c.Slots) == 0 {
			continue
		}
		var missing []int
		for _, r := range c.Slots {
			for s := r[0]; s <= r[1]; s++ {
				if !covered[s] && int(owner[s]) == i+1 {
					missing = append(missing, s)
				}
			}
		}
		if len(missing) > 0 {
			gaps = append(gaps, Gap{Master: c, Slots: toRanges(missing)})
		}
	}
	var unserved []int
	for s := range owner {
		if owner[s] == 0 {
			unserved = append(unserved, s)
		}
	}
	if len(unserved) > 0 {
		gaps = append(gaps, Gap{Slots: toRanges(unserved)})
	}
	return gaps
}

// dedupe keeps one counted dump per key (nil keys are never duplicates):
// the one rank puts highest, then the one with more keys, then the first.
func (l *Layout) dedupe(key func(*Membership) any, rank func(*Membership) int) {
	groups := map[any][]int{}
	var order []any
	for i := range l.Members {
		m := &l.Members[i]
		k := key(m)
		if k == nil || !m.Counted() {
			continue
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		if len(idx) < 2 {
			continue
		}
		keep := idx[0]
		for _, i := range idx[1:] {
			a, b := &l.Members[i], &l.Members[keep]
			if ra, rb := rank(a), rank(b); ra > rb || ra == rb && a.Keys > b.Keys {
				keep = i
			}
		}
		for _, i := range idx {
			if i != keep {
				l.Members[i].Outsider = OutsiderDuplicate
				l.Members[i].Twin = l.Members[keep].Node
			}
		}
	}
}

// toRanges turns sorted slots into inclusive ranges.
func toRanges(slots []int) [][2]int {
	var out [][2]int
	for i := 0; i < len(slots); {
		j := i
		for j+1 < len(slots) && slots[j+1] == slots[j]+1 {
			j++
		}
		out = append(out, [2]int{slots[i], slots[j]})
		i = j + 1
	}
	return out
}

// interleaveMin is how many times two dumps' slots must alternate along
// the slot space before they count as interleaved: nodes of one cluster
// meet once or twice at the borders of their slot ranges.
const interleaveMin = 4

// bySlotRuns finds outsiders and duplicates without CLUSTER NODES, from
// how the dumps' slots lie along the slot space. It only marks any when
// the dumps it keeps hold disjoint runs of slots, as a cluster's nodes
// do: servers sharded by the application, or test nodes holding the same
// key names, interleave everywhere and have no one dump to single out.
func (l *Layout) bySlotRuns(held [][]int) {
	sets := make([]map[int]bool, len(held))
	for i := range held {
		sets[i] = map[int]bool{}
		for _, s := range held[i] {
			sets[i][s] = true
		}
	}
	var marked []int
	mark := func(i int, why string, twin int) {
		l.Members[i].Outsider = why
		if twin >= 0 {
			l.Members[i].Twin = l.Members[twin].Node
		}
		marked = append(marked, i)
	}
	candidates := func() []int {
		var out []int
		for i := range held {
			if l.Members[i].Counted() && len(sets[i]) > 0 {
				out = append(out, i)
			}
		}
		return out
	}
	// Duplicates first: a replica's dump overlaps its master's almost
	// entirely, and would otherwise look interleaved with it.
	for _, i := range candidates() {
		for _, j := range candidates() {
			if j >= i || !l.Members[i].Counted() {
				break
			}
			common := 0
			for s := range sets[i] {
				if sets[j][s] {
					common++
				}
			}
			if 2*common > min(len(sets[i]), len(sets[j])) {
				if l.Members[i].Keys > l.Members[j].Keys {
					mark(j, OutsiderDuplicate, i)
				} else {
					mark(i, OutsiderDuplicate, j)
				}
			}
		}
	}
	// Then standalone dumps, most interleaved first, until no dump
	// interleaves with two others.
	spread := 0
	for {
		core := candidates()
		degree, total := map[int]int{}, map[int]int{}
		for p, c := range transitions(core, held) {
			total[p[0]] += c
			total[p[1]] += c
			if c >= interleaveMin {
				degree[p[0]]++
				degree[p[1]]++
			}
		}
		worst := -1
		for _, i := range core {
			if degree[i] >= 2 && (worst < 0 || degree[i] > degree[worst] || degree[i] == degree[worst] && total[i] > total[worst]) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		mark(worst, OutsiderSpread, -1)
		spread++
	}
	core := candidates()
	clean := len(core) >= 2 && spread < len(core)
	for _, c := range transitions(core, held) {
		clean = clean && c < interleaveMin
	}
	if !clean {
		for _, i := range marked {
			l.Members[i].Outsider, l.Members[i].Twin = "", ""
		}
	}
}

// transitions counts, for each pair of the dumps idx, how many times one
// gives way to the other walking the slot space in order.
func transitions(idx []int, held [][]int) map[[2]int]int {
	seq := sequence(idx, held)
	pairs := map[[2]int]int{}
	for k := 1; k < len(seq); k++ {
		a, b := seq[k-1].node, seq[k].node
		if a != b {
			pairs[[2]int{min(a, b), max(a, b)}]++
		}
	}
	return pairs
}
