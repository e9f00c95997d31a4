package parse

import (
	"encoding/binary"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The folding constants, derived again by long division of polynomials
// over GF(2) (normal bit order, x^i at bit i) and reflected, agree with
// makeFoldConsts's shift-register derivation.
func TestFoldConstsByDivision(t *testing.T) {
	p := new(big.Int).SetUint64(bits.Reverse64(crcPoly))
	p.SetBit(p, 64, 1)
	xpow := func(k int) *big.Int { return new(big.Int).SetBit(new(big.Int), k, 1) }
	// divmod divides a by p: a's highest term is cancelled by p times
	// a power of x until a is of lower degree than p.
	divmod := func(a *big.Int) (q, r *big.Int) {
		q, r = new(big.Int), new(big.Int).Set(a)
		for r.BitLen() >= p.BitLen() {
			s := r.BitLen() - p.BitLen()
			q.SetBit(q, s, 1)
			r.Xor(r, new(big.Int).Lsh(p, uint(s)))
		}
		return q, r
	}
	reflect := func(a *big.Int) uint64 {
		require.LessOrEqual(t, a.BitLen(), 64)
		return bits.Reverse64(a.Uint64())
	}
	mod := func(k int) uint64 { _, r := divmod(xpow(k)); return reflect(r) }

	c := makeFoldConsts(crcPoly)
	for j := 1; j <= 8; j++ {
		assert.Equal(t, mod(128*j+63), c.fold[j-1].lo, "x^%d mod P", 128*j+63)
		assert.Equal(t, mod(128*j-1), c.fold[j-1].hi, "x^%d mod P", 128*j-1)
	}
	mu, _ := divmod(xpow(128))
	require.Equal(t, 65, mu.BitLen())
	assert.Equal(t, reflect(new(big.Int).Rsh(mu, 1)), c.barrett.lo, "⌊μ/x⌋")
	assert.Equal(t, reflect(new(big.Int).Rsh(p, 1)), c.barrett.hi, "⌊P/x⌋")

	// A snapshot, so that a change to the derivation shows in review.
	assert.Equal(t, foldPair{0xd9d7be7d505da32c, 0x381d0015c96f4444}, c.fold[0], "T = 128")
	assert.Equal(t, foldPair{0x3e6cfa329aef9f77, 0x2b5926535897936b}, c.barrett)
}

// clmul is PCLMULQDQ on two quadwords: their carry-less product.
func clmul(a, b uint64) (lo, hi uint64) {
	for i := range 64 {
		if b>>i&1 != 0 {
			lo ^= a << i
			if i > 0 {
				hi ^= a >> (64 - i)
			}
		}
	}
	return lo, hi
}

// foldModel is crc64_amd64.s in Go, step by step, on registers of two
// quadwords (low first), with clmul for PCLMULQDQ: the check that the
// method and its constants are right, on any architecture. len(p) is a
// positive multiple of 16.
func foldModel(crc uint64, p []byte, c *foldConsts) uint64 {
	type xmm [2]uint64
	load := func(b []byte) xmm { return xmm{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])} }
	fold := func(a xmm, k foldPair, b xmm) xmm {
		l0, h0 := clmul(a[0], k.lo)
		l1, h1 := clmul(a[1], k.hi)
		return xmm{l0 ^ l1 ^ b[0], h0 ^ h1 ^ b[1]}
	}
	var a xmm
	if len(p) >= 128 {
		var acc [8]xmm
		for i := range acc {
			acc[i] = load(p[16*i:])
		}
		acc[0][0] ^= crc
		for p = p[128:]; len(p) >= 128; p = p[128:] {
			for i := range acc {
				acc[i] = fold(acc[i], c.fold[7], load(p[16*i:]))
			}
		}
		a = acc[7]
		for i := range 7 {
			a = fold(acc[i], c.fold[6-i], a)
		}
	} else {
		a = load(p)
		a[0] ^= crc
		p = p[16:]
	}
	for ; len(p) >= 16; p = p[16:] {
		a = fold(a, c.fold[0], load(p))
	}
	// W = H·(x^127 mod P)·x + L·x^64, then Barrett.
	wl, wh := clmul(a[0], c.fold[0].hi)
	wl ^= a[1]
	q, _ := clmul(wl, c.barrett.lo)
	_, r := clmul(q, c.barrett.hi)
	return r ^ wh ^ q
}

// The Go model of the kernel agrees with the tables at every length the
// kernel takes, from any state.
func TestFoldModel(t *testing.T) {
	c := makeFoldConsts(crcPoly)
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 1024)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	for n := 16; n <= len(buf); n += 16 {
		crc := rng.Uint64()
		assert.Equal(t, crc64Table(crc, buf[:n]), foldModel(crc, buf[:n], c), "length %d", n)
	}
}
