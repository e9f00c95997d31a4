package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Defaults of Options.
const (
	DefaultRetries      = 8
	DefaultBackoff      = 500 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultStallTimeout = 2 * time.Minute
)

// Options tune Open. The zero value (or nil) takes the defaults.
type Options struct {
	// Retries bounds the attempts in a row that deliver no byte: after a
	// dropped connection the read resumes at the offset reached, and it
	// gives up after this many consecutive attempts that fail before
	// delivering anything. A resumed read that makes progress resets the
	// count, so a long object survives any number of separate drops.
	// 0 means DefaultRetries; a negative value disables retries.
	Retries int
	// Backoff is the wait before the first retry; it doubles for each
	// further retry in a row, up to MaxBackoff. 0 means DefaultBackoff
	// and DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration
	// StallTimeout treats a request or a read that gets no byte for this
	// long as a dropped connection. 0 means DefaultStallTimeout.
	StallTimeout time.Duration
	// OnRetry, if set, is called before each retry (from the goroutine
	// that called Read), so that the caller can say so on stderr.
	OnRetry func(Retry)
}

func (o *Options) retries() int {
	switch {
	case o == nil || o.Retries == 0:
		return DefaultRetries
	case o.Retries < 0:
		return 0
	}
	return o.Retries
}

func (o *Options) backoff(attempt int) time.Duration {
	first, limit := DefaultBackoff, DefaultMaxBackoff
	if o != nil && o.Backoff > 0 {
		first = o.Backoff
		limit = max(o.MaxBackoff, first)
	}
	d := first
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func (o *Options) stallTimeout() time.Duration {
	if o == nil || o.StallTimeout <= 0 {
		return DefaultStallTimeout
	}
	return o.StallTimeout
}

// Retry describes one retry of a read, for Options.OnRetry.
type Retry struct {
	URL     string        // the object
	Offset  int64         // bytes delivered so far: the resumed read starts here
	Size    int64         // the object's size, -1 before it is known
	Attempt int           // 1 for the first retry in a row
	Max     int           // Options.Retries in effect
	Wait    time.Duration // the backoff before this attempt
	Err     error         // what failed
}

// String is the line a CLI prints on stderr.
func (r Retry) String() string {
	at := "before the first byte"
	if r.Offset > 0 || r.Size >= 0 {
		at = fmt.Sprintf("at byte %d of %d", r.Offset, r.Size)
	}
	when := "now"
	if r.Wait > 0 {
		when = "in " + r.Wait.String()
	}
	return fmt.Sprintf("%s: read failed %s (%v); resuming from byte %d %s (retry %d of %d)",
		r.URL, at, r.Err, r.Offset, when, r.Attempt, r.Max)
}

// errStalled is the failure of a request or read that got no byte for
// Options.StallTimeout.
var errStalled = errors.New("no data received: connection stalled")

// errShort is the failure of a response that ended before the object
// did.
var errShort = errors.New("connection closed before the end of the object")

// Reader streams one object. It is not safe for concurrent use.
type Reader struct {
	ctx  context.Context
	l    location
	b    *blob.Bucket
	opts *Options
	url  string

	want   version // the version being read, fixed by the first response
	off    atomic.Int64
	failed int   // attempts in a row that delivered nothing
	last   error // the failure that the next attempt retries

	cur    *blob.Reader       // the current response, nil between attempts
	cancel context.CancelFunc // cancels cur's request
	stall  *time.Timer        // cancels cur's request when it stalls
	timed  atomic.Bool        // set when stall fired
	err    error              // sticky: returned by every later Read
	closed bool
}

// Open starts streaming the object at rawURL (which must name one object,
// not a prefix or glob). The first request is sent before Open returns,
// so that a missing object or missing credentials fail here. opts may be
// nil.
//
// When the connection drops, stalls or ends early, the Reader resumes with
// a ranged read from the offset reached, after a backoff, calling
// opts.OnRetry each time. The resumed read is conditional on the object
// being the version the first response returned (ETag for S3 and Azure,
// generation for GCS) and its response is checked again; if the object
// changed, Read fails with an error wrapping ErrChanged instead of
// splicing two versions together.
func Open(ctx context.Context, rawURL string, opts *Options) (*Reader, error) {
	l, b, err := openObjectBucket(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	r := &Reader{ctx: ctx, l: l, b: b, opts: opts, url: rawURL, want: version{size: -1}}
	if err := r.connect(); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			err = notFound(ctx, b, l, "no such object")
		}
		b.Close()
		return nil, r.wrap(err)
	}
	return r, nil
}

// Size is the object's stored size in bytes.
func (r *Reader) Size() int64 { return r.want.size }

// BytesRead is the number of bytes Read has delivered so far. It may be
// called from another goroutine (a progress bar).
func (r *Reader) BytesRead() int64 { return r.off.Load() }

// Object describes the version of the object being read.
func (r *Reader) Object() Object { return newObject(r.l, r.l.key, r.want) }

// Read reads the next bytes of the object, resuming after failures as
// Open describes.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if r.cur == nil {
			if r.off.Load() >= r.want.size {
				return 0, io.EOF
			}
			if err := r.connect(); err != nil {
				r.err = r.wrap(err)
				return 0, r.err
			}
		}
		n, err := r.readCur(p)
		off := r.off.Add(int64(n))
		if n > 0 {
			r.failed = 0
		}
		switch {
		case off > r.want.size:
			r.err = r.changed(fmt.Sprintf("it has more than the %d bytes it had when the read began", r.want.size))
			return n, r.err
		case err == nil:
			return n, nil
		case errors.Is(err, io.EOF) && off == r.want.size:
			r.drop()
			return n, io.EOF
		case errors.Is(err, io.EOF):
			err = errShort
		}
		if r.ctx.Err() != nil {
			r.err = r.wrap(r.ctx.Err())
			return n, r.err
		}
		// Any other failure in the middle of a response is worth a
		// retry: the request had been accepted.
		r.drop()
		r.last = err
		if n > 0 {
			return n, nil
		}
	}
}

// Close ends the read and releases the connection. Closing twice does
// nothing.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.drop()
	if r.err == nil {
		r.err = fmt.Errorf("%s: read after Close", r.url)
	}
	return r.b.Close()
}

// readCur reads from the current response, with the stall timer running.
func (r *Reader) readCur(p []byte) (int, error) {
	r.stall.Reset(r.opts.stallTimeout())
	n, err := r.cur.Read(p)
	r.stall.Stop()
	if err != nil && r.timed.Load() {
		err = errStalled
	}
	return n, err
}

// connect sends the request for the rest of the object, retrying with
// backoff while failures are transient.
func (r *Reader) connect() error {
	for {
		if r.last != nil {
			r.failed++
			limit := r.opts.retries()
			if r.failed > limit {
				return fmt.Errorf("giving up after %d retries at byte %d of %d: %w", limit, r.off.Load(), r.want.size, r.last)
			}
			wait := r.opts.backoff(r.failed)
			if r.opts != nil && r.opts.OnRetry != nil {
				r.opts.OnRetry(Retry{URL: r.url, Offset: r.off.Load(), Size: r.want.size, Attempt: r.failed, Max: limit, Wait: wait, Err: r.last})
			}
			if err := sleep(r.ctx, wait); err != nil {
				return err
			}
		}
		err := r.request()
		if err == nil {
			r.last = nil
			return nil
		}
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		if errors.Is(err, ErrChanged) || permanent(err) {
			return err
		}
		r.last = err
	}
}

// request sends one ranged, conditional request from the current offset.
func (r *Reader) request() error {
	ctx, cancel := context.WithCancel(r.ctx)
	if r.l.scheme == "azblob" {
		// As for the other stores, the Reader does the retrying.
		ctx = policy.WithRetryOptions(ctx, policy.RetryOptions{MaxRetries: -1})
	}
	r.timed.Store(false)
	stall := time.AfterFunc(r.opts.stallTimeout(), func() {
		r.timed.Store(true)
		cancel()
	})
	var want *version
	if r.want.size >= 0 {
		want = &r.want
	}
	off := r.off.Load()
	cur, err := r.b.NewRangeReader(ctx, r.l.key, off, -1, readOptions(r.l.scheme, want))
	stall.Stop()
	if err != nil {
		cancel()
		if r.timed.Load() {
			return errStalled
		}
		if want != nil && (gcerrors.Code(err) == gcerrors.FailedPrecondition || gcerrors.Code(err) == gcerrors.NotFound ||
			httpStatus(err) == http.StatusRequestedRangeNotSatisfiable) {
			return r.changed(fmt.Sprintf("the resumed read at byte %d was refused: %v", off, err))
		}
		return err
	}
	got := readerVersion(r.l.scheme, cur)
	if want == nil {
		r.want = got
	} else if !r.want.same(got) {
		cur.Close()
		cancel()
		return r.changed(fmt.Sprintf("it was %s when the read began and is %s now", r.want.describe(), got.describe()))
	}
	r.cur, r.cancel, r.stall = cur, cancel, stall
	return nil
}

// drop closes the current response, if any.
func (r *Reader) drop() {
	if r.cur == nil {
		return
	}
	r.stall.Stop()
	r.cur.Close()
	r.cancel()
	r.cur, r.cancel, r.stall = nil, nil, nil
}

// changed is the error for an object that is no longer the one being
// read. It wraps ErrChanged and never gets retried.
func (r *Reader) changed(why string) error {
	return fmt.Errorf("%s: %w after %d of %d bytes: %s; the dump was rewritten while it was read: read it again once the new copy is complete",
		r.url, ErrChanged, r.off.Load(), r.want.size, why)
}

// wrap names the URL in a final error.
func (r *Reader) wrap(err error) error {
	if errors.Is(err, ErrChanged) {
		return err
	}
	return r.l.classify("read", err)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ReadHead returns the first n bytes of the object at rawURL (all of it
// when it is shorter), with one ranged request: enough to tell a dump's
// format without the store sending the rest of a large object.
func ReadHead(ctx context.Context, rawURL string, n int64) ([]byte, error) {
	l, b, err := openObjectBucket(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	rd, err := b.NewRangeReader(ctx, l.key, 0, n, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, notFound(ctx, b, l, "no such object")
		}
		return nil, l.classify("read", err)
	}
	defer rd.Close()
	head, err := io.ReadAll(rd)
	if err != nil {
		return nil, l.classify("read", err)
	}
	return head, nil
}

// openObjectBucket parses a URL that must name one object and opens its
// bucket.
func openObjectBucket(ctx context.Context, rawURL string) (location, *blob.Bucket, error) {
	l, err := parseURL(rawURL)
	if err != nil {
		return l, nil, err
	}
	if l.isPrefix() {
		return l, nil, fmt.Errorf("%s: names a prefix, not an object: expand it with List", rawURL)
	}
	b, err := openBucket(ctx, l)
	return l, b, err
}
