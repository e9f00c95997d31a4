package parse

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Source.Paths accounts for every key once, with its serialized bytes,
// under the way its value took, whatever the number of workers.
func TestPaths(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		opts    Options
		check   func(t *testing.T, p map[string]Paths)
	}{
		{"memory.rdb", Options{}, func(t *testing.T, p map[string]Paths) {
			assert.Positive(t, p["string/string"].Filled.Keys, "strings are described from their bytes")
			assert.Zero(t, p["string/string"].Decoded.Keys)
		}},
		{"zipmap_that_compresses_easily.rdb", Options{}, func(t *testing.T, p map[string]Paths) {
			assert.Equal(t, int64(1), p["hash/zipmap"].Decoded.Keys, "zipmaps go to the decoder")
		}},
		{"redis741_cluster_node.rdb", Options{SkipDecode: func(string, string, int64) bool { return true }}, func(t *testing.T, p map[string]Paths) {
			for k, v := range p {
				assert.Zero(t, v.Filled.Keys+v.Decoded.Keys, k)
			}
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			data := fixture(t, tc.fixture)
			want := map[string]PathCount{}
			var got []map[string]Paths
			for _, workers := range []int{1, 3} {
				keys := 0
				src, err := ParseWith(context.Background(), bytesInput(tc.fixture, data), tc.opts, workers, nil, func(r *Record, _ *struct{}) error {
					if workers == 1 {
						want[r.Type+"/"+r.RDBEncoding] = PathCount{want[r.Type+"/"+r.RDBEncoding].Keys + 1, want[r.Type+"/"+r.RDBEncoding].Bytes + r.RDBBytes}
					}
					keys++
					return nil
				})
				require.NoError(t, err)
				require.Positive(t, keys)
				got = append(got, src.Paths)
			}
			assert.Equal(t, got[0], got[1], "1 worker and 3 count the same")
			require.Len(t, got[0], len(want))
			for k, w := range want {
				var sum PathCount
				p := got[0][k]
				sum.add(p.Framed)
				sum.add(p.Filled)
				sum.add(p.Decoded)
				assert.Equal(t, w, sum, k)
			}
			tc.check(t, got[0])
		})
	}
}
