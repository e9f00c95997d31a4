package parse

import (
	"errors"
	"math/rand"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lzfCompress is a small LZF compressor for the tests: greedy matches of
// 3 to 264 bytes found through a table of the last position of each
// 3-byte sequence, at most 8 KiB back, literal runs of up to 32 bytes.
// Its output is valid LZF with the token mix of the servers' (short
// literal runs between back references), which is what the decoders'
// speed depends on; it need not be byte for byte theirs.
func lzfCompress(src []byte) []byte {
	var out []byte
	var table [1 << 12]int32 // position+1 of a 3-byte sequence; 0 = none
	lit := -1                // index in out of the open literal run's length byte
	literal := func(b byte) {
		if lit < 0 || out[lit] == 31 {
			lit = len(out)
			out = append(out, 0xFF) // becomes 0 with the first byte
		}
		out[lit]++
		out = append(out, b)
	}
	ip := 0
	for ip < len(src) {
		if ip+2 < len(src) {
			h := (uint32(src[ip])<<16 | uint32(src[ip+1])<<8 | uint32(src[ip+2])) * 2654435761 >> 20
			ref := int(table[h]) - 1
			table[h] = int32(ip + 1)
			if ref >= 0 && ip-ref <= 8192 && src[ref] == src[ip] && src[ref+1] == src[ip+1] && src[ref+2] == src[ip+2] {
				l := 3
				for ip+l < len(src) && l < 264 && src[ref+l] == src[ip+l] {
					l++
				}
				off := ip - ref - 1
				if l-2 < 7 {
					out = append(out, byte((l-2)<<5|off>>8))
				} else {
					out = append(out, byte(7<<5|off>>8), byte(l-2-7))
				}
				out = append(out, byte(off))
				lit = -1
				ip += l
				continue
			}
		}
		literal(src[ip])
		ip++
	}
	return out
}

// feedListpack is a listpack of n list items like the perf dumps' feeds
// ("post:ID:VERB:TIME"), the data of most LZF strings in them.
func feedListpack(rng *rand.Rand, n int) []byte {
	verbs := []string{"liked", "shared", "commented", "posted", "followed"}
	b := []byte{0, 0, 0, 0, byte(n), byte(n >> 8)}
	ts := int64(1796118234)
	for range n {
		ts -= int64(1 + rng.Intn(900))
		s := "post:" + strconv.Itoa(5_000_000+rng.Intn(1_000_000)) + ":" + verbs[rng.Intn(len(verbs))] + ":" + strconv.FormatInt(ts, 10)
		b = append(b, 0x80|byte(len(s)))
		b = append(b, s...)
		b = append(b, byte(len(s)+1))
	}
	b = append(b, 0xFF)
	b[0], b[1], b[2], b[3] = byte(len(b)), byte(len(b)>>8), byte(len(b)>>16), byte(len(b)>>24)
	return b
}

// The reference decoders below follow the format one byte at a time and
// say, for every way a stream can end, what the decoders under test must
// answer. Each names the step it failed at, so that the tests compare
// which error the fast loops give, not only whether they give one.

// refToken is one token of an LZF stream as the reference reads it.
type refToken struct {
	lit     []byte // literal run; nil for a back reference
	n       int    // bytes the token writes
	dist    int    // back reference distance (1 = the byte before)
	srcCut  bool   // the stream ends inside the token
	tokenAt int    // its first byte in the stream
}

// refTokens splits src into tokens; the last may be cut.
func refTokens(src []byte) []refToken {
	var ts []refToken
	for ip := 0; ip < len(src); {
		t := refToken{tokenAt: ip}
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 {
			t.n = ctrl + 1
			if ip+t.n > len(src) {
				t.srcCut = true
				return append(ts, t)
			}
			t.lit = src[ip : ip+t.n]
			ip += t.n
			ts = append(ts, t)
			continue
		}
		t.n = ctrl>>5 + 2
		if ctrl>>5 == 7 {
			if ip >= len(src) {
				t.srcCut = true
				return append(ts, t)
			}
			t.n += int(src[ip])
			ip++
		}
		if ip >= len(src) {
			t.srcCut = true
			return append(ts, t)
		}
		t.dist = (ctrl&0x1f)<<8 + int(src[ip]) + 1
		ip++
		ts = append(ts, t)
	}
	return ts
}

// refDecode is lzfDecode's contract: decode into dst until it is full;
// an error for a token cut short or reaching before the start, unless dst
// filled up before that token.
func refDecode(dst, src []byte) (n int, full bool, err error) {
	ts := refTokens(src)
	for i, t := range ts {
		if n >= len(dst) {
			return n, false, nil
		}
		if t.srcCut {
			return n, false, errLZF
		}
		if t.lit == nil && t.dist > n {
			return n, false, errLZF
		}
		for j := 0; j < t.n; j++ {
			if n >= len(dst) {
				return n, false, nil
			}
			if t.lit != nil {
				dst[n] = t.lit[j]
			} else {
				dst[n] = dst[n-t.dist]
			}
			n++
		}
		if i == len(ts)-1 {
			return n, n == len(dst), nil
		}
	}
	return n, n == len(dst), nil
}

// refCheck is lzfCheck's contract: an error unless src decodes to exactly
// ulen bytes; the size error as soon as the output is full with tokens
// left or a token would overflow it, the LZF error for a token cut short
// or reaching before the start (if the output is not full yet).
func refCheck(src []byte, ulen int) (last byte, known bool, err error) {
	op := 0
	for _, t := range refTokens(src) {
		if op >= ulen {
			return 0, false, errLZFSize(ulen)
		}
		if t.srcCut || (t.lit == nil && t.dist > op) {
			return 0, false, errLZF
		}
		if op+t.n > ulen {
			return 0, false, errLZFSize(ulen)
		}
		op += t.n
		known = t.lit != nil
		if known {
			last = t.lit[len(t.lit)-1]
		}
	}
	if op != ulen {
		return 0, false, errLZFSize(ulen)
	}
	return last, known, nil
}

// refOutLen is lzfOutLen's contract (the decoder's rules): false for a
// token cut short, reaching before the start or past ulen; the length
// written so far either way.
func refOutLen(src []byte, ulen int) (int, bool) {
	op := 0
	for _, t := range refTokens(src) {
		if t.srcCut {
			return op, false
		}
		if op+t.n > ulen || (t.lit == nil && t.dist > op) {
			return op, false
		}
		op += t.n
	}
	return op, true
}

// lzfStreams are the streams the equivalence tests run on: valid ones of
// many shapes, each also cut, mutated and with random bytes.
func lzfStreams(rng *rand.Rand) [][]byte {
	valid := [][]byte{
		{0, 'a', 7 << 5, 0, 0},
		{0, 'a', 7 << 5, 250, 0}, // 260 bytes of 'a', the longest reference
		lzfLiterals([]byte("0123456789abcdefghijklmnopqrstuvwxyz!")),
		lzfCompress(feedListpack(rng, 3)),
		lzfCompress(feedListpack(rng, 40)),
		lzfCompress([]byte("abababababababababababababababababababab")),
		lzfCompress([]byte("abcabcabcabcabcabcabcxyzabcabcabcabcdabcdabcdabcdabcdabcd1234567abcd")),
	}
	long := make([]byte, 3000)
	for i := range long {
		long[i] = "abcdefgh"[rng.Intn(3)] // short matches at all distances
	}
	valid = append(valid, lzfCompress(long))
	var all [][]byte
	for _, v := range valid {
		all = append(all, v)
		for range 400 {
			all = append(all, lzfMutate(rng, v))
		}
	}
	for range 5000 {
		src := make([]byte, 1+rng.Intn(40))
		rng.Read(src)
		all = append(all, src)
	}
	return all
}

// lzfMutate returns a copy of the LZF stream v with one random change: a
// bit flipped, a byte replaced, its end cut or two bytes added.
func lzfMutate(rng *rand.Rand, v []byte) []byte {
	m := append([]byte(nil), v...)
	switch rng.Intn(4) {
	case 0:
		m[rng.Intn(len(m))] ^= byte(1 << rng.Intn(8))
	case 1:
		m = m[:rng.Intn(len(m))+1]
	case 2:
		m[rng.Intn(len(m))] = byte(rng.Intn(256))
	case 3:
		m = append(m, byte(rng.Intn(256)), byte(rng.Intn(256)))
	}
	return m
}

// sameErr says whether two errors are the same answer: both nil, both
// errLZF, or both the size error of the same length.
func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	if errors.Is(a, errLZF) || errors.Is(b, errLZF) {
		return errors.Is(a, errLZF) && errors.Is(b, errLZF)
	}
	return a.Error() == b.Error()
}

// lzfCheckEquivalence compares the three decoders with the references on
// src, for output lengths around its decoded length.
func lzfCheckEquivalence(t *testing.T, src []byte) {
	t.Helper()
	big := make([]byte, 133*len(src)) // a token writes at most 264 bytes from 2
	n, _, _ := refDecode(big, src)
	for _, ulen := range []int{0, 1, 2, 7, 8, 9, 31, 32, 33, 64, n - 9, n - 8, n - 1, n, n + 1, n + 8, n + 40} {
		if ulen < 0 {
			continue
		}
		want := make([]byte, ulen)
		wn, wfull, werr := refDecode(want, src)
		got := make([]byte, ulen)
		gn, gfull, gerr := lzfDecode(got, src)
		require.True(t, sameErr(werr, gerr), "decode %x into %d: want %v, got %v", src, ulen, werr, gerr)
		require.Equal(t, wn, gn, "decode %x into %d", src, ulen)
		require.Equal(t, wfull, gfull, "decode %x into %d", src, ulen)
		if werr == nil {
			require.Equal(t, want[:wn], got[:gn], "decode %x into %d", src, ulen)
		}

		wl, wk, werr := refCheck(src, ulen)
		gl, gk, gerr := lzfCheck(src, ulen)
		require.True(t, sameErr(werr, gerr), "check %x, %d: want %v, got %v", src, ulen, werr, gerr)
		require.Equal(t, wk, gk, "check %x, %d: last byte known", src, ulen)
		if wk {
			require.Equal(t, wl, gl, "check %x, %d: last byte", src, ulen)
		}

		wo, wok := refOutLen(src, ulen)
		gotLen, gok := lzfOutLen(src, ulen)
		require.Equal(t, wok, gok, "outlen %x, %d", src, ulen)
		require.Equal(t, wo, gotLen, "outlen %x, %d", src, ulen)
	}
}

// TestLZFEquivalence: lzfDecode, lzfCheck and lzfOutLen give what the
// byte-at-a-time references give (the same bytes, the same error at the
// same step), on valid streams and on every way of breaking them.
func TestLZFEquivalence(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	streams := lzfStreams(rng)
	if testing.Short() {
		streams = streams[:len(streams)/4]
	}
	for _, src := range streams {
		lzfCheckEquivalence(t, src)
	}
	t.Logf("%d streams", len(streams))
}

// FuzzLZF runs the equivalence test on streams from the fuzzer.
func FuzzLZF(f *testing.F) {
	rng := rand.New(rand.NewSource(1))
	for _, s := range lzfStreams(rng)[:20] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<12 {
			return
		}
		lzfCheckEquivalence(t, src)
	})
}

func TestLZFCompressRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, n := range []int{1, 3, 40, 300} {
		lp := feedListpack(rng, n)
		c := lzfCompress(lp)
		if n >= 40 {
			assert.Less(t, len(c), len(lp)*3/4, "%d items compress", n)
		}
		dst := make([]byte, len(lp))
		m, full, err := lzfDecode(dst, c)
		require.NoError(t, err)
		assert.True(t, full)
		assert.Equal(t, len(lp), m)
		assert.Equal(t, lp, dst)
	}
}

// lzfBench is a set of compressed feed listpacks, about as the perf
// dumps' list nodes are (8 KiB nodes of ~40-byte items).
func lzfBench(b *testing.B) (srcs [][]byte, ulens []int, total int64) {
	rng := rand.New(rand.NewSource(7))
	for range 64 {
		lp := feedListpack(rng, 150+rng.Intn(100))
		srcs = append(srcs, lzfCompress(lp))
		ulens = append(ulens, len(lp))
		total += int64(len(lp))
	}
	return srcs, ulens, total
}

// BenchmarkLZF: the three LZF walks on the same streams.
func BenchmarkLZF(b *testing.B) {
	srcs, ulens, total := lzfBench(b)
	dst := make([]byte, 1<<16)
	for _, bc := range []struct {
		name string
		ok   func(src []byte, ulen int) bool
	}{
		{"Decode", func(src []byte, ulen int) bool {
			_, full, err := lzfDecode(dst[:ulen], src)
			return err == nil && full
		}},
		{"Check", func(src []byte, ulen int) bool { _, _, err := lzfCheck(src, ulen); return err == nil }},
		{"OutLen", func(src []byte, ulen int) bool { _, ok := lzfOutLen(src, ulen); return ok }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				for i, s := range srcs {
					if !bc.ok(s, ulens[i]) {
						b.Fatalf("stream %d refused", i)
					}
				}
			}
		})
	}
}
