package parse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

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

// TestShortStrSameAsGeneral: the one-step read of short and
// integer-encoded strings gives what the general path gives (the str,
// the bytes kept, the offset), for every kind of content asked; and it
// leaves every other string to the general path untouched.
func TestShortStrSameAsGeneral(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 300)
	cases := []struct {
		name string
		enc  []byte
		fast bool // read in one step
	}{
		{"empty", []byte{0}, true},
		{"6-bit length", append([]byte{5}, "hello"...), true},
		{"14-bit length", append([]byte{0x40 | 1, 44}, long...), true},
		{"int8", []byte{0xC0, 0x85}, true},
		{"int8 zero", []byte{0xC0, 0}, true},
		{"int16", []byte{0xC1, 0x39, 0x30}, true},
		{"int16 negative", []byte{0xC1, 0x00, 0x80}, true},
		{"int32", []byte{0xC2, 0xFF, 0xFF, 0xFF, 0x7F}, true},
		{"int32 min", []byte{0xC2, 0, 0, 0, 0x80}, true},
		{"32-bit length", append([]byte{0x80, 0, 0, 0, 3}, "abc"...), true},
		{"longer than what is looked at", append([]byte{0x80, 0, 0, 0x40, 1}, bytes.Repeat([]byte("y"), 1<<14+1)...), false},
		// LZF strings: their header is read in one step (lzfHeader).
		{"LZF", []byte{0xC3, 6, 6, 2, 'a', 'b', 'c', 0x20, 2}, false}, // "abcabc"
		{"LZF, 14-bit lengths", lzfStr(feedListpack(rand.New(rand.NewSource(1)), 10)), false},
		{"LZF, 32-bit lengths", append([]byte{0xC3, 0x80, 0, 0, 0, 6, 0x80, 0, 0, 0, 6}, 2, 'a', 'b', 'c', 0x20, 2), false},
	}
	for _, tc := range cases {
		for _, need := range []int{needNone, needHeader, needAll} {
			// Followed by a byte, so that the string is never the end
			// of what is buffered.
			in := append(append([]byte(nil), tc.enc...), 0xEE)

			slow, _ := testFramer(nil, Options{})
			slow.br = bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(in)), 16)
			want, err := slow.readStr("x", need)
			require.NoError(t, err, tc.name)

			fast, _ := testFramer(in, Options{})
			_, _ = fast.br.Peek(len(in)) // all buffered
			var got str
			require.Equal(t, tc.fast, fast.shortStr(&got, need), tc.name)
			if !tc.fast {
				assert.Equal(t, int64(0), fast.pos(), "%s: nothing read", tc.name)
				if tc.enc[0] == 0xC3 {
					h, _ := testFramer(in, Options{})
					_, _ = h.br.Peek(len(in))
					_, _, ok := h.lzfHeader()
					assert.True(t, ok, "%s: header in one step", tc.name)
				}
				got, err = fast.readStr("x", need)
				require.NoError(t, err, tc.name)
			}
			assert.Equal(t, want.data, got.data, "%s need %d", tc.name, need)
			want.data, got.data = nil, nil
			want.raw, got.raw = nil, nil
			assert.Equal(t, want, got, "%s need %d", tc.name, need)
			assert.Equal(t, slow.buf.out, fast.buf.out, tc.name)
			assert.Equal(t, int64(len(tc.enc)), fast.pos(), tc.name)
		}
	}
}

// lzfStr is the RDB encoding of b as an LZF string.
func lzfStr(b []byte) []byte {
	c := lzfCompress(b)
	enc := appendRDBLen(appendRDBLen([]byte{0xC3}, uint64(len(c))), uint64(len(b)))
	return append(enc, c...)
}

// TestOneStepReadsFailAlike: strings the one-step reads leave to the
// general path fail there as they always have.
func TestOneStepReadsFailAlike(t *testing.T) {
	for _, enc := range [][]byte{
		{0xC4, 1},                      // invalid string encoding
		{0xC3, 0xC0, 1, 1},             // LZF length special
		{0xC3, 2, 0xC1, 1, 2},          // LZF length special
		{0xC3, 0x82, 1},                // invalid length encoding
		{0xC3, 0, 4},                   // LZF of no bytes
		{0xC3, 2, 9, 1, 'a'},           // LZF data cut short (a 2-byte run)
		{0x90},                         // invalid length encoding
		{5, 'a'},                       // string cut short
		{0xC3, 0x80, 0, 0, 0},          // lengths cut short
		{0xC3, 3, 0x40 | 0x3f, 0xff},   // claims too much for its size
		{0xC3, 3, 0x81, 0, 0, 0, 0, 0}, // cut inside a 64-bit length
	} {
		slow, _ := testFramer(nil, Options{})
		slow.br = bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(enc)), 16)
		_, want := slow.readStr("x", needAll)
		fast, _ := testFramer(enc, Options{})
		_, _ = fast.br.Peek(len(enc))
		_, got := fast.readStr("x", needAll)
		require.Error(t, want, "%x", enc)
		assert.Equal(t, want.Error(), got.Error(), "%x", enc)
		assert.Equal(t, slow.pos(), fast.pos(), "%x", enc)
	}
}

// TestShortStrLeavesLimitsToGuard: near a record's size limit, and while
// a record is skipped, strings take the general path, where guard
// decides.
func TestShortStrLeavesLimitsToGuard(t *testing.T) {
	in := append([]byte{5}, "hello!"...)
	f, _ := testFramer(in, Options{MaxKeyBytes: 100})
	_, _ = f.br.Peek(len(in))
	f.rec.inRec = true
	var s str
	f.rec.startOff = -90 // 90 bytes of the record already read
	assert.False(t, f.shortStr(&s, needNone), "within 9 bytes of the limit")
	f.rec.startOff = -80
	assert.True(t, f.shortStr(&s, needNone))
	f, _ = testFramer(in, Options{MaxKeyBytes: 100})
	_, _ = f.br.Peek(len(in))
	f.skip.active = true
	assert.False(t, f.shortStr(&s, needNone), "skipping")
}

func TestIntLen(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 9, 10, -10, 99, 100, 12345, -32768, 2147483647, -2147483648,
		999999999999999999, 1000000000000000000, 9223372036854775807, -9223372036854775808} {
		assert.Equal(t, int64(len(strconv.FormatInt(v, 10))), intLen(v), "%d", v)
	}
}

// oneByteInput serves b one byte per read, so that the framer never has
// more than a byte or two buffered: every string takes the general path.
func oneByteInput(name string, b []byte) Input {
	return Input{Name: name, Ref: Ref{Path: name, Size: int64(len(b))}, open: func() (io.ReadCloser, error) {
		return io.NopCloser(iotest.OneByteReader(bytes.NewReader(b))), nil
	}}
}

// TestPlainRunSameAsGeneral: plain collections framed in runs (plainRun)
// give the records, values and errors that element-by-element reads give,
// with every kind of element, near and over the size limit, and cut.
func TestPlainRunSameAsGeneral(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	// elem writes element i, of a kind that depends on i, unique (a hash
	// with a field twice goes to the decoder, whose hashes are maps).
	elem := func(w *rdbBuilder, i int) {
		switch i % 6 {
		case 0:
			w.str("m" + strconv.Itoa(i))
		case 1:
			w.byte(0xC0, byte(i/6)) // int8
		case 2:
			w.byte(0xC1, byte(i), byte(i>>8)) // int16
		case 3:
			w.byte(0xC2, byte(i), byte(i>>8), 1, 0) // int32
		case 4:
			// 14-bit length past 63, some over 64
			w.str(strings.Repeat("v", 55+rng.Intn(40)) + strconv.Itoa(i))
		case 5:
			w.byte(lzfStr([]byte(strings.Repeat("lzf", 30) + strconv.Itoa(i)))...)
		}
	}
	w := newRDB("REDIS0009").byte(opSelectDB).len(0)
	for _, typ := range []byte{1, 2, 3, 4, 5} {
		for _, n := range []int{1, 7, 300} {
			w.byte(typ).str(fmt.Sprintf("k%d-%d", typ, n)).len(uint64(n))
			for i := range n {
				elem(w, i+n)
				switch typ {
				case 3:
					switch i % 4 {
					case 0:
						w.byte(253 + byte(i/4%3)) // NaN, +inf, -inf
					default:
						w.str(strconv.FormatFloat(rng.Float64()*100, 'g', -1, 64)[:min(8, 3+i%4)])
					}
				case 4:
					elem(w, i*7+n)
				case 5:
					w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(float64(i)/3))
				}
			}
		}
	}
	dump := w.end()
	collect := func(in Input, opts Options) (string, error) {
		var out strings.Builder
		_, err := Parse(context.Background(), in, opts, func(r *Record) error {
			c := *r
			c.Value = nil
			fmt.Fprintf(&out, "%+v\n", c)
			if r.Value != nil {
				fmt.Fprintf(&out, "  %+v\n", *r.Value)
			}
			return nil
		})
		return out.String(), err
	}
	for _, opts := range []Options{{}, {MaxKeyBytes: 700}, {MaxKeyBytes: 3000}, {SkipDecode: func(string, string, int64) bool { return true }}} {
		for _, cut := range []int{len(dump), len(dump) - 20, len(dump) / 2, len(dump) / 3} {
			want, werr := collect(oneByteInput("t.rdb", dump[:cut]), opts)
			got, gerr := collect(bytesInput("t.rdb", dump[:cut]), opts)
			require.Equal(t, werr == nil, gerr == nil, "limit %d, cut %d: %v / %v", opts.MaxKeyBytes, cut, werr, gerr)
			if werr != nil {
				assert.Equal(t, werr.Error(), gerr.Error(), "limit %d, cut %d", opts.MaxKeyBytes, cut)
			}
			assert.Equal(t, want, got, "limit %d, cut %d", opts.MaxKeyBytes, cut)
		}
	}
}
