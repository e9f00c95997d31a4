package parse

// The RDB version in the header decides how a dump is checked (a version
// 5+ dump carries a CRC64 trailer), so a flipped header digit must not
// turn verification off: a dump whose value types or opcodes could only
// come from a newer version than its header says is corrupt. The first
// RDB version of each (Redis's rdb.h and release history; Valkey's
// VALKEY080 header is newer than all of them):
//
//	RDB 6              AUX (librdb's script_legacy.rdb: an RDB 6 dump with
//	                   a Lua script in an AUX field)
//	RDB 7 (Redis 3.2)  quicklist (14), AUX (Redis), RESIZEDB
//	RDB 8 (Redis 4.0)  ZSET_2 (5), MODULE_2 (7)
//	RDB 9 (Redis 5.0)  streams (15), MODULE_AUX, IDLE, FREQ
//	RDB 10 (Redis 7.0) listpack hash/zset (16, 17), quicklist 2 (18), streams 2 (19), FUNCTION, FUNCTION2
//	RDB 11 (Redis 7.2) listpack set (20), streams 3 (21)
//	RDB 12 (Redis 7.4) hashes with field TTLs (22 to 25), SLOT_INFO
//	RDB 13 (Redis 8.6) streams with IDMP (26), KEY_META (checked where read)

// typeSince is the first RDB version that can hold value type t.
func typeSince(t byte) int {
	switch {
	case t == 14:
		return 7
	case t == 5 || t == 7:
		return 8
	case t == 15:
		return 9
	case t >= 16 && t <= 19:
		return 10
	case t == 20 || t == 21:
		return 11
	case t >= 22 && t <= 25:
		return 12
	}
	return 1
}

// opcodeSince is the first RDB version that can hold opcode op.
func opcodeSince(op byte) int {
	switch op {
	case opAux:
		return 6
	case opResizeDB:
		return 7
	case opModuleAux, opIdle, opFreq:
		return 9
	case opFunction2, opFunctionPre:
		return 10
	case opSlotInfo:
		return 12
	}
	return 1
}

// newerThanHeader fails on an item, at stream offset at, that the dump's
// version cannot hold. It runs for every record, so the item's name is
// only made (by name) when it fails.
func (f *framer) newerThanHeader(at int64, since int, name func() string) error {
	if f.dump.valkey || f.dump.version >= since {
		return nil
	}
	item := name()
	return f.errAt(at, "%s in an RDB %d dump, which cannot hold it (it exists since RDB %d): the header or the data is corrupt", item, f.dump.version, since)
}
