package aggregate

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveSS is space-saving as its definition reads, in linear time: the
// model spaceSaving (its heap, its index) must match exactly, evictions
// and ties included.
type naiveSS struct {
	capacity int
	seq      uint64
	entries  []naiveEntry
	other    KeysMemory
	evicted  bool
	// otherBy and otherNoTTL are what evicted entries held by type and
	// without a TTL.
	otherBy    [len(typeNames)]KeysMemory
	otherNoTTL KeysMemory
	otherBig   *Key
}

type naiveEntry struct {
	name             string
	cnt              int64
	seq              uint64
	keys, mem, error int64
	byType           [len(typeNames)]KeysMemory
	noTTL            KeysMemory
	big              *Key // the first of the biggest keys
}

func (n *naiveSS) add(name string, mem int64) {
	n.addKey(name, &Key{Type: "string", Memory: mem})
}

// addKey is add, counting k's type and TTL too.
func (n *naiveSS) addKey(name string, k *Key) {
	mem := k.Memory
	count := func(e *naiveEntry) {
		t := &e.byType[typeIndex(k.Type)]
		t.Keys++
		t.Memory += mem
		if k.ExpiresAt == 0 {
			e.noTTL.Keys++
			e.noTTL.Memory += mem
		}
		if e.big == nil || mem > e.big.Memory {
			e.big = k
		}
	}
	for i := range n.entries {
		if e := &n.entries[i]; e.name == name {
			e.cnt += mem
			e.keys++
			e.mem += mem
			count(e)
			return
		}
	}
	n.seq++
	if len(n.entries) < n.capacity {
		n.entries = append(n.entries, naiveEntry{name: name, cnt: mem, seq: n.seq, keys: 1, mem: mem})
		count(&n.entries[len(n.entries)-1])
		return
	}
	m := 0
	for i := range n.entries {
		a, b := &n.entries[i], &n.entries[m]
		if a.cnt < b.cnt || a.cnt == b.cnt && a.seq < b.seq {
			m = i
		}
	}
	e := &n.entries[m]
	n.other.Keys += e.keys
	n.other.Memory += e.mem
	n.otherNoTTL.Keys += e.noTTL.Keys
	n.otherNoTTL.Memory += e.noTTL.Memory
	for t := range e.byType {
		n.otherBy[t].Keys += e.byType[t].Keys
		n.otherBy[t].Memory += e.byType[t].Memory
	}
	if n.otherBig == nil || e.big.Memory > n.otherBig.Memory {
		n.otherBig = e.big
	}
	n.evicted = true
	*e = naiveEntry{name: name, cnt: e.cnt + mem, seq: n.seq, keys: 1, mem: mem, error: e.cnt}
	count(e)
}

func (n *naiveSS) maxError() int64 {
	if !n.evicted {
		return 0
	}
	m := n.entries[0].cnt
	for _, e := range n.entries {
		m = min(m, e.cnt)
	}
	return m
}

// The table keeps the groups the definition keeps, with the same counts
// and errors, on streams full of ties (few distinct sizes, zero sizes)
// and at capacities from 1 up, where the heap has partial levels.
func TestSpaceSavingMatchesDefinition(t *testing.T) {
	seed := maphash.MakeSeed()
	for _, capa := range []int{1, 2, 3, 4, 5, 6, 17, 21, 64, 341} {
		for _, groups := range []int{capa / 2, 2 * capa, 50 * capa} {
			rnd := rand.New(rand.NewPCG(uint64(capa), uint64(groups)))
			s, n := newSpaceSaving(capa, seed), &naiveSS{capacity: capa}
			sizes := []int64{0, 72, 72, 88, 200, 1000, 5000}
			for range 20000 {
				// Skewed: low group numbers come far more often.
				g := int(float64(groups+1) * rnd.Float64() * rnd.Float64())
				name := fmt.Sprint("g", g)
				k := Key{Key: name + ":x", Type: "string", Memory: sizes[rnd.IntN(len(sizes))]}
				s.add(name, hashName(seed, name), &k, typeIndex(k.Type))
				n.add(name, k.Memory)
			}
			got := s.groups(0)
			want := append([]naiveEntry(nil), n.entries...)
			sort.Slice(want, func(i, j int) bool {
				if want[i].mem != want[j].mem {
					return want[i].mem > want[j].mem
				}
				return want[i].name < want[j].name
			})
			msg := fmt.Sprintf("capacity %d, %d groups", capa, groups)
			require.Len(t, got.Entries, len(want), msg)
			for i, w := range want {
				e := got.Entries[i]
				require.Equal(t, []any{w.name, w.keys, w.mem, w.error}, []any{string(e.Name), e.Keys, e.Memory, e.Error}, msg)
			}
			require.Equal(t, n.other, KeysMemory{Keys: got.Other.Keys, Memory: got.Other.Memory}, msg)
			require.Equal(t, n.maxError(), got.MaxError, msg)
		}
	}
}

// Names whose hashes collide in the index (three tags for 40 names) are
// still told apart and evicted in order: the index probes past them,
// wrapping around its end, and, emptying a slot, moves back those that
// would be lost.
func TestSpaceSavingIndexCollisions(t *testing.T) {
	tags := []uint64{0, 1 << 30, 0xffff_ffff}
	s := newSpaceSaving(8, maphash.MakeSeed())
	n := &naiveSS{capacity: 8}
	rnd := rand.New(rand.NewPCG(7, 7))
	for range 5000 {
		name := fmt.Sprint("n", rnd.IntN(40))
		h := tags[crc16(name)%3] << 32
		k := Key{Key: name, Type: "hash", Memory: int64(rnd.IntN(4))}
		s.add(name, h, &k, typeIndex(k.Type))
		n.add(name, k.Memory)
	}
	got := s.groups(0)
	require.Len(t, got.Entries, len(n.entries))
	require.Equal(t, n.other.Keys, got.Other.Keys)
	for _, w := range n.entries {
		e := got.Find(w.name)
		require.NotNil(t, e, w.name)
		require.Equal(t, []int64{w.keys, w.mem, w.error}, []int64{e.Keys, e.Memory, e.Error}, w.name)
	}
}

// An entry reused for another group is the entry a new one would be,
// whatever it held: reuse forgets no field.
func TestSSEntryReuse(t *testing.T) {
	k1 := Key{DB: 3, Key: "old:key:with:a:long:name", Type: "zset", Encoding: "skiplist", Memory: 9000,
		Alloc: 9100, RDBBytes: 800, Elements: 70, ExpiresAt: 0, fullLen: 3000}
	k2 := Key{DB: 1, Key: "new:key", Type: "string", Encoding: "int", Memory: 72, ExpiresAt: 5}
	k3 := Key{Key: "old:k3", Type: "hash", Memory: 9001}
	for _, shared := range []bool{false, true} {
		used := ssEntry{}
		used.init("old:", 50, &k1, typeIndex(k1.Type), shared)
		used.count(&k1, typeIndex(k1.Type))
		used.count(&k3, typeIndex(k3.Type))
		used.setBig(&k3, shared)
		used.init("new:", 7, &k2, typeIndex(k2.Type), shared)
		fresh := ssEntry{}
		fresh.init("new:", 7, &k2, typeIndex(k2.Type), shared)
		// The buffers differ in capacity only, and byType, kept, is
		// read only once mixed.
		require.True(t, used.byType != nil && !used.mixed)
		used.buf, fresh.buf, used.byType = nil, nil, nil
		require.Equal(t, fresh, used)
	}
}

// The counts by type and without a TTL, and the biggest keys, of the
// entries and of (other), are those of the definition, when groups hold
// keys of several types and an entry of several types is given to a group
// of one, and back; whether the table keeps a group's name apart from
// its biggest key's or as the start of it (shared, as prefixes do).
func TestSpaceSavingByType(t *testing.T) {
	seed := maphash.MakeSeed()
	types := []string{"string", "hash", "set", "zset", "module:ReJSON-RL", "list", "stream", "weird"}
	for _, tc := range []struct {
		capa   int
		shared bool
	}{{1, false}, {3, false}, {8, false}, {1, true}, {3, true}, {8, true}} {
		capa := tc.capa
		rnd := rand.New(rand.NewPCG(uint64(capa), 9))
		s, n := newSpaceSaving(capa, seed), &naiveSS{capacity: capa}
		s.shared = tc.shared
		for i := range 5000 {
			name := fmt.Sprint("g", int(float64(4*capa)*rnd.Float64()*rnd.Float64()))
			// Most groups hold keys of one type; some mix.
			typ := types[len(name)%len(types)]
			if rnd.IntN(4) == 0 {
				typ = types[rnd.IntN(len(types))]
			}
			k := &Key{Key: name + ":" + strings.Repeat("x", rnd.IntN(70)), Type: typ, Memory: int64(rnd.IntN(300))}
			if rnd.IntN(2) == 0 {
				k.ExpiresAt = int64(i + 1)
			}
			// The table must copy what it keeps of the key.
			kc := *k
			kc.Key = strings.Clone(k.Key)
			s.add(name, hashName(seed, name), &kc, typeIndex(k.Type))
			kc.Key = strings.Repeat("?", len(kc.Key))
			n.addKey(name, k)
		}
		got := s.groups(0)
		msg := fmt.Sprint("capacity ", capa, " shared ", tc.shared)
		require.Len(t, got.Entries, len(n.entries), msg)
		for _, w := range n.entries {
			e := got.Find(w.name)
			require.NotNil(t, e, w.name)
			require.Equal(t, typeTotals(&w.byType), e.ByType, w.name)
			require.Equal(t, w.noTTL, e.NoTTL, w.name)
			require.Equal(t, w.big.info(), *e.Biggest, w.name)
		}
		if n.otherBig != nil {
			require.Equal(t, n.otherBig.info(), *got.Other.Biggest, msg)
		}
		require.Equal(t, typeTotals(&n.otherBy), got.Other.ByType, msg)
		require.Equal(t, n.otherNoTTL, got.Other.NoTTL, msg)
		require.Equal(t, n.other, KeysMemory{Keys: got.Other.Keys, Memory: got.Other.Memory}, msg)
	}
}
