package worker

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/parse"
)

// The child's results travel as frames: a kind byte, a uvarint payload
// length and the payload. There is one kind per message. Key batches,
// nearly all the traffic, use a compact binary layout (keycodec.go:
// decoding gob or JSON per key cost more than parsing the dump); the few
// other messages are JSON or a number.
const (
	frameHeader   = 'h' // scan.Header, JSON
	frameKeys     = 'k' // a batch of keys: a uvarint count, then each key (keyEncoder.appendKey)
	frameHeld     = 'H' // a batch of keys held while cluster mode is undecided (see scan.Holder): a uvarint count, then each key (keyEncoder.appendHeld)
	frameProgress = 'p' // stored bytes read so far, uvarint
	frameBig      = 'b' // a key record that may be too large to decode (scan.BigRecorder): its index and offset, uvarints
	frameEnd      = 'e' // scan.Summary, JSON
	frameDone     = 'd' // the scan's return: empty for none, else a wireError in JSON
)

// keyBatch is how many keys go in one frame.
const keyBatch = 512

// maxFrame bounds a frame's payload.
const maxFrame = 1 << 30

// flushEvery is how long keys may wait in the child before they are
// written to the parent, batch full or not: a child that then dies (of
// memory, on a huge key) has sent every key it had parsed before.
const flushEvery = 100 * time.Millisecond

// frameWriter is the child's scan.Sink: it writes what the scan finds as
// frames.
type frameWriter struct {
	mu   sync.Mutex // Progress comes from the parser's framing goroutine, flushes from a ticker
	bw   *bufio.Writer
	buf  []byte // keys encoded since the last frame
	n    int    // how many
	hbuf []byte // held keys encoded since the last frame
	hn   int    // how many
	// The encoders of the keys and of the held keys: each stream of
	// batches defines its own classes.
	keys, held keyEncoder
	hdr        [1 + binary.MaxVarintLen64]byte
	// bigNext says that the next key is that of a record announced as
	// big (BigRecord): it goes to the parent at once, so that a child
	// dying later, on a record it did not announce, is not taken to
	// have died on that one (frameReader.resumeAt).
	bigNext bool
	// stored is what Progress last said, sentStored what went to the
	// parent.
	stored     atomic.Int64
	sentStored int64
	stop       chan struct{} // ends the ticker
	wg         sync.WaitGroup
}

func newFrameWriter(w io.Writer) *frameWriter {
	f := &frameWriter{bw: bufio.NewWriterSize(w, 1<<20), stop: make(chan struct{})}
	f.wg.Add(1)
	go f.tick()
	return f
}

// tick sends what is waiting every flushEvery until done.
func (f *frameWriter) tick() {
	defer f.wg.Done()
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
			f.mu.Lock()
			_ = f.flushAll()
			f.mu.Unlock()
		}
	}
}

// flushAll writes the keys waiting and everything buffered to the parent;
// f.mu must be held. A failed write shows up on the next one.
func (f *frameWriter) flushAll() error {
	if err := f.flushHeld(); err != nil {
		return err
	}
	if err := f.flushKeys(); err != nil {
		return err
	}
	if err := f.progress(); err != nil {
		return err
	}
	return f.bw.Flush()
}

// frame writes one frame; f.mu must be held.
func (f *frameWriter) frame(kind byte, payload []byte) error {
	f.hdr[0] = kind
	n := binary.PutUvarint(f.hdr[1:], uint64(len(payload)))
	if _, err := f.bw.Write(f.hdr[:1+n]); err != nil {
		return err
	}
	_, err := f.bw.Write(payload)
	return err
}

func (f *frameWriter) json(kind byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frame(kind, b)
}

// Start implements scan.Sink.
func (f *frameWriter) Start(h *scan.Header) error { return f.json(frameHeader, h) }

// Key implements scan.Sink.
func (f *frameWriter) Key(k *aggregate.Key) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	// The scan has decided: the held keys come now as keys, and those
	// not yet sent as held keys need not be.
	f.hn = 0
	if f.n == 0 {
		// Room for the count, filled in by flushKeys.
		f.buf = append(f.buf[:0], countRoom[:]...)
	}
	f.buf = f.keys.appendKey(f.buf, k)
	f.n++
	if f.bigNext {
		return f.sendBig()
	}
	if f.n == keyBatch {
		return f.flushKeys()
	}
	return nil
}

// sendBig sends the key of an announced big record, and all before it,
// now; f.mu must be held.
func (f *frameWriter) sendBig() error {
	f.bigNext = false
	return f.flushAll()
}

// Hold implements scan.Holder: the keys the scan holds while it decides
// cluster mode go to the parent as they come, with both figures, so that
// a child killed before it decides (by memory, on a huge key in the
// first 1,024) has sent them too. The parent drops them when the keys
// come, and decides itself if they never do.
func (f *frameWriter) Hold(k *aggregate.Key, cluster scan.Figures) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hn == 0 {
		f.hbuf = append(f.hbuf[:0], countRoom[:]...)
	}
	f.hbuf = f.held.appendHeld(f.hbuf, k, cluster)
	f.hn++
	if f.bigNext {
		return f.sendBig()
	}
	if f.hn == keyBatch {
		return f.flushHeld()
	}
	return nil
}

var countRoom [binary.MaxVarintLen64]byte

// flushKeys sends the keys encoded so far as one frame; f.mu must be
// held.
func (f *frameWriter) flushKeys() error {
	err := f.batch(frameKeys, f.buf, f.n)
	f.n = 0
	return err
}

// flushHeld sends the held keys encoded so far as one frame; f.mu must
// be held.
func (f *frameWriter) flushHeld() error {
	err := f.batch(frameHeld, f.hbuf, f.hn)
	f.hn = 0
	return err
}

// batch sends n keys encoded in buf, after the room for their count, as
// one frame of kind; f.mu must be held.
func (f *frameWriter) batch(kind byte, buf []byte, n int) error {
	if n == 0 {
		return nil
	}
	var cnt [binary.MaxVarintLen64]byte
	c := binary.PutUvarint(cnt[:], uint64(n))
	start := binary.MaxVarintLen64 - c
	copy(buf[start:], cnt[:c])
	return f.frame(kind, buf[start:])
}

// Progress implements scan.Sink. It only notes how far the scan has
// read: the progress goes to the parent with the keys, on the next tick
// (or announced big record, or End). The framer's goroutine, the
// parser's one serial stage, calls it every MiB: writing then (a pipe
// write each MiB, and the parent woken to read it) cost both processes
// CPU, and the framer waited on the writer's mutex while a full pipe
// held a batch's write.
func (f *frameWriter) Progress(stored int64) {
	f.stored.Store(stored)
}

// progress writes a progress frame if the scan has read more since the
// last; f.mu must be held.
func (f *frameWriter) progress() error {
	stored := f.stored.Load()
	if stored == f.sentStored {
		return nil
	}
	f.sentStored = stored
	var b [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(b[:], uint64(stored))
	return f.frame(frameProgress, b[:n])
}

// BigRecord implements scan.BigRecorder: the parent learns where the
// child may die, and the keys before, before the record is decoded.
func (f *frameWriter) BigRecord(index, offset int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.flushHeld()
	_ = f.flushKeys()
	_ = f.progress()
	b := binary.AppendUvarint(nil, uint64(index))
	b = binary.AppendUvarint(b, uint64(offset))
	_ = f.frame(frameBig, b)
	_ = f.bw.Flush()
	// The framer announces a record once every record before it has
	// reached the scan: the next key is this record's.
	f.bigNext = true
}

// End implements scan.Sink.
func (f *frameWriter) End(s *scan.Summary) error {
	f.mu.Lock()
	err := f.flushKeys()
	if err == nil {
		err = f.progress()
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.json(frameEnd, s)
}

// done sends the scan's return and flushes everything.
func (f *frameWriter) done(scanErr error) error {
	close(f.stop)
	f.wg.Wait()
	f.mu.Lock()
	err := f.progress()
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if scanErr != nil {
		err = f.json(frameDone, toWire(scanErr))
	} else {
		f.mu.Lock()
		err = f.frame(frameDone, nil)
		f.mu.Unlock()
	}
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bw.Flush()
}

// readFrames reads a child's frames into sink until the child closes its
// end. done says whether the child finished its scan (sent frameDone);
// err is the node's error: the scan's, else the first of sink, else a
// malformed frame (after which reading stops).
func readFrames(r io.Reader, sink scan.Sink) (done bool, err error) {
	return (&frameReader{sink: sink}).read(r)
}

// frameReader is the parent's side of one child's frames.
type frameReader struct {
	sink scan.Sink

	header *scan.Header
	ended  bool          // End was called
	held   scan.HeldKeys // keys the child holds while it decides cluster mode

	// For a child that follows one that died (see Run).
	keys     int64      // keys received, from every child
	extra    int64      // what they allocate beyond MEMORY USAGE (see scan.Resume)
	progress int64      // the most stored bytes read any child reported
	bigs     [][2]int64 // the current child's big records: index, offset
}

// resumeAt is the offset of the record a child that died was most
// likely decoding: the first big record it announced that it did not
// deliver.
func (fr *frameReader) resumeAt() (int64, bool) {
	delivered := fr.keys
	if delivered == 0 {
		// Undecided first child: its keys came as held keys only.
		delivered = int64(fr.held.Len())
	}
	for _, b := range fr.bigs {
		if b[0] >= delivered {
			return b[1], true
		}
	}
	return 0, false
}

// resume readies fr for a child that follows one that died: that child
// sends the header, the held keys and the big records again.
func (fr *frameReader) resume() {
	fr.held.Reset()
	fr.bigs = nil
}

// read reads the frames into r.sink until the child closes its end; see
// readFrames.
func (fr *frameReader) read(r io.Reader) (done bool, err error) {
	sink := fr.sink
	br := bufio.NewReaderSize(r, 1<<20)
	kd := &keyDecoder{}
	var payload []byte
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	for {
		kind, rerr := br.ReadByte()
		if rerr != nil {
			return done, err // the child is gone; its exit status says how
		}
		n, rerr := binary.ReadUvarint(br)
		if rerr != nil || n > maxFrame {
			return done, errors.New("malformed frame from parser process")
		}
		// A frame that fits in br is decoded where it lies, without
		// copying it: nearly all do (key batches are ~20 KiB).
		var frame []byte
		peeked := n <= uint64(br.Size())
		if peeked {
			if frame, rerr = br.Peek(int(n)); rerr != nil {
				return done, err
			}
		} else {
			if uint64(cap(payload)) < n {
				payload = make([]byte, n)
			}
			frame = payload[:n]
			if _, rerr := io.ReadFull(br, frame); rerr != nil {
				return done, err
			}
		}
		switch kind {
		case frameKeys:
			ks, derr := kd.decode(frame)
			if derr != nil {
				return done, derr
			}
			// The child decided: the held keys are among these or
			// before them.
			fr.held.Reset()
			fr.keys += int64(len(ks))
			for i := range ks {
				fr.extra += ks[i].Alloc - ks[i].Memory
				keep(sink.Key(&ks[i]))
			}
		case frameHeld:
			ks, cs, derr := kd.decodeHeld(frame)
			if derr != nil {
				return done, derr
			}
			for i := range ks {
				if herr := fr.held.Add(&ks[i], cs[i]); herr != nil {
					return done, fmt.Errorf("malformed held keys from parser process: %w", herr)
				}
			}
		case frameProgress:
			v, m := binary.Uvarint(frame)
			if m <= 0 {
				return done, errors.New("malformed progress frame from parser process")
			}
			if int64(v) >= fr.progress {
				// A child that follows one that died reads the dump
				// again from its start.
				fr.progress = int64(v)
				sink.Progress(int64(v))
			}
		case frameHeader:
			var h scan.Header
			if jerr := json.Unmarshal(frame, &h); jerr != nil {
				return done, fmt.Errorf("malformed header from parser process: %w", jerr)
			}
			if fr.header == nil {
				fr.header = &h
				keep(sink.Start(&h))
			}
		case frameBig:
			i, m := binary.Uvarint(frame)
			if m <= 0 {
				return done, errors.New("malformed big record frame from parser process")
			}
			off, m2 := binary.Uvarint(frame[m:])
			if m2 <= 0 {
				return done, errors.New("malformed big record frame from parser process")
			}
			fr.bigs = append(fr.bigs, [2]int64{int64(i), int64(off)})
		case frameEnd:
			var s scan.Summary
			if jerr := json.Unmarshal(frame, &s); jerr != nil {
				return done, fmt.Errorf("malformed summary from parser process: %w", jerr)
			}
			fr.ended = true
			keep(sink.End(&s))
		case frameDone:
			done = true
			if len(frame) > 0 {
				var w wireError
				if jerr := json.Unmarshal(frame, &w); jerr != nil {
					return done, fmt.Errorf("malformed result from parser process: %w", jerr)
				}
				// The scan's own error says more than what it caused here.
				err = w.err()
			}
		default:
			return done, fmt.Errorf("unknown frame %q from parser process", kind)
		}
		if peeked {
			_, _ = br.Discard(int(n)) // cannot fail: peeked
		}
	}
}

// settleHeld sends the keys a child held, while it decided cluster mode,
// when it died before deciding: cluster mode is decided here on them,
// with the rule the child would have used (scan.HeldKeys), and the node's
// model note says so.
func (fr *frameReader) settleHeld() error {
	n := fr.held.Len()
	if n == 0 {
		return nil
	}
	why, err := fr.held.Release(fr.sink)
	if err != nil || fr.ended || fr.header == nil {
		return err
	}
	note := fmt.Sprintf("%s, decided on the %d keys read before the parser process died", why, n)
	if fr.header.ModelNote != "" {
		note = fr.header.ModelNote + "; " + note
	}
	fr.ended = true
	return fr.sink.End(&scan.Summary{ModelNote: note})
}

// wireError carries a node's error from the child; a *parse.Error keeps
// its parts so that the parent can rebuild it.
type wireError struct {
	Path   string `json:"path,omitempty"`
	Offset int64  `json:"offset"`
	Msg    string `json:"msg"`
	Cause  string `json:"cause,omitempty"`
}

func toWire(err error) *wireError {
	var pe *parse.Error
	if errors.As(err, &pe) {
		w := &wireError{Path: pe.Path, Offset: pe.Offset, Msg: pe.Msg}
		if pe.Err != nil {
			w.Cause = pe.Err.Error()
		}
		return w
	}
	return &wireError{Msg: err.Error(), Offset: -1}
}

func (w *wireError) err() error {
	if w.Path == "" {
		return errors.New(w.Msg)
	}
	e := &parse.Error{Path: w.Path, Offset: w.Offset, Msg: w.Msg}
	if w.Cause != "" {
		e.Err = errors.New(w.Cause)
	}
	return e
}
