package parse

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lzfRun is an LZF stream of 1+264*refs bytes of 'z': one literal, then
// back references of 264 bytes each (3 bytes apiece, the best LZF does).
func lzfRun(refs int) (data []byte, ulen int) {
	data = []byte{0, 'z'}
	for i := 0; i < refs; i++ {
		data = append(data, 7<<5, 255, 0)
	}
	return data, 1 + 264*refs
}

// Items outside the key records (AUX fields, FUNCTION libraries) are
// bounded whatever MaxKeyBytes says, and judged by their decompressed
// size: a 200 MB LZF redis-ver took 5.4 GB and made a 210 MB JSON report
// (issue 12, item 6). Each dump below is parsed with the default options;
// the keys around the huge item are read, the item is not held.
func TestItemsOutsideKeysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dumps of tens of MB")
	}
	lzf, ulen := lzfRun(200 << 20 / 264) // 200 MB once decompressed, 2.4 MB stored
	plain := bytes.Repeat([]byte("v"), 40<<20)
	cases := []struct {
		name    string
		item    func(w *rdbBuilder)
		warning string
		aux     string // the AUX field whose kept value is checked
	}{
		{"LZF AUX value of 200 MB", func(w *rdbBuilder) {
			w.byte(opAux).str("redis-ver").byte(0xC3).len(uint64(len(lzf))).len(uint64(ulen))
			w.b = append(w.b, lzf...)
		}, fmt.Sprintf(`AUX field "redis-ver" of 9 bytes, value of %d bytes: only the first 65536 bytes of each kept`, ulen), "redis-ver"},
		{"AUX value of 40 MB", func(w *rdbBuilder) {
			w.byte(opAux).str("lua").len(uint64(len(plain)))
			w.b = append(w.b, plain...)
		}, `AUX field "lua" of 3 bytes, value of 41943040 bytes: only the first 65536 bytes of each kept`, "lua"},
		{"FUNCTION library of 40 MB", func(w *rdbBuilder) {
			w.byte(opFunction2).len(uint64(len(plain)))
			w.b = append(w.b, plain...)
		}, "FUNCTION library (opcode 245) at byte ", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newRDB("REDIS0011")
			w.byte(opAux).str("ctime").str("1700000000")
			tc.item(w)
			w.byte(opSelectDB).len(0)
			w.byte(0).str("a").str("1")
			w.byte(0).str("b").str("2")
			b := w.end()
			var recs []Record
			var src *Source
			var err error
			grown := heapGrowth(func() { recs, src, err = parseAll(t, b, Options{}) })
			require.NoError(t, err)
			assert.Equal(t, ChecksumOK, src.Checksum, "the skipped bytes are checksummed")
			require.Len(t, recs, 2)
			assert.Equal(t, "b", recs[1].Key)
			assert.Equal(t, int64(1700000000), src.CTime)
			assert.Contains(t, strings.Join(src.Warnings, "\n"), tc.warning)
			if tc.aux != "" {
				assert.LessOrEqual(t, len(src.Aux[tc.aux]), auxKeep)
			}
			assert.Less(t, grown, uint64(24<<20), "allocated %d MB", grown>>20)
		})
	}
}

// A dump with a great many AUX fields keeps at most maxAuxBytes of them,
// so that the process reading the results is bounded too.
func TestAuxFieldsBoundedInAll(t *testing.T) {
	w := newRDB("REDIS0011")
	v := strings.Repeat("x", 1000)
	for i := 0; i < 3000; i++ {
		w.byte(opAux).str("f" + strings.Repeat("0", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i)).str(v)
	}
	w.byte(opSelectDB).len(0)
	w.byte(0).str("a").str("1")
	recs, src, err := parseAll(t, w.end(), Options{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	n := 0
	for k, v := range src.Aux {
		n += len(k) + len(v)
	}
	assert.LessOrEqual(t, n, maxAuxBytes)
	assert.Greater(t, n, maxAuxBytes/2)
	assert.Contains(t, strings.Join(src.Warnings, "\n"), "AUX fields of more than 1048576 bytes in all: the others are ignored")
}

// A compressed dump cut before its RDB header is complete is truncated,
// not a stream that "decompresses to nothing" (issue 12, item 14).
func TestCutCompressedBeforeHeader(t *testing.T) {
	dump := newRDB("REDIS0011").byte(opAux).str("redis-ver").str(strings.Repeat("7", 100000)).end()
	for _, kind := range []string{"gzip", "lz4", "zstd"} {
		t.Run(kind, func(t *testing.T) {
			var b bytes.Buffer
			var w io.WriteCloser
			switch kind {
			case "gzip":
				w = gzip.NewWriter(&b)
			case "lz4":
				w = lz4.NewWriter(&b)
			case "zstd":
				zw, err := zstd.NewWriter(&b)
				require.NoError(t, err)
				w = zw
			}
			_, err := w.Write(dump)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			_, _, err = parseAll(t, b.Bytes()[:20], Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "truncated: the "+kind+" stream ends after 0 decompressed bytes, before the RDB header is complete")
		})
	}
}
