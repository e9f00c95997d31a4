package parse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"io"
	"math/rand"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/testutil/cputime"
)

// parsed is what a parse delivered: its records (Value nil), whether
// each came decoded, its source and its error.
type parsed struct {
	recs    []Record
	decoded []bool
	src     *Source
	err     string
}

// parseThrough parses b read one byte at a time (oneByte), so that no
// value ever lies whole in the bufio window and every record is framed
// as before this file's paths existed, or read in large blocks.
func parseThrough(t testing.TB, b []byte, opts Options, oneByte bool) parsed {
	t.Helper()
	in := Input{Name: "t.rdb", Ref: Ref{Path: "t.rdb", Size: int64(len(b))}, open: func() (io.ReadCloser, error) {
		var r io.Reader = bytes.NewReader(b)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		return io.NopCloser(r), nil
	}}
	var p parsed
	src, err := Parse(context.Background(), in, opts, func(r *Record) error {
		p.decoded = append(p.decoded, r.Value != nil)
		c := *r
		c.Value = nil
		// Valid only during the callback: they point into reused buffers.
		c.Key, c.Blobs, c.Warnings = strings.Clone(r.Key), slices.Clone(r.Blobs), slices.Clone(r.Warnings)
		p.recs = append(p.recs, c)
		return nil
	})
	p.src = src
	if err != nil {
		p.err = err.Error()
	}
	return p
}

// sameParse compares two parses, naming the first record that differs.
func sameParse(t *testing.T, want, got parsed) {
	t.Helper()
	assert.Equal(t, want.err, got.err)
	assert.Equal(t, want.src, got.src)
	assert.Equal(t, want.decoded, got.decoded)
	sameRecords(t, want.recs, got.recs)
}

// sameRecords compares records, naming the first that differs.
func sameRecords(t *testing.T, want, got []Record) {
	t.Helper()
	for i := range min(len(want), len(got)) {
		if !assert.Equal(t, want[i], got[i], "record %d", i) {
			return
		}
	}
	assert.Equal(t, len(want), len(got), "records")
}

// skipByCount is a SkipDecode that depends on the element count, so that
// asking it with another count than framing finds would show.
func skipByCount(typ, enc string, elements int64) bool {
	return enc == EncQuicklist2 || enc == EncListpackEx || elements%3 != 0
}

// skipQuicklists is a SkipDecodeAll in agreement with skipByCount.
func skipQuicklists(typ, enc string) bool { return enc == EncQuicklist2 }

// aheadDump builds a dump of the records this file's paths take: listpack
// hashes, zsets and sets, intsets, hashes with field TTLs (type 25) and
// quicklists, stored compressed and not, of sizes from a few bytes to
// past the bufio window, so that some straddle its refills; strings and
// plain sets between them are always decoded.
func aheadDump(seed int64, n int) []byte {
	rng := rand.New(rand.NewSource(seed))
	w := newRDB("REDIS0012").byte(opSelectDB).len(0)
	blob := func(b []byte) {
		if rng.Intn(3) > 0 && len(b) > 20 {
			w.byte(lzfStr(b)...)
			return
		}
		w.len(uint64(len(b)))
		w.byte(b...)
	}
	feed := func(n int) []byte {
		lp := feedListpack(rng, n)
		if n >= 65535 {
			binary.LittleEndian.PutUint16(lp[4:], 65535) // saturated: walked to count
		}
		return lp
	}
	ints := func(n int) []byte { // zset pairs and TTLs must be numbers
		vals := make([]int64, n)
		for j := range vals {
			vals[j] = rng.Int63n(1 << 20)
		}
		lp := onePackListInts(vals...)
		if n >= 65535 {
			binary.LittleEndian.PutUint16(lp[4:], 65535)
		}
		return lp
	}
	for i := range n {
		key := "k" + string(rune('a'+i%26)) + string(rune('a'+rng.Intn(26)))
		entries := 1 + rng.Intn(40)
		if rng.Intn(50) == 0 {
			entries = 20000 + rng.Intn(90000) // over the bufio window once packed
		}
		switch i % 8 {
		case 0:
			w.byte(16).str(key) // hash listpack: pairs
			blob(feed(entries * 2))
		case 1:
			w.byte(17).str(key) // zset listpack: pairs
			blob(ints(entries * 2))
		case 2:
			w.byte(20).str(key) // set listpack
			blob(feed(entries))
		case 3:
			w.byte(11).str(key) // intset of 8-byte members
			is := binary.LittleEndian.AppendUint32(nil, 8)
			is = binary.LittleEndian.AppendUint32(is, uint32(entries))
			for j := range entries {
				is = binary.LittleEndian.AppendUint64(is, uint64(j*1000+rng.Intn(1000)))
			}
			blob(is)
		case 4:
			w.byte(25).str(key).byte(1, 2, 3, 4, 5, 6, 7, 0) // listpackex: min expiry, triples
			blob(ints(entries * 3))
		case 5:
			nodes := 1 + rng.Intn(4)
			w.byte(18).str(key).len(uint64(nodes))
			for range nodes {
				if rng.Intn(6) == 0 {
					w.len(1) // PLAIN
					blob(bytes.Repeat([]byte("p"), 1+rng.Intn(3000)))
					continue
				}
				w.len(2)
				blob(feed(entries))
			}
		case 6:
			w.byte(0).str(key).str(string(bytes.Repeat([]byte("v"), rng.Intn(300))))
		case 7:
			w.byte(2).str(key).len(2).str("a").str("b")
		}
	}
	return w.end()
}

// Records known to be undecoded before their value is framed (their bytes
// passed through, never held) come out as framing them the old way gives
// them: same records, same decoded ones, same source; and as a parse that
// decodes everything gives them, but for the values.
func TestAheadSameRecords(t *testing.T) {
	dump := aheadDump(1, 400)
	require.Greater(t, len(dump), 3<<20, "some values straddle the 1 MiB window's refills")
	cases := []struct {
		name string
		opts Options
	}{
		{"by count", Options{SkipDecode: skipByCount}},
		{"by count and type", Options{SkipDecode: skipByCount, SkipDecodeAll: skipQuicklists}},
		{"all skipped", Options{SkipDecode: func(string, string, int64) bool { return true }, SkipDecodeAll: func(string, string) bool { return true }}},
		{"none skipped", Options{SkipDecode: func(string, string, int64) bool { return false }}},
		{"with a key limit", Options{SkipDecode: skipByCount, SkipDecodeAll: skipQuicklists, MaxKeyBytes: 256 << 10}},
		{"with list node sizes", Options{SkipDecode: skipByCount, SkipDecodeAll: skipQuicklists, LZFSizes: true}},
	}
	all := parseThrough(t, dump, Options{}, false)
	require.Empty(t, all.err)
	require.Equal(t, ChecksumOK, all.src.Checksum)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := parseThrough(t, dump, tc.opts, true)
			got := parseThrough(t, dump, tc.opts, false)
			require.Empty(t, got.err)
			sameParse(t, want, got)
			if tc.opts.MaxKeyBytes == 0 && !tc.opts.LZFSizes {
				// But for the values, and the warnings decoding them adds.
				bare := func(rs []Record) []Record {
					rs = slices.Clone(rs)
					for i := range rs {
						rs[i].Warnings = nil
					}
					return rs
				}
				sameRecords(t, bare(all.recs), bare(got.recs))
			}
			skipped := 0
			for _, d := range got.decoded {
				if !d {
					skipped++
				}
			}
			t.Logf("%d records, %d undecoded", len(got.recs), skipped)
		})
	}
}

// A record passed through keeps no bytes: the chunk buffer does not grow
// for a value far larger than it, held neither whole nor in part.
func TestAheadNotCopied(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	lp := feedListpack(rng, 30000) // ~0.8 MB, ~0.3 MB compressed: in the window
	for _, tc := range []struct {
		name string
		rec  []byte
		opts Options
	}{
		{"hash listpack, compressed", newRDB("").byte(16).str("h").byte(lzfStr(lp)...).b, Options{}},
		{"hash listpack", newRDB("").byte(16).str("h").len(uint64(len(lp))).byte(lp...).b, Options{}},
		{"quicklist", newRDB("").byte(18).str("q").len(3).len(2).byte(lzfStr(lp)...).len(2).len(uint64(len(lp))).byte(lp...).len(1).str(string(lp)).b,
			Options{SkipDecodeAll: func(string, string) bool { return true }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.SkipDecode = func(string, string, int64) bool { return true }
			in := append(append(tc.rec, opEOF), make([]byte, 8)...) // no checksum
			f, _ := testFramer(in, opts)
			f.br = bufio.NewReaderSize(bytes.NewReader(in), 4<<20)
			_, _ = f.br.Peek(len(in))
			f.dump.version = 12
			capBefore := cap(f.buf.out)
			require.NoError(t, f.items())
			assert.Equal(t, capBefore, cap(f.buf.out), "the record buffer did not grow")
			require.Len(t, f.buf.metas, 1)
			assert.True(t, f.buf.metas[0].undecoded)
			assert.Equal(t, int64(len(tc.rec)), f.buf.metas[0].size)
			assert.Equal(t, crc64Update(0, in[:len(in)-8]), f.buf.crc, "every byte checksummed, in order")
		})
	}
}

// Corrupt and truncated dumps fail in records passed through with the
// error, message and byte offset, framing them the old way gives, after
// the same records.
func TestAheadSameErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	lp := feedListpack(rng, 300)
	good := lzfStr(lp)
	badLZF := bytes.Clone(good)
	badLZF[len(badLZF)-1] ^= 0x55 // the last literal: the terminator changes
	shortLZF := lzfStr(lp)
	shortLZF[3]-- // claims one byte less decompressed (14-bit ulen)
	badHeader := bytes.Clone(lp)
	badHeader[0]++ // total bytes wrong
	badCount := bytes.Clone(lp)
	badCount[4]++ // entry count wrong: found walking it
	intset := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 8), 3)
	intset = append(intset, make([]byte, 16)...) // 2 members of 3
	head := newRDB("REDIS0012").byte(opSelectDB).len(0).byte(16).str("before").byte(lzfStr(feedListpack(rng, 40))...).b
	cases := []struct {
		name string
		rec  []byte
	}{
		{"listpack LZF not ending with the terminator", newRDB("").byte(16).str("h").byte(badLZF...).b},
		{"listpack LZF of the wrong size", newRDB("").byte(16).str("h").byte(shortLZF...).b},
		{"listpack header length", newRDB("").byte(16).str("h").len(uint64(len(badHeader))).byte(badHeader...).b},
		{"listpack header count", newRDB("").byte(20).str("s").len(uint64(len(badCount))).byte(badCount...).b},
		{"intset size", newRDB("").byte(11).str("i").len(uint64(len(intset))).byte(intset...).b},
		{"quicklist node", newRDB("").byte(18).str("q").len(2).len(2).byte(good...).len(2).byte(badLZF...).b},
		{"LZF lengths", newRDB("").byte(16).str("h").byte(0xC3, 0, 5).b},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dump := newRDB("").byte(head...).byte(tc.rec...).end()
			for _, opts := range []Options{
				{SkipDecode: skipByCount, SkipDecodeAll: skipQuicklists},
				{SkipDecode: func(string, string, int64) bool { return true }},
			} {
				want := parseThrough(t, dump, opts, true)
				got := parseThrough(t, dump, opts, false)
				require.NotEmpty(t, got.err)
				assert.Contains(t, got.err, "corrupt")
				sameParse(t, want, got)
				assert.Len(t, got.recs, 1, "the record before")
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		dump := aheadDump(4, 40)
		opts := Options{SkipDecode: skipByCount, SkipDecodeAll: skipQuicklists}
		for cut := 10; cut < len(dump); cut += 1 + len(dump)/97 {
			want := parseThrough(t, dump[:cut], opts, true)
			got := parseThrough(t, dump[:cut], opts, false)
			require.NotEmpty(t, got.err, "cut at %d", cut)
			sameParse(t, want, got)
		}
	})
}

// FuzzAheadSame: whatever the bytes, a parse whose reads fill the bufio
// window (records passed through, decided ahead) delivers what one
// reading a byte at a time does.
func FuzzAheadSame(f *testing.F) {
	for i, name := range fuzzFixtures {
		f.Add(fixture(f, name), uint8(i))
	}
	f.Add(aheadDump(5, 24), uint8(0))
	f.Add(aheadDump(6, 24), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, how uint8) {
		if len(b) > 1<<20 {
			return
		}
		opts := Options{NoVerify: true, SkipDecode: skipByCount, SkipDecodeAll: skipQuicklists}
		if how%2 == 1 { // every value passed through, whatever its type
			opts.SkipDecode = func(string, string, int64) bool { return true }
			opts.SkipDecodeAll = func(string, string) bool { return true }
		}
		if how%4 >= 2 {
			opts.MaxKeyBytes = int64(how) << 4
		}
		want := parseThrough(t, b, opts, true)
		got := parseThrough(t, b, opts, false)
		sameParse(t, want, got)
	})
}

var abDump = flag.String("ab-dump", "", "dump TestAheadCPU parses (default: skipped)")

// TestAheadCPU measures, when given a dump, the process CPU time of the
// production framing (values passed through, records decided ahead)
// against holding every record's bytes until it is framed, alternately
// in one process so that a shared machine's load falls on both alike:
//
//	go test ./parse -run TestAheadCPU -args -ab-dump big.rdb
func TestAheadCPU(t *testing.T) {
	if *abDump == "" {
		t.Skip("no -ab-dump")
	}
	data, err := os.ReadFile(*abDump)
	require.NoError(t, err)
	skip := func(typ, enc string, elements int64) bool {
		// analyze's memory model, as for a Redis 7 dump with its defaults.
		switch enc {
		case EncQuicklist2:
			return true
		case EncIntset:
			return elements <= 512
		case EncListpack:
			return elements <= 128
		}
		return false
	}
	all := func(typ, enc string) bool { return enc == EncQuicklist2 }
	var on, off, ratio []float64
	for round := range 9 {
		for _, noAhead := range []bool{round%2 == 0, round%2 != 0} {
			c0, ok := cputime.Process()
			if !ok {
				t.Skip("no process CPU time here")
			}
			// Labelled, for a CPU profile of the test to tell them apart
			// (go tool pprof -tagfocus variant=held).
			variant := map[bool]string{false: "passed", true: "held"}[noAhead]
			pprof.Do(context.Background(), pprof.Labels("variant", variant), func(ctx context.Context) {
				_, err = Parse(ctx, bytesInput("ab.rdb", data), Options{SkipDecode: skip, SkipDecodeAll: all, noAhead: noAhead}, func(*Record) error { return nil })
			})
			require.NoError(t, err)
			c1, _ := cputime.Process()
			s := float64(c1-c0) / 1e9
			if noAhead {
				off = append(off, s)
			} else {
				on = append(on, s)
			}
		}
		ratio = append(ratio, on[round]/off[round])
	}
	t.Logf("CPU s per parse, passed through: %.2f", on)
	t.Logf("CPU s per parse, held:           %.2f", off)
	for _, l := range [][]float64{on, off, ratio} {
		slices.Sort(l)
	}
	t.Logf("medians: passed through %.3f s, held %.3f s; per round passed/held %.3f (%.3f-%.3f)", on[len(on)/2], off[len(off)/2], ratio[len(ratio)/2], ratio[0], ratio[len(ratio)-1])
}
