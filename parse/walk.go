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
// are walked as they are framed. What the walk decompressed is handed to
// the filler (walkDeferred), which does not decompress it again.

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

// How walkDeferred hands what it decompressed to the filler, which would
// otherwise decompress each listpack again.
const (
	keepNone   = iota // nothing: the record's bytes are about to move (PLAIN nodes)
	keepBytes         // the decompressed bytes, after the record's (see unpacked)
	keepStream        // for a stream: which listpacks streamEntries accepts
)

// walkDeferred walks the compressed listpacks of a record that is to be
// decoded, before any of its bytes leave the framer, and lists in
// rec.kept what keep says the filler gets of them.
//
// A stream's listpacks are only checked by the filler (streamEntries),
// which the framer does here while they are decompressed, in the cache:
// nothing is kept but a mark, however large the stream (on the 1 GB perf
// dump, 12 streams of 6 MB hold 10 MB of listpacks each). Other
// listpacks are kept decompressed after the record's bytes when they fit
// in the room the record buffer already has: nothing is allocated for
// them, and a chunk of small records, which they fill sooner, is sent at
// chunkTarget bytes as before. The rest are decompressed into scratch,
// and by the filler again.
func (f *framer) walkDeferred(keep int) error {
	if len(f.rec.walks) == 0 {
		return nil
	}
	f.rec.inKey = true // messages name the key
	defer func() { f.rec.inKey = false }()
	for _, w := range f.rec.walks {
		if w.from < 0 || w.from+w.clen > len(f.buf.out) {
			return &Error{Path: f.path, Offset: w.at, Msg: msgInternal, Err: errors.New("the bytes of a listpack to walk are no longer in the record buffer")}
		}
		if keep != keepBytes || cap(f.buf.out)-len(f.buf.out) < w.ulen {
			if err := f.walkListpack(f.buf.out[w.from:w.from+w.clen], w.ulen, w.hdr, w.at); err != nil {
				return err
			}
			if keep == keepStream && streamEntries(f.lzf[:w.ulen]) {
				f.rec.kept = append(f.rec.kept, keptLZF{src: w.from - f.rec.valAt, at: -1, n: w.ulen})
			}
			continue
		}
		dst := f.buf.unpacked(w.ulen)
		at := len(f.buf.out) - w.ulen
		if err := f.walkInto(dst, f.buf.out[w.from:w.from+w.clen], w.hdr, w.at); err != nil {
			return err
		}
		f.rec.kept = append(f.rec.kept, keptLZF{src: w.from - f.rec.valAt, at: at, n: w.ulen})
	}
	f.rec.walks = f.rec.walks[:0]
	return nil
}

// walkListpack decompresses the LZF data src of a listpack of ulen bytes
// and walks its entries, which must be the hdr its header counts; at is
// the stream offset for messages.
func (f *framer) walkListpack(src []byte, ulen int, hdr int64, at int64) error {
	if cap(f.lzf) < ulen {
		f.lzf = make([]byte, ulen)
	}
	return f.walkInto(f.lzf[:ulen], src, hdr, at)
}

// walkInto is walkListpack decompressing into dst, of the listpack's
// length.
func (f *framer) walkInto(dst, src []byte, hdr int64, at int64) error {
	got, complete, err := lzfDecode(dst, src)
	if err == nil && (got < len(dst) || !complete) {
		err = errLZFSize(len(dst))
	}
	var n int64
	if err == nil {
		n, err = lpWalk(dst)
	}
	if err == nil && n != hdr {
		err = fmt.Errorf("header says %d entries, found %d", hdr, n)
	}
	if err != nil {
		return f.blobErrAt(at, "listpack", err)
	}
	return nil
}

// keptLZF is a compressed listpack of a record that the framer's walk
// decompressed, for the filler.
type keptLZF struct {
	src int // where its LZF data starts in the record's value bytes
	at  int // its decompressed bytes are chunk.data[at:at+n]; -1: not kept, but streamEntries accepts them
	n   int // its decompressed length
}

// forDecoder walks the deferred listpacks of a record of type t to be
// decoded and adapts its bytes for the decoder (recordForDecoder); end is
// where its bytes end in the record buffer, its kept listpacks after.
// PLAIN quicklist nodes, rewritten, would move the listpacks: such a
// record keeps none (they are rare: elements over 1 GB by default).
func (f *framer) forDecoder(t byte) (end int, err error) {
	if len(f.rec.plain) > 0 {
		if err := f.walkDeferred(keepNone); err != nil {
			return 0, err
		}
		f.recordForDecoder()
		return len(f.buf.out), nil
	}
	// A type 26 stream's IDMP section is cut from the end first: what
	// is kept goes after the bytes the decoder is shown.
	f.recordForDecoder()
	end = len(f.buf.out)
	keep := keepBytes
	switch t {
	case 15, 19, 21, 26:
		keep = keepStream
	}
	if err := f.walkDeferred(keep); err != nil {
		f.buf.dropUnpacked(end) // the stream offsets stay right for the caller's cut
		return 0, err
	}
	return end, nil
}
