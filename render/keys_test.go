package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

// hostileKeys are key names an attacker (or an accident) can put in a
// dump: markup, terminal escape sequences, control bytes, invalid UTF-8,
// line and paragraph separators, bidi overrides and spreadsheet formulas.
func hostileKeys() []string {
	return []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(1)>&amp;`,
		"\x1b[2J\x1b[H\x1b[31mFAKE",
		"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
		"\x9b31m C1 CSI as a byte",
		"\u009b31m C1 CSI as a rune",
		"bell\a back\b tab\t cr\r lf\n del\x7f",
		"nul\x00in\x00the\x00middle",
		"\x00",
		"invalid \xff\xfe \xc3\x28 utf-8 \xed\xa0\x80",
		"line\u2028separator\u2029paragraph",
		"bidi \u202eevil\u202c \u2066isolate\u2069 \u200f",
		`back\slash \x41 not an escape`,
		`=cmd|' /C calc'!A0`,
		"+1+cmd|' /C calc'!A0",
		"-2+3",
		"@SUM(1+1)*cmd|' /C calc'!A0",
		"'quoted",
		"\tTab first",
		"\rCR first",
		"=", "", "plain:key:1", "ключ:日本語:😀",
	}
}

func TestKeysExportHostileNames(t *testing.T) {
	keys := append(hostileKeys(), strings.Repeat("x\x1b", 1<<20)) // 2 MiB of alternating escapes
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			kw, err := NewKeysWriter(&out, format)
			require.NoError(t, err)
			for i, k := range keys {
				require.NoError(t, kw.Write("node-1", &aggregate.Key{DB: i % 3, Key: k, Type: "string", Encoding: "raw", Memory: 100, RDBBytes: 50, Elements: 1}, []byte("fam")))
			}
			require.NoError(t, kw.Close())
			require.True(t, utf8.Valid(out.Bytes()), "the export is valid UTF-8")
			assertNoRawControls(t, out.String(), "\n\r\"") // CSV quotes fields holding CR; that CR is escaped text, not raw

			var got []string
			switch format {
			case "csv":
				r := csv.NewReader(bytes.NewReader(out.Bytes()))
				rows, err := r.ReadAll()
				require.NoError(t, err)
				require.Equal(t, KeysHeader, rows[0])
				for _, row := range rows[1:] {
					cell := row[2]
					switch cell[:min(len(cell), 1)] {
					case "=", "+", "-", "@", "\t", "\r":
						t.Fatalf("formula-like cell %q reaches the spreadsheet", cell)
					}
					cell = strings.TrimPrefix(cell, "'")
					k, err := aggregate.UnescapeKey(cell)
					require.NoError(t, err, cell)
					got = append(got, k)
				}
			case "jsonl":
				for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
					var row struct {
						Node string  `json:"node"`
						Key  string  `json:"key"`
						Exp  *int64  `json:"expires_at"`
						Mem  float64 `json:"memory"`
					}
					require.NoError(t, json.Unmarshal([]byte(line), &row), "valid JSON: %.200s", line)
					assert.NotContains(t, line, "<", "no raw < in JSON Lines (HTML-safe)")
					k, err := aggregate.UnescapeKey(row.Key)
					require.NoError(t, err, row.Key)
					got = append(got, k)
				}
			}
			require.Equal(t, len(keys), len(got))
			for i := range keys {
				assert.Equal(t, keys[i], got[i], "key %d round-trips exactly", i)
			}
		})
	}
}

// assertNoRawControls fails if s holds a byte or rune a terminal or a text
// viewer would act on: C0 controls (other than those in allow), DEL, C1
// controls, U+2028/U+2029, bidi controls.
func assertNoRawControls(t *testing.T, s, allow string) {
	t.Helper()
	for i, r := range s {
		bad := false
		switch {
		case r < 0x20:
			bad = !strings.ContainsRune(allow, r)
		case r == 0x7f, r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			bad = true
		case r == utf8.RuneError:
			_, n := utf8.DecodeRuneInString(s[i:])
			bad = n == 1
		}
		if bad {
			lo := max(0, i-40)
			t.Fatalf("raw %U at byte %d: %q", r, i, s[lo:min(len(s), i+40)])
		}
	}
}
