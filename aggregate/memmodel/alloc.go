package memmodel

import "math/bits"

// jemallocSize returns the usable size jemalloc (x86-64, 4 KiB pages,
// default 16-byte quantum, as in distribution packages that link the
// system libjemalloc) hands out for a request of n bytes: 8, 16, then
// steps of 16 up to 128, then four classes per doubling (160, 192, 224,
// 256, 320, ...). Large classes above 16 KiB keep the four-per-doubling
// spacing, so one formula covers every size.
func jemallocSize(n int64) int64 {
	if n <= 8 {
		return 8
	}
	if n <= 128 {
		return (n + 15) &^ 15
	}
	return jemallocLarge(n)
}

// jemallocSizeQ8 is jemallocSize for a jemalloc configured with
// --with-lg-quantum=3, as Redis's bundled copy is (deps/Makefile): 8-byte
// spaced classes up to 64 (8, 16, 24, 32, 40, 48, 56, 64), then the same
// four classes per doubling.
func jemallocSizeQ8(n int64) int64 {
	if n <= 8 {
		return 8
	}
	if n <= 64 {
		return (n + 7) &^ 7
	}
	if n <= 128 {
		return (n + 15) &^ 15
	}
	return jemallocLarge(n)
}

func jemallocLarge(n int64) int64 {
	// group: sizes in (2^k, 2^(k+1)] are spaced by 2^(k-2).
	k := 63 - bits.LeadingZeros64(uint64(n-1)) // 2^k < n <= 2^(k+1)
	step := int64(1) << (k - 2)
	return (n + step - 1) &^ (step - 1)
}

// nextPow2 returns the smallest power of two >= n (and >= min).
func nextPow2(n, min int64) int64 {
	if n <= min {
		return min
	}
	if n > 1<<62 {
		return 1 << 62
	}
	return int64(1) << (64 - bits.LeadingZeros64(uint64(n-1)))
}

// sdsHdrRedis returns the sds header size Redis (<= 8.0) picks for a string
// of length n created with sdsnewlen: sdshdr5 below 32 bytes, then by the
// length alone.
func sdsHdrRedis(n int64) int64 {
	switch {
	case n < 1<<5:
		return 1
	case n < 1<<8:
		return 3
	case n < 1<<16:
		return 5
	case n < 1<<32:
		return 9
	}
	return 17
}

// sdsHdrValkey8 is Valkey 8's sdsReqType, which counts the header and the
// terminator against the type's range.
func sdsHdrValkey8(n int64) int64 {
	switch {
	case n < 1<<5:
		return 1
	case n <= (1<<8)-3-1:
		return 3
	case n <= (1<<16)-5-1:
		return 5
	case n <= (1<<32)-9-1:
		return 9
	}
	return 17
}
