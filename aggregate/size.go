package aggregate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize reads a memory size the way redis.conf does, so that a value
// can be pasted from a server's config: a plain number is bytes, "k", "m",
// "g" are powers of 1000 and "kb", "mb", "gb" powers of 1024, case
// insensitive (so "GB" is 2^30, as Redis reads it). "KiB", "MiB", "GiB",
// "TiB" are powers of 1024 too, "t"/"tb" extend the scheme, "b" is bytes.
// A decimal number ("1.5gb") is accepted and rounded down to a byte.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (isDigit(t[i]) || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with a unit (1gb, 512mb, 100k)", s)
	}
	mul, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use b, k, kb, kib, m, mb, mib, g, gb, gib, t, tb, tib)", s, t[i:])
	}
	if !strings.Contains(num, ".") {
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v > math.MaxInt64/mul {
			return 0, fmt.Errorf("size %q: not a number or too large", s)
		}
		return v * mul, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f*float64(mul) >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q: not a number or too large", s)
	}
	return int64(f * float64(mul)), nil
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1 << 30, "gib": 1 << 30,
	"t": 1e12, "tb": 1 << 40, "tib": 1 << 40,
}
