package parse

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onePackList must build a valid one-entry listpack for every string
// length class, since the decoder is shown it instead of a PLAIN node.
func TestOnePackList(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 4095, 4096, 16500, 70000} {
		v := bytes.Repeat([]byte{'x'}, n)
		lp := onePackList(v)
		hdr, err := lpCheckHeader(lp, int64(len(lp)))
		require.NoError(t, err, n)
		assert.Equal(t, int64(1), hdr)
		got, err := lpWalk(lp)
		require.NoError(t, err, n)
		assert.Equal(t, int64(1), got)
		assert.True(t, bytes.Contains(lp, v))
	}
}

func TestHiddenOpcode(t *testing.T) {
	for op, hidden := range map[byte]bool{
		opRAMLRU: true, opSlotImport: true, opSlotInfo: true, opFunctionPre: true, opModuleAux: true,
		opFunction2: false, opAux: false, opResizeDB: false, opSelectDB: false, opExpireMs: false,
		opExpireSec: false, opIdle: false, opFreq: false, opEOF: false, 0: false,
	} {
		assert.Equal(t, hidden, hiddenOpcode(op), "opcode %d", op)
	}
}

func TestSaturatedCount(t *testing.T) {
	prior := []string{"earlier"}
	for _, tc := range []struct {
		name      string
		saturated bool
		framed    int64
		decoded   int
		warn      string
	}{
		{"not saturated", false, 70000, 4464, ""},
		{"saturated, counts agree", true, 70000, 70000, ""},
		{"saturated, decoder wrong", true, 70000, 65535, "the framer counted 70000 elements, the decoder returned 65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := saturatedCount(&meta{saturated: tc.saturated, elements: tc.framed}, tc.decoded, prior)
			if tc.warn == "" {
				assert.Equal(t, prior, got)
				return
			}
			require.Len(t, got, 2)
			assert.Contains(t, got[1], tc.warn)
			assert.Len(t, prior, 1, "the meta's warnings are not appended to in place")
		})
	}
}

// The decoder is shown an RDB 12 header for an RDB 13 dump; the checksum
// is the one of the dump as stored.
func TestHeaderForDecoder(t *testing.T) {
	for _, tc := range []struct {
		header, shown, err string
	}{
		{"REDIS0011", "REDIS0011", ""},
		{"REDIS0013", "REDIS0012", ""},
		{"VALKEY080", "VALKEY080", ""},
		{"VALKEY081", "", "Valkey RDB version 81 is not supported by the decoder"},
	} {
		t.Run(tc.header, func(t *testing.T) {
			b := newRDB(tc.header).byte(opSelectDB).len(0).byte(0).str("k").str("v").end()
			f, sent := testFramer(b, Options{})
			err := f.run()
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			require.NoError(t, f.buf.flush(nil))
			assert.Equal(t, tc.shown, string(f.dump.decHeader[:]))
			assert.True(t, strings.HasPrefix(string((*sent)[0].data), tc.header), "the record bytes are the dump's")
			assert.Equal(t, ChecksumOK, f.src.Checksum)
		})
	}
}

// A record with PLAIN quicklist nodes is shown to the decoder with each
// PLAIN node rewritten as a one-entry PACKED node; what the record says
// (offset, size, blobs) is the dump's.
func TestPlainNodesRewritten(t *testing.T) {
	big := strings.Repeat("p", 100)
	lp := string(onePackListInts(1, 2))
	b := newRDB("REDIS0011").byte(opSelectDB).len(0).
		byte(18).str("l").len(3).len(1).str(big).len(2).str(lp).len(1).str("q").end()
	f, sent := testFramer(b, Options{})
	require.NoError(t, f.run())
	require.NoError(t, f.buf.flush(nil))
	var shown []byte
	var metas []meta
	var blobs []Blob
	for _, c := range *sent {
		shown = append(shown, c.data...)
		metas = append(metas, c.metas...)
		blobs = append(blobs, c.blobs...)
	}
	want := newRDB("REDIS0011").byte(opSelectDB).len(0).
		byte(18).str("l").len(3).len(2).str(string(onePackList([]byte(big)))).len(2).str(lp).len(2).str(string(onePackList([]byte("q")))).b
	assert.Equal(t, want, shown[:len(want)])
	require.Len(t, metas, 1)
	assert.Equal(t, int64(len(b)-9-11), metas[0].size, "serialized size as stored")
	assert.Equal(t, int64(4), metas[0].elements)
	require.Equal(t, 3, metas[0].blobN)
	assert.True(t, blobs[metas[0].blobAt].Plain)
	assert.Equal(t, int64(100), blobs[metas[0].blobAt].Len)
	assert.Equal(t, ChecksumOK, f.src.Checksum)
}
