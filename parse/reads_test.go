package parse

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/rand"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
// string ever lies whole in the bufio window and every one goes the
// general path (readLen, readN a byte at a time), or read in large
// blocks, where most take the one-step paths (shortStr, lzfHeader,
// plainRun).
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
		p.recs = append(p.recs, kept(r))
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
	return elements%3 != 0
}

// readsDump builds a dump of listpack hashes, zsets and sets, intsets,
// hashes with field TTLs (type 25), quicklists, strings and plain sets,
// packed containers stored compressed and not, of sizes from a few bytes
// to past the bufio window, so that some straddle its refills.
func readsDump(seed int64, n int) []byte {
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

// Records read in large blocks (most strings in one step from the bufio
// window) come out as read a byte at a time (every string the general
// way): same records, same decoded ones, same source, whether decoded,
// skipped (Options.SkipDecode, by element count) or over MaxKeyBytes;
// and as a parse that decodes everything gives them, but for the values.
func TestBulkReadsSameRecords(t *testing.T) {
	dump := readsDump(1, 400)
	require.Greater(t, len(dump), 3<<20, "some values straddle the 1 MiB window's refills")
	cases := []struct {
		name string
		opts Options
	}{
		{"by count", Options{SkipDecode: skipByCount}},
		{"all skipped", Options{SkipDecode: func(string, string, int64) bool { return true }}},
		{"none skipped", Options{SkipDecode: func(string, string, int64) bool { return false }}},
		{"with a key limit", Options{SkipDecode: skipByCount, MaxKeyBytes: 256 << 10}},
		{"with list node sizes", Options{SkipDecode: skipByCount, LZFSizes: true}},
	}
	all := parseThrough(t, dump, Options{}, false)
	require.Empty(t, all.err)
	require.Equal(t, ChecksumOK, all.src.Checksum)
	if testing.Short() {
		cases = cases[:2] // each reads 4 MB a byte at a time
	}
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

// Corrupt and truncated dumps fail in records read in large blocks with
// the error, message and byte offset reading them a byte at a time gives,
// after the same records, whether the failing record is decoded or not.
func TestBulkReadsSameErrors(t *testing.T) {
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
				{SkipDecode: skipByCount},
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
		dump := readsDump(4, 40)
		opts := Options{SkipDecode: skipByCount}
		for cut := 10; cut < len(dump); cut += 1 + len(dump)/97 {
			want := parseThrough(t, dump[:cut], opts, true)
			got := parseThrough(t, dump[:cut], opts, false)
			require.NotEmpty(t, got.err, "cut at %d", cut)
			sameParse(t, want, got)
		}
	})
}

// FuzzBulkReadsSame: whatever the bytes, a parse whose reads fill the
// bufio window delivers what one reading a byte at a time does.
func FuzzBulkReadsSame(f *testing.F) {
	for i, name := range fuzzFixtures {
		f.Add(fixture(f, name), uint8(i))
	}
	f.Add(readsDump(5, 24), uint8(0))
	f.Add(readsDump(6, 24), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, how uint8) {
		if len(b) > 1<<20 {
			return
		}
		opts := Options{NoVerify: true, SkipDecode: skipByCount}
		if how%2 == 1 {
			opts.SkipDecode = func(string, string, int64) bool { return true }
		}
		if how%4 >= 2 {
			opts.MaxKeyBytes = int64(how) << 4
		}
		want := parseThrough(t, b, opts, true)
		got := parseThrough(t, b, opts, false)
		sameParse(t, want, got)
	})
}
