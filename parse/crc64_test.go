package parse

import (
	"hash/crc64"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crcTestData is n random bytes, the same for a seed.
func crcTestData(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// The CRC64 (folded where the CPU can, sliced otherwise) agrees with the
// standard library's table for the same polynomial and with the sliced
// tables alone, at every length up to 4 KiB, from any state and at any
// alignment.
func TestCRC64MatchesStdlib(t *testing.T) {
	tab := crc64.MakeTable(crcPoly)
	ref := func(crc uint64, b []byte) uint64 { return ^crc64.Update(^crc, tab, b) }
	assert.Equal(t, uint64(0xe9c6d914c4b8d9ca), crc64Redis([]byte("123456789")))
	rng := rand.New(rand.NewPCG(1, 2))
	buf := crcTestData(4096+16, 1)
	for n := 0; n <= 4096; n++ {
		off := rng.IntN(16)
		p := buf[off : off+n]
		crc := rng.Uint64()
		want := ref(crc, p)
		if crc64Update(crc, p) != want || crc64Table(crc, p) != want {
			require.Equal(t, want, crc64Update(crc, p), "length %d at offset %d", n, off)
			require.Equal(t, want, crc64Table(crc, p), "tables, length %d at offset %d", n, off)
		}
	}
}

// Updating piece by piece gives the CRC of the whole, wherever the cut.
func TestCRC64Incremental(t *testing.T) {
	for _, n := range []int{63, 200, 1000, 4096 + 7} {
		buf := crcTestData(n, uint64(n))
		whole := crc64Table(0, buf)
		require.Equal(t, whole, crc64Redis(buf), "length %d", n)
		for cut := 0; cut <= n; cut++ {
			c := crc64Update(crc64Update(0, buf[:cut]), buf[cut:])
			if c != whole {
				require.Equal(t, whole, c, "length %d cut at %d", n, cut)
			}
		}
		// Three pieces, the middle one of every length from a fixed cut.
		for end := 100 % n; end <= n; end++ {
			c := crc64Update(crc64Update(crc64Update(0, buf[:100%n]), buf[100%n:end]), buf[end:])
			if c != whole {
				require.Equal(t, whole, c, "length %d cut at %d and %d", n, 100%n, end)
			}
		}
	}
}

// FuzzCRC64: crc64Update (the folding kernel where the CPU has it)
// agrees with the tables on any input, state and cut.
func FuzzCRC64(f *testing.F) {
	f.Add([]byte("123456789"), uint64(0), uint(0))
	f.Add(crcTestData(300, 5), uint64(0x1234), uint(17))
	f.Add(crcTestData(4099, 6), ^uint64(0), uint(130))
	f.Fuzz(func(t *testing.T, b []byte, crc uint64, cut uint) {
		want := crc64Table(crc, b)
		assert.Equal(t, want, crc64Update(crc, b))
		k := int(cut % uint(len(b)+1))
		assert.Equal(t, want, crc64Update(crc64Update(crc, b[:k]), b[k:]), "cut at %d", k)
	})
}

// BenchmarkCRC64: crc64Update (impl=update: folded where the CPU can)
// against the sliced tables alone (impl=table, the kernel before
// folding) and the standard library's table for the same polynomial
// (impl=stdlib), at a small record's size, a page's, a chunk's and a
// megabyte. Compare with benchstat -col /impl.
func BenchmarkCRC64(b *testing.B) {
	tab := crc64.MakeTable(crcPoly)
	impls := []struct {
		name string
		fn   func(uint64, []byte) uint64
	}{
		{"update", crc64Update},
		{"table", crc64Table},
		{"stdlib", func(c uint64, p []byte) uint64 { return crc64.Update(c, tab, p) }},
	}
	for _, n := range []int{200, 4 << 10, 256 << 10, 1 << 20} {
		buf := crcTestData(n, 7)
		for _, impl := range impls {
			b.Run("impl="+impl.name+"/size="+sizeName(n), func(b *testing.B) {
				b.SetBytes(int64(n))
				var c uint64
				for b.Loop() {
					c = impl.fn(c, buf)
				}
			})
		}
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
