package parse

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A module value (never decoded) followed by a compressed listpack that
// the framer accepts on its header and the decoder rejects: the error
// names the key the decoder failed on, and the module record before it is
// still delivered.
func TestDecoderErrorOffset(t *testing.T) {
	lp := []byte{12, 0, 0, 0, 2, 0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	w := newRDB("REDIS0011").byte(opSelectDB).len(0)
	w.byte(0).str("a").str("v")
	w.byte(7).str("m").len(0x1234<<10 | 2).len(0) // module value, opcode EOF
	hOff := len(w.b)
	w.byte(16).str("h").byte(0xC3).len(uint64(len(lp) + 1)).len(uint64(len(lp))).byte(byte(len(lp) - 1)).byte(lp...)
	recs, _, err := parseAll(t, w.end(), Options{})
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, int64(hOff), pe.Offset)
	require.Len(t, recs, 2)
	assert.Equal(t, "m", recs[1].Key)
}
