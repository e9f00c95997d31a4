package aggregate

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sumGroups adds up a table's entries and other.
func sumGroups(g *Groups) (keys, mem, noTTLKeys, noTTLMem int64) {
	all := append(append([]Group(nil), g.Entries...), g.Other)
	for _, e := range all {
		keys += e.Keys
		mem += e.Memory
		noTTLKeys += e.NoTTL.Keys
		noTTLMem += e.NoTTL.Memory
		var tk, tm int64
		for _, v := range e.ByType {
			tk += v.Keys
			tm += v.Memory
		}
		if tk != e.Keys || tm != e.Memory {
			panic(fmt.Sprintf("by_type of %q does not add up", e.Name))
		}
	}
	return
}

func assertTotals(t *testing.T, n *Node) {
	t.Helper()
	tables := append([]*Groups{n.Families}, n.Prefixes...)
	for _, g := range tables {
		require.NotNil(t, g)
		k, m, nk, nm := sumGroups(g)
		assert.Equal(t, n.Keys, k, "keys of depth %d", g.Depth)
		assert.Equal(t, n.Memory, m, "memory of depth %d", g.Depth)
		assert.Equal(t, n.TTL.Without.Keys, nk, "no-ttl keys of depth %d", g.Depth)
		assert.Equal(t, n.TTL.Without.Memory, nm, "no-ttl memory of depth %d", g.Depth)
		assert.LessOrEqual(t, len(g.Entries), g.Capacity)
	}
	var sk, sm int64
	for _, s := range n.Slots.PerSlot {
		sk += s.Keys
		sm += s.Memory
	}
	assert.Equal(t, n.Keys, sk)
	assert.Equal(t, n.Memory, sm)
}

var types = []string{"string", "hash", "list", "set", "zset", "stream", "module:ReJSON-RL"}

// synthNode builds a node from a random stream of a few big families and
// many unique small ones, so that tables of capacity capa overflow.
func synthNode(name string, seed uint64, keys, capa int) (*Node, map[string]int64) {
	rnd := rand.New(rand.NewPCG(seed, 1))
	opts := DefaultOptions()
	opts.GroupCapacity = capa
	b := NewBuilder(name, opts)
	truth := map[string]int64{}
	for i := range keys {
		var k Key
		switch r := rnd.IntN(10); {
		case r < 3:
			k.Key = "user:" + strconv.Itoa(rnd.IntN(1e6)) + ":profile"
			k.Memory = 200 + int64(rnd.IntN(100))
		case r < 5:
			k.Key = "session:{" + strconv.Itoa(i) + "}"
			k.Memory = 500
			k.ExpiresAt = 1
		case r < 6:
			k.Key = "big:" + strconv.Itoa(rnd.IntN(3)) + "x" // 3 families: big:0x...
			k.Memory = 5000
		default:
			k.Key = "uniq:" + randWord(rnd) + ":" + randWord(rnd)
			k.Memory = int64(rnd.IntN(300))
			if rnd.IntN(2) == 0 {
				k.ExpiresAt = 1
			}
		}
		k.Type = types[rnd.IntN(len(types))]
		truth[Pattern(k.Key)] += k.Memory
		b.Add(&k)
	}
	return b.Node(), truth
}

func randWord(r *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 6+r.IntN(6))
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

func TestGroupsTotalsAndBounds(t *testing.T) {
	var nodes []*Node
	total := map[string]int64{}
	for i := range 3 {
		n, truth := synthNode(fmt.Sprintf("node-%d", i), uint64(i), 20000, 64)
		assertTotals(t, n)
		assert.Positive(t, n.Families.MaxError, "the table overflowed")
		checkBounds(t, n.Families, truth)
		for k, v := range truth {
			total[k] += v
		}
		nodes = append(nodes, n)
	}
	m := Merge("cluster", 0, nodes...)
	assertTotals(t, m)
	checkBounds(t, m.Families, total)
	// The heavy families are kept and named by their patterns.
	for _, f := range []string{"user:*:profile", "session:{*}", "big:0x", "big:1x", "big:2x"} {
		assert.NotNil(t, m.Families.Find(f), f)
	}
	// Merging merged profiles keeps totals too.
	mm := Merge("again", 0, m, nodes[0])
	assertTotals(t, mm)
}

// checkBounds verifies the space-saving guarantees against the truth.
func checkBounds(t *testing.T, g *Groups, truth map[string]int64) {
	t.Helper()
	kept := map[string]bool{}
	for _, e := range g.Entries {
		kept[string(e.Name)] = true
		tr := truth[string(e.Name)]
		assert.LessOrEqual(t, e.Memory, tr, "%s: memory is a lower bound", e.Name)
		assert.GreaterOrEqual(t, e.Memory+e.Error, tr, "%s: memory+error is an upper bound", e.Name)
	}
	for name, tr := range truth {
		if !kept[name] {
			assert.LessOrEqual(t, tr, g.MaxError, "%s is missing but above max_error", name)
		}
	}
}

func TestGroupsExactWhenSmall(t *testing.T) {
	b := NewBuilder("n", DefaultOptions())
	for i := range 100 {
		b.Add(&Key{Key: "user:" + strconv.Itoa(1000+i) + ":x", Type: "string", Memory: 10})
		b.Add(&Key{Key: "cfg", Type: "hash", Memory: 7, ExpiresAt: 5})
	}
	n := b.Node()
	assertTotals(t, n)
	f := n.Families.Find("user:*:x")
	require.NotNil(t, f)
	assert.Equal(t, int64(100), f.Keys)
	assert.Equal(t, int64(1000), f.Memory)
	assert.Equal(t, int64(0), f.Error)
	assert.Equal(t, int64(0), n.Families.MaxError)
	assert.Equal(t, KeysMemory{Keys: 100, Memory: 1000}, f.NoTTL)
	assert.Equal(t, KeyName("user:1000:x"), f.Biggest.Key)
	c := n.Families.Find("cfg")
	require.NotNil(t, c)
	assert.Equal(t, KeysMemory{}, c.NoTTL)
	assert.Equal(t, TypeTotals{{Type: "hash", KeysMemory: KeysMemory{Keys: 100, Memory: 700}}}, c.ByType)
	assert.Equal(t, "user:", string(n.Prefixes[0].Entries[0].Name))
	assert.Len(t, n.Prefixes[1].Entries, 101)
	assert.Equal(t, 3, n.Prefixes[2].Depth)
}

// long runs TestBoundedState over 10 M keys (about 100 s):
// go test -run TestBoundedState -long ./aggregate/
var long = flag.Bool("long", false, "run TestBoundedState over 10 M keys")

// TestBoundedState streams a million keys (10 M with -long) that are all
// their own family and prefix and checks that the heap stays under a
// fixed bound: state is the tables (capacity entries each), the top-N
// heaps and the slot array, none of which grows with the number of keys.
func TestBoundedState(t *testing.T) {
	n := 1_000_000
	switch {
	case *long:
		n = 10_000_000
	case testing.Short():
		n = 200_000
	}
	b := NewBuilder("n", DefaultOptions())
	rnd := rand.New(rand.NewPCG(1, 2))
	var ms runtime.MemStats
	var peak uint64
	buf := make([]byte, 0, 64)
	k := Key{Type: "string"}
	for i := range n {
		buf = append(buf[:0], "user:"...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, ":k"...)
		for range 10 {
			buf = append(buf, byte('a'+rnd.IntN(26)))
		}
		k.Key = string(buf)
		k.Memory = int64(50 + rnd.IntN(1000))
		b.Add(&k)
		if i%1_000_000 == 0 && i > 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc)
	node := b.Node()
	assertTotals(t, node)
	assert.Equal(t, int64(n), node.Keys)
	// 5 tables of 1000 entries of ~0.4 kB, two top-50 heaps, 256 kB of
	// slots: about 2 MB whatever n is (the heap is sampled along the way
	// and does not grow). 16 MB leaves room for the test binary and GC
	// slack while being far below what the key names alone take (≥ 50 MB
	// for 2 M keys, 250 MB for 10 M).
	t.Logf("%d keys, peak heap %.1f MB", n, float64(peak)/1e6)
	assert.Less(t, peak, uint64(16<<20))
	assert.Len(t, node.Families.Entries, DefaultGroupCapacity)
	assert.Positive(t, node.Families.MaxError)
}

func BenchmarkAdd(b *testing.B) {
	bl := NewBuilder("n", DefaultOptions())
	keys := make([]Key, 4096)
	for i := range keys {
		keys[i] = Key{Key: fmt.Sprintf("user:{%d}:reminded", 1000000+i), Type: "string", Memory: 100}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bl.Add(&keys[i%len(keys)])
	}
}

func BenchmarkAddTracked(b *testing.B) {
	bl := NewBuilder("n", DefaultOptions())
	keys := make([]Key, 256)
	for i := range keys {
		keys[i] = Key{Key: fmt.Sprintf("user:%d:reminded", 1000000+i), Type: "string", Memory: 100}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bl.Add(&keys[i%len(keys)])
	}
}

// BenchmarkAddChurn: keys whose deeper prefixes are nearly all distinct,
// as in a dump of user:ID:field keys, so that the prefix tables evict on
// nearly every key.
func BenchmarkAddChurn(b *testing.B) {
	bl := NewBuilder("n", Options{Separators: []string{":"}})
	keys := make([]Key, 1<<16)
	for i := range keys {
		keys[i] = Key{Key: fmt.Sprintf("user:%d:s%d:field", 1000000+i*7919%1000003, i%97), Type: "hash", Encoding: "listpack",
			Memory: int64(50 + i*31%977)}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bl.Add(&keys[i%len(keys)])
	}
}
