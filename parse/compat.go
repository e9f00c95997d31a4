package parse

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// Everything in this file exists only because values are decoded by
// github.com/hdt3213/rdb v1.3.2 (see decoder.go), and goes once the framer
// decodes values itself. Each workaround names the decoder limitation it
// works around. The checksum always covers the dump as stored: what is
// changed or hidden is only what the decoder is shown.
//
// Other places that exist for the decoder and are named there:
//   - module values (type 7) are never forwarded (values.go, moduleValue):
//     the decoder prints "unknown module type" to stdout and gives up;
//   - a partial item is never forwarded (chunkBuffer.cut): the decoder
//     trusts length fields and allocates what they say;
//   - decoder panics are recovered and reported (decoder.go).

// decoderName names the value decoder in messages about what it cannot read.
const decoderName = "github.com/hdt3213/rdb v1.3.2"

// headerForDecoder adapts the header the decoder is shown, or says why it
// cannot read the dump.
//
//   - The decoder reads Valkey's own format only as VALKEY080.
//   - RDB 13 (Redis 8.6) adds the KEY_META opcode and stream type 26 to
//     RDB 12, and the decoder refuses the version number alone: it is
//     shown an RDB 12 header (dumpState.decHeader), KEY_META is kept from
//     it (hiddenOpcode) and type 26 streams are shown as type 21
//     (recordForDecoder).
func (f *framer) headerForDecoder(h []byte) error {
	if f.dump.valkey {
		if f.dump.version != 80 {
			return f.errAt(0, "%s: Valkey RDB version %d is not supported by the decoder (%s reads VALKEY080, Valkey 8.1 to 9.x)", h, f.dump.version, decoderName)
		}
		copy(f.dump.decHeader[:], h)
		return nil
	}
	copy(f.dump.decHeader[:], h)
	if f.dump.version == 13 {
		copy(f.dump.decHeader[7:9], "12")
	}
	return nil
}

// rdb13 explains an item of RDB 13 found in a dump of an older version
// (or a Valkey one), which cannot hold it.
func (f *framer) rdb13(at int64, item string) error {
	return f.errAt(at, "%s in an RDB %d dump, which cannot hold it: corrupt data", item, f.dump.version)
}

// hiddenOpcode reports whether opcode op, once framed, is kept from the
// decoder:
//
//   - 107 RAM_LRU (Redis Enterprise): unknown to the decoder, which would
//     take it for a value type;
//   - 243 slot import (Valkey 9): the decoder allocates a slice from its
//     range count before reading the ranges; KEY_META (Redis 8.6):
//     unknown to the decoder;
//   - 244 SLOT_INFO (Redis 7.4 cluster nodes): refused by the decoder in
//     Redis dumps;
//   - 246 FUNCTION (Redis 7.0 release candidates): unknown to the decoder;
//   - 247 MODULE_AUX: the decoder prints "unknown module type" to stdout.
func hiddenOpcode(op byte) bool {
	switch op {
	case opRAMLRU, opSlotImport, opSlotInfo, opFunctionPre, opModuleAux:
		return true
	}
	return false
}

// plainNode is where a quicklist2 PLAIN node sits in the record buffer.
type plainNode struct {
	start, end int // container byte .. end of the string, in buf.out
	val        []byte
}

// notePlain remembers the PLAIN quicklist node whose container byte is at
// out[start] and whose string s was just read, for recordForDecoder.
func (f *framer) notePlain(start int, s str) {
	if !f.skip.active {
		f.rec.plain = append(f.rec.plain, plainNode{start: start, end: len(f.buf.out), val: slices.Clone(s.data)})
	}
}

// recordForDecoder adapts the complete record at out[rec.start:] before
// it is forwarded: its PLAIN quicklist nodes become equivalent one-entry
// PACKED nodes, because the decoder's memory profiler indexes PLAIN nodes
// wrongly and panics (v1.3.2, memprofiler.sizeOfQuicklist2).
//
// A type 26 stream (RDB 13), which the decoder does not know, is shown as
// the type 21 stream it extends: its IDMP section is cut out and its type
// byte rewritten.
func (f *framer) recordForDecoder() {
	if f.rec.idmpAt >= 0 {
		f.buf.strip(f.rec.idmpAt) // checksums every byte read first
		f.buf.out[f.rec.typeAt] = 21
		f.rec.idmpAt = -1
	}
	if len(f.rec.plain) == 0 {
		return
	}
	from := f.rec.start
	var nb []byte
	last := from
	for _, p := range f.rec.plain {
		nb = append(nb, f.buf.out[last:p.start]...)
		nb = append(nb, 2) // PACKED container
		lp := onePackList(p.val)
		nb = appendRDBLen(nb, uint64(len(lp)))
		nb = append(nb, lp...)
		last = p.end
	}
	nb = append(nb, f.buf.out[last:]...)
	f.buf.replace(from, nb)
	f.rec.plain = f.rec.plain[:0]
}

// onePackList builds a listpack holding the single string v.
func onePackList(v []byte) []byte {
	var e []byte
	switch l := len(v); {
	case l <= 63:
		e = append(e, 0x80|byte(l))
	case l < 4096:
		e = append(e, 0xE0|byte(l>>8), byte(l))
	default:
		e = append(e, 0xF0, byte(l), byte(l>>8), byte(l>>16), byte(l>>24))
	}
	e = append(e, v...)
	l := uint64(len(e))
	switch {
	case l <= 127:
		e = append(e, byte(l))
	case l < 16383:
		e = append(e, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		e = append(e, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		e = append(e, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	default:
		e = append(e, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	lp := make([]byte, 6, 6+len(e)+1)
	binary.LittleEndian.PutUint32(lp, uint32(len(e)+7))
	binary.LittleEndian.PutUint16(lp[4:], 1)
	lp = append(lp, e...)
	return append(lp, 0xFF)
}

// appendRDBLen appends n as an RDB length.
func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, 0x40|byte(n>>8), byte(n))
	case n <= 0xFFFFFFFF:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// checkStreamMaster checks the master entry of a stream listpack s of n
// entries: the decoder sizes slices from its counts (entries, deleted
// entries, master fields) before reading them, so they must fit in the
// listpack.
func (f *framer) checkStreamMaster(s str, n int64) error {
	ints, err := lpFirstInts(s.data, 3)
	if err != nil {
		return f.blobErr("stream listpack", err)
	}
	if ints[0] < 0 || ints[1] < 0 || ints[2] < 0 || ints[0]+ints[1] > n || ints[2] > n {
		return f.blobErr("stream listpack", fmt.Errorf("master entry counts %d+%d entries and %d fields, listpack has %d entries", ints[0], ints[1], ints[2], n))
	}
	return nil
}

// saturatedCount checks the decoder's element count for a record with a
// listpack whose header count is saturated at 65535: the decoder trusts
// that header and returns fewer elements without an error. The framer's
// count (walked) is kept, with a warning when they differ.
func saturatedCount(m *meta, decoded int, warnings []string) []string {
	if !m.saturated || int64(decoded) == m.elements {
		return warnings
	}
	return append(slices.Clip(warnings), fmt.Sprintf(
		"listpack header count saturated at 65535: the framer counted %d elements, the decoder returned %d", m.elements, decoded))
}
