package parse

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"unsafe"
)

// A Value describes a value by the lengths and integer-ness of its
// strings, which a walk of the record's bytes tells without decoding it
// (see Value). The framer has already validated the record; a filler
// walks it again, on one of the decoding goroutines, and fills the Value
// the decoder would have given, for every type but zipmaps (Redis < 2.6).
//
// It is deliberately no more lenient than the decoder: whatever the
// decoder would reject, or read differently from the server (a listpack
// whose header count is saturated, a hash with a field twice, a score it
// cannot parse, a stream entry it would stop on), makes the filler give
// up, and the record goes to the decoder, which decides. So a report
// never depends on which of the two read a value.

// filler fills Values from record bytes, reusing its storage from one
// record to the next (see maxReused).
type filler struct {
	v      Value
	elems  []Elem
	zset   []ZMember
	hash   []HashField
	stream Stream
	lzf    []byte   // decompressed blobs
	name   []byte   // decompressed short strings
	seen   []uint64 // hashes of hash fields, to find a field twice
}

// fill describes the value of type t (the type byte as the decoder is
// shown it) serialized in b, from a dump written by Valkey if valkey. It
// returns false when the value is left to the decoder.
func (f *filler) fill(t byte, valkey bool, b []byte) (v *Value, ok bool) {
	defer func() {
		// The framer validated these bytes: a walk that falls off them
		// is a bug, and the decoder is the safe answer.
		if recover() != nil {
			v, ok = nil, false
		}
	}()
	f.reset()
	c := &cursor{b: b, ok: true}
	switch t {
	case 0:
		f.v.String = f.str(c)
	case 1, 2:
		f.elems = f.plainElems(c, f.elems)
		if t == 1 {
			f.v.List = f.elems
		} else {
			f.v.Set = f.elems
		}
	case 3, 5:
		ok = f.plainZSet(c, t == 5)
	case 4:
		ok = f.plainHash(c)
	case 22, 24:
		if valkey {
			ok = f.valkeyHashTTL(c)
		} else {
			ok = f.hashTTL(c, t == 22)
		}
	case 10, 12, 13:
		ok = f.ziplistValue(c, t)
	case 11:
		ok = f.intsetValue(c)
	case 14:
		ok = f.quicklist(c)
	case 18:
		ok = f.quicklist2(c)
	case 16, 17, 20:
		ok = f.listpackValue(c, t)
	case 23, 25:
		if t == 25 {
			c.take(8)
		}
		ok = f.listpackEx(c)
	case 15, 19, 21:
		ok = f.streamValue(c, t)
	default:
		return nil, false // zipmaps, modules
	}
	if t <= 2 {
		ok = true
	}
	if !ok || !c.ok {
		return nil, false
	}
	return &f.v, true
}

// reset drops the previous Value, and the storage of a huge one.
func (f *filler) reset() {
	f.v = Value{}
	f.elems, f.zset, f.hash = reuse(f.elems), reuse(f.zset), reuse(f.hash)
	if cap(f.lzf) > 4*maxReused {
		f.lzf = nil
	}
}

// cursor reads a validated record. A read past the end leaves ok false
// and returns zeros, so that loops end.
type cursor struct {
	b  []byte
	p  int
	ok bool
}

func (c *cursor) fail() { c.ok = false; c.p = len(c.b) }

func (c *cursor) byte() byte {
	if c.p >= len(c.b) {
		c.fail()
		return 0
	}
	v := c.b[c.p]
	c.p++
	return v
}

func (c *cursor) take(n int) []byte {
	if n < 0 || n > len(c.b)-c.p {
		c.fail()
		return nil
	}
	v := c.b[c.p : c.p+n]
	c.p += n
	return v
}

// length reads an RDB length as the decoder does: the 11xxxxxx string
// encodings come back with special set.
func (c *cursor) length() (uint64, bool) {
	b := c.byte()
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false
	case 1:
		return uint64(b&0x3f)<<8 | uint64(c.byte()), false
	case 2:
		switch b {
		case 0x80:
			if p := c.take(4); p != nil {
				return uint64(binary.BigEndian.Uint32(p)), false
			}
		case 0x81:
			if p := c.take(8); p != nil {
				return binary.BigEndian.Uint64(p), false
			}
		default:
			c.fail()
		}
		return 0, false
	}
	return uint64(b & 0x3f), true
}

// count reads a length that counts items. Counts bigger than the bytes
// left cannot be right (every item takes a byte at least).
func (c *cursor) count() int {
	n, special := c.length()
	if special || n > uint64(len(c.b)-c.p) {
		c.fail()
		return 0
	}
	return int(n)
}

// raw reads an RDB string; the bytes of an LZF string are decompressed
// into dst (reused) when want, else only its length is computed.
// ok is false when the string is one the decoder would fail on.
func (f *filler) raw(c *cursor, dst *[]byte, want bool) (data []byte, e Elem) {
	n, special := c.length()
	if !special {
		if n > uint64(len(c.b)-c.p) {
			c.fail()
			return nil, Elem{}
		}
		data = c.take(int(n))
		return data, ElemOf(data)
	}
	switch n {
	case 0, 1, 2:
		var v int64
		switch n {
		case 0:
			v = int64(int8(c.byte()))
		case 1:
			if p := c.take(2); p != nil {
				v = int64(int16(binary.LittleEndian.Uint16(p)))
			}
		case 2:
			if p := c.take(4); p != nil {
				v = int64(int32(binary.LittleEndian.Uint32(p)))
			}
		}
		e = Elem{Len: intLen(v), IsInt: true, Int: v}
		if want {
			data = strconv.AppendInt((*dst)[:0], v, 10)
			*dst = data
		}
		return data, e
	case 3:
		clen, sp1 := c.length()
		ulen, sp2 := c.length()
		if sp1 || sp2 || clen > uint64(len(c.b)-c.p) || ulen > 1<<40 {
			c.fail()
			return nil, Elem{}
		}
		src := c.take(int(clen))
		got, ok := lzfOutLen(src, int(ulen))
		if !ok {
			c.fail()
			return nil, Elem{}
		}
		if !want && got > 20 {
			// Its length is all that matters (no integer is that
			// long): checked as the decoder decompresses, not written.
			return nil, Elem{Len: int64(got)}
		}
		if cap(*dst) < got {
			*dst = make([]byte, got)
		}
		out := (*dst)[:got]
		if m, _, err := lzfDecode(out, src); err != nil || m != got {
			c.fail()
			return nil, Elem{}
		}
		*dst = out
		return out, ElemOf(out)
	}
	c.fail()
	return nil, Elem{}
}

// str reads a string element.
func (f *filler) str(c *cursor) Elem {
	_, e := f.raw(c, &f.name, false)
	return e
}

// intLen is the length of v's decimal form. It compares with powers of
// ten instead of dividing: it runs for every integer-encoded string.
func intLen(v int64) int64 {
	n := int64(1)
	u := uint64(v)
	if v < 0 {
		n++
		u = -u
	}
	// u <= 1<<63 < 10^19: p stops at 10^19 at most, which fits.
	for p := uint64(10); u >= p; p *= 10 {
		n++
	}
	return n
}

// plainElems reads a count and as many strings.
func (f *filler) plainElems(c *cursor, dst []Elem) []Elem {
	n := c.count()
	for i := 0; i < n && c.ok; i++ {
		dst = append(dst, f.str(c))
	}
	return dst
}

// plainZSet reads RDB_TYPE_ZSET (scores as strings) or _ZSET_2.
func (f *filler) plainZSet(c *cursor, binaryScores bool) bool {
	n := c.count()
	for i := 0; i < n && c.ok; i++ {
		m := ZMember{Member: f.str(c)}
		if binaryScores {
			if p := c.take(8); p != nil {
				m.Score = math.Float64frombits(binary.LittleEndian.Uint64(p))
			}
		} else {
			switch l := c.byte(); l {
			case 255:
				m.Score = math.Inf(-1)
			case 254:
				m.Score = math.Inf(1)
			case 253:
				m.Score = math.NaN()
			default:
				s, err := strconv.ParseFloat(unsafeString(c.take(int(l))), 64)
				if err != nil {
					return false
				}
				m.Score = s
			}
		}
		f.zset = append(f.zset, m)
	}
	f.v.ZSet = f.zset
	return true
}

// field reads a hash field, remembering it to find it twice.
func (f *filler) field(c *cursor) Elem {
	data, e := f.raw(c, &f.name, true)
	f.seen = append(f.seen, hashKey(data))
	return e
}

// plainHash reads RDB_TYPE_HASH.
func (f *filler) plainHash(c *cursor) bool {
	f.seen = f.seen[:0]
	n := c.count()
	for i := 0; i < n && c.ok; i++ {
		h := HashField{Field: f.field(c)}
		h.Value = f.str(c)
		f.hash = append(f.hash, h)
	}
	return f.endHash()
}

// endHash sets the hash read, unless a field may be there twice: the
// decoder keeps each field once, the server refuses such a dump, and
// which is right is not the filler's to say.
func (f *filler) endHash() bool {
	if len(f.seen) > 1 {
		s := f.seen
		slices.Sort(s)
		for i := 1; i < len(s); i++ {
			if s[i] == s[i-1] {
				return false
			}
		}
	}
	if cap(f.seen) > maxReused {
		f.seen = nil
	}
	f.v.Hash = f.hash
	return true
}

// Field expiry bounds of the decoder (ebuckets' EB_EXPIRE_TIME_MAX).
const (
	ebExpireMax     = int64(0x0000FFFFFFFFFFFF)
	ebExpireInvalid = ebExpireMax + 1
)

// hashTTL reads Redis's RDB_TYPE_HASH_METADATA (24: TTLs relative to a
// minimum) and its pre-GA form (22: absolute TTLs), as the decoder does.
func (f *filler) hashTTL(c *cursor, preGA bool) bool {
	f.seen = f.seen[:0]
	minExpire := ebExpireInvalid
	if !preGA {
		p := c.take(8)
		if p == nil {
			return false
		}
		minExpire = int64(binary.LittleEndian.Uint64(p))
		if minExpire > ebExpireInvalid {
			return false
		}
	}
	n := c.count()
	if n == 0 {
		return false
	}
	for i := 0; i < n && c.ok; i++ {
		ttl, _ := c.length()
		expire := int64(ttl)
		switch {
		case preGA:
		case ttl == 0:
			expire = 0
		default:
			expire = int64(ttl) + minExpire - 1
		}
		if expire > ebExpireMax {
			return false
		}
		h := HashField{Field: f.field(c), ExpiresAt: max(expire, 0)}
		h.Value = f.str(c)
		f.hash = append(f.hash, h)
	}
	return f.endHash()
}

// valkeyHashTTL reads Valkey 9's hash with field expiries (type 22):
// each pair followed by its absolute expiry, negative for none.
func (f *filler) valkeyHashTTL(c *cursor) bool {
	f.seen = f.seen[:0]
	n := c.count()
	if n == 0 {
		return false
	}
	for i := 0; i < n && c.ok; i++ {
		h := HashField{Field: f.field(c)}
		h.Value = f.str(c)
		if p := c.take(8); p != nil {
			h.ExpiresAt = max(int64(binary.LittleEndian.Uint64(p)), 0)
		}
		f.hash = append(f.hash, h)
	}
	return f.endHash()
}

// blob reads a packed container's string, decompressed; nil when the
// decoder would fail on it (or read it shorter than claimed).
func (f *filler) blob(c *cursor) []byte {
	n, special := c.length()
	if special && n == 3 {
		clen, sp1 := c.length()
		ulen, sp2 := c.length()
		if sp1 || sp2 || clen > uint64(len(c.b)-c.p) || ulen > 1<<40 {
			c.fail()
			return nil
		}
		src := c.take(int(clen))
		if cap(f.lzf) < int(ulen) {
			f.lzf = make([]byte, ulen)
		}
		out := f.lzf[:ulen]
		if got, full, err := lzfDecode(out, src); err != nil || !full || got != int(ulen) {
			c.fail()
			return nil
		}
		return out
	}
	if special || n > uint64(len(c.b)-c.p) {
		c.fail()
		return nil
	}
	return c.take(int(n))
}

// elemSink receives the entries of a packed container: the bytes of a
// string entry (nil for integers) and its Elem.
type elemSink func(data []byte, e Elem) bool

// ziplistEntries reads the entries a ziplist's header counts, as the
// decoder does (it trusts the count); a saturated count makes the decoder
// stop short of the real entries, so the value is left to it.
func ziplistEntries(b []byte, sink elemSink) bool {
	if len(b) < 11 {
		return false
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	if n == 65535 {
		return false
	}
	p := 10
	for range n {
		if p >= len(b) {
			return false
		}
		if b[p] == 0xFE {
			p += 5
		} else {
			p++
		}
		if p >= len(b) {
			return false
		}
		h := b[p]
		p++
		var l int
		switch h >> 6 {
		case 0:
			l = int(h & 0x3f)
		case 1:
			if p >= len(b) {
				return false
			}
			l = int(h&0x3f)<<8 | int(b[p])
			p++
		case 2:
			if p+4 > len(b) {
				return false
			}
			l = int(binary.BigEndian.Uint32(b[p:]))
			p += 4
		default:
			var v int64
			k, ok := zlIntBytes(h)
			if !ok {
				return false
			}
			if k == 0 {
				v = int64(h&0x0f) - 1
			} else {
				if p+k > len(b) {
					return false
				}
				var u uint64
				for i := k - 1; i >= 0; i-- {
					u = u<<8 | uint64(b[p+i])
				}
				shift := uint(64 - 8*k)
				v = int64(u<<shift) >> shift
				p += k
			}
			if !sink(nil, Elem{Len: intLen(v), IsInt: true, Int: v}) {
				return false
			}
			continue
		}
		if l < 0 || p+l > len(b) {
			return false
		}
		s := b[p : p+l]
		p += l
		if !sink(s, ElemOf(s)) {
			return false
		}
	}
	return true
}

// listpackEntries reads the entries a listpack's header counts, as the
// decoder does; see ziplistEntries.
func listpackEntries(b []byte, sink elemSink) bool {
	if len(b) < 7 {
		return false
	}
	n := int(binary.LittleEndian.Uint16(b[4:]))
	if n == 65535 {
		return false
	}
	p := 6
	for range n {
		data, v, isInt, next, ok := lpNext(b, p)
		if !ok {
			return false
		}
		p = next
		e := Elem{Len: intLen(v), IsInt: true, Int: v}
		if !isInt {
			e = ElemOf(data)
		}
		if !sink(data, e) {
			return false
		}
	}
	return true
}

// lpNext reads the listpack entry at b[p:], back-length included, and
// returns the position after it; ok is false when it runs past b or is
// not an entry.
func lpNext(b []byte, p int) (data []byte, v int64, isInt bool, next int, ok bool) {
	if p >= len(b) {
		return nil, 0, false, 0, false
	}
	c := b[p]
	var hdr, l int
	switch {
	case c < 0x80:
		v, isInt, hdr = int64(c), true, 1
	case c < 0xC0:
		hdr, l = 1, int(c&0x3f)
	case c < 0xE0:
		if p+1 >= len(b) {
			return nil, 0, false, 0, false
		}
		u := int64(c&0x1f)<<8 | int64(b[p+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		v, isInt, hdr = u, true, 2
	case c < 0xF0:
		if p+1 >= len(b) {
			return nil, 0, false, 0, false
		}
		hdr, l = 2, int(c&0x0f)<<8|int(b[p+1])
	case c == 0xF0:
		if p+5 > len(b) {
			return nil, 0, false, 0, false
		}
		hdr, l = 5, int(binary.LittleEndian.Uint32(b[p+1:]))
	case c >= 0xF1 && c <= 0xF4:
		k := [...]int{2, 3, 4, 8}[c-0xF1]
		if p+1+k > len(b) {
			return nil, 0, false, 0, false
		}
		var u uint64
		for i := k; i >= 1; i-- {
			u = u<<8 | uint64(b[p+i])
		}
		shift := uint(64 - 8*k)
		v, isInt, hdr = int64(u<<shift)>>shift, true, 1+k
	default:
		return nil, 0, false, 0, false
	}
	if isInt {
		next = p + hdr + lpBacklen(hdr)
	} else {
		if l < 0 || p+hdr+l > len(b) {
			return nil, 0, false, 0, false
		}
		data = b[p+hdr : p+hdr+l]
		next = p + hdr + l + lpBacklen(hdr+l)
	}
	if next > len(b) {
		return nil, 0, false, 0, false
	}
	return data, v, isInt, next, true
}

// list collects a list's or set's entries.
func (f *filler) list() elemSink {
	return func(_ []byte, e Elem) bool {
		f.elems = append(f.elems, e)
		return true
	}
}

// pairs collects a zset's (member, score) or a hash's (field, value)
// entries.
func (f *filler) pairs(zset bool) elemSink {
	var first Elem
	odd := false
	return func(data []byte, e Elem) bool {
		odd = !odd
		if odd {
			first = e
			if !zset {
				if data == nil {
					data = strconv.AppendInt(f.name[:0], e.Int, 10)
					f.name = data
				}
				f.seen = append(f.seen, hashKey(data))
			}
			return true
		}
		if !zset {
			f.hash = append(f.hash, HashField{Field: first, Value: e})
			return true
		}
		var s float64
		if data == nil {
			s = float64(e.Int)
		} else {
			var err error
			if s, err = strconv.ParseFloat(unsafeString(data), 64); err != nil {
				return false
			}
		}
		f.zset = append(f.zset, ZMember{Member: first, Score: s})
		return true
	}
}

// ziplistValue reads a list (10), zset (12) or hash (13) ziplist.
func (f *filler) ziplistValue(c *cursor, t byte) bool {
	as := byte('h')
	switch t {
	case 10:
		as = 'l'
	case 12:
		as = 'z'
	}
	return f.packedValue(c, as, ziplistEntries, 8)
}

// listpackValue reads a hash (16), zset (17) or set (20) listpack.
func (f *filler) listpackValue(c *cursor, t byte) bool {
	as := byte('h')
	switch t {
	case 17:
		as = 'z'
	case 20:
		as = 's'
	}
	return f.packedValue(c, as, listpackEntries, 4)
}

// packedValue reads a packed container whose entries are those of a
// list ('l'), a set ('s'), a zset ('z') or a hash ('h'); its entry count
// is at countAt.
func (f *filler) packedValue(c *cursor, as byte, entries func([]byte, elemSink) bool, countAt int) bool {
	b := f.blob(c)
	if len(b) < countAt+2 {
		return false
	}
	switch as {
	case 'l', 's':
		if !entries(b, f.list()) {
			return false
		}
		if as == 'l' {
			f.v.List = f.elems
		} else {
			f.v.Set = f.elems
		}
		return true
	case 'z':
		if !evenCount(b[countAt:]) || !entries(b, f.pairs(true)) {
			return false
		}
		f.v.ZSet = f.zset
		return true
	}
	f.seen = f.seen[:0]
	if !evenCount(b[countAt:]) || !entries(b, f.pairs(false)) {
		return false
	}
	return f.endHash()
}

// evenCount reports whether the 2-byte entry count at h is even: the
// decoder reads pairs, and an odd count makes it read past the last.
func evenCount(h []byte) bool {
	return len(h) >= 2 && binary.LittleEndian.Uint16(h)%2 == 0
}

// listpackEx reads a hash listpack with field TTLs (23, 25): field,
// value, TTL triples, the TTL an integer.
func (f *filler) listpackEx(c *cursor) bool {
	b := f.blob(c)
	if len(b) < 7 {
		return false
	}
	n := binary.LittleEndian.Uint16(b[4:])
	if n == 0 || n%3 != 0 {
		return false
	}
	f.seen = f.seen[:0]
	var h HashField
	i := 0
	ok := listpackEntries(b, func(data []byte, e Elem) bool {
		switch i % 3 {
		case 0:
			h = HashField{Field: e}
			if data == nil {
				data = strconv.AppendInt(f.name[:0], e.Int, 10)
				f.name = data
			}
			f.seen = append(f.seen, hashKey(data))
		case 1:
			h.Value = e
		case 2:
			if data != nil {
				return false // the decoder wants an integer
			}
			h.ExpiresAt = max(e.Int, 0)
			f.hash = append(f.hash, h)
		}
		i++
		return true
	})
	return ok && f.endHash()
}

// intsetValue reads an intset.
func (f *filler) intsetValue(c *cursor) bool {
	b := f.blob(c)
	if len(b) < 8 {
		return false
	}
	w := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if (w != 2 && w != 4 && w != 8) || n < 0 || 8+n*w > len(b) {
		return false
	}
	for i := range n {
		p := b[8+i*w:]
		var v int64
		switch w {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			v = int64(binary.LittleEndian.Uint64(p))
		}
		f.elems = append(f.elems, Elem{Len: intLen(v), IsInt: true, Int: v})
	}
	f.v.Set = f.elems
	return true
}

// quicklist reads RDB_TYPE_LIST_QUICKLIST: ziplist nodes.
func (f *filler) quicklist(c *cursor) bool {
	n := c.count()
	for i := 0; i < n && c.ok; i++ {
		b := f.blob(c)
		if b == nil || !ziplistEntries(b, f.list()) {
			return false
		}
	}
	f.v.List = f.elems
	return true
}

// quicklist2 reads RDB_TYPE_LIST_QUICKLIST_2: listpack nodes (PLAIN nodes
// are shown to the decoder, and so here, as one-entry listpacks).
func (f *filler) quicklist2(c *cursor) bool {
	n := c.count()
	for i := 0; i < n && c.ok; i++ {
		if k, _ := c.length(); k != 2 {
			return false
		}
		b := f.blob(c)
		if b == nil || !listpackEntries(b, f.list()) {
			return false
		}
	}
	f.v.List = f.elems
	return true
}

// Stream entry flags.
const (
	streamDeleted    = 1
	streamSameFields = 2
)

// streamValue reads a stream of type t (15, 19, 21): the master ID of
// each listpack node, the consumer groups with their pending entries and
// consumers. Each listpack is walked as the decoder reads its entries.
func (f *filler) streamValue(c *cursor, t byte) bool {
	s := &f.stream
	s.Nodes = s.Nodes[:0]
	if cap(s.Nodes) > maxReused {
		s.Nodes = nil
	}
	s.Groups = nil
	nodes := c.count()
	for i := 0; i < nodes && c.ok; i++ {
		id, _ := f.raw(c, &f.name, true)
		if len(id) < 16 {
			return false
		}
		var k StreamID
		copy(k[:], id[:16])
		s.Nodes = append(s.Nodes, k)
		b := f.blob(c)
		if b == nil || !streamEntries(b) {
			return false
		}
	}
	c.length() // entries
	ids := 2   // last ID
	if t >= 19 {
		ids = 6 + 1 // + first, max deleted, entries added
	}
	for range ids {
		c.length()
	}
	groups := c.count()
	for g := 0; g < groups && c.ok; g++ {
		name, _ := f.raw(c, &f.name, true)
		sg := StreamGroup{Name: string(name)}
		c.length()
		c.length()
		if t >= 19 {
			c.length()
		}
		pel := c.count()
		for i := 0; i < pel && c.ok; i++ {
			var k StreamID
			copy(k[:], c.take(16))
			c.take(8)
			c.length()
			sg.Pending = append(sg.Pending, k)
		}
		consumers := c.count()
		for j := 0; j < consumers && c.ok; j++ {
			cname, _ := f.raw(c, &f.name, true)
			sc := StreamConsumer{Name: string(cname), NameLen: int64(len(cname))}
			c.take(8)
			if t >= 21 {
				c.take(8)
			}
			cp := c.count()
			for i := 0; i < cp && c.ok; i++ {
				var k StreamID
				copy(k[:], c.take(16))
				sc.Pending = append(sc.Pending, k)
			}
			sg.Consumers = append(sg.Consumers, sc)
		}
		s.Groups = append(s.Groups, sg)
	}
	f.v.Stream = s
	return c.ok
}

// streamEntries walks a stream listpack the way the decoder reads it:
// the master entry (counts of live and deleted entries, the master
// fields, its end), then each entry (flags, ID deltas, its own fields
// unless it has the master's, values, its end), with integers where the
// decoder wants integers.
func streamEntries(b []byte) bool {
	p := 6
	next := func() (data []byte, v int64, isInt bool, ok bool) {
		data, v, isInt, p, ok = lpNext(b, p)
		return data, v, isInt, ok
	}
	intAt := func() (int64, bool) {
		_, v, isInt, ok := next()
		return v, ok && isInt
	}
	any := func() bool {
		_, _, _, ok := next()
		return ok
	}
	count, ok1 := intAt()
	deleted, ok2 := intAt()
	fields, ok3 := intAt()
	if !ok1 || !ok2 || !ok3 || fields < 0 || fields > int64(len(b)) {
		return false
	}
	for range fields {
		if !any() {
			return false
		}
	}
	if !any() {
		return false
	}
	total := count + deleted
	if count < 0 || deleted < 0 || total > int64(len(b)) {
		return false
	}
	for range total {
		flag, ok := intAt()
		if !ok {
			return false
		}
		if _, ok := intAt(); !ok {
			return false
		}
		if _, ok := intAt(); !ok {
			return false
		}
		n := fields
		same := flag&streamSameFields != 0
		if !same {
			if n, ok = intAt(); !ok {
				return false
			}
		}
		if same && n > fields {
			return false
		}
		for i := int64(0); i < n; i++ {
			if !same && !any() {
				return false
			}
			if !any() {
				return false
			}
		}
		if !any() {
			return false
		}
	}
	return true
}

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
