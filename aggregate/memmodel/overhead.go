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
// bucket arrays of the main and expires dicts, the expires dict entries,
// and the per-slot dicts of a 7.4+ cluster node (kvstore). The db
// dictEntry and key of every key are already in MEMORY USAGE.
func (m *Model) NodeOverhead(keysPerDB, expiresPerDB map[int]int64) int64 {
	total := startupBytes(m.flavor, m.ver, m.cluster)
	for _, n := range keysPerDB {
		total += m.dbDictBytes(n)
	}
	for _, n := range expiresPerDB {
		total += m.dbDictBytes(n) + n*m.dictEntry
	}
	// client output/query buffers of one idle client (the one that
	// SAVEd or will read the report): ~20 KB query buffer + reply list.
	return total
}

// dbDictBytes is the bucket memory of a db dict (or of the per-slot dicts
// of a cluster node) holding n keys, after serverCron resized it:
// nextpow2(n) buckets of 8 bytes.
func (m *Model) dbDictBytes(n int64) int64 {
	if n <= 0 {
		return 0
	}
	if m.cluster && m.kvstore {
		// one dict per slot owned; keys spread evenly over the slots.
		const slots = 16384 / 3
		s := int64(slots)
		if n < s {
			s = n
		}
		per := (n + s - 1) / s
		return s * (m.dictStruct + 8*nextPow2(per, 4))
	}
	return 8 * nextPow2(n, 4)
}
