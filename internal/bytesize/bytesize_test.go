package bytesize

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		n                      int64
		sentence, table, short string
	}{
		{0, "0 B", "0 B", "0B"},
		{1, "1 B", "1 B", "1B"},
		{1023, "1023 B", "1023 B", "1023B"},
		{1024, "1.0 KiB", "1.00 KiB", "1.00K"},
		{1536, "1.5 KiB", "1.50 KiB", "1.50K"},
		// The precision is chosen before rounding: 9.999 KiB has three
		// significant digits' worth of decimals, and keeps them.
		{10239, "10.0 KiB", "10.00 KiB", "10.00K"},
		{10240, "10.0 KiB", "10.0 KiB", "10.0K"},
		{102399, "100.0 KiB", "100.0 KiB", "100.0K"},
		{102400, "100.0 KiB", "100 KiB", "100K"},
		{1048575, "1024.0 KiB", "1024 KiB", "1024K"},
		{1 << 20, "1.0 MiB", "1.00 MiB", "1.00M"},
		{16 << 20, "16.0 MiB", "16.0 MiB", "16.0M"},
		{1953125000, "1.8 GiB", "1.82 GiB", "1.82G"},
		{3 << 29, "1.5 GiB", "1.50 GiB", "1.50G"},
		{1 << 40, "1.0 TiB", "1.00 TiB", "1.00T"},
		// Each style stops at its largest unit.
		{1 << 50, "1024.0 TiB", "1.00 PiB", "1.00P"},
		{1 << 60, "1048576.0 TiB", "1.00 EiB", "1024P"},
		{math.MaxInt64, "8388608.0 TiB", "8.00 EiB", "8192P"},
		{-1, "-1 B", "-1 B", "-1B"},
		{-1024, "-1.0 KiB", "-1.00 KiB", "-1.00K"},
		{-(3 << 29), "-1.5 GiB", "-1.50 GiB", "-1.50G"},
		{math.MinInt64, "-8388608.0 TiB", "-8.00 EiB", "-8192P"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.sentence, Format(tt.n, Sentence), "Sentence %d", tt.n)
		assert.Equal(t, tt.table, Format(tt.n, Table), "Table %d", tt.n)
		assert.Equal(t, tt.short, Format(tt.n, Short), "Short %d", tt.n)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1024", 1024}, {"1b", 1}, {"1k", 1000}, {"1kb", 1024}, {"1KB", 1024}, {"1KiB", 1024},
		{"1m", 1000000}, {"1mb", 1 << 20}, {"9mb", 9 << 20}, {"1MiB", 1 << 20}, {"1MB", 1 << 20},
		{"1g", 1000000000}, {"1gb", 1 << 30}, {"1GB", 1 << 30}, {"1GiB", 1 << 30}, {"2tb", 2 << 40},
		{" 1.5gb ", 3 << 29}, {"0", 0}, {"512 MiB", 512 << 20},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, tt := range []struct{ in, want string }{
		{"", `size "": want a number of bytes`},
		{"gb", `size "gb": want a number of bytes`},
		{"-1gb", `size "-1gb": want a number of bytes`},
		{"1xb", `size "1xb": unknown unit "xb"`},
		{"1.2.3mb", `size "1.2.3mb": not a number or too large`},
		{"99999999999999999999", "too large"},
		{"9999999999tb", "too large"},
		{"1e9", `unknown unit "e9"`},
	} {
		_, err := Parse(tt.in)
		require.Error(t, err, tt.in)
		assert.Contains(t, err.Error(), tt.want)
		assert.NotContains(t, err.Error(), "--", "a library error names no flag")
	}
}
