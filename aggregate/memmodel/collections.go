package memmodel

import (
	"math"
	"strconv"

	"github.com/rdbscope/rdbscope/parse"
)

// blobLen returns the size of the record's single packed blob, or -1.
func blobLen(r *parse.Record) int64 {
	if len(r.Blobs) != 1 || r.Blobs[0].Len <= 0 {
		return -1
	}
	return r.Blobs[0].Len
}

// hashtable returns the fixed part of a dict-encoded value: robj, dict
// struct and bucket array.
func (m *Model) dictFixed(buckets int64) int64 {
	return m.robj + m.dictStruct + 8*buckets
}

// ---- sets

func (m *Model) set(r *parse.Record) (int64, string) {
	so := r.Value
	var members []parse.Elem
	if so != nil {
		members = so.Set
	}
	n := int64(len(members))
	if so == nil {
		n = r.Elements
	}
	switch r.RDBEncoding {
	case parse.EncIntset:
		if n <= m.setMaxIntset {
			if bl := blobLen(r); bl > 0 {
				return m.robj + m.alloc(bl), encIntset
			}
			return m.robj + m.alloc(m.intsetOf(members)), encIntset
		}
		return m.setTable(members, n), encHashtable
	case parse.EncListpack:
		if m.setMaxLPEntries > 0 && n <= m.setMaxLPEntries {
			if bl := blobLen(r); bl > 0 {
				return m.robj + m.alloc(bl), encListpack
			}
		}
		if m.setMaxLPEntries == 0 {
			// A server older than 7.2 cannot load it; model it as 7.2 would.
			if bl := blobLen(r); bl > 0 && n <= 128 {
				return m.robj + m.alloc(bl), encListpack
			}
		}
		return m.setTable(members, n), encHashtable
	}
	if so == nil {
		return 0, encUnknown
	}
	// RDB_TYPE_SET: rdbLoadObject builds an intset while members are
	// integers, then a listpack (7.2+) or a dict.
	if n > m.setMaxIntset {
		return m.setTable(members, n), encHashtable
	}
	firstNonInt := int64(-1)
	var maxLen int64
	var width int64 = 2
	for i, b := range members {
		l := b.Len
		if l > maxLen {
			maxLen = l
		}
		if firstNonInt < 0 {
			if b.IsInt {
				if w := intWidth(b.Int); w > width {
					width = w
				}
			} else {
				firstNonInt = int64(i)
			}
		}
	}
	if firstNonInt < 0 {
		return m.robj + m.alloc(intsetBytes(n, width)), encIntset
	}
	if m.setMaxLPEntries > 0 {
		if n <= m.setMaxLPEntries && maxLen <= m.setMaxLPVal {
			size := int64(lpHeader)
			for _, b := range members {
				size += lpEntry(b)
			}
			return m.robj + m.alloc(size), encListpack
		}
		return m.setTable(members, n), encHashtable
	}
	// 7.0 and older: the integers read so far are in an intset; at the
	// first other member setTypeConvert makes a dict presized for them,
	// then the loader expands it for the whole set, which starts a
	// rehash that the remaining adds may not finish (see loadDict).
	if firstNonInt == 0 {
		return m.setHT(members, n, nextPow2(n, 4)), encHashtable
	}
	d := loadDict{}
	d.expand(firstNonInt)
	d.addN(firstNonInt)
	d.expand(n)
	d.addN(n - firstNonInt)
	return m.setHT(members, n, d.buckets()), encHashtable
}

// setTable sizes a set held in a hash table presized for its n members.
func (m *Model) setTable(members []parse.Elem, n int64) int64 {
	if m.embedKey {
		return m.valkeySetHT(members, n)
	}
	return m.setHT(members, n, nextPow2(n, 4))
}

func (m *Model) intsetOf(members []parse.Elem) int64 {
	var width int64 = 2
	for _, b := range members {
		if b.IsInt {
			if w := intWidth(b.Int); w > width {
				width = w
			}
		}
	}
	return intsetBytes(int64(len(members)), width)
}

// setHT: a dict of sds members without values.
func (m *Model) setHT(members []parse.Elem, n, buckets int64) int64 {
	var ele int64
	for _, b := range members {
		ele += m.sds(b.Len)
	}
	if members == nil {
		ele = n * m.sds(8)
	}
	return m.dictFixed(buckets) + ele + n*m.setEntry(n, buckets)
}

// setEntry is what MEMORY USAGE counts per set member for the dict entry.
// Redis counts sizeof(dictEntry) for every member. Valkey 8 stores a
// member's sds pointer directly in an empty bucket (0 bytes) and needs a
// 16-byte dictEntryNoValue for each further member of the same bucket.
func (m *Model) setEntry(n, buckets int64) int64 {
	if m.flavor == valkey && m.ver >= 800 {
		if n <= 0 {
			return 0
		}
		chained := float64(n) - expectedNonEmpty(buckets, n)
		return int64(math.Round(16 * chained / float64(n)))
	}
	return m.dictEntry
}

// ---- sorted sets

// expectedZslNode: a skiplist node of level L is ele, score, backward +
// L*(forward, span). Levels are random with p = 1/4 (zslRandomLevel), so
// the model uses the expected allocation, E[alloc(24+16L)].
func (m *Model) expectedZslNode() float64 {
	var e float64
	for l := int64(1); l <= 32; l++ {
		var pl float64
		if l == 32 {
			pl = math.Pow(0.25, 31)
		} else {
			pl = 0.75 * math.Pow(0.25, float64(l-1))
		}
		e += pl * float64(m.alloc(24+16*l))
	}
	return e
}

func (m *Model) zset(r *parse.Record) (int64, string) {
	zo := r.Value
	var n int64
	if zo != nil {
		n = int64(len(zo.ZSet))
	} else {
		n = r.Elements
	}
	switch r.RDBEncoding {
	case parse.EncListpack, parse.EncZiplist:
		if n <= m.zsetMaxEntries {
			if r.RDBEncoding == parse.EncListpack || m.ver < 700 {
				if bl := blobLen(r); bl > 0 {
					enc := encListpack
					if m.ver < 700 {
						enc = encZiplist
					}
					return m.robj + m.alloc(bl), enc
				}
			}
			if zo != nil {
				return m.robj + m.alloc(m.zsetLP(zo)), encListpack
			}
		}
		if m.ver <= 700 {
			// zsetConvert of 7.0 and older does not presize the dict: it
			// grows by doubling as the members are added, and may end
			// mid-rehash (see loadDict).
			d := loadDict{}
			d.addN(n)
			return m.skiplist(zo, n, d.buckets()), encSkiplist
		}
		return m.zsetTable(zo, n), encSkiplist
	}
	if zo == nil {
		return 0, encUnknown
	}
	var maxLen int64
	for _, e := range zo.ZSet {
		if l := e.Member.Len; l > maxLen {
			maxLen = l
		}
	}
	if n <= m.zsetMaxEntries && maxLen <= m.zsetMaxValue {
		enc := encListpack
		if m.ver < 700 {
			enc = encZiplist
		}
		return m.robj + m.alloc(m.zsetLP(zo)), enc
	}
	return m.zsetTable(zo, n), encSkiplist
}

// zsetTable sizes a sorted set held as a skiplist and a table presized
// for its n members.
func (m *Model) zsetTable(zo *parse.Value, n int64) int64 {
	if m.embedKey {
		return m.valkeySkiplist(zo, n)
	}
	return m.skiplist(zo, n, nextPow2(n, 4))
}

func (m *Model) zsetLP(zo *parse.Value) int64 {
	size := int64(lpHeader)
	var buf [32]byte
	for _, e := range zo.ZSet {
		size += lpEntry(e.Member)
		size += lpEntry(parse.ElemOf(m.d2string(buf[:0], e.Score)))
	}
	return size
}

// d2string formats a score as the server stores it in a listpack.
func (m *Model) d2string(buf []byte, f float64) []byte {
	if math.IsInf(f, 1) {
		return append(buf, "inf"...)
	}
	if math.IsInf(f, -1) {
		return append(buf, "-inf"...)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(buf, int64(f), 10)
	}
	if m.ver >= 702 {
		return strconv.AppendFloat(buf, f, 'g', -1, 64)
	}
	return strconv.AppendFloat(buf, f, 'g', 17, 64)
}

// zo is the decoded value, nil if it was not decoded.
func (m *Model) skiplist(zo *parse.Value, n, buckets int64) int64 {
	// robj + zset{dict*,zsl*} + zskiplist{header,tail,length,level} +
	// dict + buckets + header node of 32 levels (536 -> 640).
	fixed := m.robj + 16 + 32 + m.dictStruct + 8*buckets + m.alloc(24+16*32)
	return fixed + m.zsetMembers(zo, n) + n*m.dictEntry + int64(math.Round(float64(n)*m.zslNode))
}

// zsetMembers is the sds strings of a sorted set's members, each its own
// allocation (n members of 8 bytes when zo was not decoded).
func (m *Model) zsetMembers(zo *parse.Value, n int64) int64 {
	if zo == nil {
		return n * m.sds(8)
	}
	var ele int64
	for _, e := range zo.ZSet {
		ele += m.sds(e.Member.Len)
	}
	return ele
}

// skiplistN is skiplist for n members of eleBytes each.
func (m *Model) skiplistN(n, eleBytes int64) int64 {
	fixed := m.robj + 16 + 32 + m.dictStruct + 8*nextPow2(n, 4) + m.alloc(24+16*32)
	return fixed + n*(eleBytes+m.dictEntry) + int64(math.Round(float64(n)*m.zslNode))
}
