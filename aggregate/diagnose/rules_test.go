package diagnose

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

func TestRulesSetters(t *testing.T) {
	r := DefaultRules()
	require.NoError(t, r.SetMaxmemory("1gb"))
	require.NoError(t, r.SetMaxmemory("node-7202=2gb"))
	assert.Equal(t, int64(1<<30), r.MaxmemoryOf("node-7200"))
	assert.Equal(t, int64(2<<30), r.MaxmemoryOf("node-7202"))
	require.NoError(t, r.SetPolicy("Volatile-LRU"))
	assert.Equal(t, "volatile-lru", r.Policy)

	// Errors quote the value and never name a flag: the command line
	// says which flag it came from, once.
	for _, tt := range []struct {
		err  error
		want string
	}{
		{r.SetMaxmemory("=1gb"), `empty node name in "=1gb"`},
		{r.SetMaxmemory("node=lots"), `size "lots": want a number of bytes`},
		{r.SetMaxmemory("2zb"), `size "2zb": unknown unit "zb"`},
		{r.SetPolicy("volatile-sometimes"), `unknown maxmemory-policy "volatile-sometimes" (want one of noeviction,`},
	} {
		require.Error(t, tt.err)
		assert.Contains(t, tt.err.Error(), tt.want)
		assert.NotContains(t, tt.err.Error(), "--")
	}
	assert.Equal(t, int64(1<<30), r.Maxmemory, "a bad value changes nothing")
}

// TestRulesFromServer: a node's own configuration fills in what the
// flags left unknown, never what they set.
func TestRulesFromServer(t *testing.T) {
	r := DefaultRules()
	require.NoError(t, r.SetMaxmemory("a=1gb"))
	require.NoError(t, r.FromServer("a", 5<<30, "allkeys-lru"))
	require.NoError(t, r.FromServer("b", 2<<30, "volatile-lru"))
	require.NoError(t, r.FromServer("", 3<<30, ""))
	require.NoError(t, r.FromServer("c", 0, ""))
	assert.Equal(t, int64(1<<30), r.MaxmemoryOf("a"), "the flag wins")
	assert.Equal(t, int64(2<<30), r.MaxmemoryOf("b"))
	assert.Equal(t, int64(3<<30), r.MaxmemoryOf("c"), "no limit in a node's file leaves the default")
	assert.Equal(t, "allkeys-lru", r.Policy, "the first policy given")
	r2 := DefaultRules()
	assert.Error(t, r2.FromServer("", 0, "sometimes"))
}

func TestRulesSettings(t *testing.T) {
	r := DefaultRules()
	require.NoError(t, r.SetMaxmemory("1gb"))
	require.NoError(t, r.SetMaxmemory("b=2gb"))
	r.Policy = "allkeys-lru"
	r.ClusterNodesFile = "nodes.txt"
	s := r.Settings()
	assert.Equal(t, int64(2<<30), s.MaxmemoryOf("b"))
	assert.Equal(t, int64(1<<30), s.MaxmemoryOf("a"))
	assert.Equal(t, "allkeys-lru", s.Policy)
	assert.Equal(t, "nodes.txt", s.ClusterNodesFile)
	for _, tt := range []struct {
		name  string
		value float64
		unit  aggregate.Unit
	}{
		{"big_hash_share", 0.2, aggregate.UnitShare},
		{"big_key_bytes", 16 << 20, aggregate.UnitBytes},
		{"big_key_elements", 100_000, aggregate.UnitCount},
		{"near_maxmemory", 0.8, aggregate.UnitShare},
		{"skew_ratio", 1.5, aggregate.UnitRatio},
		{"missing_ttl_min_keys", 10, aggregate.UnitCount},
	} {
		f, ok := s.Thresholds.Get(tt.name)
		require.True(t, ok, tt.name)
		assert.Equal(t, tt.value, f.Value, tt.name)
		assert.Equal(t, tt.unit, f.Unit, tt.name)
	}
	assert.Len(t, s.Thresholds, 10, "one figure per threshold")
}

func TestIsBigKey(t *testing.T) {
	r := DefaultRules()
	for _, tt := range []struct {
		name    string
		k       aggregate.KeyInfo
		nodeMem int64
		want    bool
	}{
		{"small", aggregate.KeyInfo{Memory: 1 << 20, Elements: 10}, 100 << 20, false},
		{"bytes", aggregate.KeyInfo{Memory: 16<<20 + 1}, 1 << 40, true},
		{"at the bytes threshold", aggregate.KeyInfo{Memory: 16 << 20}, 1 << 40, false},
		{"elements", aggregate.KeyInfo{Memory: 100, Elements: 100_001}, 1 << 40, true},
		{"share", aggregate.KeyInfo{Memory: 3 << 20}, 10 << 20, true},
		{"share of a node under the floor", aggregate.KeyInfo{Memory: 300 << 10}, 1000 << 10, false},
	} {
		assert.Equal(t, tt.want, r.IsBigKey(&tt.k, tt.nodeMem), tt.name)
	}
}

func TestFailOn(t *testing.T) {
	fs := []aggregate.Finding{{Severity: aggregate.SeverityInfo}, {Severity: aggregate.SeverityWarning}}
	for _, tt := range []struct {
		level aggregate.Severity
		want  bool
	}{{0, false}, {aggregate.SeverityInfo, true}, {aggregate.SeverityWarning, true}, {aggregate.SeverityCritical, false}} {
		assert.Equal(t, tt.want, FailOn(fs, tt.level), tt.level)
	}
	assert.False(t, FailOn(nil, aggregate.SeverityInfo))
}
