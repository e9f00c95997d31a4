package parse

import (
	"bufio"
	"cmp"
	"context"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fillAndDecode frames b and, for every record whose bytes are kept,
// fills its Value and decodes it with the decoder. It returns how many
// records the filler took and how many it left to the decoder.
func fillAndDecode(t *testing.T, name string, b *bufio.Reader) (filled, left int) {
	t.Helper()
	var sent []*chunk
	f := newFramer(context.Background(), b, name, &Source{}, Options{},
		func(c *chunk) error { sent = append(sent, c); return nil }, nil)
	if err := f.run(); err != nil {
		// Corrupt corpus files: the records before the failure count.
		f.buf.cut(f.rec.start)
	}
	require.NoError(t, f.buf.flush(nil))
	var fl filler
	var vb valueBuf
	var buf []byte
	for _, c := range sent {
		for i := range c.metas {
			m := &c.metas[i]
			if m.at < 0 {
				continue
			}
			var rec Record
			c.record(m, &rec)
			typ := m.typ
			if typ == 26 {
				typ = 21
			}
			obj, mismatch, err := decodeOne(f.dump.decHeader[:], m, c.data[m.at:m.end], rec.Key, &buf)
			require.NoError(t, mismatch)
			v, ok := fl.fill(typ, f.dump.valkey, c.data[m.valAt:m.end])
			if !ok {
				left++
				continue
			}
			filled++
			require.NoError(t, err, "the filler took %s (type %d), which the decoder rejects", rec.Key, m.typ)
			assert.Equal(t, normalized(vb.set(obj)), normalized(v), "%s: key %q (type %d)", name, rec.Key, m.typ)
		}
	}
	return filled, left
}

// normalized returns a copy of v that compares equal whatever the order
// of its hash fields, and with NaN scores made comparable.
func normalized(v *Value) *Value {
	c := v.Clone()
	slices.SortFunc(c.Hash, func(a, b HashField) int {
		return cmp.Or(cmp.Compare(a.Field.Len, b.Field.Len), cmp.Compare(a.Field.Int, b.Field.Int),
			cmp.Compare(a.Value.Len, b.Value.Len), cmp.Compare(a.Value.Int, b.Value.Int), cmp.Compare(a.ExpiresAt, b.ExpiresAt))
	})
	for i := range c.ZSet {
		if math.IsNaN(c.ZSet[i].Score) {
			c.ZSet[i].Score = -0.5
		}
	}
	if len(c.List) == 0 {
		c.List = nil
	}
	if len(c.Set) == 0 {
		c.Set = nil
	}
	if len(c.ZSet) == 0 {
		c.ZSet = nil
	}
	if len(c.Hash) == 0 {
		c.Hash = nil
	}
	if c.Stream != nil && len(c.Stream.Nodes) == 0 {
		c.Stream.Nodes = nil
	}
	return c
}

// TestFillMatchesDecoder: over the whole corpus, every value the filler
// takes is the one the decoder reads, and the decoder accepts it.
func TestFillMatchesDecoder(t *testing.T) {
	needCorpus(t)
	total, left := 0, 0
	for _, p := range corpusFiles(t) {
		in, err := os.Open(p)
		require.NoError(t, err)
		st, err := openStream(context.Background(), Input{Ref: Ref{Path: p}, open: func() (io.ReadCloser, error) { return in, nil }}, Options{}, &Source{})
		if err != nil {
			in.Close()
			continue
		}
		fi, le := fillAndDecode(t, strings.TrimPrefix(p, corpusDir), st.br)
		total += fi
		left += le
		st.close()
	}
	t.Logf("filled %d values, left %d to the decoder", total, left)
	assert.Greater(t, total, 10000)
}
