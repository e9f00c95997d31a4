package memmodel

// parseInt reports whether b is the canonical decimal form of an int64,
// exactly as Redis's string2ll accepts it: no sign but '-', no leading
// zeros, no spaces, at most 20 bytes. It never allocates.
func parseInt[T ~string | ~[]byte](b T) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true // -(1<<63) wraps correctly
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// parseInt64 is parseInt for byte slices.
func parseInt64(b []byte) (int64, bool) { return parseInt(b) }

// parseInt64S is parseInt for strings.
func parseInt64S(s string) (int64, bool) { return parseInt(s) }

const lpHeader = 6 + 1 // total-bytes + num-elements header, end byte

// lpIntEntry is the listpack size (encoding + backlen) of an integer.
func lpIntEntry(v int64) int64 {
	switch {
	case v >= 0 && v <= 127:
		return 2
	case v >= -4096 && v <= 4095:
		return 3
	case v >= -32768 && v <= 32767:
		return 4
	case v >= -8388608 && v <= 8388607:
		return 5
	case v >= -2147483648 && v <= 2147483647:
		return 6
	}
	return 10
}

func lpBacklen(l int64) int64 {
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

func lpStrEntry(n int64) int64 {
	var enc int64
	switch {
	case n < 64:
		enc = 1 + n
	case n < 4096:
		enc = 2 + n
	default:
		enc = 5 + n
	}
	return enc + lpBacklen(enc)
}

// lpEntry is the listpack size of an element given as bytes.
func lpEntry(b []byte) int64 {
	if v, ok := parseInt64(b); ok {
		return lpIntEntry(v)
	}
	return lpStrEntry(int64(len(b)))
}

// lpEntryS is lpEntry for a string.
func lpEntryS(s string) int64 {
	if v, ok := parseInt64S(s); ok {
		return lpIntEntry(v)
	}
	return lpStrEntry(int64(len(s)))
}

// intsetBytes is the size of an intset holding n integers of the widest
// width among them.
func intsetBytes(n int64, width int64) int64 { return 8 + n*width }

func intWidth(v int64) int64 {
	switch {
	case v >= -32768 && v <= 32767:
		return 2
	case v >= -2147483648 && v <= 2147483647:
		return 4
	}
	return 8
}
