package memmodel

import (
	"slices"
	"sort"

	"github.com/rdbscope/rdbscope/parse"
)

// streamRaxBytes is streamRadixTreeMemoryUsage: 16 bytes per element,
// and sizeof(raxNode) (4) plus a flat 30 pointers per node.
func streamRaxBytes(numele, numnodes int64) int64 {
	return numele*16 + numnodes*(4+8*30)
}

// sortedKeys sorts ks in place and drops duplicates: the keys of a radix
// tree.
func sortedKeys(ks []parse.StreamID) []parse.StreamID {
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
	if r.Value == nil || r.Value.Stream == nil {
		return 0, encUnknown
	}
	so := r.Value.Stream
	if len(r.Blobs) == 0 && len(so.Nodes) > 0 {
		// The listpack nodes' sizes come from the framer: without them
		// the value is sized as if it had not been decoded.
		if v, enc, ok := m.undecoded(r); ok {
			return v, enc
		}
		return 0, encUnknown
	}
	size := m.robj + m.stream
	var lpTotal int64
	for _, b := range r.Blobs {
		lpTotal += m.alloc(b.Len)
	}
	numele := int64(len(so.Nodes))
	if len(r.Blobs) > 0 && int64(len(r.Blobs)) != numele {
		numele = int64(len(r.Blobs))
	}
	keys := sortedKeys(slices.Clone(so.Nodes))
	size += lpTotal + streamRaxBytes(numele, raxNodes(keys))
	for _, g := range so.Groups {
		size += m.streamCG
		pel := sortedKeys(slices.Clone(g.Pending))
		size += streamRaxBytes(int64(len(pel)), raxNodes(pel)) + m.streamNACK*int64(len(pel))
		for _, c := range g.Consumers {
			size += m.streamConsumer + c.NameLen
			cp := sortedKeys(slices.Clone(c.Pending))
			size += streamRaxBytes(int64(len(cp)), raxNodes(cp))
		}
	}
	return size, encStream
}
