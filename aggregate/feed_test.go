package aggregate

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/testutil/cputime"
)

// newBuilderBatch is NewBuilder with batches of batch keys, so that small
// key sequences go through many batches, and through the wait for a free
// one.
func newBuilderBatch(name string, opts Options, batch int) *Builder {
	b := NewBuilder(name, opts)
	if b.pipe != nil && batch > 0 {
		b.pipe.batchKeys, b.pipe.serialKeys = batch, batch
	}
	return b
}

// keySeq is a named sequence of keys.
type keySeq struct {
	name string
	opts Options
	keys []Key
}

// synthSeqs are key sequences that exercise every table: evictions from
// small tables, detected and given separators, hash tags, names longer
// than MaxProfileKey (with a hash tag cut off by the cut, and one longer
// than the cut), empty names, every expiry bucket, several dbs, types
// and encodings, and a filter.
func synthSeqs(t *testing.T) []keySeq {
	rng := rand.New(rand.NewPCG(13, 17))
	types := []struct{ typ, enc string }{{"string", "raw"}, {"string", "int"}, {"hash", "listpack"}, {"hash", "hashtable"},
		{"zset", "skiplist"}, {"set", "intset"}, {"list", "quicklist"}, {"stream", "stream"}, {"module:ReJSON-RL", "module"}}
	const ref = int64(1_700_000_000_000)
	key := func(name string) Key {
		ty := types[rng.IntN(len(types))]
		k := Key{DB: rng.IntN(3), Key: name, Type: ty.typ, Encoding: ty.enc, Memory: int64(rng.IntN(5000) + 50),
			RDBBytes: int64(rng.IntN(3000)), Elements: int64(rng.IntN(100))}
		if rng.IntN(3) == 0 {
			k.Alloc = k.Memory + int64(rng.IntN(64))
		}
		switch rng.IntN(6) {
		case 0:
			k.ExpiresAt = ref - int64(rng.IntN(1e6))
		case 1:
			k.ExpiresAt = ref + int64(rng.IntN(40*24*3600*1000))
		case 2:
			k.ExpiresAt = ref + int64(rng.IntN(3600*1000))
		}
		return k
	}
	var churn, mixed, long []Key
	for i := range 20000 {
		churn = append(churn, key(fmt.Sprintf("user:%d:s%d:field", 1000000+i*7919%1000003, i%97)))
	}
	seps := []string{":", ".", "/", "|"}
	for i := range 15000 {
		s := seps[i%len(seps)]
		var name string
		switch rng.IntN(5) {
		case 0:
			name = fmt.Sprintf("session%s{%d}%stoken", s, rng.IntN(500), s)
		case 1:
			name = fmt.Sprintf("cache%s%x", s, rng.Uint64())
		case 2:
			name = fmt.Sprintf("rank%sdaily%s2026-11-%02d", s, s, rng.IntN(30)+1)
		case 3:
			name = fmt.Sprintf("q%d", rng.IntN(50))
		default:
			name = fmt.Sprintf("app%[1]s%[2]d%[1]sorder-%[3]d%[1]sline%[1]s%[4]d", s, rng.IntN(40), rng.IntN(1e6), rng.IntN(9))
		}
		mixed = append(mixed, key(name))
	}
	for i := range 9000 {
		var name string
		switch i % 7 {
		case 0: // a hash tag cut off by the cut
			name = "big:{" + strings.Repeat("x", MaxProfileKey) + fmt.Sprint(i%11) + "}:tail"
		case 1: // a hash tag longer than the cut
			name = strings.Repeat("p:", 10) + "{" + strings.Repeat(fmt.Sprint(i%5), 2*MaxProfileKey) + "}"
		case 2:
			name = ""
		case 3:
			name = fmt.Sprintf("{%d}", i%13)
		default:
			name = fmt.Sprintf("x:%d:{y%d}", i%300, i%31)
		}
		long = append(long, key(name))
	}
	filter, err := KeyFilter{Match: []string{"session*", "big:*"}, MinBytes: 100}.Compile()
	require.NoError(t, err)
	base := Options{Now: ref / 1000}
	small := base
	small.GroupCapacity, small.TopN = 16, 7
	withSeps := small
	withSeps.Separators, withSeps.PrefixDepth = []string{":", "."}, 5
	filtered := small
	filtered.Filter = filter
	return []keySeq{
		{"churn/small tables", small, churn},
		{"churn/defaults", base, churn},
		{"mixed/detected", small, mixed},
		{"mixed/given separators", withSeps, mixed},
		{"mixed/filter", filtered, mixed},
		{"long names", small, long},
		{"long names/filter", filtered, long},
		{"few keys", small, mixed[:100]},
	}
}

// build feeds keys to a Builder of workers workers and batches of batch
// keys, each name in one buffer that is overwritten after each Add, as
// the collector's names are, and returns its profile.
func build(opts Options, workers, batch int, keys []Key) *Node {
	opts.Workers = workers
	b := newBuilderBatch("n", opts, batch)
	var buf []byte
	for i := range keys {
		k := keys[i]
		buf = append(buf[:0], k.Key...)
		k.Key = unsafe.String(unsafe.SliceData(buf), len(buf))
		b.Add(&k)
		for j := range buf {
			buf[j] = '#'
		}
	}
	return b.Node()
}

// The profile is the same whatever the workers and the batches: every
// table sees every key in the same order.
func TestParallelTablesIdentical(t *testing.T) {
	for _, seq := range synthSeqs(t) {
		t.Run(seq.name, func(t *testing.T) {
			want := build(seq.opts, 1, 0, seq.keys)
			assertTotals(t, want)
			wantJSON, err := json.Marshal(want)
			require.NoError(t, err)
			for _, c := range []struct{ workers, batch int }{{2, 0}, {3, 0}, {8, 0}, {2, 1}, {4, 7}, {16, 1000}} {
				got := build(seq.opts, c.workers, c.batch, seq.keys)
				require.Equal(t, want, got, "workers %d, batch %d", c.workers, c.batch)
				gotJSON, err := json.Marshal(got)
				require.NoError(t, err)
				require.Equal(t, string(wantJSON), string(gotJSON), "workers %d, batch %d", c.workers, c.batch)
			}
		})
	}
}

// The small tables do evict, so that the identity above covers evictions.
func TestParallelTablesEvict(t *testing.T) {
	seqs := synthSeqs(t)
	n := build(seqs[0].opts, 3, 0, seqs[0].keys)
	assert.Positive(t, n.Families.MaxError)
	assert.Positive(t, n.Prefixes[1].MaxError)
	assert.Positive(t, n.Families.Other.Keys)
}

// Every table gets a group, once: whatever the workers, the groups
// together hold each table, and each prefix depth, exactly once.
func TestGroupTables(t *testing.T) {
	b := NewBuilder("n", Options{PrefixDepth: 4, Workers: 1})
	for w := 1; w <= 12; w++ {
		groups := b.groupTables(w)
		assert.Len(t, groups, min(w, 5+4))
		seen := map[string]int{}
		for _, g := range groups {
			assert.NotEmpty(t, g)
			for _, ts := range g {
				if ts.kind != tablePrefixes {
					seen[fmt.Sprint(ts.kind)]++
				}
				for _, d := range ts.depths {
					seen[fmt.Sprint("depth", d)]++
				}
				assert.IsIncreasing(t, ts.depths)
			}
		}
		assert.Len(t, seen, 5+4, "workers %d", w)
		for k, v := range seen {
			assert.Equal(t, 1, v, "workers %d: %s", w, k)
		}
	}
}

// waitGoroutines waits until no more goroutines run than before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines left behind")
}

// No goroutine outlives the batches: after Node, and for a Builder
// dropped without it (a scan given up), once the batches in flight are
// fed.
func TestParallelTablesNoLeak(t *testing.T) {
	keys := synthSeqs(t)[0].keys
	before := runtime.NumGoroutine()
	n := build(Options{Now: 1}, 4, 100, keys)
	assert.Equal(t, int64(len(keys)), n.Keys)
	waitGoroutines(t, before)

	func() {
		b := newBuilderBatch("n", Options{Workers: 4, Separators: []string{":"}}, 100)
		for i := range keys {
			b.Add(&keys[i])
		}
		// Batches were sent; whether their goroutines are still at work
		// when the Builder is dropped is up to the scheduler (asserting
		// it made the test flaky once the tables got faster).
		require.NotNil(t, b.pipe.tails[0], "no batch sent: the test tests nothing")
	}()
	waitGoroutines(t, before)
}

// A batch keeps at most maxBatches batches, whatever the pace of the
// tables: the caller waits for a free one.
func TestParallelTablesBounded(t *testing.T) {
	keys := synthSeqs(t)[0].keys
	b := newBuilderBatch("n", Options{Workers: 3, Separators: []string{":"}}, 10)
	for i := range keys {
		b.Add(&keys[i])
		require.LessOrEqual(t, b.pipe.made, maxBatches)
	}
	n := b.Node()
	assert.Equal(t, maxBatches, b.pipe.made)
	assert.Equal(t, int64(len(keys)), n.Keys)
}

// Node can be called again, and keys added after it count.
func TestParallelTablesNodeTwice(t *testing.T) {
	keys := synthSeqs(t)[0].keys
	for _, w := range []int{1, 3} {
		b := newBuilderBatch("n", Options{Workers: w, Separators: []string{":"}, Now: 1}, 50)
		for i := range keys[:5000] {
			b.Add(&keys[i])
		}
		first := b.Node().Keys
		for i := range keys[5000:] {
			b.Add(&keys[5000+i])
		}
		assert.Equal(t, int64(5000), first)
		assert.Equal(t, int64(len(keys)), b.Node().Keys, "workers %d", w)
	}
}

// BenchmarkBuilder feeds real-looking keys through the serial path and
// the groups (ns per key; the groups' work runs beside the caller's).
func BenchmarkBuilder(b *testing.B) {
	keys := make([]Key, 1<<16)
	for i := range keys {
		keys[i] = Key{Key: fmt.Sprintf("user:%d:s%d:field", 1000000+i*7919%1000003, i%97), Type: "hash", Encoding: "listpack",
			Memory: int64(50 + i*31%977)}
		if i%3 == 0 {
			keys[i].Key = fmt.Sprintf("session:{%d}:token", i)
		}
	}
	for _, w := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			bl := NewBuilder("n", Options{Separators: []string{":"}, Workers: w})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				bl.Add(&keys[i%len(keys)])
			}
			bl.Node()
		})
	}
}

// truthKeys reads the keys of a mkdump truth file (NAME.keys.jsonl or
// .jsonl.gz).
func truthKeys(tb testing.TB, path string) []Key {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Skip("no truth file:", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		require.NoError(tb, err)
		r = z
	}
	var keys []Key
	dec := json.NewDecoder(r)
	for {
		var tk struct {
			DB          int    `json:"db"`
			Key         string `json:"key"`
			Type        string `json:"type"`
			Encoding    string `json:"encoding"`
			MemoryUsage int64  `json:"memory_usage"`
			PExpireTime int64  `json:"pexpiretime"`
			Elements    int64  `json:"elements"`
		}
		if err := dec.Decode(&tk); err == io.EOF {
			return keys
		} else if err != nil {
			tb.Fatal(err)
		}
		k := Key{DB: tk.DB, Key: tk.Key, Type: tk.Type, Encoding: tk.Encoding, Memory: tk.MemoryUsage, Elements: tk.Elements}
		if tk.PExpireTime > 0 {
			k.ExpiresAt = tk.PExpireTime
		}
		keys = append(keys, k)
	}
}

// BenchmarkTables is what each table costs per key (ns/op is per key), on
// the keys of a truth file (-truth; a corpus dump's by default): the
// weights that balance the groups (tableWeight). "all" is every table:
// the CPU the aggregation spends per key.
func BenchmarkTables(b *testing.B) {
	keys := truthKeys(b, *truthFile)
	names := []string{"totals", "top", "slots", "families", "hashtags", "prefixes"}
	var sets []tableSet
	for kind := tableTotals; kind < tablePrefixes; kind++ {
		sets = append(sets, tableSet{kind: kind})
	}
	for d := range DefaultPrefixDepth {
		sets = append(sets, tableSet{kind: tablePrefixes, depths: []int{d}})
	}
	sets = append(sets, tableSet{kind: tableKind(255)}) // every table: the CPU of the whole aggregation
	for _, ts := range sets {
		name := "all"
		if ts.kind <= tablePrefixes {
			name = names[ts.kind]
		}
		if ts.kind == tablePrefixes {
			name += fmt.Sprint("/depth=", ts.depths[0]+1)
		}
		b.Run(name, func(b *testing.B) {
			bl := NewBuilder("n", Options{Workers: 1, Separators: []string{":"}})
			f := bl.newFeeder([]tableSet{ts})
			if name == "all" {
				f = bl.newFeeder(bl.allTables())
			}
			// What itemOf finds once per key for every table (its
			// type, its separators) is part of the cost of "all",
			// which makes the items in the loop, and not of one
			// table's.
			items := make([]keyItem, len(keys))
			for i := range keys {
				items[i] = bl.itemOf(&keys[i])
			}
			const step = 1024
			cpu0, measured := cputime.Process()
			for i := 0; b.Loop(); i += step {
				j := i % len(items)
				end := min(j+step, len(items))
				if name == "all" {
					for n := j; n < end; n++ {
						items[n] = bl.itemOf(&keys[n])
					}
				}
				f.feed(items[j:end])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*step), "ns/key")
			cpu1, _ := cputime.Process()
			if cpu := cpu1 - cpu0; measured && cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*step), "cpu-ns/key")
			}
		})
	}
}

var truthFile = flag.String("truth", "../../shared/corpus/generated/redis-7.4.1/mixed.keys.jsonl.gz", "a mkdump truth file, for BenchmarkTables")
