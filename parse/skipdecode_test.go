package parse

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

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
				got = append(got, kept(r))
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, want, got)
			t.Logf("%d decoded, %d framed only", decoded, skipped)
		})
	}
}

// An endless dump of small listpack hashes that the caller does not need
// decoded: records must keep flowing while the file is read, instead of
// piling up in the framer until the EOF marker.
func TestSkippedRecordsFlow(t *testing.T) {
	head := newRDB("REDIS0011").byte(opSelectDB).len(0).b
	lp := onePackListInts(1, 2)
	rec := newRDB("").byte(16).str("key").len(uint64(len(lp))).byte(lp...).b
	in := Input{Ref: Ref{Path: "endless.rdb"}, open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(bytes.NewReader(head), &repeater{b: rec})), nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := 0
	_, err := Parse(ctx, in, Options{SkipDecode: func(string, string, int64) bool { return true }}, func(r *Record) error {
		n++
		if n == 100_000 {
			cancel()
		}
		return nil
	})
	assert.Error(t, err, "canceled")
	assert.GreaterOrEqual(t, n, 100_000, "records are delivered as the endless file is read")
}
