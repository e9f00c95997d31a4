package memmodel

import (
	"bytes"
	"slices"

	"github.com/rdbscope/rdbscope/parse"
)

// raxNodes returns the number of nodes of a Redis rax (rax.c) holding the
// given keys, which must be sorted ascending, distinct and of equal length
// (stream IDs: 16 bytes, big-endian ms then seq).
//
// A rax is a radix tree with compressed chains. Inserting without deletions
// yields a node at: the root, every key end, every position with zero or
// several children, and every child of a position with several children.
// Positions inside a single-child, non-key chain live inside a compressed
// node and cost nothing.
func raxNodes(keys []parse.StreamID) int64 {
	if len(keys) == 0 {
		return 1 // raxNew allocates the root
	}
	return raxCount(keys, 0, true)
}

func raxCount(keys []parse.StreamID, depth int, forced bool) int64 {
	if depth == 16 {
		return 1 // key end (leaf)
	}
	// count children (distinct bytes at depth); keys are sorted.
	children := 1
	for i := 1; i < len(keys); i++ {
		if keys[i][depth] != keys[i-1][depth] {
			children++
		}
	}
	var n int64
	if forced || children != 1 {
		n = 1
	}
	start := 0
	for i := 1; i <= len(keys); i++ {
		if i == len(keys) || keys[i][depth] != keys[start][depth] {
			n += raxCount(keys[start:i], depth+1, children >= 2)
			start = i
		}
	}
	return n
}

// raxAlloc is what a rax holding keys allocates, built by insertions
// only (as a load builds it), every key with a value: the rax struct of
// structSize bytes, then one node per boundary of the tree, which are
// the prefixes that are the root, a key, a branching point (several next
// bytes) or a child of a branching point; the positions in between lie
// in the compressed node that starts the chain. A node is a 4-byte
// header, its characters (one per child for a branching node, the
// chain's for a compressed one), padding to 8, a pointer per child (one
// for a chain) and the value pointer of a key. keys must be sorted and
// distinct.
func raxAlloc(keys [][]byte, structSize int64, alloc func(int64) int64) int64 {
	total := alloc(structSize)
	if len(keys) == 0 {
		return total + alloc(raxHdr) // the empty root
	}
	return total + raxWalk(keys, 0, true, alloc)
}

const raxHdr = 4

func ceil8(n int64) int64 { return (n + 7) &^ 7 }

// raxWalk returns the allocation of the subtree of the prefix of length
// depth that all keys share; forced: a node starts at this prefix.
func raxWalk(keys [][]byte, depth int, forced bool, alloc func(int64) int64) int64 {
	isKey := len(keys[0]) == depth
	rest := keys
	if isKey {
		rest = keys[1:]
	}
	children := 0
	for i := range rest {
		if i == 0 || rest[i][depth] != rest[i-1][depth] {
			children++
		}
	}
	val := int64(0)
	if isKey {
		val = 8
	}
	switch {
	case !forced && !isKey && children == 1:
		return raxWalk(rest, depth+1, false, alloc) // inside a chain
	case children == 0:
		return alloc(ceil8(raxHdr) + val)
	case children >= 2:
		total := alloc(ceil8(raxHdr+int64(children)) + 8*int64(children) + val)
		start := 0
		for i := 1; i <= len(rest); i++ {
			if i == len(rest) || rest[i][depth] != rest[start][depth] {
				total += raxWalk(rest[start:i], depth+1, true, alloc)
				start = i
			}
		}
		return total
	}
	// One child: a compressed node holding the chain up to the next
	// boundary (a key ends or the keys part).
	d := depth + 1
	for {
		if len(rest[0]) == d || rest[0][d] != rest[len(rest)-1][d] {
			break
		}
		d++
	}
	return alloc(ceil8(raxHdr+int64(d-depth))+8+val) + raxWalk(rest, d, true, alloc)
}

// sortedBytes sorts byte strings and drops duplicates, in place.
func sortedBytes(ks [][]byte) [][]byte {
	slices.SortFunc(ks, bytes.Compare)
	return slices.CompactFunc(ks, bytes.Equal)
}

// idKeys returns the byte views of stream IDs (sorted and distinct).
func idKeys(ids []parse.StreamID) [][]byte {
	out := make([][]byte, len(ids))
	for i := range ids {
		out[i] = ids[i][:]
	}
	return out
}
