// Package bytesize reads and writes amounts of memory: the one size parser
// for what users type (flags, config values) and the one formatter for what
// rdbscope prints.
//
// It is a leaf package, importing nothing of rdbscope, so that every layer
// (aggregate and its rules, render, the command) can use it without a
// dependency on another: sizes are read the same way everywhere and a
// figure reads the same in every view. Its errors quote the value they
// reject and never name a flag; the command layer says which flag it was.
package bytesize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Parse reads a memory size the way redis.conf does, so that a value can
// be pasted from a server's config: a plain number is bytes, "k", "m", "g"
// are powers of 1000 and "kb", "mb", "gb" powers of 1024, case insensitive
// (so "GB" is 2^30, as Redis reads it). "KiB", "MiB", "GiB", "TiB" are
// powers of 1024 too, "t"/"tb" extend the scheme, "b" is bytes. A decimal
// number ("1.5gb") is accepted and rounded down to a byte.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with a unit (1gb, 512mb, 100k)", s)
	}
	mul, ok := parseUnits[unit]
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

var parseUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1 << 30, "gib": 1 << 30,
	"t": 1e12, "tb": 1 << 40, "tib": 1 << 40,
}

// Style is how Format writes a size. Every style counts in binary units
// (1 KiB = 1024 bytes), the ones Redis reports memory in; they differ in
// how much room they take, for the place the size is shown in.
type Style uint8

const (
	// Sentence writes one decimal and a spaced unit ("1.5 MiB", "512 B"),
	// up to TiB: for the prose of findings and headlines.
	Sentence Style = iota
	// Table writes three significant digits and a spaced unit ("1.50 MiB",
	// "15.0 GiB", "512 B"), up to EiB: for tables and charts, where
	// figures are compared down a column.
	Table
	// Short writes three significant digits and a one-letter unit with no
	// space ("1.50M", "512B"), up to P: the form of Redis's INFO *_human
	// fields, for the terminal summary's narrow columns.
	Short
)

// styles holds each style's units (after bytes) and spacing.
var styles = [...]struct {
	bytes string   // the suffix of a count of bytes
	units []string // the suffix of each power of 1024, from 1024
	sig3  bool     // three significant digits, else one decimal
}{
	Sentence: {" B", []string{" KiB", " MiB", " GiB", " TiB"}, false},
	Table:    {" B", []string{" KiB", " MiB", " GiB", " TiB", " PiB", " EiB"}, true},
	Short:    {"B", []string{"K", "M", "G", "T", "P"}, true},
}

// Format writes n bytes in style s. A negative n (a shrinking change) is
// written as its size with a minus sign.
func Format(n int64, s Style) string {
	st := &styles[Sentence]
	if int(s) < len(styles) {
		st = &styles[s]
	}
	sign := ""
	mag := uint64(n)
	if n < 0 {
		sign, mag = "-", -mag // two's complement: right for math.MinInt64 too
	}
	if mag < 1024 {
		return sign + strconv.FormatUint(mag, 10) + st.bytes
	}
	f := float64(mag) / 1024
	u := 0
	for f >= 1024 && u < len(st.units)-1 {
		f /= 1024
		u++
	}
	prec := 1
	if st.sig3 {
		switch {
		case f >= 100:
			prec = 0
		case f < 10:
			prec = 2
		}
	}
	return sign + strconv.FormatFloat(f, 'f', prec, 64) + st.units[u]
}
