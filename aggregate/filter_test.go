package aggregate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Globs read as Redis's SCAN MATCH reads them.
func TestGlob(t *testing.T) {
	cases := []struct {
		glob string
		yes  []string
		no   []string
	}{
		{"user:*", []string{"user:", "user:1", "user:1:profile", "user:\n\xff"}, []string{"users:1", "xuser:1", "User:1"}},
		{"*:cart", []string{"session:9f:cart", ":cart"}, []string{"session:cart:x"}},
		{"a?c", []string{"abc", "a:c", "aéc"}, []string{"ac", "abbc"}},
		{"h[ae]llo", []string{"hallo", "hello"}, []string{"hillo", "hllo"}},
		{"h[^e]llo", []string{"hallo", "hxllo"}, []string{"hello"}},
		{"h[a-c]t", []string{"hat", "hbt", "hct"}, []string{"hdt", "h-t"}},
		{"h[-a]t", []string{"h-t", "hat"}, []string{"hbt"}},
		{`a\*b`, []string{"a*b"}, []string{"axb", `a\*b`}},
		{`a[\]]b`, []string{"a]b"}, []string{"ab"}},
		{"a[b", []string{"a[b"}, []string{"ab"}},
		{"a.b+(c)|d$", []string{"a.b+(c)|d$"}, []string{"aXbb(c)"}},
		{"x[]", nil, []string{"x", "x]", "x[]"}},
		{"", []string{""}, []string{"a"}},
	}
	for _, c := range cases {
		m, err := KeyFilter{Match: []string{c.glob}}.Compile()
		require.NoError(t, err, c.glob)
		for _, k := range c.yes {
			assert.True(t, m.Match(&Key{Key: k}), "%q matches %q", c.glob, k)
		}
		for _, k := range c.no {
			assert.False(t, m.Match(&Key{Key: k}), "%q does not match %q", c.glob, k)
		}
	}
}

func TestKeyFilterMatch(t *testing.T) {
	k := func(db int, key, typ string, mem, exp int64) *Key {
		return &Key{DB: db, Key: key, Type: typ, Memory: mem, ExpiresAt: exp}
	}
	cases := []struct {
		f    KeyFilter
		k    *Key
		want bool
	}{
		{KeyFilter{}, k(3, "x", "hash", 1, 5), true},
		{KeyFilter{Match: []string{"re:^sess"}}, k(0, "session:1", "hash", 1, 0), true},
		{KeyFilter{Match: []string{"re:cart"}}, k(0, "session:1:cart:x", "hash", 1, 0), true},
		{KeyFilter{Match: []string{"re:^cart"}}, k(0, "session:1:cart", "hash", 1, 0), false},
		{KeyFilter{Match: []string{"user:*", "re:^sess"}}, k(0, "session:1", "hash", 1, 0), true},
		{KeyFilter{DBs: []int{1, 2}}, k(0, "a", "hash", 1, 0), false},
		{KeyFilter{DBs: []int{1, 2}}, k(2, "a", "hash", 1, 0), true},
		{KeyFilter{Types: []string{"hash", "zset"}}, k(0, "a", "zset", 1, 0), true},
		{KeyFilter{Types: []string{"hash"}}, k(0, "a", "string", 1, 0), false},
		{KeyFilter{Types: []string{"module"}}, k(0, "a", "module:ReJSON-RL", 1, 0), true},
		{KeyFilter{MinBytes: 100}, k(0, "a", "string", 99, 0), false},
		{KeyFilter{MinBytes: 100}, k(0, "a", "string", 100, 0), true},
		{KeyFilter{NoTTL: true}, k(0, "a", "string", 1, 1700000000000), false},
		{KeyFilter{NoTTL: true}, k(0, "a", "string", 1, 0), true},
		{KeyFilter{Match: []string{"a*"}, DBs: []int{0}, Types: []string{"string"}, MinBytes: 1, NoTTL: true}, k(0, "ab", "string", 1, 0), true},
	}
	for _, c := range cases {
		m, err := c.f.Compile()
		require.NoError(t, err)
		assert.Equal(t, c.want, m.Match(c.k), "%+v on %+v", c.f, *c.k)
	}
	for _, bad := range []KeyFilter{{Match: []string{"re:("}}, {Types: []string{"hashes"}}, {DBs: []int{-1}}, {MinBytes: -1}} {
		_, err := bad.Compile()
		assert.Error(t, err, "%+v", bad)
	}
	_, err := KeyFilter{Match: []string{"re:a(b"}}.Compile()
	assert.EqualError(t, err, `pattern "re:a(b": missing closing ): `+"`a(b`")
	assert.True(t, (&KeyFilter{}).IsZero())
	assert.True(t, (*KeyFilter)(nil).IsZero())
	assert.True(t, (&KeyFilter{DBs: []int{0}}).Equal(&KeyFilter{DBs: []int{0}}))
	assert.False(t, (&KeyFilter{DBs: []int{0}}).Equal(&KeyFilter{DBs: []int{1}}))
	assert.False(t, (&KeyFilter{DBs: []int{0}}).Equal(nil))
}

// The filtered part counts and lists only the selected keys; everything
// else covers every key, and a merge adds the nodes' filtered parts up.
func TestBuilderFiltered(t *testing.T) {
	m, err := KeyFilter{Match: []string{"session:*"}}.Compile()
	require.NoError(t, err)
	opts := DefaultOptions()
	opts.TopN = 2
	opts.Filter = m
	var nodes []*Node
	for _, name := range []string{"a", "b"} {
		b := NewBuilder(name, opts)
		b.Add(&Key{Key: "log:big", Type: "hash", Memory: 1000})
		for i, mem := range []int64{10, 30, 20} {
			b.Add(&Key{Key: "session:" + string(rune('1'+i)), Type: "hash", Memory: mem})
		}
		n := b.Node()
		assert.Equal(t, int64(4), n.Keys)
		assert.Equal(t, "log:big", string(n.TopKeys[0].Key), "the top list is every key's")
		require.NotNil(t, n.Filtered)
		assert.Equal(t, int64(3), n.Filtered.Keys)
		assert.Equal(t, int64(60), n.Filtered.Memory)
		require.Len(t, n.Filtered.TopKeys, 2)
		assert.Equal(t, "session:2", string(n.Filtered.TopKeys[0].Key))
		assert.Equal(t, "session:3", string(n.Filtered.TopKeys[1].Key))
		nodes = append(nodes, n)
	}
	c := Merge("cluster", 3, nodes...)
	require.NotNil(t, c.Filtered)
	assert.Equal(t, int64(6), c.Filtered.Keys)
	assert.Equal(t, int64(120), c.Filtered.Memory)
	require.Len(t, c.Filtered.TopKeys, 3)
	assert.Equal(t, "a", c.Filtered.TopKeys[0].Node)

	// Without a filter, no filtered part, merged or not.
	plain := NewBuilder("p", DefaultOptions()).Node()
	assert.Nil(t, plain.Filtered)
	assert.Nil(t, Merge("c", 3, nodes[0], plain).Filtered)
}
