package main

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"hash/crc64"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// The hostile-keys dump: a real RDB file whose key names, values, hash
// fields, set, list and zset members and stream fields are crafted to break
// every output rdbscope writes (HTML, terminal, CSV, JSON). Issue 5's proof
// asks that the browser runs none of it.

// hostileNames are the crafted names. Each becomes a string key, a hash
// field, a set member, and so on.
var hostileNames = []string{
	`</script><script>document.title='pwned'</script>`,
	`<img src=x onerror="document.body.dataset.pwned=1">`,
	`<svg onload="document.body.dataset.pwned=1">`,
	`__f__function(){document.body.dataset.pwned=1}__f__`,
	`{{.}}`,
	`{{template "x"}}{{define "x"}}pwned{{end}}`,
	`"};document.body.dataset.pwned=1;({"`,
	`javascript:document.body.dataset.pwned=1`,
	"line\u2028separator\u2029paragraph",
	"invalid\xff\xfeutf8\xc3(",
	"nul\x00byte",
	"\x1b[31mred\x1b[0m\x1b[2J",
	"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
	"\x1b]0;pwned\x07title",
	`=HYPERLINK("http://x")`,
	"+1",
	"-1",
	"@SUM(A1)",
	"'quoted",
	"\ttab-first",
	"\rcr-first",
	"new\nline\r\nkey",
	"bidi\u202eevil\u2066isolate",
	"c1\u0085\u009bcontrol",
	"del\x7fbyte",
	`back\slash\x41`,
	"emoji-✓-ünïcödé",
}

const (
	hostileCTime   = 1764000000       // the dump's ctime aux (Unix seconds)
	hostileLongLen = 1 << 20          // length of the 1 MB key name
	hostileTTL     = 3 * 86400 * 1000 // TTL of the keys that have one, from ctime
	hostileUsedMem = 7 << 20          // used-mem aux
	hostileBigHash = 0                // index in hostileNames of the biggest key
	hostileFields  = 3000             // fields of the biggest key
	hostileValue   = 1000             // bytes per field value of the biggest key
	hostileFamily  = 12               // keys per hostile family
	hostileMaxmem  = "8mb"            // --maxmemory for the run
	hostileNodeTTL = hostileCTime*1000 + hostileTTL
)

// hostileBigKey is the name of the biggest key (a hash): the first hostile
// name, so that it is named in top keys, families and findings.
var hostileBigKey = hostileNames[hostileBigHash]

// hostileLongKey is the 1 MB key name.
var hostileLongKey = strings.Repeat("A", hostileLongLen)

// hostileValueOf is a value of about n bytes made of hostile names.
func hostileValueOf(i, n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(hostileNames[(i+b.Len())%len(hostileNames)])
	}
	return b.Bytes()[:n]
}

// writeHostileDump writes the hostile dump to path and returns every key
// name it holds. The content is fixed (no randomness); the hash fields of
// the big hash come from a Go map, so their order in the file varies from
// run to run, which changes nothing rdbscope reports about them.
func writeHostileDump(t *testing.T, path string) map[string]bool {
	t.Helper()
	var buf bytes.Buffer
	enc := core.NewEncoder(&buf)
	require.NoError(t, enc.WriteHeader())
	for _, kv := range [][2]string{
		{"redis-ver", "7.0.15"},
		{"redis-bits", "64"},
		{"ctime", strconv.Itoa(hostileCTime)},
		{"used-mem", strconv.Itoa(hostileUsedMem)},
		{"aof-base", "0"},
		// An aux field the tool does not know, with a hostile value.
		{"x-hostile\x1b[31m", hostileNames[0] + hostileNames[11]},
	} {
		require.NoError(t, enc.WriteAux(kv[0], kv[1]))
	}

	keys := map[string]bool{}
	type obj struct {
		key   string
		ttl   bool
		write func(key string, opts ...any) error
	}
	var objs []obj
	add := func(key string, ttl bool, write func(key string, opts ...any) error) {
		require.False(t, keys[key], "duplicate key %q", key)
		keys[key] = true
		objs = append(objs, obj{key, ttl, write})
	}

	// The biggest key: a hash of hostile fields and values, big enough to
	// hold most of the node (big-hash, ttl-starvation).
	big := make(map[string][]byte, hostileFields)
	for i := range hostileFields {
		big[hostileNames[i%len(hostileNames)]+":"+strconv.Itoa(i)] = hostileValueOf(i, hostileValue)
	}
	add(hostileBigKey, false, func(k string, o ...any) error { return enc.WriteHashMapObject(k, big, o...) })

	// The 1 MB key name.
	add(hostileLongKey, false, func(k string, o ...any) error { return enc.WriteStringObject(k, []byte("long"), o...) })

	for i, name := range hostileNames {
		ttl := i%2 == 1
		if i != hostileBigHash {
			add(name, ttl, func(k string, o ...any) error { return enc.WriteStringObject(k, hostileValueOf(i, 100), o...) })
		}
		// A family of keys around each name: name:1, name:2, ...
		for j := range hostileFamily {
			add(name+":"+strconv.Itoa(1000+j), ttl || j > 0, func(k string, o ...any) error {
				return enc.WriteStringObject(k, []byte(name), o...)
			})
		}
		// One field each, so that the encoding is deterministic.
		add("hash:"+name, ttl, func(k string, o ...any) error {
			return enc.WriteHashMapObject(k, map[string][]byte{name: []byte(name)}, o...)
		})
		add("set:"+name, ttl, func(k string, o ...any) error {
			members := [][]byte{[]byte(name)}
			for _, m := range hostileNames {
				if m != name {
					members = append(members, []byte(m))
				}
			}
			return enc.WriteSetObject(k, members, o...)
		})
		add("list:"+name, ttl, func(k string, o ...any) error {
			return enc.WriteListObject(k, [][]byte{[]byte(name), []byte("x"), []byte(name)}, o...)
		})
		add("zset:"+name, ttl, func(k string, o ...any) error {
			var es []*model.ZSetEntry
			for j, m := range hostileNames {
				es = append(es, &model.ZSetEntry{Member: m, Score: float64(j)})
			}
			return enc.WriteZSetObject(k, es, o...)
		})
	}
	withTTL := 0
	for _, o := range objs {
		if o.ttl {
			withTTL++
		}
	}
	// The stream is appended by hand below (see hostileStream).
	streamKey := hostileNames[1] + ":stream"
	keys[streamKey] = true
	require.NoError(t, enc.WriteDBHeader(0, uint64(len(objs)+1), uint64(withTTL)))
	for _, o := range objs {
		var opts []any
		if o.ttl {
			opts = append(opts, core.WithTTL(hostileNodeTTL))
		}
		require.NoError(t, o.write(o.key, opts...), "key %q", o.key)
	}
	require.NoError(t, enc.WriteEnd())

	// The encoder's trailer is Redis's CRC64 (Jones) of everything before
	// it. hdt3213/rdb's stream writer produces listpacks Redis cannot load
	// (no end byte, wrong back-lengths), so the stream is written here and
	// the trailer recomputed the same way.
	out := buf.Bytes()
	body, trailer := out[:len(out)-8], out[len(out)-8:]
	require.Equal(t, byte(0xff), body[len(body)-1], "EOF opcode")
	require.Equal(t, rdbCRC(body), binary.LittleEndian.Uint64(trailer), "the encoder's CRC64")
	dump := append([]byte(nil), body[:len(body)-1]...)
	dump = append(dump, hostileStream(streamKey)...)
	dump = append(dump, 0xff)
	dump = binary.LittleEndian.AppendUint64(dump, rdbCRC(dump))
	require.NoError(t, os.WriteFile(path, dump, 0o644))
	return keys
}

// rdbCRC is the CRC64 (Jones polynomial, reflected) of an RDB file.
func rdbCRC(b []byte) uint64 {
	return ^crc64.Update(^uint64(0), crc64.MakeTable(0x95AC9329AC4BC9B5), b)
}

// rdbLen appends an RDB length.
func rdbLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, 0x40|byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// rdbStr appends a raw RDB string.
func rdbStr(b []byte, s string) []byte {
	return append(rdbLen(b, uint64(len(s))), s...)
}

// listpack builds a Redis listpack of small non-negative integers and
// strings (shorter than 4096 bytes).
func listpack(items ...any) []byte {
	lp := make([]byte, 6)
	for _, it := range items {
		var e []byte
		switch v := it.(type) {
		case int:
			if v < 0 || v > 127 {
				panic("listpack: int out of range")
			}
			e = []byte{byte(v)} // 7-bit unsigned
		case string:
			switch {
			case len(v) < 64:
				e = append([]byte{0x80 | byte(len(v))}, v...)
			case len(v) < 4096:
				e = append([]byte{0xe0 | byte(len(v)>>8), byte(len(v))}, v...)
			default:
				panic("listpack: string too long")
			}
		}
		lp = append(lp, e...)
		// The back-length: the entry's size, 7 bits per byte, read
		// right to left.
		if l := len(e); l < 128 {
			lp = append(lp, byte(l))
		} else {
			lp = append(lp, byte(l>>7), byte(l&127)|128)
		}
	}
	lp = append(lp, 0xff)
	binary.LittleEndian.PutUint32(lp[0:], uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], uint16(len(items)))
	return lp
}

// hostileStream is a stream key (RDB_TYPE_STREAM_LISTPACKS, as Redis 5 to
// 6.2 write it and 7.x still loads it) whose field names, values, consumer
// group and consumer are hostile names.
func hostileStream(key string) []byte {
	const entries = 5
	fields := hostileNames[:4]
	ms := uint64(hostileCTime) * 1000
	// Master entry: count, deleted, field count, fields, terminator; then
	// per entry with the master's fields: flags, ms and seq deltas, the
	// values, and its element count.
	items := []any{entries, 0, len(fields)}
	for _, f := range fields {
		items = append(items, f)
	}
	items = append(items, 0)
	const sameFields = 2
	for j := range entries {
		items = append(items, sameFields, j, 0)
		for range fields {
			items = append(items, hostileNames[(j+4)%len(hostileNames)])
		}
		items = append(items, len(fields)+3)
	}
	var id [16]byte
	binary.BigEndian.PutUint64(id[:8], ms)
	b := []byte{15} // RDB_TYPE_STREAM_LISTPACKS
	b = rdbStr(b, key)
	b = rdbLen(b, 1)
	b = rdbStr(b, string(id[:]))
	b = rdbStr(b, string(listpack(items...)))
	b = rdbLen(b, entries)
	b = rdbLen(rdbLen(b, ms+entries-1), 0) // last ID
	b = rdbLen(b, 1)                       // consumer groups
	b = rdbStr(b, hostileNames[0])
	b = rdbLen(rdbLen(b, ms), 0) // last delivered ID
	b = rdbLen(b, 0)             // PEL
	b = rdbLen(b, 1)             // consumers
	b = rdbStr(b, hostileNames[2])
	b = binary.LittleEndian.AppendUint64(b, ms) // seen time
	b = rdbLen(b, 0)                            // consumer PEL
	return b
}

// TestE2EHostileKeys analyzes the hostile dump with every output at once
// and checks that each output keeps the names as data.
func TestE2EHostileKeys(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "hostile.rdb")
	written := writeHostileDump(t, dump)
	htmlPath := filepath.Join(dir, "report.html")
	jsonPath := filepath.Join(dir, "report.json")
	csvPath := filepath.Join(dir, "keys.csv")
	jsonlPath := filepath.Join(dir, "keys.jsonl")

	code, stdout, stderr := runCLI(t, "analyze", "--html", htmlPath, "--json", jsonPath, "--keys", csvPath,
		"--maxmemory", hostileMaxmem, "--maxmemory-policy", "volatile-lru", dump)
	require.Equal(t, exitOK, code, "stderr: %s\nstdout: %.2000s", stderr, stdout)
	// --keys takes one file: the JSON Lines export is a second run.
	code, _, stderr = runCLI(t, "analyze", "-q", "--keys", jsonlPath, dump)
	require.Equal(t, exitOK, code, stderr)

	// (d) The JSON report is valid, the dump complete and verified, and
	// key names round-trip to the exact bytes written.
	raw, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.True(t, json.Valid(raw), "the JSON report is not valid JSON")
	require.True(t, utf8.Valid(raw), "the JSON report is not valid UTF-8")
	var rep aggregate.Report
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Len(t, rep.Nodes, 1)
	node := rep.Nodes[0]
	assert.True(t, node.Complete, node.Error)
	require.NotNil(t, node.Source)
	assert.Equal(t, "ok", node.Source.Checksum, "the encoder's CRC64 is verified")
	assert.Equal(t, int64(len(written)), node.Keys)
	require.NotEmpty(t, node.TopKeys)
	assert.Equal(t, aggregate.KeyName(hostileBigKey), node.TopKeys[0].Key, "the big hostile hash is the biggest key")
	assert.Equal(t, "hash", node.TopKeys[0].Type)
	// A name over aggregate.MaxProfileKey is held cut, with its length.
	wasWritten := func(k aggregate.KeyInfo) bool {
		if k.KeyLen == 0 {
			return written[string(k.Key)]
		}
		for w := range written {
			if int64(len(w)) == k.KeyLen && strings.HasPrefix(w, string(k.Key)) && len(k.Key) == aggregate.MaxProfileKey {
				return true
			}
		}
		return false
	}
	for _, k := range node.TopKeys {
		assert.True(t, wasWritten(k), "top key %.80q was never written", k.Key)
	}
	for typ, ks := range node.TopByType {
		for _, k := range ks {
			assert.True(t, wasWritten(k), "top %s key %.80q was never written", typ, k.Key)
		}
	}
	// The biggest key is named by the findings (big-hash, and the root
	// cause of ttl-starvation) and its family is the biggest.
	var bigHash, starve *aggregate.Finding
	for i, f := range rep.Findings {
		if f.Key == aggregate.KeyName(hostileBigKey) {
			switch f.Kind {
			case diagnose.KindBigHash:
				bigHash = &rep.Findings[i]
			case diagnose.KindTTLStarvation:
				starve = &rep.Findings[i]
			}
		}
	}
	if assert.NotNil(t, bigHash, "no big-hash finding naming the hostile hash: %+v", rep.Findings) {
		assert.Equal(t, aggregate.SeverityCritical, bigHash.Severity)
	}
	if assert.NotNil(t, starve, "no ttl-starvation finding naming the hostile hash: %+v", rep.Findings) {
		assert.Equal(t, aggregate.SeverityCritical, starve.Severity)
	}
	require.NotNil(t, node.Families)
	require.NotEmpty(t, node.Families.Entries)
	assert.Equal(t, aggregate.KeyName(hostileBigKey), node.Families.Entries[0].Name, "the family of the biggest key leads")
	for _, f := range rep.Findings {
		for _, s := range []string{f.Title, f.Explanation, f.Advice, f.Family} {
			assertPrintable(t, s, "finding "+f.Kind)
		}
		// Family is already in the escaped form; the sentences must name
		// it in that same form, not escaped a second time (`\\x1b`).
		if twice := aggregate.EscapeKey(f.Family); twice != f.Family && len(twice) < 100 &&
			(strings.Contains(f.Title, twice) || strings.Contains(f.Explanation, twice)) {
			t.Errorf("%s finding: the title or explanation shows family %s escaped twice: %s", f.Kind, f.Family, f.Title)
		}
	}

	// JSON Lines: every key once, and nothing else.
	raw, err = os.ReadFile(jsonlPath)
	require.NoError(t, err)
	require.True(t, utf8.Valid(raw))
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		var row struct {
			Node string `json:"node"`
			Key  string `json:"key"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &row), "%.200s", line)
		assertPrintable(t, row.Key, "jsonl key")
		k, err := aggregate.UnescapeKey(row.Key)
		require.NoError(t, err)
		assert.False(t, got[k], "key %q exported twice", k)
		got[k] = true
	}
	assertSameKeys(t, written, got, "jsonl")

	// (c) CSV: no cell a spreadsheet would evaluate, and every key
	// round-trips after one leading ' is stripped.
	f, err := os.Open(csvPath)
	require.NoError(t, err)
	defer f.Close()
	cr := csv.NewReader(f)
	rows, err := cr.ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	assert.Equal(t, []string{"node", "db", "key", "type", "encoding", "memory", "rdb_bytes", "elements", "expires_at",
		"allocated", "family", "slot"}, rows[0])
	got = map[string]bool{}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" {
				assert.NotContains(t, "=+-@\t\r", cell[:1], "CSV cell %.80q would be evaluated", cell)
			}
			assertPrintable(t, cell, "CSV cell")
		}
		cell := strings.TrimPrefix(row[2], "'")
		k, err := aggregate.UnescapeKey(cell)
		require.NoError(t, err, "%.80q", row[2])
		assert.False(t, got[k], "key %q exported twice", k)
		got[k] = true
	}
	assertSameKeys(t, written, got, "csv")
	// The formula keys are written with their guard.
	for _, k := range []string{`=HYPERLINK("http://x")`, "+1", "-1", "@SUM(A1)", "'quoted"} {
		assert.True(t, csvHasKeyCell(rows, "'"+k), "no guarded cell for %q", k)
	}

	// (b) The terminal summary: no control byte but newline and tab, no
	// line/paragraph separator, bidi override or C1 control.
	require.NotEmpty(t, stdout)
	assert.True(t, utf8.ValidString(stdout), "the terminal summary is not valid UTF-8")
	for i, r := range stdout {
		if r == '\n' || r == '\t' {
			continue
		}
		if r < 0x20 || r == 0x7f || aggregateUnsafe(r) {
			t.Errorf("terminal summary has %U at byte %d: %q", r, i, stdout[max(0, i-40):min(len(stdout), i+40)])
			break
		}
	}
	assert.Contains(t, stdout, "big-hash")
	assert.Contains(t, stdout, `\x1b`, "escape bytes are shown visibly")
	assert.Contains(t, stdout, `</script><script>document.title='pwned'</script>`, "the key is shown as it is, as text")
	assert.Less(t, len(stdout), 64<<10, "the 1 MB key is not printed whole")

	// (e) The HTML: valid UTF-8, no raw separators, the 1 MB key shown cut
	// with its length, and the page not much bigger than its runtime.
	page, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	assert.True(t, utf8.Valid(page), "the page is not valid UTF-8")
	for _, r := range []string{"\u2028", "\u2029", "\u202e", "\u2066", "\x1b", "\x00"} {
		assert.NotContains(t, string(page), r, "raw %q in the page", r)
	}
	runtime, err := os.ReadFile(filepath.Join("render", "assets", "echarts.min.js"))
	require.NoError(t, err)
	t.Logf("page %d bytes, runtime %d bytes", len(page), len(runtime))
	assert.Less(t, len(page), len(runtime)+512<<10, "the 1 MB key (or the big hash) bloats the page")
	assert.Contains(t, string(page), strings.Repeat("A", 80)+"… (1,048,576 bytes)", "the 1 MB key is shown cut, with its length")
	assert.NotContains(t, string(page), strings.Repeat("A", 257), "the 1 MB key is shown whole somewhere")
	assert.Contains(t, string(page), `&lt;/script&gt;&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;`)
	// Exactly the scripts the page means to have: one JSON island per
	// chart, the runtime and the static script.
	islands := strings.Count(string(page), `<script type="application/json"`)
	assert.Equal(t, len(e2eChartRE.FindAllString(string(page), -1)), islands, "one island per chart")
	assert.Equal(t, islands+2, strings.Count(string(page), "<script"), "a name opened a script element")
	assert.Equal(t, islands+2, strings.Count(string(page), "</script>"), "a name closed a script element")
	assert.NotContains(t, e2eMarkup(string(page)), "<img", "a name became markup")
	assert.NotContains(t, e2eMarkup(string(page)), "<svg", "a name became markup")
	assert.NotRegexp(t, e2eHandlerRE, e2eMarkup(string(page)), "a name became an event handler")

	// (a) In the browser: no injected script ran, every chart rendered
	// and showed its tooltip, no error.
	t.Run("browser", func(t *testing.T) {
		needChromium(t)
		res := checkPage(t, htmlPath)
		assert.Regexp(t, `^rdbscope report: hostile: [^<]*\(ttl-starvation\) — hash is \d+\.\d% of key memory$`, res.title)
		assert.Contains(t, res.dom, `&lt;/script&gt;&lt;script&gt;document.title='pwned'&lt;/script&gt;`, "the key is shown as text")
		assert.Contains(t, res.dom, `&lt;img src=x onerror="document.body.dataset.pwned=1"&gt;`, "the key is shown as text")
		assert.Contains(t, res.dom, `invalid\xff\xfeutf8\xc3(`)
		assert.Contains(t, res.dom, "… (1,048,576 bytes)")
	})
}

// aggregateUnsafe mirrors the runes EscapeKey escapes although they are
// valid UTF-8: C1 controls, line and paragraph separators, bidi controls.
func aggregateUnsafe(r rune) bool {
	return (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// assertPrintable fails when s is not valid UTF-8 or holds a control
// character or an invisible rune that rearranges text.
func assertPrintable(t *testing.T, s, what string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8: %.80q", what, s)
		return
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || aggregateUnsafe(r) {
			t.Errorf("%s: %U in %.80q", what, r, s)
			return
		}
	}
}

func assertSameKeys(t *testing.T, want, got map[string]bool, what string) {
	t.Helper()
	for k := range want {
		assert.True(t, got[k], "%s: key %.80q missing", what, k)
	}
	for k := range got {
		assert.True(t, want[k], "%s: key %.80q was never written", what, k)
	}
}

func csvHasKeyCell(rows [][]string, cell string) bool {
	for _, r := range rows[1:] {
		if r[2] == cell {
			return true
		}
	}
	return false
}
