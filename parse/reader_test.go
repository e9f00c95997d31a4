package parse

import (
	"bufio"
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testFramer frames b, collecting the chunks it sends.
func testFramer(b []byte, opts Options) (*framer, *[]*chunk) {
	var sent []*chunk
	f := newFramer(context.Background(), bufio.NewReader(bytes.NewReader(b)), "t.rdb", &Source{}, opts,
		func(c *chunk) error { sent = append(sent, c); return nil }, nil)
	return f, &sent
}

// TestChunkBuffer: whatever is cut out of or replaced in what the decoder
// sees, the checksum covers the bytes as read and offsets stay those of
// the stream.
func TestChunkBuffer(t *testing.T) {
	in := []byte("0123456789abcdefghij")
	for _, tc := range []struct {
		name string
		edit func(b *chunkBuffer) // after in[:10] was appended
		sent string
	}{
		{"nothing", func(b *chunkBuffer) {}, string(in)},
		{"strip", func(b *chunkBuffer) { b.strip(4) }, "0123abcdefghij"},
		{"replace longer", func(b *chunkBuffer) { b.replace(8, []byte("XYZ")) }, "01234567XYZabcdefghij"},
		{"replace shorter", func(b *chunkBuffer) { b.replace(2, []byte("-")) }, "01-abcdefghij"},
		{"sum then strip", func(b *chunkBuffer) { b.sum(); b.strip(0) }, "abcdefghij"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			b := newChunkBuffer(func(c *chunk) error { got = append(got, c.data...); return nil }, nil)
			b.out = append(b.out, in[:10]...)
			tc.edit(&b)
			assert.Equal(t, int64(10), b.pos(), "stream offset of the next byte")
			b.out = append(b.out, in[10:]...)
			require.NoError(t, b.flush(nil))
			assert.Equal(t, tc.sent, string(got))
			assert.Equal(t, crc64Redis(in), b.crc)
			assert.Equal(t, int64(len(in)), b.pos())
		})
	}
	t.Run("cut", func(t *testing.T) {
		b := newChunkBuffer(nil, nil)
		b.out = append(b.out, in...)
		b.sum()
		b.cut(5)
		assert.Equal(t, "01234", string(b.out))
		assert.Equal(t, 5, b.crcPos)
		b.cut(9) // nothing past the end to cut
		assert.Equal(t, "01234", string(b.out))
	})
	t.Run("full", func(t *testing.T) {
		b := newChunkBuffer(nil, nil)
		assert.False(t, b.full())
		b.metas = make([]meta, chunkRecords)
		assert.True(t, b.full(), "records the decoder never sees count too")
	})
}

// TestReadLen reads back every size class of RDB length.
func TestReadLen(t *testing.T) {
	for _, n := range []uint64{0, 1, 63, 64, 16383, 16384, 1<<32 - 1, 1 << 32, 1<<64 - 1} {
		f, _ := testFramer(appendRDBLen(nil, n), Options{})
		got, special, err := f.readLen("a length")
		require.NoError(t, err, n)
		assert.False(t, special)
		assert.Equal(t, n, got)
		assert.Equal(t, int64(len(appendRDBLen(nil, n))), f.pos())
	}
}

func TestReadStr(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []byte
		need  int
		data  string
		ulen  int64
		isInt bool
		err   string
	}{
		{"plain", append(appendRDBLen(nil, 3), "abc"...), needAll, "abc", 3, false, ""},
		{"int8", []byte{0xC0, 0xF6}, needAll, "-10", 3, true, ""},
		{"int16", []byte{0xC1, 0x39, 0x30}, needAll, "12345", 5, true, ""},
		{"int32", []byte{0xC2, 0x00, 0xCA, 0x9A, 0x3B}, needAll, "1000000000", 10, true, ""},
		// 'a' then a back reference of 9 bytes at distance 1.
		{"LZF", []byte{0xC3, 5, 10, 0, 'a', 7 << 5, 0, 0}, needAll, "aaaaaaaaaa", 10, false, ""},
		{"LZF header only", []byte{0xC3, 5, 10, 0, 'a', 7 << 5, 0, 0}, needNone, "", 10, false, ""},
		{"LZF lies", []byte{0xC3, 5, 11, 0, 'a', 7 << 5, 0, 0}, needAll, "", 0, false, "decompresses to a size other than the 11 bytes claimed"},
		{"bad encoding", []byte{0xC4}, needAll, "", 0, false, "invalid string encoding 0xc4"},
		{"truncated", append(appendRDBLen(nil, 30), "abc"...), needAll, "", 0, false, "truncated: ends at byte 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := testFramer(tc.in, Options{})
			s, err := f.readStr("a string", tc.need)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.data, string(s.data))
			assert.Equal(t, tc.ulen, s.ulen)
			assert.Equal(t, tc.isInt, s.isInt)
			assert.Equal(t, int64(len(tc.in)), f.pos(), "every stored byte read")
		})
	}
}
