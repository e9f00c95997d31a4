package parse

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Flipping one digit of the header (REDIS0011 → REDIS0001) must not turn
// CRC checking off (issue 12, item 8): a dump holding what only a newer
// version writes is corrupt, and a CRC64 after the EOF marker of a dump
// whose header says it has none gives the header away.
func TestHeaderVersionCannotDisableVerification(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"AUX fields in an RDB 1 dump", func() []byte {
			w := newRDB("REDIS0011").byte(opAux).str("redis-ver").str("7.2.6")
			w.byte(opSelectDB).len(0).byte(opExpireMs).byte(1, 2, 3, 4, 5, 6, 7, 0).byte(0).str("k").str("v")
			b := w.end()
			copy(b, "REDIS0001")
			return b
		}(), "at byte 9: AUX field (opcode 250) in an RDB 1 dump, which cannot hold it (it exists since RDB 6): the header or the data is corrupt"},
		{"a listpack set in an RDB 9 dump", func() []byte {
			w := newRDB("REDIS0009").byte(opSelectDB).len(0)
			w.byte(20).str("s").str(string(onePackListInts(1, 2)))
			return w.end()
		}(), "at byte 11: value type 20 in an RDB 9 dump, which cannot hold it (it exists since RDB 11): the header or the data is corrupt"},
		{"IDLE in an RDB 8 dump", func() []byte {
			w := newRDB("REDIS0008").byte(opSelectDB).len(0).byte(opIdle).len(5).byte(0).str("k").str("v")
			return w.end()
		}(), "at byte 11: IDLE (opcode 248) in an RDB 8 dump"},
		{"RDB 6 flipped to RDB 4: its checksum trailer stays", func() []byte {
			w := newRDB("REDIS0006").byte(opSelectDB).len(0).byte(opExpireMs).byte(1, 2, 3, 4, 5, 6, 7, 0).byte(0).str("k").str("v")
			b := w.end()
			copy(b, "REDIS0004")
			return b
		}(), "at byte 0: the header says RDB 4, which ends at its EOF marker, but 8 bytes follow it, as after a dump of RDB 5 or later: the header is corrupt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseAll(t, tc.b, Options{})
			var pe *Error
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, pe.Error(), tc.want)
		})
	}
}

// The same flip on real dumps of Redis 7.2 and Valkey 8.0, to every
// version without a checksum (1 to 4): each fails instead of reading as
// unverified.
func TestHeaderVersionFlipsOnCorpus(t *testing.T) {
	for _, name := range []string{"generated/redis-7.2.6/tiny.rdb", "generated/valkey-8.0.1/tiny.rdb", "generated/redis-7.0.15/tiny.rdb"} {
		b, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			t.Skipf("corpus file %s not available: %v", name, err)
		}
		for v := 1; v <= 4; v++ {
			c := append([]byte(nil), b...)
			copy(c, "REDIS000"+string(rune('0'+v)))
			_, _, err := parseAll(t, c, Options{})
			assert.Error(t, err, "%s as RDB %d", name, v)
		}
	}
}

// A dump of RDB 4 followed by a CRC64 of itself.
func TestCRCTrailerAfterOldHeader(t *testing.T) {
	w := newRDB("REDIS0004").byte(opSelectDB).len(0).byte(0).str("k").str("v")
	b := w.end() // end() appends a CRC64 of this very stream
	_, _, err := parseAll(t, b, Options{})
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Msg, "the header says RDB 4, which ends at its EOF marker, but a CRC64 of the dump follows it")
}
