package memmodel

import "github.com/rdbscope/rdbscope/parse"

// Values the parser framed but did not decode (Record.Value == nil: keys
// over --max-key-memory, with the warning "key too large to analyze in
// memory"; or a decoder that gave up) are estimated from what the framer
// saw: type, RDB encoding, serialized size, element count, and the packed
// blob sizes when it kept them. The encoding is the one the server would
// pick for that many elements of that average size. Expected error (see
// docs/memory-model.md): exact for blob-encoded values (intset, listpack,
// quicklist nodes) when Blobs are present; otherwise a few percent, from
// using the average element size (size classes are not linear) and from
// LZF-compressed strings, whose decompressed size the framer does not
// report (the estimate is then a lower bound).

// rdbLenBytes is the size of an RDB length prefix for n.
func rdbLenBytes(n int64) int64 {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case n <= 1<<32-1:
		return 5
	}
	return 9
}

// payload returns the serialized size of the record's value alone: the
// record minus its expire/LRU/LFU opcodes, type byte and key.
func payload(r *parse.Record) int64 {
	kl := int64(len(r.Key))
	p := r.RDBBytes - 1 - rdbLenBytes(kl) - kl
	if r.ExpiresAt != 0 {
		p -= 9
	}
	if r.Idle >= 0 && r.RDBBytes > 0 {
		p -= 1 + rdbLenBytes(r.Idle)
	}
	if r.Freq >= 0 && r.RDBBytes > 0 {
		p -= 2
	}
	return max(p, 0)
}

// avgElem is the average length of the n strings a plain encoding
// serializes in p bytes besides fixed bytes per element (e.g. the 8-byte
// binary score of a zset2 member), each behind a length prefix.
func avgElem(p, n, fixed int64) int64 {
	if n <= 0 {
		return 0
	}
	body := p - rdbLenBytes(n) - n*fixed
	a := body/n - 1
	if a >= 64 {
		a = body/n - 2
	}
	return max(a, 0)
}

// undecoded estimates a value without its decoded form; ok is false when
// there is nothing to go on.
func (m *Model) undecoded(r *parse.Record) (int64, string, bool) {
	p := payload(r)
	n := r.Elements
	switch r.RDBEncoding {
	case parse.EncIntset, parse.EncListpack, parse.EncZiplist, parse.EncZipmap:
		// One packed blob stored as a string: its size is the payload
		// minus the string's length prefix (less than it really is when
		// the blob was LZF-compressed).
		return m.robj + m.alloc(max(p-rdbLenBytes(p), 1)), m.packedEnc(r), true
	case parse.EncListpackEx:
		return m.robj + m.listpackEx + m.alloc(max(p-8-rdbLenBytes(p), 1)), encListpackEx, true
	}
	switch r.Type {
	case parse.TypeString:
		if len(r.Blobs) == 1 && r.Blobs[0].Len >= 0 {
			// the framer's decompressed length
			p = r.Blobs[0].Len + 1
		}
		l := p - 1
		switch {
		case l >= 1<<32+8:
			l = p - 9
		case l >= 1<<14+4:
			l = p - 5
		case l >= 1<<6+1:
			l = p - 2
		}
		if l <= embstrLimit {
			return m.alloc(m.robj + 3 + max(l, 0) + 1), encEmbstr, true
		}
		return m.robj + m.sds(l), encRaw, true
	case parse.TypeList:
		if p <= 0 {
			return 0, encUnknown, false
		}
		// Listpack nodes of up to 8 KiB (list-max-listpack-size -2),
		// stored one string per node: the payload is about their sum.
		nodes := max((p+8191)/8192, 1)
		per := p / nodes
		if nodes == 1 && m.listpackEncoded(p, max(r.Elements, 1)) {
			return m.robj + m.alloc(per), encListpack, true
		}
		return m.robj + m.quicklist + nodes*(m.quicklistNode+m.alloc(per)), encQuicklist, true
	case parse.TypeSet:
		if n <= 0 {
			return 0, encUnknown, false
		}
		a := avgElem(p, n, 0)
		b := nextPow2(n, 4)
		return m.robj + m.dictStruct + 8*b + n*(m.sds(a)+m.setEntry(n, b)), encHashtable, true
	case parse.TypeZSet:
		if n <= 0 {
			return 0, encUnknown, false
		}
		a := avgElem(p, n, 8)
		if r.RDBEncoding == parse.EncZSet {
			a = avgElem(p, n, 0) / 2 // member and score as strings
		}
		return m.skiplistN(n, m.sds(a)), encSkiplist, true
	case parse.TypeHash:
		if n <= 0 {
			return 0, encUnknown, false
		}
		// field and value: the average pair split in two halves.
		a := avgElem(p, 2*n, 0)
		if r.RDBEncoding == parse.EncHashEx {
			a = avgElem(p-n*2, 2*n, 0) // a TTL length per field
		}
		b := float64(nextPow2(n, 4))
		return m.robj + m.dictStruct + int64(8*b) + n*(2*m.sds(a)+m.dictEntry), encHashtable, true
	case parse.TypeStream:
		if p <= 0 {
			return 0, encUnknown, false
		}
		// Listpack nodes (stream-node-max-bytes 4 KiB) dominate; the rax
		// holding them has about one node per listpack.
		nodes := max((p+4095)/4096, 1)
		return m.robj + m.stream + nodes*m.alloc(p/nodes) + streamRaxBytes(nodes, nodes), encStream, true
	}
	return 0, encUnknown, false
}

// packedEnc is the encoding a packed blob keeps on load.
func (m *Model) packedEnc(r *parse.Record) string {
	switch {
	case r.RDBEncoding == parse.EncIntset:
		return encIntset
	case m.ver < 700 && r.Type != parse.TypeSet:
		return encZiplist
	case r.Type == parse.TypeList:
		return encQuicklist
	}
	return encListpack
}
