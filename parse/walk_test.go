package parse

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lzfLiterals encodes b as LZF literal runs only (valid, if not small).
func lzfLiterals(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		n := min(len(b), 32)
		out = append(out, byte(n-1))
		out = append(out, b[:n]...)
		b = b[n:]
	}
	return out
}

// lzfCheck accepts exactly what lzfDecode decompresses in full, and gives
// the last byte when a literal run writes it.
func TestLZFCheckAgreesWithDecode(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	run, _ := lzfRun(3)
	valid := [][]byte{run, lzfLiterals([]byte("0123456789abcdefghijklmnopqrstuvwxyz!")), {0, 'a', 7 << 5, 0, 0}}
	var checked, ok int
	try := func(src []byte, ulen int) {
		checked++
		dst := make([]byte, ulen)
		n, full, derr := lzfDecode(dst, src)
		last, known, err := lzfCheck(src, ulen)
		good := derr == nil && full && n == ulen
		require.Equal(t, good, err == nil, "src %x, ulen %d: decode %v full %v, check %v", src, ulen, derr, full, err)
		if good {
			ok++
			if known {
				assert.Equal(t, dst[ulen-1], last, "src %x", src)
			}
		}
	}
	for _, v := range valid {
		dst := make([]byte, 1<<12)
		n, _, err := lzfDecode(dst, v)
		require.NoError(t, err)
		for _, d := range []int{-2, -1, 0, 1, 2} {
			if n+d > 0 {
				try(v, n+d)
			}
		}
		for range 3000 {
			try(lzfMutate(rng, v), n)
		}
	}
	for range 20000 {
		src := make([]byte, 1+rng.Intn(12))
		rng.Read(src)
		try(src, 1+rng.Intn(40))
	}
	t.Logf("%d streams checked, %d valid", checked, ok)
}

// A compressed listpack is checked as the servers check it on load (LZF
// length, header length, terminator) whether or not its record is
// decoded; its entries are walked only when the decoding side gets the
// record (issue 12 item 9; the rest is measured from the header).
func TestCompressedListpackShallowUnlessDecoded(t *testing.T) {
	// bigLP is a listpack of count entries: a 57-byte string (so that it
	// is longer than the 64 bytes the header read decompresses), then
	// tail.
	bigLP := func(count byte, tail ...byte) []byte {
		b := []byte{0, 0, 0, 0, count, 0, 0x80 | 57}
		for i := range 57 {
			b = append(b, byte('a'+i%26))
		}
		b = append(b, 58)
		b = append(append(b, tail...), 0xFF)
		b[0] = byte(len(b))
		return b
	}
	// The integer 7, the string "\x05\x01\xff" and the integer 5 (a hash
	// of two fields): the last three bytes repeat the string's, and can
	// be a back reference to them.
	tail := []byte{0x07, 0x01, 0x83, 0x05, 0x01, 0xFF, 0x04, 0x05, 0x01}
	lp := bigLP(4, tail...)
	n := len(lp)
	backRef := append(lzfLiterals(lp[:n-3]), 1<<5, 3)  // 3 bytes from 4 back: 05 01 ff
	wrongEnd := append(lzfLiterals(lp[:n-3]), 1<<5, 2) // 3 bytes from 3 back: 01 ff 04
	full := lzfLiterals(lp)

	skipAll := Options{SkipDecode: func(string, string, int64) bool { return true }}
	cases := []struct {
		name       string
		lzf        []byte
		ulen       int
		skippedErr string // with every record skipped; "" = none
		decodedErr string // decoded
		elements   int64  // when skipped: from the header's count
	}{
		{"valid", full, n, "", "", 2},
		{"count wrong", lzfLiterals(bigLP(6, tail...)), n, "", "header says 6 entries, found 4", 3},
		{"last byte from a back reference", backRef, n, "", "", 2},
		{"last byte not the terminator", wrongEnd, n, "last byte 0x04 is not the listpack terminator", "last byte 0x04 is not the listpack terminator", 0},
		{"LZF data cut", full[:len(full)-1], n, "corrupt LZF data", "corrupt LZF data", 0},
		{"LZF data short of its length", lzfLiterals(lp[:n-1]), n, "LZF data decompresses to a size other than the 75 bytes claimed", "LZF data decompresses to a size other than the 75 bytes claimed", 0},
	}
	require.Equal(t, 75, n)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newRDB("REDIS0011").byte(opSelectDB).len(0)
			w.byte(0).str("a").str("v")
			w.byte(16).str("h").byte(0xC3).len(uint64(len(tc.lzf))).len(uint64(tc.ulen)).byte(tc.lzf...)
			end := int64(len(w.b))
			dump := w.end()
			for _, decoded := range []bool{false, true} {
				opts, want := skipAll, tc.skippedErr
				if decoded {
					opts, want = Options{}, tc.decodedErr
				}
				recs, _, err := parseAll(t, dump, opts)
				if want == "" {
					require.NoError(t, err, "decoded %v", decoded)
					require.Len(t, recs, 2)
					if !decoded {
						assert.Equal(t, tc.elements, recs[1].Elements)
					}
					continue
				}
				var pe *Error
				require.ErrorAs(t, err, &pe, "decoded %v", decoded)
				assert.Equal(t, `corrupt listpack of key "h": `+want, pe.Msg, "decoded %v", decoded)
				assert.Equal(t, end, pe.Offset, "decoded %v: the offset just past the listpack, as when it was walked at once", decoded)
				require.Len(t, recs, 1)
			}
		})
	}
}
