package parse

import (
	"context"
	"io"
	"io/fs"
	"os"
)

// openFile opens the file at path to read it. A FIFO, or a pipe reached
// by path (/dev/stdin, /dev/fd/N), is read as it is written: its open
// waits for a writer and its reads for data, and both end when ctx does
// — a FIFO nobody writes to must not make a run deaf to SIGINT.
func openFile(ctx context.Context, path string) (io.ReadCloser, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() || ctx.Done() == nil {
		return os.Open(path)
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, o.err
		}
		// Closing the file ends a read that waits for data (the Go
		// runtime polls FIFOs and pipes).
		return pipeFile{o.f, context.AfterFunc(ctx, func() { o.f.Close() })}, nil
	case <-ctx.Done():
	}
	if fi.Mode()&fs.ModeNamedPipe != 0 {
		// Become the writer the open waits for, so that it returns and
		// its goroutine ends, then close both ends.
		if w, err := os.OpenFile(path, os.O_WRONLY|oNonblock, 0); err == nil {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
			w.Close()
		}
	}
	return nil, ctx.Err()
}

// pipeFile is a FIFO or pipe that is closed when its context is done.
type pipeFile struct {
	*os.File
	stop func() bool
}

func (p pipeFile) Close() error {
	p.stop()
	return p.File.Close()
}
