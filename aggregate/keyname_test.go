package aggregate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapeKeyRoundTrip(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"user:1:x", "user:1:x"},
		{"a\\b", `a\\b`},
		{"nul\x00byte", `nul\x00byte`},
		{"\xff\xfe", `\xff\xfe`},
		{"esc\x1b[2J", `esc\x1b[2J`},
		{"ls\u2028x", `ls\xe2\x80\xa8x`},
		{"bidi\u202ex", `bidi\xe2\x80\xaex`},
		{"héllo", "héllo"},
		{`literal \x41`, `literal \\x41`},
	}
	for _, c := range cases {
		got := EscapeKey(c.raw)
		assert.Equal(t, c.want, got, "%q", c.raw)
		back, err := UnescapeKey(got)
		require.NoError(t, err)
		assert.Equal(t, c.raw, back)
	}
	_, err := UnescapeKey(`bad \q`)
	assert.Error(t, err)
}

func TestCutEscaped(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
		cut  bool
	}{
		{"short", 10, "short", false},
		{strings.Repeat("a", 8) + `\xff`, 10, strings.Repeat("a", 8), true},
		{"aaaaaaa" + `\\` + "b", 8, "aaaaaaa", true},
		{"aaaaaaa" + `\\` + "b", 9, "aaaaaaa" + `\\`, true},
		{"aaaaaaaé", 8, "aaaaaaa", true},
	}
	for _, c := range cases {
		got, cut := CutEscaped(c.in, c.n)
		assert.Equal(t, c.want, got, c.in)
		assert.Equal(t, c.cut, cut, c.in)
		_, err := UnescapeKey(got)
		assert.NoError(t, err)
	}
}

// A huge key name is cut in the profile, flagged with its full length,
// and still counted in the right slot.
func TestHugeKeyNameCut(t *testing.T) {
	b := NewBuilder("n", DefaultOptions())
	name := "{tag}" + strings.Repeat("x", 1<<20)
	b.Add(&Key{Key: name, Type: "string", Encoding: "raw", Memory: 2 << 20})
	n := b.Node()
	require.Len(t, n.TopKeys, 1)
	assert.Len(t, string(n.TopKeys[0].Key), MaxProfileKey)
	assert.Equal(t, int64(len(name)), n.TopKeys[0].KeyLen)
	assert.LessOrEqual(t, len(string(n.Families.Entries[0].Name)), MaxProfileKey)
	require.Len(t, n.Slots.PerSlot, 1)
	assert.Equal(t, Slot(name), n.Slots.PerSlot[0].Slot)
}
