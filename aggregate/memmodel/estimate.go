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

// keyBytes is what MEMORY USAGE adds for the key itself to a value
// sized with a 16-byte object header (robj): on Redis the key's sds and
// the db dictEntry; on Valkey 8.0 the dictEntry with the key embedded;
// on Valkey 8.1 nothing (the key lives in the value's object, which
// MEMORY USAGE counts as 16 bytes); on Valkey 9 the rest of the key
// object. An embedded string's size is its whole object already.
func (m *Model) keyBytes(r *parse.Record, enc string) int64 {
	n := int64(len(r.Key))
	switch {
	case m.kvobj:
		if enc == encEmbstr {
			return 0
		}
		return m.kvObject(n, r.ExpiresAt != 0, 0) - m.robj
	case m.embedKey:
		if !m.keyV9 || enc == encEmbstr {
			return 0
		}
		return m.keyObject(n, r.ExpiresAt != 0) - m.robj
	case m.keyInEntry:
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

// Size is what the model says of one key once the dump is loaded.
type Size struct {
	// Memory is what MEMORY USAGE key SAMPLES 0 reports.
	Memory int64
	// Allocated is what the server allocates for the key: its value, its
	// key and its entry in the db's table, as the allocator rounds them.
	// It differs from Memory where MEMORY USAGE over- or under-counts:
	// streams with consumer groups (Redis <= 8.0, Valkey 8.0: radix tree
	// nodes counted at 244 bytes), shared integers (counted, never
	// allocated), Valkey 8.1's key objects (not counted), and the
	// allocator's rounding of dict entries.
	Allocated int64
	// Encoding is what OBJECT ENCODING reports.
	Encoding string
}

// Size returns both figures of a key and its encoding. It never panics.
func (m *Model) Size(r *parse.Record) Size {
	mem, enc := m.Estimate(r)
	return Size{Memory: mem, Allocated: max(mem+m.NodeExtra(r, enc), 0), Encoding: enc}
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
			return v + m.keyBytes(r, enc), enc
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
		if r.Value != nil && r.Value.VectorSet != nil {
			return m.vectorSet(r), encRaw
		}
		// Module values are not decoded; MEMORY USAGE asks the module
		// (mem_usage callback, 0 if it has none). The serialized size
		// plus the object header is a labelled guess.
		v, encoding = m.robj+r.RDBBytes-int64(len(r.Key)), encModule
	default:
		return m.fallback(r), encUnknown
	}
	if v <= 0 {
		v = m.fallback(r) - m.keyBytes(r, encUnknown)
	}
	if m.kvobj {
		// Redis 8.2+ reports what the value allocates.
		v += m.valueExtra(r, encoding)
	}
	return v + m.keyBytes(r, encoding), encoding
}

// fallback: an estimate for values the model cannot decode.
func (m *Model) fallback(r *parse.Record) int64 {
	v := r.RDBBytes - int64(len(r.Key))
	if v < 0 {
		v = 0
	}
	return m.robj + m.alloc(v) + m.keyBytes(r, encUnknown)
}

// ---- strings

// OBJ_ENCODING_EMBSTR_SIZE_LIMIT
const embstrLimit = 44

func (m *Model) str(r *parse.Record) (int64, string) {
	if m.embedKey {
		return m.valkeyStr(r)
	}
	if m.kvobj {
		return m.kvobjStr(r)
	}
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
	mem, enc, _ := m.listNodes(r)
	return mem, enc
}

// listNodes is list with the number of quicklist nodes (0 for a
// listpack).
func (m *Model) listNodes(r *parse.Record) (int64, string, int64) {
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

// nodeLimits are the limits list-max-listpack-size (fill) puts on a
// quicklist node: a byte size for negative fills (4, 8, 16, 32, 64 KiB
// for -1 to -5), an entry count for positive ones (with an 8 KiB safety
// size while pushing). A limit that does not apply is -1.
func nodeLimits(fill int64) (size, count int64) {
	if fill >= 0 {
		return -1, max(fill, 1)
	}
	level := min(-fill-1, 4)
	return 4096 << level, -1
}

// listpackEncoded reports whether a list of one packed node of sz bytes
// and count entries becomes a plain listpack (listTypeTryConversion,
// 7.2+): within the fill's limits.
func (m *Model) listpackEncoded(sz, count int64) bool {
	if !m.lpLists {
		return false
	}
	size, cnt := nodeLimits(m.listFill)
	return (size < 0 || sz <= size) && (cnt < 0 || count <= cnt)
}

// quicklistFromBlobs: one node per blob. convert: the blob is a ziplist
// that the loader rewrites as a listpack (size computed from the values).
// lo is the decoded value, nil if it was not decoded.
func (m *Model) quicklistFromBlobs(r *parse.Record, lo *parse.Value, convert bool) (int64, string, int64) {
	if len(r.Blobs) == 0 {
		return m.quicklistFromValues(lo)
	}
	type node struct {
		size, count int64
		blob        parse.Blob
		plain       bool
	}
	nodes := make([]node, 0, len(r.Blobs))
	vi := 0
	for _, b := range r.Blobs {
		size := b.Len
		if convert && !b.Plain && lo != nil && b.Count >= 0 && vi+int(b.Count) <= len(lo.List) {
			size = lpHeader
			for _, v := range lo.List[vi : vi+int(b.Count)] {
				size += lpEntry(v)
			}
			b.Compressed = false // rewritten: its stored form says nothing of the listpack
		}
		if b.Count > 0 {
			vi += int(b.Count)
		}
		if size <= 0 || (!b.Plain && b.Count == 0) {
			continue // empty ziplists are skipped by the loader
		}
		nodes = append(nodes, node{size: size, count: b.Count, blob: b, plain: b.Plain})
	}
	if len(nodes) == 0 {
		return m.quicklistFromValues(lo)
	}
	if len(nodes) == 1 && !nodes[0].plain && m.listpackEncoded(nodes[0].size, max(nodes[0].count, 1)) {
		return m.robj + m.alloc(nodes[0].size), encListpack, 0
	}
	total := m.robj + m.quicklist
	for i, n := range nodes {
		total += m.quicklistNode + m.alloc(n.size)
		if d := m.compressDepth; d > 0 && i >= int(d) && i < len(nodes)-int(d) {
			total += m.compressedNode(n.size, n.blob) - m.alloc(n.size)
		}
	}
	return total, encQuicklist, int64(len(nodes))
}

// compressedNode is what an interior node of sz bytes costs once the
// loading server compresses it (list-compress-depth): LZF, kept only if it
// saves at least 8 bytes, behind a 4-byte length, for nodes of 48 bytes
// or more. The compressed size is the framer's (parse.Blob.LZFLen, the
// servers' LZF from an empty table, as on load). Without it, the dump's:
// the saving server compressed the same bytes with the same LZF, or kept
// the node compressed and wrote it as it was (see docs/memory-model.md:
// a node compressed again and again while a server ran can be smaller
// than on load); a node stored uncompressed did not compress.
func (m *Model) compressedNode(sz int64, b parse.Blob) int64 {
	lzf := b.LZFLen
	if lzf == 0 {
		lzf = -1
		if b.Compressed {
			lzf = b.StoredLen
		}
	}
	if sz < 48 || lzf < 0 || lzf+8 >= sz {
		return m.alloc(sz)
	}
	return m.alloc(4 + lzf)
}

// quicklistFromValues packs the values into listpack nodes as
// quicklistPushTail does with the fill of list-max-listpack-size: a node
// takes an element while its size plus the element's length plus 8 stays
// within the size limit (or its entry count within the count limit and
// 8 KiB). An element too large for a node gets a PLAIN node of its own:
// from 1 GiB on Redis 7.0-7.2 (and Valkey 7.2), above the node's size
// limit (8 KiB for positive fills) on Redis 7.4+ and Valkey 8+.
func (m *Model) quicklistFromValues(lo *parse.Value) (int64, string, int64) {
	if lo == nil {
		return 0, encUnknown, 0
	}
	sizeLimit, countLimit := nodeLimits(m.listFill)
	large := int64(1) << 30
	if m.ver >= 704 {
		large = sizeLimit + 1
		if sizeLimit < 0 {
			large = 8192 + 1
		}
	}
	var total, nodes, cur, count, lastSize, lastCount int64
	cur = -1
	flush := func() {
		if cur > 0 {
			total += m.quicklistNode + m.alloc(cur)
			lastSize, lastCount = cur, count
			nodes++
		}
		cur, count = -1, 0
	}
	plain := false
	for _, v := range lo.List {
		n := v.Len
		if n >= large {
			flush()
			total += m.quicklistNode + m.alloc(n)
			nodes++
			plain = true
			continue
		}
		e := lpEntry(v)
		if cur >= 0 {
			est := cur + n + 8
			fits := est <= sizeLimit
			if sizeLimit < 0 {
				fits = est <= 8192 && count+1 <= countLimit
			}
			if fits {
				cur += e
				count++
				continue
			}
			flush()
		}
		cur, count = lpHeader+e, 1
	}
	flush()
	if nodes == 0 {
		return 0, encUnknown, 0
	}
	if nodes == 1 && !plain && m.listpackEncoded(lastSize, lastCount) {
		return m.robj + m.alloc(lastSize), encListpack, 0
	}
	return m.robj + m.quicklist + total, encQuicklist, nodes
}
