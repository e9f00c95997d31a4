package parse

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSide is a decoding side that ended as told.
type fakeSide struct {
	fnErr, recErr error
	undelivered   bool
}

func (fakeSide) send(*chunk) error            { return nil }
func (fakeSide) fresh() *chunk                { return newChunk() }
func (fakeSide) wait()                        {}
func (fakeSide) pathCounts() map[string]Paths { return nil }
func (s fakeSide) outcome() (error, error, bool) {
	return s.fnErr, s.recErr, s.undelivered
}

// TestFailurePrecedence: when several sides of a parse fail at once,
// Parse returns the one documented first in parser.failure.
func TestFailurePrecedence(t *testing.T) {
	fnErr := errors.New("callback says stop")
	sourceErr := errors.New("no model for this server")
	framerErr := &Error{Path: "x.rdb", Offset: 77, Msg: "truncated: ..."}
	recErr := &Error{Path: "x.rdb", Offset: 40, Msg: "decoding the key at byte 40 failed (github.com/hdt3213/rdb)"}

	for _, tc := range []struct {
		name     string
		ferr     error
		side     fakeSide
		canceled bool
		want     error  // returned as is, if set
		msg      string // else an *Error with this message
		off      int64
		cause    error
	}{
		{name: "all is well"},
		{name: "callback first", ferr: framerErr, side: fakeSide{fnErr: fnErr, recErr: recErr}, want: fnErr},
		{name: "OnSource unchanged", ferr: callerError{sourceErr}, side: fakeSide{recErr: recErr}, want: sourceErr},
		{name: "a record the decoder failed on before the framer's failure", ferr: framerErr, side: fakeSide{recErr: recErr}, want: recErr},
		{name: "a record the decoder failed on", ferr: errDecoderGone, side: fakeSide{recErr: recErr}, want: recErr},
		{name: "framer", ferr: framerErr, want: framerErr},
		{name: "framer canceled", ferr: io.ErrUnexpectedEOF, canceled: true, msg: msgCanceled, off: 100, cause: io.ErrUnexpectedEOF},
		{name: "framer, other error", ferr: io.ErrClosedPipe, msg: "framing failed", off: 100, cause: io.ErrClosedPipe},
		{name: "records never delivered", side: fakeSide{undelivered: true}, msg: msgInternal, off: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.canceled {
				cancel()
			}
			p := &parser{ctx: ctx, path: "x.rdb", side: tc.side, f: &framer{buf: chunkBuffer{base: 100}}}
			err := p.failure(tc.ferr)
			switch {
			case tc.want != nil:
				assert.Same(t, tc.want, err)
			case tc.msg == "":
				assert.NoError(t, err)
			default:
				var pe *Error
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, "x.rdb", pe.Path)
				assert.Equal(t, tc.msg, pe.Msg)
				assert.Equal(t, tc.off, pe.Offset)
				if tc.cause != nil {
					assert.Same(t, tc.cause, pe.Err)
				}
			}
		})
	}
}

// A module value (never decoded) followed by a compressed listpack whose
// header is right and whose entries are not: the framer walks the
// decompressed listpack before the decoder could see it (issue 12, item
// 9), and the module record before it is still delivered.
func TestCompressedContainerCheckedBeforeDecoding(t *testing.T) {
	lp := []byte{12, 0, 0, 0, 2, 0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	w := newRDB("REDIS0011").byte(opSelectDB).len(0)
	w.byte(0).str("a").str("v")
	w.byte(7).str("m").len(0x1234<<10 | 2).len(0) // module value, opcode EOF
	hOff := len(w.b)
	w.byte(16).str("h").byte(0xC3).len(uint64(len(lp) + 1)).len(uint64(len(lp))).byte(byte(len(lp) - 1)).byte(lp...)
	recs, _, err := parseAll(t, w.end(), Options{})
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Msg, `corrupt listpack of key "h"`)
	assert.GreaterOrEqual(t, pe.Offset, int64(hOff))
	require.Len(t, recs, 2)
	assert.Equal(t, "m", recs[1].Key)
}
