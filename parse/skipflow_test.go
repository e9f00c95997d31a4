package parse

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

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
