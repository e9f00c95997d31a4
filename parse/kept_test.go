package parse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lpOf builds a listpack of the string entries es (each under 4096
// bytes).
func lpOf(es ...string) []byte {
	b := make([]byte, 6)
	for _, e := range es {
		n := len(e)
		hdr := []byte{0x80 | byte(n)}
		if n > 63 {
			hdr = []byte{0xE0 | byte(n>>8), byte(n)}
		}
		b = append(append(b, hdr...), e...)
		l := len(hdr) + n
		if l < 128 {
			b = append(b, byte(l))
		} else {
			b = append(b, byte(l>>7), byte(l&127)|128)
		}
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], uint16(len(es)))
	return b
}

// lzfStr appends b to w as an LZF string.
func (w *rdbBuilder) lzfStr(b []byte) *rdbBuilder {
	c := lzfLiterals(b)
	return w.byte(0xC3).len(uint64(len(c))).len(uint64(len(b))).byte(c...)
}

// keptCounts frames dump and checks, for every record whose bytes are
// kept, that the filler gives the same Value with what the framer kept
// as without it, and that the decoder agrees. It returns how many
// listpacks were kept decompressed and how many streamEntries marked.
func keptCounts(t *testing.T, name string, dump []byte, opts Options) (kept, marked int) {
	t.Helper()
	f, sent := frameAll(t, name, bufio.NewReader(bytes.NewReader(dump)), opts)
	var with, without filler
	var vb valueBuf
	var buf []byte
	for _, c := range sent {
		for i := range c.metas {
			m := &c.metas[i]
			if m.at < 0 {
				continue
			}
			ks := c.lzfs[m.lzfAt : m.lzfAt+m.lzfN]
			for _, k := range ks {
				if k.at < 0 {
					marked++
				} else {
					kept++
					require.LessOrEqual(t, m.end, k.at, "kept after the record's bytes")
					require.LessOrEqual(t, k.at+k.n, m.tail)
				}
			}
			typ := m.typ
			if typ == 26 {
				typ = 21
			}
			v1, ok1 := with.fill(typ, f.dump.valkey, c.data[m.valAt:m.end], ks, c.data)
			v2, ok2 := without.fill(typ, f.dump.valkey, c.data[m.valAt:m.end], nil, nil)
			require.Equal(t, ok2, ok1, "record at %d", m.offset)
			if !ok1 {
				continue
			}
			assert.Equal(t, normalized(v2), normalized(v1), "record at %d (type %d)", m.offset, m.typ)
			obj, mismatch, err := decodeOne(f.dump.decHeader[:], m, c.data[m.at:m.end], unsafeString(c.keys[m.keyAt:m.keyAt+m.keyLen]), &buf)
			require.NoError(t, mismatch)
			require.NoError(t, err)
			assert.Equal(t, normalized(vb.set(obj)), normalized(v1), "record at %d (type %d)", m.offset, m.typ)
		}
	}
	return kept, marked
}

// Compressed listpacks of decoded records are decompressed once: the
// framer's walk keeps them for the filler (a stream's as a mark that
// streamEntries accepts them), which gives the Value it gave when it
// decompressed them itself, across chunks and for records that outgrow
// one (which keeps what fits in the room its buffer has).
func TestKeptListpacks(t *testing.T) {
	long := strings.Repeat("x", 100)
	hashLP := lpOf("f1", long, "f2", "v2")
	zsetLP := lpOf(long, "1.5", "m2", "2")
	setLP := lpOf("a", "b", long)
	node := func(i int) []byte { return lpOf(fmt.Sprintf("e%d", i), long, long, long) }

	// withKeys writes n records of type t, each a key then value(w).
	type rec struct {
		t     byte
		value func(w *rdbBuilder)
	}
	quicklist := func(nodes int) rec {
		return rec{18, func(w *rdbBuilder) {
			w.len(uint64(nodes))
			for i := range nodes {
				w.len(2).lzfStr(node(i))
			}
		}}
	}
	cases := []struct {
		name string
		recs []rec
		n    int // times the records are repeated
		opts Options
		kept int // listpacks kept decompressed; -1: some, not all of them
	}{
		{"hash, zset, set listpacks", []rec{
			{16, func(w *rdbBuilder) { w.lzfStr(hashLP) }},
			{17, func(w *rdbBuilder) { w.lzfStr(zsetLP) }},
			{20, func(w *rdbBuilder) { w.lzfStr(setLP) }},
		}, 1, Options{}, 3},
		{"quicklist nodes", []rec{quicklist(3)}, 1, Options{}, 3},
		{"uncompressed listpack: nothing kept", []rec{
			{16, func(w *rdbBuilder) { w.str(string(hashLP)) }},
		}, 1, Options{}, 0},
		{"many chunks", []rec{
			{16, func(w *rdbBuilder) { w.lzfStr(hashLP) }},
			{0, func(w *rdbBuilder) { w.str(long) }},
		}, 6000, Options{}, 6000},
		{"a record over bigRecord keeps what fits in its buffer", []rec{
			{16, func(w *rdbBuilder) { w.lzfStr(hashLP) }},
			quicklist(5000),
			{16, func(w *rdbBuilder) { w.lzfStr(hashLP) }},
		}, 2, Options{OnBigRecord: func(int64, int64) {}}, -1},
		{"a record over MaxKeyBytes keeps nothing", []rec{quicklist(5000)}, 1, Options{MaxKeyBytes: 256 << 10}, 0},
		{"skipped: nothing kept", []rec{quicklist(3)}, 1, Options{SkipDecode: func(string, string, int64) bool { return true }}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newRDB("REDIS0011").byte(opSelectDB).len(0)
			for i := range tc.n {
				for j, r := range tc.recs {
					w.byte(r.t).str(fmt.Sprintf("k%d.%d", i, j))
					r.value(w)
				}
			}
			dump := w.end()
			kept, marked := keptCounts(t, tc.name, dump, tc.opts)
			if tc.kept < 0 {
				assert.Positive(t, kept)
				assert.Less(t, kept, 2*(2+5000))
			} else {
				assert.Equal(t, tc.kept, kept)
			}
			assert.Zero(t, marked)

			// The public path: offsets, sizes and checksum as if nothing
			// were kept, values as the decoder gives them.
			var next int64 = -1
			var recs int
			src, err := ParseWith(context.Background(), bytesInput("k.rdb", dump), tc.opts, 2, nil, func(r *Record, _ *struct{}) error {
				if next >= 0 {
					assert.Equal(t, next, r.Offset, "key %q", r.Key)
				}
				next = r.Offset + r.RDBBytes
				recs++
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, ChecksumOK, src.Checksum)
			assert.Equal(t, tc.n*len(tc.recs), recs)
			assert.Equal(t, int64(len(dump))-9, next, "the last record ends at the EOF opcode")
		})
	}
}

// A stream's compressed listpacks are walked once: the framer marks
// those streamEntries accepts, and the filler skips them (corpus
// streams, whose Values the decoder gives too).
func TestKeptStreamListpacks(t *testing.T) {
	needCorpus(t)
	files := []string{
		"redis-rdb-tools/redis_50_with_streams.rdb",
		"hdt3213-rdb/stream_listpacks_1.rdb",
		"redis-replicator/dump-stream.rdb",
		"librdb/misc_with_stream.rdb",
		"librdb/stream_v13.rdb",
		"librdb/stream_v13_idmp.rdb",
	}
	total := 0
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			dump, err := os.ReadFile(filepath.Join(corpusDir, name))
			if err != nil {
				t.Skip(err)
			}
			kept, marked := keptCounts(t, name, dump, Options{})
			assert.Zero(t, kept, "a stream keeps no bytes")
			total += marked
		})
	}
	assert.Positive(t, total, "some corpus streams have compressed listpacks")
}

// A corrupt compressed listpack fails a decoded record as it did when
// nothing was kept: the same message, at the offset just past it, after
// a listpack of the same record was kept; the records before it are
// delivered.
func TestKeptListpackCorrupt(t *testing.T) {
	good := lpOf("a", "b", "c")
	bad := lpOf("a", "b", "c")
	binary.LittleEndian.PutUint16(bad[4:], 4) // header says 4 entries
	w := newRDB("REDIS0011").byte(opSelectDB).len(0)
	w.byte(16).str("before").lzfStr(lpOf("f", "v"))
	w.byte(18).str("list").len(3).len(2).lzfStr(good).len(2).lzfStr(good).len(2).lzfStr(bad)
	end := int64(len(w.b))
	dump := w.end()
	for _, workers := range []int{1, 2} {
		var keys []string
		_, err := ParseWith(context.Background(), bytesInput("c.rdb", dump), Options{}, workers, nil, func(r *Record, _ *struct{}) error {
			keys = append(keys, strings.Clone(r.Key))
			return nil
		})
		var pe *Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, `corrupt listpack of key "list": header says 4 entries, found 3`, pe.Msg)
		assert.Equal(t, end, pe.Offset)
		assert.Equal(t, []string{"before"}, keys)
	}
}
