package parse

// Folding with carry-less multiplication (the method of Gopal et al.,
// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ",
// Intel, 2009), worked out here for Redis's reflected CRC64; the kernel
// is crc64_amd64.s, and crc64_fold_test.go replays it step by step in
// Go.
//
// Bit layout. In a reflected CRC the first bit of the stream is the
// highest power of x, so a 64-bit word (the state, a constant) stands
// for the polynomial whose x^(63-i) coefficient is bit i, and 16 bytes
// loaded little-endian into a 128-bit register stand for the
// polynomial whose x^(127-i) coefficient is bit i: its low quadword H
// holds the high powers. The CRC of a message M (init 0, no final xor)
// is M·x^64 mod P, and the state crc followed by n more bytes D gives
// crc·x^(8n) + D·x^64 mod P: xoring crc into the first 8 bytes of D
// adds exactly that first term.
//
// Folding. A register A = H·x^64 + L that stands T bits before the
// next data block B is worth A·x^T there, and
//
//	A·x^T = H·x^(T+64) + L·x^T ≡ H·(x^(T+64) mod P) + L·(x^T mod P),
//
// a polynomial below x^128 again, to xor with B. PCLMULQDQ multiplies
// two such reflected words into bits 0..126, where the product's x^d
// lands on bit 126-d: read as a 128-bit register (x^(127-i) at bit i)
// that is the product times x. The constants are therefore one power
// lower, x^(T+63) and x^(T-1) mod P, and each fold is two PCLMULQDQs
// and two xors. The kernel folds eight registers (128 bytes) at a time
// (T = 1024), then folds them into one (T = 128·j for the register j
// blocks before the last), then one block at a time (T = 128).
//
// Reduction. The last register V = H·x^64 + L is followed by no data:
// the CRC is V·x^64 mod P = H·x^128 + L·x^64 mod P. One more fold with
// x^127 mod P (the high half of the T = 128 pair) gives
// W = H·(x^128 mod P) + L·x^64 below x^128, and W mod P is Barrett's
// reduction: with W = Wh·x^64 + Wl, μ = ⌊x^128 / P⌋ (degree 64) and
// the quotient q = ⌊Wh·x^64 / P⌋ = ⌊Wh·μ / x^64⌋,
//
//	W mod P = Wl + (q·P mod x^64).
//
// μ and P have 65 coefficients and PCLMULQDQ takes 64, so the kernel
// multiplies by ⌊μ/x⌋ and ⌊P/x⌋ instead, which with the one-bit offset
// above yields Wh·(μ - μ0) and q·(P - 1) in register layout. The
// first differs from Wh·μ below x^64 only, and q is its high half
// (the register's low quadword); the second differs from q·P by q,
// which is added back: W mod P = Wl + the low half of q·(P-1) + q.

// foldPair is one 128-bit constant of the kernel, as it loads into an
// XMM register: lo multiplies the register's low quadword, hi its high
// one.
type foldPair struct{ lo, hi uint64 }

// foldConsts are the kernel's constants, in the order crc64_amd64.s
// reads them.
type foldConsts struct {
	// fold[j-1] folds a register over j 16-byte blocks (T = 128·j):
	// x^(T+63) mod P and x^(T-1) mod P.
	fold [8]foldPair
	// barrett is ⌊μ/x⌋ and ⌊P/x⌋, reflected.
	barrett foldPair
}

// makeFoldConsts derives the folding and Barrett constants from the
// reflected polynomial poly (P without its x^64 term; x^0 at bit 63).
func makeFoldConsts(poly uint64) *foldConsts {
	// Multiplying a reflected residue by x shifts it towards bit 0;
	// an x^64 falling out is P's x^64, so P's other terms are added.
	// The bits that fall out while stepping from x^0 to x^128 are
	// also the quotient of x^128 / P: step k (from x^(k-1) to x^k)
	// subtracts P·x^(128-k) from x^128 when its bit falls out.
	powers := make([]uint64, 8*128+64)
	v := uint64(1) << 63 // x^0
	var mu uint64        // ⌊μ/x⌋: μ's x^(64-i) at bit i
	for k := 1; k < len(powers); k++ {
		out := v & 1
		v >>= 1
		if out != 0 {
			v ^= poly
		}
		powers[k] = v
		if k >= 64 && k < 128 {
			mu |= out << (k - 64)
		}
	}
	c := new(foldConsts)
	for j := 1; j <= len(c.fold); j++ {
		c.fold[j-1] = foldPair{lo: powers[128*j+63], hi: powers[128*j-1]}
	}
	// ⌊P/x⌋: P's x^64 at bit 0, its x^(64-i) at bit i, which in poly
	// (x^(63-i) at bit i) is bit i-1; P's x^0 drops out.
	c.barrett = foldPair{lo: mu, hi: poly<<1 | 1}
	return c
}
