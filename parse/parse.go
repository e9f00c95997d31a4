package parse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strconv"

	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"
)

var (
	errStopped  = errors.New("parsing stopped")
	errLibGone  = errors.New("decoder stopped")
	errFramer   = errors.New("framer stopped")
	errInternal = errors.New("internal error")
)

// callerError carries an error returned by one of the caller's callbacks,
// which Parse returns unchanged.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }

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
	// decoder never sees (module values, keys not decoded). It runs when
	// the decoder asks for more bytes: every record before them has been
	// delivered by then, so file order holds, and a long run of such
	// records does not pile up in the queue.
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

// typeInfo maps an RDB value type to its data type and serialized encoding.
func typeInfo(t byte, valkey bool) (string, string) {
	switch t {
	case 0:
		return TypeString, EncString
	case 1:
		return TypeList, EncList
	case 2:
		return TypeSet, EncSet
	case 3:
		return TypeZSet, EncZSet
	case 4:
		return TypeHash, EncHash
	case 5:
		return TypeZSet, EncZSet2
	case 6, 7:
		return TypeModule, EncModule
	case 9:
		return TypeHash, EncZipmap
	case 10:
		return TypeList, EncZiplist
	case 11:
		return TypeSet, EncIntset
	case 12:
		return TypeZSet, EncZiplist
	case 13:
		return TypeHash, EncZiplist
	case 14:
		return TypeList, EncQuicklist
	case 15, 19, 21:
		return TypeStream, EncStream
	case 16:
		return TypeHash, EncListpack
	case 17:
		return TypeZSet, EncListpack
	case 18:
		return TypeList, EncQuicklist2
	case 20:
		return TypeSet, EncListpack
	case 22, 24:
		return TypeHash, EncHashEx
	case 23, 25:
		return TypeHash, EncListpackEx
	}
	return "", ""
}

func parse(ctx context.Context, in Input, opts Options, fn func(*Record) error) (*Source, error) {
	path := in.Path
	if in.Member != "" {
		path += ":" + in.Member
	}
	src := &Source{Path: in.Path, Member: in.Member, Checksum: ChecksumUnknown}
	if err := ctx.Err(); err != nil {
		return src, &Error{Path: path, Offset: -1, Msg: "parsing canceled", Err: err}
	}
	br, cnt, sc, closeAll, err := openStream(ctx, in, opts, src)
	if err != nil {
		if errors.Is(err, errTar) {
			return src, &Error{Path: path, Offset: -1, Msg: "is a tar archive: give it as a file argument so that each dump inside becomes a node"}
		}
		// The path is already in the message: keep only the cause.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return src, &Error{Path: path, Offset: -1, Msg: "cannot open", Err: err}
	}
	defer closeAll()
	finish := func() {
		src.Bytes = cnt.n
		if in.Size > src.Bytes {
			src.Bytes = in.Size
		}
		src.StreamBytes = sc.n - int64(br.Buffered())
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan *chunk, 2)
	libDone := make(chan struct{})
	fd := &feed{ch: ch}

	f := &framer{
		ctx:  ctx,
		br:   br,
		path: path,
		src:  src,
		out:  make([]byte, 0, chunkTarget+chunkTarget/4),
		crc:  ^uint64(0),

		maxKey:     opts.MaxKeyBytes,
		skipDecode: opts.SkipDecode,
	}
	f.send = func(c *chunk) error {
		select {
		case ch <- c:
			return nil
		case <-libDone:
			return errLibGone
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if opts.OnSource != nil {
		f.onSource = func() error {
			snap := *src
			snap.Aux = maps.Clone(src.Aux)
			snap.DBSizes = slices.Clone(src.DBSizes)
			if err := opts.OnSource(&snap); err != nil {
				return callerError{err}
			}
			return nil
		}
	}

	// The decoder side: everything below runs in the decoder goroutine.
	var (
		libErr   error
		fnErr    error
		intErr   error
		lastOff  int64 = -1
		rec      Record
		nRecords int64
	)
	emit := func(m *meta, obj model.RedisObject) bool {
		typ, enc := typeInfo(m.typ, f.valkey)
		rec = Record{
			DB: m.db, RDBType: m.typ, Type: typ, RDBEncoding: enc,
			ExpiresAt: m.expires, Idle: m.idle, Freq: m.freq,
			Offset: m.offset, RDBBytes: m.size, Elements: m.elements, LongElem: m.longElem,
			Value: obj, Blobs: m.blobs, Warnings: m.warnings,
		}
		if m.synthetic {
			rec.Key = m.moduleKey
			rec.Module = m.module
		} else {
			rec.Key = obj.GetKey()
		}
		if m.saturated && obj != nil {
			if got := int64(obj.GetElemCount()); got != m.elements {
				rec.Warnings = append(slices.Clip(rec.Warnings), fmt.Sprintf(
					"listpack header count saturated at 65535: the framer counted %d elements, the decoder returned %d", m.elements, got))
			}
		}
		lastOff = m.offset + m.size
		nRecords++
		if err := fn(&rec); err != nil {
			fnErr = err
			fd.stopped = true
			return false
		}
		return true
	}
	emitModules := func() bool {
		for {
			m, ok := fd.peek()
			if !ok || !m.synthetic {
				return true
			}
			fd.pop()
			if !emit(m, nil) {
				return false
			}
		}
	}
	fd.drain = emitModules
	cb := func(obj model.RedisObject) bool {
		switch obj.(type) {
		case *model.AuxObject, *model.DBSizeObject, *model.FunctionsObject:
			return true
		}
		if !emitModules() {
			return false
		}
		m, ok := fd.pop()
		if !ok {
			intErr = fmt.Errorf("the decoder returned key %s which the framer did not frame", strconv.Quote(obj.GetKey()))
			fd.stopped = true
			return false
		}
		if k := obj.GetKey(); obj.GetDBIndex() != m.db || len(k) != m.keyLen || hashKeyString(k) != m.keyHash {
			intErr = fmt.Errorf("the decoder returned key %s in db %d where the framer framed a %d-byte key in db %d at byte %d",
				strconv.Quote(k), obj.GetDBIndex(), m.keyLen, m.db, m.offset)
			fd.stopped = true
			return false
		}
		return emit(m, obj)
	}
	go func() {
		defer close(libDone)
		defer func() {
			if r := recover(); r != nil {
				libErr = fmt.Errorf("decoder panic: %v", r)
			}
		}()
		libErr = core.NewDecoder(fd).WithSpecialOpCode().Parse(cb)
		if libErr == nil && fnErr == nil && intErr == nil {
			emitModules()
		}
	}()

	ferr := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = &Error{Path: path, Offset: f.pos(), Msg: fmt.Sprintf("internal error (framer panic: %v)", r), Err: errInternal}
			}
		}()
		err = f.run()
		if err == nil {
			err = f.flush(nil)
		} else if !errors.Is(err, errLibGone) {
			// Deliver the complete records framed before the failure.
			if e := f.flush(errFramer); e != nil && !errors.Is(e, errLibGone) && ctx.Err() == nil {
				err = e
			}
		}
		return err
	}()
	close(ch)
	<-libDone

	if fnErr != nil {
		finish()
		return src, fnErr
	}
	if intErr != nil {
		finish()
		return src, &Error{Path: path, Offset: lastOff, Msg: "internal error", Err: intErr}
	}
	if ferr != nil && !errors.Is(ferr, errLibGone) {
		finish()
		if ce, ok := ferr.(callerError); ok {
			return src, ce.err
		}
		var e *Error
		if errors.As(ferr, &e) {
			return src, e
		}
		if ctx.Err() != nil || errors.Is(ferr, context.Canceled) {
			return src, &Error{Path: path, Offset: f.pos(), Msg: "parsing canceled", Err: ferr}
		}
		return src, &Error{Path: path, Offset: f.pos(), Msg: "framing failed", Err: ferr}
	}
	if libErr != nil {
		// Records the decoder never saw that precede the failure are
		// complete: deliver them, so the error names the key it failed on.
		if fnErr == nil {
			emitModules()
		}
		finish()
		off := lastOff
		what := "decoding"
		if m, ok := fd.peek(); ok {
			off = m.offset
			what = fmt.Sprintf("decoding the key at byte %d", m.offset)
		}
		return src, &Error{Path: path, Offset: off, Msg: what + " failed (github.com/hdt3213/rdb)", Err: libErr}
	}
	if fd.head != len(fd.queue) {
		finish()
		m := fd.queue[fd.head]
		return src, &Error{Path: path, Offset: m.offset, Msg: "internal error",
			Err: fmt.Errorf("the decoder stopped before the key framed at byte %d", m.offset)}
	}
	// Past the trailer: count (and warn about) trailing bytes, and read the
	// stored file to its end so that its SHA-256 is complete.
	trailing, terr := io.Copy(io.Discard, br)
	if trailing > 0 {
		src.Warnings = append(src.Warnings, fmt.Sprintf("%d bytes of trailing data after the end of the RDB (ignored)", trailing))
	}
	if terr != nil {
		src.Warnings = append(src.Warnings, "error after the end of the RDB (ignored): "+terr.Error())
	}
	if _, err := io.Copy(io.Discard, cnt); err != nil {
		src.Warnings = append(src.Warnings, "error reading past the end of the RDB (ignored): "+err.Error())
	}
	src.SHA256 = fmt.Sprintf("%x", cnt.h.Sum(nil))
	finish()
	if opts.Progress != nil {
		opts.Progress(cnt.n)
	}
	src.StreamBytes = sc.n
	if src.Checksum == ChecksumMismatch && !opts.NoVerify {
		return src, &Error{Path: path, Offset: f.pos() - 8, Msg: fmt.Sprintf(
			"checksum mismatch: stored %016x, computed %016x — the dump is corrupt (use --no-verify to analyze anyway)",
			f.storedCRC, ^f.crc), Err: errChecksum}
	}
	return src, nil
}
