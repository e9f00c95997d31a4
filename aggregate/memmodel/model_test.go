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
		{&parse.Source{RedisVersion: "9.1.0"}, "", "redis-8.2", true},
		{&parse.Source{RedisVersion: "7.2.4", Aux: map[string]string{"valkey-ver": "8.0.1"}}, "", "valkey-8.0", false},
		{&parse.Source{RDBVersion: 11}, "", "redis-7.2", true},
		{nil, "valkey-8.0", "valkey-8.0", false},
		{nil, "7.2.4", "redis-7.2", false},
		{nil, "5.0", "redis-6.2", true},
		{nil, "garbage", "redis-7.2", true},
		{&parse.Source{RedisVersion: "7.4.1", SlotInfos: 3}, "", "redis-7.4", false},
		{&parse.Source{RedisVersion: "8.0.6"}, "", "redis-8.0", false},
		{&parse.Source{RedisVersion: "8.2.1"}, "", "redis-8.2", true}, // not validated
		{&parse.Source{RedisVersion: "8.6.0", RDBVersion: 13}, "", "redis-8.2", true},
		{&parse.Source{Aux: map[string]string{"valkey-ver": "8.1.1"}}, "", "valkey-8.1", false},
		{&parse.Source{Magic: "VALKEY", RDBVersion: 80, Aux: map[string]string{"valkey-ver": "9.0.0"}}, "", "valkey-9.0", true},
		{&parse.Source{Magic: "VALKEY", RDBVersion: 80, Aux: map[string]string{"valkey-ver": "9.1.2"}}, "", "valkey-9.1", false},
		{&parse.Source{Magic: "VALKEY", RDBVersion: 80, Aux: map[string]string{"valkey-ver": "9.2.0"}}, "", "valkey-9.1", true},
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

// TestUnvalidatedNote: lines derived from sources only say so.
func TestUnvalidatedNote(t *testing.T) {
	_, note := ForSource(&parse.Source{RedisVersion: "8.2.1"}, "")
	assert.Contains(t, note, "not validated against a server")
	_, note = ForSource(nil, "valkey-9.0")
	assert.Contains(t, note, "not validated against a server")
}

func TestConfigFrom(t *testing.T) {
	conf := map[string]string{
		"hash-max-ziplist-entries":  "1024", // the old name
		"zset-max-listpack-entries": "16",
		"list-max-listpack-size":    "-3",
		"maxmemory":                 "2gb",
		"maxmemory-policy":          "Allkeys-LRU",
		"save":                      "900 1",
	}
	c, err := ConfigFrom(func(n string) (string, bool) { v, ok := conf[n]; return v, ok })
	assert.NoError(t, err)
	assert.Equal(t, map[string]int64{"hash-max-listpack-entries": 1024, "zset-max-listpack-entries": 16, "list-max-listpack-size": -3}, c.Settings)
	assert.Equal(t, int64(2<<30), c.Maxmemory)
	assert.True(t, c.HasMaxmemory)
	assert.Equal(t, "allkeys-lru", c.Policy)
	assert.Equal(t, int64(64), c.HashValueLimit())

	m := byName("redis-7.2").WithConfig(c)
	assert.Equal(t, int64(1024), m.hashMaxEntries)
	assert.Equal(t, int64(16), m.zsetMaxEntries)
	assert.Equal(t, int64(-3), m.listFill)
	assert.False(t, m.sharesIntegers(), "maxmemory with an LRU policy: no shared integers")
	assert.True(t, byName("redis-7.2").sharesIntegers())
	assert.False(t, byName("valkey-8.1").sharesIntegers(), "keys embedded in every object")

	for _, bad := range []map[string]string{{"set-max-intset-entries": "lots"}, {"list-compress-depth": "-1"}, {"maxmemory": "2zb"}} {
		_, err := ConfigFrom(func(n string) (string, bool) { v, ok := bad[n]; return v, ok })
		assert.Error(t, err, "%v", bad)
	}
}

// TestSharedIntegers: a string holding 0-9999 allocates nothing for its
// value where the server shares integers; MEMORY USAGE still counts it.
func TestSharedIntegers(t *testing.T) {
	r := &parse.Record{Key: "k", Type: parse.TypeString, RDBEncoding: parse.EncString, Value: &parse.Value{String: parse.ElemOf([]byte("42"))}}
	m := byName("redis-8.0")
	s := m.Size(r)
	assert.Equal(t, encInt, s.Encoding)
	assert.Equal(t, s.Memory-16, s.Allocated)
	lru := m.WithConfig(Config{Maxmemory: 1 << 30, HasMaxmemory: true, Policy: "allkeys-lru"}).Size(r)
	assert.Equal(t, lru.Memory, lru.Allocated)
	r.Value.String = parse.ElemOf([]byte("123456"))
	s = m.Size(r)
	assert.Equal(t, s.Memory, s.Allocated, "not a shared integer")
}

func TestValkeyHashtable(t *testing.T) {
	// buckets: 7 slots, at most 32/5 entries per bucket on average.
	assert.Equal(t, []int64{0, 1, 1, 2, 128, 8192}, []int64{htBuckets(0), htBuckets(1), htBuckets(6), htBuckets(7), htBuckets(700), htBuckets(39849)})
	assert.Zero(t, htChildren(7, 1))
	assert.Equal(t, 1.0, htChildren(8, 1))
	assert.Equal(t, 2.0, htChildren(14, 1))
	// A 700-field plain hash converted at its 9th pair: the table sized
	// for 9 pairs (2 buckets) is expanded for the rest (128) and the old
	// one is rehashed within the next adds.
	tb := valkeyHashLoad(700, 9)
	assert.Equal(t, int64(128), tb.buckets)
	// A 33-pair hash converted at pair 26: sized for 26 (8 buckets), then
	// 7 more adds fit.
	assert.Equal(t, int64(8), valkeyHashLoad(33, 26).buckets)
}

func TestRaxAlloc(t *testing.T) {
	a := func(n int64) int64 { return jemallocSizeQ8(n) }
	// empty: the struct and an empty root.
	assert.Equal(t, a(24)+a(4), raxAlloc(nil, 24, a))
	// one key "abc": root chain node "abc" (4+3 -> 8, one child pointer)
	// and the key's leaf (header + value pointer).
	assert.Equal(t, a(24)+a(8+8)+a(8+8), raxAlloc([][]byte{[]byte("abc")}, 24, a))
	// "a" and "b": a root branching on two bytes, two key leaves.
	assert.Equal(t, a(24)+a(8+16)+2*a(16), raxAlloc([][]byte{[]byte("a"), []byte("b")}, 24, a))
}
