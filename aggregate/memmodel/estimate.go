package memmodel

import "github.com/rdbscope/rdbscope/parse"

// Encodings as OBJECT ENCODING names them.
const (
	encInt        = "int"
	encEmbstr     = "embstr"
	encRaw        = "raw"
	encQuicklist  = "quicklist"
	encListpack   = "listpack"
	encListpackEx = "listpackex"
	encZiplist    = "ziplist"
	encIntset     = "intset"
	encHashtable  = "hashtable"
	encSkiplist   = "skiplist"
	encStream     = "stream"
	encModule     = "module"
	encUnknown    = "unknown"
)

// sds returns the allocation of an sds string of length n as the server
// creates it with sdsnewlen (header + bytes + terminator, rounded up to the
// allocator's size class).
func (m *Model) sds(n int64) int64 {
	if m.flavor == valkey && m.ver >= 800 {
		return m.alloc(sdsHdrValkey8(n) + n + 1)
	}
	return m.alloc(sdsHdrRedis(n) + n + 1)
}

// keyBytes is what MEMORY USAGE adds for the key itself: its sds and the
// db dictEntry (Redis), or the dictEntry with the key embedded (Valkey 8).
func (m *Model) keyBytes(n int64) int64 {
	if m.keyInEntry {
		// dictEntryEmbedded: value (8), next (8), header offset (1), then
		// the key's sds copied with its header and terminator.
		return m.alloc(17 + sdsHdrValkey8(n) + n + 1)
	}
	k := m.sds(n) + m.dictEntry
	if m.cluster {
		// 7.0-7.2 cluster mode: the db dictEntry carries the slot-to-keys
		// list links (see ClusterKeyBytes).
		k += m.ClusterKeyBytes()
	}
	return k
}

// Estimate returns the bytes MEMORY USAGE key SAMPLES 0 reports for the
// key once the dump is loaded, and the encoding OBJECT ENCODING reports.
// It never panics: values it cannot make sense of are estimated from
// their element count and serialized size.
func (m *Model) Estimate(r *parse.Record) (memory int64, encoding string) {
	if r == nil {
		return 0, encUnknown
	}
	defer func() {
		if recover() != nil {
			memory, encoding = m.fallback(r), encUnknown
		}
	}()
	var v int64
	if r.Value == nil && (len(r.Blobs) == 0 || r.Type == parse.TypeString) && r.Type != parse.TypeModule {
		// Framed but not decoded (too large for --max-key-memory).
		if v, enc, ok := m.undecoded(r); ok && v > 0 {
			return v + m.keyBytes(int64(len(r.Key))), enc
		}
		return m.fallback(r), encUnknown
	}
	switch r.Type {
	case parse.TypeString:
		v, encoding = m.str(r)
	case parse.TypeList:
		v, encoding = m.list(r)
	case parse.TypeSet:
		v, encoding = m.set(r)
	case parse.TypeZSet:
		v, encoding = m.zset(r)
	case parse.TypeHash:
		v, encoding = m.hash(r)
	case parse.TypeStream:
		v, encoding = m.streamSize(r)
	case parse.TypeModule:
		// Module values are not decoded; MEMORY USAGE asks the module
		// (mem_usage callback, 0 if it has none). The serialized size
		// plus the object header is a labelled guess.
		v, encoding = m.robj+r.RDBBytes-int64(len(r.Key)), encModule
	default:
		return m.fallback(r), encUnknown
	}
	if v <= 0 {
		v = m.fallback(r) - m.keyBytes(int64(len(r.Key)))
	}
	return v + m.keyBytes(int64(len(r.Key))), encoding
}

// fallback: an estimate for values the model cannot decode.
func (m *Model) fallback(r *parse.Record) int64 {
	v := r.RDBBytes - int64(len(r.Key))
	if v < 0 {
		v = 0
	}
	return m.robj + m.alloc(v) + m.keyBytes(int64(len(r.Key)))
}

// ---- strings

// OBJ_ENCODING_EMBSTR_SIZE_LIMIT
const embstrLimit = 44

func (m *Model) str(r *parse.Record) (int64, string) {
	if r.Value == nil {
		return 0, encUnknown
	}
	s := r.Value.String
	n := s.Len
	// tryObjectEncoding: strings of up to 20 bytes that string2l accepts
	// become integers (robj only, or a shared integer: MEMORY USAGE still
	// counts one robj).
	if s.IsInt {
		return m.robj, encInt
	}
	if n <= embstrLimit {
		// robj + sdshdr8 + bytes + terminator in one allocation.
		return m.alloc(m.robj + 3 + n + 1), encEmbstr
	}
	return m.robj + m.sds(n), encRaw
}

// ---- lists

func (m *Model) list(r *parse.Record) (int64, string) {
	lo := r.Value
	switch r.RDBEncoding {
	case parse.EncQuicklist2:
		return m.quicklistFromBlobs(r, lo, false)
	case parse.EncQuicklist:
		// Ziplist nodes are converted to listpacks on load (7.0+).
		return m.quicklistFromBlobs(r, lo, m.ver >= 700)
	case parse.EncZiplist:
		if m.ver < 700 {
			// single ziplist becomes a one-node quicklist
			return m.quicklistFromBlobs(r, lo, false)
		}
		return m.quicklistFromValues(lo)
	default: // plain RDB_TYPE_LIST: pushed one by one
		return m.quicklistFromValues(lo)
	}
}

// quicklistFromBlobs: one node per blob. convert: the blob is a ziplist
// that the loader rewrites as a listpack (size computed from the values).
// lo is the decoded value, nil if it was not decoded.
func (m *Model) quicklistFromBlobs(r *parse.Record, lo *parse.Value, convert bool) (int64, string) {
	if len(r.Blobs) == 0 {
		return m.quicklistFromValues(lo)
	}
	var nodes, total, lastSize int64
	var packedNodes int64
	vi := 0
	for _, b := range r.Blobs {
		size := b.Len
		if convert && !b.Plain && lo != nil && b.Count >= 0 && vi+int(b.Count) <= len(lo.List) {
			size = lpHeader
			for _, v := range lo.List[vi : vi+int(b.Count)] {
				size += lpEntry(v)
			}
		}
		if b.Count > 0 {
			vi += int(b.Count)
		}
		if size <= 0 || (!b.Plain && b.Count == 0) {
			continue // empty ziplists are skipped by the loader
		}
		if !b.Plain {
			packedNodes++
		}
		nodes++
		lastSize = size
		total += m.quicklistNode + m.alloc(size)
	}
	if nodes == 0 {
		return m.quicklistFromValues(lo)
	}
	if m.listMaxLPBytes > 0 && nodes == 1 && packedNodes == 1 && lastSize <= m.listMaxLPBytes {
		return m.robj + m.alloc(lastSize), encListpack
	}
	if m.ver < 700 && !convert && r.RDBEncoding != parse.EncQuicklist2 {
		return m.robj + m.quicklist + total, encQuicklist
	}
	return m.robj + m.quicklist + total, encQuicklist
}

// quicklistFromValues packs the values into listpack nodes as
// quicklistPushTail does with list-max-listpack-size -2 (8 KiB nodes).
func (m *Model) quicklistFromValues(lo *parse.Value) (int64, string) {
	if lo == nil {
		return 0, encUnknown
	}
	const limit = 8192
	const packedThreshold = 1 << 30
	var total, nodes, cur, lastSize int64
	cur = -1
	flush := func() {
		if cur > 0 {
			total += m.quicklistNode + m.alloc(cur)
			lastSize = cur
			nodes++
		}
		cur = -1
	}
	plain := false
	for _, v := range lo.List {
		n := v.Len
		if n >= packedThreshold {
			flush()
			total += m.quicklistNode + m.alloc(n)
			nodes++
			plain = true
			continue
		}
		e := lpEntry(v)
		if cur < 0 {
			cur = lpHeader + e
			continue
		}
		if cur+e > limit {
			flush()
			cur = lpHeader + e
			continue
		}
		cur += e
	}
	flush()
	if nodes == 0 {
		return 0, encUnknown
	}
	if m.listMaxLPBytes > 0 && nodes == 1 && !plain && lastSize <= m.listMaxLPBytes {
		return m.robj + m.alloc(lastSize), encListpack
	}
	return m.robj + m.quicklist + total, encQuicklist
}
