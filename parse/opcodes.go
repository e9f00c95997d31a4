package parse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RDB opcodes (rdb.h). A byte that is none of these starts a key record:
// it is the value type.
const (
	opRAMLRU      = 107 // Redis Enterprise: RAM LRU of the next key
	opSlotImport  = 243 // Valkey: slot import; Redis 8.6: KEY_META
	opSlotInfo    = 244
	opFunction2   = 245
	opFunctionPre = 246
	opModuleAux   = 247
	opIdle        = 248
	opFreq        = 249
	opAux         = 250
	opResizeDB    = 251
	opExpireMs    = 252
	opExpireSec   = 253
	opSelectDB    = 254
	opEOF         = 255
)

// header parses the 9-byte magic and version.
func (f *framer) header() error {
	h, err := f.br.Peek(9)
	if len(h) < 9 && err != nil && err != io.EOF && f.src.Compression != "" {
		// The compressed stream is cut (or corrupt) before the RDB
		// header is complete: not an empty stream.
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return f.errAt(int64(len(h)), "truncated: the %s stream ends after %d decompressed bytes, before the RDB header is complete — the file was cut in transit or is still being written", f.src.Compression, len(h))
		}
		return f.errAt(int64(len(h)), "corrupt %s stream before the RDB header is complete: %v", f.src.Compression, err)
	}
	if len(h) < 9 || !(strings.HasPrefix(string(h), "REDIS") || strings.HasPrefix(string(h), "VALKEY")) {
		h, _ = f.br.Peek(512) // enough to recognise what it is instead
		return f.errAt(0, "%s", describeNonRDB(h, f.src.Compression))
	}
	f.buf.out = append(f.buf.out, h...)
	_, _ = f.br.Discard(9)
	if strings.HasPrefix(string(h), "VALKEY") {
		f.dump.valkey = true
		f.src.Magic = "VALKEY"
		v, err := strconv.Atoi(string(h[6:]))
		if err != nil {
			return f.errAt(0, "not an RDB file (bad version in header %q)", h)
		}
		f.dump.version = v
		f.src.RDBVersion = v
		return f.headerForDecoder(h)
	}
	f.src.Magic = "REDIS"
	v, err := strconv.Atoi(string(h[5:]))
	if err != nil || v < 0 {
		return f.errAt(0, "not an RDB file (bad version in header %q)", h)
	}
	f.dump.version = v
	f.src.RDBVersion = v
	switch {
	case v == 0:
		return f.errAt(0, "%s: invalid RDB version 0", h)
	case v > 13:
		return f.errAt(0, "%s: unknown future RDB version %d (the newest known is 13, Redis 8.6), not supported by the decoder (%s)", h, v, decoderName)
	}
	return f.headerForDecoder(h)
}

// whatNext is what the framer reads between items.
const whatNext = "the next opcode or value type"

// items frames the items after the header up to the EOF opcode and the
// trailer.
func (f *framer) items() error {
	r := &f.rec
	r.expires, r.idle, r.freq, r.pending = 0, -1, -1, false
	for {
		if !r.pending {
			// Between records: a chunk may end here.
			if f.buf.full() {
				if err := f.buf.flush(nil); err != nil {
					return err
				}
			}
			r.start, r.startOff = len(f.buf.out), f.pos()
			r.inflated = 0
		}
		f.skip.active = false
		r.unitStart = len(f.buf.out)
		at := f.pos()
		t, err := f.readByte(whatNext)
		if err != nil {
			return err
		}
		if t == opEOF {
			if err := f.sourceReady(); err != nil {
				return err
			}
			return f.trailer()
		}
		isOp, err := f.opcode(t, at)
		if err != nil {
			return err
		}
		if isOp {
			if f.skip.active {
				// Over maxItemBytes: streamed through already, in part
				// dropped, so the decoder must not see any of it.
				f.buf.strip(min(r.unitStart, len(f.buf.out)))
				f.skip.active = false
				if t != opAux {
					f.warn(fmt.Sprintf("%s at byte %d is larger than %d bytes: skipped", opcodeName(t), at, maxItemBytes))
				}
			} else if hiddenOpcode(t) {
				f.buf.strip(r.unitStart)
			}
			continue
		}
		if err := f.keyRecord(t, at); err != nil {
			return err
		}
	}
}

// opcode frames the operands of opcode t, read at stream offset at. It
// returns false when t is not an opcode of this dump: then it is a value
// type and a key record follows.
func (f *framer) opcode(t byte, at int64) (bool, error) {
	if err := f.newerThanHeader(at, opcodeSince(t), func() string { return opcodeName(t) }); err != nil {
		return true, err
	}
	switch t {
	case opSelectDB:
		if err := f.sourceReady(); err != nil {
			return true, err
		}
		n, err := f.readCount("the SELECTDB db number")
		if err != nil {
			return true, err
		}
		if n > 1<<31 {
			return true, f.errAt(at, "impossible db number %d in SELECTDB", n)
		}
		f.dump.db = int(n)
	case opResizeDB:
		k, err := f.readCount("the RESIZEDB key count")
		if err != nil {
			return true, err
		}
		e, err := f.readCount("the RESIZEDB expires count")
		if err != nil {
			return true, err
		}
		f.src.DBSizes = append(f.src.DBSizes, DBSize{DB: f.dump.db, Keys: int64(k), Expires: int64(e)})
	case opAux:
		return true, f.aux()
	case opExpireSec:
		p, err := f.readN(4, "an EXPIRETIME")
		if err != nil {
			return true, err
		}
		f.rec.expires = int64(binary.LittleEndian.Uint32(p)) * 1000
		f.rec.pending = true
	case opExpireMs:
		p, err := f.readN(8, "an EXPIRETIME_MS")
		if err != nil {
			return true, err
		}
		f.rec.expires = int64(binary.LittleEndian.Uint64(p))
		f.rec.pending = true
	case opIdle:
		n, err := f.readCount("an IDLE time")
		if err != nil {
			return true, err
		}
		f.rec.idle = int64(min(n, 1<<62))
		f.rec.pending = true
	case opFreq:
		b, err := f.readByte("an LFU FREQ")
		if err != nil {
			return true, err
		}
		f.rec.freq = int64(b)
		f.rec.pending = true
	case opRAMLRU:
		if f.dump.valkey {
			return false, nil // a value type byte of no known meaning: reported by record
		}
		// Redis Enterprise writes it before a key, like IDLE: it is
		// counted in the key's record.
		if _, err := f.readCount("a Redis Enterprise RAM_LRU value"); err != nil {
			return true, err
		}
		if !f.dump.ramLRU {
			f.dump.ramLRU = true
			f.src.Warnings = append(f.src.Warnings, "Redis Enterprise RAM_LRU opcodes (107) skipped")
		}
		f.rec.pending = true
	case opFunction2:
		if _, err := f.readStr("a FUNCTION library", needNone); err != nil {
			return true, err
		}
		f.src.Functions++
	case opFunctionPre:
		if err := f.functionPreGA(); err != nil {
			return true, err
		}
		f.src.Functions++
	case opModuleAux:
		if _, err := f.readCount("the module id of a MODULE_AUX"); err != nil {
			return true, err
		}
		return true, f.skipModuleOps("MODULE_AUX data")
	case opSlotInfo:
		for _, w := range []string{"SLOT_INFO slot id", "SLOT_INFO slot size", "SLOT_INFO expires slot size"} {
			if _, err := f.readCount(w); err != nil {
				return true, err
			}
		}
		f.src.SlotInfos++
	case opSlotImport:
		if f.dump.valkey {
			return true, f.slotImport()
		}
		if f.dump.version < 13 {
			return true, f.rdb13(at, "opcode 243 (RDB_OPCODE_KEY_META, per-key metadata)")
		}
		return true, f.keyMeta(at)
	default:
		return false, nil
	}
	return true, nil
}

// keyRecord frames the key record whose type byte t was read at stream
// offset at, and queues its meta for the decoder's side.
func (f *framer) keyRecord(t byte, at int64) error {
	if err := f.sourceReady(); err != nil {
		return err
	}
	r := &f.rec
	f.beginRecord()
	var m meta
	if err := f.record(&m, t, at); err != nil {
		f.buf.cut(r.start) // never forward a partial record
		return err
	}
	m.db = f.dump.db
	m.expires, m.idle, m.freq = r.expires, r.idle, r.freq
	m.offset = r.startOff
	m.size = f.pos() - r.startOff
	if f.skip.active {
		f.framedOnly(&m)
	}
	if !m.undecoded && f.skipDecode != nil {
		if typ, enc := typeInfo(m.typ); f.skipDecode(typ, enc, m.elements) {
			m.undecoded = true
		}
	}
	m.at = -1
	if m.undecoded {
		f.buf.strip(r.start)
	} else {
		if err := f.walkDeferred(); err != nil {
			f.buf.cut(r.start)
			return err
		}
		f.recordForDecoder()
		m.at, m.valAt, m.end = r.start, r.valAt, len(f.buf.out)
	}
	f.buf.add(&m, r.key)
	r.expires, r.idle, r.freq, r.pending = 0, -1, -1, false
	return nil
}

// The AUX fields kept in Source are bounded, so that neither this process
// nor one reading its results holds what a hostile dump claims: the
// servers write a few dozen fields of a few bytes (a Lua script, the
// longest, rarely more than kilobytes).
const (
	auxKeep     = 64 << 10 // bytes kept of an AUX field's name or value
	maxAuxBytes = 1 << 20  // bytes kept of all the AUX fields
	maxWarnings = 100      // warnings kept in Source
)

// aux reads an AUX field into Source.
func (f *framer) aux() error {
	k, err := f.readStr("an AUX field name", needAll)
	if err != nil {
		return err
	}
	key := string(k.data[:min(len(k.data), auxKeep)])
	v, err := f.readStr("the value of AUX field "+strconv.Quote(key), needAll)
	if err != nil {
		return err
	}
	val := string(v.data[:min(len(v.data), auxKeep)])
	if k.ulen > auxKeep || v.ulen > auxKeep || k.partial || v.partial {
		f.warn(fmt.Sprintf("AUX field %.64q of %d bytes, value of %d bytes: only the first %d bytes of each kept", key, k.ulen, v.ulen, auxKeep))
	}
	if f.src.Aux == nil {
		f.src.Aux = map[string]string{}
	}
	if f.dump.auxBytes+len(key)+len(val) > maxAuxBytes {
		if !f.dump.auxDropped {
			f.dump.auxDropped = true
			f.warn(fmt.Sprintf("AUX fields of more than %d bytes in all: the others are ignored", maxAuxBytes))
		}
		return nil
	}
	f.dump.auxBytes += len(key) + len(val)
	f.src.Aux[key] = val
	n, _ := strconv.ParseInt(val, 10, 64)
	switch key {
	case "redis-ver", "valkey-ver":
		if key == "redis-ver" || f.src.RedisVersion == "" {
			f.src.RedisVersion = val
		}
	case "redis-bits":
		f.src.RedisBits = int(n)
	case "ctime":
		f.src.CTime = n
	case "used-mem":
		if n < 0 || n > 1<<50 {
			// No server has 1 PiB; a report would add it up across nodes.
			f.warn(fmt.Sprintf("AUX field used-mem %.32q is out of range: ignored", val))
			break
		}
		f.src.UsedMem = n
	case "aof-base", "aof-preamble":
		if n != 0 {
			f.src.AOFBase = true
		}
	case "repl-id":
		f.src.ReplID = val
	case "repl-offset":
		f.src.ReplOffset = n
	case "lua":
		f.src.Functions++
	case "slot-info":
		// Valkey 8+ cluster nodes: "slot,keys,expires" before each
		// slot's first key.
		f.src.SlotInfos++
	}
	return nil
}

// maxKeyMetaClasses is how many metadata classes a key can carry (Redis
// 8.6 KEY_META_MAX_NUM_MODULES: 8 slots, the first being the expire).
const maxKeyMetaClasses = 8

// keyMeta frames Redis 8.6's KEY_META opcode, read at stream offset at:
// the metadata modules attached to the next key, each a 4-byte class spec
// and the class's module-serialized value. The key itself follows; the
// metadata is counted (Source.KeyMetas) and kept from the decoder, which
// does not know the opcode.
func (f *framer) keyMeta(at int64) error {
	n, err := f.readCount("the KEY_META class count")
	if err != nil {
		return err
	}
	if n > maxKeyMetaClasses {
		return f.errAt(at, "KEY_META with %d metadata classes (at most %d): corrupt data", n, maxKeyMetaClasses)
	}
	for i := uint64(0); i < n; i++ {
		if _, err := f.readN(4, "a KEY_META class spec"); err != nil {
			return err
		}
		if err := f.skipModuleOps("KEY_META data"); err != nil {
			return err
		}
	}
	f.src.KeyMetas++
	f.rec.pending = true
	return nil
}

// functionPreGA frames a FUNCTION opcode of the Redis 7.0 release
// candidates: name, engine, optional description, code.
func (f *framer) functionPreGA() error {
	for _, w := range []string{"a FUNCTION_PRE_GA name", "a FUNCTION_PRE_GA engine"} {
		if _, err := f.readStr(w, needNone); err != nil {
			return err
		}
	}
	hasDesc, err := f.readCount("a FUNCTION_PRE_GA description flag")
	if err != nil {
		return err
	}
	if hasDesc != 0 {
		if _, err := f.readStr("a FUNCTION_PRE_GA description", needNone); err != nil {
			return err
		}
	}
	_, err = f.readStr("a FUNCTION_PRE_GA code", needNone)
	return err
}

// slotImport frames Valkey's slot import opcode: a job name and slot
// ranges.
func (f *framer) slotImport() error {
	if _, err := f.readStr("a slot import job name", needNone); err != nil {
		return err
	}
	n, err := f.readCount("the slot import range count")
	if err != nil {
		return err
	}
	for i := uint64(0); i < n; i++ {
		if _, err := f.readCount("a slot import range"); err != nil {
			return err
		}
		if _, err := f.readCount("a slot import range"); err != nil {
			return err
		}
	}
	return nil
}

// trailer reads the CRC64 trailer (RDB >= 5) and settles Source.Checksum.
func (f *framer) trailer() error {
	f.buf.sum()
	if f.dump.version < 5 && !f.dump.valkey {
		f.src.Checksum = ChecksumAbsent
		return nil
	}
	f.dump.inTrailer = true
	p, err := f.readN(8, "the CRC64 checksum trailer")
	if err != nil {
		return err
	}
	f.buf.crcPos = len(f.buf.out) // the trailer is not part of what it checks
	stored := binary.LittleEndian.Uint64(p)
	computed := f.buf.crc
	switch {
	case stored == 0:
		f.src.Checksum = ChecksumAbsent
		f.warn("no CRC64 checksum (the server had rdbchecksum no): the dump's integrity cannot be verified")
	case stored == computed:
		f.src.Checksum = ChecksumOK
	default:
		// Reported by Parse once the stream is read to its end.
		f.src.Checksum = ChecksumMismatch
	}
	f.dump.storedCRC = stored
	return nil
}

// warn adds a warning about the dump to Source, up to maxWarnings of them.
func (f *framer) warn(msg string) {
	switch n := len(f.src.Warnings); {
	case n < maxWarnings:
		f.src.Warnings = append(f.src.Warnings, msg)
	case n == maxWarnings:
		f.src.Warnings = append(f.src.Warnings, "further warnings about the dump omitted")
	}
}

// opcodeName names an opcode in messages.
func opcodeName(op byte) string {
	switch op {
	case opFunction2:
		return "FUNCTION library (opcode 245)"
	case opFunctionPre:
		return "FUNCTION (opcode 246, Redis 7.0 release candidates)"
	case opModuleAux:
		return "MODULE_AUX data (opcode 247)"
	case opSlotImport:
		return "opcode 243"
	case opAux:
		return "AUX field (opcode 250)"
	case opResizeDB:
		return "RESIZEDB (opcode 251)"
	case opIdle:
		return "IDLE (opcode 248)"
	case opFreq:
		return "FREQ (opcode 249)"
	case opSlotInfo:
		return "SLOT_INFO (opcode 244)"
	}
	return fmt.Sprintf("opcode %d", op)
}
