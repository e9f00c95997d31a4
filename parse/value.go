package parse

import "slices"

// Value is a decoded value, described by what the server's memory
// depends on rather than by its bytes: for each string in it, its length
// and, when it is an integer in canonical form, that integer. This does
// not depend on how the value was decoded, and the framer knows it for
// every string it reads, so it can fill a Value itself where it reads every
// element anyway (strings, plain lists, sets, zsets and hashes).
//
// One field is set, the one of Record.Type. A Value and its slices are
// valid only during the callback that receives its Record; they are
// reused for the next one.
type Value struct {
	String Elem        // TypeString
	List   []Elem      // TypeList: elements from head to tail
	Set    []Elem      // TypeSet: members
	ZSet   []ZMember   // TypeZSet: members with their scores
	Hash   []HashField // TypeHash: each field once, in no particular order
	Stream *Stream     // TypeStream

	// VectorSet is set for a Redis 8 vector set (TypeModule, module
	// "vectorset"), whose RDB form the framer reads itself: the decoder
	// does not read module values.
	VectorSet *VectorSet
}

// Elem describes one string of a value.
type Elem struct {
	Len int64 // length in bytes
	// IsInt reports that the string is the canonical decimal form of a
	// 64-bit signed integer: at most 20 bytes, no sign but '-', no leading
	// zeros, no spaces ("0", "-17", not "007", "+1" or "-0"). The server
	// holds such strings as integers where it can (string2ll).
	IsInt bool
	Int   int64 // the integer, if IsInt
}

// ZMember is one member of a sorted set.
type ZMember struct {
	Member Elem
	Score  float64
}

// HashField is one field of a hash.
type HashField struct {
	Field, Value Elem
	// ExpiresAt is the field's absolute expiry in Unix milliseconds for
	// hashes with field TTLs (EncHashEx, EncListpackEx); 0 = none.
	ExpiresAt int64
}

// Stream is what a stream's memory depends on besides its listpack nodes
// (whose sizes are Record.Blobs): the keys of its radix trees.
type Stream struct {
	Nodes  []StreamID // master entry ID of each listpack node, in dump order
	Groups []StreamGroup
}

// StreamID is a stream entry ID as the server keys its radix trees with
// it: milliseconds then sequence number, both big-endian, so that byte
// order is ID order.
type StreamID [16]byte

// StreamGroup is one consumer group of a stream.
type StreamGroup struct {
	// Name is the group's name: the server keeps groups (and a group's
	// consumers) in radix trees keyed by name, whose size depends on the
	// names' bytes.
	Name      string
	Pending   []StreamID // the group's pending entries list
	Consumers []StreamConsumer
}

// StreamConsumer is one consumer of a consumer group.
type StreamConsumer struct {
	Name    string     // its name
	NameLen int64      // length of its name
	Pending []StreamID // its own pending entries list
}

// VectorSet describes a vector set (Redis 8's vectorset module type) by
// what its memory depends on: its index parameters and, for each element
// in dump order, the lengths of its strings and the size of its graph
// node. Dump order is the saving server's node list from its head, the
// newest element first; a server that loads the dump inserts each node at
// the head, so it ends up with the reverse order.
type VectorSet struct {
	Dim      int64 // dimensions of the stored vectors
	InputDim int64 // dimensions before the random projection (VADD REDUCE); 0 without one
	Quant    int   // quantization: 0 none (float32), 1 int8 (Q8), 2 binary
	M        int64 // HNSW M: links per node and layer (twice as many at layer 0)
	Nodes    []VectorNode
	// Layers holds, node after node, the link capacity (max_links) of
	// each layer of each node: Nodes[i] owns Level+1 entries from
	// Nodes[i].FirstLayer.
	Layers []uint32
}

// VectorNode is one element of a vector set.
type VectorNode struct {
	Item       int64 // length of the element's name
	Attr       int64 // length of its JSON attribute; 0 = none
	Vector     int64 // bytes of its stored vector
	Level      int   // its highest graph layer (0 for most nodes)
	FirstLayer int   // index in VectorSet.Layers of its layer 0
}

// Clone returns a deep copy of v, for a caller that keeps a value past
// its callback.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := &Value{
		String: v.String,
		List:   slices.Clone(v.List),
		Set:    slices.Clone(v.Set),
		ZSet:   slices.Clone(v.ZSet),
		Hash:   slices.Clone(v.Hash),
	}
	if v.Stream != nil {
		s := &Stream{Nodes: slices.Clone(v.Stream.Nodes)}
		for _, g := range v.Stream.Groups {
			cg := StreamGroup{Name: g.Name, Pending: slices.Clone(g.Pending)}
			for _, con := range g.Consumers {
				cg.Consumers = append(cg.Consumers, StreamConsumer{Name: con.Name, NameLen: con.NameLen, Pending: slices.Clone(con.Pending)})
			}
			s.Groups = append(s.Groups, cg)
		}
		c.Stream = s
	}
	if v.VectorSet != nil {
		vs := *v.VectorSet
		vs.Nodes = slices.Clone(vs.Nodes)
		vs.Layers = slices.Clone(vs.Layers)
		c.VectorSet = &vs
	}
	return c
}

// ElemOf describes the string b.
func ElemOf(b []byte) Elem {
	v, ok := canonicalInt(b)
	return Elem{Len: int64(len(b)), IsInt: ok, Int: v}
}

// elemOfString is ElemOf for a string.
func elemOfString(s string) Elem {
	v, ok := canonicalInt(s)
	return Elem{Len: int64(len(s)), IsInt: ok, Int: v}
}

// canonicalInt reports whether b is the canonical decimal form of an
// int64, exactly as Redis's string2ll accepts it. It never allocates.
func canonicalInt[T ~string | ~[]byte](b T) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true // -(1<<63) wraps correctly
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
