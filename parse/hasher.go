package parse

import (
	"crypto/sha256"
	"hash"
	"sync/atomic"
)

// asyncHash computes the SHA-256 of the stored bytes in a goroutine of
// its own, so that hashing (about half a second per GB) is not on the
// framer's path: Write copies the bytes into blocks that the goroutine
// hashes while the framer goes on. Small inputs never start it.
type asyncHash struct {
	h       hash.Hash
	cur     []byte      // block being filled
	full    chan []byte // blocks to hash, in order
	free    chan []byte // hashed blocks, for reuse
	done    chan struct{}
	started bool
	aborted atomic.Bool
}

const (
	hashBlock  = 256 << 10
	hashBlocks = 4 // blocks in flight at most: bounds the memory
)

func newAsyncHash() *asyncHash { return &asyncHash{h: sha256.New()} }

// Write takes p for hashing; it never fails.
func (a *asyncHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if a.cur == nil {
			a.cur = a.block()
		}
		c := copy(a.cur[len(a.cur):cap(a.cur)], p)
		a.cur = a.cur[:len(a.cur)+c]
		p = p[c:]
		if len(a.cur) == cap(a.cur) {
			a.send()
		}
	}
	return n, nil
}

// block returns an empty block: the first one is made here, the others
// are the goroutine's, back once hashed.
func (a *asyncHash) block() []byte {
	if !a.started {
		return make([]byte, 0, hashBlock)
	}
	return (<-a.free)[:0]
}

// send hands the full block over, starting the goroutine the first time.
func (a *asyncHash) send() {
	if !a.started {
		a.started = true
		a.full = make(chan []byte, hashBlocks)
		a.free = make(chan []byte, hashBlocks)
		a.done = make(chan struct{})
		for range hashBlocks - 1 {
			a.free <- make([]byte, 0, hashBlock)
		}
		go a.run()
	}
	a.full <- a.cur
	a.cur = nil
}

func (a *asyncHash) run() {
	defer close(a.done)
	for b := range a.full {
		if !a.aborted.Load() {
			a.h.Write(b)
		}
		a.free <- b
	}
}

// Sum returns the hash of everything written. It ends the goroutine.
func (a *asyncHash) Sum() []byte {
	if a.started {
		if len(a.cur) > 0 {
			a.send()
		}
		close(a.full)
		<-a.done
		a.started = false
	} else if len(a.cur) > 0 {
		a.h.Write(a.cur)
	}
	a.cur = nil
	return a.h.Sum(nil)
}

// abort ends the goroutine without finishing the hash (a parse that
// stopped early has no use for it). Safe after Sum.
func (a *asyncHash) abort() {
	if !a.started {
		return
	}
	a.aborted.Store(true)
	close(a.full)
	<-a.done
	a.started = false
}
