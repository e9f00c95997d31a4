package parse

import (
	"hash/crc64"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The sliced CRC64 agrees with the standard library's table for the same
// polynomial at every length and split.
func TestCRC64MatchesStdlib(t *testing.T) {
	tab := crc64.MakeTable(crcPoly)
	ref := func(b []byte) uint64 { return ^crc64.Update(^uint64(0), tab, b) }
	assert.Equal(t, uint64(0xe9c6d914c4b8d9ca), crc64Redis([]byte("123456789")))
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	for n := 0; n <= 300; n++ {
		assert.Equal(t, ref(buf[:n]), crc64Redis(buf[:n]), "length %d", n)
	}
	for split := 0; split < 40; split++ {
		c := crc64Update(crc64Update(0, buf[:split]), buf[split:])
		assert.Equal(t, ref(buf), c, "split at %d", split)
	}
}

// BenchmarkCRC64: the sliced kernel against the standard library's
// table for the same polynomial, at a small record's size and at a chunk's.
func BenchmarkCRC64(b *testing.B) {
	tab := crc64.MakeTable(crcPoly)
	for _, n := range []int{200, 256 << 10} {
		buf := make([]byte, n)
		b.Run("sliced/"+sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			var c uint64
			for b.Loop() {
				c = crc64Update(c, buf)
			}
		})
		b.Run("stdlib/"+sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			var c uint64
			for b.Loop() {
				c = crc64.Update(c, tab, buf)
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
