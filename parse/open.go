package parse

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Compression is detected from magic bytes only: dumps are often renamed,
// and a wrong extension must not make a dump unreadable.
var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicLZ4  = []byte{0x04, 0x22, 0x4d, 0x18}
)

// sniffCompression names the compression of a stream from its first bytes.
func sniffCompression(h []byte) string {
	switch {
	case bytes.HasPrefix(h, magicGzip):
		return "gzip"
	case bytes.HasPrefix(h, magicZstd):
		return "zstd"
	case bytes.HasPrefix(h, magicLZ4):
		return "lz4"
	}
	return ""
}

// isTar reports whether a (decompressed) stream starts with a tar header.
func isTar(h []byte) bool {
	return len(h) >= 262 && string(h[257:262]) == "ustar"
}

// decompress wraps r according to kind. close releases decoder resources
// (zstd keeps goroutines otherwise).
func decompress(r io.Reader, kind string) (io.Reader, func(), error) {
	switch kind {
	case "gzip":
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return z, func() { _ = z.Close() }, nil
	case "zstd":
		z, err := zstd.NewReader(r,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(1<<31))
		if err != nil {
			return nil, nil, err
		}
		return z, z.Close, nil
	case "lz4":
		return lz4.NewReader(r), func() {}, nil
	}
	return r, func() {}, nil
}

// counter sees the stored bytes: it counts them, hashes them, reports
// progress and turns a canceled context into a read error, which is the
// one place every blocking read of a parse passes through.
type counter struct {
	ctx      context.Context
	r        io.Reader
	n        int64
	h        *asyncHash
	next     int64
	progress func(int64)
}

func newCounter(ctx context.Context, r io.Reader, progress func(int64)) *counter {
	return &counter{ctx: ctx, r: r, h: newAsyncHash(), next: 1 << 20, progress: progress}
}

func (c *counter) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.h.Write(p[:n])
		if c.progress != nil && c.n >= c.next {
			c.progress(c.n)
			c.next = c.n + 1<<20
		}
	}
	return n, err
}

// streamCounter counts decompressed bytes.
type streamCounter struct {
	r io.Reader
	n int64
}

func (c *streamCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var errTar = errors.New("tar archive")

// stream is an opened input: its decompressed RDB stream, and counters
// of the bytes read on both sides of the decompression.
type stream struct {
	br           *bufio.Reader  // the RDB stream, positioned at its first byte
	stored       *counter       // stored bytes (counted, hashed)
	decompressed *streamCounter // decompressed bytes
	close        func()
}

// openStream opens in and returns its decompressed RDB stream.
func openStream(ctx context.Context, in Input, opts Options, src *Source) (*stream, error) {
	rc, err := in.OpenContext(ctx)
	if err != nil {
		return nil, err
	}
	cnt := newCounter(ctx, rc, opts.Progress)
	raw := bufio.NewReaderSize(cnt, 64<<10)
	h, _ := raw.Peek(4)
	src.Compression = sniffCompression(h)
	dr, closeDec, err := decompress(raw, src.Compression)
	if err != nil {
		_ = rc.Close()
		cnt.h.abort()
		return nil, fmt.Errorf("corrupt %s stream: %w", src.Compression, err)
	}
	closeAll := func() {
		closeDec()
		_ = rc.Close()
		cnt.h.abort()
	}
	sc := &streamCounter{r: dr}
	br := bufio.NewReaderSize(sc, 1<<20)
	if p, _ := br.Peek(512); isTar(p) {
		closeAll()
		return nil, errTar
	}
	return &stream{br: br, stored: cnt, decompressed: sc, close: closeAll}, nil
}
