package memmodel

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rdbscope/rdbscope/parse"
)

// With a 16-byte quantum (Debian's 7.0), a quicklist allocates 8 bytes
// more than MEMORY USAGE counts for the quicklist struct and for every
// node (40 counted, 48 allocated), beside the db entry's 8; with the
// bundled jemalloc's 8-byte quantum the structs are exact.
func TestListStructRounding(t *testing.T) {
	list := func(nodes int) *parse.Record {
		r := &parse.Record{Key: "feed:1", Type: parse.TypeList, RDBEncoding: parse.EncQuicklist2, Value: &parse.Value{}}
		for range nodes {
			r.Blobs = append(r.Blobs, parse.Blob{Len: 60, StoredLen: 60, Count: 8})
		}
		r.Elements = int64(8 * nodes)
		return r
	}
	tests := []struct {
		version string
		nodes   int
		extra   int64 // Allocated - Memory
	}{
		{"7.0+q16", 2, 8 + 8 + 2*8},
		{"7.0+q16", 40, 8 + 8 + 40*8},
		{"7.0+q8", 40, 0},
		{"7.2+q8", 40, 0},
	}
	for _, tc := range tests {
		t.Run(tc.version+"/"+strconv.Itoa(tc.nodes), func(t *testing.T) {
			m, _ := ForSource(nil, tc.version)
			s := m.Size(list(tc.nodes))
			assert.Equal(t, "quicklist", s.Encoding)
			assert.Equal(t, tc.extra, s.Allocated-s.Memory)
		})
	}
}
