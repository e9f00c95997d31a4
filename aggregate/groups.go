package aggregate

import (
	"hash/maphash"
	"math"
	"math/bits"
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
// its biggest key live in one buffer of its own (the name first), reused
// when the entry is evicted and given to another group: the tables of
// deep prefixes evict on nearly every key, and must not allocate each
// time.
//
// An eviction reads nothing of the entry (Other is what the table saw
// less what its entries hold, its tag is in the heap, the memory of its
// biggest key in spaceSaving.bigMem), and writes what the newcomer's
// first key sets. So the fields every add touches come first, the
// biggest key is kept as a Key, copied as it is, to be turned into a
// KeyInfo on export only, and the counts by type take room only in the
// entries of more than one type, which are few: an entry of one type
// holds them in keys and memory. An entry is 208 bytes where it was 368:
// the tables hold more of theirs in cache, and an eviction touches as few
// lines of one as it can.
type ssEntry struct {
	name   string // a view of buf[:len(name)]
	ti     uint8  // the type index of the first key
	mixed  bool   // keys of other types than ti came: byType holds the counts by type
	keys   int64
	memory int64
	noTTL  KeysMemory
	err    int64
	// byType is the counts by type once mixed; kept when the entry is
	// given to another group, and zeroed when that one is mixed.
	byType *[len(typeNames)]KeysMemory
	big    Key    // the biggest key; its Key is a view of buf[len(name):]
	buf    []byte // the name, then the biggest key's name
}

// init makes e the entry of a new group called name, whose error is err,
// holding key k of type index ti, keeping e's buffer: field by field,
// where a struct literal would be built on the stack and copied whole, on
// nearly every key of a deep prefix. shared says that name starts k.Key
// (see spaceSaving.shared).
func (e *ssEntry) init(name string, err int64, k *Key, ti int, shared bool) {
	e.err = err
	e.keys, e.memory = 1, k.Memory
	e.noTTL = KeysMemory{}
	if k.ExpiresAt == 0 {
		e.noTTL = KeysMemory{Keys: 1, Memory: k.Memory}
	}
	e.ti, e.mixed = uint8(ti), false
	e.big = *k
	if shared {
		e.buf = append(e.buf[:0], k.Key...)
		p := unsafe.SliceData(e.buf)
		e.name, e.big.Key = unsafe.String(p, len(name)), unsafe.String(p, len(k.Key))
		return
	}
	e.buf = append(append(e.buf[:0], name...), k.Key...)
	e.name = unsafe.String(unsafe.SliceData(e.buf), len(name))
	e.big.Key = unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.buf)), len(name))), len(k.Key))
}

// count counts key k, of type index ti, into e; the caller sets the
// biggest key (setBig).
func (e *ssEntry) count(k *Key, ti int) {
	if !e.mixed && ti != int(e.ti) {
		e.mix()
	}
	if e.mixed {
		t := &e.byType[ti]
		t.Keys++
		t.Memory += k.Memory
	}
	e.keys++
	e.memory += k.Memory
	if k.ExpiresAt == 0 {
		e.noTTL.Keys++
		e.noTTL.Memory += k.Memory
	}
}

// mix starts counting e by type: all it holds so far is of type ti.
func (e *ssEntry) mix() {
	if e.byType == nil {
		e.byType = new([len(typeNames)]KeysMemory)
	}
	*e.byType = [len(typeNames)]KeysMemory{}
	e.byType[e.ti] = KeysMemory{Keys: e.keys, Memory: e.memory}
	e.mixed = true
}

// types is e's counts by type.
func (e *ssEntry) types() *[len(typeNames)]KeysMemory {
	if e.mixed {
		return e.byType
	}
	var a [len(typeNames)]KeysMemory
	a[e.ti] = KeysMemory{Keys: e.keys, Memory: e.memory}
	return &a
}

// setBig makes k the entry's biggest key; shared as for init.
func (e *ssEntry) setBig(k *Key, shared bool) {
	n := len(e.name)
	if shared {
		// The name stays where it is, the start of the key.
		e.buf = append(e.buf[:n], k.Key[n:]...)
		p := unsafe.SliceData(e.buf)
		e.name, e.big = unsafe.String(p, n), *k // buf may have moved
		e.big.Key = unsafe.String(p, len(k.Key))
		return
	}
	e.buf = append(e.buf[:n], k.Key...)
	p := unsafe.SliceData(e.buf)
	e.name = unsafe.String(p, n) // buf may have moved
	e.big = *k
	e.big.Key = unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(p), n)), len(k.Key))
}

// biggestCopy is the entry's biggest key, its name copied out.
func (e *ssEntry) biggestCopy() KeyInfo {
	b := e.big.info()
	b.Key = KeyName(strings.Clone(string(b.Key)))
	return b
}

// ssItem is a heap slot: the counter it is ordered by (memory + error,
// then insertion order, which breaks ties cheaply) and the entry's id,
// so that sifting compares and moves without following pointers.
type ssItem struct {
	cnt int64
	seq uint64
	id  int32
	tag uint32 // the entry's (see spaceSaving.index), in what was padding
}

func (a *ssItem) less(b *ssItem) bool {
	return a.cnt < b.cnt || a.cnt == b.cnt && a.seq < b.seq
}

// below is 1 when a orders before b, else 0, without a branch: (cnt,
// seq) compared as one 128-bit number, cnt's sign bit flipped so that
// the order of unsigned numbers is that of signed ones. Which child is
// the smallest is a coin toss on every level of a sift, which branches
// would mispredict half the time.
func below(a, b *ssItem) int {
	_, c := bits.Sub64(a.seq, b.seq, 0)
	_, c = bits.Sub64(uint64(a.cnt)^1<<63, uint64(b.cnt)^1<<63, c)
	return int(c)
}

// spaceSaving is the mutable table behind Groups. Its heap is 4-ary:
// (cnt, seq) orders the entries totally, so the minimum, and with it
// every eviction, is the same whatever the heap's shape.
//
// Entries are found by name through an index of their own rather than a
// map: the caller hashes a name once (see hashName), and an eviction
// moves the name's slot without hashing the evicted name again, where a
// map would hash three times (lookup, delete, insert). The index and the
// heap hold ids and 32-bit tags, so that a miss (a new group, the common
// case of deep prefixes), a sift and an eviction's unindex touch no
// entry.
type spaceSaving struct {
	capacity int
	seed     maphash.Seed
	entries  []ssEntry // by id
	pos      []int32   // pos[id] is where entries[id] is in heap
	bigMem   []int64   // bigMem[id] is the memory of entries[id]'s biggest key
	heap     []ssItem  // min-heap on (cnt, seq)
	// index is open addressing with linear probing, at most half full:
	// a slot is tag<<32 | id+1, 0 when empty, and a tag's home slot is
	// its top bits (tag >> shift).
	index []uint64
	shift uint
	seq   uint64
	// seen is every key the table took: keys, memory and NoTTL (Name,
	// ByType and Biggest unused), by type in seenBy. Other is seen less
	// what the entries hold, found on export, so that an eviction need
	// not read the evicted entry's counts (they are seldom in cache).
	seen     Group
	seenBy   [len(typeNames)]KeysMemory
	otherBig KeyInfo // the biggest key of the evicted entries
	otherHas bool
	evicted  bool
	// shared is set when every group's name starts the names of its
	// keys, as a prefix does: an entry keeps the name of its biggest key
	// only, and its own name as the start of it, which halves what an
	// eviction copies into the entry's buffer.
	shared bool
}

// newSpaceSaving makes a table of capacity groups whose names are hashed
// with seed: tables given the same seed take the same hashes (see
// hashName), which the prefix depths of a key share.
func newSpaceSaving(capacity int, seed maphash.Seed) *spaceSaving {
	if capacity <= 0 {
		capacity = DefaultGroupCapacity
	}
	// Ids are 31 bits in the heap and the index (a billion groups, some
	// 400 GB of entries, is far past any use).
	capacity = min(capacity, math.MaxInt32>>1)
	s := &spaceSaving{capacity: capacity, seed: seed}
	s.resize(16)
	return s
}

// hashName is the hash of a group's name that add takes.
func hashName(seed maphash.Seed, name string) uint64 {
	return maphash.String(seed, name)
}

// resize makes the index n slots long (a power of 2) and fills it again.
func (s *spaceSaving) resize(n int) {
	s.index = make([]uint64, n)
	s.shift = uint(32 - bits.TrailingZeros(uint(n)))
	for _, it := range s.heap {
		s.index[s.free(it.tag)] = uint64(it.tag)<<32 | uint64(it.id+1)
	}
}

// free returns the first empty slot from tag's home on.
func (s *spaceSaving) free(tag uint32) int {
	mask := len(s.index) - 1
	i := int(tag >> s.shift)
	for s.index[i] != 0 {
		i = (i + 1) & mask
	}
	return i
}

// find returns the id of the entry called name, whose hash is h, or -1.
func (s *spaceSaving) find(name string, h uint64) int {
	tag := uint32(h >> 32)
	mask := len(s.index) - 1
	for i := int(tag >> s.shift); ; i = (i + 1) & mask {
		v := s.index[i]
		if v == 0 {
			return -1
		}
		if uint32(v>>32) == tag {
			if id := int(uint32(v)) - 1; s.entries[id].name == name {
				return id
			}
		}
	}
}

// unindex empties the slot of entry id, whose tag is tag, moving back the
// slots after it that would no longer be found from their home.
func (s *spaceSaving) unindex(id int, tag uint32) {
	mask := len(s.index) - 1
	want := uint64(tag)<<32 | uint64(id+1)
	i := int(tag >> s.shift)
	for s.index[i] != want {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; s.index[j] != 0; j = (j + 1) & mask {
		// The slot at j may fill the hole at i unless its home lies in
		// (i, j], cyclically.
		home := int(uint32(s.index[j]>>32) >> s.shift)
		if (j-home)&mask >= (j-i)&mask {
			s.index[i] = s.index[j]
			i = j
		}
	}
	s.index[i] = 0
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
		s.pos[h[i].id] = int32(i)
		i = p
	}
	h[i] = it
	s.pos[it.id] = int32(i)
}

// minChild returns the smallest child of heap slot i, or -1 for a leaf.
func (s *spaceSaving) minChild(i int) int {
	h := s.heap
	c := ssArity*i + 1
	if c+3 < len(h) {
		// A tournament of the 4 children, branch-free.
		a := c + below(&h[c+1], &h[c])
		b := c + 2 + below(&h[c+3], &h[c+2])
		return a + below(&h[b], &h[a])*(b-a)
	}
	return s.minOfLast(c)
}

// minOfLast is minChild for the last slot with children, which may have
// fewer than 4 (c its first, or none when c is past the end).
func (s *spaceSaving) minOfLast(c int) int {
	h := s.heap
	if c >= len(h) {
		return -1
	}
	m := c
	for j := c + 1; j < len(h); j++ {
		if h[j].less(&h[m]) {
			m = j
		}
	}
	return m
}

func (s *spaceSaving) down(i int) {
	h := s.heap
	it := h[i]
	for {
		m := s.minChild(i)
		if m < 0 {
			break
		}
		if !h[m].less(&it) {
			break
		}
		h[i] = h[m]
		s.pos[h[i].id] = int32(i)
		i = m
	}
	h[i] = it
	s.pos[it.id] = int32(i)
}

// add folds key k, of type index ti (typeIndex of k.Type), into the group
// called name, whose hash is h (hashName with the table's seed). name may
// point into a reused buffer: it is copied only when a new entry is made.
func (s *spaceSaving) add(name string, h uint64, k *Key, ti int) {
	s.seen.Keys++
	s.seen.Memory += k.Memory
	if k.ExpiresAt == 0 {
		s.seen.NoTTL.Keys++
		s.seen.NoTTL.Memory += k.Memory
	}
	t := &s.seenBy[ti]
	t.Keys++
	t.Memory += k.Memory
	if id := s.find(name, h); id >= 0 {
		s.entries[id].count(k, ti)
		if k.Memory > s.bigMem[id] {
			s.bigMem[id] = k.Memory
			s.entries[id].setBig(k, s.shared)
		}
		i := int(s.pos[id])
		s.heap[i].cnt += k.Memory
		s.down(i)
		return
	}
	s.seq++
	tag := uint32(h >> 32)
	if len(s.heap) < s.capacity {
		id := len(s.entries)
		if 2*(id+1) > len(s.index) {
			s.resize(2 * len(s.index))
		}
		s.entries = append(s.entries, ssEntry{})
		s.entries[id].init(name, 0, k, ti, s.shared)
		s.bigMem = append(s.bigMem, k.Memory)
		s.index[s.free(tag)] = uint64(tag)<<32 | uint64(id+1)
		s.pos = append(s.pos, int32(len(s.heap)))
		s.heap = append(s.heap, ssItem{cnt: k.Memory, seq: s.seq, id: int32(id), tag: tag})
		s.up(len(s.heap) - 1)
		return
	}
	// Full: the smallest entry makes room. Its exact counts go to
	// (other), which holds what the entries do not (see seen); the
	// newcomer inherits its count as error, which is the most it can
	// have had while it was not tracked.
	it := &s.heap[0]
	id := int(it.id)
	e := &s.entries[id]
	s.evicted = true
	if !s.otherHas || s.bigMem[id] > s.otherBig.Memory {
		s.otherBig = e.biggestCopy()
		s.otherHas = true
	}
	s.unindex(id, it.tag)
	err := it.cnt
	e.init(name, err, k, ti, s.shared)
	s.bigMem[id] = k.Memory
	s.index[s.free(tag)] = uint64(tag)<<32 | uint64(id+1)
	s.replaceMin(ssItem{cnt: err + k.Memory, seq: s.seq, id: int32(id), tag: tag})
}

// replaceMin puts it in place of the heap's minimum. The newcomer of an
// eviction counts at least the minimum plus its key, more than most of
// the table: it would sink to the bottom comparing itself on every
// level. So the hole goes down to a leaf along the smallest children,
// and it rises from there (Floyd's variant), seldom by more than a level.
func (s *spaceSaving) replaceMin(it ssItem) {
	h := s.heap
	i := 0
	for {
		m := s.minChild(i)
		if m < 0 {
			break
		}
		h[i] = h[m]
		s.pos[h[i].id] = int32(i)
		i = m
	}
	h[i] = it
	s.up(i)
}

// groups exports the table.
func (s *spaceSaving) groups(depth int) *Groups {
	g := &Groups{Depth: depth, Capacity: s.capacity, Entries: make([]Group, 0, len(s.heap))}
	for _, it := range s.heap {
		e := &s.entries[it.id]
		b := e.biggestCopy()
		g.Entries = append(g.Entries, Group{Name: KeyName(strings.Clone(e.name)), Keys: e.keys, Memory: e.memory,
			NoTTL: e.noTTL, ByType: typeTotals(e.types()), Biggest: &b, Error: e.err})
	}
	sortGroups(g.Entries)
	// Other: what the table saw less what its entries hold, which is
	// exactly what the evicted entries held.
	o := Group{Name: OtherGroup, Keys: s.seen.Keys, Memory: s.seen.Memory, NoTTL: s.seen.NoTTL}
	by := s.seenBy
	for i := range s.entries {
		e := &s.entries[i]
		o.Keys -= e.keys
		o.Memory -= e.memory
		o.NoTTL.Keys -= e.noTTL.Keys
		o.NoTTL.Memory -= e.noTTL.Memory
		et := e.types()
		for t := range by {
			by[t].Keys -= et[t].Keys
			by[t].Memory -= et[t].Memory
		}
	}
	g.Other = o
	g.Other.ByType = typeTotals(&by)
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
