package memmodel

import (
	"testing"

	"github.com/hdt3213/rdb/model"
	"github.com/rdbscope/rdbscope/parse"
)

// BenchmarkEstimate: a mix of the common key shapes (int and embstr
// strings, a listpack hash, an intset, a quicklist) per iteration / 5.
func BenchmarkEstimate(b *testing.B) {
	m, _ := ForSource(&parse.Source{RedisVersion: "7.2.4"}, "")
	base := &model.BaseObject{}
	recs := []*parse.Record{
		{Key: "user:1000123:unread", Type: parse.TypeString, RDBEncoding: parse.EncString, Value: &model.StringObject{BaseObject: base, Value: []byte("42")}},
		{Key: "cache:0430357e1364cbb4f0939a8a4d81896ccfb5fefb:etag", Type: parse.TypeString, RDBEncoding: parse.EncString, Value: &model.StringObject{BaseObject: base, Value: []byte("W/5e1f-3a9c0a1b2c")}},
		{Key: "user:1000123:profile", Type: parse.TypeHash, RDBEncoding: parse.EncListpack, Elements: 8, Blobs: []parse.Blob{{Len: 180, Count: 16}},
			Value: &model.HashObject{BaseObject: base, Hash: map[string][]byte{"a": []byte("1"), "b": []byte("x")}}},
		{Key: "post:5000004:likers", Type: parse.TypeSet, RDBEncoding: parse.EncIntset, Elements: 130, Blobs: []parse.Blob{{Len: 528, Count: 130}},
			Value: &model.SetObject{BaseObject: base, Members: make([][]byte, 130)}},
		{Key: "feed:1000390", Type: parse.TypeList, RDBEncoding: parse.EncQuicklist2, Elements: 36, Blobs: []parse.Blob{{Len: 1210, Count: 36}},
			Value: &model.ListObject{BaseObject: base, Values: make([][]byte, 36)}},
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
