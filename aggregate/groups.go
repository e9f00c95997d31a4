package aggregate

import (
	"sort"
	"strings"
	"unsafe"
)

// OtherGroup names the group that holds what the bounded tables of families,
// prefixes and hash tags could not keep.
const OtherGroup = "(other)"

// Group is one key family, prefix or hash tag and the keys it holds.
//
// Keys, Memory, ByType and NoTTL are exact counts of the keys seen since
// the group entered its bounded table; Error bounds the memory it may have
// had before (see Groups): the group's true memory is in
// [Memory, Memory+Error]. Error is 0 whenever nothing was evicted.
type Group struct {
	Name   KeyName    `json:"name"`
	Keys   int64      `json:"keys"`
	Memory int64      `json:"memory"`
	ByType TypeTotals `json:"by_type"`
	// NoTTL is the part of Keys and Memory without a TTL: what
	// volatile-* eviction can never reclaim.
	NoTTL   KeysMemory `json:"no_ttl"`
	Biggest *KeyInfo   `json:"biggest,omitempty"`
	Error   int64      `json:"error"`
}

// Groups is a bounded table of groups: the weighted space-saving summary
// (Metwally et al.) of a node's keys by family, prefix or hash tag,
// weighted by memory.
//
// At most Capacity groups are kept. Entries plus Other add up exactly to
// the keys and memory the table saw. Any group whose true memory exceeds
// MaxError is guaranteed to be in Entries; for one node MaxError is at
// most the node's memory / Capacity. See docs/families.md for the bound
// after Merge.
type Groups struct {
	Depth    int     `json:"depth,omitempty"` // prefix depth; 0 for families and hash tags
	Capacity int     `json:"capacity"`
	Entries  []Group `json:"entries"` // biggest memory first
	Other    Group   `json:"other"`
	MaxError int64   `json:"max_error"`
}

// Find returns the entry called name, if kept.
func (g *Groups) Find(name string) *Group {
	if g == nil {
		return nil
	}
	for i := range g.Entries {
		if string(g.Entries[i].Name) == name {
			return &g.Entries[i]
		}
	}
	return nil
}

// typeIndex folds TYPE names into a fixed array so that an entry needs no
// map per key.
var typeNames = [...]string{"string", "list", "set", "zset", "hash", "stream", "module", "other"}

func typeIndex(t string) int {
	switch t {
	case "string":
		return 0
	case "list":
		return 1
	case "set":
		return 2
	case "zset":
		return 3
	case "hash":
		return 4
	case "stream":
		return 5
	}
	if strings.HasPrefix(t, "module") {
		return 6
	}
	return 7
}

// ssEntry is one group of a spaceSaving table. Its name and the name of
// its biggest key live in buffers of its own, reused when the entry is
// evicted and given to another group: the tables of deep prefixes evict
// on nearly every key, and must not allocate each time.
type ssEntry struct {
	name    string // a view of nameBuf
	nameBuf []byte
	keys    int64
	memory  int64
	noTTL   KeysMemory
	byType  [len(typeNames)]KeysMemory
	biggest KeyInfo // its Key is a view of bigBuf
	bigBuf  []byte
	hasBig  bool
	err     int64
	idx     int // position in the heap
}

// setName makes name the entry's name.
func (e *ssEntry) setName(name []byte) {
	e.nameBuf = append(e.nameBuf[:0], name...)
	e.name = unsafe.String(unsafe.SliceData(e.nameBuf), len(e.nameBuf))
}

func (e *ssEntry) add(k *Key) {
	e.keys++
	e.memory += k.Memory
	t := &e.byType[typeIndex(k.Type)]
	t.Keys++
	t.Memory += k.Memory
	if k.ExpiresAt == 0 {
		e.noTTL.Keys++
		e.noTTL.Memory += k.Memory
	}
	if !e.hasBig || k.Memory > e.biggest.Memory {
		e.biggest = k.info()
		e.bigBuf = append(e.bigBuf[:0], k.Key...)
		e.biggest.Key = KeyName(unsafe.String(unsafe.SliceData(e.bigBuf), len(e.bigBuf)))
		e.hasBig = true
	}
}

// biggestCopy is the entry's biggest key, its name copied out.
func (e *ssEntry) biggestCopy() KeyInfo {
	b := e.biggest
	b.Key = KeyName(strings.Clone(string(b.Key)))
	return b
}

// ssItem is a heap slot: the counter it is ordered by (memory + error,
// then insertion order, which breaks ties cheaply) kept beside the entry
// so that sifting compares without following pointers.
type ssItem struct {
	cnt int64
	seq uint64
	e   *ssEntry
}

func (a *ssItem) less(b *ssItem) bool {
	if a.cnt != b.cnt {
		return a.cnt < b.cnt
	}
	return a.seq < b.seq
}

// spaceSaving is the mutable table behind Groups. Its heap is 4-ary:
// (cnt, seq) orders the entries totally, so the minimum, and with it
// every eviction, is the same whatever the heap's shape.
type spaceSaving struct {
	capacity int
	m        map[string]*ssEntry
	heap     []ssItem // min-heap on (cnt, seq)
	seq      uint64
	other    Group
	otherBy  [len(typeNames)]KeysMemory
	otherBig KeyInfo
	otherHas bool
	evicted  bool
}

func newSpaceSaving(capacity int) *spaceSaving {
	if capacity <= 0 {
		capacity = DefaultGroupCapacity
	}
	return &spaceSaving{capacity: capacity, m: make(map[string]*ssEntry, capacity)}
}

const ssArity = 4

func (s *spaceSaving) up(i int) {
	h := s.heap
	it := h[i]
	for i > 0 {
		p := (i - 1) / ssArity
		if !it.less(&h[p]) {
			break
		}
		h[i] = h[p]
		h[i].e.idx = i
		i = p
	}
	h[i] = it
	it.e.idx = i
}

func (s *spaceSaving) down(i int) {
	h := s.heap
	it := h[i]
	for {
		c := ssArity*i + 1
		if c >= len(h) {
			break
		}
		m := c
		for j := c + 1; j < c+ssArity && j < len(h); j++ {
			if h[j].less(&h[m]) {
				m = j
			}
		}
		if !h[m].less(&it) {
			break
		}
		h[i] = h[m]
		h[i].e.idx = i
		i = m
	}
	h[i] = it
	it.e.idx = i
}

// add folds key k into the group called name. name may point into a
// reused buffer: it is copied only when a new entry is made.
func (s *spaceSaving) add(name []byte, k *Key) {
	if e := s.m[string(name)]; e != nil {
		e.add(k)
		s.heap[e.idx].cnt += k.Memory
		s.down(e.idx)
		return
	}
	s.seq++
	if len(s.heap) < s.capacity {
		e := &ssEntry{idx: len(s.heap)}
		e.setName(name)
		s.m[e.name] = e
		s.heap = append(s.heap, ssItem{seq: s.seq, e: e})
		e.add(k)
		s.heap[e.idx].cnt = k.Memory
		s.up(e.idx)
		return
	}
	// Full: the smallest entry makes room. Its exact counts go to
	// (other); the newcomer inherits its count as error, which is the
	// most it can have had while it was not tracked.
	it := &s.heap[0]
	e := it.e
	s.evicted = true
	s.foldOther(e)
	delete(s.m, e.name)
	err := it.cnt
	*e = ssEntry{nameBuf: e.nameBuf, bigBuf: e.bigBuf, err: err}
	e.setName(name)
	s.m[e.name] = e
	e.add(k)
	it.cnt, it.seq = err+k.Memory, s.seq
	s.down(0)
}

func (s *spaceSaving) foldOther(e *ssEntry) {
	s.other.Keys += e.keys
	s.other.Memory += e.memory
	s.other.NoTTL.Keys += e.noTTL.Keys
	s.other.NoTTL.Memory += e.noTTL.Memory
	for i := range e.byType {
		s.otherBy[i].Keys += e.byType[i].Keys
		s.otherBy[i].Memory += e.byType[i].Memory
	}
	if e.hasBig && (!s.otherHas || e.biggest.Memory > s.otherBig.Memory) {
		s.otherBig = e.biggestCopy()
		s.otherHas = true
	}
}

// groups exports the table.
func (s *spaceSaving) groups(depth int) *Groups {
	g := &Groups{Depth: depth, Capacity: s.capacity, Entries: make([]Group, 0, len(s.heap))}
	for _, it := range s.heap {
		e := it.e
		ge := Group{Name: KeyName(strings.Clone(e.name)), Keys: e.keys, Memory: e.memory, NoTTL: e.noTTL,
			ByType: typeTotals(&e.byType), Error: e.err}
		if e.hasBig {
			b := e.biggestCopy()
			ge.Biggest = &b
		}
		g.Entries = append(g.Entries, ge)
	}
	sortGroups(g.Entries)
	g.Other = s.other
	g.Other.Name = OtherGroup
	g.Other.ByType = typeTotals(&s.otherBy)
	if s.otherHas {
		b := s.otherBig
		g.Other.Biggest = &b
	}
	if s.evicted && len(s.heap) > 0 {
		// An untracked group has at most the smallest count in the table.
		g.MaxError = s.heap[0].cnt
	}
	return g
}

// typeTotals lists the types of a table entry that hold keys or memory,
// sized to fit: the profile keeps one per entry.
func typeTotals(a *[len(typeNames)]KeysMemory) TypeTotals {
	n := 0
	for _, v := range a {
		if v.Keys != 0 || v.Memory != 0 {
			n++
		}
	}
	ts := make(TypeTotals, 0, n)
	for i, v := range a {
		if v.Keys != 0 || v.Memory != 0 {
			ts = append(ts, TypeTotal{Type: typeNames[i], KeysMemory: v})
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Type < ts[j].Type })
	return ts
}

func sortGroups(es []Group) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Memory != es[j].Memory {
			return es[i].Memory > es[j].Memory
		}
		return es[i].Name < es[j].Name
	})
}

func addGroup(dst *Group, src *Group) {
	dst.Keys += src.Keys
	dst.Memory += src.Memory
	dst.NoTTL.Keys += src.NoTTL.Keys
	dst.NoTTL.Memory += src.NoTTL.Memory
	if dst.ByType == nil {
		dst.ByType = TypeTotals{}
	}
	for _, v := range src.ByType {
		dst.ByType.Add(v.Type, KeysMemory{Keys: v.Keys, Memory: v.Memory})
	}
	if src.Biggest != nil && (dst.Biggest == nil || less(dst.Biggest, src.Biggest)) {
		b := *src.Biggest
		dst.Biggest = &b
	}
}

// mergeGroups combines the tables of several nodes (nodes[i] named
// names[i]) into one of at most capacity entries.
//
// A group kept by some nodes and not by others may have had, on each of
// the others, up to that node's MaxError: that is added to its Error. When
// more than capacity groups result, the smallest (by Memory+Error) are
// folded into Other and the largest such upper bound raises MaxError.
func mergeGroups(capacity int, names []string, gs []*Groups) *Groups {
	var depth int
	var sumMax int64
	byName := map[string]*Group{}
	var order []string
	out := &Groups{Capacity: capacity, Other: Group{Name: OtherGroup, ByType: TypeTotals{}}}
	present := 0
	for i, g := range gs {
		if g == nil {
			continue
		}
		present++
		depth = g.Depth
		if g.Capacity > out.Capacity {
			out.Capacity = g.Capacity
		}
		sumMax += g.MaxError
		node := ""
		if i < len(names) {
			node = names[i]
		}
		for j := range g.Entries {
			e := tagGroup(g.Entries[j], node)
			m := byName[string(e.Name)]
			if m == nil {
				m = &Group{Name: e.Name, ByType: TypeTotals{}}
				byName[string(e.Name)] = m
				order = append(order, string(e.Name))
			}
			addGroup(m, &e)
			m.Error += e.Error
		}
		o := tagGroup(g.Other, node)
		addGroup(&out.Other, &o)
	}
	if present == 0 {
		return nil
	}
	out.Depth = depth
	// A group missing from a node's table may have had up to that node's
	// MaxError there, hidden in its (other).
	for _, g := range gs {
		if g == nil || g.MaxError == 0 {
			continue
		}
		kept := make(map[string]bool, len(g.Entries))
		for j := range g.Entries {
			kept[string(g.Entries[j].Name)] = true
		}
		for name, m := range byName {
			if !kept[name] {
				m.Error += g.MaxError
			}
		}
	}
	es := make([]Group, 0, len(order))
	for _, n := range order {
		es = append(es, *byName[n])
	}
	sort.Slice(es, func(i, j int) bool {
		ci, cj := es[i].Memory+es[i].Error, es[j].Memory+es[j].Error
		if ci != cj {
			return ci > cj
		}
		return es[i].Name < es[j].Name
	})
	out.MaxError = sumMax
	if out.Capacity > 0 && len(es) > out.Capacity {
		for i := out.Capacity; i < len(es); i++ {
			addGroup(&out.Other, &es[i])
			if c := es[i].Memory + es[i].Error; c > out.MaxError {
				out.MaxError = c
			}
		}
		es = es[:out.Capacity]
	}
	sortGroups(es)
	out.Entries = es
	return out
}

// tagGroup returns g with its biggest key tagged with the node it lives on.
func tagGroup(g Group, node string) Group {
	if g.Biggest != nil && g.Biggest.Node == "" && node != "" {
		b := *g.Biggest
		b.Node = node
		g.Biggest = &b
	}
	return g
}
