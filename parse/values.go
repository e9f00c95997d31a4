package parse

import "fmt"

// typeInfo maps an RDB value type to its data type and serialized encoding.
func typeInfo(t byte) (string, string) {
	switch t {
	case 0:
		return TypeString, EncString
	case 1:
		return TypeList, EncList
	case 2:
		return TypeSet, EncSet
	case 3:
		return TypeZSet, EncZSet
	case 4:
		return TypeHash, EncHash
	case 5:
		return TypeZSet, EncZSet2
	case 6, 7:
		return TypeModule, EncModule
	case 9:
		return TypeHash, EncZipmap
	case 10:
		return TypeList, EncZiplist
	case 11:
		return TypeSet, EncIntset
	case 12:
		return TypeZSet, EncZiplist
	case 13:
		return TypeHash, EncZiplist
	case 14:
		return TypeList, EncQuicklist
	case 15, 19, 21, 26:
		return TypeStream, EncStream
	case 16:
		return TypeHash, EncListpack
	case 17:
		return TypeZSet, EncListpack
	case 18:
		return TypeList, EncQuicklist2
	case 20:
		return TypeSet, EncListpack
	case 22, 24:
		return TypeHash, EncHashEx
	case 23, 25:
		return TypeHash, EncListpackEx
	}
	return "", ""
}

// knownType: type 26 only in Redis RDB 13+ dumps (see record).
func knownType(t byte) bool {
	return t <= 7 || (t >= 9 && t <= 26)
}

// record frames into m one key record whose type byte t was just read,
// at stream offset at. m is filled in place: a meta is large, and this
// runs for every key.
func (f *framer) record(m *meta, t byte, at int64) error {
	*m = meta{typ: t, elements: 1, longElem: -1}
	r := &f.rec
	r.inKey = false
	r.inRec = true
	defer func() { r.inRec = false }()
	f.skip.active = false
	f.skip.countUnknown = false
	r.blobs = r.blobs[:0]
	r.plain = r.plain[:0]
	r.walks = r.walks[:0]
	r.warnings = nil
	r.saturated = false
	f.rec.typeAt, f.rec.idmpAt = r.unitStart, -1
	if !knownType(t) || t == 26 && (f.dump.version < 13 || f.dump.valkey) {
		return f.errAt(at, "unknown value type or opcode %d (0x%02x) in an RDB %d dump: %s", t, t, f.dump.version, unknownType(t))
	}
	if err := f.newerThanHeader(at, typeSince(t), func() string { return fmt.Sprintf("value type %d", t) }); err != nil {
		return err
	}
	if t == 6 {
		return f.errAt(at, "module value type 6 (RDB_TYPE_MODULE_PRE_GA, Redis 4.0 release candidates) cannot be parsed")
	}
	k, err := f.readStr("the key", needAll)
	if err != nil {
		return err
	}
	r.key = append(r.key[:0], k.data...)
	r.inKey = true
	if k.partial {
		r.warnings = append(r.warnings, fmt.Sprintf("key name of %d bytes: only its first %d bytes are kept", k.ulen, len(r.key)))
	}
	r.valAt = len(f.buf.out)
	if err := f.value(t, m); err != nil {
		return err
	}
	m.blobs = r.blobs
	m.warnings = r.warnings
	m.saturated = r.saturated
	r.inKey = false
	return nil
}

// hashKey is FNV-1a.
func hashKey[T ~string | ~[]byte](b T) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(b); i++ {
		h ^= uint64(b[i])
		h *= 1099511628211
	}
	return h
}

// value frames the value of a key record of type t.
func (f *framer) value(t byte, m *meta) error {
	switch t {
	case 0:
		v, err := f.readStr("the string value", needNone)
		// Kept for a string too large to decode: its decompressed length
		// is what it costs once loaded.
		f.rec.strBlob = Blob{Len: v.ulen, StoredLen: v.clen, Compressed: v.compressed, Count: 1}
		return err
	case 1, 2, 3, 4, 5:
		return f.plainCollection(t, m)
	case 7:
		return f.moduleValue(m)
	case 9:
		return f.zipmap(m)
	case 10, 12, 13:
		n, err := f.ziplist("a ziplist")
		if err != nil {
			return err
		}
		if t != 10 {
			n /= 2 // zset and hash ziplists hold pairs
		}
		m.elements = n
		return nil
	case 11:
		return f.intset(m)
	case 16, 17, 20, 23:
		n, err := f.listpack("a listpack")
		if err != nil {
			return err
		}
		switch t {
		case 16, 17:
			n /= 2 // pairs
		case 23:
			n /= 3 // field, value, TTL
		}
		m.elements = n
		return nil
	case 25:
		if _, err := f.readN(8, "the hash minimum field expiry"); err != nil {
			return err
		}
		n, err := f.listpack("a listpack")
		if err != nil {
			return err
		}
		m.elements = n / 3
		return nil
	case 14:
		return f.quicklist(m)
	case 18:
		return f.quicklist2(m)
	case 15, 19, 21, 26:
		return f.stream(t, m)
	case 22, 24:
		return f.hashWithTTLs(t, m)
	}
	return f.errAt(f.pos(), "unknown value type %d%s", t, f.keyDesc())
}

// plainCollection frames RDB_TYPE_LIST, _SET, _ZSET, _HASH and _ZSET_2:
// a count, then each element as a string (with a score for zsets, a value
// for hashes).
func (f *framer) plainCollection(t byte, m *meta) error {
	n, err := f.readCount("the element count")
	if err != nil {
		return err
	}
	m.elements = int64(min(n, 1<<62))
	for i := uint64(0); i < n; i++ {
		if i = f.plainRun(t, m, i, n); i == n {
			break
		}
		s, err := f.readStr("an element", needNone)
		if err != nil {
			return err
		}
		f.noteLong(m, i, s)
		switch t {
		case 3:
			// A score as a string whose length is one byte; 253-255 are
			// NaN and the infinities, with no bytes.
			l, err := f.readByte("a zset score")
			if err != nil {
				return err
			}
			if l < 253 {
				if _, err := f.readN(int64(l), "a zset score"); err != nil {
					return err
				}
			}
		case 4:
			s, err := f.readStr("a hash value", needNone)
			if err != nil {
				return err
			}
			f.noteLong(m, i, s)
		case 5:
			if _, err := f.readN(8, "a zset score"); err != nil {
				return err
			}
		}
	}
	return nil
}

// plainRun frames in one step the elements i, i+1, ... of a plain
// collection of type t that lie wholly in the bufio window, while no size
// limit is within reach and each string is one shortStr would read:
// their bytes are moved into the record buffer once for the run instead
// of once for each string and score. It returns the index of the first
// element left to the general path (n when none is).
func (f *framer) plainRun(t byte, m *meta, i, n uint64) uint64 {
	b := f.br.Buffered()
	if b == 0 || f.skip.active {
		return i
	}
	p, _ := f.br.Peek(b)
	if lim := f.limit(); lim > 0 {
		// What guard would allow, for a length read anywhere in the run.
		room := lim - (f.pos() + 9 - f.rec.startOff + f.rec.inflated)
		if room <= 0 {
			return i
		}
		p = p[:min(int64(len(p)), room)]
	}
	q := 0
	for ; i < n; i++ {
		hdr, l, ok := strAt(p[q:])
		if !ok {
			break
		}
		elem := strLen(p[q:], l)
		end := q + hdr + l
		value := int64(-1) // a hash value's length
		switch t {
		case 3:
			// A score as a string of one length byte (253-255: none).
			if end >= len(p) {
				ok = false
				break
			}
			if sl := p[end]; sl < 253 {
				end += int(sl)
			}
			end++
			ok = end <= len(p)
		case 4:
			hdr, l, ok = strAt(p[end:])
			if ok {
				value = strLen(p[end:], l)
				end += hdr + l
			}
		case 5:
			end += 8
			ok = end <= len(p)
		}
		if !ok {
			break
		}
		f.noteLong(m, i, str{ulen: elem})
		if value >= 0 {
			f.noteLong(m, i, str{ulen: value})
		}
		q = end
	}
	if q > 0 {
		f.take(p[:q])
	}
	return i
}

// hashWithTTLs frames RDB_TYPE_HASH_METADATA (and its pre-GA form) and
// Valkey's hash with field expiries.
func (f *framer) hashWithTTLs(t byte, m *meta) error {
	if t == 24 {
		if _, err := f.readN(8, "the hash minimum field expiry"); err != nil {
			return err
		}
	}
	n, err := f.readCount("the hash field count")
	if err != nil {
		return err
	}
	if n == 0 {
		return f.errAt(f.pos(), "empty hash with field expiry%s", f.keyDesc())
	}
	m.elements = int64(min(n, 1<<62))
	for i := uint64(0); i < n; i++ {
		if !f.dump.valkey {
			if _, err := f.readCount("a hash field TTL"); err != nil {
				return err
			}
		}
		s, err := f.readStr("a hash field", needNone)
		if err != nil {
			return err
		}
		f.noteLong(m, i, s)
		if s, err = f.readStr("a hash value", needNone); err != nil {
			return err
		}
		f.noteLong(m, i, s)
		if f.dump.valkey {
			if _, err := f.readN(8, "a hash field expiry"); err != nil {
				return err
			}
		}
	}
	return nil
}

// moduleName decodes the 9-character module type name from a 64-bit module
// id (the top 54 bits, 6 bits per character).
func moduleName(id uint64) string {
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var name [9]byte
	id >>= 10
	for j := 0; j < 9; j++ {
		name[8-j] = cset[id&63]
		id >>= 6
	}
	return string(name[:])
}

func (f *framer) zipmap(m *meta) error {
	s, err := f.readStr("a zipmap", needAll)
	if err != nil {
		return err
	}
	if s.partial {
		f.skip.countUnknown = true
		return nil
	}
	n, err := zipmapWalk(s.data)
	if err != nil {
		return f.blobErr("zipmap", err)
	}
	f.addBlob(s, n)
	m.elements = n
	return nil
}

func (f *framer) intset(m *meta) error {
	s, err := f.readStr("an intset", needHeader)
	if err != nil {
		return err
	}
	n, err := intsetCheck(s.data, s.ulen)
	if err != nil {
		return f.blobErr("intset", err)
	}
	f.addBlob(s, n)
	m.elements = n
	return nil
}

// quicklist frames RDB_TYPE_LIST_QUICKLIST: ziplist nodes.
func (f *framer) quicklist(m *meta) error {
	n, err := f.readCount("the quicklist node count")
	if err != nil {
		return err
	}
	m.elements = 0
	for i := uint64(0); i < n; i++ {
		c, err := f.ziplist("a quicklist node")
		if err != nil {
			return err
		}
		m.elements += c
	}
	return nil
}

// quicklist2 frames RDB_TYPE_LIST_QUICKLIST_2: listpack (PACKED) nodes
// and PLAIN nodes holding one large element each.
func (f *framer) quicklist2(m *meta) error {
	n, err := f.readCount("the quicklist node count")
	if err != nil {
		return err
	}
	m.elements = 0
	for i := uint64(0); i < n; i++ {
		at := f.pos()
		c, err := f.readCount("a quicklist node container")
		if err != nil {
			return err
		}
		switch c {
		case 1:
			start := len(f.buf.out) - 1 // the container byte
			s, err := f.readStr("a quicklist PLAIN node", needAll)
			if err != nil {
				return err
			}
			f.notePlain(start, s)
			if f.addBlob(s, 1) {
				f.rec.blobs[len(f.rec.blobs)-1].Plain = true
			}
			m.elements++
		case 2:
			c, err := f.quicklistNode()
			if err != nil {
				return err
			}
			m.elements += c
		default:
			return f.errAt(at, "invalid quicklist node container %d%s", c, f.keyDesc())
		}
	}
	return nil
}

// defaultLongElem is the default hash-max-listpack-value (and set-,
// zset-max-listpack-value, list-max-ziplist-value): Redis stops packing a
// value at the first element longer than this.
const defaultLongElem = 64

// noteLong records i as the first long element of m if s is one. The
// length is what Redis compares: the decoded length (digits for
// integer-encoded strings, the uncompressed size for LZF ones).
func (f *framer) noteLong(m *meta, i uint64, s str) {
	if m.longElem < 0 && s.ulen > f.longLimit {
		m.longElem = int64(min(i, 1<<62))
	}
}

// addBlob records a packed container of the current record; it returns
// false when the blob is not kept.
func (f *framer) addBlob(s str, count int64) bool {
	if f.skip.active && len(f.rec.blobs) > maxKeptBlobs {
		return false // tooLarge drops them anyway: bound the metadata
	}
	f.rec.blobs = append(f.rec.blobs, Blob{Len: s.ulen, StoredLen: s.clen, Compressed: s.compressed, Count: count})
	return true
}

// ziplist frames one ziplist blob and returns its entry count.
func (f *framer) ziplist(what string) (int64, error) {
	s, err := f.readStr(what, needHeader)
	if err != nil {
		return 0, err
	}
	hdr, err := zlCheckHeader(s.data, s.ulen)
	if err != nil {
		return 0, f.blobErr("ziplist", err)
	}
	n := hdr
	if f.skip.active && (s.partial || s.compressed && s.ulen > skipKeep) {
		// Only the header is at hand.
		if hdr == 65535 {
			f.skip.countUnknown = true
			n = 0
		}
	} else {
		// Walked entry by entry, compressed or not: the decoder trusts
		// every length inside.
		full := s.data
		if s.compressed {
			full, err = f.unlzf(s.raw, int(s.ulen), true)
			if err != nil {
				return 0, f.blobErr("ziplist", err)
			}
		}
		if n, err = zlWalk(full); err != nil {
			return 0, f.blobErr("ziplist", err)
		}
		if hdr != 65535 && n != hdr {
			return 0, f.blobErr("ziplist", fmt.Errorf("header says %d entries, found %d", hdr, n))
		}
	}
	f.addBlob(s, n)
	return n, nil
}

// quicklistNode frames one listpack node of a quicklist and, with
// Options.LZFSizes, measures its LZF length.
func (f *framer) quicklistNode() (int64, error) {
	need := needHeader
	if f.lzfSizes {
		need = needAll
	}
	s, err := f.readStr("a quicklist node", need)
	if err != nil {
		return 0, err
	}
	n, err := f.listpackCount(s)
	if err != nil {
		return 0, err
	}
	if f.addBlob(s, n) {
		f.noteLZF(s)
	}
	return n, nil
}

// listpack frames one listpack blob and returns its entry count, walking it
// when the header's count is saturated.
func (f *framer) listpack(what string) (int64, error) {
	s, err := f.readStr(what, needHeader)
	if err != nil {
		return 0, err
	}
	n, err := f.listpackCount(s)
	if err != nil {
		return 0, err
	}
	f.addBlob(s, n)
	return n, nil
}

// listpackCount validates a listpack and returns its entry count.
func (f *framer) listpackCount(s str) (int64, error) {
	hdr, err := lpCheckHeader(s.data, s.ulen)
	if err != nil {
		return 0, f.blobErr("listpack", err)
	}
	if f.skip.active && (s.partial || s.compressed && s.ulen > skipKeep) {
		// Only the header is at hand.
		if hdr == 65535 {
			f.skip.countUnknown = true
			return 0, nil
		}
		return hdr, nil
	}
	full := s.data
	if s.compressed && int64(len(full)) != s.ulen {
		if hdr != 65535 {
			// The header's count is trusted, after the checks the
			// servers make on load (docs/robustness.md): the entries
			// are walked only if the record is decoded (walkDeferred).
			return hdr, f.shallowListpack(s, hdr)
		}
		full, err = f.unlzf(s.raw, int(s.ulen), true)
		if err != nil {
			return 0, f.blobErr("listpack", err)
		}
	}
	n, err := lpWalk(full)
	if err != nil {
		return 0, f.blobErr("listpack", err)
	}
	if hdr != 65535 && n != hdr {
		return 0, f.blobErr("listpack", fmt.Errorf("header says %d entries, found %d", hdr, n))
	}
	if hdr == 65535 && n >= 65535 {
		f.rec.saturated = true
	}
	return n, nil
}

// stream frames a stream (types 15, 19 and 21): listpack nodes, then
// metadata and consumer groups.
func (f *framer) stream(t byte, m *meta) error {
	nodes, err := f.readCount("the stream listpack count")
	if err != nil {
		return err
	}
	for i := uint64(0); i < nodes; i++ {
		id, err := f.readStr("a stream node ID", needAll)
		if err != nil {
			return err
		}
		if len(id.data) != 16 {
			return f.blobErr("stream", fmt.Errorf("node ID of %d bytes (want 16)", len(id.data)))
		}
		s, err := f.readStr("a stream listpack", needHeader)
		if err != nil {
			return err
		}
		n, err := f.listpackCount(s)
		if err != nil {
			return err
		}
		if err := f.checkStreamMaster(s, n); err != nil {
			return err
		}
		f.addBlob(s, n)
	}
	l, err := f.readCount("the stream length")
	if err != nil {
		return err
	}
	m.elements = int64(min(l, 1<<62))
	ids := 1 // last id
	if t >= 19 {
		ids = 3 // + first id, max deleted id
	}
	for i := 0; i < ids*2; i++ {
		if _, err := f.readCount("a stream ID"); err != nil {
			return err
		}
	}
	if t >= 19 {
		if _, err := f.readCount("the stream entries-added counter"); err != nil {
			return err
		}
	}
	groups, err := f.readCount("the consumer group count")
	if err != nil {
		return err
	}
	for g := uint64(0); g < groups; g++ {
		if err := f.consumerGroup(t); err != nil {
			return err
		}
	}
	if t == 26 {
		f.rec.idmpAt = len(f.buf.out)
		return f.streamIDMP()
	}
	return nil
}

// streamIDMP frames the idempotent-producer section that type 26 (Redis
// 8.6) adds after the consumer groups: duration and capacity, then per
// producer its id and its recent (IID, entry ID) pairs, then two counters.
func (f *framer) streamIDMP() error {
	for _, w := range []string{"the stream IDMP duration", "the stream IDMP capacity"} {
		if _, err := f.readCount(w); err != nil {
			return err
		}
	}
	producers, err := f.readCount("the stream IDMP producer count")
	if err != nil {
		return err
	}
	for p := uint64(0); p < producers; p++ {
		if _, err := f.readStr("a stream IDMP producer id", needNone); err != nil {
			return err
		}
		n, err := f.readCount("a stream IDMP entry count")
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if _, err := f.readStr("a stream IDMP idempotency id", needNone); err != nil {
				return err
			}
			for _, w := range []string{"a stream IDMP entry ID", "a stream IDMP entry ID"} {
				if _, err := f.readCount(w); err != nil {
					return err
				}
			}
		}
	}
	for _, w := range []string{"the stream IDMP added counter", "the stream IDMP duplicates counter"} {
		if _, err := f.readCount(w); err != nil {
			return err
		}
	}
	return nil
}

// consumerGroup frames one consumer group of a stream of type t.
func (f *framer) consumerGroup(t byte) error {
	if _, err := f.readStr("a consumer group name", needNone); err != nil {
		return err
	}
	for i := 0; i < 2; i++ {
		if _, err := f.readCount("a consumer group last ID"); err != nil {
			return err
		}
	}
	if t >= 19 {
		if _, err := f.readCount("a consumer group entries-read counter"); err != nil {
			return err
		}
	}
	pel, err := f.readCount("a consumer group PEL size")
	if err != nil {
		return err
	}
	for i := uint64(0); i < pel; i++ {
		if _, err := f.readN(24, "a PEL entry"); err != nil {
			return err
		}
		if _, err := f.readCount("a PEL delivery count"); err != nil {
			return err
		}
	}
	consumers, err := f.readCount("a consumer count")
	if err != nil {
		return err
	}
	for c := uint64(0); c < consumers; c++ {
		if _, err := f.readStr("a consumer name", needNone); err != nil {
			return err
		}
		times := int64(8)
		if t >= 21 {
			times = 16
		}
		if _, err := f.readN(times, "a consumer seen/active time"); err != nil {
			return err
		}
		cp, err := f.readCount("a consumer PEL size")
		if err != nil {
			return err
		}
		for i := uint64(0); i < cp; i++ {
			if _, err := f.readN(16, "a consumer PEL entry"); err != nil {
				return err
			}
		}
	}
	return nil
}
