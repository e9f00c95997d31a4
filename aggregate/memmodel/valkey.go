package memmodel

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/rdbscope/rdbscope/parse"
)

// Valkey 8.1 and 9.x (docs/memory-model.md, "Valkey 8.1 and 9"): the key
// is embedded in the value's object, and the keyspace, sets, hashes and
// sorted sets use an open-addressing hash table of 64-byte buckets
// instead of a dict.

// keyObject is the allocation of the object that holds a key on Valkey
// 8.1+: the 16-byte object header, an 8-byte expire slot when the key has
// a TTL or is at least 128 bytes long, one byte giving the key's sds
// header size, then the key as an sds with its terminator. (The server
// also sets the expire slot when the size class leaves room for it,
// which never changes the class.)
func (m *Model) keyObject(klen int64, ttl bool) int64 {
	return m.alloc(16 + expireSlot(klen, ttl) + 1 + sdsHdrValkey8(klen) + klen + 1)
}

func expireSlot(klen int64, ttl bool) int64 {
	if ttl || klen >= 128 {
		return 8
	}
	return 0
}

// valkeyStr sizes a string on Valkey 8.1+. tryObjectEncoding makes an
// integer or an embedded string as on older servers; then the key is
// attached, which decides again whether the value fits inside the key's
// object. 8.1 embeds when 16 + (key+3) + expire + 4 + value <= 64 (it
// estimates the key's header as 3 bytes); 9.x when the object, whose
// 8-byte value pointer the embedded value replaces, fits in 128 bytes
// with the real key header (the value's sds then gets at least 8 bytes,
// so that it can be moved out later).
func (m *Model) valkeyStr(r *parse.Record) (int64, string) {
	if r.Value == nil {
		return 0, encUnknown
	}
	s := r.Value.String
	n := s.Len
	k := int64(len(r.Key))
	ttl := r.ExpiresAt != 0
	e := expireSlot(k, ttl)
	if s.IsInt {
		return m.robj, encInt
	}
	keyPart := 1 + sdsHdrValkey8(k) + k + 1
	if m.keyV9 {
		if n <= 116 && 8+e+keyPart+3+n+1 <= 128 {
			return m.alloc(8 + e + keyPart + max(8, 3+n+1)), encEmbstr
		}
		return m.robj + m.sds(n), encRaw
	}
	if n <= embstrLimit && 16+(k+3)+e+4+n <= 64 {
		return m.alloc(16 + e + keyPart + 3 + n + 1), encEmbstr
	}
	return m.robj + m.sds(n), encRaw
}

// htBuckets is the bucket count of a hash table sized for c entries:
// the power of two that keeps the fill at most 32/5 entries per 7-slot
// bucket; one bucket up to 6 entries, none for an empty table.
func htBuckets(c int64) int64 {
	if c <= 0 {
		return 0
	}
	need := (c*5-1)/32 + 1
	if need <= 1 {
		return 1
	}
	return int64(1) << bits.Len64(uint64(need-1))
}

// htChildren is the expected number of child buckets of a table of b
// buckets holding n entries: a bucket holds 7 entries, and one that gets
// more chains child buckets of 6 more each (its last slot points to the
// child). Which bucket an entry falls in depends on the server's random
// hash seed: the count is the expectation over uniform hashing, from the
// binomial distribution for small tables and its Poisson limit above.
func htChildren(n, b int64) float64 {
	if n <= 7 || b <= 0 {
		return 0
	}
	if b == 1 {
		return chainChildren(n)
	}
	var pmf func(k int64) float64
	if n <= 4096 {
		p := 1 / float64(b)
		lq := math.Log1p(-p)
		lp := math.Log(p)
		lgN, _ := math.Lgamma(float64(n + 1))
		pmf = func(k int64) float64 {
			lk, _ := math.Lgamma(float64(k + 1))
			lnk, _ := math.Lgamma(float64(n - k + 1))
			return math.Exp(lgN - lk - lnk + float64(k)*lp + float64(n-k)*lq)
		}
	} else {
		lam := float64(n) / float64(b)
		pmf = func(k int64) float64 {
			lk, _ := math.Lgamma(float64(k + 1))
			return math.Exp(float64(k)*math.Log(lam) - lam - lk)
		}
	}
	mean := float64(n) / float64(b)
	top := min(n, int64(mean+12*math.Sqrt(mean)+30))
	var e float64
	for k := int64(8); k <= top; k++ {
		e += pmf(k) * chainChildren(k)
	}
	return float64(b) * e
}

// chainChildren is the child buckets a bucket receiving k entries needs.
func chainChildren(k int64) float64 {
	if k <= 7 {
		return 0
	}
	return float64((k - 7 + 5) / 6)
}

// htTable is a hash table as the model sees it: its bucket count (both
// tables' while a rehash runs) and the entries that decide its child
// buckets.
type htTable struct {
	buckets  int64
	children float64
}

// presized is a table created for n entries and filled with them.
func presized(n int64) htTable {
	b := htBuckets(n)
	return htTable{buckets: b, children: htChildren(n, b)}
}

// bytes is the table's memory as MEMORY USAGE counts it: the struct (and
// its metadata) unrounded, the buckets and the child buckets.
func (m *Model) htBytes(t htTable, meta int64) float64 {
	return float64(m.htStruct+meta) + 64*(float64(t.buckets)+t.children)
}

// htRealExtra is what the server allocates for a table beyond htBytes:
// the struct's size class.
func (m *Model) htRealExtra(meta int64) int64 {
	return m.alloc(m.htStruct+meta) - (m.htStruct + meta)
}

// valkeyHashLoad replays how the loader builds the table of a plain RDB
// hash of n pairs whose first long pair is the k-th: the k short pairs go
// to a listpack; at the long pair the listpack becomes a table sized for
// k, the long pair is added, the table is asked to expand for the pairs
// still to read (ignored when they are fewer than those in, or when it
// would not change the bucket count), and the rest are added one by one.
// An add does one step of a running rehash (one bucket of the old table)
// and grows the table when it is full (7 entries per bucket); growing
// during a rehash first finishes it. Unlike Redis's dict this is
// deterministic: only the child buckets depend on the hash seed.
func valkeyHashLoad(n, k int64) htTable {
	if k < 0 || k >= n {
		return presized(n)
	}
	cur := htBuckets(max(k, 1))
	var old, step int64
	used := k
	resize := func(c int64) {
		nb := htBuckets(max(c, 1))
		if nb == cur {
			return
		}
		old, step = 0, 0 // a running rehash is finished first
		if used > 0 {
			old = cur
		}
		cur = nb
	}
	add := func() {
		if old > 0 {
			step++
			if step >= old {
				old, step = 0, 0
			}
		}
		if used+1 > 7*cur {
			resize(used + 1)
		}
		used++
	}
	add() // the long pair
	rest := n - k - 1
	if rest >= used {
		resize(rest)
	}
	for ; rest > 0; rest-- {
		add()
	}
	return htTable{buckets: cur + old, children: htChildren(n, cur)}
}

// valkeySet sizes a set held in a table: the members are plain sds
// strings stored in the buckets.
func (m *Model) valkeySetHT(members []parse.Elem, n int64) int64 {
	var ele int64
	for _, b := range members {
		ele += m.sds(b.Len)
	}
	if members == nil {
		ele = n * m.sds(8)
	}
	return m.robj + int64(math.Round(m.htBytes(presized(n), 0))) + ele
}

// zslNodeValkey9 is the expected allocation of a Valkey 9 skiplist node
// holding an element of elen bytes: score, backward pointer and one
// (forward, span) pair per level, then the element's sds behind a
// one-byte header size, in one allocation. Levels are random with p = 1/4.
func (m *Model) zslNodeValkey9(elen int64) float64 {
	if elen < int64(len(m.zslV9)) {
		return m.zslV9[elen]
	}
	return m.expectedZslNodeWith(17 + sdsHdrValkey8(elen) + elen + 1)
}

// expectedZslNodeWith is E[alloc(fixed + 16·L)] over the random level L.
func (m *Model) expectedZslNodeWith(fixed int64) float64 {
	var e float64
	for l := int64(1); l <= 32; l++ {
		pl := 0.75 * math.Pow(0.25, float64(l-1))
		if l == 32 {
			pl = math.Pow(0.25, 31)
		}
		e += pl * float64(m.alloc(fixed+16*l))
	}
	return e
}

// zslHeaderValkey9 is what Valkey 9 counts for a skiplist's struct with
// its embedded 32-level header node (the allocation is its size class).
const zslHeaderValkey9 = 528

// valkeySkiplist sizes a sorted set held as a skiplist and a table.
func (m *Model) valkeySkiplist(zo *parse.Value, n int64) int64 {
	ht := m.htBytes(presized(n), 0)
	if m.keyV9 {
		var nodes float64
		if zo != nil {
			for _, e := range zo.ZSet {
				nodes += m.zslNodeValkey9(e.Member.Len)
			}
		} else {
			nodes = float64(n) * m.zslNodeValkey9(8)
		}
		return m.robj + 16 + zslHeaderValkey9 + int64(math.Round(ht+nodes))
	}
	fixed := m.robj + 16 + 32 + m.alloc(24+16*32)
	return fixed + m.zsetMembers(zo, n) + int64(math.Round(ht+float64(n)*m.zslNode))
}

// hashEntryValkey is one field of a hash held in a table. The field's sds
// (at least an 8-bit header when it has a TTL, whose 8 bytes go in
// front) and the value's sds share one allocation while they fit in 128
// bytes; otherwise the entry holds a pointer to a separate value sds.
// Valkey 8.1 has no field TTLs.
func (m *Model) hashEntryValkey(f, v int64, ttl bool) int64 {
	fs := sdsHdrValkey8(f) + f + 1
	var e int64
	if ttl && m.keyV9 {
		fs = max(sdsHdrValkey8(f), 3) + f + 1
		e = 8
	}
	vs := 3 + v + 1
	if fs+e+vs <= 128 {
		return m.alloc(fs + e + vs)
	}
	return m.alloc(e+8+max(sdsHdrValkey8(f), 3)+f+1) + m.sds(v)
}

// valkeyHashMeta is the metadata a Valkey 9 hash table carries (the
// pointer to its set of fields with a TTL).
func (m *Model) valkeyHashMeta() int64 {
	if m.keyV9 {
		return 8
	}
	return 0
}

// valkeyHashHT sizes a hash held in a table of layout t.
func (m *Model) valkeyHashHT(ho *parse.Value, n int64, t htTable) int64 {
	v := m.robj + int64(math.Round(m.htBytes(t, m.valkeyHashMeta())))
	if ho == nil {
		return v + n*m.hashEntryValkey(8, 8, false)
	}
	var ttls []int64
	for _, h := range ho.Hash {
		ttl := h.ExpiresAt > 0
		v += m.hashEntryValkey(h.Field.Len, h.Value.Len, ttl)
		if ttl {
			ttls = append(ttls, h.ExpiresAt)
		}
	}
	if m.keyV9 {
		v += volatileSetBytes(ttls, m.alloc)
	}
	return v
}

// volatileSetBytes approximates what Valkey 9 counts for the index of a
// hash's fields with a TTL: nothing for one field, a vector of pointers
// (8-byte header, 8 per field) up to 127 fields, above that a radix tree
// of time windows, each holding its fields the same way. Windows are
// taken at their widest (8192 ms); the server may split dense ones finer,
// so this is an approximation (docs/memory-model.md).
func volatileSetBytes(expires []int64, alloc func(int64) int64) int64 {
	n := int64(len(expires))
	switch {
	case n <= 1:
		return 0
	case n <= 127:
		return alloc(8 + 8*n)
	}
	const window = 8192
	slices.Sort(expires)
	var keys [][]byte
	var total int64
	start := 0
	for i := 1; i <= len(expires); i++ {
		if i < len(expires) && expires[i]/window == expires[start]/window {
			continue
		}
		if m := int64(i - start); m >= 2 {
			total += alloc(8 + 8*m)
		}
		k := binary.BigEndian.AppendUint64(nil, uint64((expires[start]/window+1)*window))
		keys = append(keys, k)
		start = i
	}
	return total + raxAlloc(keys, 32, alloc)
}

// Redis 8.2+ (kvobj, derived from the sources, not validated): like
// Valkey 8.1 the key is embedded in its object, but the expire is an
// 8-byte metadata slot in front of the 16-byte object, and a string is
// embedded when 16 + (key + 3) + 4 + value <= 64 bytes. MEMORY USAGE
// reports the allocation of the object and of the value's structures.

// kvObject is the allocation of a Redis 8.2+ key object holding extra
// bytes of embedded value.
func (m *Model) kvObject(klen int64, ttl bool, extra int64) int64 {
	return m.alloc(expireSlot(klen, ttl) + 16 + 1 + sdsHdrRedis(klen) + klen + 1 + extra)
}

// kvobjStr sizes a string on Redis 8.2+.
func (m *Model) kvobjStr(r *parse.Record) (int64, string) {
	if r.Value == nil {
		return 0, encUnknown
	}
	s := r.Value.String
	n := s.Len
	k := int64(len(r.Key))
	if s.IsInt {
		return m.robj, encInt
	}
	if n <= embstrLimit && 16+(k+3)+4+n <= 64 {
		return m.kvObject(k, r.ExpiresAt != 0, 3+n+1), encEmbstr
	}
	return m.robj + m.sds(n), encRaw
}
