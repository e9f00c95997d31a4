package aggregate

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDetectSeparators(t *testing.T) {
	mk := func(names []string, mem int64) []Key {
		out := make([]Key, len(names))
		for i, n := range names {
			out[i] = Key{Key: n, Memory: mem}
		}
		return out
	}
	var colon, rails, dotted, underscore, noSep []string
	for i := 0; i < 300; i++ {
		colon = append(colon, fmt.Sprintf("user:%d:profile", i), fmt.Sprintf("session:%x", i*7919))
		dotted = append(dotted, fmt.Sprintf("metrics.host%d.cpu", i))
		underscore = append(underscore, fmt.Sprintf("cache_%d", i))
		noSep = append(noSep, fmt.Sprintf("k%d", i))
	}
	for i := 0; i < 200; i++ {
		rails = append(rails, fmt.Sprintf("views/products/%d-20240101/%032x", i, i*31))
	}
	railsKeys := append(mk(rails, 1200), mk([]string{"queue:default", "queue:mailers", "rack::attack:1:2", "rack::attack:3:4"}, 2000)...)

	for _, tc := range []struct {
		name string
		keys []Key
		want []string
	}{
		{"colon", mk(colon, 100), []string{":"}},
		{"rails: slash for the cache, colon for the rest", railsKeys, []string{"/", ":"}},
		{"dots only", mk(dotted, 10), []string{"."}},
		{"underscore only", mk(underscore, 10), []string{"_"}},
		{"no separator", mk(noSep, 10), []string{":"}},
		{"empty", nil, []string{":"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, DetectSeparators(tc.keys))
		})
	}
}

// With no --sep the builder detects the separators from the node's keys,
// and families follow them: every Rails cache view is one family.
func TestBuilderDetectsSeparators(t *testing.T) {
	b := NewBuilder("n", DefaultOptions())
	// The sample is the first keys: a dump's keys come in hash order.
	b.Add(&Key{Key: "queue:default", Type: "list", Memory: 50})
	b.Add(&Key{Key: "queue:mailers", Type: "list", Memory: 50})
	for i := 0; i < 5000; i++ {
		b.Add(&Key{Key: fmt.Sprintf("views/products/%d-20240101/%032x", i, i*31), Type: "string", Memory: 1000})
	}
	n := b.Node()
	assert.Equal(t, []string{"/", ":"}, n.Separators)
	require.NotEmpty(t, n.Families.Entries)
	assert.Equal(t, KeyName("views/products/*/*"), n.Families.Entries[0].Name)
	assert.Equal(t, int64(5000), n.Families.Entries[0].Keys)
	assert.Equal(t, int64(5002), n.Keys)

	given := NewBuilder("n", Options{Separators: []string{"|"}})
	given.Add(&Key{Key: "a|1"})
	assert.Equal(t, []string{"|"}, given.Node().Separators)
}
