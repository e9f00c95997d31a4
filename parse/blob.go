package parse

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Packed containers are checked here without trusting any of their length
// fields: every walk is bounded by the slice it is given, so a corrupt
// header can only produce an error, never a large allocation or a panic.

// lpBacklen is the size of a listpack entry's trailing back-length field.
func lpBacklen(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// lpEntry decodes the listpack entry at b[p:]. It returns the entry's total
// size (including its back-length) and, for integer entries, the value.
func lpEntry(b []byte, p int) (size int, val int64, isInt bool, err error) {
	c := b[p]
	var l int
	switch {
	case c < 0x80:
		return 2, int64(c), true, nil
	case c < 0xC0:
		l = 1 + int(c&0x3f)
	case c < 0xE0:
		if p+1 >= len(b) {
			return 0, 0, false, errShortEntry
		}
		v := int64(c&0x1f)<<8 | int64(b[p+1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		return 3, v, true, nil
	case c < 0xF0:
		if p+1 >= len(b) {
			return 0, 0, false, errShortEntry
		}
		l = 2 + (int(c&0x0f)<<8 | int(b[p+1]))
	case c == 0xF0:
		if p+4 >= len(b) {
			return 0, 0, false, errShortEntry
		}
		l = 5 + int(binary.LittleEndian.Uint32(b[p+1:]))
	case c == 0xF1, c == 0xF2, c == 0xF3, c == 0xF4:
		n := [...]int{2, 3, 4, 8}[c-0xF1]
		if p+n >= len(b) {
			return 0, 0, false, errShortEntry
		}
		var u uint64
		for i := n; i >= 1; i-- {
			u = u<<8 | uint64(b[p+i])
		}
		shift := uint(64 - 8*n)
		return 1 + n + lpBacklen(1+n), int64(u<<shift) >> shift, true, nil
	default:
		return 0, 0, false, fmt.Errorf("invalid listpack entry encoding 0x%02x", c)
	}
	return l + lpBacklen(l), 0, false, nil
}

var errShortEntry = errors.New("entry runs past the end of the blob")

// lpCheckHeader validates the 6-byte listpack header against the blob's
// (decompressed) length and returns the header's entry count.
func lpCheckHeader(h []byte, ulen int64) (int64, error) {
	if ulen < 7 || len(h) < 6 {
		return 0, fmt.Errorf("listpack of %d bytes is too short", ulen)
	}
	if tot := int64(binary.LittleEndian.Uint32(h)); tot != ulen {
		return 0, fmt.Errorf("listpack header says %d bytes, blob has %d", tot, ulen)
	}
	return int64(binary.LittleEndian.Uint16(h[4:])), nil
}

// lpWalk counts the entries of a whole listpack.
func lpWalk(b []byte) (int64, error) {
	if _, err := lpCheckHeader(b, int64(len(b))); err != nil {
		return 0, err
	}
	p, n := 6, int64(0)
	for {
		if p >= len(b) {
			return n, errors.New("listpack entry runs past the end of the blob")
		}
		if b[p] == 0xFF {
			if p != len(b)-1 {
				return n, fmt.Errorf("listpack terminator at byte %d of %d", p, len(b))
			}
			return n, nil
		}
		size, _, _, err := lpEntry(b, p)
		if err != nil {
			return n, fmt.Errorf("listpack entry %d: %w", n, err)
		}
		p += size
		n++
	}
}

// lpFirstInts decodes the first k entries of a listpack (or of a prefix of
// one) as integers.
func lpFirstInts(b []byte, k int) ([]int64, error) {
	out := make([]int64, 0, k)
	p := 6
	for len(out) < k {
		if p >= len(b) || b[p] == 0xFF {
			return out, errors.New("listpack ends early")
		}
		size, v, isInt, err := lpEntry(b, p)
		if err != nil {
			return out, err
		}
		if !isInt {
			return out, fmt.Errorf("listpack entry %d is not an integer", len(out))
		}
		out = append(out, v)
		p += size
	}
	return out, nil
}

// zlCheckHeader validates the 10-byte ziplist header against the blob's
// length and returns the header's entry count.
func zlCheckHeader(h []byte, ulen int64) (int64, error) {
	if ulen < 11 || len(h) < 10 {
		return 0, fmt.Errorf("ziplist of %d bytes is too short", ulen)
	}
	if zb := int64(binary.LittleEndian.Uint32(h)); zb != ulen {
		return 0, fmt.Errorf("ziplist header says %d bytes, blob has %d", zb, ulen)
	}
	return int64(binary.LittleEndian.Uint16(h[8:])), nil
}

// zlWalk counts the entries of a whole ziplist.
func zlWalk(b []byte) (int64, error) {
	if _, err := zlCheckHeader(b, int64(len(b))); err != nil {
		return 0, err
	}
	p, n := 10, int64(0)
	for {
		if p >= len(b) {
			return n, errors.New("ziplist entry runs past the end of the blob")
		}
		if b[p] == 0xFF {
			if p != len(b)-1 {
				return n, fmt.Errorf("ziplist terminator at byte %d of %d", p, len(b))
			}
			return n, nil
		}
		if b[p] == 0xFE {
			p += 5
		} else {
			p++
		}
		if p >= len(b) {
			return n, errors.New("ziplist entry runs past the end of the blob")
		}
		c := b[p]
		var l int
		switch c >> 6 {
		case 0:
			l = 1 + int(c&0x3f)
		case 1:
			if p+1 >= len(b) {
				return n, errShortEntry
			}
			l = 2 + (int(c&0x3f)<<8 | int(b[p+1]))
		case 2:
			if p+4 >= len(b) {
				return n, errShortEntry
			}
			l = 5 + int(binary.BigEndian.Uint32(b[p+1:]))
		default:
			k, ok := zlIntBytes(c)
			if !ok {
				return n, fmt.Errorf("invalid ziplist entry encoding 0x%02x", c)
			}
			l = 1 + k
		}
		p += l
		n++
	}
}

// zlIntBytes is how many bytes follow the header c of a ziplist integer
// entry (0 for the 4-bit immediates 0xF1-0xFD); ok is false when c is no
// integer header.
func zlIntBytes(c byte) (int, bool) {
	switch {
	case c == 0xC0:
		return 2, true
	case c == 0xD0:
		return 4, true
	case c == 0xE0:
		return 8, true
	case c == 0xF0:
		return 3, true
	case c == 0xFE:
		return 1, true
	case c >= 0xF1 && c <= 0xFD:
		return 0, true
	}
	return 0, false
}

// intsetCheck validates an intset header and returns its member count.
func intsetCheck(h []byte, ulen int64) (int64, error) {
	if ulen < 8 || len(h) < 8 {
		return 0, fmt.Errorf("intset of %d bytes is too short", ulen)
	}
	enc := int64(binary.LittleEndian.Uint32(h))
	n := int64(binary.LittleEndian.Uint32(h[4:]))
	if enc != 2 && enc != 4 && enc != 8 {
		return 0, fmt.Errorf("invalid intset encoding %d", enc)
	}
	if enc*n+8 != ulen {
		return 0, fmt.Errorf("intset of %d x %d-byte members does not fit its %d bytes", n, enc, ulen)
	}
	return n, nil
}

// zipmapWalk counts the field/value pairs of a whole zipmap (Redis < 2.6).
func zipmapWalk(b []byte) (int64, error) {
	if len(b) < 2 {
		return 0, errors.New("zipmap too short")
	}
	p, n := 1, int64(0)
	readLen := func() (int, error) {
		if p >= len(b) {
			return 0, errShortEntry
		}
		c := b[p]
		if c < 254 {
			p++
			return int(c), nil
		}
		if c == 255 || p+4 >= len(b) {
			return 0, errShortEntry
		}
		l := int(binary.LittleEndian.Uint32(b[p+1:]))
		p += 5
		return l, nil
	}
	for {
		if p >= len(b) {
			return n, errors.New("zipmap entry runs past the end of the blob")
		}
		if b[p] == 0xFF {
			if p != len(b)-1 {
				return n, errors.New("zipmap terminator before the end of the blob")
			}
			return n / 2, nil
		}
		l, err := readLen()
		if err != nil {
			return n, err
		}
		free := 0
		if n%2 == 1 {
			if p >= len(b) {
				return n, errShortEntry
			}
			free = int(b[p])
			p++
		}
		p += l + free
		n++
	}
}
