package aggregate

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// KeyName is a key as stored in Redis: arbitrary bytes. It marshals to JSON
// (and is shown everywhere) in one reversible escaped form, so that no byte
// is lost or silently altered: see EscapeKey.
type KeyName string

// MarshalJSON writes the escaped form.
func (k KeyName) MarshalJSON() ([]byte, error) {
	return json.Marshal(EscapeKey(string(k)))
}

// UnmarshalJSON reads the escaped form back into the raw bytes.
func (k *KeyName) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	raw, err := UnescapeKey(s)
	if err != nil {
		return err
	}
	*k = KeyName(raw)
	return nil
}

// EscapeKey returns a printable, reversible form of a raw key: valid UTF-8
// printable text is kept as is, a backslash becomes `\\`, and every other
// byte (invalid UTF-8, ASCII control characters, DEL, and the C1/line and
// paragraph separator code points' bytes) becomes `\xNN`. Keys that need
// no escaping — nearly all — are returned without allocating.
func EscapeKey(s string) string {
	if textIsClean(s) && !strings.Contains(s, `\`) {
		return s
	}
	return escape(s, true)
}

// escape does the work of EscapeKey and CleanText: control characters,
// invalid UTF-8 and unsafe runes become \xNN, and with backslash set a
// backslash becomes \\.
func escape(s string, backslash bool) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		if backslash && s[i] == '\\' {
			b.WriteString(`\\`)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeTextRune(r, n) {
			for j := 0; j < max(n, 1); j++ {
				writeHex(&b, s[i+j])
			}
			i += max(n, 1)
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// UnsafeRune reports runes that are valid UTF-8 but would let a name
// rearrange a terminal line or a JavaScript string: C1 controls, line and
// paragraph separators, and the bidi marks, embeddings, overrides and
// isolates.
func UnsafeRune(r rune) bool {
	return (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 ||
		r == 0x200e || r == 0x200f || r == 0x061c ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

const hexDigits = "0123456789abcdef"

func writeHex(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&15])
}

// UnescapeKey reverses EscapeKey.
func UnescapeKey(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i++
			continue
		}
		if i+3 < len(s) && s[i+1] == 'x' {
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		return "", errors.New("bad escape in key " + strconv.Quote(s))
	}
	return b.String(), nil
}

// Millis is an absolute time in Unix milliseconds; 0 means none and
// marshals to null.
type Millis int64

// MarshalJSON writes null for 0.
func (m Millis) MarshalJSON() ([]byte, error) {
	if m == 0 {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(m), 10), nil
}

// UnmarshalJSON reads null as 0.
func (m *Millis) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = 0
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	*m = Millis(v)
	return err
}

// CutEscaped shortens an escaped name (see EscapeKey) to at most n bytes.
// It cuts only between whole characters and escapes, so the result still
// unescapes, and reports whether it cut anything.
func CutEscaped(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	i := 0
	for i < len(s) {
		w := 1
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == 'x':
			w = 4
		case s[i] == '\\':
			w = 2
		case s[i] >= utf8.RuneSelf:
			_, w = utf8.DecodeRuneInString(s[i:])
		}
		if i+w > n {
			break
		}
		i += w
	}
	return s[:i], true
}

// CleanText makes text that embeds names from a dump (findings' sentences,
// errors, node and file names) safe to show in a terminal or a page: ASCII
// control characters, DEL, invalid UTF-8 and the runes UnsafeRune reports
// are written as \xNN; everything else, backslashes included, is kept, so
// names already escaped with EscapeKey read the same.
func CleanText(s string) string {
	if textIsClean(s) {
		return s
	}
	return escape(s, false)
}

func textIsClean(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeTextRune(r, n) {
			return false
		}
		i += n
	}
	return true
}

func unsafeTextRune(r rune, n int) bool {
	return (r == utf8.RuneError && n <= 1) || r < 0x20 || r == 0x7f || UnsafeRune(r)
}
