package aggregate

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTypeTotalsJSON checks that TypeTotals writes the bytes the map it
// replaced wrote, indented or not, and reads them back.
func TestTypeTotalsJSON(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]KeysMemory
		ts   TypeTotals
	}{
		{"nil", nil, nil},
		{"empty", map[string]KeysMemory{}, TypeTotals{}},
		{"one", map[string]KeysMemory{"hash": {Keys: 1, Memory: 2}},
			TypeTotals{{Type: "hash", KeysMemory: KeysMemory{Keys: 1, Memory: 2}}}},
		{"unsorted, allocated, escaped", map[string]KeysMemory{"zset": {Keys: 3, Memory: 4, Allocated: 5}, "module:<x>&\"": {Keys: 1}, "hash": {}},
			TypeTotals{
				{Type: "zset", KeysMemory: KeysMemory{Keys: 3, Memory: 4, Allocated: 5}},
				{Type: "module:<x>&\"", KeysMemory: KeysMemory{Keys: 1}},
				{Type: "hash"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type holder struct {
				ByType any `json:"by_type"`
			}
			want, err := json.MarshalIndent(holder{tt.m}, "  ", "  ")
			require.NoError(t, err)
			got, err := json.MarshalIndent(holder{tt.ts}, "  ", "  ")
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))

			var back struct {
				ByType TypeTotals `json:"by_type"`
			}
			require.NoError(t, json.Unmarshal(got, &back))
			assert.Equal(t, tt.ts == nil, back.ByType == nil)
			for _, v := range tt.ts {
				assert.Equal(t, v.KeysMemory, back.ByType.Get(v.Type))
			}
			assert.Len(t, back.ByType, len(tt.ts))
		})
	}
}

// TestTypeTotalsAdd checks that Add sums per type and keeps the list
// sorted, and that a clone is independent.
func TestTypeTotalsAdd(t *testing.T) {
	var ts TypeTotals
	for _, a := range []struct {
		t string
		v KeysMemory
	}{
		{"string", KeysMemory{Keys: 1, Memory: 10}},
		{"hash", KeysMemory{Keys: 2, Memory: 20}},
		{"zset", KeysMemory{Keys: 3, Memory: 30}},
		{"hash", KeysMemory{Keys: 1, Memory: 5, Allocated: 8}},
		{"list", KeysMemory{Keys: 1, Memory: 1}},
	} {
		ts.Add(a.t, a.v)
	}
	assert.Equal(t, TypeTotals{
		{Type: "hash", KeysMemory: KeysMemory{Keys: 3, Memory: 25, Allocated: 8}},
		{Type: "list", KeysMemory: KeysMemory{Keys: 1, Memory: 1}},
		{Type: "string", KeysMemory: KeysMemory{Keys: 1, Memory: 10}},
		{Type: "zset", KeysMemory: KeysMemory{Keys: 3, Memory: 30}},
	}, ts)
	assert.Equal(t, KeysMemory{}, ts.Get("stream"))

	c := ts.Clone()
	c.Add("hash", KeysMemory{Keys: 100})
	assert.Equal(t, int64(3), ts.Get("hash").Keys)
	assert.Equal(t, int64(103), c.Get("hash").Keys)
	assert.Nil(t, TypeTotals(nil).Clone())
}
