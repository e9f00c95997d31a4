package memmodel

import "github.com/rdbscope/rdbscope/parse"

// Vector sets (Redis 8's vectorset module type): an HNSW graph whose
// nodes hold a vector, a link array per layer and the element's name and
// attribute strings, plus a radix tree from names to nodes. MEMORY USAGE
// asks the module, which computes rather than measures (see
// docs/memory-model.md, "Vector sets"); both it and what the graph really
// allocates follow from the structure the framer reads (parse.VectorSet).

// Sizes of the vector set module's structs in Redis 8.0 (x86-64).
const (
	vsetObject    = 112 // struct vsetObject
	vsetHNSW      = 1672
	vsetNode      = 312 // hnswNode without its layers
	vsetNodeLayer = 24
	vsetNodeValue = 16 // element and attribute pointers
	vsetSample    = 20 // elements the module looks at to average string sizes
)

// moduleString is what a loaded module string (a string object)
// allocates: one block up to 44 bytes, else the object and an sds.
func (m *Model) moduleString(n int64) int64 {
	if n <= embstrLimit {
		return m.alloc(m.robj + 3 + n + 1)
	}
	return m.robj + m.sds(n)
}

// layerLinks is the link capacity of a node's layer l once loaded: the
// default (2M at layer 0, M above), or the dump's when it is larger.
func layerLinks(vs *parse.VectorSet, saved uint32, l int) int64 {
	def := vs.M
	if l == 0 {
		def *= 2
	}
	return max(def, int64(saved))
}

// vectorSet is MEMORY USAGE of a vector set: the module's estimate
// (structs, a node and a vector per element, 4/3 layers per node, the
// head node's layer-0 links for every node plus a third of half as many
// for upper layers, the element and attribute strings averaged over the
// first 20 nodes of the list, 16 bytes per element for the dictionary),
// then the key as for any value. A loading server inserts every element
// at the head of its list, so its first nodes are the last in the dump.
func (m *Model) vectorSet(r *parse.Record) int64 {
	vs := r.Value.VectorSet
	key := m.keyBytes(r, encRaw)
	size := int64(vsetObject + vsetHNSW)
	if vs.InputDim > 0 {
		size += 4 * vs.InputDim * vs.Dim
	}
	n := int64(len(vs.Nodes))
	if n == 0 {
		return size + key
	}
	head := vs.Nodes[n-1]
	size += n*vsetNode + n*head.Vector
	size += (vsetNodeLayer * n) * 4 / 3
	l0 := layerLinks(vs, vs.Layers[head.FirstLayer], 0)
	size += 8 * l0 * n
	size += (8 * (l0 / 2) * n) / 3
	var items, itemN, attrs, attrN, numAttrs int64
	for i := n - 1; i >= 0; i-- {
		e := vs.Nodes[i]
		if e.Attr > 0 {
			numAttrs++
		}
		if i >= n-vsetSample {
			items += m.moduleString(e.Item)
			itemN++
			if e.Attr > 0 {
				attrs += m.moduleString(e.Attr)
				attrN++
			}
		}
	}
	size += items / itemN * n
	if attrN == 0 {
		attrs, attrN = 64, 1
	}
	size += attrs / attrN * numAttrs
	size += 16 * n
	return size + key
}

// vectorSetAlloc is what a vector set's value really allocates: the
// object and its module wrapper, the structs, per element its node with
// its layers, vector, link arrays, value pair and strings, and the
// dictionary from names to nodes. The dictionary is a radix tree whose
// size depends on the names' bytes, which the model does not have: each
// name is taken as a leaf (16 bytes) and a compressed node holding it
// whole, an upper bound for names that share prefixes.
func (m *Model) vectorSetAlloc(vs *parse.VectorSet) int64 {
	size := m.alloc(m.robj) + m.alloc(16) + m.alloc(vsetObject) + m.alloc(vsetHNSW) + m.alloc(24)
	if vs.InputDim > 0 {
		size += m.alloc(4 * vs.InputDim * vs.Dim)
	}
	for _, e := range vs.Nodes {
		size += m.alloc(vsetNode+vsetNodeLayer*int64(e.Level+1)) + m.alloc(e.Vector) + m.alloc(vsetNodeValue)
		for l := 0; l <= e.Level && e.FirstLayer+l < len(vs.Layers); l++ {
			size += m.alloc(8 * layerLinks(vs, vs.Layers[e.FirstLayer+l], l))
		}
		size += m.moduleString(e.Item)
		if e.Attr > 0 {
			size += m.moduleString(e.Attr)
		}
		size += m.alloc(16) + m.alloc(ceil8(raxHdr+e.Item)+8)
	}
	return size
}
