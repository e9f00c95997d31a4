package render

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

// Keys and families reach spreadsheets escaped and with the formula guard
// of the per-key export.
func TestCSVExportsEscapeAndGuard(t *testing.T) {
	key := func(name string, mem int64, exp int64) aggregate.KeyInfo {
		return aggregate.KeyInfo{Key: aggregate.KeyName(name), Type: "string", Encoding: "raw", Memory: mem, ExpiresAt: aggregate.Millis(exp)}
	}
	big := key("=cmd|' /C calc'!A0", 900, 0)
	cut := key("plain,\"q\"", 10, 0)
	cut.KeyLen = 1 << 20 // a name the profile holds cut
	n := &aggregate.Node{Name: "n1", TopKeys: []aggregate.KeyInfo{big, key("bin\x00\xff", 500, 1795793540000), cut},
		Families: &aggregate.Groups{Entries: []aggregate.Group{{Name: "@evil:*", Keys: 2, Memory: 1400, Biggest: &big}},
			Other: aggregate.Group{Name: aggregate.OtherGroup, Keys: 1, Memory: 10}}}
	r := &aggregate.Report{Nodes: []*aggregate.Node{n}}

	var b strings.Builder
	require.NoError(t, TopKeysCSV(&b, r))
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		TopKeysHeader,
		// The family is guarded like the key; the slot is the name's.
		{"n1", "1", "0", "'=cmd|' /C calc'!A0", "string", "raw", "900", "0", "0", "", "", "900", "'=cmd|' /C calc'!A0",
			strconv.Itoa(aggregate.Slot("=cmd|' /C calc'!A0"))},
		{"n1", "2", "0", `bin\x00\xff`, "string", "raw", "500", "0", "0", "1795793540000", "", "500", `bin\x00\xff`,
			strconv.Itoa(aggregate.Slot("bin\x00\xff"))},
		// A name held cut has no slot: its first bytes do not tell it.
		{"n1", "3", "0", `plain,"q"`, "string", "raw", "10", "0", "0", "", "1048576", "10", `plain,"q"`, ""},
	}, rows)

	b.Reset()
	require.NoError(t, FamiliesCSV(&b, r))
	rows, err = csv.NewReader(strings.NewReader(b.String())).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		FamiliesHeader,
		{"node", "n1", "'@evil:*", "2", "1400", "0", "0", "0", "'=cmd|' /C calc'!A0", "n1", "900"},
		{"node", "n1", "(other)", "1", "10", "0", "0", "0", "", "", ""},
	}, rows)
}
