package parse

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The assembly kernel agrees with the tables at every length it takes
// (multiples of 16, the 8-register loop from 128 bytes), at every
// alignment and from any state, whatever the length threshold
// crc64Update puts in front of it.
func TestCRC64FoldKernel(t *testing.T) {
	if !crcFold {
		t.Skip("this CPU lacks PCLMULQDQ or SSE4.1: the kernel is not used")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	buf := crcTestData(4096+16, 3)
	for n := 16; n <= 4096; n += 16 {
		for off := range 16 {
			p := buf[off : off+n]
			crc := rng.Uint64()
			if got, want := crc64Fold(crc, p, crcFoldConsts), crc64Table(crc, p); got != want {
				require.Equal(t, want, got, "length %d at offset %d", n, off)
			}
		}
	}
}
