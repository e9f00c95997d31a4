// Package memmodel estimates the memory Redis (and Valkey) account for
// each key of an RDB dump: what MEMORY USAGE key SAMPLES 0 returns on a
// server loaded from that dump, and the encoding the value gets on load.
// See docs/memory-model.md.
package memmodel

import (
	"strconv"
	"strings"

	"github.com/rdbscope/rdbscope/parse"
)

// Version identifies the model's formulas and constants; it is printed in
// reports so that numbers from different rdbscope builds can be compared.
const Version = "memmodel-2"

// flavor of server.
const (
	redis  = "redis"
	valkey = "valkey"
)

// Model is the memory model of one server line (e.g. redis-7.2). It is
// immutable and safe for concurrent use.
type Model struct {
	name   string
	flavor string
	ver    int // major*100 + minor

	// Configuration the server is assumed to run with (the defaults).
	hashMaxEntries, hashMaxValue int64
	setMaxIntset                 int64
	setMaxLPEntries, setMaxLPVal int64 // 0: no listpack sets (< 7.2)
	zsetMaxEntries, zsetMaxValue int64
	lpLists                      bool // single-node quicklists become listpacks (7.2+)

	// Struct sizes.
	robj           int64
	dictStruct     int64
	dictEntry      int64
	quicklist      int64
	quicklistNode  int64
	stream         int64
	streamCG       int64
	streamConsumer int64
	streamNACK     int64
	listpackEx     int64

	quantum8 bool    // allocator has 8-byte spaced small classes
	cluster  bool    // cluster mode (per-key slot bookkeeping)
	zslNode  float64 // expected skiplist node allocation

	keyInEntry bool // valkey 8: the key sds is embedded in the db dictEntry
	kvstore    bool // 7.4+/valkey 8: per-slot dicts in cluster mode

	// Valkey 8.1+: the key is embedded in the value's object, and sets,
	// hashes, zsets and the keyspace use the open-addressing hashtable.
	embedKey bool
	keyV9    bool      // Valkey 9: MEMORY USAGE counts the whole key object; embstr up to 128-byte objects
	htStruct int64     // sizeof(hashtable): 72 on Valkey 8.1, 80 on 9.x
	zslV9    []float64 // Valkey 9 expected skiplist node by element length (see zslNodeValkey9)

	// Configuration (defaults unless WithConfig).
	cfg           Config
	listFill      int64 // list-max-listpack-size
	compressDepth int64 // list-compress-depth

	// Redis 8.2+: the key is embedded in its object (kvobj), with 8-byte
	// metadata slots (the expire) in front, and MEMORY USAGE reports what
	// the key's object and value allocate.
	kvobj bool

	unvalidated bool // derived from the sources only: no server of the line was measured
}

// Name returns the model name, e.g. "redis-7.2".
func (m *Model) Name() string { return m.name }

var known = []struct {
	name   string
	flavor string
	ver    int
}{
	{"redis-6.2", redis, 602},
	{"redis-7.0", redis, 700},
	{"redis-7.2", redis, 702},
	{"redis-7.4", redis, 704},
	{"redis-8.0", redis, 800},
	{"redis-8.2", redis, 802},
	{"valkey-7.2", valkey, 702},
	{"valkey-8.0", valkey, 800},
	{"valkey-8.1", valkey, 801},
	{"valkey-9.0", valkey, 900},
	{"valkey-9.1", valkey, 901},
}

// notValidated is the model note of lines written from the sources of a
// server that could not be run here.
const notValidated = "derived from the server's sources, not validated against a server"

func newModel(name, flavor string, ver int) *Model {
	m := &Model{
		name: name, flavor: flavor, ver: ver,
		hashMaxEntries: 512, hashMaxValue: 64,
		setMaxIntset:   512,
		zsetMaxEntries: 128, zsetMaxValue: 64,
		robj:           16,
		dictStruct:     56,
		dictEntry:      24,
		quicklist:      40,
		quicklistNode:  40, // sz became size_t in 7.0
		stream:         80,
		streamCG:       40,
		streamConsumer: 24,
		streamNACK:     24,
		listpackEx:     32,
		listFill:       -2,
	}
	if ver >= 702 {
		m.setMaxLPEntries, m.setMaxLPVal = 128, 64
		m.lpLists = true
		m.streamConsumer = 32
	}
	if ver < 700 {
		m.dictStruct = 96
		m.stream = 40
		m.streamCG = 32
		m.quicklistNode = 32
	}
	if ver >= 704 || flavor == valkey && ver >= 800 {
		m.kvstore = true
	}
	if flavor == valkey && ver == 800 {
		m.keyInEntry = true
	}
	if flavor == valkey && ver >= 801 {
		m.embedKey = true
		m.htStruct = 72
		if ver >= 900 {
			m.keyV9 = true
			m.htStruct = 80
		}
		m.unvalidated = ver == 900
	}
	// Redis's and Valkey's bundled jemalloc is built with
	// --with-lg-quantum=3. Distribution packages link the system
	// libjemalloc (16-byte quantum) instead; the 6.2 and 7.0 lines are
	// mostly run from such packages (Debian 12, Ubuntu 22.04/24.04), so
	// their models assume it. "+q8"/"+q16" in --redis-version overrides.
	if flavor == redis && ver >= 802 {
		m.kvobj = true
		m.unvalidated = true
	}
	m.quantum8 = !(flavor == redis && ver <= 700)
	m.sizeTables()
	return m
}

// sizeTables precomputes the expected skiplist node sizes, which depend
// on the allocator.
func (m *Model) sizeTables() {
	m.zslNode = m.expectedZslNode()
	m.zslV9 = nil
	if m.keyV9 {
		m.zslV9 = make([]float64, 256)
		for l := range m.zslV9 {
			m.zslV9[l] = m.expectedZslNodeWith(17 + sdsHdrValkey8(int64(l)) + int64(l) + 1)
		}
	}
}

// alloc is the allocator's usable size for a request of n bytes.
func (m *Model) alloc(n int64) int64 {
	if m.quantum8 {
		return jemallocSizeQ8(n)
	}
	return jemallocSize(n)
}

// slack is what the allocator adds to a request of n bytes.
func (m *Model) slack(n int64) int64 { return m.alloc(n) - n }

// WithCluster returns a copy of the model for a cluster-mode node. Redis
// 7.4+ dumps say so themselves (SLOT_INFO), and ForSource sets it; for
// older servers the caller has to know (e.g. a --cluster flag).
func (m *Model) WithCluster(on bool) *Model {
	c := *m
	c.cluster = on
	return &c
}

// withQuantum returns a copy using the given allocator quantum (8 or 16).
func (m *Model) withQuantum(q int) *Model {
	c := *m
	c.quantum8 = q == 8
	c.sizeTables()
	return &c
}

// ForSource chooses the model for a dump. override is the --redis-version
// flag ("7.0", "7.2.4", "valkey-8.0", "redis-7.4"); when empty the model is
// chosen from the dump's redis-ver aux field, its magic and RDB version.
// The returned note is non-empty when the choice is a fallback.
func ForSource(src *parse.Source, override string) (*Model, string) {
	var m *Model
	var note string
	spec, quantum := splitQuantum(override)
	if spec != "" {
		flavor, ver, ok := parseVersion(spec)
		if ok {
			m, note = pick(flavor, ver, spec)
		} else {
			m, note = fromDump(src)
			note = joinNotes("cannot read --redis-version "+strconv.Quote(override), note)
		}
	} else {
		m, note = fromDump(src)
	}
	if quantum != 0 {
		m = m.withQuantum(quantum)
	}
	if src != nil && src.SlotInfos > 0 {
		m = m.WithCluster(true)
	}
	return m, note
}

// splitQuantum takes a "+q8" / "+q16" allocator suffix off a version.
func splitQuantum(s string) (string, int) {
	s = strings.TrimSpace(s)
	l := strings.ToLower(s)
	switch {
	case strings.HasSuffix(l, "+q8"):
		return s[:len(s)-3], 8
	case strings.HasSuffix(l, "+q16"):
		return s[:len(s)-4], 16
	}
	return s, 0
}

func joinNotes(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

func fromDump(src *parse.Source) (*Model, string) {
	if src == nil {
		return byName("redis-7.2"), "no dump header, using the redis-7.2 model"
	}
	flavor := redis
	if strings.EqualFold(src.Magic, "VALKEY") {
		flavor = valkey
	}
	if v, ok := src.Aux["valkey-ver"]; ok && v != "" {
		if _, ver, ok := parseVersion(v); ok {
			return pick(valkey, ver, "valkey "+v)
		}
	}
	if src.RedisVersion != "" {
		if f, ver, ok := parseVersion(src.RedisVersion); ok {
			if f == valkey {
				flavor = valkey
			}
			// Redis 8.0 milestones report 7.9.x.
			if flavor == redis && ver >= 709 && ver < 800 {
				ver = 800
			}
			return pick(flavor, ver, src.RedisVersion)
		}
	}
	// No usable version: guess from the RDB format version.
	var ver int
	switch {
	case src.RDBVersion <= 0:
		ver = 702
	case src.RDBVersion <= 9:
		ver = 602
	case src.RDBVersion == 10:
		ver = 700
	case src.RDBVersion == 11:
		ver = 702
	case src.RDBVersion == 12:
		ver = 704
	case src.RDBVersion == 13:
		ver = 806
	case flavor == valkey && src.RDBVersion == 80:
		ver = 901
	default:
		ver = 800
	}
	m, _ := pick(flavor, ver, "")
	return m, "dump has no redis-ver, RDB version " + strconv.Itoa(src.RDBVersion) + ": using the " + m.name + " model"
}

// parseVersion reads "7.2.4", "7.0", "valkey-8.0", "redis-7.4.1", "v7.2".
func parseVersion(s string) (flavor string, ver int, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	flavor = redis
	for _, p := range []string{"valkey-", "valkey ", "valkey"} {
		if strings.HasPrefix(s, p) {
			flavor = valkey
			s = s[len(p):]
			break
		}
	}
	for _, p := range []string{"redis-", "redis ", "redis"} {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	s = strings.TrimPrefix(s, "v")
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 1 {
		return "", 0, false
	}
	maj, err := strconv.Atoi(parts[0])
	if err != nil || maj < 0 || maj > 1000 {
		return "", 0, false
	}
	minor := 0
	if len(parts) > 1 {
		// tolerate "0-m01", "2-rc1"
		mp := parts[1]
		if i := strings.IndexAny(mp, "-+ "); i >= 0 {
			mp = mp[:i]
		}
		minor, err = strconv.Atoi(mp)
		if err != nil || minor < 0 || minor > 99 {
			return "", 0, false
		}
	}
	return flavor, maj*100 + minor, true
}

func byName(name string) *Model {
	for _, k := range known {
		if k.name == name {
			return newModel(k.name, k.flavor, k.ver)
		}
	}
	return nil
}

// pick returns the model of the newest known line not newer than ver (or
// the oldest one), with a note unless the line matches exactly.
func pick(flavor string, ver int, asked string) (*Model, string) {
	if flavor == valkey && ver < 800 {
		// Valkey 7.2 is Redis 7.2.4 renamed.
		m := byName("valkey-7.2")
		if ver == 702 {
			return m, ""
		}
		return m, "unknown version " + describe(flavor, ver, asked) + ", using the valkey-7.2 model"
	}
	best := -1
	oldest := -1
	for i, k := range known {
		if k.flavor != flavor {
			continue
		}
		if oldest < 0 || k.ver < known[oldest].ver {
			oldest = i
		}
		if k.ver <= ver && (best < 0 || k.ver > known[best].ver) {
			best = i
		}
	}
	if best < 0 {
		best = oldest
	}
	k := known[best]
	m := newModel(k.name, k.flavor, k.ver)
	if k.ver == ver {
		if m.unvalidated {
			return m, "model " + m.name + " " + notValidated
		}
		return m, ""
	}
	// 6.0 and older are closest to 6.2; 7.1/7.3 are not releases.
	return m, "unknown version " + describe(flavor, ver, asked) + ", using the " + k.name + " model"
}

func describe(flavor string, ver int, asked string) string {
	if asked != "" {
		return asked
	}
	return flavor + "-" + strconv.Itoa(ver/100) + "." + strconv.Itoa(ver%100)
}

// ClusterKeyBytes is what cluster mode adds to every key's MEMORY USAGE:
// the slot-to-keys links (clusterDictEntryMetadata, two pointers) that
// Redis 7.0-7.2 and Valkey 7.2 keep in the db dictEntry and that MEMORY
// USAGE adds as dictMetadataSize. 0 elsewhere: Redis 6.2 keeps slot-to-key
// in a separate rax, Redis 7.4+ and Valkey 8 one dict per slot (kvstore),
// none of which MEMORY USAGE counts. It lets a caller that learns only
// later that a node belongs to a cluster correct estimates made without.
func (m *Model) ClusterKeyBytes() int64 {
	if m.ver >= 700 && m.ver < 704 && !m.kvstore && !m.keyInEntry {
		return 16
	}
	return 0
}

// NeedsValue reports whether Estimate needs a key's decoded value, given
// what framing alone tells: its type, serialized encoding and element
// count. Packed containers that load as they are stored (listpacks,
// intsets, quicklist nodes) are sized from their blob lengths; anything
// that Redis converts on load, or builds element by element, needs the
// elements. Callers may skip decoding when it returns false.
func (m *Model) NeedsValue(typ, enc string, elements int64) bool {
	switch {
	case typ == parse.TypeSet && enc == parse.EncIntset:
		return elements > m.setMaxIntset
	case typ == parse.TypeSet && enc == parse.EncListpack:
		if m.setMaxLPEntries > 0 {
			return elements > m.setMaxLPEntries
		}
		return elements > 128
	case typ == parse.TypeHash && enc == parse.EncListpack:
		return elements > m.hashMaxEntries
	case typ == parse.TypeHash && enc == parse.EncListpackEx:
		return m.ver < 704 || elements > m.hashMaxEntries
	case typ == parse.TypeZSet && enc == parse.EncListpack:
		return elements > m.zsetMaxEntries
	case typ == parse.TypeList && enc == parse.EncQuicklist2:
		return false
	}
	return true
}
