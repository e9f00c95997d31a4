package parse

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeyMeta: Redis 8.6's KEY_META opcode is framed, counted and kept
// from the decoder; the key after it is delivered whole, its record
// covering the metadata.
func TestKeyMeta(t *testing.T) {
	b := newRDB("REDIS0013").byte(opSelectDB).len(0).
		byte(opExpireMs).byte(0, 0, 0, 0, 0, 0, 0, 1).
		byte(243).len(2).
		byte('K', 'M', 'T', '1').len(modUInt).len(7).len(modString).str("meta").len(modEOF).
		byte('K', 'M', 'T', '2').len(modEOF).
		byte(0).str("k").str("v").
		byte(0).str("k2").str("v2").end()
	recs, src, err := parseAll(t, b, Options{})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, "k", recs[0].Key)
	assert.Equal(t, int64(1)<<56, recs[0].ExpiresAt)
	assert.Equal(t, int64(11), recs[0].Offset, "the record starts at its expire opcode")
	assert.Equal(t, int64(9+1+4+1+1+1+1+5+1+4+1+1+2+2), recs[0].RDBBytes, "expire, KEY_META, type, key, value")
	assert.Equal(t, 1, src.KeyMetas)
	assert.Equal(t, ChecksumOK, src.Checksum)
	assert.Equal(t, "k2", recs[1].Key)

	// A bad module opcode inside names the place.
	bad := newRDB("REDIS0013").byte(opSelectDB).len(0).byte(243).len(1).byte('K', 'M', 'T', '1').len(9).end()
	_, _, err = parseAll(t, bad, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown module opcode 9 in KEY_META data")
}

// TestStreamType26: RDB 13 streams (with and without producers in their
// IDMP section) are framed and decoded.
func TestStreamType26(t *testing.T) {
	for _, name := range []string{"stream_v13.rdb", "stream_v13_idmp.rdb"} {
		path := filepath.Join(corpusDir, "librdb", name)
		if _, err := os.Stat(path); err != nil {
			t.Skip("corpus not available:", err)
		}
		t.Run(name, func(t *testing.T) {
			ins, err := Expand([]string{path}, nil)
			require.NoError(t, err)
			var streams int
			src, err := Parse(context.Background(), ins[0], Options{}, func(r *Record) error {
				if r.Type == TypeStream {
					streams++
					assert.Equal(t, byte(26), r.RDBType)
					require.NotNil(t, r.Value)
					require.NotNil(t, r.Value.Stream)
					assert.NotEmpty(t, r.Value.Stream.Nodes, "decoded as the type 21 stream it extends")
					assert.NotEmpty(t, r.Blobs)
					assert.Positive(t, r.Elements)
				}
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, 13, src.RDBVersion)
			assert.Equal(t, ChecksumOK, src.Checksum, "the checksum covers the stream as stored")
			assert.Positive(t, streams)
		})
	}
}

// TestValkeySlotInfoAux: Valkey 8+ cluster nodes mark each slot with a
// slot-info aux field, counted like Redis's SLOT_INFO opcodes.
func TestValkeySlotInfoAux(t *testing.T) {
	b := newRDB("REDIS0011").byte(opAux).str("valkey-ver").str("8.0.1").
		byte(opSelectDB).len(0).
		byte(opAux).str("slot-info").str("12,1,0").byte(0).str("a").str("1").
		byte(opAux).str("slot-info").str("99,1,0").byte(0).str("b").str("2").end()
	recs, src, err := parseAll(t, b, Options{})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, 2, src.SlotInfos)
}

// vsetValue writes a vectorset module value: dim 4, Q8, M 8, attributes,
// two elements (the second at level 1).
func vsetValue(w *rdbBuilder, count uint64) *rdbBuilder {
	w.byte(7).str("vs").len(vectorsetID)
	w.len(modUInt).len(4).len(modUInt).len(count).len(modUInt).len(1 | 8<<8).len(modUInt).len(2)
	// element 1: level 0, 2 links of 16, worst link
	w.len(modString).str("alpha").len(modString).str(`{"a":1}`).len(modString).str("abcd")
	params := []uint64{0, 0 | 1<<24, 2, 16, 1, 2, 0, 0}
	w.len(modUInt).len(uint64(len(params)))
	for _, p := range params {
		w.len(modUInt).len(p)
	}
	// element 2: level 1, no attribute
	w.len(modString).str("b").len(modString).str("").len(modString).str("efgh")
	params = []uint64{1, 1 | 1<<24, 1, 16, 0, 0, 0, 8, 0, 0}
	w.len(modUInt).len(uint64(len(params)))
	for _, p := range params {
		w.len(modUInt).len(p)
	}
	return w.len(modEOF)
}

// vectorsetID is the module id of "vectorset", encoding version 0.
var vectorsetID = func() uint64 {
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for _, c := range "vectorset" {
		for i := range cset {
			if rune(cset[i]) == c {
				id = id<<6 | uint64(i)
			}
		}
	}
	return id << 10
}()

// parseValues is parseAll keeping each record's Value.
func parseValues(t *testing.T, b []byte) ([]Record, error) {
	var recs []Record
	_, err := Parse(context.Background(), bytesInput("test.rdb", b), Options{}, func(r *Record) error {
		c := kept(r)
		c.Value = r.Value.Clone()
		recs = append(recs, c)
		return nil
	})
	return recs, err
}

func TestVectorSet(t *testing.T) {
	b := vsetValue(newRDB("REDIS0012").byte(opSelectDB).len(0), 2).end()
	recs, err := parseValues(t, b)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	r := recs[0]
	assert.Equal(t, TypeModule, r.Type)
	assert.Equal(t, "vectorset", r.Module)
	assert.Equal(t, int64(2), r.Elements)
	require.NotNil(t, r.Value)
	vs := r.Value.VectorSet
	require.NotNil(t, vs)
	assert.Equal(t, int64(4), vs.Dim)
	assert.Equal(t, 1, vs.Quant)
	assert.Equal(t, int64(8), vs.M)
	assert.Equal(t, []VectorNode{
		{Item: 5, Attr: 7, Vector: 4, Level: 0, FirstLayer: 0},
		{Item: 1, Attr: 0, Vector: 4, Level: 1, FirstLayer: 1},
	}, vs.Nodes)
	assert.Equal(t, []uint32{16, 16, 8}, vs.Layers)
	assert.Empty(t, r.Warnings)

	// A count that does not match the elements: framed, not understood.
	b = vsetValue(newRDB("REDIS0012").byte(opSelectDB).len(0), 3).end()
	recs, err = parseValues(t, b)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Nil(t, recs[0].Value)
	require.Len(t, recs[0].Warnings, 1)
	assert.Contains(t, recs[0].Warnings[0], "vector set not understood (2 of 3 elements)")
}
