package memmodel

import (
	"math"

	"github.com/rdbscope/rdbscope/parse"
)

func (m *Model) hash(r *parse.Record) (int64, string) {
	ho := r.Value
	ttls := r.RDBEncoding == parse.EncHashEx || r.RDBEncoding == parse.EncListpackEx
	var n int64
	if ho != nil {
		n = int64(len(ho.Hash))
	} else {
		n = r.Elements
	}
	switch r.RDBEncoding {
	case parse.EncListpack, parse.EncZiplist, parse.EncZipmap:
		if n <= m.hashMaxEntries {
			if bl := blobLen(r); bl > 0 && (r.RDBEncoding == parse.EncListpack || m.ver < 700 && r.RDBEncoding == parse.EncZiplist) {
				enc := encListpack
				if m.ver < 700 {
					enc = encZiplist
				}
				return m.robj + m.alloc(bl), enc
			}
			if ho != nil && m.hashFitsLP(ho) {
				return m.robj + m.alloc(m.hashLP(ho)), encListpack
			}
		}
		return m.hashTable(ho, ttls, n), encHashtable
	case parse.EncListpackEx:
		if m.ver >= 704 && n <= m.hashMaxEntries {
			if bl := blobLen(r); bl > 0 {
				return m.robj + m.listpackEx + m.alloc(bl), encListpackEx
			}
		}
		return m.hashTable(ho, ttls, n), encHashtable
	}
	if ho == nil {
		return 0, encUnknown
	}
	if n > m.hashMaxEntries || m.embedKey && r.RDBEncoding == parse.EncHashEx {
		// Valkey 9's hash with field TTLs (type 22) is always a table.
		return m.hashTable(ho, ttls, n), encHashtable
	}
	// Plain RDB_TYPE_HASH: loaded into a listpack until a field or value
	// exceeds hash-max-listpack-value, then converted to a dict that may be
	// left half-rehashed (see hashLoadBuckets).
	long := int64(0)
	for _, h := range ho.Hash {
		if h.Field.Len > m.hashMaxValue || h.Value.Len > m.hashMaxValue {
			long++
		}
	}
	ex := r.RDBEncoding == parse.EncHashEx && m.ver >= 704
	if long == 0 {
		if ex {
			return m.robj + m.listpackEx + m.alloc(m.hashLPEx(ho)), encListpackEx
		}
		return m.robj + m.alloc(m.hashLP(ho)), encListpack
	}
	if m.embedKey {
		t := valkeyHashLoad(n, r.LongElem)
		if r.LongElem < 0 || r.LongElem > n-long {
			t = presized(n) // the position of the long pair is not known
		}
		return m.valkeyHashHT(ho, n, t), encHashtable
	}
	var buckets float64
	if k := r.LongElem; k >= 0 && k <= n-long {
		// The parser saw where the first long pair is.
		buckets = float64(hashLoadBuckets(n, k, ex))
	} else {
		buckets = expectedHashBuckets(n, long, ex)
	}
	return m.hashHT(ho, ttls, n, buckets), encHashtable
}

func (m *Model) hashFitsLP(ho *parse.Value) bool {
	for _, h := range ho.Hash {
		if h.Field.Len > m.hashMaxValue || h.Value.Len > m.hashMaxValue {
			return false
		}
	}
	return true
}

func (m *Model) hashLP(ho *parse.Value) int64 {
	size := int64(lpHeader)
	for _, h := range ho.Hash {
		size += lpEntry(h.Field) + lpEntry(h.Value)
	}
	return size
}

// hashLPEx: field, value, TTL triples.
func (m *Model) hashLPEx(ho *parse.Value) int64 {
	size := int64(lpHeader)
	for _, h := range ho.Hash {
		size += lpEntry(h.Field) + lpEntry(h.Value) + lpIntEntry(h.ExpiresAt)
	}
	return size
}

// hashTable sizes a hash held in a table presized for its n fields.
func (m *Model) hashTable(ho *parse.Value, fieldTTLs bool, n int64) int64 {
	if m.embedKey {
		return m.valkeyHashHT(ho, n, presized(n))
	}
	return m.hashHT(ho, fieldTTLs, n, float64(nextPow2(n, 4)))
}

// ho is the decoded value, nil if it was not decoded; fieldTTLs says the
// hash was saved with field TTLs.
func (m *Model) hashHT(ho *parse.Value, fieldTTLs bool, n int64, buckets float64) int64 {
	var ele int64
	// 7.4+: fields of a hash with field TTLs are mstr strings carrying an
	// ExpireMeta (16 bytes) in front of the header.
	var meta int64
	if m.flavor == redis && m.ver >= 704 && ho != nil && fieldTTLs {
		meta = 16
	}
	if ho != nil {
		for _, h := range ho.Hash {
			fl := h.Field.Len
			if meta > 0 {
				ele += m.alloc(meta+sdsHdrRedis(fl)+fl+1) + m.sds(h.Value.Len)
				continue
			}
			ele += m.sds(fl) + m.sds(h.Value.Len)
		}
	} else {
		ele = n * 2 * m.sds(8)
	}
	return m.robj + m.dictStruct + int64(math.Round(8*buckets)) + ele + n*m.dictEntry
}

// seedDependent reports whether the record is a plain RDB hash whose
// loaded bucket count depends on the loading server's hash seed: the load
// ends while a rehash may or may not be over, with the less likely
// outcome having a probability of at least 5%. Used by the accuracy
// tables to report those keys apart.
func (m *Model) seedDependent(r *parse.Record) bool {
	if r == nil || r.Type != parse.TypeHash || (r.RDBEncoding != parse.EncHash && r.RDBEncoding != parse.EncHashEx) {
		return false
	}
	n := r.Elements
	if n <= 0 || n > m.hashMaxEntries || r.LongElem < 0 || r.LongElem >= n {
		return false
	}
	d := simLoad(n, r.LongElem, r.RDBEncoding == parse.EncHashEx && m.ver >= 704)
	p := d.pOld()
	return p > 0.05 && p < 0.95
}
