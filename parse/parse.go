package parse

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
)

// callerError carries an error returned by one of the caller's callbacks
// (OnSource) out of the framer; Parse returns it unchanged.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }

// parser is one call of Parse: the opened input, the framer that reads it
// in this goroutine and the decoding side (pipeline.go) that runs in
// others.
type parser struct {
	ctx  context.Context
	in   Input
	opts Options
	path string  // file (and member) name, for messages
	src  *Source // what Parse returns, filled as parsing goes

	st   *stream
	f    *framer
	side decodingSide
}

// decodingSide is a runner whatever the caller's result type.
type decodingSide interface {
	send(*chunk) error
	fresh() *chunk
	wait()
	pathCounts() map[string]Paths
	outcome() (fnErr, recErr error, undelivered bool)
}

func parse[T any](ctx context.Context, in Input, opts Options, workers int, prep func(*Record, *T), fn func(*Record, *T) error) (*Source, error) {
	p := &parser{
		ctx: ctx, in: in, opts: opts, path: in.label(),
		src: &Source{Path: in.Path, Member: in.Member, Checksum: ChecksumUnknown},
	}
	if err := ctx.Err(); err != nil {
		return p.src, &Error{Path: p.path, Offset: -1, Msg: msgCanceled, Err: err}
	}
	if err := p.open(); err != nil {
		return p.src, err
	}
	defer p.st.close()
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	r := newRunner(ctx, p.path, workers, prep, fn)
	p.side = r
	p.f = newFramer(ctx, p.st.br, p.path, p.src, p.opts, r.send, r.fresh)
	p.f.buf.spare = r.spareBuf
	p.f.caughtUp = r.caughtUp
	r.f = p.f
	return p.src, p.run()
}

// open opens the input's decompressed stream.
func (p *parser) open() error {
	st, err := openStream(p.ctx, p.in, p.opts, p.src)
	if err != nil {
		if errors.Is(err, errTar) {
			return &Error{Path: p.path, Offset: -1, Msg: msgTar}
		}
		// The path is already in the message: keep only the cause.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &Error{Path: p.path, Offset: -1, Msg: "cannot open", Err: err}
	}
	p.st = st
	return nil
}

// run frames the stream in this goroutine while the decoding side decodes
// and delivers records in others, then settles the outcome.
func (p *parser) run() error {
	if p.opts.OnSource != nil {
		p.f.onSource = p.onSource
	}
	ferr := p.frame()
	p.side.wait()
	p.src.Paths = p.side.pathCounts()
	if err := p.failure(ferr); err != nil {
		p.setSizes()
		return err
	}
	return p.complete()
}

// onSource hands the caller a snapshot of the Source, which parsing keeps
// filling.
func (p *parser) onSource() error {
	snap := *p.src
	snap.Aux = maps.Clone(p.src.Aux)
	snap.DBSizes = slices.Clone(p.src.DBSizes)
	if err := p.opts.OnSource(&snap); err != nil {
		return callerError{err}
	}
	return nil
}

// frame runs the framer and forwards what it framed; on failure the
// complete records before it still go to the decoder side, followed by
// errFramer.
func (p *parser) frame() (err error) {
	f := p.f
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Path: p.path, Offset: f.pos(), Msg: fmt.Sprintf("internal error (framer panic: %v)", r), Err: errInternal}
		}
	}()
	err = f.run()
	if err == nil {
		return f.buf.flush(nil)
	}
	if !errors.Is(err, errDecoderGone) {
		if e := f.buf.flush(errFramer); e != nil && !errors.Is(e, errDecoderGone) && p.ctx.Err() == nil {
			err = e
		}
	}
	return err
}

// failure settles how a parse that stopped early ended. Several things
// can go wrong at once, and Parse returns one error: the first of
//
//  1. the caller's own error, from fn or OnSource, returned unchanged;
//  2. a record the decoding side could not decode (the decoder rejected
//     or panicked on bytes the framer accepted, or disagreed on the key):
//     it comes before anything the framer met later, and the records
//     before it are delivered;
//  3. the framer's: the bytes are corrupt, truncated or unreadable, or
//     parsing was canceled (already an *Error naming the place, or made
//     one here);
//  4. records framed but never delivered (an internal error).
//
// It returns nil when parsing went to the end of the RDB stream.
func (p *parser) failure(ferr error) error {
	fnErr, recErr, undelivered := p.side.outcome()
	var ce callerError
	switch {
	case fnErr != nil:
		return fnErr
	case errors.As(ferr, &ce):
		return ce.err
	case recErr != nil:
		return recErr
	case ferr != nil && !errors.Is(ferr, errDecoderGone):
		return p.framerError(ferr)
	case undelivered:
		return &Error{Path: p.path, Offset: p.f.pos(), Msg: msgInternal, Err: errors.New("records were framed but never delivered")}
	}
	return nil
}

// framerError makes an *Error of the framer's error.
func (p *parser) framerError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if p.ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return &Error{Path: p.path, Offset: p.f.pos(), Msg: msgCanceled, Err: err}
	}
	return &Error{Path: p.path, Offset: p.f.pos(), Msg: "framing failed", Err: err}
}

// complete finishes a parse that reached the end of the RDB stream: it
// reads the stored file to its end, so that its SHA-256 is complete,
// warns about trailing bytes, and reports a checksum mismatch.
func (p *parser) complete() error {
	src := p.src
	if f := p.f; f.dump.version < 5 && !f.dump.valkey {
		// A dump of RDB 1 to 4 ends at its EOF marker. Exactly 8 bytes
		// after it are the CRC64 trailer of a dump of RDB 5 or later whose
		// header was changed, which would turn verification off.
		if t, _ := p.st.br.Peek(9); len(t) == 8 {
			what := "8 bytes follow it"
			if binary.LittleEndian.Uint64(t) == f.buf.crc {
				what = "a CRC64 of the dump follows it"
			}
			return &Error{Path: p.path, Offset: 0, Msg: fmt.Sprintf(
				"the header says RDB %d, which ends at its EOF marker, but %s, as after a dump of RDB 5 or later: the header is corrupt", f.dump.version, what)}
		}
	}
	trailing, terr := io.Copy(io.Discard, p.st.br)
	if trailing > 0 {
		src.Warnings = append(src.Warnings, fmt.Sprintf("%d bytes of trailing data after the end of the RDB (ignored)", trailing))
	}
	if terr != nil {
		src.Warnings = append(src.Warnings, "error after the end of the RDB (ignored): "+terr.Error())
	}
	if _, err := io.Copy(io.Discard, p.st.stored); err != nil {
		src.Warnings = append(src.Warnings, "error reading past the end of the RDB (ignored): "+err.Error())
	}
	src.SHA256 = fmt.Sprintf("%x", p.st.stored.h.Sum())
	p.setSizes()
	if p.opts.Progress != nil {
		p.opts.Progress(p.st.stored.n)
	}
	src.StreamBytes = p.st.decompressed.n
	if src.Checksum == ChecksumMismatch && !p.opts.NoVerify {
		return &Error{Path: p.path, Offset: p.f.pos() - 8, Msg: checksumMsg(p.f.dump.storedCRC, p.f.buf.crc), Err: errChecksum}
	}
	return nil
}

// setSizes records how many stored and decompressed bytes were read.
func (p *parser) setSizes() {
	p.src.Bytes = max(p.st.stored.n, p.in.Size)
	p.src.StreamBytes = p.st.decompressed.n - int64(p.st.br.Buffered())
}
