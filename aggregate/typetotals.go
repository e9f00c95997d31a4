package aggregate

import (
	"bytes"
	"encoding/json"
	"sort"
)

// TypeTotals is a group's keys and memory by data type: a short list
// sorted by type name. It reads and writes as the JSON object a map would,
// {"hash": {"keys": …, "memory": …}, …}.
//
// A list rather than a map because a profile holds one per family, prefix
// and hash tag entry, tens of thousands per node, and nearly all of them
// have one or two types: a map costs ~300 bytes each, this ~40 per type.
// A nil TypeTotals writes as null, an empty one as {}.
type TypeTotals []TypeTotal

// TypeTotal is the keys and memory of one data type in a TypeTotals.
type TypeTotal struct {
	Type string
	KeysMemory
}

// Get returns the keys and memory of type t (zero if there are none).
func (ts TypeTotals) Get(t string) KeysMemory {
	for _, v := range ts {
		if v.Type == t {
			return v.KeysMemory
		}
	}
	return KeysMemory{}
}

// Add adds v to type t, keeping the list sorted by type.
func (ts *TypeTotals) Add(t string, v KeysMemory) {
	s := *ts
	i := sort.Search(len(s), func(i int) bool { return s[i].Type >= t })
	if i < len(s) && s[i].Type == t {
		s[i].Keys += v.Keys
		s[i].Memory += v.Memory
		s[i].Allocated += v.Allocated
		return
	}
	s = append(s, TypeTotal{})
	copy(s[i+1:], s[i:])
	s[i] = TypeTotal{Type: t, KeysMemory: v}
	*ts = s
}

// Clone returns a copy that shares no memory with ts, so that adding to
// one leaves the other alone.
func (ts TypeTotals) Clone() TypeTotals {
	if ts == nil {
		return nil
	}
	return append(make(TypeTotals, 0, len(ts)), ts...)
}

// MarshalJSON writes ts as an object keyed by type, in the order
// encoding/json gives a map's keys.
func (ts TypeTotals) MarshalJSON() ([]byte, error) {
	if ts == nil {
		return []byte("null"), nil
	}
	s := ts
	if !sort.SliceIsSorted(s, func(i, j int) bool { return s[i].Type < s[j].Type }) {
		s = ts.Clone()
		sort.Slice(s, func(i, j int) bool { return s[i].Type < s[j].Type })
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(v.Type)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		e, err := json.Marshal(v.KeysMemory)
		if err != nil {
			return nil, err
		}
		b.Write(e)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object MarshalJSON writes.
func (ts *TypeTotals) UnmarshalJSON(data []byte) error {
	var m map[string]KeysMemory
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	if m == nil {
		*ts = nil
		return nil
	}
	s := make(TypeTotals, 0, len(m))
	for t, v := range m {
		s = append(s, TypeTotal{Type: t, KeysMemory: v})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].Type < s[j].Type })
	*ts = s
	return nil
}
