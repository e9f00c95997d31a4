package memmodel

import "github.com/rdbscope/rdbscope/parse"

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

// lpEntry is the listpack size of an element: integers in canonical
// form are stored as integers.
func lpEntry(e parse.Elem) int64 {
	if e.IsInt {
		return lpIntEntry(e.Int)
	}
	return lpStrEntry(e.Len)
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
