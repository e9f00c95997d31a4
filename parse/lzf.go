package parse

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// LZF, as the servers store compressed strings, is a stream of tokens:
// a literal run (a control byte 000LLLLL, then L+1 bytes) or a back
// reference (LLLooooo, a length byte when LLL is 7, the distance's low
// byte), which copies LLL+2 (plus the length byte) bytes from distance+1
// bytes back, overlapping what it writes when it reaches that close. The
// servers' streams are mostly back references of 3 to 8 bytes.
//
// lzfDecode works in two loops. The first takes only tokens that lie
// wholly in src, fit dst and reach no further back than its start:
// nothing about them can be an error, so it moves whole words and runs at
// a time instead of bytes. It stops at the first token it cannot vouch
// for (or 3 bytes before the end of src), and the second loop, which
// checks everything in the order the decoder always has, finishes the
// stream: which error a corrupt stream gives, and when, is decided by the
// second loop alone.
//
// lzfCheck and lzfOutLen write nothing and are bound by the chain from
// one control byte to the next; loops like lzfDecode's first one, with
// fewer branches, measured no faster for them.

var errLZF = errors.New("corrupt LZF data")

// lzfRef decodes the back reference at src[ip], with 3 bytes of src at
// hand: the bytes it writes, its distance (1 = the byte before) and its
// size in src. Whether a length byte follows is worked out without a
// branch, which streams would mispredict often.
func lzfRef(src []byte, ip int) (l, dist, size int) {
	ctrl := int(src[ip])
	long := (ctrl + 32) >> 8 // 1 when the length bits are all set
	l = ctrl>>5 + 2 + int(src[ip+1])&-long
	dist = (ctrl&0x1f)<<8 + 1 + int(src[ip+1+long])
	return l, dist, 2 + long
}

// lzfDecode decompresses src into dst and stops once dst is full, so that a
// caller can cheaply look at the first bytes of a compressed blob. full is
// true when src was consumed exactly and filled dst exactly. Bytes of dst
// past n (never past len(dst)) may be overwritten.
func lzfDecode(dst, src []byte) (n int, full bool, err error) {
	ip, op := 0, 0
	for ip+3 <= len(src) {
		ctrl := int(src[ip])
		if ctrl < 32 {
			l := ctrl + 1
			if ip+1+l > len(src) || op+l > len(dst) {
				break
			}
			if ip+1+32 <= len(src) && op+32 <= len(dst) {
				// One fixed-size move (no call) for any run, the
				// bytes past it rewritten by the next tokens.
				*(*[32]byte)(dst[op:]) = *(*[32]byte)(src[ip+1:])
			} else {
				copy(dst[op:], src[ip+1:ip+1+l])
			}
			ip += 1 + l
			op += l
			continue
		}
		l, dist, size := lzfRef(src, ip)
		if dist > op || op+l > len(dst) {
			break
		}
		ip += size
		ref := op - dist
		// Whole words when the reference reaches 8 bytes back or more:
		// each word read then lies wholly before the one written, even
		// when the copy overlaps itself. The last word may write up to
		// 7 bytes past the copy, rewritten by the next tokens.
		switch {
		case dist >= 8 && l <= 16 && op+16 <= len(dst):
			// Most references: two words, no loop.
			binary.LittleEndian.PutUint64(dst[op:], binary.LittleEndian.Uint64(dst[ref:]))
			binary.LittleEndian.PutUint64(dst[op+8:], binary.LittleEndian.Uint64(dst[ref+8:]))
		case dist >= 8 && op+l+8 <= len(dst):
			for i := 0; i < l; i += 8 {
				binary.LittleEndian.PutUint64(dst[op+i:], binary.LittleEndian.Uint64(dst[ref+i:]))
			}
		case dist >= l:
			copy(dst[op:op+l], dst[ref:ref+l])
		default:
			// A short period repeated: byte by byte, each reading
			// what the copy itself just wrote.
			for i := range l {
				dst[op+i] = dst[ref+i]
			}
		}
		op += l
	}
	for ip < len(src) {
		if op >= len(dst) {
			return op, false, nil
		}
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 {
			l := ctrl + 1
			if ip+l > len(src) {
				return op, false, errLZF
			}
			c := copy(dst[op:], src[ip:ip+l])
			op += c
			ip += l
			if c < l {
				return op, false, nil
			}
			continue
		}
		l := ctrl >> 5
		if ip >= len(src) {
			return op, false, errLZF
		}
		if l == 7 {
			l += int(src[ip])
			ip++
			if ip >= len(src) {
				return op, false, errLZF
			}
		}
		ref := op - ((ctrl & 0x1f) << 8) - 1 - int(src[ip])
		ip++
		if ref < 0 {
			return op, false, errLZF
		}
		l += 2
		if op+l > len(dst) {
			for op < len(dst) {
				dst[op] = dst[ref]
				op++
				ref++
			}
			return op, false, nil
		}
		for i := 0; i < l; i++ {
			dst[op] = dst[ref]
			op++
			ref++
		}
	}
	return op, op == len(dst), nil
}

// lzfCheck checks, without writing the output, that src is LZF data
// that decompresses to exactly ulen bytes: what the servers require of
// an LZF string they load (lzf_decompress must return its length), with
// the errors lzfDecode gives. It returns the last byte of the output when
// a literal run writes it (the servers' compressor always ends with one);
// known is false when a back reference does, and the caller must
// decompress to see it.
func lzfCheck(src []byte, ulen int) (last byte, known bool, err error) {
	ip, op := 0, 0
	for ip < len(src) {
		if op >= ulen {
			return 0, false, errLZFSize(ulen)
		}
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 {
			l := ctrl + 1
			if ip+l > len(src) {
				return 0, false, errLZF
			}
			if op+l > ulen {
				return 0, false, errLZFSize(ulen)
			}
			ip += l
			op += l
			last, known = src[ip-1], true
			continue
		}
		l := ctrl >> 5
		if ip >= len(src) {
			return 0, false, errLZF
		}
		if l == 7 {
			l += int(src[ip])
			ip++
			if ip >= len(src) {
				return 0, false, errLZF
			}
		}
		if op-((ctrl&0x1f)<<8)-1-int(src[ip]) < 0 {
			return 0, false, errLZF
		}
		ip++
		l += 2
		if op+l > ulen {
			return 0, false, errLZFSize(ulen)
		}
		op += l
		known = false
	}
	if op != ulen {
		return 0, false, errLZFSize(ulen)
	}
	return last, known, nil
}

// errLZFSize is the error of LZF data that does not decompress to the n
// bytes its string claims.
func errLZFSize(n int) error {
	return fmt.Errorf("LZF data decompresses to a size other than the %d bytes claimed", n)
}

// lzfOutLen is how many bytes src decompresses to when ulen are
// expected, exactly as the decoder (hdt3213/rdb's lzf) decides: a run or
// back reference that would go past ulen, or past src, or before the
// start, is an error; running out of input early is not (the string is
// shorter).
func lzfOutLen(src []byte, ulen int) (int, bool) {
	ip, op := 0, 0
	for ip < len(src) {
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 {
			l := ctrl + 1
			if op+l > ulen || ip+l > len(src) {
				return op, false
			}
			ip += l
			op += l
			continue
		}
		l := ctrl >> 5
		back := (ctrl&0x1f)<<8 + 1
		if ip >= len(src) {
			return op, false
		}
		if l == 7 {
			l += int(src[ip])
			ip++
			if ip >= len(src) {
				return op, false
			}
		}
		back += int(src[ip])
		ip++
		if op+l+2 > ulen || op-back < 0 {
			return op, false
		}
		op += l + 2
	}
	return op, true
}
