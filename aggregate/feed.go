package aggregate

import (
	"runtime"
	"sort"
	"sync/atomic"
	"unsafe"
)

// The tables of a Builder are fed in one of two ways, with the same code
// and the same result. Serially, Add hands each key to every table on the
// caller's goroutine. In parallel, Add copies keys into batches; a full
// batch goes to every group of tables, each group on a goroutine of its
// own that feeds the batch to its tables, so that each table sees every
// key, in Add order, exactly as the serial path would show it. Only the
// order between tables changes, and no table reads another.
//
// A group's goroutine lives for one batch: it waits for the group's
// previous batch to be done, feeds its own, and ends. Nothing outlives
// the batches in flight, which are at most maxBatches (the last one
// returns a batch to the free list): the memory held is bounded, a
// Builder that is dropped leaves no goroutine behind, and a scan that is
// cancelled ends, through Node, after at most maxBatches batches.

// Batch bounds: a batch is sent when it holds batchKeys keys or its names
// would outgrow batchBytes, and at most maxBatches exist per Builder (one
// being filled, the others being fed). A batch is ~0.45 MiB (its keys,
// items and names), so that a node holds at most ~1.8 MiB of them
// whatever the dump (-j 2 on many small dumps is what the parent's peak
// RSS is tight on), and the cost of a batch (one goroutine per group) is
// spread over thousands of keys.
const (
	batchKeys  = 2048
	batchBytes = 128 << 10
	maxBatches = 4
)

// tableKind names one of a Builder's tables.
type tableKind uint8

const (
	tableTotals   tableKind = iota // totals, by type, encoding and db, TTL, expiry
	tableTop                       // top keys overall, per type, filtered
	tableSlots                     // keys and memory per hash slot
	tableFamilies                  // families
	tableHashtags                  // hash tags
	tablePrefixes                  // prefixes, of the depths listed
)

// tableSet is some of a Builder's tables, fed together.
type tableSet struct {
	kind   tableKind
	depths []int // tablePrefixes: the depths (0-based) fed
}

// tableWeight is what feeding a table costs per key, relative to the
// others, as measured on the keys of mkdump's big preset
// (BenchmarkTables' cpu-ns/key, in units of ~25 ns): it balances the
// groups. Deep prefixes cost the most: nearly every key names a prefix
// of its own there, and evicts another from the table.
var tableWeight = [...]int{
	tableTotals:   2,
	tableTop:      1,
	tableSlots:    2,
	tableFamilies: 5,
	tableHashtags: 1,
}

// prefixWeight is tableWeight for the prefixes of depth d (0-based).
func prefixWeight(d int) int {
	if d == 0 {
		return 2
	}
	return 8
}

// allTables is every table of b, fed by one goroutine. The slots come
// last: the slot's counter is a cache miss, which the work before it
// can overlap, so in this order the serial path costs what it did before
// there were groups (BenchmarkAddChurn -cpu 1).
func (b *Builder) allTables() []tableSet {
	ps := tableSet{kind: tablePrefixes}
	for d := range b.prefixes {
		ps.depths = append(ps.depths, d)
	}
	return []tableSet{{kind: tableTotals}, {kind: tableTop}, {kind: tableFamilies}, ps, {kind: tableHashtags}, {kind: tableSlots}}
}

// groupTables splits b's tables into at most w groups of about equal
// cost: the costliest table first, each to the group with the least cost
// so far (ties to the first group). A prefix depth counts as a table;
// the depths of one group are fed together, splitting the key once.
func (b *Builder) groupTables(w int) [][]tableSet {
	type unit struct {
		kind   tableKind
		depth  int
		weight int
	}
	var us []unit
	for _, t := range []tableKind{tableTotals, tableTop, tableSlots, tableFamilies, tableHashtags} {
		us = append(us, unit{kind: t, weight: tableWeight[t]})
	}
	for d := range b.prefixes {
		us = append(us, unit{kind: tablePrefixes, depth: d, weight: prefixWeight(d)})
	}
	sort.SliceStable(us, func(i, j int) bool { return us[i].weight > us[j].weight })
	w = max(1, min(w, len(us)))
	load := make([]int, w)
	groups := make([][]tableSet, w)
	for _, u := range us {
		g := 0
		for i := range load {
			if load[i] < load[g] {
				g = i
			}
		}
		load[g] += u.weight
		if u.kind != tablePrefixes {
			groups[g] = append(groups[g], tableSet{kind: u.kind})
			continue
		}
		i := 0
		for i < len(groups[g]) && groups[g][i].kind != tablePrefixes {
			i++
		}
		if i == len(groups[g]) {
			groups[g] = append(groups[g], tableSet{kind: tablePrefixes})
		}
		groups[g][i].depths = append(groups[g][i].depths, u.depth)
	}
	for _, g := range groups {
		for _, ts := range g {
			sort.Ints(ts.depths) // feed reads the deepest last
		}
	}
	return groups
}

// tableWorkers is how many groups of tables Options.Workers asks for.
func tableWorkers(workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return workers
}

// keyItem is one key as the tables read it. When pre is set, slot, tag
// and tagged were found from the whole name, which k.Key may hold only
// the start of (see Builder.prepare); else k.Key is the whole name and
// the tables find them.
type keyItem struct {
	k        *Key
	tag      string
	slot     uint16
	tagged   bool
	selected bool // by Options.Filter
	pre      bool
	ti       uint8 // typeIndex(k.Type), found once for every table
	// cut is set when at[:nat] are where the separators of k.Key start
	// (see splitter.cuts), found once for the family and every prefix
	// depth; else the tables split k.Key themselves.
	cut bool
	nat uint8
	at  [maxCuts]uint16
}

// itemOf is the item of key k as the tables read it, but for the slot,
// the hash tag and the filter (see prepare).
func (b *Builder) itemOf(k *Key) keyItem {
	it := keyItem{k: k, ti: uint8(typeIndex(k.Type))}
	it.nat, it.cut = b.split.cuts(k.Key, &it.at)
	return it
}

// hashTag is the key's hash tag, as hashTag tells.
func (it *keyItem) hashTag() (string, bool) {
	if it.pre {
		return it.tag, it.tagged
	}
	return hashTag(it.k.Key)
}

// slotOf is the key's hash slot.
func (it *keyItem) slotOf() uint16 {
	if it.pre {
		return it.slot
	}
	tag, _ := hashTag(it.k.Key)
	return crc16(tag) & (NumSlots - 1)
}

// feeder feeds keys to some tables of a Builder, with buffers of its own.
type feeder struct {
	b       *Builder
	tables  []tableSet
	buf     []byte   // a pattern or hash tag
	ends    []int    // prefix ends, one per depth
	slotIDs []uint16 // the slots of a batch's keys
}

func (b *Builder) newFeeder(tables []tableSet) *feeder {
	return &feeder{b: b, tables: tables, ends: make([]int, len(b.prefixes))}
}

// feed folds items, in order, into the feeder's tables: table by table,
// so that each table's state stays in cache over the batch.
func (f *feeder) feed(items []keyItem) {
	b := f.b
	for _, t := range f.tables {
		switch t.kind {
		case tableTotals:
			for i := range items {
				b.addTotals(items[i].k)
			}
		case tableTop:
			for i := range items {
				b.addTop(items[i].k, items[i].selected)
			}
		case tableSlots:
			// The slots first, then their counters: a counter is
			// likely a cache miss, and with no hashing between them
			// the misses of several keys overlap.
			ids := f.slotIDs[:0]
			for i := range items {
				ids = append(ids, items[i].slotOf())
			}
			for i, id := range ids {
				s := &b.slots[id]
				s.Keys++
				s.Memory += items[i].k.Memory
			}
			f.slotIDs = ids
		case tableFamilies:
			for i := range items {
				k := items[i].k
				if it := &items[i]; it.cut {
					f.buf = appendPatternCuts(f.buf[:0], k.Key, it.at[:it.nat])
				} else {
					f.buf = appendPattern(f.buf[:0], k.Key, b.split)
				}
				name := bufString(f.buf)
				b.families.add(name, hashName(b.seed, name), k, int(items[i].ti))
			}
		case tableHashtags:
			for i := range items {
				if tag, ok := items[i].hashTag(); ok {
					f.buf = append(append(append(f.buf[:0], '{'), tag...), '}')
					name := bufString(f.buf)
					b.hashtags.add(name, hashName(b.seed, name), items[i].k, int(items[i].ti))
				}
			}
		case tablePrefixes:
			if len(t.depths) == 0 {
				continue
			}
			ends := f.ends[:t.depths[len(t.depths)-1]+1]
			for i := range items {
				k, ti := items[i].k, int(items[i].ti)
				if it := &items[i]; it.cut {
					prefixEndsCuts(k.Key, it.at[:it.nat], ends)
				} else {
					prefixEnds(k.Key, b.split, ends)
				}
				// A key of few segments has the same prefix at several
				// depths: the tables share one seed, and the hash.
				var h uint64
				last := -1
				for _, d := range t.depths {
					name := k.Key[:ends[d]]
					if ends[d] != last {
						h, last = hashName(b.seed, name), ends[d]
					}
					b.prefixes[d].add(name, h, k, ti)
				}
			}
		}
	}
}

// bufString is a view of b as a string, for a table that reads it during
// the call only (and copies what it keeps).
func bufString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// keyBatch is keys on their way to the groups of tables: items[i].k is
// &keys[i]. Their names are copies in names, which never grows past its
// capacity, so that they stay put until every group is done with the
// batch.
type keyBatch struct {
	items   []keyItem
	keys    []Key // batchKeys long
	names   []byte
	pending atomic.Int32 // groups not done with it yet
}

// keep copies s into the batch's names.
func (bt *keyBatch) keep(s string) string {
	if s == "" {
		return ""
	}
	off := len(bt.names)
	bt.names = append(bt.names, s...)
	return unsafe.String(&bt.names[off], len(s))
}

// pipeline feeds a Builder's tables in groups, one goroutine per group
// and batch.
type pipeline struct {
	b      *Builder
	groups []*feeder
	// tails[g] is closed once group g is done with the last batch sent
	// to it; nil before the first.
	tails []chan struct{}
	free  chan *keyBatch // batches every group is done with
	made  int            // batches made so far, at most maxBatches
	cur   *keyBatch      // being filled
	// batchKeys is how many keys a batch holds: batchKeys but in tests.
	batchKeys int
	// serialKeys is how many keys Add still feeds serially before the
	// first batch: a batch's worth, so that a node of fewer keys never
	// makes one. Every table has seen them by the time a batch is sent.
	serialKeys int
}

func newPipeline(b *Builder, workers int) *pipeline {
	p := &pipeline{b: b, free: make(chan *keyBatch, maxBatches), batchKeys: batchKeys, serialKeys: batchKeys}
	for _, ts := range b.groupTables(workers) {
		p.groups = append(p.groups, b.newFeeder(ts))
	}
	p.tails = make([]chan struct{}, len(p.groups))
	return p
}

// add copies k into the batch being filled, sending the batch on first
// when k does not fit.
func (p *pipeline) add(k *Key) {
	b := p.b
	long := len(k.Key) > MaxProfileKey
	need := len(k.Key)
	if long {
		need = 2 * MaxProfileKey // the name and the hash tag, cut
	}
	bt := p.cur
	if bt == nil || len(bt.items) == p.batchKeys || len(bt.names)+need > cap(bt.names) {
		if bt != nil {
			p.send(bt)
		}
		bt = p.get()
		p.cur = bt
	}
	k2 := &bt.keys[len(bt.items)]
	bt.items = bt.items[:len(bt.items)+1]
	it := &bt.items[len(bt.items)-1]
	*k2 = *k
	if long {
		// The slot, the hash tag and the filter need the whole name,
		// which the batch does not keep: prepare finds them, then cuts
		// the name of k2. (k itself must not reach the batch, which
		// would make every caller's key escape to the heap.)
		*it = b.prepare(k2, k2)
		it.tag = bt.keep(it.tag)
	} else {
		*it = b.itemOf(k2)
		it.selected = b.filtered != nil && b.opts.Filter.Match(k)
	}
	k2.Key = bt.keep(k2.Key)
}

// get returns an empty batch: a new one while fewer than maxBatches
// exist, else the next one every group is done with.
func (p *pipeline) get() *keyBatch {
	var bt *keyBatch
	select {
	case bt = <-p.free:
	default:
		if p.made < maxBatches {
			p.made++
			return &keyBatch{items: make([]keyItem, 0, p.batchKeys), keys: make([]Key, p.batchKeys), names: make([]byte, 0, batchBytes)}
		}
		bt = <-p.free
	}
	bt.items, bt.names = bt.items[:0], bt.names[:0]
	return bt
}

// send starts feeding bt to every group. Each group's goroutine waits
// for the group's previous batch, so that every table sees the batches in
// order; the last group done with bt puts it back in the free list.
func (p *pipeline) send(bt *keyBatch) {
	bt.pending.Store(int32(len(p.groups)))
	for g, f := range p.groups {
		prev, done := p.tails[g], make(chan struct{})
		p.tails[g] = done
		go func() {
			if prev != nil {
				<-prev
			}
			f.feed(bt.items)
			if bt.pending.Add(-1) == 0 {
				p.free <- bt // never blocks: it has room for every batch
			}
			close(done)
		}()
	}
}

// flush feeds the tables every key added so far and waits until they
// are done. Keys that never filled a batch are fed here, on the caller's
// goroutine, when no batch was sent before them.
func (p *pipeline) flush() {
	if bt := p.cur; bt != nil && len(bt.items) > 0 {
		if p.tails[0] == nil {
			p.b.serial.feed(bt.items)
			bt.items, bt.names = bt.items[:0], bt.names[:0]
		} else {
			p.cur = nil
			p.send(bt)
		}
	}
	for _, t := range p.tails {
		if t != nil {
			<-t
		}
	}
}
