package parse

import (
	"context"
	"strings"
	"testing"

	"github.com/hdt3213/rdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestElemOf(t *testing.T) {
	for _, tc := range []struct {
		in    string
		isInt bool
		v     int64
	}{
		{"0", true, 0},
		{"-1", true, -1},
		{"123", true, 123},
		{"9223372036854775807", true, 1<<63 - 1},
		{"-9223372036854775808", true, -1 << 63},
		{"", false, 0},
		{"-", false, 0},
		{"-0", false, 0},
		{"01", false, 0},
		{"+1", false, 0},
		{" 1", false, 0},
		{"1 ", false, 0},
		{"1a", false, 0},
		{"9223372036854775808", false, 0},
		{"-9223372036854775809", false, 0},
		{"123456789012345678901", false, 0},
		{"1.5", false, 0},
		{"hello", false, 0},
	} {
		t.Run(tc.in, func(t *testing.T) {
			want := Elem{Len: int64(len(tc.in)), IsInt: tc.isInt, Int: tc.v}
			assert.Equal(t, want, ElemOf([]byte(tc.in)))
			assert.Equal(t, want, elemOfString(tc.in))
		})
	}
}

func TestValueClone(t *testing.T) {
	assert.Nil(t, (*Value)(nil).Clone())
	v := &Value{
		List: []Elem{{Len: 1}},
		Hash: []HashField{{Field: Elem{Len: 2}, ExpiresAt: 7}},
		Stream: &Stream{Nodes: []StreamID{{1}}, Groups: []StreamGroup{{
			Pending:   []StreamID{{2}},
			Consumers: []StreamConsumer{{NameLen: 3, Pending: []StreamID{{4}}}},
		}}},
	}
	c := v.Clone()
	require.Equal(t, v, c)
	// The clone shares nothing with the original.
	v.List[0].Len = 99
	v.Hash[0].ExpiresAt = 99
	v.Stream.Nodes[0][0] = 99
	v.Stream.Groups[0].Pending[0][0] = 99
	v.Stream.Groups[0].Consumers[0].Pending[0][0] = 99
	assert.Equal(t, int64(1), c.List[0].Len)
	assert.Equal(t, int64(7), c.Hash[0].ExpiresAt)
	assert.Equal(t, byte(1), c.Stream.Nodes[0][0])
	assert.Equal(t, byte(2), c.Stream.Groups[0].Pending[0][0])
	assert.Equal(t, byte(4), c.Stream.Groups[0].Consumers[0].Pending[0][0])
}

func sid(ms, seq uint64) StreamID {
	return streamID(&model.StreamId{Ms: ms, Sequence: seq})
}

// TestValueFromDecoder: each kind of decoded object becomes the Value
// that describes it.
func TestValueFromDecoder(t *testing.T) {
	base := &model.BaseObject{}
	e := func(s string) Elem { return ElemOf([]byte(s)) }
	for _, tc := range []struct {
		name string
		obj  model.RedisObject
		want Value
	}{
		{"int string", &model.StringObject{BaseObject: base, Value: []byte("-42")}, Value{String: Elem{Len: 3, IsInt: true, Int: -42}}},
		{"raw string", &model.StringObject{BaseObject: base, Value: []byte("hello")}, Value{String: Elem{Len: 5}}},
		{"list", &model.ListObject{BaseObject: base, Values: [][]byte{[]byte("a"), []byte("7")}}, Value{List: []Elem{e("a"), e("7")}}},
		{"set", &model.SetObject{BaseObject: base, Members: [][]byte{[]byte("1"), []byte("x")}}, Value{Set: []Elem{e("1"), e("x")}}},
		{"zset", &model.ZSetObject{BaseObject: base, Entries: []*model.ZSetEntry{{Member: "m", Score: 1.5}, nil, {Member: "12", Score: -2}}},
			Value{ZSet: []ZMember{{Member: e("m"), Score: 1.5}, {Member: e("12"), Score: -2}}}},
		{"hash with TTLs", &model.HashObject{BaseObject: base, Hash: map[string][]byte{"f": []byte("v")}, FieldExpirations: map[string]int64{"f": 1700000000000}},
			Value{Hash: []HashField{{Field: e("f"), Value: e("v"), ExpiresAt: 1700000000000}}}},
		{"hash, no TTL (Valkey -1)", &model.HashObject{BaseObject: base, Hash: map[string][]byte{"10": []byte("v")}, FieldExpirations: map[string]int64{"10": -1}},
			Value{Hash: []HashField{{Field: e("10"), Value: e("v")}}}},
		{"stream", &model.StreamObject{BaseObject: base,
			Entries: []*model.StreamEntry{{FirstMsgId: &model.StreamId{Ms: 5, Sequence: 1}}, nil, {}},
			Groups: []*model.StreamGroup{nil, {
				Name:      "g1",
				Pending:   []*model.StreamNAck{{Id: &model.StreamId{Ms: 6}}, nil},
				Consumers: []*model.StreamConsumer{nil, {Name: "alice", Pending: []*model.StreamId{{Ms: 6}, nil}}},
			}}},
			Value{Stream: &Stream{Nodes: []StreamID{sid(5, 1), {}}, Groups: []StreamGroup{{
				Name:      "g1",
				Pending:   []StreamID{sid(6, 0)},
				Consumers: []StreamConsumer{{Name: "alice", NameLen: 5, Pending: []StreamID{sid(6, 0), {}}}},
			}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b valueBuf
			assert.Equal(t, tc.want, *b.set(tc.obj).Clone())
		})
	}
	// IDs sort as the server's radix trees do: by ms, then seq.
	assert.Equal(t, StreamID{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2}, sid(256, 2))
}

// A huge value does not pin its storage for the rest of the dump.
func TestValueBufReleasesHugeStorage(t *testing.T) {
	var b valueBuf
	big := make([][]byte, maxReused+1)
	b.set(&model.SetObject{BaseObject: &model.BaseObject{}, Members: big})
	v := b.set(&model.ListObject{BaseObject: &model.BaseObject{}, Values: [][]byte{[]byte("a")}})
	assert.Len(t, v.List, 1)
	assert.LessOrEqual(t, cap(b.elems), maxReused)
}

// Values delivered by Parse describe what the dump holds.
func TestParsedValues(t *testing.T) {
	long := "a-value-longer-than-20-bytes"
	b := newRDB("REDIS0011").byte(opSelectDB).len(0).
		byte(0).str("s").str(long).
		byte(0).str("i").byte(0xC1, 0x39, 0x30). // int16 12345
		byte(1).str("l").len(2).str("x").str("-7").
		byte(5).str("z").len(1).str("m").byte(0, 0, 0, 0, 0, 0, 0xF8, 0x3F). // 1.5
		byte(4).str("h").len(1).str("f").str("v").end()
	got := map[string]Value{}
	_, err := Parse(context.Background(), bytesInput("v.rdb", b), Options{}, func(r *Record) error {
		require.NotNil(t, r.Value, r.Key)
		got[strings.Clone(r.Key)] = *r.Value.Clone()
		return nil
	})
	require.NoError(t, err)
	e := func(s string) Elem { return ElemOf([]byte(s)) }
	assert.Equal(t, map[string]Value{
		"s": {String: Elem{Len: int64(len(long))}},
		"i": {String: Elem{Len: 5, IsInt: true, Int: 12345}},
		"l": {List: []Elem{e("x"), e("-7")}},
		"z": {ZSet: []ZMember{{Member: e("m"), Score: 1.5}}},
		"h": {Hash: []HashField{{Field: e("f"), Value: e("v")}}},
	}, got)
}
