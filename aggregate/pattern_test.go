package aggregate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPattern(t *testing.T) {
	tests := []struct {
		key, want string
		seps      []string
	}{
		{"user:1000123:reminded", "user:*:reminded", nil},
		{"user:1000999:reminded", "user:*:reminded", nil},
		{"user:{1000123}:reminded", "user:{*}:reminded", nil},
		{"cache:0430357e1364cbb4f0939a8a4d81896ccfb5fefb", "cache:*", nil},
		{"cache:0430357e1364cbb4f0939a8a4d81896ccfb5fefb:etag", "cache:*:etag", nil},
		{"cache:{29f938d9b4fb4b761160bd51dbf9fabfe7084812}:etag", "cache:{*}:etag", nil},
		{"session:0012a996-94cd-439c-8e17-71f4b0203660", "session:*", nil},
		{"session:{0332557c-d470-49dc-a601-b71cbe49a291}", "session:{*}", nil},
		{"rank:daily:2026-11-27", "rank:daily:*", nil},
		{"rank:daily:20261127", "rank:daily:*", nil},
		{"rank:weekly:2025w2", "rank:weekly:2025w2", nil},
		{"rank:game:102", "rank:game:*", nil},
		{"rank:region:apac:3", "rank:region:apac:*", nil},
		{"rank:alltime", "rank:alltime", nil},
		{"uv:20261127:home", "uv:*:home", nil},
		{"uv:2026-11-26:search", "uv:*:search", nil},
		{"ratelimit:10.1.2.3:28930211", "ratelimit:*:*", nil},
		{"lock:job:billing-run:1", "lock:job:billing-run:*", nil},
		{"lock:job:send-digest:12", "lock:job:send-digest:*", nil},
		{"post:123:likers", "post:*:likers", nil},
		{"post:{5000005}:likers", "post:{*}:likers", nil},
		{"applog:checkout:debug", "applog:checkout:debug", nil},
		{"asset:manifest:v1", "asset:manifest:v1", nil},
		{"i18n:strings:en", "i18n:strings:en", nil},
		{"counter:signups:20261125", "counter:signups:*", nil},
		{"feed:{1000023}", "feed:{*}", nil},
		{"job:8000000", "job:*", nil},
		{"{events:orders}", "{events:orders}", nil},
		{"{push}:tokens:all", "{push}:tokens:all", nil},
		{"{user1000}.following", "{user*}.following", nil},
		{"order-12345", "order-*", nil},
		{"img:deadbeef", "img:deadbeef", nil},
		{"img:cafe1234", "img:*", nil},
		{"tok:AbC123xYz456QwErTy", "tok:*", nil},
		{"ulid:01ARZ3NDEKTSV4RRFFQ69G5FAV", "ulid:*", nil},
		{"event:2026-11-27T14:44:03Z", "event:*:*:*", nil},
		{"utf-8:v2", "utf-8:v2", nil},
		{"k8s:pods", "k8s:pods", nil},
		{"a::b", "a::b", nil},
		{"", "", nil},
		{":", ":", nil},
		{"{}", "{}", nil},
		{"plainkey", "plainkey", nil},
		{"12345", "*", nil},
		{"user_1000123_profile", "user_*_profile", []string{":", "_"}},
		{"user:1000123_profile", "user:*_profile", []string{":", "_"}},
		{"app::1234::name", "app::*::name", []string{"::"}},
		{"bad\xff\x00:123", "bad\xff\x00:*", nil},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			assert.Equal(t, tt.want, Pattern(tt.key, tt.seps...))
		})
	}
}

func TestPrefixEnd(t *testing.T) {
	sp := newSplitter(nil)
	tests := []struct {
		key  string
		want []string // depth 1, 2, 3
	}{
		{"user:1000:reminded", []string{"user:", "user:1000:", "user:1000:"}},
		{"a:b:c:d:e", []string{"a:", "a:b:", "a:b:c:"}},
		{"session:abc", []string{"session:", "session:", "session:"}},
		{"config", []string{"config", "config", "config"}},
		{"trail:", []string{"trail:", "trail:", "trail:"}},
		{"", []string{"", "", ""}},
	}
	ends := make([]int, 3)
	for _, tt := range tests {
		prefixEnds(tt.key, sp, ends)
		for d := 1; d <= 3; d++ {
			assert.Equal(t, tt.want[d-1], tt.key[:ends[d-1]], "%q depth %d", tt.key, d)
		}
	}
}

func BenchmarkPattern(b *testing.B) {
	sp := newSplitter(nil)
	var buf []byte
	for i := 0; b.Loop(); i++ {
		buf = appendPattern(buf[:0], "user:{1000123}:reminded", sp)
	}
	_ = buf
}

// TestNoPanicOnArbitraryKeys feeds random bytes through every per-key path.
func TestNoPanicOnArbitraryKeys(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("::__{}}{-.0123456789abcdefXYZ\x00\xff ")
	opts := DefaultOptions()
	opts.Separators = []string{":", "::", "_", "{"}
	opts.GroupCapacity = 16
	b := NewBuilder("n", opts)
	for range 20000 {
		k := make([]byte, rnd.IntN(40))
		for i := range k {
			k[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		key := string(k)
		assert.NotPanics(t, func() {
			Pattern(key, opts.Separators...)
			b.Add(&Key{Key: key, Type: "string", Memory: int64(rnd.IntN(100))})
			_, _ = ParseClusterNodes(strings.NewReader(key))
		})
	}
	assertTotals(t, b.Node())
}

// The per-key export names a key's family as the node's profile does.
func TestFamilyNamerMatchesProfile(t *testing.T) {
	b := NewBuilder("n", DefaultOptions())
	keys := []string{"user:1000:profile", "user:1001:profile", "cache/views/products/17", "cache/views/products/18", "plain",
		"x" + strings.Repeat("y", MaxProfileKey+10) + ":1"}
	var sample []Key
	for i, k := range keys {
		key := Key{Key: k, Type: "string", Encoding: "raw", Memory: int64(100 + i)}
		b.Add(&key)
		sample = append(sample, key)
	}
	n := b.Node()
	namer := NewFamilyNamer(DetectSeparators(sample))
	assert.Equal(t, n.Separators, DetectSeparators(sample))
	for _, k := range keys {
		fam := string(namer.Family(k))
		assert.NotNil(t, n.Families.Find(fam), "family %.40q of %.40q is in the profile", fam, k)
	}
}

// The separators a keyItem holds (splitter.cuts) give the family and the
// prefix ends that scanning the key gives, whatever the key and the
// separators; keys of too many separators, and longer separators, are
// left to the scan.
func TestCutsMatchScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "ab:/#._-{}01234567"
	sepSets := [][]string{nil, {":"}, {":", "/"}, {"/", "#", "."}, {"::"}, {":", "->"}}
	for n := 0; n < 20000; n++ {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		key := string(b)
		seps := sepSets[n%len(sepSets)]
		sp := newSplitter(seps)
		var at [maxCuts]uint16
		nat, ok := sp.cuts(key, &at)
		if !ok {
			assert.True(t, !sp.single || strings.Count(key, ":")+strings.Count(key, "/")+strings.Count(key, "#")+strings.Count(key, ".") > maxCuts, "%q %q", key, seps)
			continue
		}
		assert.Equal(t, string(appendPattern(nil, key, sp)), string(appendPatternCuts(nil, key, at[:nat])), "%q %q", key, seps)
		for depth := 1; depth <= 4; depth++ {
			want, got := make([]int, depth), make([]int, depth)
			prefixEnds(key, sp, want)
			prefixEndsCuts(key, at[:nat], got)
			assert.Equal(t, want, got, "%q %q", key, seps)
		}
	}
}
