package parse

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLongElem(t *testing.T) {
	long := strings.Repeat("x", 65)
	at64 := strings.Repeat("y", 64)
	db := func() *rdbBuilder { return newRDB("REDIS0012").byte(opSelectDB).len(0) }
	cases := []struct {
		name string
		b    []byte
		want int64
	}{
		{"string", db().byte(0).str("k").str(long).end(), -1},
		{"list none", db().byte(1).str("k").len(3).str("a").str(at64).str("c").end(), -1},
		{"list second", db().byte(1).str("k").len(3).str("a").str(long).str(long).end(), 1},
		{"set first", db().byte(2).str("k").len(2).str(long).str("b").end(), 0},
		// LZF: 'a' then a back reference of 99 bytes = 100 decoded bytes.
		{"set LZF member", db().byte(2).str("k").len(2).str("b").byte(0xC3).len(5).len(100).byte(0, 'a', 7<<5, 90, 0).end(), 1},
		{"set integer members", db().byte(2).str("k").len(1).byte(0xC2, 1, 2, 3, 4).end(), -1},
		{"zset member", db().byte(3).str("k").len(2).str("a").byte(1, '1').str(long).byte(1, '2').end(), 1},
		{"zset2 member", db().byte(5).str("k").len(2).str(long).byte(0, 0, 0, 0, 0, 0, 0, 0).str("b").byte(0, 0, 0, 0, 0, 0, 0, 0).end(), 0},
		{"hash value of pair 2", db().byte(4).str("k").len(3).str("f0").str("v").str("f1").str(at64).str("f2").str(long).end(), 2},
		{"hash field of pair 1", db().byte(4).str("k").len(2).str("f0").str("v").str(long).str("v").end(), 1},
		{"hash with field TTLs", db().byte(24).str("k").byte(0, 0, 0, 0, 0, 0, 0, 0).len(2).
			len(0).str("f0").str("v").len(0).str("f1").str(long).end(), 1},
		{"listpack set", db().byte(20).str("k").str(string(onePackListInts(1, 2))).end(), -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			recs, _, err := parseAll(t, tc.b, Options{})
			require.NoError(t, err)
			require.Len(t, recs, 1)
			assert.Equal(t, tc.want, recs[0].LongElem)
		})
	}
	// Module values and real dumps: always set, -1 for packed encodings.
	recs, _, err := parseAll(t, fixture(t, "redis_40_with_module.rdb"), Options{})
	require.NoError(t, err)
	for _, r := range recs {
		assert.Equal(t, int64(-1), r.LongElem, r.Key)
	}
	recs, _, err = parseAll(t, fixture(t, "redis741_cluster_node.rdb"), Options{})
	require.NoError(t, err)
	plain := 0
	for _, r := range recs {
		switch r.RDBEncoding {
		case EncHash, EncHashEx, EncSet, EncZSet2, EncList:
			plain++
			assert.GreaterOrEqual(t, r.LongElem, int64(-1))
			assert.Less(t, r.LongElem, r.Elements)
		default:
			assert.Equal(t, int64(-1), r.LongElem, r.Key)
		}
	}
	assert.Positive(t, plain)
}
