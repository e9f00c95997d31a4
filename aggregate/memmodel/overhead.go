package memmodel

import (
	"math"

	"github.com/rdbscope/rdbscope/parse"
)

// startupBytes is used_memory_startup of a server started with default
// settings and no data, as measured on the corpus servers (standalone and
// cluster mode). It holds the shared objects, the command table, the
// client and replication structures, Lua, and in cluster mode the
// cluster state and slot tables.
func startupBytes(flavor string, ver int, cluster bool) int64 {
	switch {
	case flavor == valkey && ver >= 800:
		if cluster {
			return 1650000
		}
		return 912400
	case ver >= 704:
		if cluster {
			return 2285200
		}
		return 946650
	case ver >= 702:
		if cluster {
			return 1600000
		}
		return 866250
	default:
		if cluster {
			return 1605900
		}
		return 876450
	}
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
// MEMORY USAGE reports (positive or negative). MEMORY USAGE counts
// sizeof(dictEntry) for the key's db entry and for every element of a
// hashtable, where the allocator hands out its size class (32 bytes for
// 24 with the 16-byte quantum of distribution builds, 48 for the 40-byte
// entry of a 7.0/7.2 cluster node); and Redis 7.2-8.0 count 24 bytes per
// set member although set dicts store a member alone in its bucket
// without an entry and chain the others in 16-byte entries. Summed over a
// node and added to the sum of MEMORY USAGE and NodeOverhead, it brings
// the estimate closer to used_memory (e.g. -7.5% -> 0% on a 5 M-field
// hash on Debian's 7.0). It never affects Estimate.
func (m *Model) NodeExtra(r *parse.Record, enc string) int64 {
	if r == nil {
		return 0
	}
	var extra int64
	if !m.keyInEntry {
		e := m.dictEntry
		if m.cluster {
			e += m.ClusterKeyBytes()
		}
		extra += m.alloc(e) - e
	}
	if enc != encHashtable && enc != encSkiplist {
		return extra
	}
	n := r.Elements
	if n <= 0 {
		return extra
	}
	slack := m.alloc(m.dictEntry) - m.dictEntry
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
