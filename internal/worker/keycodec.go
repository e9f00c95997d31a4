package worker

import (
	"encoding/binary"
	"errors"
	"unsafe"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
)

// Key batches are nearly all the traffic from a child, one record per
// key, and their encoding and decoding were a fifth of the CPU that
// isolation costs (docs/performance.md). A key is encoded as
//
//	class   uvarint: its keyClass, by index; the next index defines a new
//	        class, followed by the db (uvarint), type and encoding (strings)
//	key     string: a uvarint length and the bytes
//	memory  varint
//	alloc   varint, less memory (0 for most keys)
//	rdb bytes, elements, expires at: varints
//
// so that the type and encoding, the same for most keys, cost one byte,
// and the parent looks them up by index instead of hashing names. A held
// key (appendHeld) adds its figures in cluster mode: the encoding as a
// string, the memory and the allocation as varints.

// keyClass is what many keys share: their db, type and encoding.
type keyClass struct {
	db       int
	typ, enc string
}

// keyEncoder's cache of classes has 1 << classCacheBits entries.
const classCacheBits = 6

// keyEncoder encodes the keys of one stream of batches (keys or held
// keys): it remembers the classes it has defined in them.
type keyEncoder struct {
	index map[keyClass]uint64
	// cache holds recent classes by the addresses of their names: the
	// scan's type and encoding names are the same few strings for every
	// key, so a key's class is nearly always found here without hashing
	// the names (a map lookup per key would cost more than writing the
	// two names did).
	cache [1 << classCacheBits]struct {
		c  keyClass
		i  uint64
		ok bool
	}
}

// class returns the index of k's class and whether it is new (the
// encoder then counts it as defined).
func (e *keyEncoder) class(k *aggregate.Key) (uint64, bool) {
	c := keyClass{db: k.DB, typ: k.Type, enc: k.Encoding}
	// The addresses only pick the slot: the class found is compared by
	// value.
	h := uint64(uintptr(unsafe.Pointer(unsafe.StringData(c.typ))))*0x9e3779b97f4a7c15 ^ uint64(uintptr(unsafe.Pointer(unsafe.StringData(c.enc)))) ^ uint64(c.db)
	h = (h * 0x9e3779b97f4a7c15) >> (64 - classCacheBits)
	if s := &e.cache[h]; s.ok && s.c == c {
		return s.i, false
	}
	i, ok := e.index[c]
	if !ok {
		if e.index == nil {
			e.index = map[keyClass]uint64{}
		}
		i = uint64(len(e.index))
		e.index[c] = i
	}
	e.cache[h].c, e.cache[h].i, e.cache[h].ok = c, i, true
	return i, !ok
}

// appendKey encodes one key of a batch.
func (e *keyEncoder) appendKey(b []byte, k *aggregate.Key) []byte {
	i, def := e.class(k)
	b = appendUvarint(b, i)
	if def {
		b = appendUvarint(b, uint64(k.DB))
		b = appendString(b, k.Type)
		b = appendString(b, k.Encoding)
	}
	b = appendString(b, k.Key)
	b = appendVarint(b, k.Memory)
	b = appendVarint(b, k.Alloc-k.Memory)
	b = appendVarint(b, k.RDBBytes)
	b = appendVarint(b, k.Elements)
	return appendVarint(b, k.ExpiresAt)
}

// appendHeld encodes one held key: the key with its standalone figures,
// then its figures in cluster mode.
func (e *keyEncoder) appendHeld(b []byte, k *aggregate.Key, cluster scan.Figures) []byte {
	b = e.appendKey(b, k)
	b = appendString(b, cluster.Encoding)
	b = appendVarint(b, cluster.Memory)
	return appendVarint(b, cluster.Alloc)
}

func appendUvarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	return binary.AppendUvarint(b, v)
}

func appendVarint(b []byte, v int64) []byte {
	return appendUvarint(b, uint64(v<<1)^uint64(v>>63))
}

func appendString(b []byte, s string) []byte {
	b = appendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// keyDecoder decodes the key batches of one child.
type keyDecoder struct {
	keyClasses, heldClasses []keyClass // as the child defined them, in each stream
	names                   map[string]string
	ks                      []aggregate.Key
	cs                      []scan.Figures // decodeHeld's figures in cluster mode
}

var errBadFrame = errors.New("malformed key batch from parser process")

// decode decodes a batch. The key names point into b: like any key a
// scan.Sink receives, they are valid only until b is reused, and a Sink
// copies what it keeps (aggregate.Builder keeps the top keys), so that
// most names are never copied at all.
func (d *keyDecoder) decode(b []byte) ([]aggregate.Key, error) {
	r := batchReader{b: b}
	n := r.count()
	d.ks = d.ks[:0]
	for range n {
		d.ks = append(d.ks, aggregate.Key{})
		d.key(&r, &d.ks[len(d.ks)-1], &d.keyClasses)
	}
	if r.bad {
		return nil, errBadFrame
	}
	return d.ks, nil
}

// decodeHeld decodes a batch of held keys and their figures in cluster
// mode; the key names point into b, as decode's do.
func (d *keyDecoder) decodeHeld(b []byte) ([]aggregate.Key, []scan.Figures, error) {
	r := batchReader{b: b}
	n := r.count()
	d.ks, d.cs = d.ks[:0], d.cs[:0]
	for range n {
		var k aggregate.Key
		d.key(&r, &k, &d.heldClasses)
		c := scan.Figures{Encoding: d.intern(r.bytes()), Memory: r.varint(), Alloc: r.varint()}
		d.ks, d.cs = append(d.ks, k), append(d.cs, c)
	}
	if r.bad {
		return nil, nil, errBadFrame
	}
	return d.ks, d.cs, nil
}

// key decodes one key (keyEncoder.appendKey) into k; classes are those of
// its stream.
func (d *keyDecoder) key(r *batchReader, k *aggregate.Key, classes *[]keyClass) {
	i := r.uvarint()
	switch {
	case i < uint64(len(*classes)):
	case i == uint64(len(*classes)):
		db := r.uvarint()
		typ, enc := d.intern(r.bytes()), d.intern(r.bytes())
		*classes = append(*classes, keyClass{db: int(db), typ: typ, enc: enc})
	default:
		r.fail()
		return
	}
	c := &(*classes)[i]
	k.DB, k.Type, k.Encoding = c.db, c.typ, c.enc
	key := r.bytes()
	k.Key = unsafe.String(unsafe.SliceData(key), len(key))
	k.Memory = r.varint()
	k.Alloc = r.varint() + k.Memory
	k.RDBBytes = r.varint()
	k.Elements = r.varint()
	k.ExpiresAt = r.varint()
}

// intern returns b as a string, the same string for the same bytes: the
// type and encoding names are few.
func (d *keyDecoder) intern(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if d.names == nil {
		d.names = map[string]string{}
	}
	s := string(b)
	d.names[s] = s
	return s
}

// batchReader reads a key batch. Reading past its end, or a malformed
// number, sets bad and reads zeros from then on, so that a batch is
// checked once, at its end.
type batchReader struct {
	b   []byte
	i   int
	bad bool
}

func (r *batchReader) fail() {
	r.bad, r.i = true, len(r.b)
}

// count reads a batch's key count, which each key's byte at least bounds.
func (r *batchReader) count() uint64 {
	n := r.uvarint()
	if n > uint64(len(r.b)-r.i) {
		r.fail()
		return 0
	}
	return n
}

// uvarint reads a uvarint. It is small enough to be inlined: reading
// its numbers is most of what decoding a key costs.
func (r *batchReader) uvarint() uint64 {
	var v uint64
	for s := uint(0); s < 64 && r.i < len(r.b); s += 7 {
		c := r.b[r.i]
		r.i++
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			return v
		}
	}
	r.fail()
	return 0
}

func (r *batchReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// bytes reads a string: a uvarint length and the bytes, which stay in
// the batch.
func (r *batchReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)-r.i) {
		r.fail()
		return nil
	}
	s := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return s
}
