package parse

// lzfCompressedLen returns the length of src compressed with LZF as Redis
// and Valkey compress (their bundled liblzf: a 2^16-entry table of the
// last position of each hashed 3-byte sequence, offsets up to 8 KiB,
// matches of 3 to 264 bytes, literal runs of up to 32 bytes, the table
// refreshed at the last two positions of each match), starting from an
// empty table. It returns 0 when the output would exceed max bytes: the
// server then keeps the data uncompressed. Only the length is computed.
//
// The servers do not clear the table between calls (the stale entries of
// an earlier compression may find other matches), so a node compressed
// again and again while a server runs can be smaller than this; a
// compression on load is, in practice, this one.
func lzfCompressedLen(src []byte, max int) int {
	const (
		hlog   = 16
		hsize  = 1 << hlog
		maxLit = 1 << 5
		maxOff = 1 << 13
		maxRef = (1 << 8) + (1 << 3)
	)
	n := len(src)
	if n == 0 {
		return 0
	}
	var table [hsize]int32 // position+1 of the last sequence hashed there; 0 = none
	idx := func(h uint32) uint32 { return ((h >> (3*8 - hlog)) - h*5) & (hsize - 1) }
	out := 1 // the first literal run's length byte
	lit := 0
	ip := 0
	// literal copies one byte; a full run gets the next run's length byte.
	literal := func() {
		lit++
		out++
		ip++
		if lit == maxLit {
			lit = 0
			out++
		}
	}
	h := uint32(src[0])<<8 | uint32(src[1%n])
	for ip < n-2 {
		h = h<<8 | uint32(src[ip+2])
		slot := idx(h)
		ref := int(table[slot]) - 1
		table[slot] = int32(ip + 1)
		if ref > 0 && ref < ip && ip-ref-1 < maxOff &&
			src[ref+2] == src[ip+2] && src[ref+1] == src[ip+1] && src[ref] == src[ip] {
			if out+3+1 >= max && out-b2i(lit == 0)+3+1 >= max {
				return 0
			}
			out -= b2i(lit == 0) // a run of no literal is dropped
			l := 2
			maxLen := min(n-ip-l, maxRef)
			for {
				l++
				if l >= maxLen || src[ref+l] != src[ip+l] {
					break
				}
			}
			l -= 2
			ip++
			if l < 7 {
				out++
			} else {
				out += 2
			}
			out++ // the offset's low byte
			lit = 0
			out++ // the next literal run's length byte
			ip += l + 1
			if ip >= n-2 {
				break
			}
			// The table gets the two positions before the new one.
			ip -= 2
			h = uint32(src[ip])<<8 | uint32(src[ip+1])
			h = h<<8 | uint32(src[ip+2])
			table[idx(h)] = int32(ip + 1)
			ip++
			h = h<<8 | uint32(src[ip+2])
			table[idx(h)] = int32(ip + 1)
			ip++
			continue
		}
		if out >= max {
			return 0
		}
		literal()
	}
	if out+3 > max {
		return 0
	}
	for ip < n {
		literal()
	}
	return out - b2i(lit == 0)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// noteLZF sets the LZF length of the blob just added for s (a quicklist
// node), for Options.LZFSizes: the server compresses a node in memory only
// when LZF saves 8 bytes of it.
func (f *framer) noteLZF(s str) {
	if !f.lzfSizes || len(f.rec.blobs) == 0 || s.partial || f.skip.active {
		return
	}
	data := s.data
	if s.compressed && int64(len(data)) != s.ulen {
		var err error
		if data, err = f.unlzf(s.raw, int(s.ulen), true); err != nil {
			return // the blob was validated already; nothing to measure
		}
	}
	if int64(len(data)) != s.ulen {
		return
	}
	b := &f.rec.blobs[len(f.rec.blobs)-1]
	b.LZFLen = int64(lzfCompressedLen(data, len(data)))
	if b.LZFLen == 0 {
		b.LZFLen = -1
	}
}
