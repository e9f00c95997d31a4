package memmodel

import (
	"testing"

	"github.com/rdbscope/rdbscope/parse"
	"github.com/stretchr/testify/assert"
)

func TestForSource(t *testing.T) {
	cases := []struct {
		src            *parse.Source
		override, name string
		note           bool
	}{
		{&parse.Source{RedisVersion: "7.0.15"}, "", "redis-7.0", false},
		{&parse.Source{RedisVersion: "7.9.224"}, "", "redis-8.0", false},
		{&parse.Source{RedisVersion: "9.1.0"}, "", "redis-8.0", true},
		{&parse.Source{RedisVersion: "7.2.4", Aux: map[string]string{"valkey-ver": "8.0.1"}}, "", "valkey-8.0", false},
		{&parse.Source{RDBVersion: 11}, "", "redis-7.2", true},
		{nil, "valkey-8.0", "valkey-8.0", false},
		{nil, "7.2.4", "redis-7.2", false},
		{nil, "5.0", "redis-6.2", true},
		{nil, "garbage", "redis-7.2", true},
		{&parse.Source{RedisVersion: "7.4.1", SlotInfos: 3}, "", "redis-7.4", false},
	}
	for _, c := range cases {
		m, note := ForSource(c.src, c.override)
		assert.Equal(t, c.name, m.Name(), "%+v %q", c.src, c.override)
		assert.Equal(t, c.note, note != "", "%+v %q: %q", c.src, c.override, note)
	}
	m, _ := ForSource(&parse.Source{RedisVersion: "7.4.1", SlotInfos: 3}, "")
	assert.True(t, m.cluster)
}

func TestHelpers(t *testing.T) {
	assert.Equal(t, []int64{8, 16, 32, 48, 160, 320, 20480}, []int64{jemallocSize(1), jemallocSize(9), jemallocSize(17), jemallocSize(33), jemallocSize(129), jemallocSize(257), jemallocSize(16385)})
	assert.Equal(t, []int64{8, 24, 40, 56, 80}, []int64{jemallocSizeQ8(1), jemallocSizeQ8(17), jemallocSizeQ8(33), jemallocSizeQ8(49), jemallocSizeQ8(65)})
}

func TestNoPanic(t *testing.T) {
	m, _ := ForSource(nil, "")
	recs := []*parse.Record{
		nil,
		{},
		{Type: parse.TypeString},
		{Type: parse.TypeList, RDBEncoding: parse.EncQuicklist2, Blobs: []parse.Blob{{Len: -5, Count: 99}}},
		{Type: parse.TypeList, RDBEncoding: parse.EncQuicklist, Blobs: []parse.Blob{{Len: 10, Count: 5}}, Value: &parse.Value{}},
		{Type: parse.TypeSet, RDBEncoding: parse.EncSet},
		{Type: parse.TypeZSet, RDBEncoding: parse.EncZSet2, Value: &parse.Value{ZSet: []parse.ZMember{{}}}},
		{Type: parse.TypeHash, RDBEncoding: parse.EncHashEx},
		{Type: parse.TypeStream, Value: &parse.Value{Stream: &parse.Stream{Nodes: []parse.StreamID{{}}, Groups: []parse.StreamGroup{{Pending: []parse.StreamID{{}}}}}}},
		{Type: parse.TypeStream, Value: &parse.Value{}},
		{Type: parse.TypeModule, RDBBytes: 100},
		{Type: "weird", RDBBytes: -3},
	}
	for _, r := range recs {
		assert.NotPanics(t, func() {
			v, _ := m.Estimate(r)
			assert.GreaterOrEqual(t, v, int64(0))
		})
	}
}
