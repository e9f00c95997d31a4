package aggregate

import (
	"container/heap"
	"hash/maphash"
	"sort"
	"strings"
	"time"
)

// Options tune how keys are folded into a profile.
type Options struct {
	// TopN is how many of the biggest keys to keep, overall and per type.
	TopN int
	// Now overrides the reference time of the expiry buckets (Unix
	// seconds). 0 means the dump's own ctime.
	Now int64
	// Separators split keys into segments for families and prefixes
	// (--sep); none means detect them from the node's keys (see
	// DetectSeparators): the first keys are held until the sample is
	// complete.
	Separators []string
	// PrefixDepth is how many segments deep prefixes go (--prefix-depth);
	// <= 0 means DefaultPrefixDepth.
	PrefixDepth int
	// GroupCapacity bounds each table of families, prefixes (per depth)
	// and hash tags; <= 0 means DefaultGroupCapacity.
	GroupCapacity int
	// Filter, if set, selects the keys of Node.Filtered: how many there
	// are, their memory and the TopN biggest of them. Everything else
	// covers every key.
	Filter *KeyMatcher
	// Workers is how many goroutines feed the tables side by side; 0
	// means one per core (GOMAXPROCS), at most one per table; 1 feeds
	// them all on the goroutine that calls Builder.Add, key by key. The
	// profile does not depend on it.
	Workers int
}

// Defaults of Options.
const (
	DefaultTopN        = 50
	DefaultPrefixDepth = 3
	// DefaultGroupCapacity keeps every group above 0.1% of a node's
	// memory with certainty: ten times finer than the 1% that findings
	// care about, for about 1 MB of state per table.
	DefaultGroupCapacity = 1000
)

// DefaultOptions returns the options the command line starts from.
func DefaultOptions() Options {
	return Options{TopN: DefaultTopN, PrefixDepth: DefaultPrefixDepth, GroupCapacity: DefaultGroupCapacity}
}

// Expiry bucket labels, in display order.
var expiryLabels = []string{"expired", "<1h", "1h-24h", "1d-7d", "7d-30d", ">30d", "none"}

// expiryBucket returns the index in expiryLabels of a key expiring at
// expiresAt (Unix ms; 0 = never) seen from ref (Unix ms).
func expiryBucket(expiresAt, ref int64) int {
	if expiresAt == 0 {
		return 6
	}
	// In milliseconds: a time.Duration overflows for expiries centuries
	// away, which EXPIREAT happily stores.
	const hour = int64(time.Hour / time.Millisecond)
	if expiresAt <= ref {
		// Compared, not subtracted: an expiry of -2^63 ms minus a
		// positive reference wraps around to the far future.
		return 0
	}
	d := expiresAt - ref
	switch {
	case d < 0: // wrapped around: the far future
		return 5
	case d < hour:
		return 1
	case d < 24*hour:
		return 2
	case d < 7*24*hour:
		return 3
	case d < 30*24*hour:
		return 4
	default:
		return 5
	}
}

// Builder folds the keys of one node into a Node profile as they stream
// by; it keeps no per-key state beyond the top-N heaps.
//
// Its tables (totals, top keys, slots, families, prefixes per depth, hash
// tags) are independent of each other. With more than one worker (see
// Options.Workers) Add copies keys into batches and each batch is fed to
// every table by the goroutine of the table's group (see feed.go), each
// table seeing the keys in Add order: the profile is the same as when
// every table is fed on the caller's goroutine, key by key.
type Builder struct {
	opts     Options
	node     *Node
	refMs    int64
	top      *topN
	byType   map[string]*topN
	split    *splitter
	seed     maphash.Seed // hashes group names, for every table alike
	families *spaceSaving
	prefixes []*spaceSaving
	hashtags *spaceSaving
	slots    []KeysMemory // dense, NumSlots long
	encs     []encEntry   // the ByEncoding stats met so far
	types    []typeEntry  // the ByType stats met so far
	dbs      []dbEntry    // the ByDB stats met so far
	tops     []typeTop    // the lists of byType met so far

	// Separators not given: the first keys wait in sample until they
	// tell which to use.
	detect bool
	sample []Key

	filtered *Filtered // with ftop, when opts.Filter is set
	ftop     *topN

	serial *feeder   // every table, fed on the caller's goroutine
	pipe   *pipeline // nil: Add feeds serial key by key
	cut    Key       // a key of Add whose name is cut, on the serial path
}

// SeparatorSample is how many keys decide the separators of a node whose
// separators were not given: the first keys of a dump come in hash table
// order, a fair sample of its names.
const SeparatorSample = 4096

// NewBuilder starts the profile of the node called name.
func NewBuilder(name string, opts Options) *Builder {
	if opts.TopN <= 0 {
		opts.TopN = DefaultTopN
	}
	if opts.PrefixDepth <= 0 {
		opts.PrefixDepth = DefaultPrefixDepth
	}
	if opts.GroupCapacity <= 0 {
		opts.GroupCapacity = DefaultGroupCapacity
	}
	n := newNode(name)
	seed := maphash.MakeSeed()
	b := &Builder{opts: opts, node: n, top: &topN{n: opts.TopN}, byType: map[string]*topN{},
		split:    newSplitter(opts.Separators),
		detect:   len(opts.Separators) == 0,
		seed:     seed,
		families: newSpaceSaving(opts.GroupCapacity, seed),
		hashtags: newSpaceSaving(opts.GroupCapacity, seed),
		slots:    make([]KeysMemory, NumSlots),
	}
	for range opts.PrefixDepth {
		p := newSpaceSaving(opts.GroupCapacity, seed)
		p.shared = true // a prefix starts every key it holds
		b.prefixes = append(b.prefixes, p)
	}
	if !b.detect {
		n.Separators = b.split.seps
	}
	if opts.Filter != nil {
		b.filtered, b.ftop = &Filtered{}, &topN{n: opts.TopN}
	}
	b.serial = b.newFeeder(b.allTables())
	if w := tableWorkers(opts.Workers); w > 1 {
		b.pipe = newPipeline(b, w)
	}
	b.SetSource(nil)
	return b
}

// settle decides the separators from the keys held so far and folds
// them in.
func (b *Builder) settle() {
	b.detect = false
	b.split = newSplitter(DetectSeparators(b.sample))
	b.node.Separators = b.split.seps
	ks := b.sample
	b.sample = nil
	for i := range ks {
		b.Add(&ks[i])
	}
}

// newNode returns an empty profile with every map and bucket in place.
func newNode(name string) *Node {
	n := &Node{
		Name:       name,
		ByType:     map[string]*Stat{},
		ByEncoding: map[string]*Stat{},
		ByDB:       map[int]*Stat{},
		Expiry:     make([]Bucket, len(expiryLabels)),
		TopByType:  map[string][]KeyInfo{},
	}
	for i, l := range expiryLabels {
		n.Expiry[i].Label = l
	}
	return n
}

// SetSource records what the dump says about itself; call it before the
// first Add so that expiry buckets use the dump's ctime.
func (b *Builder) SetSource(src *Source) {
	b.node.Source = src
	ref := b.opts.Now
	if ref == 0 && src != nil {
		ref = src.CTime
	}
	if ref == 0 {
		// Old dumps have no ctime: fall back to the time of the run.
		ref = time.Now().Unix()
	}
	b.node.ExpiryReference = ref
	b.refMs = ref * 1000
}

// Add folds one key into the profile. k and its name are read during the
// call only (a batch keeps a copy of the name); its Type and Encoding
// strings are kept as they are, like the names of any table.
func (b *Builder) Add(k *Key) {
	if b.detect {
		c := *k
		c.Key = strings.Clone(k.Key)
		b.sample = append(b.sample, c)
		if len(b.sample) >= SeparatorSample {
			b.settle()
		}
		return
	}
	if b.pipe != nil {
		if b.pipe.serialKeys == 0 {
			b.pipe.add(k)
			return
		}
		// A node's first keys are fed here, key by key: a node that
		// small costs no batch.
		b.pipe.serialKeys--
	}
	one := [1]keyItem{b.prepare(k, &b.cut)}
	b.serial.feed(one[:])
	if one[0].k == &b.cut {
		b.cut = Key{} // its name is the caller's
	}
}

// prepare returns the item of key k as every table reads it. The filter,
// the slot and the hash tag need the whole name (a pattern or a hash tag
// may lie anywhere); the tables get at most MaxProfileKey bytes of it:
// for a longer name the item's key is cut, a copy of k with the name cut
// (whose name a batch then replaces with a copy). It returns the item
// rather than filling one so that k does not escape: the serial path
// keeps it on the caller's stack.
func (b *Builder) prepare(k, cut *Key) keyItem {
	// Whatever needs the whole name first: cut may be k.
	selected := b.filtered != nil && b.opts.Filter.Match(k)
	tag, tagged := hashTag(k.Key)
	slot := crc16(tag) & (NumSlots - 1)
	var it keyItem
	if len(k.Key) > MaxProfileKey {
		*cut = *k
		cut.Key, cut.fullLen = k.Key[:MaxProfileKey], int64(len(k.Key))
		it = b.itemOf(cut)
		if len(tag) > MaxProfileKey {
			tag = tag[:MaxProfileKey]
		}
	} else {
		it = b.itemOf(k)
	}
	it.selected, it.pre, it.tag, it.tagged, it.slot = selected, true, tag, tagged, slot
	return it
}

// addTotals folds k into the node's totals, its type, encoding and db
// stats, its TTL split and its expiry bucket.
func (b *Builder) addTotals(k *Key) {
	n := b.node
	n.Keys++
	n.Memory += k.Memory
	n.Allocated += k.alloc()
	n.RDBBytes += k.RDBBytes
	n.Elements += k.Elements
	b.typeStat(k.Type).add(k)
	b.encStat(k.Type, k.Encoding).add(k)
	b.dbStat(k.DB).add(k)
	if k.ExpiresAt != 0 {
		n.TTL.With.Keys++
		n.TTL.With.Memory += k.Memory
		n.TTL.With.Allocated += k.alloc()
	} else {
		n.TTL.Without.Keys++
		n.TTL.Without.Memory += k.Memory
		n.TTL.Without.Allocated += k.alloc()
	}
	e := &n.Expiry[expiryBucket(k.ExpiresAt, b.refMs)]
	e.Keys++
	e.Memory += k.Memory
}

// addTop offers k to the top-N lists: overall, of its type, and of the
// filter when it is selected.
func (b *Builder) addTop(k *Key, selected bool) {
	b.top.offer(k)
	if selected {
		b.filtered.Keys++
		b.filtered.Memory += k.Memory
		b.ftop.offer(k)
	}
	b.typeTop(k.Type).offer(k)
}

// typeTop returns the top-N list of type typ, found in a short list (see
// encStat) rather than hashing typ per key.
func (b *Builder) typeTop(typ string) *topN {
	for i := range b.tops {
		if b.tops[i].typ == typ {
			return b.tops[i].top
		}
	}
	t := b.byType[typ]
	if t == nil {
		t = &topN{n: b.opts.TopN}
		b.byType[typ] = t
	}
	if len(b.tops) < maxShortList {
		b.tops = append(b.tops, typeTop{typ, t})
	}
	return t
}

// Node returns the profile built so far. Overhead, used-memory comparison,
// completeness and errors are the caller's to fill in.
func (b *Builder) Node() *Node {
	if b.detect {
		b.settle()
	}
	if b.pipe != nil {
		b.pipe.flush()
	}
	n := b.node
	n.TopKeys = b.top.sorted()
	for t, h := range b.byType {
		n.TopByType[t] = h.sorted()
	}
	n.Families = b.families.groups(0)
	n.Prefixes = n.Prefixes[:0]
	for d, p := range b.prefixes {
		n.Prefixes = append(n.Prefixes, p.groups(d+1))
	}
	n.Hashtags = b.hashtags.groups(0)
	n.Slots = slotsFrom(b.slots)
	if b.filtered != nil {
		b.filtered.TopKeys = b.ftop.sorted()
		n.Filtered = b.filtered
	}
	return n
}

// encEntry is the ByEncoding stat of one type and encoding.
type encEntry struct {
	typ, enc string
	stat     *Stat
}

// typeEntry is the ByType stat of one type.
type typeEntry struct {
	typ  string
	stat *Stat
}

// dbEntry is the ByDB stat of one db.
type dbEntry struct {
	db   int
	stat *Stat
}

// typeTop is the top-N list of one type.
type typeTop struct {
	typ string
	top *topN
}

// maxShortList bounds the short lists that find a node's stats by type,
// encoding or db: a node has a handful of each, and past the bound a
// name is looked up in the map.
const maxShortList = 64

// encStat returns the ByEncoding stat of type typ and encoding enc. A
// node has a handful of pairs, their names mostly the same few strings:
// a short list finds them without building "type/encoding" per key.
func (b *Builder) encStat(typ, enc string) *Stat {
	for i := range b.encs {
		if e := &b.encs[i]; e.typ == typ && e.enc == enc {
			return e.stat
		}
	}
	s := statFor(b.node.ByEncoding, typ+"/"+enc)
	if len(b.encs) < maxShortList {
		b.encs = append(b.encs, encEntry{typ, enc, s})
	}
	return s
}

// typeStat returns the ByType stat of type typ, found as encStat finds
// its own.
func (b *Builder) typeStat(typ string) *Stat {
	for i := range b.types {
		if b.types[i].typ == typ {
			return b.types[i].stat
		}
	}
	s := statFor(b.node.ByType, typ)
	if len(b.types) < maxShortList {
		b.types = append(b.types, typeEntry{typ, s})
	}
	return s
}

// dbStat returns the ByDB stat of db, found as encStat finds its own.
func (b *Builder) dbStat(db int) *Stat {
	for i := range b.dbs {
		if b.dbs[i].db == db {
			return b.dbs[i].stat
		}
	}
	s := b.node.ByDB[db]
	if s == nil {
		s = &Stat{}
		b.node.ByDB[db] = s
	}
	if len(b.dbs) < maxShortList {
		b.dbs = append(b.dbs, dbEntry{db, s})
	}
	return s
}

func statFor(m map[string]*Stat, k string) *Stat {
	s := m[k]
	if s == nil {
		s = &Stat{}
		m[k] = s
	}
	return s
}

// SortKeys sorts keys the way top lists are: biggest memory first, ties
// broken by db, name and node so that every run orders them alike.
func SortKeys(ks []KeyInfo) {
	sort.SliceStable(ks, func(i, j int) bool { return less(&ks[j], &ks[i]) })
}

// less orders keys by memory, then by db and name so that ties are broken
// the same way on every run.
func less(a, b *KeyInfo) bool {
	if a.Memory != b.Memory {
		return a.Memory < b.Memory
	}
	if a.DB != b.DB {
		return a.DB > b.DB
	}
	if a.Key != b.Key {
		return a.Key > b.Key
	}
	return a.Node > b.Node
}

// topN keeps the n biggest keys in a min-heap.
type topN struct {
	n int
	h keyHeap
}

func (t *topN) offer(k *Key) {
	if len(t.h) == t.n {
		min := &t.h[0]
		if k.Memory < min.Memory {
			return
		}
		ki := k.info()
		if !less(min, &ki) {
			return
		}
		ki.Key = KeyName(strings.Clone(k.Key))
		t.h[0] = ki
		heap.Fix(&t.h, 0)
		return
	}
	ki := k.info()
	ki.Key = KeyName(strings.Clone(k.Key))
	heap.Push(&t.h, ki)
}

func (t *topN) offerInfo(ki KeyInfo) {
	if len(t.h) == t.n {
		if !less(&t.h[0], &ki) {
			return
		}
		t.h[0] = ki
		heap.Fix(&t.h, 0)
		return
	}
	heap.Push(&t.h, ki)
}

// sorted returns the kept keys, biggest first.
func (t *topN) sorted() []KeyInfo {
	out := append([]KeyInfo{}, t.h...)
	SortKeys(out)
	return out
}

type keyHeap []KeyInfo

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return less(&h[i], &h[j]) }
func (h keyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyHeap) Push(x any)        { *h = append(*h, x.(KeyInfo)) }
func (h *keyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
