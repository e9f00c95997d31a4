package parse

import (
	"encoding/binary"
	"io"
	"slices"
	"strconv"
)

// Every byte the framer reads passes through here: it is appended to the
// chunk being built for the decoder, added to the CRC64 before it leaves
// that chunk (forwarded, stripped or dropped), and decoded as RDB lengths
// and strings. Nothing is allocated from a length field: the buffer grows
// only as bytes really arrive.

const (
	chunkTarget  = 256 << 10 // forward to the decoder in chunks of about this size
	chunkRecords = 4096      // or of at most this many records
	readChunk    = 1 << 20   // largest single read into the record buffer
)

// chunk is what the framer forwards to the decoding side: complete items
// only, with the records framed in them, their keys and blobs.
type chunk struct {
	data  []byte
	metas []meta
	keys  []byte // the records' keys, one after the other
	blobs []Blob // the records' blobs, one after the other
	err   error  // met once the chunk's records are delivered: the framer's failure

	// Filled on the decoding side.
	done    chan struct{} // closed once recs (and res) are ready
	recs    []Record
	res     any   // the ParseWith caller's results, a []T
	failAt  int   // index of the record that could not be decoded; -1 if none
	failErr error // why
}

// chunkBuffer holds the bytes read since the last chunk was sent. Bytes
// the decoding side must not see are cut out of it (replace), and the
// checksum is brought up to date before they go, so that it always covers
// the dump exactly as stored.
type chunkBuffer struct {
	out    []byte // bytes of the chunk being built
	base   int64  // stream offset of out[0] (bytes cut out count too)
	crcPos int    // out[:crcPos] is already in crc
	crc    uint64 // CRC64 state (crc64.go)
	metas  []meta // records framed in out
	keys   []byte // their keys
	blobs  []Blob // their blobs
	send   func(*chunk) error
	fresh  func() *chunk // an empty chunk whose storage the next one reuses
	next   *chunk        // that chunk
	// spare, if set, returns an empty buffer of at least n bytes kept from
	// an earlier big record, or nil.
	spare func(n int) []byte
	// onBig, if set, is called when the chunk outgrows bigRecord.
	onBig func()
}

func newChunkBuffer(send func(*chunk) error, fresh func() *chunk) chunkBuffer {
	b := chunkBuffer{send: send, fresh: fresh}
	if b.fresh == nil {
		b.fresh = newChunk
	}
	b.take()
	return b
}

// newChunk makes an empty chunk.
func newChunk() *chunk {
	return &chunk{data: make([]byte, 0, chunkTarget+chunkTarget/4)}
}

// take starts building in a fresh chunk's storage.
func (b *chunkBuffer) take() {
	b.next = b.fresh()
	if cap(b.next.data) == 0 {
		b.next.data = make([]byte, 0, chunkTarget+chunkTarget/4)
	}
	b.out, b.metas, b.keys, b.blobs = b.next.data[:0], b.next.metas[:0], b.next.keys[:0], b.next.blobs[:0]
}

// grow makes room for n more bytes in out, at least doubling it: append
// grows big slices by a quarter at a time, which copies a record of
// megabytes five times over.
func (b *chunkBuffer) grow(n int) {
	if b.onBig != nil && len(b.out)+n > bigRecord {
		// Before the room test: a buffer kept from an earlier big record
		// has room for the next. The records before go first, since
		// onBig waits for them.
		if len(b.metas) > 0 {
			b.sendDone()
		}
		b.onBig()
	}
	if cap(b.out)-len(b.out) >= n {
		return
	}
	if len(b.metas) > 0 && len(b.out)+n > bigRecord {
		b.sendDone()
	}
	if b.spare != nil {
		if s := b.spare(len(b.out) + n); s != nil {
			b.out = append(s, b.out...)
			return
		}
	}
	b.out = slices.Grow(b.out[:len(b.out):len(b.out)], max(n, cap(b.out)))
}

// bigRecord is the chunk size past which the records already complete
// in it are sent ahead of the one being read.
const bigRecord = 4 * chunkTarget

// sendDone sends a copy of the complete records of the chunk ahead of a
// record that outgrows it: a huge key takes long to read and may cost
// the process its life (a parser child over its memory limit), and the
// keys before it should not wait for it. The bytes stay in out, where
// the framer's offsets into the record being read point; the chunk sent
// later holds no record of them. A failed send shows up on the next one.
func (b *chunkBuffer) sendDone() {
	end := 0
	for i := range b.metas {
		if m := &b.metas[i]; m.at >= 0 {
			end = max(end, m.end)
		}
	}
	c := b.fresh()
	c.data = append(c.data[:0], b.out[:end]...)
	c.metas = append(c.metas[:0], b.metas...)
	c.keys = append(c.keys[:0], b.keys...)
	c.blobs = append(c.blobs[:0], b.blobs...)
	c.err = nil
	b.metas, b.keys, b.blobs = b.metas[:0], b.keys[:0], b.blobs[:0]
	_ = b.send(c)
}

// add queues the record framed last, with its key and blobs, in the chunk.
func (b *chunkBuffer) add(m *meta, key []byte) {
	m.keyAt, m.keyLen = len(b.keys), len(key)
	b.keys = append(b.keys, key...)
	m.blobAt, m.blobN = len(b.blobs), len(m.blobs)
	b.blobs = append(b.blobs, m.blobs...)
	m.blobs = nil
	b.metas = append(b.metas, *m)
}

// pos is the stream offset of the next byte to read.
func (b *chunkBuffer) pos() int64 { return b.base + int64(len(b.out)) }

// sum adds the bytes not yet checksummed to the CRC.
func (b *chunkBuffer) sum() {
	b.crc = crc64Update(b.crc, b.out[b.crcPos:])
	b.crcPos = len(b.out)
}

// replace puts nb in place of out[from:] in what the decoder will see; the
// checksum covers the bytes as read. replace(from, nil) drops them.
func (b *chunkBuffer) replace(from int, nb []byte) {
	b.sum()
	b.base += int64(len(b.out) - from - len(nb))
	b.out = append(b.out[:from], nb...)
	b.crcPos = len(b.out)
}

// strip drops out[from:] from what the decoder will see.
func (b *chunkBuffer) strip(from int) { b.replace(from, nil) }

// cut drops a partial item at out[from:] after a failure: the decoder
// would trust its lengths and allocate what they say. Nothing is
// checksummed any more after a failure.
func (b *chunkBuffer) cut(from int) {
	if len(b.out) > from {
		b.out = b.out[:from]
		b.crcPos = min(b.crcPos, from)
	}
}

// full reports whether the chunk is big enough to send. Records the
// decoder never sees leave no bytes in out: they count too, or a dump of
// such keys would hold every record's metadata until the end.
func (b *chunkBuffer) full() bool {
	return len(b.out) >= chunkTarget || len(b.metas) >= chunkRecords || len(b.keys) >= chunkTarget
}

// flush sends the chunk built so far, with err for the decoding side to
// meet after its records (nil, or the framer's failure).
func (b *chunkBuffer) flush(err error) error {
	b.sum()
	c := b.next
	c.data, c.metas, c.keys, c.blobs, c.err = b.out, b.metas, b.keys, b.blobs, err
	b.base += int64(len(b.out))
	b.crcPos = 0
	b.take()
	return b.send(c)
}

// str describes one RDB string as framed.
type str struct {
	data       []byte // decoded bytes, or a prefix of them (see readStr's need)
	raw        []byte // the stored (compressed) bytes of an LZF string
	rawAt      int    // index of raw in buf.out, while the record is framed; -1 if not there
	partial    bool   // data (or raw) is only a prefix: the record is being skipped
	ulen       int64
	clen       int64
	compressed bool
	isInt      bool
}

// How much of a string's content a caller needs decoded.
const (
	needNone   = iota // skip the content
	needHeader        // decode at least the first 64 bytes
	needAll           // decode everything
)

func (f *framer) pos() int64 { return f.buf.pos() }

func (f *framer) readByte(what string) (byte, error) {
	return f.readByteOf(what, "")
}

// readByteOf is readByte for what+sub, joined only for a message.
func (f *framer) readByteOf(what, sub string) (byte, error) {
	b, err := f.br.ReadByte()
	if err != nil {
		return 0, f.ioErr(err, what+sub)
	}
	f.buf.grow(1)
	f.buf.out = append(f.buf.out, b)
	return b, nil
}

// readN appends the next n bytes to the record buffer and returns them. It
// grows the buffer only as bytes actually arrive.
func (f *framer) readN(n int64, what string) ([]byte, error) {
	f.skip.partial = false
	if f.guarded(n) {
		f.guard(n)
		if f.skip.active && n > skipKeep {
			return f.skipN(n, what)
		}
	}
	start := len(f.buf.out)
	if n <= int64(f.br.Buffered()) {
		b, _ := f.br.Peek(int(n))
		f.buf.grow(int(n))
		f.buf.out = append(f.buf.out, b...)
		_, _ = f.br.Discard(int(n))
		return f.buf.out[start:], nil
	}
	for n > 0 {
		k := min(n, readChunk)
		f.buf.grow(int(k))
		m, err := io.ReadFull(f.br, f.buf.out[len(f.buf.out):len(f.buf.out)+int(k)])
		f.buf.out = f.buf.out[:len(f.buf.out)+m]
		if err != nil {
			return nil, f.ioErr(err, what)
		}
		n -= k
		if err := f.ctx.Err(); err != nil {
			return nil, f.ioErr(err, what)
		}
	}
	return f.buf.out[start:], nil
}

// readLen reads a length-encoded integer; special reports the 11xxxxxx
// string encodings, with the encoding in the returned value.
func (f *framer) readLen(what string) (uint64, bool, error) {
	return f.readLenOf(what, "")
}

// readLenOf is readLen for what+sub, joined only for a message.
func (f *framer) readLenOf(what, sub string) (uint64, bool, error) {
	if f.guarded(9) {
		// Values made of lengths only (module integers) must drain too.
		f.guard(9)
	}
	at := f.pos()
	b, err := f.readByteOf(what, sub)
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false, nil
	case 1:
		b2, err := f.readByteOf(what, sub)
		if err != nil {
			return 0, false, err
		}
		return uint64(b&0x3f)<<8 | uint64(b2), false, nil
	case 2:
		name := what
		if sub != "" {
			name += sub // lengths this long are rare
		}
		switch b {
		case 0x80:
			p, err := f.readN(4, name)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(p)), false, nil
		case 0x81:
			p, err := f.readN(8, name)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(p), false, nil
		}
		return 0, false, f.errAt(at, "invalid length encoding 0x%02x while reading %s%s%s", b, what, sub, f.keyDesc())
	}
	return uint64(b & 0x3f), true, nil
}

// readCount reads a length that counts items.
func (f *framer) readCount(what string) (uint64, error) {
	return f.readCountOf(what, "")
}

// readCountOf is readCount for what+sub, joined only for a message: the
// lengths of every LZF string are read with such names.
func (f *framer) readCountOf(what, sub string) (uint64, error) {
	at := f.pos()
	n, special, err := f.readLenOf(what, sub)
	if err == nil && special {
		err = f.errAt(at, "invalid length encoding 0x%02x while reading %s%s%s", 0xC0|n, what, sub, f.keyDesc())
	}
	return n, err
}

// readStr reads an RDB string. need says how much of the content the
// caller wants decoded; with needNone, data is nil for LZF and
// integer-encoded strings.
func (f *framer) readStr(what string, need int) (s str, err error) {
	if f.shortStr(&s, need) {
		return s, nil
	}
	at := f.pos()
	if clen, ulen, ok := f.lzfHeader(); ok {
		return f.readLZFBody(at, what, need, clen, ulen)
	}
	n, special, err := f.readLen(what)
	if err != nil {
		return str{}, err
	}
	if !special {
		if n > 1<<62 {
			return str{}, f.errAt(at, "string length %d is impossible while reading %s%s", n, what, f.keyDesc())
		}
		b, err := f.readN(int64(n), what)
		return str{data: b, ulen: int64(n), clen: int64(n), partial: f.skip.partial}, err
	}
	switch n {
	case 0, 1, 2:
		return f.readIntStr(n, what, need)
	case 3:
		return f.readLZFStr(at, what, need)
	}
	return str{}, f.errAt(at, "invalid string encoding 0x%02x while reading %s%s", 0xC0|n, what, f.keyDesc())
}

// readIntStr reads an integer-encoded string of 1, 2 or 4 bytes (enc 0,
// 1, 2); its data is the decimal form, as the server gets it back.
func (f *framer) readIntStr(enc uint64, what string, need int) (str, error) {
	p, err := f.readN(1<<enc, what)
	if err != nil {
		return str{}, err
	}
	var s str
	f.intStr(&s, enc, p, need)
	return s, nil
}

// intStr sets s to the integer-encoded string of encoding enc stored in
// p. Its decimal form is written only if need asks for content: most are
// elements and values whose length alone counts.
func (f *framer) intStr(s *str, enc uint64, p []byte, need int) {
	v := intValue(enc, p)
	*s = str{clen: 1 << enc, isInt: true}
	if need == needNone {
		s.ulen = intLen(v)
		return
	}
	s.data = strconv.AppendInt(f.scratch[:0], v, 10)
	s.ulen = int64(len(s.data))
}

// intValue is the integer of encoding enc (0, 1, 2: 1, 2 or 4 bytes)
// stored in p.
func intValue(enc uint64, p []byte) int64 {
	switch enc {
	case 0:
		return int64(int8(p[0]))
	case 1:
		return int64(int16(binary.LittleEndian.Uint16(p)))
	}
	return int64(int32(binary.LittleEndian.Uint32(p)))
}

// shortStr sets s to the next string, read in one step, when it lies
// wholly in the bufio window (see strAt) and no size limit can be near:
// most of a dump's strings are such, and reading their lengths a byte at
// a time cost more than the rest of framing them. It returns false, and
// reads nothing, when the string is left to the general path (which
// gives the same str, and every error). s is filled in place: a str
// returned by value through the callers was a tenth of this path's cost.
func (f *framer) shortStr(s *str, need int) bool {
	b := f.br.Buffered()
	if b < 2 || f.skip.active {
		return false
	}
	p, _ := f.br.Peek(min(b, 1<<14+2))
	hdr, n, ok := strAt(p)
	if !ok || !f.roomFor(int64(hdr+n)) {
		return false
	}
	data := f.buf.out[f.take(p[:hdr+n])+hdr:]
	if c := p[0]; c>>6 == 3 {
		f.intStr(s, uint64(c&0x3f), data, need)
		return true
	}
	*s = str{data: data, ulen: int64(n), clen: int64(n)}
	return true
}

// strAt decodes the string at the start of p when it is one the framer
// reads in one step: stored as it is, or integer-encoded (its first byte
// 0xC0-0xC2), and wholly in p. It returns the size of its header and of
// its content.
func strAt(p []byte) (hdr, n int, ok bool) {
	if len(p) == 0 {
		return 0, 0, false
	}
	if c := p[0]; c>>6 == 3 {
		if c&0x3f > 2 {
			return 0, 0, false // LZF, or an invalid encoding
		}
		hdr, n = 1, 1<<(c&0x3f)
	} else {
		l, size, ok := lenAt(p)
		if !ok || l > uint64(len(p)) {
			return 0, 0, false
		}
		hdr, n = size, int(l)
	}
	return hdr, n, hdr+n <= len(p)
}

// strLen is the length, as a loaded string, of the string strAt found at
// the start of p with a content of n bytes.
func strLen(p []byte, n int) int64 {
	if c := p[0]; c>>6 == 3 {
		return intLen(intValue(uint64(c&0x3f), p[1:]))
	}
	return int64(n)
}

// take moves p, the start of the bufio window, into the record buffer as
// readN would, and returns where it starts there.
func (f *framer) take(p []byte) int {
	start := len(f.buf.out)
	if l := start + len(p); l > cap(f.buf.out) || l > bigRecord && f.buf.onBig != nil {
		f.buf.grow(len(p)) // else grow would do nothing
	}
	f.buf.out = append(f.buf.out, p...)
	_, _ = f.br.Discard(len(p))
	f.skip.partial = false
	return start
}

// lzfHeader reads in one step, when they are buffered and no limit is
// near, the encoding byte and the two lengths of an LZF string (list
// nodes and long values are mostly such). It returns false, and reads
// nothing, for anything else, left to the general path and its errors.
func (f *framer) lzfHeader() (clen, ulen uint64, ok bool) {
	b := f.br.Buffered()
	if b < 3 || f.skip.active {
		return 0, 0, false
	}
	p, _ := f.br.Peek(min(b, 1+9+9))
	if p[0] != 0xC3 {
		return 0, 0, false
	}
	clen, k1, ok := lenAt(p[1:])
	if !ok {
		return 0, 0, false
	}
	ulen, k2, ok := lenAt(p[1+k1:])
	hdr := 1 + k1 + k2
	if !ok || !f.roomFor(int64(hdr)) {
		return 0, 0, false
	}
	f.take(p[:hdr])
	return clen, ulen, true
}

// lenAt decodes the RDB length at the start of p, and its size; ok is
// false for the string encodings, an invalid first byte, or a length cut
// short by the end of p.
func lenAt(p []byte) (n uint64, size int, ok bool) {
	if len(p) == 0 {
		return 0, 0, false
	}
	switch b := p[0]; {
	case b < 0x40:
		return uint64(b), 1, true
	case b < 0x80:
		if len(p) < 2 {
			return 0, 0, false
		}
		return uint64(b&0x3f)<<8 | uint64(p[1]), 2, true
	case b == 0x80 && len(p) >= 5:
		return uint64(binary.BigEndian.Uint32(p[1:])), 5, true
	case b == 0x81 && len(p) >= 9:
		return binary.BigEndian.Uint64(p[1:]), 9, true
	}
	return 0, 0, false
}

// guarded reports whether guard(n) has anything to do: a record being
// skipped, or one that n more bytes would take past its limit. Most reads
// are neither, and are spared the call.
func (f *framer) guarded(n int64) bool {
	lim := f.limit()
	return lim > 0 && (f.skip.active || f.pos()+n-f.rec.startOff+f.rec.inflated > lim)
}

// roomFor reports that n more bytes, and a length of up to 9 before
// them, cannot take the item being framed past its limit: guard would
// do nothing for them.
func (f *framer) roomFor(n int64) bool {
	lim := f.limit()
	return lim == 0 || f.pos()+9+n-f.rec.startOff+f.rec.inflated <= lim
}

// readLZFStr reads an LZF-compressed string whose encoding byte, at at,
// was just read, and decompresses as much of it as need asks.
func (f *framer) readLZFStr(at int64, what string, need int) (str, error) {
	clen, err := f.readCountOf(what, " (LZF compressed length)")
	if err != nil {
		return str{}, err
	}
	ulen, err := f.readCountOf(what, " (LZF uncompressed length)")
	if err != nil {
		return str{}, err
	}
	return f.readLZFBody(at, what, need, clen, ulen)
}

// readLZFBody reads the compressed bytes of an LZF string whose header,
// at at, was read, and decompresses as much of them as need asks.
func (f *framer) readLZFBody(at int64, what string, need int, clen, ulen uint64) (str, error) {
	if clen == 0 || clen > 1<<40 || ulen > 100*clen+64 || ulen == 0 {
		return str{}, f.errAt(at, "corrupt LZF string (%d bytes claimed to decompress to %d) while reading %s%s", clen, ulen, what, f.keyDesc())
	}
	if ulen > clen && f.limit() > 0 {
		// What the string costs once loaded is its decompressed size:
		// the limit judges that, so that a small, very compressible
		// record cannot escape it.
		f.rec.inflated += int64(ulen - clen)
	}
	c, err := f.readN(int64(clen), what)
	if err != nil {
		return str{}, err
	}
	s := str{raw: c, rawAt: -1, partial: f.skip.partial, ulen: int64(ulen), clen: int64(clen), compressed: true}
	if !f.skip.active {
		s.rawAt = len(f.buf.out) - len(c)
	}
	switch {
	case need == needNone:
		return s, nil
	case need == needHeader:
		s.data, err = f.unlzf(c, min(int(ulen), 64), false)
	case f.skip.active && (s.partial || ulen > skipKeep):
		// Too large to decompress while skipping: callers make do.
		s.partial = true
		return s, nil
	default:
		s.data, err = f.unlzf(c, int(ulen), true)
	}
	if err != nil {
		return s, f.errAt(at, "%v while reading %s%s", err, what, f.keyDesc())
	}
	return s, nil
}

// unlzf decompresses the first n bytes of src into a reused buffer; full
// asks that src decompress to exactly n bytes.
func (f *framer) unlzf(src []byte, n int, full bool) ([]byte, error) {
	if cap(f.lzf) < n {
		f.lzf = make([]byte, n)
	}
	dst := f.lzf[:n]
	got, complete, err := lzfDecode(dst, src)
	if err == nil && (got < n || (full && !complete)) {
		err = errLZFSize(n)
	}
	if err != nil {
		return nil, err
	}
	return dst, nil
}
