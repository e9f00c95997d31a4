package objstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"

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
	pw     *io.PipeWriter
	cancel context.CancelFunc
	result chan error // the upload's outcome, once the pipe is closed
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
	if err := checkBucket(ctx, b, l); err != nil {
		b.Close()
		return nil, err
	}
	// The upload reads from a pipe, in a goroutine: Bucket.Upload hands
	// the stream to the driver whole, and aborting is canceling the
	// context and failing the stream, after which no driver commits.
	// (gocloud.dev's Azure writer can panic when its upload fails inside
	// Writer.Close; Upload does not take that path.)
	wctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	w := &Writer{l: l, b: b, pw: pw, cancel: cancel, result: make(chan error, 1)}
	ctype := mime.TypeByExtension(path.Ext(l.key))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	go func() {
		err := b.Upload(wctx, l.key, pr, &blob.WriterOptions{ContentType: ctype})
		// Unblock a Write waiting on a failed upload.
		pr.CloseWithError(cmp.Or(err, errUploadEnded))
		w.result <- err
	}()
	return w, nil
}

// CheckBucket checks, as Create does, that the bucket of rawURL (an
// object, a prefix or the bare bucket) exists and that the credentials
// are accepted, so that a command can fail before a long analysis rather
// than when it writes. Credentials that may write objects but not read
// the bucket's metadata pass; any other problem shows when writing.
func CheckBucket(ctx context.Context, rawURL string) error {
	l, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	b, err := openBucket(ctx, l)
	if err != nil {
		return err
	}
	defer b.Close()
	return checkBucket(ctx, b, l)
}

func checkBucket(ctx context.Context, b *blob.Bucket, l location) error {
	ok, err := b.IsAccessible(ctx)
	switch {
	case err == nil && !ok:
		return notFound(ctx, b, l, "")
	case err != nil && isCredentialError(err):
		return l.classify("create", err)
	}
	return nil
}

// errUploadEnded fails a Write after the upload stopped reading.
var errUploadEnded = errors.New("upload ended")

// Write writes p. It blocks while the upload catches up, so memory use
// stays bounded; an upload error shows here or at Close.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("%s: write after Close or Abort", w.l.raw)
	}
	n, err := w.pw.Write(p)
	if err != nil {
		w.Abort()
		return n, w.l.classify("write", cmp.Or(<-w.result, err))
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
	w.pw.Close()
	err := <-w.result
	w.result <- err // for a Write racing an earlier failure
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
	// Cancel first: a driver that treats the end of its stream as
	// "complete" must already see a canceled upload.
	w.cancel()
	w.pw.CloseWithError(errAborted)
	err := <-w.result
	w.result <- err
	return w.b.Close()
}

// errAborted is what the upload reads after Abort.
var errAborted = errors.New("output aborted")
