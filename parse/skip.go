package parse

import (
	"fmt"
	"io"
	"slices"
)

// A record whose serialized size would exceed Options.MaxKeyBytes is
// framed, validated and checksummed without being held: from the moment
// it crosses the limit its bytes are dropped as they are read, and it
// reaches the caller as a Record built from what the framer saw (type,
// encoding, element count, blob sizes), never decoded.

const (
	// While a record is skipped, the bytes read so far are dropped (after
	// the CRC has seen them) whenever more than drainWindow of them have
	// accumulated; a single string longer than skipKeep is streamed
	// through without being held, and only its first prefixKeep bytes are
	// kept for the callers that look at a string's start (key names, blob
	// headers).
	drainWindow = 256 << 10
	skipKeep    = 1 << 20
	prefixKeep  = 64 << 10

	// maxKeptBlobs bounds the container sizes kept for a key too large to
	// decode (about 40 bytes each).
	maxKeptBlobs = 1 << 20
)

// skipState is the framer's state for records over the size limit.
type skipState struct {
	maxKey       int64  // Options.MaxKeyBytes; 0 = no limit
	maxKeyName   string // Options.MaxKeyName
	active       bool   // the current record is over maxKey
	partial      bool   // the last readN returned only a prefix of its bytes
	countUnknown bool   // a skipped blob's entry count could not be known
	prefix       []byte // kept start of a string streamed through, reused

	// Resuming after a parse that died (Options.SkipRecords, FrameOnly),
	// and telling where it could (Options.OnBigRecord).
	records     int64   // key records begun so far
	skipRecords int64   // Options.SkipRecords
	frameOnlyAt []int64 // Options.FrameOnly
	frameOnly   bool    // the current record is framed only
	onBig       func(index, offset int64)
	announced   bool // onBig was called for the current record
}

// beginRecord notes the start of a key record: whether it is framed only
// (see Options.SkipRecords and FrameOnly).
func (f *framer) beginRecord() {
	s := &f.skip
	s.frameOnly = s.records < s.skipRecords || slices.Contains(s.frameOnlyAt, f.rec.startOff)
	s.records++
	s.announced = false
}

// announceBig tells Options.OnBigRecord of a key record that outgrows
// the chunk, once, after the records before it (sent ahead, see
// chunkBuffer.sendDone) have reached the callback: a process that dies
// decoding it has then handed on every key before it.
func (f *framer) announceBig() {
	if s := &f.skip; f.rec.inRec && !s.announced {
		s.announced = true
		if f.caughtUp != nil {
			f.caughtUp()
		}
		s.onBig(s.records-1, f.rec.startOff)
	}
}

// maxItemBytes bounds an item outside the key records (an AUX field, a
// FUNCTION library, MODULE_AUX data), whatever MaxKeyBytes says: the
// servers write such items of a few kilobytes, so a larger one (or a
// corrupt length claiming one) is streamed through, checksummed and kept
// from the decoder instead of being held.
const maxItemBytes = 16 << 20

// limit is the bound on the item being framed (its decompressed size, see
// recordState.inflated); 0 = none.
func (f *framer) limit() int64 {
	switch {
	case f.rec.inRec && f.skip.frameOnly:
		return 1 // any record is over it: framed from its first bytes without being held
	case f.rec.inRec:
		return f.skip.maxKey
	case f.dump.inTrailer:
		return 0
	}
	return maxItemBytes
}

// guard switches the current item to skipping once it would grow past its
// limit with n more bytes, and while skipping drops what has accumulated.
func (f *framer) guard(n int64) {
	if !f.skip.active && f.pos()+n-f.rec.startOff+f.rec.inflated > f.limit() {
		f.skip.active = true
		// Give back the buffer that grew to hold the record so far; only
		// earlier, not yet forwarded items stay.
		f.buf.strip(f.rec.start)
		if cap(f.buf.out) > 4*chunkTarget {
			f.buf.out = append(make([]byte, 0, max(chunkTarget+chunkTarget/4, 2*f.rec.start)), f.buf.out...)
		}
	}
	if f.skip.active && len(f.buf.out)-f.rec.start > drainWindow {
		f.buf.strip(f.rec.start)
	}
}

// skipN reads n bytes of a skipped record without holding them: they go
// through the record buffer one read at a time and are dropped after the
// CRC has seen them. It returns their first prefixKeep bytes and sets
// skip.partial.
func (f *framer) skipN(n int64, what string) ([]byte, error) {
	f.buf.strip(f.rec.start)
	f.skip.prefix = f.skip.prefix[:0]
	f.skip.partial = true
	for n > 0 {
		k := int(min(n, readChunk))
		out := slices.Grow(f.buf.out, k)
		m, err := io.ReadFull(f.br, out[len(out):len(out)+k])
		got := out[len(out) : len(out)+m]
		if keep := prefixKeep - len(f.skip.prefix); keep > 0 {
			f.skip.prefix = append(f.skip.prefix, got[:min(keep, m)]...)
		}
		f.buf.out = out[:len(out)+m]
		f.buf.strip(f.rec.start)
		if err != nil {
			return nil, f.ioErr(err, what)
		}
		n -= int64(k)
		if err := f.ctx.Err(); err != nil {
			return nil, f.ioErr(err, what)
		}
	}
	return f.skip.prefix, nil
}

// framedOnly turns a record framed without being held (over maxKey, or
// framed only, see beginRecord) into one built from its meta alone: the
// decoder never sees it.
func (f *framer) framedOnly(m *meta) {
	if f.skip.frameOnly {
		f.skip.frameOnly = false
		if f.skip.maxKey > 0 && m.size+f.rec.inflated > f.skip.maxKey {
			// Over maxKey too: the warning a whole run gives it, so that
			// a resumed scan (which frames the records received before
			// this way) says what the first one would have.
			f.tooLarge(m)
			return
		}
		f.undecodable(m)
		f.skip.active = false
		return
	}
	f.tooLarge(m)
}

// undecodable marks m as never decoded, keeping what the framer saw.
func (f *framer) undecodable(m *meta) {
	m.undecoded = true
	// The blobs' decompressed lengths let the memory model size the value
	// without it; a key with more containers than maxKeptBlobs is left to
	// its serialized size rather than holding that much metadata.
	switch {
	case m.typ == 0:
		m.blobs = []Blob{f.rec.strBlob}
	case len(m.blobs) > maxKeptBlobs:
		m.blobs = nil
	}
}

// tooLarge turns a record that was skipped for being over maxKey into one
// built from its meta alone, with a warning.
func (f *framer) tooLarge(m *meta) {
	f.undecodable(m)
	limit := f.skip.maxKeyName
	if limit == "" {
		limit = fmt.Sprintf("the limit of %d bytes", f.skip.maxKey)
	}
	size := fmt.Sprintf("%d bytes serialized", m.size)
	if f.rec.inflated > 0 {
		size += fmt.Sprintf(", %d once decompressed", m.size+f.rec.inflated)
	}
	w := fmt.Sprintf("key too large to analyze in memory (%s, over %s): memory estimated from its serialized size", size, limit)
	m.warnings = append(slices.Clip(m.warnings), w)
	if f.skip.countUnknown {
		m.warnings = append(m.warnings, "element count is a lower bound: a packed container too large to walk had a saturated entry count")
	}
	f.skip.active = false
}
