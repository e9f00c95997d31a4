package memmodel

import "github.com/rdbscope/rdbscope/parse"

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
