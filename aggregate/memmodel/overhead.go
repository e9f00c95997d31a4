package memmodel

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
// bucket arrays of the main and expires dicts and the expires dict entries.
// The db dictEntry and key of every key are already in MEMORY USAGE.
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
		return total + expires*m.dictEntry
	}
	for _, n := range keysPerDB {
		total += m.dbDictBytes(n)
	}
	for _, n := range expiresPerDB {
		total += m.dbDictBytes(n) + n*m.dictEntry
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
