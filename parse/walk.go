package parse

import (
	"errors"
	"fmt"
)

// A listpack stored LZF-compressed is checked as the servers check it on
// load (sanitize-dump-payload no, their default): its LZF data must
// decompress to exactly the length claimed, its header must give that
// length, and its last byte must be the terminator. Its entries are
// walked only if its record reaches the decoding side: the decoder and
// the filler trust every length inside, but a record that neither sees
// (Options.SkipDecode) is measured from the header alone, so
// decompressing it in full would cost time for nothing (docs/robustness.md,
// docs/performance.md). Uncompressed listpacks cost no decompression and
// are walked as they are framed.

// deferredWalk is a compressed listpack of the record being framed whose
// entries are walked if the record is decoded.
type deferredWalk struct {
	from, clen int   // its LZF bytes are buf.out[from:from+clen]
	ulen       int   // their decompressed length
	hdr        int64 // the header's entry count (never the saturated 65535)
	at         int64 // stream offset just past it, for messages
}

// shallowListpack checks a compressed listpack whose header (count hdr,
// not saturated) was validated, and queues the walk of its entries.
func (f *framer) shallowListpack(s str, hdr int64) error {
	if s.rawAt < 0 || s.partial {
		// Not in the record buffer (a record being skipped): walked
		// now, as before, while its bytes are at hand.
		return f.walkListpack(s.raw, int(s.ulen), hdr, f.pos())
	}
	last, known, err := lzfCheck(s.raw, int(s.ulen))
	if err == nil && !known {
		// Not written by a server's compressor, which ends with a
		// literal run: decompressed to see the last byte.
		var full []byte
		if full, err = f.unlzf(s.raw, int(s.ulen), true); err == nil {
			last = full[len(full)-1]
		}
	}
	if err == nil && last != 0xFF {
		err = fmt.Errorf("last byte 0x%02x is not the listpack terminator", last)
	}
	if err != nil {
		return f.blobErr("listpack", err)
	}
	f.rec.walks = append(f.rec.walks, deferredWalk{from: s.rawAt, clen: len(s.raw), ulen: int(s.ulen), hdr: hdr, at: f.pos()})
	return nil
}

// walkDeferred walks the compressed listpacks of a record that is to be
// decoded, before any of its bytes leave the framer.
func (f *framer) walkDeferred() error {
	if len(f.rec.walks) == 0 {
		return nil
	}
	f.rec.inKey = true // messages name the key
	defer func() { f.rec.inKey = false }()
	for _, w := range f.rec.walks {
		if w.from < 0 || w.from+w.clen > len(f.buf.out) {
			return &Error{Path: f.path, Offset: w.at, Msg: msgInternal, Err: errors.New("the bytes of a listpack to walk are no longer in the record buffer")}
		}
		if err := f.walkListpack(f.buf.out[w.from:w.from+w.clen], w.ulen, w.hdr, w.at); err != nil {
			return err
		}
	}
	f.rec.walks = f.rec.walks[:0]
	return nil
}

// walkListpack decompresses the LZF data src of a listpack of ulen bytes
// and walks its entries, which must be the hdr its header counts; at is
// the stream offset for messages.
func (f *framer) walkListpack(src []byte, ulen int, hdr int64, at int64) error {
	full, err := f.unlzf(src, ulen, true)
	var n int64
	if err == nil {
		n, err = lpWalk(full)
	}
	if err == nil && n != hdr {
		err = fmt.Errorf("header says %d entries, found %d", hdr, n)
	}
	if err != nil {
		return f.blobErrAt(at, "listpack", err)
	}
	return nil
}
