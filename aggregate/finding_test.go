package aggregate

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		s    Severity
		name string
	}{{SeverityInfo, "info"}, {SeverityWarning, "warning"}, {SeverityCritical, "critical"}} {
		assert.Equal(t, tt.name, tt.s.String())
		got, err := ParseSeverity(tt.name)
		require.NoError(t, err)
		assert.Equal(t, tt.s, got)
		b, err := json.Marshal(tt.s)
		require.NoError(t, err)
		assert.Equal(t, `"`+tt.name+`"`, string(b))
		var back Severity
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, tt.s, back)
	}
	assert.True(t, SeverityInfo < SeverityWarning && SeverityWarning < SeverityCritical, "ordered least to most severe")
	for _, bad := range []string{"", "none", "Critical", "severe"} {
		_, err := ParseSeverity(bad)
		assert.ErrorContains(t, err, "unknown severity", bad)
		var s Severity
		assert.Error(t, json.Unmarshal([]byte(`"`+bad+`"`), &s), bad)
	}
	_, err := json.Marshal(Finding{})
	assert.ErrorContains(t, err, "invalid severity 0", "a finding without a severity is a bug, not a document")
	assert.Equal(t, "Severity(9)", Severity(9).String())
}

func TestFigures(t *testing.T) {
	figs := Figures{}.Bytes("memory", 3<<20).Share("share", 0.25).Count("keys", 7).
		Ratio("ratio", 1.5).Slot("slot", 12182).UnixMillis("expires_at", 1_700_000_000_000)
	want := map[string]Figure{
		"memory":     {"memory", 3 << 20, UnitBytes},
		"share":      {"share", 0.25, UnitShare},
		"keys":       {"keys", 7, UnitCount},
		"ratio":      {"ratio", 1.5, UnitRatio},
		"slot":       {"slot", 12182, UnitSlot},
		"expires_at": {"expires_at", 1_700_000_000_000, UnitUnixMillis},
	}
	require.Len(t, figs, len(want))
	for name, w := range want {
		got, ok := figs.Get(name)
		require.True(t, ok, name)
		assert.Equal(t, w, got)
	}
	_, ok := figs.Get("nope")
	assert.False(t, ok)

	// A name added again replaces its figure, in place.
	figs = figs.Share("share", 0.5)
	assert.Len(t, figs, len(want))
	got, _ := figs.Get("share")
	assert.Equal(t, 0.5, got.Value)
	assert.Equal(t, "share", figs[1].Name)

	// JSON is an object by name, as the map it replaced wrote it.
	b, err := json.Marshal(figs)
	require.NoError(t, err)
	assert.Equal(t, `{"expires_at":1700000000000,"keys":7,"memory":3145728,"ratio":1.5,"share":0.5,"slot":12182}`, string(b))
	b, err = json.Marshal(Figures{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b))
	b, err = json.Marshal(Figures(nil))
	require.NoError(t, err)
	assert.Equal(t, `null`, string(b))
	_, err = json.Marshal(Figures{}.Ratio("ratio", math.Inf(1)))
	assert.Error(t, err, "as encoding/json refuses an infinite number")

	// Read back: by name, units unknown.
	var back Figures
	require.NoError(t, json.Unmarshal([]byte(`{"share":0.5,"keys":7}`), &back))
	assert.Equal(t, Figures{{"keys", 7, UnitNone}, {"share", 0.5, UnitNone}}, back)
	require.NoError(t, json.Unmarshal([]byte(`null`), &back))
	assert.Nil(t, back)
	assert.Error(t, json.Unmarshal([]byte(`{"keys":"many"}`), &back))

	assert.Equal(t, "bytes", UnitBytes.String())
	assert.Equal(t, "", UnitNone.String())
}

func TestConfigMaxmemoryOf(t *testing.T) {
	var none *Config
	assert.Zero(t, none.MaxmemoryOf("a"))
	c := &Config{Maxmemory: 100, MaxmemoryByNode: map[string]int64{"b": 200, "c": 0}}
	assert.Equal(t, int64(100), c.MaxmemoryOf("a"))
	assert.Equal(t, int64(200), c.MaxmemoryOf("b"))
	assert.Equal(t, int64(0), c.MaxmemoryOf("c"), "a node's own 0 (no limit) wins over every node's")
	s := &Settings{Config: *c}
	assert.Equal(t, int64(200), s.MaxmemoryOf("b"))
	var unknown *Settings
	assert.Zero(t, unknown.MaxmemoryOf("b"), "a report read back from JSON has no settings")
}
