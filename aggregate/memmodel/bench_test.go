package memmodel

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rdbscope/rdbscope/parse"
)

// BenchmarkEstimate: a mix of the common key shapes (int and embstr
// strings, a listpack hash, an intset, a quicklist) per iteration / 5.
func BenchmarkEstimate(b *testing.B) {
	m, _ := ForSource(&parse.Source{RedisVersion: "7.2.4"}, "")
	elem := func(s string) parse.Elem { return parse.ElemOf([]byte(s)) }
	recs := []*parse.Record{
		{Key: "user:1000123:unread", Type: parse.TypeString, RDBEncoding: parse.EncString, Value: &parse.Value{String: elem("42")}},
		{Key: "cache:0430357e1364cbb4f0939a8a4d81896ccfb5fefb:etag", Type: parse.TypeString, RDBEncoding: parse.EncString, Value: &parse.Value{String: elem("W/5e1f-3a9c0a1b2c")}},
		{Key: "user:1000123:profile", Type: parse.TypeHash, RDBEncoding: parse.EncListpack, Elements: 8, Blobs: []parse.Blob{{Len: 180, Count: 16}},
			Value: &parse.Value{Hash: []parse.HashField{{Field: elem("a"), Value: elem("1")}, {Field: elem("b"), Value: elem("x")}}}},
		{Key: "post:5000004:likers", Type: parse.TypeSet, RDBEncoding: parse.EncIntset, Elements: 130, Blobs: []parse.Blob{{Len: 528, Count: 130}},
			Value: &parse.Value{Set: make([]parse.Elem, 130)}},
		{Key: "feed:1000390", Type: parse.TypeList, RDBEncoding: parse.EncQuicklist2, Elements: 36, Blobs: []parse.Blob{{Len: 1210, Count: 36}},
			Value: &parse.Value{List: make([]parse.Elem, 36)}},
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sink int64
	for i := 0; i < b.N; i++ {
		v, _ := m.Estimate(recs[i%len(recs)])
		sink += v
	}
	_ = sink
}

// benchRecords decodes a corpus dump once (records copied out of the
// parser's callback).
func benchRecords(b *testing.B, rdb string) ([]*parse.Record, *Model) {
	b.Helper()
	ins, err := parse.Expand([]string{rdb}, nil)
	if err != nil || len(ins) != 1 {
		b.Skip("corpus dump not found: " + rdb)
	}
	var m *Model
	var recs []*parse.Record
	_, err = parse.Parse(context.Background(), ins[0], parse.Options{OnSource: func(s *parse.Source) error {
		m, _ = ForSource(s, "")
		return nil
	}}, func(r *parse.Record) error {
		c := *r
		c.Blobs = append([]parse.Blob(nil), r.Blobs...)
		c.Value = r.Value.Clone()
		recs = append(recs, &c)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return recs, m
}

// BenchmarkEstimateCorpus estimates every key of a real dump (the mixed
// corpus of Redis 7.2: 26.5k keys of every type and encoding) per
// iteration. ns/key is the figure to compare.
func BenchmarkEstimateCorpus(b *testing.B) {
	recs, m := benchRecords(b, filepath.Join(corpusDir, "redis-7.2.6", "mixed.rdb"))
	b.ReportAllocs()
	var sink int64
	for i := 0; i < b.N; i++ {
		for _, r := range recs {
			v, _ := m.Estimate(r)
			sink += v
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/key")
	_ = sink
}

// BenchmarkEstimateHuge: a 1 M-field hashtable hash and a 1 M-member set
// (plain encodings): linear, no allocation per element.
func BenchmarkEstimateHuge(b *testing.B) {
	m, _ := ForSource(&parse.Source{RedisVersion: "7.2.4"}, "")
	h := make([]parse.HashField, 0, 1<<20)
	members := make([]parse.Elem, 0, 1<<20)
	for i := 0; i < 1<<20; i++ {
		k := parse.ElemOf([]byte("field:" + strconv.Itoa(i)))
		h = append(h, parse.HashField{Field: k, Value: parse.ElemOf([]byte("value-" + strconv.Itoa(i*7)))})
		members = append(members, k)
	}
	recs := []*parse.Record{
		{Key: "big:hash", Type: parse.TypeHash, RDBEncoding: parse.EncHash, Elements: int64(len(h)), LongElem: -1, Value: &parse.Value{Hash: h}},
		{Key: "big:set", Type: parse.TypeSet, RDBEncoding: parse.EncSet, Elements: int64(len(members)), LongElem: -1, Value: &parse.Value{Set: members}},
	}
	for _, r := range recs {
		b.Run(r.Type, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				m.Estimate(r)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(r.Elements), "ns/element")
		})
	}
}
