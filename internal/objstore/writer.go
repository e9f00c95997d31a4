package objstore

import (
	"context"
	"fmt"

	"gocloud.dev/blob"
)

// Writer writes one object. Nothing is visible at the URL until Close
// returns nil: an existing object there stays as it was until then, and
// after Abort (or a failed Close) it stays as it was for good.
//
// The usual pattern commits on success and discards on any early return:
//
//	w, err := objstore.Create(ctx, url)
//	if err != nil { ... }
//	defer w.Abort()
//	if err := render(w); err != nil { return err }
//	return w.Close()
type Writer struct {
	l      location
	b      *blob.Bucket
	w      *blob.Writer
	cancel context.CancelFunc
	done   bool
}

// Create starts writing the object at rawURL. It checks that the bucket
// exists, so that a mistyped bucket fails before a long analysis rather
// than after it; credentials that may write objects but not read the
// bucket's metadata are accepted, and any other problem shows at Close.
func Create(ctx context.Context, rawURL string) (*Writer, error) {
	l, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if l.isPrefix() {
		return nil, fmt.Errorf("%s: names a prefix, not an object: give the object's full key", rawURL)
	}
	b, err := openBucket(ctx, l)
	if err != nil {
		return nil, err
	}
	ok, err := b.IsAccessible(ctx)
	switch {
	case err == nil && !ok:
		err = notFound(ctx, b, l, "")
	case err != nil && isCredentialError(err):
		err = l.classify("create", err)
	default:
		err = nil
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	// Canceling the context of a blob.Writer before Close is how
	// gocloud.dev aborts an upload: a multipart upload is abandoned and
	// nothing is committed.
	wctx, cancel := context.WithCancel(ctx)
	w, err := b.NewWriter(wctx, l.key, nil)
	if err != nil {
		cancel()
		b.Close()
		return nil, l.classify("create", err)
	}
	return &Writer{l: l, b: b, w: w, cancel: cancel}, nil
}

// Write writes p. Uploads are asynchronous: an error may only show at a
// later Write or at Close.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("%s: write after Close or Abort", w.l.raw)
	}
	n, err := w.w.Write(p)
	if err != nil {
		return n, w.l.classify("write", err)
	}
	return n, nil
}

// Close completes the upload and makes the object visible. On error,
// nothing was committed.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	err := w.w.Close()
	w.cancel()
	w.b.Close()
	if err != nil {
		return w.l.classify("write", err)
	}
	return nil
}

// Abort discards what was written: the object at the URL is left as it
// was. It does nothing after Close, so it can be deferred.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.cancel()
	_ = w.w.Close() // reports the cancellation, which is what was asked
	return w.b.Close()
}
