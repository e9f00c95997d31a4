package memmodel

import (
	"math"

	"github.com/rdbscope/rdbscope/parse"
)

// startupBytes is what a running server holds besides its data:
// used_memory_startup of a server started with default settings and no
// data, as measured on the corpus servers (standalone and cluster mode),
// which holds the shared objects, the command table, the client and
// replication structures, Lua, and in cluster mode the cluster state and
// slot tables; plus what a running server adds to it with a client
// connected (idleBytes).
func startupBytes(flavor string, ver int, cluster bool) int64 {
	return usedMemoryStartup(flavor, ver, cluster) + idleBytes(flavor, ver)
}

// idleBytes is used_memory minus used_memory_startup of a running server
// holding no key, with one client connected (measured on every server of
// the integration test, with and without a dump loaded and flushed:
// 112.5-117 KB on Redis 7.0-8.0, 91.6-95.7 KB on Valkey 8.x-9.x).
func idleBytes(flavor string, ver int) int64 {
	if flavor == valkey && ver >= 800 {
		return 92000
	}
	return 112600
}

// usedMemoryStartup is used_memory_startup.
func usedMemoryStartup(flavor string, ver int, cluster bool) int64 {
	// Cluster mode adds the cluster state and, with per-slot tables, the
	// slot arrays: measured on 7.0.15 and 7.4.1; elsewhere the closest
	// measured difference is assumed (docs/memory-model.md).
	switch {
	case flavor == valkey && ver >= 900:
		return withCluster(927450, cluster, 737600)
	case flavor == valkey && ver >= 801:
		return withCluster(879900, cluster, 737600)
	case flavor == valkey && ver >= 800:
		return withCluster(912400, cluster, 737600)
	case ver >= 800:
		return withCluster(653200, cluster, 1338550)
	case ver >= 704:
		return withCluster(946650, cluster, 1338550)
	case ver >= 702:
		return withCluster(866250, cluster, 733750)
	default:
		return withCluster(876450, cluster, 729450)
	}
}

func withCluster(standalone int64, cluster bool, extra int64) int64 {
	if cluster {
		return standalone + extra
	}
	return standalone
}

// NodeOverhead returns what a node holding keysPerDB keys, expiresPerDB
// of them with a TTL, spends outside MEMORY USAGE: startup memory, the
// bucket arrays of the main and expires dicts and the expires dict entries
// (as the allocator rounds them: 32 bytes each with a 16-byte quantum).
// The db dictEntry and key of every key are already in MEMORY USAGE; what
// the allocator adds to those, and MEMORY USAGE's own over- and
// under-counts, are per key: see NodeExtra.
//
// slotKeys, for a cluster node, holds the number of keys of each hash slot
// that has keys (in any order). Redis 7.4+ and Valkey 8 keep one dict per
// slot (kvstore), created on demand and freed when empty, so their bucket
// memory depends on how keys spread over slots; older servers keep one
// dict per db and ignore it.
func (m *Model) NodeOverhead(keysPerDB, expiresPerDB map[int]int64, slotKeys []int64) int64 {
	total := startupBytes(m.flavor, m.ver, m.cluster)
	if m.embedKey {
		return total + m.valkeyKeyspace(keysPerDB, expiresPerDB, slotKeys)
	}
	if m.cluster && m.kvstore && len(slotKeys) > 0 {
		// Cluster mode has db 0 only. Expires are not counted per slot in
		// the profile: spread them over the slots like the keys.
		var keys, expires int64
		for _, n := range keysPerDB {
			keys += n
		}
		for _, n := range expiresPerDB {
			expires += n
		}
		for _, n := range slotKeys {
			total += m.slotDictBytes(n)
			if keys > 0 && expires > 0 {
				total += m.slotDictBytes((n*expires + keys - 1) / keys)
			}
		}
		return total + expires*m.alloc(m.dictEntry)
	}
	for _, n := range keysPerDB {
		total += m.dbDictBytes(n)
	}
	for _, n := range expiresPerDB {
		total += m.dbDictBytes(n) + n*m.alloc(m.dictEntry)
	}
	return total
}

// valkeyKeyspace is the memory of Valkey 8.1+'s keyspace and expires
// tables (one per db, or per slot in cluster mode, made when they get
// their first key): a struct with 16 bytes of metadata, the buckets and
// their child buckets. The loader sizes them from the dump's RESIZEDB
// counts: per db, or in cluster mode the db's count spread over the
// slots, each growing as its keys arrive. A key with a TTL costs nothing
// more: the expires table points at the same object.
func (m *Model) valkeyKeyspace(keysPerDB, expiresPerDB map[int]int64, slotKeys []int64) int64 {
	table := func(presize, n int64) int64 {
		if n <= 0 {
			return 0
		}
		b := htBuckets(presize)
		for n > 7*b {
			b = htBuckets(7*b + 1)
		}
		return m.alloc(m.htStruct+16) + int64(math.Round(64*(float64(b)+htChildren(n, b))))
	}
	var total int64
	if m.cluster && len(slotKeys) > 0 {
		var keys, expires int64
		for _, n := range keysPerDB {
			keys += n
		}
		for _, n := range expiresPerDB {
			expires += n
		}
		slots := int64(len(slotKeys))
		for _, n := range slotKeys {
			total += table(keys/slots, n)
			if keys > 0 && expires > 0 {
				total += table(expires/slots, (n*expires+keys-1)/keys)
			}
		}
		return total
	}
	for _, n := range keysPerDB {
		total += table(n, n)
	}
	for _, n := range expiresPerDB {
		total += table(n, n)
	}
	return total
}

// dbDictBytes is the bucket memory of a db dict holding n keys, after
// serverCron resized it: nextpow2(n) buckets of 8 bytes.
func (m *Model) dbDictBytes(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return 8 * nextPow2(n, 4)
}

// slotDictBytes is one per-slot dict of a kvstore holding n keys: the dict
// struct and its buckets.
func (m *Model) slotDictBytes(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return m.dictStruct + 8*nextPow2(n, 4)
}

// NodeExtra returns, for a key whose MEMORY USAGE is estimated with
// encoding enc, the bytes the server really allocates for it minus what
// MEMORY USAGE reports (positive or negative); Size.Allocated is the sum.
// Where they differ:
//
//   - MEMORY USAGE counts sizeof(dictEntry) for the key's db entry and for
//     every element of a hashtable hash/set or skiplist zset, where the
//     allocator hands out its size class (32 bytes for 24 with the 16-byte
//     quantum of distribution builds, 48 for the 40-byte entry of a
//     7.0/7.2 cluster node); likewise sizeof of the value's dict (56
//     bytes, 64 allocated), quicklist (40, 48 allocated) and of every
//     quicklist node (40, 48 allocated: a list of 8-entry nodes
//     allocates 8 bytes per node more than it reports);
//   - Redis 7.2-8.0 count 24 bytes per set member although their set
//     dicts store a member alone in its bucket without an entry and chain
//     the others in 16-byte entries;
//   - Redis <= 8.0 and Valkey 8.0 count every radix tree node of a stream
//     as 244 bytes (streams with consumer groups: 4-7 times what they
//     allocate);
//   - a string holding an integer 0-9999 is the server's shared object
//     when the loading server allows it (Redis <= 8.0, Valkey 8.0; not
//     with maxmemory and an LRU/LFU policy): MEMORY USAGE still counts 16
//     bytes for it;
//   - Valkey 8.1 does not count the object that holds the key (except for
//     embedded strings); Valkey 8.1+ count hash table structs unrounded,
//     Valkey 9 a skiplist's header as 528 bytes where 640 are allocated;
//   - vector sets: the module's own estimate against the structure;
//   - Redis 8.2+ (key and value in one object, MEMORY USAGE their
//     allocation): only the db dict's 16-byte entry.
//
// Summed over a node and added to the sum of MEMORY USAGE and
// NodeOverhead, it brings the estimate to what the node allocates.
func (m *Model) NodeExtra(r *parse.Record, enc string) int64 {
	if r == nil {
		return 0
	}
	switch {
	case m.kvobj:
		// MEMORY USAGE is the allocation of the key's object and value;
		// the db dict's entry for it is not counted.
		return m.alloc(16)
	case m.embedKey:
		if !m.keyV9 && enc != encEmbstr {
			return m.keyObject(int64(len(r.Key)), r.ExpiresAt != 0) - m.robj + m.valueExtra(r, enc)
		}
		return m.valueExtra(r, enc)
	case !m.keyInEntry:
		e := m.dictEntry
		if m.cluster {
			e += m.ClusterKeyBytes()
		}
		return m.alloc(e) - e + m.valueExtra(r, enc)
	}
	return m.valueExtra(r, enc)
}

// valueExtra is what a key's value allocates beyond what MEMORY USAGE
// counts for it on Redis <= 8.0 and Valkey (see NodeExtra).
func (m *Model) valueExtra(r *parse.Record, enc string) int64 {
	var extra int64
	switch r.Type {
	case parse.TypeString:
		if enc == encInt && m.sharesIntegers() && r.Value != nil && r.Value.String.IsInt &&
			r.Value.String.Int >= 0 && r.Value.String.Int < sharedIntegers {
			extra -= m.robj
		}
		return extra
	case parse.TypeStream:
		if enc == encStream {
			mem, _ := m.streamSize(r)
			extra += m.streamAllocExtra(r, mem)
		}
		return extra
	case parse.TypeModule:
		if r.Value != nil && r.Value.VectorSet != nil {
			extra += m.vectorSetAlloc(r.Value.VectorSet) - (m.vectorSet(r) - m.keyBytes(r, encRaw))
		}
		return extra
	}
	if r.Type == parse.TypeList && enc == encQuicklist && m.slack(m.quicklistNode) != 0 {
		// Only where the allocator rounds the structs (16-byte quantum):
		// estimating the list again costs nothing elsewhere.
		_, _, nodes := m.listNodes(r)
		return extra + m.slack(m.quicklist) + nodes*m.slack(m.quicklistNode)
	}
	if enc != encHashtable && enc != encSkiplist {
		return extra
	}
	if m.embedKey {
		meta := int64(0)
		if r.Type == parse.TypeHash {
			meta = m.valkeyHashMeta()
		}
		extra += m.htRealExtra(meta)
		if r.Type == parse.TypeZSet && m.keyV9 {
			extra += m.alloc(zslHeaderValkey9) - zslHeaderValkey9
		}
		return extra
	}
	extra += m.slack(m.dictStruct)
	n := r.Elements
	if n <= 0 {
		return extra
	}
	slack := m.slack(m.dictEntry)
	if r.Type == parse.TypeSet && m.ver >= 702 {
		if m.flavor == valkey && m.ver >= 800 {
			return extra // Valkey 8 counts its set entries as they are
		}
		buckets := nextPow2(n, 4)
		chained := float64(n) - expectedNonEmpty(buckets, n)
		return extra + int64(math.Round(16*chained)) - n*m.dictEntry
	}
	return extra + n*slack
}

// sharedIntegers is OBJ_SHARED_INTEGERS: the integer objects 0-9999
// that a server creates at startup and reuses for such values.
const sharedIntegers = 10000

// sharesIntegers reports whether the loading server holds integer
// strings 0-9999 as its shared objects: Redis <= 8.0 and Valkey 8.0 do
// unless they run with maxmemory and an LRU or LFU policy; Valkey 8.1+
// embed the key in every value's object, so never.
func (m *Model) sharesIntegers() bool {
	return !m.embedKey && !m.kvobj && !noSharedIntegers(m.cfg.Maxmemory, m.cfg.Policy)
}
