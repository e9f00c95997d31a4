package aggregate

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCRC16(t *testing.T) {
	assert.Equal(t, uint16(0x31C3), crc16("123456789"))
	assert.Equal(t, uint16(0), crc16(""))
}

// crc16 takes 8 bytes at a time: it agrees with the checksum computed
// bit by bit, at every length around the 8-byte steps.
func TestCRC16Slicing(t *testing.T) {
	bitwise := func(s string) uint16 {
		var c uint16
		for i := 0; i < len(s); i++ {
			c ^= uint16(s[i]) << 8
			for range 8 {
				if c&0x8000 != 0 {
					c = c<<1 ^ 0x1021
				} else {
					c <<= 1
				}
			}
		}
		return c
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for n := range 70 {
		for range 20 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rnd.Uint32())
			}
			require.Equal(t, bitwise(string(b)), crc16(string(b)), "%x", b)
		}
	}
}

func TestSlot(t *testing.T) {
	tests := []struct {
		key  string
		want int
	}{
		{"foo", 12182},
		{"bar", 5061},
		{"123456789", 0x31C3 & 16383},
		{"{foo}bar", 12182},      // hash tag
		{"{}foo", Slot("{}foo")}, // empty tag: the whole key
		{"foo{}{bar}", Slot("foo{}{bar}")},
		{"foo{{bar}}zap", Slot("{bar")}, // tag is "{bar"
		{"foo{bar}{zap}", Slot("bar")},  // first tag only
		{"applog:checkout:debug", 13398},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Slot(tt.key), tt.key)
	}
	assert.Equal(t, Slot("{user1000}.following"), Slot("{user1000}.followers"))
	assert.NotEqual(t, Slot("{}foo"), Slot("foo"))
	tag, ok := hashTag("foo{}{bar}")
	assert.False(t, ok)
	assert.Equal(t, "foo{}{bar}", tag)
}

func TestSlotRanges(t *testing.T) {
	assert.Equal(t, []string{"0-5460"}, SlotRanges(seq(0, 5460)))
	assert.Equal(t, []string{"1", "3-4", "7"}, SlotRanges([]int{7, 3, 1, 4}))
	assert.Equal(t, []string{}, SlotRanges(nil))
}

func seq(a, b int) []int {
	var s []int
	for i := a; i <= b; i++ {
		s = append(s, i)
	}
	return s
}

const nodesFile = `86123ecda298a945bf1f0b1bc0e53152cafd49fd 127.0.0.1:7200@17200 master - 0 1700000000000 1 connected 0-5460
eb588596fc3b91523f887df100d0581bb8f570ad 127.0.0.1:7201@17201,host-b master - 0 1700000000000 2 connected 5461-10922
e5ac6c1a63014d777a43ba455b42d326aece4423 127.0.0.1:7202@17202 myself,master - 0 0 3 connected 10923-16383 [10923->-86123ecda298a945bf1f0b1bc0e53152cafd49fd]
aaaa000000000000000000000000000000000000 127.0.0.1:7203@17203 slave e5ac6c1a63014d777a43ba455b42d326aece4423 0 1700000000000 3 connected
vars currentEpoch 3 lastVoteEpoch 0
`

func TestParseClusterNodes(t *testing.T) {
	ns, err := ParseClusterNodes(strings.NewReader(nodesFile))
	require.NoError(t, err)
	require.Len(t, ns, 4)
	assert.Equal(t, 7201, ns[1].Port)
	assert.Equal(t, "host-b", ns[1].Hostname)
	assert.Equal(t, [][2]int{{10923, 16383}}, ns[2].Slots)
	assert.Nil(t, ns[3].Slots)

	tests := []struct {
		name   string
		wantID string
		slots  [][2]int
	}{
		{"node-7202", "e5ac6c1a63014d777a43ba455b42d326aece4423", [][2]int{{10923, 16383}}},
		{"host-b", "eb588596fc3b91523f887df100d0581bb8f570ad", [][2]int{{5461, 10922}}},
		{"86123ecda298a945bf1f0b1bc0e53152cafd49fd", "86123ecda298a945bf1f0b1bc0e53152cafd49fd", [][2]int{{0, 5460}}},
		{"127.0.0.1:7200", "86123ecda298a945bf1f0b1bc0e53152cafd49fd", [][2]int{{0, 5460}}},
		// a replica's dump holds its master's slots
		{"replica-7203", "aaaa000000000000000000000000000000000000", [][2]int{{10923, 16383}}},
		{"node-9999", "", nil},
		{"node", "", nil},
	}
	for _, tt := range tests {
		n, slots, ok := MatchClusterNode(tt.name, ns)
		if tt.wantID == "" {
			assert.False(t, ok, tt.name)
			continue
		}
		require.True(t, ok, tt.name)
		assert.Equal(t, tt.wantID, n.ID, tt.name)
		assert.Equal(t, tt.slots, slots, tt.name)
	}

	// One port on several hosts is ambiguous.
	amb := []ClusterNode{{ID: "a", Addr: "10.0.0.1:6379", Port: 6379}, {ID: "b", Addr: "10.0.0.2:6379", Port: 6379}}
	_, _, ok := MatchClusterNode("node-6379", amb)
	assert.False(t, ok)

	for _, bad := range []string{"", "x y z\n", "id 1.2.3.4:x master - 0 0 1 connected\n", "id 1.2.3.4:1@2 master - 0 0 1 connected 5-2\n",
		"id 1.2.3.4:1@2 master - 0 0 1 connected 0-16384\n"} {
		_, err := ParseClusterNodes(strings.NewReader(bad))
		assert.Error(t, err, bad)
	}
}

func TestLooksLikeCluster(t *testing.T) {
	keys := func(names ...string) []Key {
		out := make([]Key, len(names))
		for i, n := range names {
			out[i] = Key{Key: n}
		}
		return out
	}
	var spread, ranged, tagged, oneTag, manyTags []string
	for i := 0; len(ranged) < 200 || len(spread) < 200; i++ {
		k := "user:" + strconv.Itoa(i)
		if len(spread) < 200 {
			spread = append(spread, k)
		}
		if Slot(k) < NumSlots/3 && len(ranged) < 200 {
			ranged = append(ranged, k)
		}
	}
	for i := 0; i < 200; i++ {
		oneTag = append(oneTag, "{bull}:queue:"+strconv.Itoa(i))
		tagged = append(tagged, "{bull}:job:"+strconv.Itoa(i))
	}
	for i := 0; len(manyTags) < 300; i++ {
		k := "session:{" + strconv.Itoa(i) + "}"
		if Slot(k) >= 2*NumSlots/3 {
			manyTags = append(manyTags, k, "cart:{"+strconv.Itoa(i)+"}")
		}
	}
	assert.False(t, LooksLikeCluster(keys(spread...)), "a standalone server's keys spread over every slot")
	assert.True(t, LooksLikeCluster(keys(ranged...)), "a cluster master holds a third of the slots")
	assert.True(t, LooksLikeCluster(keys(manyTags...)), "many distinct tags in one slot range")
	assert.False(t, LooksLikeCluster(keys(oneTag...)), "one hash tag on every key is no evidence")
	assert.False(t, LooksLikeCluster(keys(append(tagged, ranged[:20]...)...)), "too few independent samples")
	assert.False(t, LooksLikeCluster(keys(ranged[:31]...)))
	in1 := keys(ranged...)
	in1[5].DB = 1
	assert.False(t, LooksLikeCluster(in1), "a key outside db 0")
}

// hottest keeps what a stable sort by memory (then slot) would put first.
func TestHottestAsSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 5, 20, 21, 300} {
		per := make([]SlotStat, n)
		for i := range per {
			per[i] = SlotStat{Slot: i * 3, Keys: 1, Memory: int64(rng.IntN(8))}
		}
		want := slices.Clone(per)
		sort.SliceStable(want, func(i, j int) bool { return want[i].Memory > want[j].Memory })
		want = want[:min(len(want), hottestSlots)]
		assert.Equal(t, want, hottest(per, hottestSlots), "%d slots", n)
	}
}
