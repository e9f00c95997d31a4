package parse

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/testutil/cputime"
)

const testdataDir = "../testdata/parse"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, name))
	require.NoError(t, err)
	return b
}

func bytesInput(name string, b []byte) Input {
	return Input{Name: name, Ref: Ref{Path: name, Size: int64(len(b))}, open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

// parseAll parses an in-memory dump and collects copies of its records.
func parseAll(t testing.TB, b []byte, opts Options) ([]Record, *Source, error) {
	t.Helper()
	var recs []Record
	src, err := Parse(context.Background(), bytesInput("test.rdb", b), opts, func(r *Record) error {
		recs = append(recs, kept(r))
		return nil
	})
	return recs, src, err
}

// kept copies r, but for its Value, for use after the callback: its Key,
// Blobs and Warnings point into buffers the parse reuses (see Record), so
// that records kept as they are would show later records' keys once the
// dump is more than a chunk.
func kept(r *Record) Record {
	c := *r
	c.Value = nil
	c.Key, c.Blobs, c.Warnings = strings.Clone(r.Key), slices.Clone(r.Blobs), slices.Clone(r.Warnings)
	return c
}

// valueLen counts the elements of a decoded value (list items, set and
// zset members, hash fields); 0 for strings, streams and nil.
func valueLen(v *Value) int {
	if v == nil {
		return 0
	}
	return len(v.List) + len(v.Set) + len(v.ZSet) + len(v.Hash)
}

// rdbBuilder writes synthetic dumps.
type rdbBuilder struct{ b []byte }

func newRDB(header string) *rdbBuilder { return &rdbBuilder{b: []byte(header)} }

func (w *rdbBuilder) byte(c ...byte) *rdbBuilder { w.b = append(w.b, c...); return w }
func (w *rdbBuilder) len(n uint64) *rdbBuilder   { w.b = appendRDBLen(w.b, n); return w }
func (w *rdbBuilder) str(s string) *rdbBuilder {
	w.len(uint64(len(s)))
	w.b = append(w.b, s...)
	return w
}

// end appends the EOF opcode and a correct CRC64 trailer.
func (w *rdbBuilder) end() []byte {
	w.b = append(w.b, opEOF)
	return binary.LittleEndian.AppendUint64(w.b, crc64Redis(w.b))
}

func TestCRC64CheckVector(t *testing.T) {
	assert.Equal(t, uint64(0xe9c6d914c4b8d9ca), crc64Redis([]byte("123456789")))
}

func TestChecksum(t *testing.T) {
	good := fixture(t, "redis741_cluster_node.rdb")
	_, src, err := parseAll(t, good, Options{})
	require.NoError(t, err)
	assert.Equal(t, ChecksumOK, src.Checksum)

	t.Run("mismatch", func(t *testing.T) {
		bad := bytes.Clone(good)
		bad[len(bad)-3] ^= 0x40
		recs, src, err := parseAll(t, bad, Options{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "checksum mismatch: stored")
		assert.Contains(t, err.Error(), "--no-verify")
		assert.Equal(t, ChecksumMismatch, src.Checksum)
		assert.NotEmpty(t, recs)

		_, src, err = parseAll(t, bad, Options{NoVerify: true})
		require.NoError(t, err)
		assert.Equal(t, ChecksumMismatch, src.Checksum)
	})
	t.Run("mismatch in data (file copy)", func(t *testing.T) {
		// flip a byte inside a string value: framing still works, the
		// checksum does not.
		bad := bytes.Clone(good)
		i := bytes.Index(bad, []byte("redis-ver"))
		require.Positive(t, i)
		bad[i+len("redis-ver")+2] ^= 1 // a digit of the version
		p := filepath.Join(t.TempDir(), "node.rdb")
		require.NoError(t, os.WriteFile(p, bad, 0o644))
		ins, err := Expand([]string{p}, nil)
		require.NoError(t, err)
		_, err = Parse(context.Background(), ins[0], Options{}, func(*Record) error { return nil })
		require.Error(t, err)
		assert.Contains(t, err.Error(), p)
		assert.Contains(t, err.Error(), "checksum mismatch")
	})
	t.Run("absent", func(t *testing.T) {
		zero := bytes.Clone(good)
		copy(zero[len(zero)-8:], make([]byte, 8))
		_, src, err := parseAll(t, zero, Options{})
		require.NoError(t, err)
		assert.Equal(t, ChecksumAbsent, src.Checksum)

		_, src, err = parseAll(t, fixture(t, "empty_database.rdb"), Options{}) // RDB 3
		require.NoError(t, err)
		assert.Equal(t, ChecksumAbsent, src.Checksum)
	})
	t.Run("trailing data", func(t *testing.T) {
		_, src, err := parseAll(t, append(bytes.Clone(good), "junk"...), Options{})
		require.NoError(t, err)
		assert.Equal(t, ChecksumOK, src.Checksum)
		require.Len(t, src.Warnings, 1)
		assert.Contains(t, src.Warnings[0], "4 bytes of trailing data")
	})
}

func TestSourceAndRecords(t *testing.T) {
	b := fixture(t, "redis741_cluster_node.rdb")
	var snap *Source
	calls := 0
	n := 0
	src, err := Parse(context.Background(), bytesInput("x", b), Options{
		OnSource: func(s *Source) error {
			calls++
			assert.Zero(t, n, "OnSource before the first record")
			snap = s
			return nil
		},
		Progress: func(int64) {},
	}, func(r *Record) error { n++; return nil })
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
	assert.Equal(t, "7.4.1", snap.RedisVersion)
	assert.Equal(t, "REDIS", src.Magic)
	assert.Equal(t, 12, src.RDBVersion)
	assert.Equal(t, 64, src.RedisBits)
	assert.Positive(t, src.CTime)
	assert.Positive(t, src.UsedMem)
	assert.Positive(t, src.SlotInfos)
	assert.NotEmpty(t, src.DBSizes)
	assert.Equal(t, int64(len(b)), src.Bytes)
	assert.Equal(t, int64(len(b)), src.StreamBytes)
	assert.Len(t, src.SHA256, 64)
	assert.Equal(t, "7.4.1", src.Aux["redis-ver"])

	// hashes with field TTLs (listpackex / hashex) are there and counted.
	recs, _, err := parseAll(t, b, Options{})
	require.NoError(t, err)
	encs := map[string]int{}
	var last int64
	for _, r := range recs {
		encs[r.RDBEncoding]++
		assert.GreaterOrEqual(t, r.Offset, last, "records in order (SLOT_INFO opcodes sit between slots)")
		last = r.Offset + r.RDBBytes
		if r.RDBEncoding == EncListpackEx || r.RDBEncoding == EncListpack || r.RDBEncoding == EncQuicklist2 {
			assert.NotEmpty(t, r.Blobs, r.Key)
			for _, bl := range r.Blobs {
				assert.Positive(t, bl.Len)
				assert.GreaterOrEqual(t, bl.Count, int64(0))
			}
		}
	}
	assert.Positive(t, encs[EncListpackEx], "listpackex hashes in a 7.4 dump")
}

func TestHashFieldTTLFixtures(t *testing.T) {
	for _, name := range []string{"hash_with_hfe.rdb", "hash_as_listpack_with_hfe.rdb", "valkey_hash2_with_hfe.rdb"} {
		t.Run(name, func(t *testing.T) {
			recs, _, err := parseAll(t, fixture(t, name), Options{})
			require.NoError(t, err)
			require.NotEmpty(t, recs)
			for _, r := range recs {
				assert.Equal(t, TypeHash, r.Type)
				assert.Positive(t, r.Elements)
			}
		})
	}
}

func TestPlainQuicklistNodes(t *testing.T) {
	// hdt3213/rdb v1.3.2 panics on these unless the framer rewrites them.
	recs, _, err := parseAll(t, fixture(t, "dumpV10.rdb"), Options{})
	require.NoError(t, err)
	plain := 0
	for _, r := range recs {
		for _, b := range r.Blobs {
			if b.Plain {
				plain++
				assert.Equal(t, int64(1), b.Count)
			}
		}
	}
	assert.Positive(t, plain)
}

func TestNotRDB(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty file"},
		{"*2\r\n$6\r\nSELECT\r\n", `starts with "*2\r\n$6\r\n" — looks like an AOF`},
		{`{"key": 1}`, "looks like JSON"},
		{"REDIS0099xxxxx", "REDIS0099: unknown future RDB version 99 (the newest known is 13, Redis 8.6), not supported by the decoder (github.com/hdt3213/rdb v1.3.2)"},
		{"VALKEY090xxxxx", "VALKEY090: Valkey RDB version 90 is not supported by the decoder (github.com/hdt3213/rdb v1.3.2 reads VALKEY080"},
		{"REDIS00", "truncated header"},
		{"hello world", `not an RDB file (starts with "hello wo")`},
	} {
		_, src, err := parseAll(t, []byte(tc.in), Options{})
		require.Error(t, err, tc.in)
		assert.Contains(t, err.Error(), tc.want)
		assert.Contains(t, err.Error(), "test.rdb")
		assert.NotNil(t, src)
	}
}

func TestUnknownOpcodes(t *testing.T) {
	_, _, err := parseAll(t, newRDB("REDIS0012").byte(opSelectDB).len(0).byte(243).end(), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "opcode 243 (RDB_OPCODE_KEY_META, per-key metadata) in an RDB 12 dump, which cannot hold it: corrupt data")
	_, _, err = parseAll(t, newRDB("REDIS0013").byte(opSelectDB).len(0).byte(243).len(9).end(), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at byte 11: KEY_META with 9 metadata classes (at most 8): corrupt data")

	_, _, err = parseAll(t, newRDB("REDIS0012").byte(opSelectDB).len(0).byte(26).str("k").end(), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "type 26 is the stream type of RDB 13 (Redis 8.6+), which a dump of this version cannot hold")

	// An RDB 13 dump without RDB 13 items parses, and its checksum is
	// the one of the original header.
	recs, src, err := parseAll(t, newRDB("REDIS0013").byte(opSelectDB).len(0).byte(0).str("k").str("v").end(), Options{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, 13, src.RDBVersion)
	assert.Equal(t, ChecksumOK, src.Checksum)

	// Valkey slot import (243) and SLOT_INFO (244) are stripped.
	b := newRDB("VALKEY080").byte(243).str("job").len(1).len(0).len(100).
		byte(244).len(1).len(2).len(3).
		byte(opSelectDB).len(0).byte(0).str("k").str("v").end()
	recs, src, err = parseAll(t, b, Options{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "k", recs[0].Key)
	assert.Equal(t, 1, src.SlotInfos)
	assert.Equal(t, ChecksumOK, src.Checksum)
}

func TestTruncated(t *testing.T) {
	b := fixture(t, "redis741_cluster_node.rdb")
	full, _, err := parseAll(t, b, Options{})
	require.NoError(t, err)
	prev := 0
	for _, cut := range []int{0, 5, 9, 10, 50, 200, 1000, 5000, 12345, 20000, 33333, len(b) - 9, len(b) - 8, len(b) - 1} {
		recs, src, err := parseAll(t, b[:cut], Options{})
		require.Error(t, err, "cut at %d", cut)
		require.NotNil(t, src)
		var pe *Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "test.rdb", pe.Path)
		assert.LessOrEqual(t, pe.Offset, int64(cut))
		if cut > 9 {
			assert.Contains(t, err.Error(), "truncated: ends at byte")
		}
		assert.GreaterOrEqual(t, len(recs), prev, "more input, more records")
		assert.LessOrEqual(t, len(recs), len(full))
		for i := range recs {
			assert.Equal(t, full[i].Key, recs[i].Key)
			assert.LessOrEqual(t, recs[i].Offset+recs[i].RDBBytes, int64(cut))
		}
		prev = len(recs)
	}
	assert.Equal(t, len(full), prev, "cut inside the trailer still delivers every key")
}

func TestTruncatedMessageNamesKey(t *testing.T) {
	b := newRDB("REDIS0011").byte(opSelectDB).len(0).byte(1).str("mylist").len(3).str("a").str("b").b
	_, _, err := parseAll(t, b, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `truncated: ends at byte 24 without the EOF marker, inside an element of key "mylist"`)
}

// heapGrowth runs f and returns how much the heap grew in total.
func heapGrowth(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestCorruptLengths(t *testing.T) {
	huge := func(w *rdbBuilder) *rdbBuilder { return w.byte(0x81, 0, 0, 0x01, 0, 0, 0, 0, 0) } // 2^40
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"list count 2^40", huge(newRDB("REDIS0009").byte(opSelectDB).len(0).byte(1).str("l")).str("a").str("b").b,
			"truncated: ends at byte"},
		{"set count 0x7fffffff", newRDB("REDIS0009").byte(opSelectDB).len(0).byte(2).str("s").byte(0x80, 0x7f, 0xff, 0xff, 0xff).str("a").b,
			"truncated: ends at byte"},
		{"string length 2^40", huge(newRDB("REDIS0009").byte(opSelectDB).len(0).byte(0).str("k")).str("v").end(),
			"truncated: ends at byte"},
		{"LZF claims 1 GB", newRDB("REDIS0009").byte(opSelectDB).len(0).byte(0).str("k").byte(0xC3).len(3).len(1<<30).byte(2, 'a', 'b', 'c').end(),
			"corrupt LZF string"},
		{"intset length 2^31", newRDB("REDIS0009").byte(opSelectDB).len(0).byte(11).str("k").str("\x08\x00\x00\x00\x00\x00\x00\x80" + strings.Repeat("x", 16)).end(),
			"corrupt intset"},
		{"listpack total bytes", newRDB("REDIS0011").byte(opSelectDB).len(0).byte(20).str("k").str("\xff\xff\xff\x7f\x01\x00\x01\x01\xff").end(),
			"listpack header says"},
		{"stream counts", newRDB("REDIS0011").byte(opSelectDB).len(0).byte(21).str("k").len(1).str(strings.Repeat("\x00", 16)).
			str(string(onePackListInts(0x7ffffff, 0, 1))).end(), "master entry counts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			grown := heapGrowth(func() { _, _, err = parseAll(t, tc.b, Options{}) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, grown, uint64(64<<20), "allocation stays bounded")
		})
	}
}

// onePackListInts builds a listpack of small integers.
func onePackListInts(vals ...int64) []byte {
	lp := make([]byte, 6)
	for _, v := range vals {
		switch {
		case v >= 0 && v < 128:
			lp = append(lp, byte(v), 1)
		default:
			lp = append(lp, 0xF3)
			lp = binary.LittleEndian.AppendUint32(lp, uint32(v))
			lp = append(lp, 5)
		}
	}
	lp = append(lp, 0xFF)
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], uint16(len(vals)))
	return lp
}

func TestListpackOver65535Entries(t *testing.T) {
	const n = 70000
	lp := make([]byte, 6, 6+n*4+1)
	for i := 0; i < n; i++ {
		v := i % 8000
		lp = append(lp, 0xC0|byte(v>>8), byte(v), 2) // int13 + backlen
	}
	lp = append(lp, 0xFF)
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], 65535)
	b := newRDB("REDIS0011").byte(opSelectDB).len(0).byte(20).str("bigset").str(string(lp)).end()
	var got Record
	_, err := Parse(context.Background(), bytesInput("big.rdb", b), Options{}, func(r *Record) error {
		got = *r
		got.Value = nil
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, int64(n), got.Elements)
	require.Len(t, got.Blobs, 1)
	assert.Equal(t, int64(n), got.Blobs[0].Count)
	require.NotEmpty(t, got.Warnings)
	assert.Contains(t, got.Warnings[0], "saturated at 65535")
}

// captureStdout runs f and returns what it wrote to os.Stdout.
func captureStdout(t *testing.T, f func()) string {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	defer func() { os.Stdout = old }()
	f()
	os.Stdout = old
	w.Close()
	return string(<-done)
}

func TestModulesPrintNothing(t *testing.T) {
	for _, name := range []string{"redis_40_with_module.rdb", "redis_60_with_module_aux.rdb"} {
		t.Run(name, func(t *testing.T) {
			var recs []Record
			var err error
			out := captureStdout(t, func() { recs, _, err = parseAll(t, fixture(t, name), Options{}) })
			require.NoError(t, err)
			assert.Empty(t, out)
			if name == "redis_40_with_module.rdb" {
				require.Len(t, recs, 2)
				assert.Equal(t, TypeString, recs[0].Type)
				assert.Equal(t, TypeModule, recs[1].Type)
				assert.Equal(t, "ReJSON-RL", recs[1].Module)
				assert.Equal(t, "foo", recs[1].Key)
			}
		})
	}
	// a module value between two keys keeps its place.
	mod := newRDB("REDIS0009").byte(opSelectDB).len(0).
		byte(0).str("a").str("1").
		byte(7).str("m").len(0x1234<<10 | 1).len(2).len(7).len(5).str("payload").len(0).
		byte(0).str("b").str("2").
		byte(7).str("z").len(0).len(0).end()
	var recs []Record
	var err error
	out := captureStdout(t, func() { recs, _, err = parseAll(t, mod, Options{}) })
	require.NoError(t, err)
	assert.Empty(t, out)
	var keys []string
	for _, r := range recs {
		keys = append(keys, strings.Clone(r.Key))
	}
	assert.Equal(t, []string{"a", "m", "b", "z"}, keys)
	assert.Equal(t, TypeModule, recs[1].Type)
	assert.Equal(t, moduleName(0x1234<<10|1), recs[1].Module)
}

func TestCallbackErrorAndCancel(t *testing.T) {
	b := fixture(t, "redis741_cluster_node.rdb")
	stop := errors.New("stop")
	before := runtime.NumGoroutine()
	n := 0
	_, err := Parse(context.Background(), bytesInput("x", b), Options{}, func(*Record) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 10, n)

	// an endless dump: only the cancel can stop it.
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	endless := Input{Ref: Ref{Path: "endless.rdb"}, open: func() (io.ReadCloser, error) {
		head := newRDB("REDIS0011").byte(opSelectDB).len(0).b
		rec := newRDB("").byte(0).str("key").str(strings.Repeat("v", 100)).b
		return io.NopCloser(io.MultiReader(bytes.NewReader(head), &repeater{b: rec})), nil
	}}
	_, err = Parse(ctx, endless, Options{}, func(*Record) error {
		n++
		if n == 5 {
			cancel()
		}
		return nil
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "canceled")
	waitGoroutines(t, before+1)
}

// waitGoroutines waits until at most n goroutines run: goroutines that
// Parse stopped may still be on their way out when it returns, so the
// count is awaited rather than sampled after a guessed delay. A leak
// fails after 10 s.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("leaked goroutines: %d running, want at most %d", runtime.NumGoroutine(), n)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

type repeater struct {
	b   []byte
	pos int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.pos:])
		n += c
		r.pos = (r.pos + c) % len(r.b)
	}
	return n, nil
}

func writeCompressed(t *testing.T, path string, data []byte, kind string) {
	var buf bytes.Buffer
	switch kind {
	case "gzip":
		z := gzip.NewWriter(&buf)
		_, _ = z.Write(data[:len(data)/2])
		require.NoError(t, z.Close())
		z = gzip.NewWriter(&buf) // multistream
		_, _ = z.Write(data[len(data)/2:])
		require.NoError(t, z.Close())
	case "zstd":
		z, err := zstd.NewWriter(&buf, zstd.WithWindowSize(zstd.MaxWindowSize))
		require.NoError(t, err)
		_, _ = z.Write(data)
		require.NoError(t, z.Close())
	case "lz4":
		z := lz4.NewWriter(&buf)
		_, _ = z.Write(data)
		require.NoError(t, z.Close())
	default:
		buf.Write(data)
	}
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func writeTar(t *testing.T, path string, members map[string][]byte, order []string, kind string) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range order {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(members[name])), Typeflag: tar.TypeReg}))
		_, err := tw.Write(members[name])
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	writeCompressed(t, path, buf.Bytes(), kind)
}

func countKeys(t *testing.T, in Input) (int, *Source) {
	n := 0
	src, err := Parse(context.Background(), in, Options{}, func(*Record) error { n++; return nil })
	require.NoError(t, err, in.Path)
	return n, src
}

func TestCompressionAndArchives(t *testing.T) {
	b := fixture(t, "redis741_cluster_node.rdb")
	want, _ := countKeys(t, bytesInput("x", b))
	dir := t.TempDir()
	for _, kind := range []string{"gzip", "zstd", "lz4"} {
		t.Run(kind, func(t *testing.T) {
			p := filepath.Join(dir, "node-7201.rdb."+kind+".misnamed") // magic bytes, not names
			writeCompressed(t, p, b, kind)
			ins, err := Expand([]string{p}, nil)
			require.NoError(t, err)
			require.Len(t, ins, 1)
			n, src := countKeys(t, ins[0])
			assert.Equal(t, want, n)
			assert.Equal(t, kind, src.Compression)
			assert.Equal(t, int64(len(b)), src.StreamBytes)
			st, _ := os.Stat(p)
			assert.Equal(t, st.Size(), src.Bytes)
			assert.Equal(t, ChecksumOK, src.Checksum)
		})
	}
	for _, kind := range []string{"", "gzip", "zstd"} {
		t.Run("tar "+kind, func(t *testing.T) {
			p := filepath.Join(dir, "dumps"+kind+".tar")
			gz := new(bytes.Buffer)
			z := gzip.NewWriter(gz)
			_, _ = z.Write(b)
			require.NoError(t, z.Close())
			writeTar(t, p, map[string][]byte{
				"backup/node-1.rdb":    b,
				"backup/node-2.rdb.gz": gz.Bytes(),
				"backup/weird":         b,
				"backup/notes.txt":     []byte("hello"),
			}, []string{"backup/node-1.rdb", "backup/notes.txt", "backup/node-2.rdb.gz", "backup/weird"}, kind)
			ins, err := Expand([]string{p}, nil)
			require.NoError(t, err)
			require.Len(t, ins, 3)
			assert.Equal(t, []string{"node-1", "node-2", "weird"}, []string{ins[0].Name, ins[1].Name, ins[2].Name})
			for _, in := range ins {
				n, src := countKeys(t, in)
				assert.Equal(t, want, n)
				assert.Equal(t, in.Member, src.Member)
			}
			// a tar given to Parse directly is refused clearly.
			_, err = Parse(context.Background(), Ref{Path: p}.Input("dumps"), Options{}, func(*Record) error { return nil })
			require.Error(t, err)
			assert.Contains(t, err.Error(), "tar archive")
		})
	}
}

func TestExpand(t *testing.T) {
	b := fixture(t, "memory.rdb")
	dir := t.TempDir()
	d := filepath.Join(dir, "cluster")
	require.NoError(t, os.Mkdir(d, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d, "node-7202.rdb"), b, 0o644))
	writeCompressed(t, filepath.Join(d, "node-7201.rdb.gz"), b, "gzip")
	require.NoError(t, os.WriteFile(filepath.Join(d, "README"), []byte("not a dump"), 0o644))
	writeCompressed(t, filepath.Join(d, "notes.gz"), []byte("compressed text"), "gzip")

	ins, err := Expand([]string{d}, nil)
	require.NoError(t, err)
	require.Len(t, ins, 2)
	assert.Equal(t, "node-7201", ins[0].Name)
	assert.Equal(t, "node-7202", ins[1].Name)
	assert.Equal(t, int64(len(b)), ins[1].Size)

	ins, err = Expand([]string{d}, map[string]string{"primary": filepath.Join(d, "node-7202.rdb")})
	require.NoError(t, err)
	assert.Equal(t, "primary", ins[1].Name)

	_, err = Expand([]string{d}, map[string]string{"x": "/nope.rdb"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no input has path /nope.rdb")

	// duplicate names
	d2 := filepath.Join(dir, "other")
	require.NoError(t, os.Mkdir(d2, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d2, "node-7202.rdb"), b, 0o644))
	_, err = Expand([]string{d, d2}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `duplicate node name "node-7202"`)
	ins, err = Expand([]string{d, d2}, map[string]string{"other": filepath.Join(d2, "node-7202.rdb")})
	require.NoError(t, err)
	assert.Len(t, ins, 3)

	// missing file, empty dir
	_, err = Expand([]string{filepath.Join(dir, "missing.rdb")}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.rdb: no such file or directory")
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.Mkdir(empty, 0o755))
	_, err = Expand([]string{empty}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), empty+": directory contains no RDB dumps")

	// stdin
	ins, err = Expand([]string{"-"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "stdin", ins[0].Name)
	assert.Equal(t, "-", ins[0].Path)

	if os.Getuid() != 0 {
		p := filepath.Join(dir, "secret.rdb")
		require.NoError(t, os.WriteFile(p, b, 0o000))
		_, err = Expand([]string{p}, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "secret.rdb: permission denied")
	}
}

func TestNodeName(t *testing.T) {
	for in, want := range map[string]string{
		"node-7202.rdb":        "node-7202",
		"a/b/node-7202.rdb.gz": "node-7202",
		"dump.rdb.zst":         "dump",
		"backup.tar.gz":        "backup",
		"db.2024-01-01":        "db.2024-01-01",
		".rdb":                 ".rdb",
	} {
		assert.Equal(t, want, nodeName(in), in)
	}
}

func TestLZF(t *testing.T) {
	// "aaaaaaaaaa": literal 'a', back reference of 9 bytes at distance 1.
	src := []byte{0, 'a', 7 << 5, 0, 0}
	dst := make([]byte, 10)
	n, full, err := lzfDecode(dst, src)
	require.NoError(t, err)
	assert.True(t, full)
	assert.Equal(t, 10, n)
	assert.Equal(t, "aaaaaaaaaa", string(dst))
	// prefix only
	n, _, err = lzfDecode(dst[:4], src)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	// corrupt: reference before the start
	_, _, err = lzfDecode(dst, []byte{1 << 5, 5})
	assert.Error(t, err)
}

// fuzzFixtures seed the parse fuzzers: small dumps of many encodings.
var fuzzFixtures = []string{"memory.rdb", "hash_with_hfe.rdb", "hash_as_listpack_with_hfe.rdb", "redis_50_with_streams.rdb",
	"redis_40_with_module.rdb", "redis_60_with_module_aux.rdb", "ziplist_that_compresses_easily.rdb",
	"zipmap_that_compresses_easily.rdb", "valkey_hash2_with_hfe.rdb", "empty_database.rdb", "dumpV10.rdb"}

// FuzzParse feeds arbitrary bytes to the framer and the decoder, with and
// without a key size limit (limit 0 = none).
func FuzzParse(f *testing.F) {
	for i, name := range fuzzFixtures {
		f.Add(fixture(f, name), uint16(0))
		f.Add(fixture(f, name), uint16(i*7))
	}
	f.Fuzz(func(t *testing.T, b []byte, limit uint16) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n := 0
		_, _ = Parse(ctx, bytesInput("fuzz.rdb", b), Options{NoVerify: true, MaxKeyBytes: int64(limit)}, func(r *Record) error {
			n++
			_ = valueLen(r.Value)
			if r.RDBBytes <= 0 || r.Offset < 0 || r.Elements < 0 || r.LongElem < -1 {
				t.Fatalf("impossible record %+v", *r)
			}
			return nil
		})
	})
}

// FuzzOpen feeds arbitrary bytes as a file to Expand and Parse, which
// sniff compression (gzip, zstd, lz4) and tar archives from the content.
func FuzzOpen(f *testing.F) {
	dump := fixture(f, "memory.rdb")
	var gz, zs, l4, tr, tgz bytes.Buffer
	z := gzip.NewWriter(&gz)
	_, _ = z.Write(dump)
	_ = z.Close()
	zw, _ := zstd.NewWriter(&zs)
	_, _ = zw.Write(dump)
	_ = zw.Close()
	lw := lz4.NewWriter(&l4)
	_, _ = lw.Write(dump)
	_ = lw.Close()
	tw := tar.NewWriter(&tr)
	_ = tw.WriteHeader(&tar.Header{Name: "node-1.rdb", Mode: 0o644, Size: int64(len(dump)), Typeflag: tar.TypeReg})
	_, _ = tw.Write(dump)
	_ = tw.WriteHeader(&tar.Header{Name: "x/node-2", Mode: 0o644, Size: int64(gz.Len()), Typeflag: tar.TypeReg})
	_, _ = tw.Write(gz.Bytes())
	_ = tw.Close()
	z = gzip.NewWriter(&tgz)
	_, _ = z.Write(tr.Bytes())
	_ = z.Close()
	for _, seed := range [][]byte{dump, gz.Bytes(), zs.Bytes(), l4.Bytes(), tr.Bytes(), tgz.Bytes(), nil,
		[]byte("*1\r\n$4\r\nPING\r\n"), magicGzip, magicZstd, magicLZ4} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "input")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ins, err := Expand([]string{p}, nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, in := range ins {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := Parse(ctx, in, Options{}, func(*Record) error { return nil })
			cancel()
			if err != nil && !strings.HasPrefix(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
		}
	})
}

// benchDump, when set, is the dump the parse benchmarks read instead of
// the corpus's: go test ./parse -run '^$' -bench . -args -dump big.rdb
var benchDump = flag.String("dump", "", "dump for the parse benchmarks")

func benchData(b *testing.B) []byte {
	path := *benchDump
	if path == "" {
		path = filepath.Join(corpusDir, "generated", "redis-7.4.1", "mixed.rdb")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if *benchDump != "" {
			b.Fatal(err)
		}
		data = fixture(b, "redis741_cluster_node.rdb")
	}
	return data
}

// BenchmarkParse: every value described, from the record's bytes or by the
// decoder, on one goroutine (production skips the values the memory model
// does not need: BenchmarkRun in internal/scan).
func BenchmarkParse(b *testing.B) {
	benchParse(b, Options{})
}

// BenchmarkFramer: framing, validation, CRC64 and SHA-256 only, no value
// described (every key skipped as the model skips packed containers).
func BenchmarkFramer(b *testing.B) {
	benchParse(b, Options{SkipDecode: func(string, string, int64) bool { return true }})
}

func benchParse(b *testing.B, opts Options) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	if c0, ok := cputime.Process(); ok {
		// CPU time of every goroutine (SHA-256, decoding), per parse.
		defer func() {
			c1, _ := cputime.Process()
			b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
		}()
	}
	for b.Loop() {
		_, err := Parse(context.Background(), bytesInput("bench.rdb", data), opts, func(*Record) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}

func TestStdin(t *testing.T) {
	p := filepath.Join(t.TempDir(), "in.rdb.gz")
	writeCompressed(t, p, fixture(t, "memory.rdb"), "gzip")
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	ins, err := Expand([]string{"-"}, map[string]string{"piped": "-"})
	require.NoError(t, err)
	require.Len(t, ins, 1)
	assert.Equal(t, "piped", ins[0].Name)
	n, src := countKeys(t, ins[0])
	assert.Positive(t, n)
	assert.Equal(t, "gzip", src.Compression)
	assert.Equal(t, "-", src.Path)
}

func TestOnSource(t *testing.T) {
	calls := 0
	_, err := Parse(context.Background(), bytesInput("e", fixture(t, "empty_database.rdb")), Options{
		OnSource: func(s *Source) error { calls++; return nil },
	}, func(*Record) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, 1, calls, "called at the end when the dump has no keys")

	boom := errors.New("unsupported server")
	n := 0
	_, err = Parse(context.Background(), bytesInput("x", fixture(t, "redis741_cluster_node.rdb")), Options{
		OnSource: func(s *Source) error { return boom },
	}, func(*Record) error { n++; return nil })
	assert.Equal(t, boom, err, "OnSource's error is returned unchanged")
	assert.Zero(t, n)
}

// TestZstdLongWindow decodes a frame that declares a 2 GiB window, as
// zstd --long=31 writes.
func TestZstdLongWindow(t *testing.T) {
	data := fixture(t, "redis741_cluster_node.rdb")
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3} // no FCS, window log 31
	for off := 0; off < len(data); off += 1 << 17 {
		blk := data[off:min(off+1<<17, len(data))]
		h := uint32(len(blk)) << 3 // raw block
		if off+len(blk) == len(data) {
			h |= 1
		}
		frame = append(frame, byte(h), byte(h>>8), byte(h>>16))
		frame = append(frame, blk...)
	}
	// The decoder reserves a ring of the declared window (2 GiB, virtual
	// memory: pages are touched only as data is decoded).
	_, src, err := parseAll(t, frame, Options{})
	require.NoError(t, err)
	assert.Equal(t, "zstd", src.Compression)
	assert.Equal(t, ChecksumOK, src.Checksum)
}

func TestProgress(t *testing.T) {
	b := bytes.Repeat([]byte{0}, 3<<20) // trailing zeros after a tiny dump
	b = append(fixture(t, "empty_database.rdb"), b...)
	var calls []int64
	_, err := Parse(context.Background(), bytesInput("p", b), Options{Progress: func(n int64) { calls = append(calls, n) }},
		func(*Record) error { return nil })
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(calls), 3)
	assert.Equal(t, int64(len(b)), calls[len(calls)-1])
}

// A scan cancelled while the framer queues a chunk ends: the chunk the
// deliverer already holds is ended by the framer, not waited for forever
// (it hung about one run in thirty with two workers).
func TestCancelWhileQueueingEnds(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 30
	}
	for i := range runs {
		ctx, cancel := context.WithCancel(context.Background())
		endless := Input{Ref: Ref{Path: "endless.rdb"}, open: func() (io.ReadCloser, error) {
			head := newRDB("REDIS0011").byte(opSelectDB).len(0).b
			rec := newRDB("").byte(0).str("key").str(strings.Repeat("v", 100)).b
			return io.NopCloser(io.MultiReader(bytes.NewReader(head), &repeater{b: rec})), nil
		}}
		stopAt := 1 + i%7*1000
		done := make(chan error, 1)
		go func() {
			n := 0
			_, err := ParseWith(ctx, endless, Options{}, 2, nil, func(*Record, *struct{}) error {
				n++
				if n == stopAt {
					cancel()
				}
				return nil
			})
			done <- err
		}()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled, "run %d", i)
		case <-time.After(20 * time.Second):
			t.Fatalf("run %d: Parse did not return after its context was cancelled", i)
		}
		cancel()
	}
}
