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
	if m.embedKey {
		// Valkey 8.1+ counts its radix trees as allocated.
		return m.robj + m.streamBody(r, so, false), encStream
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

// raxStruct is sizeof(rax): Valkey 8.1 added the allocation counter.
func (m *Model) raxStruct() int64 {
	if m.embedKey {
		return 32
	}
	return 24
}

// raxOfIDs is the allocation of a rax keyed by stream IDs.
func (m *Model) raxOfIDs(ids []parse.StreamID) int64 {
	return raxAlloc(idKeys(sortedKeys(slices.Clone(ids))), m.raxStruct(), m.alloc)
}

// raxOfNames is the allocation of a rax keyed by names.
func (m *Model) raxOfNames(names []string) int64 {
	ks := make([][]byte, len(names))
	for i, n := range names {
		ks[i] = []byte(n)
	}
	return raxAlloc(sortedBytes(ks), m.raxStruct(), m.alloc)
}

// streamBody is what a stream allocates besides its object: the stream
// struct, the radix tree of its listpack nodes and the nodes, and per
// consumer group its struct, pending entries (a rax and a NACK each) and
// consumers (struct, name, pending rax). real adds what Valkey 8.1+'s
// MEMORY USAGE leaves out and what Redis's has no notion of: the radix
// trees of group and consumer names, and consumer names as allocated.
func (m *Model) streamBody(r *parse.Record, so *parse.Stream, real bool) int64 {
	size := m.alloc(m.stream) + m.raxOfIDs(so.Nodes)
	for _, b := range r.Blobs {
		size += m.alloc(b.Len)
	}
	if real && len(so.Groups) > 0 {
		names := make([]string, len(so.Groups))
		for i, g := range so.Groups {
			names[i] = g.Name
		}
		size += m.raxOfNames(names)
	}
	for _, g := range so.Groups {
		size += m.alloc(m.streamCG) + m.raxOfIDs(g.Pending) + int64(len(g.Pending))*m.alloc(m.streamNACK)
		if real {
			names := make([]string, len(g.Consumers))
			for i, c := range g.Consumers {
				names[i] = c.Name
			}
			size += m.raxOfNames(names)
		}
		for _, c := range g.Consumers {
			name := c.NameLen
			if real {
				name = m.sds(c.NameLen)
			}
			size += m.alloc(m.streamConsumer) + name + m.raxOfIDs(c.Pending)
		}
	}
	return size
}

// streamAllocExtra is what the server really allocates for a stream's
// value beyond what MEMORY USAGE reports. Redis <= 8.0 and Valkey 8.0
// count every rax node as 244 bytes (a flat 30 pointers) while real
// nodes take 16-48 bytes; a stream with many pending entries is
// over-counted 4-7 times (docs/memory-model.md, "Streams").
func (m *Model) streamAllocExtra(r *parse.Record, mu int64) int64 {
	if r.Value == nil || r.Value.Stream == nil || len(r.Blobs) == 0 && len(r.Value.Stream.Nodes) > 0 {
		return 0
	}
	return m.alloc(m.robj) + m.streamBody(r, r.Value.Stream, true) - mu
}
