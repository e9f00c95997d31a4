package memmodel

import (
	"encoding/binary"
	"sort"

	"github.com/hdt3213/rdb/model"
	"github.com/rdbscope/rdbscope/parse"
)

// streamRaxBytes is streamRadixTreeMemoryUsage: 16 bytes per element,
// and sizeof(raxNode) (4) plus a flat 30 pointers per node.
func streamRaxBytes(numele, numnodes int64) int64 {
	return numele*16 + numnodes*(4+8*30)
}

func idKey(id *model.StreamId) [16]byte {
	var k [16]byte
	if id != nil {
		binary.BigEndian.PutUint64(k[:8], id.Ms)
		binary.BigEndian.PutUint64(k[8:], id.Sequence)
	}
	return k
}

func sortedKeys(ks [][16]byte) [][16]byte {
	sort.Slice(ks, func(i, j int) bool {
		for b := 0; b < 16; b++ {
			if ks[i][b] != ks[j][b] {
				return ks[i][b] < ks[j][b]
			}
		}
		return false
	})
	// drop duplicates
	out := ks[:0]
	for i, k := range ks {
		if i == 0 || k != out[len(out)-1] {
			out = append(out, k)
		}
	}
	return out
}

func (m *Model) streamSize(r *parse.Record) (int64, string) {
	so, _ := r.Value.(*model.StreamObject)
	if so == nil {
		return 0, encUnknown
	}
	size := m.robj + m.stream
	// listpack nodes: exact sizes from the framer; else estimated.
	keys := make([][16]byte, 0, len(so.Entries))
	for _, e := range so.Entries {
		if e == nil {
			continue
		}
		keys = append(keys, idKey(e.FirstMsgId))
	}
	var lpTotal int64
	if len(r.Blobs) > 0 {
		for _, b := range r.Blobs {
			lpTotal += m.alloc(b.Len)
		}
	} else {
		for _, e := range so.Entries {
			if e != nil {
				lpTotal += m.alloc(streamLPEstimate(e))
			}
		}
	}
	numele := int64(len(keys))
	if len(r.Blobs) > 0 && int64(len(r.Blobs)) != numele {
		numele = int64(len(r.Blobs))
	}
	keys = sortedKeys(keys)
	size += lpTotal + streamRaxBytes(numele, raxNodes(keys))
	for _, g := range so.Groups {
		if g == nil {
			continue
		}
		size += m.streamCG
		pel := make([][16]byte, 0, len(g.Pending))
		for _, p := range g.Pending {
			if p != nil {
				pel = append(pel, idKey(p.Id))
			}
		}
		pel = sortedKeys(pel)
		size += streamRaxBytes(int64(len(pel)), raxNodes(pel)) + m.streamNACK*int64(len(pel))
		for _, c := range g.Consumers {
			if c == nil {
				continue
			}
			size += m.streamConsumer + int64(len(c.Name))
			cp := make([][16]byte, 0, len(c.Pending))
			for _, id := range c.Pending {
				cp = append(cp, idKey(id))
			}
			cp = sortedKeys(cp)
			size += streamRaxBytes(int64(len(cp)), raxNodes(cp))
		}
	}
	return size, encStream
}

// streamLPEstimate approximates a stream listpack node from its entries
// when the framer did not give its size: master entry fields, then per
// entry flags, ms/seq deltas, values (or fields) and lp-count.
func streamLPEstimate(e *model.StreamEntry) int64 {
	size := int64(lpHeader)
	size += 2 + 2 + 2 // count, deleted, master field count
	for _, f := range e.Fields {
		size += lpEntryS(f)
	}
	size += 2 // master terminator
	var base uint64
	if e.FirstMsgId != nil {
		base = e.FirstMsgId.Ms
	}
	for _, msg := range e.Msgs {
		if msg == nil {
			continue
		}
		size += 2 // flags
		var ms, seq int64
		if msg.Id != nil {
			ms = int64(msg.Id.Ms - base)
			seq = int64(msg.Id.Sequence)
		}
		size += lpIntEntry(ms) + lpIntEntry(seq)
		same := len(msg.Fields) == len(e.Fields)
		if same {
			for _, f := range e.Fields {
				if _, ok := msg.Fields[f]; !ok {
					same = false
					break
				}
			}
		}
		if !same {
			size += lpIntEntry(int64(len(msg.Fields)))
		}
		for f, v := range msg.Fields {
			if !same {
				size += lpEntryS(f)
			}
			size += lpEntryS(v)
		}
		size += 2 // lp-count
	}
	return size
}
