package bytesize

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseSize checks that Parse never panics, never returns a negative size,
// and agrees with itself: a size it returns, written as a plain number of
// bytes, parses to the same size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "1", "100k", "4gb", "4GB", "1.5gb", "512 MiB", " 2tb ", "9223372036854775807",
		"9223372036854775808", "8388608tb", "1e9", "-1", ".", "1..2", "0.0000001k", "", "gb", "12 xb", "1.5", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if v != 0 {
				t.Fatalf("Parse(%q) = %d with error %v", s, v, err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("error %q does not quote the input %q", err, s)
			}
			return
		}
		if v < 0 {
			t.Fatalf("Parse(%q) = %d < 0", s, v)
		}
		back, err := Parse(strconv.FormatInt(v, 10))
		if err != nil || back != v {
			t.Fatalf("Parse(%q) = %d, but %d parses to %d, %v", s, v, v, back, err)
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n != v {
			t.Fatalf("Parse(%q) = %d, want the plain number %d", s, v, n)
		}
	})
}
