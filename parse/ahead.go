package parse

// Most records of a production scan reach no decoder (Options.SkipDecode:
// the memory model sizes packed containers from the framer's counts).
// Their value bytes used to be copied from the bufio window into the
// record buffer, checked there, then dropped with the record. When it is
// known before the value is framed that the record is undecoded, they are
// instead checked where they lie in the window, checksummed and dropped
// (passed through, see framer.passing): the same framing code runs, with
// the same checks, errors and offsets; only where the bytes are read from
// changes. That is known:
//
//   - for a type and encoding that Options.SkipDecodeAll says is never
//     decoded (quicklists, in a scan);
//   - for a value that is one packed blob (listpack, intset), from the
//     element count its header gives, when the blob lies wholly in the
//     bufio window: SkipDecode is asked then, with the count framing
//     would find (lookAhead).
//
// Anything else, or a blob whose header does not check out, is left to
// framing as before, which then reports what is wrong.

// aheadStr is the string of a record's packed blob as readStr would
// return it, looked at in the bufio window before it is read.
type aheadStr struct {
	at  int64 // stream offset of the string
	hdr int   // size of its encoding and lengths; 0 if none is kept
	n   int   // size of its stored content
	s   str   // the string, but for its stored bytes (data if not compressed, raw if compressed)
}

// decideEarly settles, before the value of a key record of type t is
// framed, whether it will reach a decoder, when that can be known then
// (see the top of this file). SkipDecode is set.
func (f *framer) decideEarly(t byte) {
	if f.skip.active || f.noAhead {
		return // over its size limit already: never decoded, never asked
	}
	r := &f.rec
	typ, enc := typeInfo(t)
	if f.skipAll != nil && f.skipAll(typ, enc) {
		r.pass = true
	} else if n, ok := f.lookAhead(t); ok {
		r.asked = true
		r.pass = f.skipDecode(typ, enc, n)
	}
	if r.pass && f.fills == f.winFills {
		// The record's first bytes, held so far, are still in the window
		// where it began: checksummed with its value, in one run.
		from := f.pos() - int64(len(f.buf.out)-f.buf.crcPos) - f.winAt
		if from >= 0 && f.pos()-f.winAt <= int64(len(f.win)) {
			f.buf.adopt(f.win[from : f.pos()-f.winAt])
		}
	}
}

// lookAhead looks, without reading it, at the packed blob that is the
// whole value of a record of type t (after the 8-byte minimum field
// expiry of type 25) when it lies wholly in the bufio window and no size
// limit is within reach. It returns the record's element count as
// framing would find it, and keeps the blob's string for readStr
// (recordState.ahead). It returns false, keeping nothing, for any other
// value, a saturated count, or a header that does not check out: framing
// reports what is wrong with it.
func (f *framer) lookAhead(t byte) (int64, bool) {
	off := 0
	switch t {
	case 11, 16, 17, 20, 23:
	case 25:
		off = 8
	default:
		return 0, false
	}
	p, _ := f.br.Peek(f.br.Buffered())
	if len(p) <= off {
		return 0, false
	}
	q := p[off:]
	a := aheadStr{at: f.pos() + int64(off)}
	var data []byte
	inflate := int64(0)
	if q[0] == 0xC3 {
		clen, k1, ok := lenAt(q[1:])
		if !ok {
			return 0, false
		}
		ulen, k2, ok := lenAt(q[1+k1:])
		if !ok || clen == 0 || clen > 1<<40 || ulen > 100*clen+64 || ulen == 0 {
			return 0, false // readLZFBody's checks
		}
		a.hdr = 1 + k1 + k2
		if clen > uint64(len(q)-a.hdr) {
			return 0, false
		}
		a.n = int(clen)
		var err error
		if data, err = f.unlzf(q[a.hdr:a.hdr+a.n], min(int(ulen), 64), false); err != nil {
			return 0, false
		}
		// data stays in f.lzf, unused by framing until readStr takes it.
		a.s = str{data: data, rawAt: -1, ulen: int64(ulen), clen: int64(clen), compressed: true}
		if ulen > clen {
			inflate = int64(ulen - clen)
		}
	} else {
		hdr, n, ok := strAt(q)
		if !ok || q[0]>>6 == 3 {
			return 0, false // an integer is no blob
		}
		a.hdr, a.n = hdr, n
		a.s = str{ulen: int64(n), clen: int64(n)}
		data = q[hdr : hdr+n]
	}
	if !f.roomFor(int64(off+a.hdr+a.n) + inflate) {
		return 0, false
	}
	var n int64
	var err error
	if t == 11 {
		n, err = intsetCheck(data, a.s.ulen)
	} else {
		n, err = lpCheckHeader(data, a.s.ulen)
		if n == 65535 {
			return 0, false // saturated: walked to count
		}
		switch t {
		case 16, 17:
			n /= 2 // pairs
		case 23, 25:
			n /= 3 // field, value, TTL
		}
	}
	if err != nil {
		return 0, false
	}
	f.rec.ahead = a
	return n, true
}

// takeAhead reads the string lookAhead kept, as readStr would: held in
// the record buffer, or passed through.
func (f *framer) takeAhead() str {
	a := &f.rec.ahead
	s := a.s
	p, _ := f.br.Peek(a.hdr + a.n)
	b := f.take(p)[a.hdr:]
	a.hdr = 0
	if !s.compressed {
		s.data = b
		return s
	}
	if s.ulen > s.clen && f.limit() > 0 {
		f.rec.inflated += s.ulen - s.clen // as readLZFBody counts it
	}
	s.raw = b
	if !f.rec.pass {
		s.rawAt = len(f.buf.out) - len(b)
	}
	return s
}
