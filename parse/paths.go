package parse

import "sync"

// The ways a key's value takes through the parser, counted so that a run
// shows how much of a dump the decoder still sees (Source.Paths).

// PathCount is how many keys, and how many serialized bytes of them, took
// one way through the parser.
type PathCount struct {
	Keys  int64
	Bytes int64 // Record.RDBBytes
}

// Paths counts the keys of one serialized type and encoding by the way
// their value was described.
type Paths struct {
	// Framed: the value was not needed (Options.SkipDecode), was over
	// Options.MaxKeyBytes, or is a module value: the framer's lengths
	// and counts were all the caller got (Record.Value nil, or the
	// framer's own Value for vector sets).
	Framed PathCount
	// Filled: described from the record's bytes (lengths and
	// integer-ness of every element) without the decoder.
	Filled PathCount
	// Decoded: handed to github.com/hdt3213/rdb, because the filler
	// left it (a zipmap, or bytes the decoder must judge).
	Decoded PathCount
}

func (p *PathCount) add(q PathCount) { p.Keys += q.Keys; p.Bytes += q.Bytes }

func (p *Paths) add(q *Paths) {
	p.Framed.add(q.Framed)
	p.Filled.add(q.Filled)
	p.Decoded.add(q.Decoded)
}

// pathTally is one decoding goroutine's counts, by serialized type byte.
type pathTally [256]Paths

// pathSum merges the goroutines' tallies.
type pathSum struct {
	mu  sync.Mutex
	sum pathTally
}

func (s *pathSum) merge(t *pathTally) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range t {
		s.sum[i].add(&t[i])
	}
}

// byType returns the counts keyed "type/encoding" as Record says them
// (e.g. "hash/listpack"), leaving out those with no key.
func (s *pathSum) byType() map[string]Paths {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Paths{}
	for i := range s.sum {
		p := &s.sum[i]
		if p.Framed.Keys+p.Filled.Keys+p.Decoded.Keys == 0 {
			continue
		}
		typ, enc := typeInfo(byte(i))
		k := typ + "/" + enc
		q := out[k] // several type bytes may share a name (streams)
		q.add(p)
		out[k] = q
	}
	return out
}
