package parse

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"
)

// This file is the only one that knows the decoder, github.com/hdt3213/rdb:
// it runs it on the framer's chunks, matches each value it decodes to the
// record the framer framed for it, and converts the value to a Value.

var (
	errStopped     = errors.New("parsing stopped")
	errDecoderGone = errors.New("decoder stopped")
	errFramer      = errors.New("framer stopped")
)

// decoderJoin joins the framer, which runs in Parse's goroutine, to the
// decoder, which runs in its own: chunks go one way through ch, and the
// decoder side delivers Records to the caller in file order, building
// those the decoder never sees (see meta.undecoded) from the framer's
// meta alone.
type decoderJoin struct {
	ctx  context.Context
	ch   chan *chunk
	done chan struct{} // closed when the decoder side has ended
	feed feed
	fn   func(*Record) error

	rec     Record
	val     valueBuf
	lastEnd int64 // stream offset after the last record delivered; -1 before the first

	// How the decoder side ended; read only once done is closed.
	fnErr    error // the caller's callback failed
	mismatch error // the decoder returned a key the framer did not frame there
	decErr   error // the decoder failed (or panicked)
}

func newDecoderJoin(ctx context.Context, fn func(*Record) error) *decoderJoin {
	ch := make(chan *chunk, 2)
	j := &decoderJoin{ctx: ctx, ch: ch, done: make(chan struct{}), fn: fn, lastEnd: -1}
	j.feed = feed{ch: ch, drain: j.deliverUndecoded}
	return j
}

// send hands a chunk to the decoder side. It is the framer's
// chunkBuffer.send.
func (j *decoderJoin) send(c *chunk) error {
	select {
	case j.ch <- c:
		return nil
	case <-j.done:
		return errDecoderGone
	case <-j.ctx.Done():
		return j.ctx.Err()
	}
}

// start runs the decoder side.
func (j *decoderJoin) start() {
	go func() {
		defer close(j.done)
		defer func() {
			if r := recover(); r != nil {
				j.decErr = fmt.Errorf("decoder panic: %v", r)
			}
		}()
		j.decErr = core.NewDecoder(&j.feed).WithSpecialOpCode().Parse(j.decoded)
		if j.decErr == nil && j.fnErr == nil && j.mismatch == nil {
			j.deliverUndecoded()
		}
	}()
}

// wait says that no more chunks come and waits for the decoder side to end.
func (j *decoderJoin) wait() {
	close(j.ch)
	<-j.done
}

// queued returns the first record framed and forwarded but not delivered.
// Only after wait.
func (j *decoderJoin) queued() (*meta, bool) { return j.feed.peek() }

// decoded receives each object the decoder returns.
func (j *decoderJoin) decoded(obj model.RedisObject) bool {
	switch obj.(type) {
	case *model.AuxObject, *model.DBSizeObject, *model.FunctionsObject:
		return true // the framer reads these itself
	}
	if !j.deliverUndecoded() {
		return false
	}
	m, ok := j.feed.pop()
	if !ok {
		j.mismatch = fmt.Errorf("the decoder returned key %s which the framer did not frame", strconv.Quote(obj.GetKey()))
		j.feed.stopped = true
		return false
	}
	if k := obj.GetKey(); obj.GetDBIndex() != m.db || len(k) != m.keyLen || hashKey(k) != m.keyHash {
		j.mismatch = fmt.Errorf("the decoder returned key %s in db %d where the framer framed a %d-byte key in db %d at byte %d",
			strconv.Quote(k), obj.GetDBIndex(), m.keyLen, m.db, m.offset)
		j.feed.stopped = true
		return false
	}
	return j.deliver(m, obj)
}

// deliverUndecoded delivers the records at the head of the queue that the
// decoder never sees. It runs when the decoder asks for more bytes and
// before each decoded record: every record before them has been delivered
// by then, so file order holds, and a long run of such records does not
// pile up in the queue.
func (j *decoderJoin) deliverUndecoded() bool {
	for {
		m, ok := j.feed.peek()
		if !ok || !m.undecoded {
			return true
		}
		j.feed.pop()
		if !j.deliver(m, nil) {
			return false
		}
	}
}

// deliver builds the Record of m, with the decoder's obj unless m is
// undecoded, and hands it to the caller.
func (j *decoderJoin) deliver(m *meta, obj model.RedisObject) bool {
	typ, enc := typeInfo(m.typ)
	j.rec = Record{
		DB: m.db, RDBType: m.typ, Type: typ, RDBEncoding: enc,
		ExpiresAt: m.expires, Idle: m.idle, Freq: m.freq,
		Offset: m.offset, RDBBytes: m.size, Elements: m.elements, LongElem: m.longElem,
		Blobs: m.blobs, Warnings: m.warnings,
	}
	if m.undecoded {
		j.rec.Key = m.key
		j.rec.Module = m.module
		j.rec.Value = m.value
	} else {
		j.rec.Key = obj.GetKey()
		j.rec.Value = j.val.set(obj)
		j.rec.Warnings = saturatedCount(m, obj.GetElemCount(), j.rec.Warnings)
	}
	j.lastEnd = m.offset + m.size
	if err := j.fn(&j.rec); err != nil {
		j.fnErr = err
		j.feed.stopped = true
		return false
	}
	return true
}

// feed is the decoder's input: the framer's chunks, in order. It runs in
// the decoder's goroutine and also owns the queue of framed keys, which it
// extends as chunks arrive, so that a key's meta is always queued before
// the decoder can see the key's bytes.
type feed struct {
	ch      <-chan *chunk
	cur     *chunk
	pos     int
	tailErr error
	queue   []meta
	head    int
	stopped bool
	// drain delivers the records at the head of the queue that the
	// decoder never sees (see decoderJoin.deliverUndecoded).
	drain func() bool
}

func (f *feed) Read(p []byte) (int, error) {
	if f.stopped {
		return 0, errStopped
	}
	for f.cur == nil || f.pos >= len(f.cur.data) {
		if f.tailErr != nil {
			return 0, f.tailErr
		}
		c, ok := <-f.ch
		if !ok {
			return 0, io.EOF
		}
		if f.head > 0 && f.head >= len(f.queue)/2 {
			// Drop what was delivered; keep the queue small.
			f.queue = f.queue[:copy(f.queue, f.queue[f.head:])]
			f.head = 0
		}
		f.queue = append(f.queue, c.metas...)
		f.cur, f.pos = c, 0
		if c.err != nil {
			f.tailErr = c.err
		}
		if f.drain != nil && !f.drain() {
			f.stopped = true
			return 0, errStopped
		}
	}
	n := copy(p, f.cur.data[f.pos:])
	f.pos += n
	return n, nil
}

// pop returns the next framed key, if any.
func (f *feed) pop() (*meta, bool) {
	if f.head >= len(f.queue) {
		return nil, false
	}
	m := &f.queue[f.head]
	f.head++
	return m, true
}

func (f *feed) peek() (*meta, bool) {
	if f.head >= len(f.queue) {
		return nil, false
	}
	return &f.queue[f.head], true
}

// maxReused bounds the elements whose storage a valueBuf keeps for the
// next record: one huge value must not pin its memory for the whole dump.
const maxReused = 1 << 16

// valueBuf converts the decoder's objects to Values, reusing storage from
// one record to the next.
type valueBuf struct {
	v      Value
	elems  []Elem
	zset   []ZMember
	hash   []HashField
	stream Stream
}

// set converts obj; the Value is valid until the next call.
func (b *valueBuf) set(obj model.RedisObject) *Value {
	if cap(b.elems) > maxReused {
		b.elems = nil
	}
	if cap(b.zset) > maxReused {
		b.zset = nil
	}
	if cap(b.hash) > maxReused {
		b.hash = nil
	}
	b.v = Value{}
	switch o := obj.(type) {
	case *model.StringObject:
		b.v.String = ElemOf(o.Value)
	case *model.ListObject:
		b.elems = appendElems(b.elems[:0], o.Values)
		b.v.List = b.elems
	case *model.SetObject:
		b.elems = appendElems(b.elems[:0], o.Members)
		b.v.Set = b.elems
	case *model.ZSetObject:
		b.zset = b.zset[:0]
		for _, e := range o.Entries {
			if e != nil {
				b.zset = append(b.zset, ZMember{Member: elemOfString(e.Member), Score: e.Score})
			}
		}
		b.v.ZSet = b.zset
	case *model.HashObject:
		b.hash = b.hash[:0]
		for f, v := range o.Hash {
			// The decoder says 0 (or, for Valkey, a negative time) for
			// fields without a TTL.
			b.hash = append(b.hash, HashField{Field: elemOfString(f), Value: ElemOf(v), ExpiresAt: max(o.FieldExpirations[f], 0)})
		}
		b.v.Hash = b.hash
	case *model.StreamObject:
		b.v.Stream = b.streamOf(o)
	}
	return &b.v
}

func appendElems(dst []Elem, vals [][]byte) []Elem {
	for _, v := range vals {
		dst = append(dst, ElemOf(v))
	}
	return dst
}

func (b *valueBuf) streamOf(o *model.StreamObject) *Stream {
	s := &b.stream
	s.Nodes = s.Nodes[:0]
	if cap(s.Nodes) > maxReused {
		s.Nodes = nil
	}
	for _, e := range o.Entries {
		if e != nil {
			s.Nodes = append(s.Nodes, streamID(e.FirstMsgId))
		}
	}
	s.Groups = nil
	for _, g := range o.Groups {
		if g == nil {
			continue
		}
		sg := StreamGroup{Name: g.Name}
		for _, p := range g.Pending {
			if p != nil {
				sg.Pending = append(sg.Pending, streamID(p.Id))
			}
		}
		for _, c := range g.Consumers {
			if c == nil {
				continue
			}
			sc := StreamConsumer{Name: c.Name, NameLen: int64(len(c.Name))}
			for _, id := range c.Pending {
				sc.Pending = append(sc.Pending, streamID(id))
			}
			sg.Consumers = append(sg.Consumers, sc)
		}
		s.Groups = append(s.Groups, sg)
	}
	return s
}

// streamID converts a decoded ID; a missing one is 0-0.
func streamID(id *model.StreamId) StreamID {
	var k StreamID
	if id != nil {
		binary.BigEndian.PutUint64(k[:8], id.Ms)
		binary.BigEndian.PutUint64(k[8:], id.Sequence)
	}
	return k
}
