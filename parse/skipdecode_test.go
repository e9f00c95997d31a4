package parse

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Keys the caller does without are framed exactly as decoded ones, in the
// same order, with Value nil; the others still come decoded.
func TestSkipDecode(t *testing.T) {
	for _, name := range []string{"redis741_cluster_node.rdb", "dumpV10.rdb", "memory.rdb", "redis_50_with_streams.rdb"} {
		t.Run(name, func(t *testing.T) {
			b := fixture(t, name)
			want, _, err := parseAll(t, b, Options{})
			require.NoError(t, err)
			skip := func(typ, enc string, _ int64) bool { return enc != EncString && enc != EncStream }
			var got []Record
			var decoded, skipped int
			_, err = Parse(context.Background(), bytesInput(name, b), Options{SkipDecode: skip}, func(r *Record) error {
				if skip(r.Type, r.RDBEncoding, r.Elements) && r.Type != TypeModule {
					assert.Nil(t, r.Value, "key %q should not be decoded", r.Key)
					skipped++
				} else if r.Type != TypeModule {
					assert.NotNil(t, r.Value, "key %q should be decoded", r.Key)
					decoded++
				}
				c := *r
				c.Value = nil
				got = append(got, c)
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, want, got)
			t.Logf("%d decoded, %d framed only", decoded, skipped)
		})
	}
}
