package parse

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLZFLenMatchesServers: the servers that wrote the corpus dumps
// compressed every list node when saving (rdbcompression, from a fresh
// table: the nodes were not compressed in memory); lzfCompressedLen
// reproduces each of their lengths.
func TestLZFLenMatchesServers(t *testing.T) {
	var checked int
	for _, v := range []string{"redis-7.0.15", "redis-7.2.6", "redis-8.0.6", "valkey-8.1.1", "valkey-9.1.2"} {
		path := filepath.Join(corpusDir, "generated", v, "tiny.rdb")
		if _, err := os.Stat(path); err != nil {
			t.Skip("corpus not available:", err)
		}
		ins, err := Expand([]string{path}, nil)
		require.NoError(t, err)
		_, err = Parse(context.Background(), ins[0], Options{LZFSizes: true}, func(r *Record) error {
			if r.RDBEncoding != EncQuicklist2 {
				return nil
			}
			for _, b := range r.Blobs {
				if b.Plain {
					continue
				}
				if b.Compressed {
					checked++
					assert.Equal(t, b.StoredLen, b.LZFLen, "%s %s: node of %d bytes", v, r.Key, b.Len)
				} else if b.Len > 20 {
					// Stored raw: it did not compress to less than Len-4.
					assert.True(t, b.LZFLen == -1 || b.LZFLen >= b.Len-4, "%s %s: %+v", v, r.Key, b)
				}
			}
			return nil
		})
		require.NoError(t, err)
	}
	assert.Greater(t, checked, 50)
}

func TestLZFLenEdges(t *testing.T) {
	assert.Zero(t, lzfCompressedLen(nil, 10))
	// 100 identical bytes: a few literals, then back references (no
	// match may start at the first byte).
	same := make([]byte, 100)
	assert.Equal(t, 9, lzfCompressedLen(same, 100))
	// Incompressible within the bound: 0.
	rnd := []byte("qwertyuiopasdfghjklzxcvbnm1234567890")
	assert.Zero(t, lzfCompressedLen(rnd, len(rnd)))
	assert.Equal(t, len(rnd)+2, lzfCompressedLen(rnd, 100), "two literal runs of 32 and 4")
}
