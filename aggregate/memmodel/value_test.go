package memmodel

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rdbscope/rdbscope/parse"
)

// TestEstimateFromValues: estimates of hand-made decoded values follow
// from what each Elem says (length, integer-ness), per encoding rule.
func TestEstimateFromValues(t *testing.T) {
	m, _ := ForSource(nil, "7.2")
	e := func(s string) parse.Elem { return parse.ElemOf([]byte(s)) }
	for _, tc := range []struct {
		name  string
		r     parse.Record
		enc   string
		value int64 // what MEMORY USAGE adds to the key's own bytes
	}{
		{"integer string", parse.Record{Type: parse.TypeString, Value: &parse.Value{String: e("-12345")}},
			encInt, m.robj},
		{"non-canonical integer", parse.Record{Type: parse.TypeString, Value: &parse.Value{String: e("012345")}},
			encEmbstr, m.alloc(m.robj + 3 + 6 + 1)},
		{"raw string", parse.Record{Type: parse.TypeString, Value: &parse.Value{String: e(strings.Repeat("x", 50))}},
			encRaw, m.robj + m.sds(50)},
		{"set of integers", parse.Record{Type: parse.TypeSet, RDBEncoding: parse.EncSet, Value: &parse.Value{Set: []parse.Elem{e("1"), e("2"), e("300000")}}},
			encIntset, m.robj + m.alloc(intsetBytes(3, 4))},
		{"small set with a word", parse.Record{Type: parse.TypeSet, RDBEncoding: parse.EncSet, Value: &parse.Value{Set: []parse.Elem{e("1"), e("abc")}}},
			encListpack, m.robj + m.alloc(lpHeader+lpIntEntry(1)+lpStrEntry(3))},
		{"small zset", parse.Record{Type: parse.TypeZSet, RDBEncoding: parse.EncZSet2, Value: &parse.Value{ZSet: []parse.ZMember{{Member: e("m"), Score: 2}, {Member: e("n"), Score: 0.5}}}},
			encListpack, m.robj + m.alloc(lpHeader+lpStrEntry(1)+lpIntEntry(2)+lpStrEntry(1)+lpStrEntry(3))},
		{"small hash", parse.Record{Type: parse.TypeHash, RDBEncoding: parse.EncHash, Value: &parse.Value{Hash: []parse.HashField{{Field: e("f"), Value: e("100")}}}},
			encListpack, m.robj + m.alloc(lpHeader+lpStrEntry(1)+lpIntEntry(100))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.Key = "k"
			mem, enc := m.Estimate(&tc.r)
			assert.Equal(t, tc.enc, enc)
			assert.Equal(t, tc.value+m.keyBytes(&tc.r, enc), mem)
		})
	}
}

// A decoded stream without its listpack sizes (which the parser always
// gives) is sized as if it had not been decoded.
func TestStreamWithoutBlobs(t *testing.T) {
	m, _ := ForSource(nil, "7.2")
	r := &parse.Record{Key: "s", Type: parse.TypeStream, RDBEncoding: parse.EncStream, RDBBytes: 5000, Elements: 40, Idle: -1, Freq: -1,
		Value: &parse.Value{Stream: &parse.Stream{Nodes: []parse.StreamID{{1}}}}}
	mem, enc := m.Estimate(r)
	v, wantEnc, ok := m.undecoded(r)
	assert.True(t, ok)
	assert.Equal(t, wantEnc, enc)
	assert.Equal(t, v+m.keyBytes(r, encStream), mem)

	// With them, the radix trees count: two nodes and a consumer group.
	r.Blobs = []parse.Blob{{Len: 3000}, {Len: 1500}}
	r.Value.Stream.Nodes = []parse.StreamID{{1}, {2}}
	r.Value.Stream.Groups = []parse.StreamGroup{{Consumers: []parse.StreamConsumer{{NameLen: 5}}}}
	mem2, enc2 := m.Estimate(r)
	assert.Equal(t, encStream, enc2)
	assert.Equal(t, m.robj+m.stream+m.alloc(3000)+m.alloc(1500)+streamRaxBytes(2, raxNodes(r.Value.Stream.Nodes))+
		m.streamCG+streamRaxBytes(0, 1)+m.streamConsumer+5+streamRaxBytes(0, 1)+m.keyBytes(r, encStream), mem2)
}
