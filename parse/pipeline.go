package parse

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The framer's chunks of whole records are the unit of work after it:
// decoding goroutines (workers) turn each chunk's records into Records,
// with their Values (fill.go, or the decoder for the few it leaves), and
// run the caller's per-key work on them; the records then reach the
// caller's callback in file order.
//
// With one worker (Parse), the worker calls the callback itself, chunk
// after chunk. With several (ParseWith), they work on chunks side by
// side and a deliverer hands the records to the callback in file order:
// the framer queues each chunk for both, in order, and the deliverer
// waits for each chunk's workers to be done with it.

// maxInFlight bounds the chunks between the framer and the callback per
// worker: enough to keep every worker busy while the deliverer waits for
// the oldest.
const maxInFlight = 3

// runner is one parse's decoding side.
type runner[T any] struct {
	ctx    context.Context
	path   string
	f      *framer // read-only once the header is framed: decHeader, valkey
	prep   func(*Record, *T)
	fn     func(*Record, *T) error
	inline bool // one worker, which calls fn itself

	work  chan *chunk // to the workers
	order chan *chunk // to the deliverer, in file order; nil when inline
	free  chan *chunk // delivered chunks, for the framer to reuse

	spare atomic.Pointer[[]byte] // the biggest chunk buffer delivered, up to maxSpare

	stop     chan struct{} // closed when the decoding side stops early
	stopOnce sync.Once
	wg       sync.WaitGroup

	framed    atomic.Int64 // records the framer queued
	delivered atomic.Int64 // records fn received
	paths     pathSum      // the workers' path counts, merged as they end

	// How the decoding side ended; read only after wait.
	fnErr  error // the caller's callback failed
	recErr error // a record could not be decoded (an *Error naming it)
}

func newRunner[T any](ctx context.Context, path string, workers int, prep func(*Record, *T), fn func(*Record, *T) error) *runner[T] {
	workers = max(workers, 1)
	r := &runner[T]{
		ctx: ctx, path: path, prep: prep, fn: fn, inline: workers == 1,
		work: make(chan *chunk, workers),
		free: make(chan *chunk, maxInFlight*workers+2),
		stop: make(chan struct{}),
	}
	if !r.inline {
		r.order = make(chan *chunk, maxInFlight*workers)
	}
	for range workers {
		r.wg.Add(1)
		go r.worker()
	}
	if !r.inline {
		r.wg.Add(1)
		go r.deliverer()
	}
	return r
}

// send queues a chunk; it is the framer's chunkBuffer.send.
func (r *runner[T]) send(c *chunk) error {
	r.framed.Add(int64(len(c.metas)))
	c.failAt, c.failErr = -1, nil
	if !r.inline {
		c.done = make(chan struct{})
		select {
		case r.order <- c:
		case <-r.stop:
			return errDecoderGone
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
	}
	var err error
	select {
	case r.work <- c:
		return nil
	case <-r.stop:
		err = errDecoderGone
	case <-r.ctx.Done():
		err = r.ctx.Err()
	}
	if !r.inline {
		// The deliverer has c and waits for a worker to end it; none
		// will. Ended here, it is not delivered: deliver sees the stop or
		// the cancellation first.
		close(c.done)
	}
	return err
}

// fresh returns a delivered chunk to build the next one in, or a new one.
func (r *runner[T]) fresh() *chunk {
	select {
	case c := <-r.free:
		return c
	default:
		return newChunk()
	}
}

// maxSpare bounds the buffer of a big record kept for the next one.
const maxSpare = 32 << 20

// spareBuf returns the spare buffer if it holds n bytes: a dump's big
// records are then read into it instead of growing a chunk's buffer
// (copying the record several times) for each of them.
func (r *runner[T]) spareBuf(n int) []byte {
	p := r.spare.Swap(nil)
	if p == nil {
		return nil
	}
	if cap(*p) < n {
		r.keepSpare(*p)
		return nil
	}
	return (*p)[:0]
}

// keepSpare keeps b as the spare buffer if it is the biggest seen.
func (r *runner[T]) keepSpare(b []byte) {
	if cap(b) > maxSpare {
		return
	}
	for {
		old := r.spare.Load()
		if old != nil && cap(*old) >= cap(b) {
			return
		}
		if r.spare.CompareAndSwap(old, &b) {
			return
		}
	}
}

// release gives a delivered chunk's storage back, the buffer of a big
// record as the spare one.
func (r *runner[T]) release(c *chunk) {
	if cap(c.data) > 4*chunkTarget {
		r.keepSpare(c.data)
		c.data = nil
	}
	if cap(c.keys) > 4*chunkTarget || cap(c.metas) > 2*chunkRecords {
		return
	}
	clear(c.recs) // drop the records' references
	c.err, c.failErr, c.done = nil, nil, nil
	select {
	case r.free <- c:
	default:
	}
}

// caughtUp waits until every record framed so far has reached the
// callback, or the decoding side stops. It polls: it runs once per record
// that outgrows a chunk (OnBigRecord), and a signal per record delivered
// would cost every other.
func (r *runner[T]) caughtUp() {
	for r.delivered.Load() < r.framed.Load() && !r.stopped() && r.ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
}

// halt stops the decoding side early.
func (r *runner[T]) halt() { r.stopOnce.Do(func() { close(r.stop) }) }

func (r *runner[T]) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// wait says that no more chunks come and waits for the decoding side to
// end.
func (r *runner[T]) wait() {
	close(r.work)
	if r.order != nil {
		close(r.order)
	}
	r.wg.Wait()
}

// pathCounts returns the workers' path counts; only after wait.
func (r *runner[T]) pathCounts() map[string]Paths { return r.paths.byType() }

// outcome says how the decoding side ended: the callback's error, the
// error of a record it could not decode, and whether records framed were
// never delivered. Only after wait.
func (r *runner[T]) outcome() (fnErr, recErr error, undelivered bool) {
	return r.fnErr, r.recErr, r.delivered.Load() < r.framed.Load()
}

// worker decodes chunks until there are no more.
func (r *runner[T]) worker() {
	defer r.wg.Done()
	w := new(decodeWorker)
	defer r.paths.merge(&w.paths)
	for c := range r.work {
		if !r.stopped() && r.ctx.Err() == nil {
			r.decode(w, c)
		}
		if r.inline {
			r.deliver(c)
		} else {
			close(c.done)
		}
	}
}

// deliverer hands the records to fn in file order.
func (r *runner[T]) deliverer() {
	defer r.wg.Done()
	for c := range r.order {
		<-c.done
		r.deliver(c)
	}
}

// decodeWorker is what one worker reuses from record to record.
type decodeWorker struct {
	fill  filler
	vals  valueBuf
	buf   []byte
	paths pathTally
}

// decode builds the chunk's Records, fills their Values and runs prep on
// them. It stops at a record the decoder fails on (failAt).
func (r *runner[T]) decode(w *decodeWorker, c *chunk) {
	n := len(c.metas)
	if cap(c.recs) < n {
		c.recs = make([]Record, n)
	}
	c.recs = c.recs[:n]
	var res []T
	if r.prep != nil || r.fn != nil {
		res, _ = c.res.([]T)
		if cap(res) < n {
			res = make([]T, n)
		}
		res = res[:n]
		clear(res)
		c.res = res
	}
	hdr := r.f.dump.decHeader[:]
	valkey := r.f.dump.valkey
	for i := range c.metas {
		m := &c.metas[i]
		rec := &c.recs[i]
		c.record(m, rec)
		paths := &w.paths[m.typ]
		if m.at < 0 || m.undecoded {
			paths.Framed.add(PathCount{1, m.size})
		} else {
			t := m.typ
			if t == 26 {
				t = 21 // as the decoder is shown it (recordForDecoder)
			}
			v, ok := w.fill.fill(t, valkey, c.data[m.valAt:m.end])
			if ok {
				paths.Filled.add(PathCount{1, m.size})
			} else {
				paths.Decoded.add(PathCount{1, m.size})
				obj, mismatch, err := decodeOne(hdr, m, c.data[m.at:m.end], rec.Key, &w.buf)
				switch {
				case mismatch != nil:
					c.failAt, c.failErr = i, &Error{Path: r.path, Offset: m.offset, Msg: msgInternal, Err: mismatch}
					return
				case err != nil:
					c.failAt = i
					c.failErr = &Error{Path: r.path, Offset: m.offset, Msg: fmt.Sprintf("decoding the key at byte %d failed (%s)", m.offset, decoderModule), Err: err}
					return
				}
				v = w.vals.set(obj)
				rec.Warnings = saturatedCount(m, obj.GetElemCount(), rec.Warnings)
			}
			rec.Value = v
		}
		if r.prep != nil {
			r.prep(rec, &res[i])
		}
		if r.inline {
			// Delivered right away, while its Value is valid.
			if !r.deliverOne(c, i) {
				return
			}
		} else {
			rec.Value = nil // w's storage: valid only until the next record
		}
	}
}

// decoderModule names the decoder in messages about a key it failed on.
const decoderModule = "github.com/hdt3213/rdb"

// record builds the Record of m, without its Value.
func (c *chunk) record(m *meta, rec *Record) {
	typ, enc := typeInfo(m.typ)
	*rec = Record{
		DB: m.db, Key: unsafeString(c.keys[m.keyAt : m.keyAt+m.keyLen]),
		RDBType: m.typ, Type: typ, Module: m.module, RDBEncoding: enc,
		ExpiresAt: m.expires, Idle: m.idle, Freq: m.freq,
		Offset: m.offset, RDBBytes: m.size, Elements: m.elements, LongElem: m.longElem,
		Warnings: m.warnings, Value: m.value,
	}
	if m.blobN > 0 {
		rec.Blobs = c.blobs[m.blobAt : m.blobAt+m.blobN : m.blobAt+m.blobN]
	}
}

// deliverOne hands record i of c to fn; false when parsing must stop.
func (r *runner[T]) deliverOne(c *chunk, i int) bool {
	var res *T
	if rs, ok := c.res.([]T); ok {
		res = &rs[i]
	}
	if r.fn != nil {
		if err := r.fn(&c.recs[i], res); err != nil {
			r.fnErr = err
			r.halt()
			return false
		}
	}
	r.delivered.Add(1)
	return true
}

// deliver ends a decoded chunk: in the deliverer, its records go to fn;
// a record that could not be decoded stops parsing there.
func (r *runner[T]) deliver(c *chunk) {
	if r.stopped() || r.ctx.Err() != nil {
		return
	}
	if !r.inline {
		n := len(c.recs)
		if c.failAt >= 0 {
			n = c.failAt
		}
		for i := range n {
			if !r.deliverOne(c, i) {
				return
			}
		}
	}
	if c.failAt >= 0 {
		r.recErr = c.failErr
		r.halt()
		return
	}
	if c.err == nil {
		r.release(c)
	}
}
